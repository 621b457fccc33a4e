import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createApp } from '../../../infra/app';
import type { InfergateStack } from '../../../infra/infergate-stack';

/** The context a fresh clone deploys with (cdk.json). */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson: unknown = JSON.parse(
    readFileSync(path.join(__dirname, '..', '..', '..', 'cdk.json'), 'utf8'),
  );
  const context = at(cdkJson, 'context');
  if (!isRecord(context)) throw new Error('cdk.json has no context');
  return context;
}

/** CDK skips asset bundling for stacks not listed here (how `cdk ls` stays fast). */
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

export interface TestApp {
  readonly app: App;
  readonly stack: InfergateStack;
  readonly template: Template;
}

/**
 * The real app (infra/app.ts) with cdk.json's context plus `context`, synthesized. Bundling
 * is skipped unless `bundle` is set: template tests need no asset contents.
 */
export function synthApp(
  context: Record<string, unknown> = {},
  options: { bundle?: boolean; outdir?: string } = {},
): TestApp {
  const app = new App({
    context: { ...cdkJsonContext(), ...(options.bundle === true ? {} : SKIP_BUNDLING), ...context },
    outdir: options.outdir,
  });
  const { stack } = createApp(app);
  return { app, stack, template: Template.fromStack(stack) };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `keys` inside parsed JSON, or undefined. */
export function at(value: unknown, ...keys: (string | number)[]): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof key === 'number') {
      if (!Array.isArray(current)) return undefined;
      current = current[key];
    } else {
      if (!isRecord(current)) return undefined;
      current = current[key];
    }
  }
  return current;
}

/** `value` as an array (a single value becomes a one-element array). */
export function asArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** The resources of one type, as [logicalId, resource] pairs. */
export function resourcesOf(template: Template, type: string): [string, Record<string, unknown>][] {
  const found: unknown = template.findResources(type);
  if (!isRecord(found)) return [];
  return Object.entries(found).flatMap(([id, resource]) => (isRecord(resource) ? [[id, resource]] : []));
}

/** The logical id of the only resource of `type`. */
export function onlyLogicalId(template: Template, type: string): string {
  const found = resourcesOf(template, type);
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  const [entry] = found;
  if (entry === undefined) throw new Error(`no ${type}`);
  return entry[0];
}

/** Every IAM statement of the template's identity policies, with the policy's logical id. */
export function identityStatements(
  template: Template,
): { policy: string; statement: Record<string, unknown> }[] {
  return resourcesOf(template, 'AWS::IAM::Policy').flatMap(([policy, resource]) =>
    asArray(at(resource, 'Properties', 'PolicyDocument', 'Statement')).flatMap((statement) =>
      isRecord(statement) ? [{ policy, statement }] : [],
    ),
  );
}

/** The statements of the identity policy attached to `roleLogicalId`. */
export function statementsOfRole(template: Template, roleLogicalId: string): Record<string, unknown>[] {
  return resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, resource]) =>
      asArray(at(resource, 'Properties', 'Roles')).some((role) => at(role, 'Ref') === roleLogicalId),
    )
    .flatMap(([, resource]) =>
      asArray(at(resource, 'Properties', 'PolicyDocument', 'Statement')).filter(isRecord),
    );
}

/** Logical id of the role of the function whose logical id starts with `prefix`. */
export function roleOfFunction(template: Template, prefix: string): string {
  const fn = resourcesOf(template, 'AWS::Lambda::Function').find(([id]) => id.startsWith(prefix));
  const role = at(fn?.[1], 'Properties', 'Role', 'Fn::GetAtt', 0);
  if (typeof role !== 'string') throw new Error(`no function ${prefix}* with a role`);
  return role;
}
