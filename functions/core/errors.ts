/**
 * Deliberate errors of the platform. Each carries an HTTP status and a stable `code`
 * that clients may match on; the message names the problem. Anything that is not an
 * `InfergateError` is an internal failure and is answered with a plain 500.
 */
export class InfergateError extends Error {
  public readonly status: number;
  public readonly code: string;
  /** Extra response headers, for example `Retry-After`. */
  public readonly headers: Readonly<Record<string, string>>;

  public constructor(
    status: number,
    code: string,
    message: string,
    options?: ErrorOptions & { headers?: Record<string, string> },
  ) {
    super(message, options);
    this.name = 'InfergateError';
    this.status = status;
    this.code = code;
    this.headers = options?.headers ?? {};
  }
}

/** 400: the request is malformed or does not match what the model expects. */
export class BadRequestError extends InfergateError {
  public constructor(code: string, message: string, options?: ErrorOptions) {
    super(400, code, message, options);
    this.name = 'BadRequestError';
  }
}

/** 401: no credentials, or credentials that are not (or no longer) valid. */
export class UnauthorizedError extends InfergateError {
  public constructor(code: string, message: string, options?: ErrorOptions) {
    super(401, code, message, { ...options, headers: { 'www-authenticate': 'Bearer realm="infergate"' } });
    this.name = 'UnauthorizedError';
  }
}

/** 403: valid credentials lacking the scope the route needs. */
export class ForbiddenError extends InfergateError {
  public constructor(code: string, message: string, options?: ErrorOptions) {
    super(403, code, message, options);
    this.name = 'ForbiddenError';
  }
}

/** 404: the resource does not exist, or the caller may not know that it exists. */
export class NotFoundError extends InfergateError {
  public constructor(code: string, message: string, options?: ErrorOptions) {
    super(404, code, message, options);
    this.name = 'NotFoundError';
  }
}

/** 409: the resource exists already or changed under the caller. */
export class ConflictError extends InfergateError {
  public constructor(code: string, message: string, options?: ErrorOptions) {
    super(409, code, message, options);
    this.name = 'ConflictError';
  }
}

/** 503: a dependency is unavailable; the caller may retry. */
export class UnavailableError extends InfergateError {
  public constructor(code: string, message: string, options?: ErrorOptions & { retryAfterSeconds?: number }) {
    super(503, code, message, {
      ...options,
      headers: { 'retry-after': String(options?.retryAfterSeconds ?? 1) },
    });
    this.name = 'UnavailableError';
  }
}
