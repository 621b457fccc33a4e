import { MAX_RESPONSE_BODY_BYTES } from '../../constants';
import { BadRequestError, InfergateError } from '../errors';
import type { Principal } from '../auth/principal';
import { checkEntitlements } from '../limits/entitlements';
import type { Limiter } from '../limits/limiter';
import type { TenantPlan } from '../limits/tenant-plans';
import type { UsageEvent, UsageKeeper, UsageStore } from '../metering/types';
import { eventsOf, type UsageWrite } from '../metering/usage-write';
import type { ModelResolver } from '../registry/model-resolver';
import type { ArtifactRef, ModelVersion, Tier } from '../registry/types';
import type { LoadedModel } from '../runtime/model-runtime';
import { decodeInferRequest, encodeInferResponse } from '../tensors/oip-codec';
import type { ModelMetadata } from '../../api/views';
import type { InferenceBackend } from './backend';

/** Runs a function with a loaded model of an artifact (the session cache in production). */
export interface ModelSessions {
  withModel<T>(artifact: ArtifactRef, fn: (model: LoadedModel) => Promise<T>): Promise<T>;
}

/** Where a request's plan comes from (`TenantPlans` in production). */
export interface PlanSource {
  planOf(principal: Principal): Promise<TenantPlan>;
}

export interface InferenceServiceOptions {
  readonly resolver: ModelResolver;
  /** The plan of each request's tenant: its entitlements and limits. */
  readonly plans: PlanSource;
  /** Enforces the plan's monthly quota and rate limit, and meters the requests it admits. */
  readonly limiter: Pick<Limiter, 'check' | 'admit'>;
  /** The serving tiers this deployment has; a version of another tier is not served (503). */
  readonly backends: Partial<Record<Tier, InferenceBackend>>;
  /** Usage rows: requests of plans without limits, failures, and the fallback of `Limiter.admit`. */
  readonly usage: UsageStore;
  /**
   * Where an admit-and-meter write whose outcome is unknown goes, for the replay to apply it
   * exactly once (the durable recorder's spill).
   */
  readonly unconfirmed: UsageKeeper;
  /** Called when a usage event could be neither written nor spilled. */
  readonly onUsageLost?: (event: UsageEvent, error: unknown) => void;
  readonly now?: () => Date;
}

/** The result of one inference: the response body, already serialized. */
export interface InferenceResult {
  readonly body: string;
  readonly modelName: string;
  readonly version: string;
  readonly computeMs: number;
  /** Headers of the tenant's limits after this request (`x-ratelimit-*`, `x-quota-*`); none without limits. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Runs another model version as a step of the request being served (see `InferenceService.serve`). */
export interface StepRunner {
  run<T>(
    version: ModelVersion,
    inputBytes: number,
    work: (backend: InferenceBackend) => Promise<{ readonly value: T; readonly computeMs: number }>,
  ): Promise<T>;
}

/** What the work of a served request returns (see `InferenceService.serve`). */
export interface ServedBody {
  /** The response body, serialized. */
  readonly body: string;
  /** Model time, metered and billed as compute. */
  readonly computeMs: number;
}

/**
 * The data plane's use cases: model metadata, and inference under the tenant's plan with
 * metering. An infer request resolves its model version, is checked against the plan
 * (tier, model, body size: 403/413) and against what the limiter remembers of the tenant
 * (429 when that proves it over its quota or rate), is served, then admitted and metered in
 * one write (quota and rate: 429, the result discarded). Every request that ran is metered
 * unless its admission refused it: successes as requests, failures as errors (never
 * admitted: the quota counts successful requests); requests the plan refuses are not metered
 * and never billed.
 */
export class InferenceService {
  private readonly options: InferenceServiceOptions;
  private readonly now: () => Date;

  public constructor(options: InferenceServiceOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
  }

