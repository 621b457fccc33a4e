import { readFile } from 'node:fs/promises';
import { OPERATOR_TENANT_ID } from '../functions/constants';
import { AdminService } from '../functions/core/admin/admin-service';
import type { RegistryStore } from '../functions/core/registry/registry-store';
import type { ArtifactStore } from '../functions/core/artifacts';
import type { UsageStore } from '../functions/core/metering/types';
import { readOnnxSchema } from '../functions/core/runtime/onnx-schema';
import { InfergateClient } from '../client';
import { DEMO_MODEL, pretrainedFile } from '../models/pretrained';

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
    readSchema: readOnnxSchema,
    uploadUrlTtlSeconds: 900,
  });
  const admin = await bootstrap.createKey({
    tenantId: OPERATOR_TENANT_ID,
    scopes: ['admin'],
    name: 'local admin',
  });
  const client = new InfergateClient({ url: options.url, apiKey: admin.key });
  const tenant = await client.createTenant({ name: 'demo' });
  const demoKey = await client.createKey({ tenantId: tenant.tenantId, name: 'demo key' });
  const bytes = await readFile(pretrainedFile(DEMO_MODEL.file));
  const version = await client.registerModel(DEMO_MODEL.name, bytes, {
    tier: 'lambda',
    visibility: 'public',
    description: DEMO_MODEL.description,
  });
  await client.setAlias(DEMO_MODEL.name, 'prod', version.version);
  return {
    adminKey: admin.key,
    demoKey: demoKey.key,
    demoTenantId: tenant.tenantId,
    demoModel: DEMO_MODEL.name,
  };
}
