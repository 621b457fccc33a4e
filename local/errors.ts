/**
 * Errors of the local platform (`local/`). Nothing here runs in AWS: these report a local
 * setup that cannot work, with a message that says what to change.
 */
export class LocalPlatformError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LocalPlatformError';
  }
}

/** A route table that API Gateway would refuse; the message lists every problem. */
export class InvalidRouteTableError extends LocalPlatformError {
  public readonly problems: readonly string[];

  public constructor(problems: readonly string[]) {
    super(`Invalid route table:\n  - ${problems.join('\n  - ')}`);
    this.name = 'InvalidRouteTableError';
    this.problems = problems;
  }
}

/** The DynamoDB data directory is held by another local platform (LevelDB's lock). */
export class DataDirectoryLockedError extends LocalPlatformError {
  public readonly directory: string;

  public constructor(directory: string, options?: ErrorOptions) {
    super(
      `The local DynamoDB data directory ${directory} is in use by another process (or another server in ` +
        'this one). Stop the other local platform, or use a different directory or an in-memory run.',
      options,
    );
    this.name = 'DataDirectoryLockedError';
    this.directory = directory;
  }
}
