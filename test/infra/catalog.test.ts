import {
  catalogProblems,
  endpointNameFor,
  GPU_CATALOG,
  type GpuModelEntry,
  modelsPrefixOf,
  TRITON_IMAGE,
} from '../../models/catalog';

const valid: GpuModelEntry = {
  name: 'ocr-rec',
  description: 'test entry',
  minInstances: 1,
  maxInstances: 2,
  targetInvocationsPerInstance: 600,
};

describe('GPU catalog', () => {
  it('is valid and holds the endpoint sized for the PP-OCRv4 text-line recognizer', () => {
    expect(catalogProblems(GPU_CATALOG)).toEqual([]);
    expect(GPU_CATALOG.map((entry) => entry.name)).toContain('ocr-rec');
  });

  it('keeps each endpoint’s models under its own prefix of the artifact bucket', () => {
    expect(modelsPrefixOf(valid)).toBe('sagemaker/ocr-rec/');
    expect(new Set(GPU_CATALOG.map(modelsPrefixOf)).size).toBe(GPU_CATALOG.length);
  });

  it('maps the common regions to a Triton registry', () => {
    for (const region of ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-northeast-1']) {
      expect(TRITON_IMAGE.registries[region]).toMatch(/^\d{12}$/);
    }
    expect(TRITON_IMAGE.repository).toBe('sagemaker-tritonserver');
  });

  it('names endpoints per stage within SageMaker’s 63 characters', () => {
    expect(endpointNameFor('prod', 'ocr-rec')).toBe('infergate-prod-ocr-rec');
    const longest = endpointNameFor('prod', 'a'.repeat(40));
    expect(longest.length).toBeLessThanOrEqual(63);
  });

  it('reports every problem of every entry', () => {
    const problems = catalogProblems([
      valid,
      { ...valid },
      {
        ...valid,
        name: 'Bad_Name',
        instanceType: 'g5.xlarge',
        minInstances: 0,
        maxInstances: -1,
        targetInvocationsPerInstance: 0,
      },
    ]);

    expect(problems).toEqual([
      expect.stringContaining('name repeats'),
      expect.stringContaining('name must be'),
      expect.stringContaining('instanceType must'),
      expect.stringContaining('minInstances must'),
      expect.stringContaining('maxInstances must'),
      expect.stringContaining('targetInvocationsPerInstance must'),
    ]);
  });
});
