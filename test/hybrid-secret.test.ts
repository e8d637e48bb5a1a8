import { CfnElement } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Built, build, resourceOf, statementsOfRole } from './helpers';
import { HybridSecret } from '../src';

describe('secrets', () => {
  let built: Built;
  let secretId: string;
  beforeAll(() => {
    built = build({}, stack => {
      const secret = new secretsmanager.Secret(stack, 'DbSecret', { secretStringValue: undefined });
      secretId = stack.getLogicalId(secret.node.defaultChild as CfnElement);
      const key = new kms.Key(stack, 'ParameterKey');
      const parameter = ssm.StringParameter.fromSecureStringParameterAttributes(stack, 'ApiKey', { parameterName: '/app/api-key', encryptionKey: key });
      return {
        secrets: {
          DB_SECRET_ARN: HybridSecret.fromSecretsManager(secret),
          API_KEY_PARAMETER: HybridSecret.fromSsmParameter(parameter),
        },
      };
    });
  });

  test('each side gets a variable per secret holding its ARN or parameter name', () => {
    const lambdaVariables = resourceOf(built, built.service.lambdaFunction).Properties.Environment.Variables;
    expect(lambdaVariables).toMatchObject({ DB_SECRET_ARN: { Ref: secretId }, API_KEY_PARAMETER: '/app/api-key' });
    const containerVariables = resourceOf(built, built.service.taskDefinition).Properties.ContainerDefinitions[0].Environment;
    expect(containerVariables).toEqual(expect.arrayContaining([
      { Name: 'DB_SECRET_ARN', Value: { Ref: secretId } },
      { Name: 'API_KEY_PARAMETER', Value: '/app/api-key' },
    ]));
  });

  test('no value reaches the function or the task: the task definition has no ECS secrets', () => {
    expect(resourceOf(built, built.service.taskDefinition).Properties.ContainerDefinitions[0].Secrets).toBeUndefined();
  });

  test.each(['lambdaRole', 'taskRole'] as const)('the %s may read both secrets', role => {
    const statements = statementsOfRole(built, built.service[role]);
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: { Ref: secretId } }),
      expect.objectContaining({ Action: expect.arrayContaining(['ssm:GetParameter']) }),
      expect.objectContaining({ Action: 'kms:Decrypt' }),
    ]));
  });

  test('the execution role gets no secret access: ECS does not inject them', () => {
    const statements = statementsOfRole(built, built.service.executionRole);
    expect(JSON.stringify(statements)).not.toMatch(/secretsmanager|ssm:GetParameter/);
  });
});
