import { readFile } from 'node:fs/promises';
import { wasmTierRuntimes } from '../functions/adapters/onnx/tier-runtimes';
import { MAX_ARTIFACT_BYTES, OPERATOR_TENANT_ID } from '../functions/constants';
import { AdminService } from '../functions/core/admin/admin-service';
import { DEFAULT_PLANS } from '../functions/core/plans/default-plans';
import type { RegistryStore } from '../functions/core/registry/registry-store';
import type { ArtifactStore } from '../functions/core/artifacts';
import type { UsageStore } from '../functions/core/metering/types';
import { ModelValidator } from '../functions/core/validation';
import { InfergateApiError, InfergateClient } from '../client';
import { DEMO_MODEL, pretrainedFile } from '../models/pretrained';
import { OCR_MODEL, ocrPipeline, textDirectionPipeline } from '../models/pretrained-pipelines';
import type { Tier } from '../functions/core/registry/types';

/** Where the OCR showcase's recognizer runs. */
export const OCR_TIER: Tier = 'sagemaker';

/** What a first start creates, written to `.infergate/local.json` for scripts. */
export interface LocalSeed {
  readonly adminKey: string;
  readonly demoKey: string;
  readonly demoTenantId: string;
  readonly demoModel: string;
}

/**
 * Seeds a new local platform: the operator's admin key goes straight into the registry
 * (as the deploy-time bootstrap does in AWS); everything else goes through the admin
 * API with that key, exactly as an operator would do it.
 */
export async function seedLocalPlatform(options: {
  readonly url: string;
  readonly store: RegistryStore;
  readonly artifacts: ArtifactStore;
  readonly usage: UsageStore;
}): Promise<LocalSeed> {
  const bootstrap = new AdminService({
    store: options.store,
    artifacts: options.artifacts,
    usage: options.usage,
    // Only creates the admin key: the runtime is never started.
    validator: new ModelValidator({ runtimes: wasmTierRuntimes(), maxModelBytes: MAX_ARTIFACT_BYTES }),
    uploadUrlTtlSeconds: 900,
  });
  const admin = await bootstrap.createKey({
    tenantId: OPERATOR_TENANT_ID,
    scopes: ['admin'],
    name: 'local admin',
  });
  const client = new InfergateClient({ url: options.url, apiKey: admin.key });
  await ensureDefaultPlansThroughApi(client);
  const tenant = await client.createTenant({ name: 'demo', plan: 'pro' });
  const demoKey = await client.createKey({ tenantId: tenant.tenantId, name: 'demo key' });
  const bytes = await readFile(pretrainedFile(DEMO_MODEL.file));
  const version = await client.registerModel(DEMO_MODEL.name, bytes, {
    tier: 'lambda',
    visibility: 'public',
    description: DEMO_MODEL.description,
    pipeline: textDirectionPipeline(),
  });
  await client.setAlias(DEMO_MODEL.name, 'prod', version.version);
  // The OCR showcase: the recognizer, with the classifier above as its orientation step.
  const ocr = await client.registerModel(OCR_MODEL.name, await readFile(pretrainedFile(OCR_MODEL.file)), {
    tier: OCR_TIER,
    visibility: 'public',
    description: OCR_MODEL.description,
    pipeline: await ocrPipeline(DEMO_MODEL.name),
  });
  await client.setAlias(OCR_MODEL.name, 'prod', ocr.version);
  return {
    adminKey: admin.key,
    demoKey: demoKey.key,
    demoTenantId: tenant.tenantId,
    demoModel: DEMO_MODEL.name,
  };
}

/**
 * Creates the default plans (`free`, `pro`, `enterprise`) that are missing, through the
 * admin API. Idempotent: a plan that exists is left as it is (an operator may have changed
 * it). `npm start` runs it on every start, so state kept from a version without plans gets
 * them too. Returns the ids of the plans it created.
 */
export async function ensureDefaultPlansThroughApi(client: InfergateClient): Promise<string[]> {
  const created: string[] = [];
  for (const { allowedTiers, allowedModels, ...plan } of DEFAULT_PLANS) {
    try {
      await client.createPlan({
        ...plan,
        allowedTiers: [...allowedTiers],
        ...(allowedModels === undefined ? {} : { allowedModels: [...allowedModels] }),
      });
      created.push(plan.planId);
    } catch (error) {
      if (!(error instanceof InfergateApiError && error.status === 409 && error.code === 'plan_exists')) {
        throw error;
      }
    }
  }
  return created;
}
