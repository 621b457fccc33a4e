import { MAX_RESPONSE_BODY_BYTES } from '../../constants';
import { BadRequestError, InfergateError } from '../errors';
import type { Principal } from '../auth/principal';
import { checkEntitlements } from '../limits/entitlements';
import type { Limiter } from '../limits/limiter';
import type { LimitKey } from '../limits/limit-store';
import type { TenantPlan } from '../limits/tenant-plans';
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

/** Where a request's plan comes from (`TenantPlans` in production). */
export interface PlanSource {
  planOf(principal: Principal): Promise<TenantPlan>;
}

export interface InferenceServiceOptions {
  readonly resolver: ModelResolver;
  /** The plan of each request's tenant: its entitlements and limits. */
  readonly plans: PlanSource;
  /** Enforces the plan's monthly quota and rate limit. */
  readonly limiter: Limiter;
  /** The serving tiers this deployment has; a version of another tier is not served (503). */
  readonly backends: Partial<Record<Tier, InferenceBackend>>;
  readonly usage: UsageStore;
  /** Called when a usage record could not be written (after the store's own retries). */
  readonly onUsageLost?: (event: UsageEvent, error: unknown) => void;
  /** Called when the quota unit of a failed request could not be given back (the tenant loses it). */
  readonly onReleaseLost?: (reservation: LimitKey, error: unknown) => void;
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
 * (tier, model, body size: 403/413), admitted by the limiter (quota and rate: 429), then
 * served and metered. Every admitted request is metered, successful or not (failures count
 * as errors, apart from requests, and give their quota unit back); requests the plan
 * refuses are not metered: they cost the platform no model time and are never billed.
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
   * plan's entitlements, admits it through the limiter, runs `work` with the version's
   * backend and meters it. A failure of `work` gives the quota unit back, is metered as an
   * error and is rethrown. Any route that runs a model goes through here.
   */
  public async serve(
    principal: Principal,
    name: string,
    versionOrAlias: string | undefined,
    inputBytes: number,
    work: (version: ModelVersion, backend: InferenceBackend) => Promise<ServedBody>,
  ): Promise<InferenceResult> {
    const at = this.now();
    // The plan is read while the model resolves; a resolution error (404) still comes first.
    const planned = this.options.plans.planOf(principal);
    planned.catch(() => undefined);
    const { version } = await this.options.resolver.resolve(principal, name, versionOrAlias);
    const { plan, limits } = await planned;
    checkEntitlements(plan, version, inputBytes);
    const admission = await this.options.limiter.admit(principal.tenantId, plan.planId, limits);
    const metered = { principal, version, plan: plan.planId, at, inputBytes };
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
      const served = await work(version, backend);
      computeMs = served.computeMs;
      await this.meter(metered, false, computeMs, Buffer.byteLength(served.body));
      return {
        body: served.body,
        modelName: name,
        version: version.version,
        computeMs,
        headers: admission.headers,
      };
    } catch (error) {
      if (admission.reservation !== undefined) await this.release(admission.reservation);
      await this.meter(metered, true, computeMs, 0);
      throw error;
    }
  }

  /**
   * Runs another model version as a step of a request that `serve` admitted (a pipeline's
   * orientation classifier) with that version's backend, metered as a usage event of its own
   * under the caller's plan (no output bytes: its answer is not sent), a failure as an
   * error. The step is neither checked against the plan nor admitted again: its request was.
   */
  public async runStep<T>(
    principal: Principal,
    version: ModelVersion,
    inputBytes: number,
    work: (backend: InferenceBackend) => Promise<{ readonly value: T; readonly computeMs: number }>,
  ): Promise<T> {
    const at = this.now();
    const { plan } = await this.options.plans.planOf(principal);
    const metered = { principal, version, plan: plan.planId, at, inputBytes };
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
      const step = await work(backend);
      computeMs = step.computeMs;
      await this.meter(metered, false, computeMs, 0);
      return step.value;
    } catch (error) {
      await this.meter(metered, true, computeMs, 0);
      throw error;
    }
  }

  private async release(reservation: LimitKey): Promise<void> {
    try {
      await this.options.limiter.release(reservation);
    } catch (releaseError) {
      this.options.onReleaseLost?.(reservation, releaseError);
    }
  }

  private async meter(
    request: {
      readonly principal: Principal;
      readonly version: ModelVersion;
      readonly plan: string;
      readonly at: Date;
      readonly inputBytes: number;
    },
    error: boolean,
    computeMs: number,
    outputBytes: number,
  ): Promise<void> {
    const event: UsageEvent = {
      tenantId: request.principal.tenantId,
      keyId: request.principal.keyId,
      modelName: request.version.modelName,
      version: request.version.version,
      plan: request.plan,
      at: request.at,
      error,
      computeMs: Math.round(computeMs * 1000) / 1000,
      inputBytes: request.inputBytes,
      outputBytes,
    };
    try {
      await this.options.usage.record(event);
    } catch (recordError) {
      this.options.onUsageLost?.(event, recordError);
    }
  }
}
