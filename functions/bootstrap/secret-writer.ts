import {
  PutSecretValueCommand,
  SecretsManagerClient,
  type SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import { BootstrapError } from './errors';

/** Port: stores a new current value of a secret. */
export interface SecretWriter {
  put(secretId: string, value: string): Promise<void>;
}

export type SecretsManagerWriterOptions =
  | { readonly client?: SecretsManagerClient; readonly clientConfig?: never }
  | { readonly client?: never; readonly clientConfig?: SecretsManagerClientConfig };

/**
 * Secrets Manager adapter. `PutSecretValue` makes the value the secret's `AWSCURRENT`
 * version; the value never appears in the CloudFormation template or in any response.
 */
export class SecretsManagerSecretWriter implements SecretWriter {
  private readonly client: SecretsManagerClient;

  public constructor(options: SecretsManagerWriterOptions = {}) {
    this.client = options.client ?? new SecretsManagerClient(options.clientConfig ?? {});
  }

  public async put(secretId: string, value: string): Promise<void> {
    try {
      await this.client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));
    } catch (error) {
      const name = error instanceof Error ? error.name : 'unknown error';
      throw new BootstrapError(`PutSecretValue on ${secretId} failed (${name})`, { cause: error });
    }
  }
}
