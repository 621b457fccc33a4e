import path from 'node:path';

/** Path of a fixture model under `test/fixtures/models/`. */
export function fixtureModel(name: string): string {
  return path.join(__dirname, '..', 'fixtures', 'models', name);
}
