import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** `.infergate/local.json`: where scripts and the CLI find the local platform. */
export interface LocalState {
  readonly url: string;
  readonly adminKey: string;
  readonly demoKey: string;
  readonly demoModel: string;
}

export function localStateFile(home: string): string {
  return path.join(home, 'local.json');
}

/** The saved state, or undefined on a first start. */
export async function readLocalState(file: string): Promise<LocalState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const value: unknown = JSON.parse(text);
  if (!isLocalState(value)) throw new Error(`${file} is not a valid local state file; delete it to reseed`);
  return value;
}

function isLocalState(value: unknown): value is LocalState {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return ['url', 'adminKey', 'demoKey', 'demoModel'].every((key) => typeof record[key] === 'string');
}
