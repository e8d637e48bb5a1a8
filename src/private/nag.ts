import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Record why a cdk-nag rule does not apply to a resource this construct creates. Uses the CDK's own
 * acknowledgement metadata (read by cdk-nag 3), so the library needs no runtime dependency on cdk-nag.
 */
export function acknowledgeRule(scope: IConstruct, ruleId: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: ruleId, reason });
}
