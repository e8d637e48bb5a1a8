import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { BothRolesPrincipal } from '../../src/private/both-roles-principal';
import { TEST_ENV } from '../helpers';

function setup() {
  const stack = new Stack(new App(), 'S', { env: TEST_ENV });
  const a = new iam.Role(stack, 'A', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const b = new iam.Role(stack, 'B', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  return { stack, a, b };
}

describe('BothRolesPrincipal', () => {
  test('an identity statement goes into both roles', () => {
    const { stack, a, b } = setup();
    const statement = new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] });
    const result = new BothRolesPrincipal([a, b]).addToPrincipalPolicy(statement);
    expect(result.statementAdded).toBe(true);
    for (const role of [a, b]) {
      const policy = role.node.tryFindChild('DefaultPolicy') as iam.Policy;
      expect(stack.resolve(policy.document.toJSON()).Statement).toEqual([{ Action: 's3:GetObject', Effect: 'Allow', Resource: '*' }]);
    }
  });

  test('when one role cannot take the statement, the grant falls back to the resource policy naming both roles', () => {
    const { stack, a, b } = setup();
    const refusing: iam.IRole = Object.assign(Object.create(b), { addToPrincipalPolicy: () => ({ statementAdded: false }) });
    const principal = new BothRolesPrincipal([a, refusing]);
    const queue = new sqs.Queue(stack, 'Q');
    const grant = queue.grantSendMessages({ grantPrincipal: principal });
    expect(grant.principalStatements).toHaveLength(0);
    expect(grant.resourceStatements).toHaveLength(1);
    expect(stack.resolve(grant.resourceStatements[0].toStatementJson().Principal)).toEqual({
      AWS: [stack.resolve(a.roleArn), stack.resolve(b.roleArn)],
    });
  });

  test('its policy fragment lists both role ARNs', () => {
    const { stack, a, b } = setup();
    expect(stack.resolve(new BothRolesPrincipal([a, b]).policyFragment.principalJson)).toEqual({
      AWS: [stack.resolve(a.roleArn), stack.resolve(b.roleArn)],
    });
  });
});
