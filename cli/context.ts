import type { Command } from 'commander';
import { InfergateClient } from '../client';
import { CliError } from './errors';
import type { CliIo } from './io';
import { resolveTarget } from './target';

/** Options every command inherits from the program. */
export interface GlobalOptions {
  readonly url?: string;
  readonly adminKey?: string;
  readonly json?: boolean;
}

/** What a command's action needs besides its own arguments. */
export interface CommandContext {
  readonly io: CliIo;
  /** An admin client for the platform chosen by flags, environment or the local platform. */
  client(command: Command): Promise<InfergateClient>;
  /** Prints `value` as JSON with `--json`, else its human rendering. */
  print<T>(command: Command, value: T, human: (value: T) => string): void;
}

/** The context shared by every command of one program. */
export function createContext(io: CliIo): CommandContext {
  return {
    io,
    async client(command) {
      const options = command.optsWithGlobals<GlobalOptions>();
      const target = await resolveTarget({ url: options.url, adminKey: options.adminKey }, io.env, io.cwd);
      try {
        return new InfergateClient({ url: target.url, apiKey: target.adminKey });
      } catch (cause) {
        const reason = cause instanceof Error ? cause.message : String(cause);
        throw new CliError('invalid_target', `invalid platform URL from ${target.urlSource}: ${reason}`, {
          cause,
        });
      }
    },
    print(command, value, human) {
      const { json } = command.optsWithGlobals<GlobalOptions>();
      io.out(json === true ? `${JSON.stringify(value, null, 2)}\n` : `${human(value)}\n`);
    },
  };
}
