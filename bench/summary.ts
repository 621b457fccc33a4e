import { COLD_START_GOAL_MS, type ColdStart } from './scenarios/cold-start';
import { PLATFORM_OVERHEAD_GOAL_MS, type HttpResult } from './scenarios/http';
import { WASM_INT8_GOAL, type ModelLatency } from './scenarios/model-latency';
import { ms } from './stats';

const verdict = (met: boolean) => (met ? 'met' : '**not met**');

/** The goals, each with the number of this run that decides it. */
export function reportSummary(results: {
  readonly latencies: readonly ModelLatency[];
  readonly coldStart: ColdStart | undefined;
  readonly bare: HttpResult;
  readonly platforms: readonly HttpResult[];
}): string[] {
  const lines = ['## Goals', '', '| goal | measured | verdict |', '| --- | --- | --- |'];
  for (const latency of results.latencies) {
    const value = latency.wasmInt8.p50 / latency.nativeFp32.p50;
    lines.push(
      `| ${latency.model.name}: WASM int8 p50 <= ${WASM_INT8_GOAL}x native fp32 p50 | ${value.toFixed(2)}x (${ms(latency.wasmInt8.p50)} vs ${ms(latency.nativeFp32.p50)}) | ${verdict(value <= WASM_INT8_GOAL)} |`,
    );
  }
  if (results.coldStart !== undefined) {
    const value = results.coldStart.firstResponse;
    lines.push(
      `| cold start to first response <= ${COLD_START_GOAL_MS} ms (bundled handler, demo model) | ${ms(value)} from process start; ${ms(results.coldStart.afterInit)} after the init phase | ${verdict(value <= COLD_START_GOAL_MS)} |`,
    );
  }
  for (const platform of results.platforms) {
    const value = platform.sequential.p50 - results.bare.sequential.p50;
    lines.push(
      `| platform overhead <= ${PLATFORM_OVERHEAD_GOAL_MS} ms p50 over the bare server (${platform.label}) | ${ms(value)} | ${verdict(value <= PLATFORM_OVERHEAD_GOAL_MS)} |`,
    );
  }
  lines.push('');
  return lines;
}
