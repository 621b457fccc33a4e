import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type InfergateConfig, readConfig } from './config';
import { InfergateStack } from './infergate-stack';

/** Name of the stack of one stage, so that dev and prod can share an account. */
export function stackNameFor(config: InfergateConfig): string {
  return `Infergate-${config.stage}`;
}

/**
 * Builds the CDK app from its context, with cdk-nag's AWS Solutions checks as a
 * validation plugin (synthesis fails on any unacknowledged error).
 *
 * @example
 * const app = createApp(new App({ context: { stage: 'prod' } }));
 */
export function createApp(app: App): { app: App; stack: InfergateStack; config: InfergateConfig } {
  const config = readConfig((key) => app.node.tryGetContext(key));
  const stack = new InfergateStack(app, stackNameFor(config), {
    config,
    description: `Infergate (${config.stage}): serverless model-as-a-service`,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, config };
}

if (require.main === module) {
  createApp(new App());
}
