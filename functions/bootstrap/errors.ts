/** A bootstrap request that cannot be carried out (bad properties, a failed write). */
export class BootstrapError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BootstrapError';
  }
}
