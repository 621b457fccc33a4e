import { loadConfig } from '../../../functions/config';
import { ENV } from '../../../functions/constants';
import { chooseGpuEndpoint } from '../../../functions/core/admin/sagemaker-registration';
import {
  endpointModelKey,
  endpointModelsPrefix,
  formatGpuEndpoints,
  parseGpuEndpoints,
} from '../../../functions/core/endpoints';
import { BadRequestError } from '../../../functions/core/errors';

const ocr = { name: 'ocr-rec', endpointName: 'infergate-prod-ocr-rec' };
const big = { name: 'big', endpointName: 'infergate-prod-big' };

function refusal(call: () => unknown): BadRequestError {
  try {
    call();
  } catch (error) {
    if (error instanceof BadRequestError) return error;
  }
  throw new Error('expected a BadRequestError');
}

describe('GPU endpoints', () => {
  it('keeps each endpoint’s models under its own prefix, by content address', () => {
    expect(endpointModelsPrefix('ocr-rec')).toBe('sagemaker/ocr-rec/');
    expect(endpointModelKey('ocr-rec', 'ab'.repeat(32))).toBe(`sagemaker/ocr-rec/${'ab'.repeat(32)}.tar.gz`);
  });

  it('writes and reads the INFERGATE_SAGEMAKER_ENDPOINTS value, reporting every bad pair', () => {
    const value = formatGpuEndpoints([ocr, big]);

    expect(value).toBe('ocr-rec=infergate-prod-ocr-rec,big=infergate-prod-big');
    expect(parseGpuEndpoints(value)).toEqual({ endpoints: [ocr, big], problems: [] });
    expect(parseGpuEndpoints('')).toEqual({ endpoints: [], problems: [] });
    expect(parseGpuEndpoints('Bad=x, ocr-rec=infergate-prod-ocr-rec, ocr-rec=other, a=b=c').problems).toEqual(
      [
        '"Bad=x" is not <catalog name>=<SageMaker endpoint name>[/<inference component name>@<sha256>]',
        '"ocr-rec=other" repeats an endpoint',
        '"a=b=c" is not <catalog name>=<SageMaker endpoint name>[/<inference component name>@<sha256>]',
      ],
    );
  });

  it('carries the inference component of a component-based endpoint and its deployed sha256', () => {
    const ondemand = {
      name: 'ocr-rec-ondemand',
      endpointName: 'infergate-prod-ocr-rec-ondemand',
      component: { name: 'infergate-prod-ocr-rec-ondemand-ic', sha256: 'a'.repeat(64) },
    };
    const mme = { name: 'ocr-rec', endpointName: 'infergate-prod-ocr-rec' };
    const value = formatGpuEndpoints([mme, ondemand]);

    expect(value).toBe(
      `ocr-rec=infergate-prod-ocr-rec,ocr-rec-ondemand=infergate-prod-ocr-rec-ondemand/infergate-prod-ocr-rec-ondemand-ic@${'a'.repeat(64)}`,
    );
    expect(parseGpuEndpoints(value)).toEqual({ endpoints: [mme, ondemand], problems: [] });
    expect(parseGpuEndpoints('x=ep/ic@short, y=ep2/ic/more@' + 'a'.repeat(64)).problems).toHaveLength(2);
    // A component endpoint is never the default: it serves only its deployed model.
    expect(chooseGpuEndpoint([mme, ondemand])).toEqual(mme);
    expect(chooseGpuEndpoint([mme, ondemand], 'ocr-rec-ondemand')).toEqual(ondemand);
    expect(() => chooseGpuEndpoint([ondemand])).toThrow(
      expect.objectContaining({ code: 'endpoint_required' }),
    );
  });

  it('chooses the named endpoint, or the only one, and refuses what cannot be chosen', () => {
    expect(chooseGpuEndpoint([ocr])).toBe(ocr);
    expect(chooseGpuEndpoint([ocr, big], 'big')).toBe(big);
    expect(chooseGpuEndpoint([ocr, big], 'infergate-prod-ocr-rec')).toBe(ocr);

    expect(refusal(() => chooseGpuEndpoint([])).code).toBe('unsupported_tier');
    expect(refusal(() => chooseGpuEndpoint([ocr, big])).code).toBe('endpoint_required');
    const unknown = refusal(() => chooseGpuEndpoint([ocr, big], 'nope'));
    expect(unknown.code).toBe('unknown_endpoint');
    expect(unknown.message).toContain('"ocr-rec", "big"');
  });

  it('is read from the environment once, with the call timeout', () => {
    const base = { [ENV.TABLE_NAME]: 'table', [ENV.ARTIFACT_BUCKET]: 'bucket' };

    const config = loadConfig({
      ...base,
      [ENV.SAGEMAKER_ENDPOINTS]: 'ocr-rec=infergate-prod-ocr-rec',
      [ENV.SAGEMAKER_TIMEOUT_MS]: '2500',
    });

    expect(config.sagemakerEndpoints).toEqual([ocr]);
    expect(config.sagemakerTimeoutMs).toBe(2500);
    expect(loadConfig(base).sagemakerEndpoints).toBeUndefined();
    expect(() =>
      loadConfig({ ...base, [ENV.SAGEMAKER_ENDPOINTS]: 'x', [ENV.SAGEMAKER_TIMEOUT_MS]: '5' }),
    ).toThrow(
      /INFERGATE_SAGEMAKER_ENDPOINTS: "x" is not <catalog name>=<SageMaker endpoint name>.*INFERGATE_SAGEMAKER_TIMEOUT_MS/,
    );
  });
});
