/**
 * The GPU endpoints of a deployment (the `sagemaker` tier), as the functions know them:
 * each catalog entry of `models/catalog.ts` is either a SageMaker multi-model endpoint whose
 * models are the archives under its prefix of the artifact bucket, or an endpoint with one
 * inference component serving the one model deployed with it (the kind that scales to
 * zero). The same names are used by the CDK app, the functions and the local endpoint server.
 */

/** The inference component of a component-based endpoint and the model it was deployed with. */
export interface GpuComponentRef {
  /** SageMaker inference component name: `InvokeEndpoint`'s `InferenceComponentName`. */
  readonly name: string;
  /** SHA-256 of the ONNX file deployed on it: only that file may be registered to it. */
  readonly sha256: string;
}

/** One GPU endpoint: its catalog name (what operators type) and its SageMaker name. */
export interface GpuEndpointRef {
  /** Catalog name, e.g. `ocr-rec`. */
  readonly name: string;
  /** SageMaker endpoint name, e.g. `infergate-prod-ocr-rec`. */
  readonly endpointName: string;
  /** Present when the endpoint serves one inference component instead of a multi-model endpoint. */
  readonly component?: GpuComponentRef;
}

const CATALOG_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const ENDPOINT_NAME = /^[a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62}$/;
const SHA256 = /^[0-9a-f]{64}$/;

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
 * Writes endpoint refs as the `INFERGATE_SAGEMAKER_ENDPOINTS` value: `<name>=<endpoint>`
 * for a multi-model endpoint, `<name>=<endpoint>/<component>@<sha256>` for a
 * component-based one.
 *
 * @example
 * formatGpuEndpoints([{ name: 'ocr-rec', endpointName: 'infergate-prod-ocr-rec' }]); // 'ocr-rec=infergate-prod-ocr-rec'
 */
export function formatGpuEndpoints(endpoints: readonly GpuEndpointRef[]): string {
  return endpoints
    .map(
      (endpoint) =>
        `${endpoint.name}=${endpoint.endpointName}${
          endpoint.component === undefined ? '' : `/${endpoint.component.name}@${endpoint.component.sha256}`
        }`,
    )
    .join(',');
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
    const [name = '', target = '', ...rest] = pair.split('=');
    const [endpointName = '', componentPart, ...extra] = target.split('/');
    const [componentName = '', sha256 = '', ...more] = (componentPart ?? '').split('@');
    const component = componentPart === undefined ? undefined : { name: componentName, sha256 };
    if (
      rest.length > 0 ||
      extra.length > 0 ||
      more.length > 0 ||
      !CATALOG_NAME.test(name) ||
      !ENDPOINT_NAME.test(endpointName) ||
      (component !== undefined && (!ENDPOINT_NAME.test(component.name) || !SHA256.test(component.sha256)))
    ) {
      problems.push(
        `"${pair}" is not <catalog name>=<SageMaker endpoint name>[/<inference component name>@<sha256>]`,
      );
    } else if (
      endpoints.some((endpoint) => endpoint.name === name || endpoint.endpointName === endpointName)
    ) {
      problems.push(`"${pair}" repeats an endpoint`);
    } else {
      endpoints.push({ name, endpointName, ...(component === undefined ? {} : { component }) });
    }
  }
  return { endpoints, problems };
}
