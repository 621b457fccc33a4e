import { Validator } from '@seriousme/openapi-schema-validator';
import { buildOpenApiDocument } from '../../../functions/admin/openapi';
import { ROUTES } from '../../../functions/routes';

describe('OpenAPI document', () => {
  const document = buildOpenApiDocument('1.2.3');

  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(document);

    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it('is checked by a validator that rejects a broken document', async () => {
    const broken = { ...document, paths: { '/v2': { get: { responses: 'none' } } } };

    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it('describes every route of the platform', () => {
    const paths = document.paths as Record<string, Record<string, unknown>>;

    for (const route of ROUTES) {
      expect(paths[route.path]?.[route.method.toLowerCase()]).toBeDefined();
    }
  });
});
