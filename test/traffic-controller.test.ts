import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HybridAlbService, TrafficMode } from '../src';
import { build, buildError } from './helpers';

function controllerEnvironment(template: Template): Record<string, any> {
  const functions = Object.values<any>(template.findResources('AWS::Lambda::Function', {
    Properties: { Description: 'Moves traffic between the Lambda and Fargate target groups' },
  }));
  expect(functions).toHaveLength(1);
  return functions[0].Properties.Environment.Variables;
}

function policyStatements(template: Template): any[] {
  return Object.values<any>(template.findResources('AWS::IAM::Policy'))
    .filter(p => JSON.stringify(p.Properties.Roles).includes('ControllerRole'))
    .flatMap(p => p.Properties.PolicyDocument.Statement);
}

describe('traffic controller', () => {
  let template: Template;
  let service: HybridAlbService;
  let stack: Stack;
  beforeAll(() => {
    ({ template, service, stack } = build());
  });
  const ref = (c: any) => stack.getLogicalId(c.node.defaultChild);

  test('scale-out alarm: load balancer RequestCount sum above 1200 per minute for 2 of 2 minutes', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('^Sustained load'),
      MetricName: 'RequestCount',
      Namespace: 'AWS/ApplicationELB',
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1200,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      Dimensions: [{ Name: 'LoadBalancer', Value: { 'Fn::GetAtt': [ref(service.loadBalancer), 'LoadBalancerFullName'] } }],
    });
  });

  test('scale-in alarm: below 300 per minute for 10 minutes, a minute without requests counts as low', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('^Low load'),
      MetricName: 'RequestCount',
      Threshold: 300,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 10,
      TreatMissingData: 'breaching',
    });
  });

  test('Fargate error and overload alarms watch the Fargate target group', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'HTTPCode_Target_5XX_Count',
      Threshold: 10,
      Dimensions: Match.arrayWith([{ Name: 'TargetGroup', Value: { 'Fn::GetAtt': [ref(service.fargateTargetGroup), 'TargetGroupFullName'] } }]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'RequestCountPerTarget',
      Threshold: 3600,
      EvaluationPeriods: 2,
    });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
  });

  test('mode parameter holds auto and only accepts auto, lambda or fargate', () => {
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Type: 'String',
      Value: 'auto',
      AllowedPattern: '^(auto|lambda|fargate)$',
    });
  });

  test('controller function: bundled Node.js 24 handler with the environment contract', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Moves traffic between the Lambda and Fargate target groups',
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Timeout: 60,
      MemorySize: 256,
      ReservedConcurrentExecutions: 1,
    });
    const env = controllerEnvironment(template);
    expect(Object.keys(env).sort()).toEqual([
      'AWS_NODEJS_CONNECTION_REUSE_ENABLED', 'CLUSTER_NAME', 'CONTROLLER_CONFIG', 'FARGATE_ERROR_ALARM_NAME', 'FARGATE_TARGET_GROUP_ARN',
      'LAMBDA_TARGET_GROUP_ARN', 'LISTENER_ARN', 'LOAD_BALANCER_FULL_NAME', 'MODE_PARAMETER_NAME', 'OVERLOAD_ALARM_NAME',
      'POLL_INTERVAL_SECONDS', 'RECONCILE_RULE_NAME', 'SCALE_IN_ALARM_NAME', 'SCALE_OUT_ALARM_NAME', 'SERVICE_NAME',
    ]);
    expect(env.LISTENER_ARN).toEqual({ Ref: ref(service.listener) });
    expect(env.FARGATE_TARGET_GROUP_ARN).toEqual({ Ref: ref(service.fargateTargetGroup) });
    expect(env.POLL_INTERVAL_SECONDS).toBe('5');
    expect(JSON.parse(env.CONTROLLER_CONFIG)).toEqual({
      shiftOutSteps: [10, 50, 100],
      shiftOutPauseSeconds: 30,
      shiftBackSteps: [50, 20, 0],
      shiftBackPauseSeconds: 60,
      minTasks: 1,
      maxTasks: 10,
      requestsPerTaskPerMinute: 3000,
      minFargateSeconds: 600,
      drainSeconds: 30,
      overflowLambdaWeight: 0,
    });
  });

  test('reconcile schedule exists disabled, so the controller costs nothing at rest', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'DISABLED',
      Name: controllerEnvironment(template).RECONCILE_RULE_NAME,
    });
  });

  test('alarm state changes of its own alarms invoke the controller', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        'resources': Match.arrayWith([{ 'Fn::GetAtt': [ref(service.controller.scaleOutAlarm), 'Arn'] }]),
      },
      State: 'ENABLED',
    });
  });

  test('mode parameter changes invoke the controller', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.ssm'],
        'detail-type': ['Parameter Store Change'],
        'detail': { name: [{ Ref: ref(service.controller.modeParameter) }] },
      },
    });
  });

  test('a stack update or replacement of the listener, the service, its scalable target or the schedule invokes the repair', () => {
    const rules = Object.values<any>(template.findResources('AWS::Events::Rule'))
      .filter(r => r.Properties.EventPattern?.source?.[0] === 'aws.cloudformation');
    expect(rules).toHaveLength(1);
    const detail = rules[0].Properties.EventPattern.detail;
    expect(detail['stack-id']).toEqual([{ Ref: 'AWS::StackId' }]);
    expect(detail['status-details']).toEqual({ status: ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE'] });
    const scalableTarget = Object.keys(template.findResources('AWS::ApplicationAutoScaling::ScalableTarget'))[0];
    expect(detail['logical-resource-id'].sort()).toEqual(
      [ref(service.listener), ref(service.service), scalableTarget, ref(service.controller.reconcileRule)].sort());
  });

  test('a stopping task of this service invokes the controller at once', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        'detail': {
          clusterArn: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('ServiceCluster'), 'Arn'] }],
          group: [{ 'Fn::Join': ['', ['service:', { 'Fn::GetAtt': [ref(service.service), 'Name'] }]] }],
          lastStatus: ['DEACTIVATING', 'STOPPING', 'STOPPED'],
        },
      },
    });
  });

  test('writes are scoped to this listener, target group, service and rule', () => {
    const statements = policyStatements(template);
    const bySid = (sid: string) => statements.find(s => s.Sid === sid);
    expect(bySid('ShiftWeights')).toMatchObject({ Action: 'elasticloadbalancing:ModifyListener', Resource: { Ref: ref(service.listener) } });
    expect(bySid('RecordMarks')).toMatchObject({ Action: 'elasticloadbalancing:AddTags', Resource: { Ref: ref(service.fargateTargetGroup) } });
    expect(bySid('ScaleService')).toMatchObject({ Action: ['ecs:UpdateService', 'ecs:DescribeServices'], Resource: { Ref: ref(service.service) } });
    expect(bySid('ToggleReconcile')).toMatchObject({
      Action: ['events:EnableRule', 'events:DisableRule'],
      Resource: { 'Fn::GetAtt': [ref(service.controller.reconcileRule), 'Arn'] },
    });
    expect(bySid('ReadAlarms').Resource).toHaveLength(4);
    // Only read-only or unscopable actions use a wildcard resource.
    const wildcardActions = statements.filter(s => s.Resource === '*').flatMap(s => [].concat(s.Action)).sort();
    expect(wildcardActions).toEqual([
      'application-autoscaling:DescribeScalableTargets',
      'application-autoscaling:RegisterScalableTarget',
      'cloudwatch:GetMetricData',
      'elasticloadbalancing:DescribeListeners',
      'elasticloadbalancing:DescribeTags',
      'elasticloadbalancing:DescribeTargetHealth',
    ]);
  });

  test('scaling options reach the alarms and the controller config', () => {
    const built = build({
      fargate: { maxTasks: 6, requestsPerTaskPerMinute: 2000, deregistrationDelay: Duration.seconds(20) },
      scaling: {
        mode: TrafficMode.LAMBDA,
        scaleOutRequestsPerMinute: 5000,
        scaleOutPeriods: 2,
        scaleInRequestsPerMinute: 1000,
        scaleInPeriods: 15,
        shiftOutSteps: [25, 100],
        shiftOutPause: Duration.seconds(15),
        shiftBackSteps: [60, 30, 0],
        shiftBackPause: Duration.seconds(45),
        minTasks: 2,
        minFargateDuration: Duration.minutes(20),
        drainDuration: Duration.seconds(40),
        overflowLambdaWeight: 20,
        fargateErrorsPerMinute: 3,
        pollInterval: Duration.seconds(10),
      },
    });
    built.template.hasResourceProperties('AWS::SSM::Parameter', { Value: 'lambda' });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 5000, EvaluationPeriods: 2 });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 1000, EvaluationPeriods: 15 });
    built.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'HTTPCode_Target_5XX_Count', Threshold: 3 });
    const env = controllerEnvironment(built.template);
    expect(env.POLL_INTERVAL_SECONDS).toBe('10');
    expect(JSON.parse(env.CONTROLLER_CONFIG)).toEqual({
      shiftOutSteps: [25, 100],
      shiftOutPauseSeconds: 15,
      shiftBackSteps: [60, 30, 0],
      shiftBackPauseSeconds: 45,
      minTasks: 2,
      maxTasks: 6,
      requestsPerTaskPerMinute: 2000,
      minFargateSeconds: 1200,
      drainSeconds: 40,
      overflowLambdaWeight: 20,
    });
  });

  test('serializeController false leaves the controller unreserved', () => {
    const built = build({ scaling: { serializeController: false } });
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Moves traffic between the Lambda and Fargate target groups',
      ReservedConcurrentExecutions: Match.absent(),
    });
  });

  test('default drain window follows the deregistration delay', () => {
    const built = build({ fargate: { deregistrationDelay: Duration.seconds(45) } });
    expect(JSON.parse(controllerEnvironment(built.template).CONTROLLER_CONFIG).drainSeconds).toBe(60);
  });
});

