import { ForbiddenError, InfergateError } from '../errors';
import type { ModelVersion, Plan } from '../registry/types';

/**
 * Checks what a plan entitles a request to, before any limit is spent on it: the
 * version's tier (403 `tier_not_in_plan`), the model (403 `model_not_in_plan`) and the
 * size of the body (413 `payload_too_large`; the platform's own limit is checked earlier,
 * when the body is read).
 *
 * @example
 * checkEntitlements(plan, version, body.bytes);
 */
export function checkEntitlements(
  plan: Pick<Plan, 'planId' | 'allowedTiers' | 'allowedModels' | 'maxPayloadBytes'>,
  version: Pick<ModelVersion, 'modelName' | 'version' | 'tier'>,
  inputBytes: number,
): void {
  if (!plan.allowedTiers.includes(version.tier)) {
    throw new ForbiddenError(
      'tier_not_in_plan',
      `Model "${version.modelName}" version ${version.version} runs on the "${version.tier}" tier, which plan "${plan.planId}" does not include (it allows: ${plan.allowedTiers.join(', ') || 'none'})`,
    );
  }
  if (plan.allowedModels !== undefined && !plan.allowedModels.includes(version.modelName)) {
    throw new ForbiddenError(
      'model_not_in_plan',
      `Model "${version.modelName}" is not included in plan "${plan.planId}"`,
    );
  }
  if (inputBytes > plan.maxPayloadBytes) {
    throw new InfergateError(
      413,
      'payload_too_large',
      `The body is ${inputBytes} bytes; plan "${plan.planId}" allows at most ${plan.maxPayloadBytes}`,
    );
  }
}