  public async metadata(principal: Principal, name: string, versionOrAlias?: string): Promise<ModelMetadata> {
    const { version } = await this.options.resolver.resolve(principal, name, versionOrAlias);
    return {
      name,
      versions: [version.version],
      platform: 'onnxruntime_onnx',
      inputs: version.inputs,
      outputs: version.outputs,
    };
  }

  /**
   * Readiness of a version (OIP semantics: ready or not). A version is ready when its model
   * is loaded, or loads now through the session cache; one that cannot be served (missing or
   * corrupt artifact, a model the runtime refuses, another tier) is not ready: 503 with the
   * code of the reason. Names that do not resolve are 404, as for every other route.
   */
  public async ready(principal: Principal, name: string, versionOrAlias?: string): Promise<ModelVersion> {
    const { version } = await this.options.resolver.resolve(principal, name, versionOrAlias);
    const notReady = (
      code: string,
      reason: string,
      options?: ErrorOptions & { headers?: Record<string, string> },
    ) =>
      new InfergateError(
        503,
        code,
        `Model "${name}" version ${version.version} is not ready: ${reason}`,
        options,
      );
    const backend = this.options.backends[version.tier];
    if (backend === undefined) {
      throw notReady('tier_unavailable', `tier "${version.tier}" is not served by this deployment`);
    }
    try {
      await backend.prepare(version);
    } catch (error) {
      if (error instanceof InfergateError && error.status >= 500) {
        throw notReady(error.code, error.message, { cause: error, headers: { ...error.headers } });
      }
      throw error;
    }
    return version;
  }

  /** Runs an Open Inference Protocol request (`body`, `inputBytes` long) on a model version. */
  public async infer(
    principal: Principal,
    name: string,
    versionOrAlias: string | undefined,
    body: unknown,
    inputBytes: number,
  ): Promise<InferenceResult> {
    return this.serve(principal, name, versionOrAlias, inputBytes, async (version, backend) => {
      const request = decodeInferRequest(body, version.inputs, version.outputs);
      const run = await backend.run(version, request);
      const order = request.outputNames ?? version.outputs.map((output) => output.name);
      const responseBody = JSON.stringify(
        encodeInferResponse({
          modelName: name,
          modelVersion: version.version,
          id: request.id,
          outputs: run.outputs,
          order,
        }),
      );
      const responseBytes = Buffer.byteLength(responseBody);
      if (responseBytes > MAX_RESPONSE_BODY_BYTES) {
        throw new BadRequestError(
          'output_too_large',
          `The response would be ${(responseBytes / 1e6).toFixed(1)} MB, over the ${(MAX_RESPONSE_BODY_BYTES / 1e6).toFixed(1)} MB limit of a response: ` +
            `request fewer outputs ("outputs": [{"name": ...}]), a smaller batch, or use the model's predict route if it has one`,
        );
      }
      return { body: responseBody, computeMs: run.computeMs };
    });
  }

