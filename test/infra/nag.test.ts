import { Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { at, asArray, isRecord, synthApp } from './support/app';

/** Every acknowledgment recorded in the tree: rule id, reason and where. */
function acknowledgments(root: IConstruct): { id: string; reason: string; path: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY && isRecord(entry.data))
      .flatMap((entry) =>
        Object.entries(isRecord(entry.data) ? entry.data : {}).map(([id, reason]) => ({
          id: id.replace(/^annotation::/i, ''),
          reason: typeof reason === 'string' ? reason : JSON.stringify(reason),
          path: construct.node.path,
        })),
      ),
  );
}

const GENERIC_REASONS =
  /^(n\/?a|none|ok|not needed|not applicable|false positive|suppressed|by design|intended)\.?$/i;

describe('cdk-nag AwsSolutionsChecks', () => {
  const variants: [string, Record<string, unknown>][] = [
    ['dev with GPU endpoints', {}],
    ['prod with GPU endpoints and alarm e-mail', { stage: 'prod', alarmEmail: 'ops@example.com' }],
    ['dev without GPU endpoints', { gpuEndpoints: false }],
  ];

  it.each(variants)('reports no unacknowledged finding for %s', (_name, context) => {
    const { app } = synthApp(context);

    const report = new AwsSolutionsChecks().validateScope(app);

    const findings = report.violations.map(
      (violation) =>
        `${violation.severity} ${violation.ruleName}: ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('leaves no error or warning annotation on the stack', () => {
    const { stack } = synthApp({ stage: 'prod' });

    const annotations = Annotations.fromStack(stack);

    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('runs as a validation plugin of the app, whose report has no violation', () => {
    const { app } = synthApp();

    const assembly = app.synth();

    const report: unknown = JSON.parse(
      readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'),
    );
    const violations = asArray(at(report, 'pluginReports')).flatMap((plugin) =>
      asArray(at(plugin, 'violations')),
    );
    expect(violations).toEqual([]);
  });

  it('fails synthesis on a finding nobody acknowledged (the plugin is registered and enforcing)', () => {
    const { app, stack } = synthApp();
    new Bucket(stack, 'UnloggedBucket');

    expect(() => app.synth({ force: true })).toThrow(/AwsSolutions-S1[\s\S]*AwsSolutions-S10/);
  });

  it('acknowledges only with reasons specific to this design', () => {
    const { app } = synthApp();

    const found = acknowledgments(app);

    expect(found.length).toBeGreaterThan(10);
    for (const { id, reason, path: where } of found) {
      expect({ id, where, reason: reason.trim() }).toEqual({
        id,
        where,
        reason: expect.stringMatching(/\S/),
      });
      expect(GENERIC_REASONS.test(reason.trim())).toBe(false);
      expect(reason.split(/\s+/).length).toBeGreaterThanOrEqual(12);
    }
    const reasonsById = new Map<string, Set<string>>();
    for (const { id, reason } of found) reasonsById.set(id, (reasonsById.get(id) ?? new Set()).add(reason));
    const byReason = new Map<string, Set<string>>();
    for (const [id, reasons] of reasonsById) {
      for (const reason of reasons) byReason.set(reason, (byReason.get(reason) ?? new Set()).add(id));
    }
    // One reason is never copied onto a different rule: each says why that finding is fine.
    for (const [reason, ids] of byReason)
      expect({ reason, ids: [...ids] }).toEqual({ reason, ids: [expect.any(String)] });
  });

  it('acknowledges nothing outside the platform’s own constructs', () => {
    const { app, stack } = synthApp();

    const found = acknowledgments(app);

    for (const { path: where } of found) expect(where.startsWith(`${stack.stackName}/`)).toBe(true);
  });
});
