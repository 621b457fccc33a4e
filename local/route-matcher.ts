import { InvalidRouteTableError } from './errors';

/** One route as API Gateway HTTP APIs define it: `METHOD /path/{param}` and its target. */
export interface RouteDefinition<T> {
  /** An HTTP method, or `ANY`. */
  readonly method: string;
  /** The resource path, with `{param}` placeholders and at most one trailing `{name+}`. */
  readonly path: string;
  readonly target: T;
}

/** The route chosen for a request. */
export interface RouteMatch<T> {
  /** `GET /v2/models/{name}`, or `$default` when no route matched. */
  readonly routeKey: string;
  readonly target: T;
  /** Absent when the route has no path variables (as in the Lambda event). */
  readonly pathParameters?: Readonly<Record<string, string>>;
}

/** The route key API Gateway uses for requests that match no route. */
export const DEFAULT_ROUTE_KEY = '$default';

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY']);
const PARAM = /^\{([A-Za-z0-9._-]+)(\+?)\}$/;

/** Segment kinds, ordered so that a higher rank is more specific. */
const GREEDY = 0;
const VARIABLE = 1;
const LITERAL = 2;

interface Segment {
  readonly rank: typeof GREEDY | typeof VARIABLE | typeof LITERAL;
  /** The literal text, or the variable's name. */
  readonly text: string;
}

interface CompiledRoute<T> {
  readonly routeKey: string;
  readonly method: string;
  readonly segments: readonly Segment[];
  readonly greedy: boolean;
  readonly target: T;
}

/**
 * Route selection as API Gateway HTTP APIs do it. A request matches a route when the
 * method is equal (or the route's is `ANY`) and the path matches segment by segment:
 * a literal equals the segment, `{name}` takes one non-empty segment, a trailing
 * `{name+}` takes one or more. Of several matches the most specific wins: a full match
 * beats a greedy one; then, reading left to right, a literal segment beats a variable;
 * then an explicit method beats `ANY`. No match goes to the `$default` route.
 *
 * Matching runs on the decoded path (see `parseRequestTarget`), so an encoded `%2F`
 * separates segments, as it does in AWS.
 *
 * @example
 * const table = RouteTable.create([{ method: 'GET', path: '/v2/models/{name}', target: 'inference' }], 'inference');
 * table.match('GET', '/v2/models/resnet'); // { routeKey: 'GET /v2/models/{name}', pathParameters: { name: 'resnet' }, ... }
 */
export class RouteTable<T> {
  private constructor(
    private readonly routes: readonly CompiledRoute<T>[],
    private readonly defaultTarget: T,
  ) {}

  /**
   * Checks the routes as API Gateway would (methods, placeholders, duplicates and
   * ambiguous shapes) and throws one `InvalidRouteTableError` listing every problem.
   */
  public static create<T>(routes: readonly RouteDefinition<T>[], defaultTarget: T): RouteTable<T> {
    const problems: string[] = [];
    const compiled: CompiledRoute<T>[] = [];
    const shapes = new Map<string, string>();
    for (const route of routes) {
      const routeKey = `${route.method} ${route.path}`;
      const routeProblems = checkRoute(route);
      if (routeProblems.length > 0) {
        problems.push(...routeProblems.map((problem) => `${routeKey}: ${problem}`));
        continue;
      }
      const segments = route.path.slice(1).split('/').map(toSegment);
      const shape = `${route.method} /${segments.map((s) => (s.rank === LITERAL ? s.text : s.rank === VARIABLE ? '{}' : '{+}')).join('/')}`;
      const clash = shapes.get(shape);
      if (clash !== undefined) {
        problems.push(`${routeKey}: conflicts with ${clash} (the same route, whatever the variable names)`);
        continue;
      }
      shapes.set(shape, routeKey);
      const greedy = segments.some((segment) => segment.rank === GREEDY);
      compiled.push({ routeKey, method: route.method, segments, greedy, target: route.target });
    }
    if (problems.length > 0) throw new InvalidRouteTableError(problems);
    return new RouteTable(compiled, defaultTarget);
  }

  /**
   * The route for a request.
   *
   * @param method - the request method, upper case
   * @param path - the decoded request path, starting with `/`
   */
  public match(method: string, path: string): RouteMatch<T> {
    const requestSegments = path.slice(1).split('/');
    let best: CompiledRoute<T> | undefined;
    for (const route of this.routes) {
      if (route.method !== method && route.method !== 'ANY') continue;
      if (!matches(route, requestSegments)) continue;
      if (best === undefined || isMoreSpecific(route, best)) best = route;
    }
    if (best === undefined) return { routeKey: DEFAULT_ROUTE_KEY, target: this.defaultTarget };
    const pathParameters = extractParameters(best, requestSegments);
    return pathParameters === undefined
      ? { routeKey: best.routeKey, target: best.target }
      : { routeKey: best.routeKey, target: best.target, pathParameters };
  }
}

function checkRoute(route: RouteDefinition<unknown>): string[] {
  const problems: string[] = [];
  if (!METHODS.has(route.method)) problems.push(`method must be one of ${[...METHODS].join(', ')}`);
  if (!route.path.startsWith('/')) {
    problems.push('path must start with "/"');
    return problems;
  }
  const parts = route.path.slice(1).split('/');
  const names = new Set<string>();
  parts.forEach((part, index) => {
    const param = PARAM.exec(part);
    if (param === null) {
      if (part.includes('{') || part.includes('}'))
        problems.push(`segment "${part}" must be a whole {variable} or contain no braces`);
      return;
    }
    const [, name = '', plus] = param;
    if (names.has(name)) problems.push(`variable {${name}} appears twice`);
    names.add(name);
    if (plus === '+' && index !== parts.length - 1)
      problems.push(`greedy variable {${name}+} must be the last segment`);
  });
  return problems;
}

function toSegment(part: string): Segment {
  const param = PARAM.exec(part);
  if (param === null) return { rank: LITERAL, text: part };
  const [, name = '', plus] = param;
  return { rank: plus === '+' ? GREEDY : VARIABLE, text: name };
}

function matches(route: CompiledRoute<unknown>, request: readonly string[]): boolean {
  const { segments } = route;
  if (route.greedy ? request.length < segments.length : request.length !== segments.length) return false;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const value = request[i];
    if (segment === undefined || value === undefined) return false;
    if (segment.rank === LITERAL) {
      if (segment.text !== value) return false;
    } else if (segment.rank === VARIABLE) {
      if (value === '') return false;
    } else if (request.slice(i).join('/') === '') {
      return false;
    }
  }
  return true;
}

/** Whether `a` wins over `b` when both match the same request. */
function isMoreSpecific(a: CompiledRoute<unknown>, b: CompiledRoute<unknown>): boolean {
  if (a.greedy !== b.greedy) return !a.greedy;
  const length = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const rankA = a.segments[i]?.rank ?? GREEDY;
    const rankB = b.segments[i]?.rank ?? GREEDY;
    if (rankA !== rankB) return rankA > rankB;
    if (rankA === GREEDY) break;
  }
  return a.method !== 'ANY' && b.method === 'ANY';
}

function extractParameters(
  route: CompiledRoute<unknown>,
  request: readonly string[],
): Record<string, string> | undefined {
  let parameters: Record<string, string> | undefined;
  route.segments.forEach((segment, i) => {
    if (segment.rank === LITERAL) return;
    parameters ??= {};
    parameters[segment.text] = segment.rank === GREEDY ? request.slice(i).join('/') : (request[i] ?? '');
  });
  return parameters;
}
