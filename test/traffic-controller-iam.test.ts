import { CfnElement } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { build, Built } from './helpers';

/** The statements of the controller role's default policy, picked by its logical ID. */
function controllerStatements(built: Built): any[] {
  const defaultPolicy = built.service.controller.node.findChild('Role').node.findChild('DefaultPolicy');
  const policyId = built.stack.getLogicalId(defaultPolicy.node.defaultChild as CfnElement);
  return built.template.toJSON().Resources[policyId].Properties.PolicyDocument.Statement;
}

/** The one statement that grants this action. */
function grantOf(statements: any[], action: string): any {
  const granting = statements.filter(s => [].concat(s.Action).includes(action as never));
  expect(granting).toHaveLength(1);
  return granting[0];
}

/** `arn:${Partition}:<service>:<region>:<account>:<resource>` followed by `parts`, as Fn::Join holds it. */
function arnJoin(service: string, resource: string, ...parts: unknown[]): unknown {
  return {
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:us-east-1:111111111111:${resource}`, ...parts]],
  };
}

describe('traffic controller permissions', () => {
  let built: Built;
  let statements: any[];
  beforeAll(() => {
    built = build();
    statements = controllerStatements(built);
  });
  const ref = (construct: IConstruct) => built.stack.getLogicalId(construct.node.defaultChild as CfnElement);

  test('weights: ModifyListener on this listener only', () => {
    expect(grantOf(statements, 'elasticloadbalancing:ModifyListener').Resource).toEqual({ Ref: ref(built.service.listener) });
  });

  test('marks: AddTags on the Fargate target group only', () => {
    expect(grantOf(statements, 'elasticloadbalancing:AddTags').Resource).toEqual({ Ref: ref(built.service.fargateTargetGroup) });
  });

  test('desired count: UpdateService and DescribeServices on this service only', () => {
    const statement = grantOf(statements, 'ecs:UpdateService');
    expect([].concat(statement.Action).sort()).toEqual(['ecs:DescribeServices', 'ecs:UpdateService']);
    expect(statement.Resource).toEqual({ Ref: ref(built.service.service) });
  });

  test('minimum capacity: RegisterScalableTarget only for ECS services\' desired count', () => {
    const statement = grantOf(statements, 'application-autoscaling:RegisterScalableTarget');
    expect(statement.Action).toBe('application-autoscaling:RegisterScalableTarget');
    expect(statement.Resource).toBe('*');
    expect(statement.Condition).toEqual({
      StringEquals: {
        'application-autoscaling:service-namespace': 'ecs',
        'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
      },
    });
  });

  test('DescribeScalableTargets has no condition: it supports neither key, and a condition on a missing key denies', () => {
    const statement = grantOf(statements, 'application-autoscaling:DescribeScalableTargets');
    expect(statement.Action).toBe('application-autoscaling:DescribeScalableTargets');
    expect(statement.Condition).toBeUndefined();
  });

  test('permission validation: the CloudWatch alarm actions on \'*\', since Application Auto Scaling probes them with no alarm name', () => {
    const statement = grantOf(statements, 'cloudwatch:PutMetricAlarm');
    expect(statement.Sid).toBe('ScalingPolicyAlarms');
    expect([].concat(statement.Action).sort()).toEqual(['cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarms', 'cloudwatch:PutMetricAlarm']);
    expect(statement.Resource).toBe('*');
  });

  test('alarm states: DescribeAlarms on the four controller alarms', () => {
    const controller = built.service.controller;
    const alarms = [controller.scaleOutAlarm, controller.scaleInAlarm, controller.fargateErrorAlarm, controller.overloadAlarm];
    const statement = statements.find(s => s.Sid === 'ReadAlarms');
    expect(statement.Action).toBe('cloudwatch:DescribeAlarms');
    expect(statement.Resource).toEqual(alarms.map(alarm => ({ 'Fn::GetAtt': [ref(alarm), 'Arn'] })));
  });

  test('tasks: ListTasks only in this service\'s cluster', () => {
    const statement = grantOf(statements, 'ecs:ListTasks');
    expect(statement.Resource).toBe('*');
    expect(statement.Condition).toEqual({ ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [ref(built.service.cluster), 'Arn'] } } });
  });

  test('tasks: DescribeTasks on the tasks of this service\'s cluster', () => {
    expect(grantOf(statements, 'ecs:DescribeTasks').Resource).toEqual(arnJoin('ecs', 'task/', { Ref: ref(built.service.cluster) }, '/*'));
  });

  test('mode: GetParameter on the mode parameter, by the ARN of its name', () => {
    const name: string = built.template.toJSON().Resources[ref(built.service.controller.modeParameter)].Properties.Name;
    expect(grantOf(statements, 'ssm:GetParameter').Resource).toEqual(arnJoin('ssm', `parameter${name}`));
  });

  test('metrics: GetMetricData, which takes no resource scoping', () => {
    expect(grantOf(statements, 'cloudwatch:GetMetricData').Resource).toBe('*');
  });

  test('schedule: EnableRule and DisableRule on the reconcile schedule only, in a policy of its own', () => {
    const toggle = built.service.controller.node.findChild('ToggleReconcilePolicy');
    const policy = built.template.toJSON().Resources[built.stack.getLogicalId(toggle.node.defaultChild as CfnElement)];
    expect(policy.Properties.PolicyDocument.Statement).toEqual([expect.objectContaining({
      Action: ['events:EnableRule', 'events:DisableRule'],
      Resource: { 'Fn::GetAtt': [ref(built.service.controller.reconcileRule), 'Arn'] },
    })]);
  });

  test('only reads, and writes held by a condition, use a wildcard resource', () => {
    const unconditioned = statements.filter(s => s.Resource === '*' && !s.Condition).flatMap(s => [].concat(s.Action)).sort();
    expect(unconditioned).toEqual([
      'application-autoscaling:DescribeScalableTargets',
      'cloudwatch:DeleteAlarms',
      'cloudwatch:DescribeAlarms',
      'cloudwatch:GetMetricData',
      'cloudwatch:PutMetricAlarm',
      'elasticloadbalancing:DescribeListeners',
      'elasticloadbalancing:DescribeTags',
      'elasticloadbalancing:DescribeTargetHealth',
    ]);
  });
});
