import { InfergateError } from '../errors';
import type { Principal } from '../auth/principal';
import type { UsageEvent, UsageStore } from '../metering/types';
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

/** Where usage goes; failures to record are reported, never thrown to the caller. */
export interface UsageSink {
  record(event: UsageEvent): Promise<void>;
}

export interface InferenceServiceOptions {
  readonly resolver: ModelResolver;
  /** The serving tiers this deployment has; a version of another tier is not served (503). */
  readonly backends: Partial<Record<Tier, InferenceBackend>>;
  readonly usage: UsageStore;
  /** Called when a usage record could not be written (after the store's own retries). */
  readonly onUsageLost?: (event: UsageEvent, error: unknown) => void;
  readonly now?: () => Date;
}

/** The result of one inference: the response body, already serialized. */
export interface InferenceResult {
  readonly body: string;
  readonly modelName: string;
  readonly version: string;
  readonly computeMs: number;
}

/**
 * The data plane's use cases: model metadata and inference with metering. Every
 * authenticated infer request that resolves to a model version is metered, successful or
 * not (failures count as errors, apart from requests).
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

  public async infer(
    principal: Principal,
    name: string,
    versionOrAlias: string | undefined,
    body: unknown,
    inputBytes: number,
  ): Promise<InferenceResult> {
    const at = this.now();
    const { version } = await this.options.resolver.resolve(principal, name, versionOrAlias);
    let computeMs = 0;
    try {
      const backend = this.options.backends[version.tier];
      if (backend === undefined) {
        throw new InfergateError(
          503,
          'tier_unavailable',
          `Tier "${version.tier}" is not served by this deployment`,
        );
      }
      const request = decodeInferRequest(body, version.inputs, version.outputs);
      const run = await backend.run(version, request);
      computeMs = run.computeMs;
      const outputs = run.outputs;
      const order = request.outputNames ?? version.outputs.map((output) => output.name);
      const responseBody = JSON.stringify(
        encodeInferResponse({
          modelName: name,
          modelVersion: version.version,
          id: request.id,
          outputs,
          order,
        }),
      );
      await this.meter(principal, version, at, false, computeMs, inputBytes, Buffer.byteLength(responseBody));
      return { body: responseBody, modelName: name, version: version.version, computeMs };
    } catch (error) {
      await this.meter(principal, version, at, true, computeMs, inputBytes, 0);
      throw error;
    }
  }

  private async meter(
    principal: Principal,
    version: ModelVersion,
    at: Date,
    error: boolean,
    computeMs: number,
    inputBytes: number,
    outputBytes: number,
  ): Promise<void> {
    const event: UsageEvent = {
      tenantId: principal.tenantId,
      keyId: principal.keyId,
      modelName: version.modelName,
      version: version.version,
      at,
      error,
      computeMs: Math.round(computeMs * 1000) / 1000,
      inputBytes,
      outputBytes,
    };
    try {
      await this.options.usage.record(event);
    } catch (recordError) {
      this.options.onUsageLost?.(event, recordError);
    }
  }
}
