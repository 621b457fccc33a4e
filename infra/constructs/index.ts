/**
 * The constructs of the Infergate stack, each with secure defaults, validated props and
 * `grant*` methods for the access it hands out.
 */
export { AdminKey, type AdminKeyProps, BOOTSTRAP_SERVICE_NAME } from './admin-key';
export { ArtifactBucket, type ArtifactBucketProps } from './artifact-bucket';
export { GpuEndpoint, type GpuEndpointProps, VARIANT_NAME } from './gpu-endpoint';
export { PlatformHttpApi, type PlatformHttpApiProps } from './http-api';
export { Monitoring, type MonitoringProps } from './monitoring';
export { PlatformFunction, type PlatformFunctionProps } from './platform-function';
export { RegistryTable, type RegistryTableProps } from './registry-table';
export { UsageReplay, type UsageReplayProps } from './usage-replay';
