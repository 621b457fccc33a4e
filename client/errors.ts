/**
 * Errors of the typed client. Everything it throws is an `InfergateClientError`, so a caller
 * can tell platform and transport failures from its own bugs, and every error carries a
 * stable `code` to match on.
 */
export class InfergateClientError extends Error {
  /** Stable, machine-readable reason, e.g. `network_error` or the platform's own code. */
  public readonly code: string;

  public constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InfergateClientError';
    this.code = code;
  }
}

/**
 * The platform (or the artifact store) answered with a non-2xx status. `code` and
 * `message` come from the `{"error", "code"}` body; responses without such a body (a
 * gateway's own errors, S3's XML) get `http_<status>` or the store's code.
 *
 * @example
 * try {
 *   await client.getModel('resnet');
 * } catch (error) {
 *   if (error instanceof InfergateApiError && error.status === 404) console.log('no such model');
 * }
 */
export class InfergateApiError extends InfergateClientError {
  public readonly status: number;
  /** The platform's request id, to quote when asking operators about a failure. */
  public readonly requestId?: string;

  public constructor(
    status: number,
    code: string,
    message: string,
    options?: ErrorOptions & { requestId?: string },
  ) {
    super(code, message, options);
    this.name = 'InfergateApiError';
    this.status = status;
    if (options?.requestId !== undefined) this.requestId = options.requestId;
  }
}

/** The request never got an HTTP answer: connection refused, DNS failure, reset or timeout. */
export class InfergateNetworkError extends InfergateClientError {
  /** The URL that could not be reached (without its query string). */
  public readonly url: string;

  public constructor(
    code: 'network_error' | 'timeout',
    url: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(code, message, options);
    this.name = 'InfergateNetworkError';
    this.url = url;
  }
}
