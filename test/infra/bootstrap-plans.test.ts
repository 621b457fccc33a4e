import { Match } from 'aws-cdk-lib/assertions';
import { DEFAULT_PLANS } from '../../functions/core/plans/default-plans';
import { synthApp } from './support/app';

describe('bootstrap custom resource and the default plans', () => {
  it('names the default plans, so that a deploy adding plans (an upgrade) runs its Update', () => {
    const { template } = synthApp();

    template.hasResourceProperties('Custom::InfergateBootstrapAdminKey', {
      TableName: Match.anyValue(),
      SecretId: Match.anyValue(),
      DefaultPlans: DEFAULT_PLANS.map((plan) => plan.planId).join(','),
    });
    expect(DEFAULT_PLANS.map((plan) => plan.planId).join(',')).toBe('free,pro,enterprise');
  });
});
