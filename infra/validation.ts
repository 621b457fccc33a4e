/**
 * Props validation in the aws-solutions-constructs manner: a check collects every problem,
 * then throws once, so a wrong deployment is fixed in one round instead of one error at a
 * time.
 *
 * @example
 * const problems = new Problems('GpuEndpoint');
 * problems.check(props.minInstances >= 1, 'minInstances must be at least 1');
 * problems.throwIfAny();
 */
export class PropsValidationError extends Error {
  public readonly problems: readonly string[];

  public constructor(subject: string, problems: readonly string[]) {
    super(`Invalid ${subject}:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'PropsValidationError';
    this.problems = problems;
  }
}

export class Problems {
  private readonly found: string[] = [];

  public constructor(private readonly subject: string) {}

  /** Records `message` unless `condition` holds. */
  public check(condition: boolean, message: string): void {
    if (!condition) this.found.push(message);
  }

  public add(message: string): void {
    this.found.push(message);
  }

  public get list(): readonly string[] {
    return [...this.found];
  }

  public throwIfAny(): void {
    if (this.found.length > 0) throw new PropsValidationError(this.subject, this.found);
  }
}