  /**
   * Serves one request of a model under the tenant's plan: resolves the version, checks the
   * plan's entitlements, refuses a request the limiter's remembered state proves over the
   * plan's limits (429, the model does not run), runs `work` with the version's backend,
   * then admits and meters it. With limits, one conditional write does both after the model
   * ran: refused (429) or failed (503), the result is discarded and nothing is billed; the
   * model time it took is the platform's. Without limits, one usage write. A failure of
   * `work` is admitted nowhere, metered as an error and rethrown. Any route that runs a model
   * goes through here; `work` runs a pipeline's other models through `steps`.
   */
  public async serve(
    principal: Principal,
    name: string,
    versionOrAlias: string | undefined,
    inputBytes: number,
    work: (version: ModelVersion, backend: InferenceBackend, steps: StepRunner) => Promise<ServedBody>,
  ): Promise<InferenceResult> {
    const at = this.now();
    // The plan is read while the model resolves; a resolution error (404) still comes first.
    const planned = this.options.plans.planOf(principal);
    planned.catch(() => undefined);
    const { version } = await this.options.resolver.resolve(principal, name, versionOrAlias);
    const { plan, limits } = await planned;
    checkEntitlements(plan, version, inputBytes);
    if (limits !== undefined) this.options.limiter.check(principal.tenantId, plan.planId, limits);
    const request: MeteredRequest = { principal, plan: plan.planId, at };
    // The successful steps of this request: metered with it (in its admission, with limits).
    const steps: UsageEvent[] = [];
    let served: ServedBody;
    try {
      served = await work(version, this.backendOf(version), this.stepRunner(request, steps));
    } catch (error) {
      // Nothing was admitted: the steps that ran and this failure are metered as usage rows.
      for (const step of steps) await this.record(step);
      await this.record(usageEvent(request, version, inputBytes, true, 0, 0));
      throw error;
    }
    const event = usageEvent(
      request,
      version,
      inputBytes,
      false,
      served.computeMs,
      Buffer.byteLength(served.body),
    );
    let headers: Readonly<Record<string, string>> = {};
    if (limits === undefined) {
      for (const metered of [event, ...steps]) await this.record(metered);
    } else {
      const admission = await this.options.limiter.admit(
        principal.tenantId,
        plan.planId,
        limits,
        event,
        steps,
      );
      headers = admission.headers;
      if (admission.usage === 'not-counted') {
        for (const metered of [event, ...steps]) await this.record(metered);
      } else if (admission.usage === 'unknown') {
        await this.keep(admission.write, admission.error);
      }
    }
    return {
      body: served.body,
      modelName: name,
      version: version.version,
      computeMs: served.computeMs,
      headers,
    };
  }

  /**
   * The steps of one request: each runs another model version (a pipeline's orientation
   * classifier) with that version's backend, metered as a usage event of its own under the
   * request's plan (no output bytes: its answer is not sent). A step is neither checked against
   * the plan nor admitted: its request is. A successful step is metered with its request (in
   * the same write, for a plan with limits); a failed one at once, as an error.
   */
  private stepRunner(request: MeteredRequest, steps: UsageEvent[]): StepRunner {
    return {
      run: async (version, inputBytes, work) => {
        try {
          const step = await work(this.backendOf(version));
          steps.push(usageEvent(request, version, inputBytes, false, step.computeMs, 0));
          return step.value;
        } catch (error) {
          await this.record(usageEvent(request, version, inputBytes, true, 0, 0));
          throw error;
        }
      },
    };
  }

  private backendOf(version: ModelVersion): InferenceBackend {
    const backend = this.options.backends[version.tier];
    if (backend === undefined) {
      throw new InfergateError(
        503,
        'tier_unavailable',
        `Tier "${version.tier}" is not served by this deployment`,
      );
    }
    return backend;
  }

  private async record(event: UsageEvent): Promise<void> {
    try {
      await this.options.usage.record(event);
    } catch (recordError) {
      this.options.onUsageLost?.(event, recordError);
    }
  }

  /** Spills an admit-and-meter write whose outcome is unknown; if that fails, each of its events is lost. */
  private async keep(write: UsageWrite, writeError: unknown): Promise<void> {
    try {
      await this.options.unconfirmed.keep(write, writeError);
    } catch (keepError) {
      for (const event of eventsOf(write)) this.options.onUsageLost?.(event, keepError);
    }
  }
}

/** What the usage of a request is metered with: who, under which plan, and when it was received. */
interface MeteredRequest {
  readonly principal: Principal;
  readonly plan: string;
  readonly at: Date;
}

function usageEvent(
  request: MeteredRequest,
  version: ModelVersion,
  inputBytes: number,
  error: boolean,
  computeMs: number,
  outputBytes: number,
): UsageEvent {
  return {
    tenantId: request.principal.tenantId,
    keyId: request.principal.keyId,
    modelName: version.modelName,
    version: version.version,
    plan: request.plan,
    at: request.at,
    error,
    computeMs: Math.round(computeMs * 1000) / 1000,
    inputBytes,
    outputBytes,
  };
}
