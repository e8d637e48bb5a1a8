import { Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Record why a cdk-nag rule does not apply to a resource this construct creates. Uses the CDK's own
 * acknowledgement metadata (read by cdk-nag 3), so the library needs no runtime dependency on cdk-nag.
 */
export function acknowledgeRule(scope: IConstruct, ruleId: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: ruleId, reason });
}

/**
 * Record why a wildcard in one resource of a role's policies is needed (cdk-nag AwsSolutions-IAM5). cdk-nag names
 * such a finding by the resource flattened to text, references written as `<LogicalId>` or `<LogicalId.Attribute>`
 * (its documented suppression format); this builds the same name from the resource's CloudFormation value. The name
 * holds `<AWS::Partition>`, whose `::` `Validations.acknowledge` rejects (it reserves `::` for a rule prefix), so the
 * acknowledgement is written to the same metadata entry that method writes and cdk-nag reads.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const ruleId = `AwsSolutions-IAM5[Resource::${flattenReference(Stack.of(scope).resolve(resource))}]`;
  scope.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [ruleId]: reason });
}

/**
 * Record why an AWS managed policy on a role is needed (cdk-nag AwsSolutions-IAM4). cdk-nag names the finding by the
 * policy's ARN with `<AWS::Partition>`, whose `::` `Validations.acknowledge` rejects, so it is written like
 * `acknowledgeWildcardResource` does.
 */
export function acknowledgeManagedPolicy(scope: IConstruct, managedPolicyName: string, reason: string): void {
  const ruleId = `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${managedPolicyName}]`;
  scope.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [ruleId]: reason });
}

function flattenReference(value: unknown): string {
  if (typeof value === 'string') {
    return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  }
  const node = value as Record<string, any>;
  if (node?.['Fn::Join']) {
    const [delimiter, items] = node['Fn::Join'];
    return (items as unknown[]).map(flattenReference).join(delimiter);
  }
  if (node?.['Fn::GetAtt']) {
    const [logicalId, attribute] = node['Fn::GetAtt'];
    return `<${flattenReference(logicalId)}.${flattenReference(attribute)}>`;
  }
  if (node?.Ref) {
    return `<${flattenReference(node.Ref)}>`;
  }
  return JSON.stringify(value);
}
