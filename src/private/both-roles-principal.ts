import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DependencyGroup } from 'constructs';

/**
 * The principal of a service with two roles (the Lambda function's and the Fargate task's): an identity statement
 * goes into both roles' policies, so `table.grantReadData(service)` reaches both sides. CDK's `CompositePrincipal`
 * adds no identity statements, hence this class.
 *
 * A grant that must go into a resource policy instead (a resource in another account, or a role that cannot be
 * changed) names both roles there: the policy fragment lists both ARNs. When only one role could take the statement,
 * the grant reports it as not added, so CDK falls back to the resource policy rather than granting one side only.
 */
export class BothRolesPrincipal extends iam.PrincipalBase {
  public readonly assumeRoleAction = 'sts:AssumeRole';
  public readonly principalAccount: string | undefined;

  constructor(private readonly roles: iam.IRole[]) {
    super();
    this.principalAccount = roles[0].principalAccount;
  }

  public get policyFragment(): iam.PrincipalPolicyFragment {
    return new iam.PrincipalPolicyFragment({ AWS: this.roles.map(role => role.roleArn) });
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    const results = this.roles.map(role => role.addToPrincipalPolicy(statement));
    const dependable = new DependencyGroup();
    for (const result of results) {
      if (result.policyDependable) {
        dependable.add(result.policyDependable);
      }
    }
    return { statementAdded: results.every(result => result.statementAdded), policyDependable: dependable };
  }

  public dedupeString(): string | undefined {
    return `BothRolesPrincipal:${this.roles.map(role => Stack.of(role).resolve(role.roleArn)).map(r => JSON.stringify(r)).join(',')}`;
  }

  public toString(): string {
    return `BothRolesPrincipal(${this.roles.map(role => role.node.path).join(', ')})`;
  }
}
