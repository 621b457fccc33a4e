/**
 * The GPU endpoints of a deployment (the `sagemaker` tier), as the functions know them:
 * each catalog entry of `models/catalog.ts` is one SageMaker multi-model endpoint whose
 * models are the archives under its prefix of the artifact bucket. The same names are
 * used by the CDK app, the functions and the local endpoint server.
 */

/** One GPU endpoint: its catalog name (what operators type) and its SageMaker name. */
export interface GpuEndpointRef {
  /** Catalog name, e.g. `ocr-rec`. */
  readonly name: string;
  /** SageMaker endpoint name, e.g. `infergate-prod-ocr-rec`. */
  readonly endpointName: string;
}

const CATALOG_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const ENDPOINT_NAME = /^[a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62}$/;

/**
 * The S3 prefix of an endpoint's models: the `ModelDataUrl` of its multi-model endpoint.
 *
 * @example
 * endpointModelsPrefix('ocr-rec'); // 'sagemaker/ocr-rec/'
 */
export function endpointModelsPrefix(name: string): string {
  return `sagemaker/${name}/`;
}

/**
 * Object key of a model archive on an endpoint, content-addressed. Its name relative to
 * the prefix (`<sha256>.tar.gz`) is the `TargetModel` of `InvokeEndpoint`.
 */
export function endpointModelKey(name: string, sha256: string): string {
  return `${endpointModelsPrefix(name)}${sha256}.tar.gz`;
}

/**
 * Writes endpoint refs as the `INFERGATE_SAGEMAKER_ENDPOINTS` value.
 *
 * @example
 * formatGpuEndpoints([{ name: 'ocr-rec', endpointName: 'infergate-prod-ocr-rec' }]); // 'ocr-rec=infergate-prod-ocr-rec'
 */
export function formatGpuEndpoints(endpoints: readonly GpuEndpointRef[]): string {
  return endpoints.map((endpoint) => `${endpoint.name}=${endpoint.endpointName}`).join(',');
}

/**
 * Reads an `INFERGATE_SAGEMAKER_ENDPOINTS` value; returns the refs, or the problems found
 * (each naming the pair). An empty value is no endpoint.
 */
export function parseGpuEndpoints(value: string): { endpoints: GpuEndpointRef[]; problems: string[] } {
  const endpoints: GpuEndpointRef[] = [];
  const problems: string[] = [];
  for (const pair of value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')) {
    const [name = '', endpointName = '', ...rest] = pair.split('=');
    if (rest.length > 0 || !CATALOG_NAME.test(name) || !ENDPOINT_NAME.test(endpointName)) {
      problems.push(`"${pair}" is not <catalog name>=<SageMaker endpoint name>`);
    } else if (
      endpoints.some((endpoint) => endpoint.name === name || endpoint.endpointName === endpointName)
    ) {
      problems.push(`"${pair}" repeats an endpoint`);
    } else {
      endpoints.push({ name, endpointName });
    }
  }
  return { endpoints, problems };
}