describe('scaling validation', () => {
  test.each([
    ['scale-in not below scale-out', { scaleOutRequestsPerMinute: 600, scaleInRequestsPerMinute: 600 },
      /scaling.scaleInRequestsPerMinute 600 must be below scaling.scaleOutRequestsPerMinute 600/],
    ['scaleOutRequestsPerMinute', { scaleOutRequestsPerMinute: 0 }, /scaling.scaleOutRequestsPerMinute 0 is not allowed; use an integer from 1/],
    ['scaleOutPeriods', { scaleOutPeriods: 0 }, /scaling.scaleOutPeriods 0 is not allowed; use an integer from 1 to 1440/],
    ['scaleInPeriods', { scaleInPeriods: 2000 }, /scaling.scaleInPeriods 2000 is not allowed; use an integer from 1 to 1440/],
    ['steps not increasing', { shiftOutSteps: [50, 10, 100] }, /scaling.shiftOutSteps must be strictly increasing integers in 1..100 ending at 100; got \[50, 10, 100\]/],
    ['steps not ending at 100', { shiftOutSteps: [10, 50] }, /scaling.shiftOutSteps must be strictly increasing integers in 1..100 ending at 100; got \[10, 50\]/],
    ['steps out of range', { shiftOutSteps: [0, 100] }, /scaling.shiftOutSteps must be strictly increasing integers in 1..100/],
    ['back steps not ending at 0', { shiftBackSteps: [50, 20] }, /scaling.shiftBackSteps must be strictly decreasing integers in 0..99 ending at 0; got \[50, 20\]/],
    ['minTasks', { minTasks: 0 }, /scaling.minTasks must be an integer >= 1/],
    ['minTasks above maxTasks', { minTasks: 20 }, /scaling.minTasks 20 exceeds fargate.maxTasks 10/],
    ['overflowLambdaWeight', { overflowLambdaWeight: 100 }, /scaling.overflowLambdaWeight must be an integer in 0..99/],
    ['drain shorter than deregistration', { drainDuration: Duration.seconds(5) }, /scaling.drainDuration 5 seconds is shorter than fargate.deregistrationDelay 15 seconds/],
    ['pollInterval', { pollInterval: Duration.seconds(60) }, /scaling.pollInterval 60 is not allowed; use an integer from 1 to 30 seconds/],
    ['fargateErrorsPerMinute', { fargateErrorsPerMinute: 0 }, /scaling.fargateErrorsPerMinute 0 is not allowed/],
  ])('%s', (_name, scaling, message) => {
    expect(buildError({ scaling: scaling as any })).toThrow(message);
  });
});
