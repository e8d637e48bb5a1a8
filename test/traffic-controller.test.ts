import { CfnElement, CfnParameter, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { ScalingOptions, TrafficMode } from '../src';
import { build, buildError, Built } from './helpers';
import { CONTROLLER_DEFAULTS } from '../src/controller/tunables';

function logicalId(built: Built, construct: IConstruct): string {
  return built.stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

function resource(built: Built, construct: IConstruct): any {
  return built.template.toJSON().Resources[logicalId(built, construct)];
}

/** A rule of the controller that it does not expose. */
function controllerRule(built: Built, id: string): IConstruct {
  return built.service.controller.node.findChild(id);
}

function controllerEnvironment(built: Built): Record<string, any> {
  return resource(built, built.service.controller.function).Properties.Environment.Variables;
}

function controllerConfig(built: Built): Record<string, unknown> {
  return JSON.parse(controllerEnvironment(built).CONTROLLER_CONFIG);
}

describe('traffic controller', () => {
  let built: Built;
  beforeAll(() => {
    built = build();
  });
  const ref = (construct: IConstruct) => logicalId(built, construct);

  test('scale-out alarm: load balancer RequestCount sum above 1200 per minute for 2 of 2 minutes', () => {
    expect(resource(built, built.service.controller.scaleOutAlarm).Properties).toMatchObject({
      AlarmDescription: expect.stringMatching(/^Sustained load/),
      MetricName: 'RequestCount',
      Namespace: 'AWS/ApplicationELB',
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1200,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      Dimensions: [{ Name: 'LoadBalancer', Value: { 'Fn::GetAtt': [ref(built.service.loadBalancer), 'LoadBalancerFullName'] } }],
    });
  });

  test('scale-in alarm: below 300 per minute for 10 minutes, a minute without requests counts as low', () => {
    expect(resource(built, built.service.controller.scaleInAlarm).Properties).toMatchObject({
      MetricName: 'RequestCount',
      Threshold: 300,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: 10,
      TreatMissingData: 'breaching',
    });
  });

  test('Fargate error and overload alarms watch the Fargate target group', () => {
    const fargateGroup = { Name: 'TargetGroup', Value: { 'Fn::GetAtt': [ref(built.service.fargateTargetGroup), 'TargetGroupFullName'] } };
    const errors = resource(built, built.service.controller.fargateErrorAlarm).Properties;
    expect(errors).toMatchObject({ Threshold: 10, EvaluationPeriods: 1 });
    // Target 5xx and connection errors of the Fargate group, added.
    const queries: any[] = errors.Metrics;
    expect(queries.find((q) => q.Expression)?.Expression).toBe('FILL(errors5xx, 0) + FILL(connectionErrors, 0)');
    const metricOf = (id: string) => queries.find((q) => q.Id === id)?.MetricStat?.Metric;
    expect(metricOf('errors5xx')).toMatchObject({ MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: expect.arrayContaining([fargateGroup]) });
    expect(metricOf('connectionErrors')).toMatchObject({ MetricName: 'TargetConnectionErrorCount', Dimensions: expect.arrayContaining([fargateGroup]) });
    // 0.9 x the per-task capacity (1.25 x the 3,000 target = 3,750), one period: it wakes the controller.
    expect(resource(built, built.service.controller.overloadAlarm).Properties).toMatchObject({
      MetricName: 'RequestCountPerTarget',
      Threshold: 3375,
      EvaluationPeriods: 1,
      Dimensions: expect.arrayContaining([fargateGroup]),
    });
    built.template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
  });

  test('mode parameter holds auto and only accepts auto, lambda or fargate', () => {
    expect(resource(built, built.service.controller.modeParameter).Properties).toMatchObject({
      Type: 'String',
      Value: 'auto',
      AllowedPattern: '^(auto|lambda|fargate)$',
    });
  });

  test('mode parameter has a name known at synth, outside the prefixes SSM reserves (aws, ssm)', () => {
    const name = resource(built, built.service.controller.modeParameter).Properties.Name;
    expect(name).toMatch(/^\/hybrid-alb-service\/[A-Za-z0-9-]+\/mode$/);
    expect(controllerEnvironment(built).MODE_PARAMETER_NAME).toBe(name);
  });

  test('controller function: bundled Node.js 24 handler, 256 MB, 60 s, reserved concurrency 1', () => {
    expect(resource(built, built.service.controller.function).Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Timeout: 60,
      MemorySize: 256,
      ReservedConcurrentExecutions: 1,
    });
  });

  test('controller environment: the names and ARNs the handler reads', () => {
    const env = controllerEnvironment(built);
    expect(Object.keys(env).sort()).toEqual([
      'AWS_NODEJS_CONNECTION_REUSE_ENABLED', 'CLUSTER_NAME', 'CONTROLLER_CONFIG', 'FARGATE_ERROR_ALARM_NAME', 'FARGATE_TARGET_GROUP_ARN',
      'FARGATE_TARGET_GROUP_FULL_NAME', 'LAMBDA_TARGET_GROUP_ARN', 'LAMBDA_TARGET_GROUP_FULL_NAME', 'LISTENER_ARN', 'LOAD_BALANCER_FULL_NAME',
      'MODE_PARAMETER_NAME', 'OVERLOAD_ALARM_NAME', 'POLL_INTERVAL_SECONDS', 'RECONCILE_RULE_NAME', 'SCALE_IN_ALARM_NAME',
      'SCALE_OUT_ALARM_NAME', 'SERVICE_NAME',
    ]);
    expect(env.LISTENER_ARN).toEqual({ Ref: ref(built.service.listener) });
    expect(env.FARGATE_TARGET_GROUP_ARN).toEqual({ Ref: ref(built.service.fargateTargetGroup) });
    expect(env.POLL_INTERVAL_SECONDS).toBe('5');
  });

  test('the target groups\' full names reach the handler, for their metrics\' TargetGroup dimension', () => {
    const env = controllerEnvironment(built);
    expect(env.FARGATE_TARGET_GROUP_FULL_NAME).toEqual({ 'Fn::GetAtt': [ref(built.service.fargateTargetGroup), 'TargetGroupFullName'] });
    expect(env.LAMBDA_TARGET_GROUP_FULL_NAME).toEqual({ 'Fn::GetAtt': [ref(built.service.lambdaTargetGroup), 'TargetGroupFullName'] });
  });

  test('with default props the controller gets every field of its config, at the defaults of tunables.ts', () => {
    expect(controllerConfig(built)).toEqual({ ...CONTROLLER_DEFAULTS });
  });

  test('the new tunables default to what their docs state', () => {
    expect(controllerConfig(built)).toMatchObject({
      taskCapacityRequestsPerMinute: 3750,
      healthBackoffSeconds: 60,
      errorBackoffSeconds: 3600,
      maxBackoffSeconds: 4 * 3600,
      errorRateMargin: 0.02,
      recurrenceWindowSeconds: 3600,
      maxHoldSeconds: 4 * 3600,
      stepsWaitingForDatapoint: 0,
      scaleInRequestsPerMinute: 300,
      weightGranularity: 5,
      minErrors: 10,
      overloadResponseTimeRatio: 3,
    });
  });

  test('reconcile schedule exists disabled, so the controller costs nothing at rest', () => {
    expect(resource(built, built.service.controller.reconcileRule).Properties).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'DISABLED',
      Name: controllerEnvironment(built).RECONCILE_RULE_NAME,
    });
  });

  test('heartbeat: an enabled schedule invokes the controller every 15 minutes', () => {
    const properties = resource(built, built.service.controller.heartbeatRule).Properties;
    expect(properties).toMatchObject({ ScheduleExpression: 'rate(15 minutes)', State: 'ENABLED' });
    expect(properties.Targets).toEqual([expect.objectContaining({
      Arn: { 'Fn::GetAtt': [ref(built.service.controller.function), 'Arn'] },
    })]);
  });

  test('alarm state changes of its own alarms invoke the controller', () => {
    const controller = built.service.controller;
    const alarms = [controller.scaleOutAlarm, controller.scaleInAlarm, controller.fargateErrorAlarm, controller.overloadAlarm];
    expect(resource(built, controllerRule(built, 'AlarmChanges')).Properties).toMatchObject({
      EventPattern: {
        'source': ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        'resources': alarms.map(alarm => ({ 'Fn::GetAtt': [ref(alarm), 'Arn'] })),
      },
      State: 'ENABLED',
    });
  });

  test('mode parameter changes invoke the controller; the rule names the parameter by its literal name', () => {
    const name = resource(built, built.service.controller.modeParameter).Properties.Name;
    expect(resource(built, controllerRule(built, 'ModeChanges')).Properties.EventPattern).toEqual({
      'source': ['aws.ssm'],
      'detail-type': ['Parameter Store Change'],
      'detail': { name: [name] },
    });
  });

  test('a stack update or replacement of the listener, the service, its scalable target or the schedule invokes the repair', () => {
    const detail = resource(built, controllerRule(built, 'RedeployRepair')).Properties.EventPattern.detail;
    expect(detail['stack-id']).toEqual([{ Ref: 'AWS::StackId' }]);
    expect(detail['status-details']).toEqual({ status: ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE'] });
    const scalableTarget = Object.keys(built.template.findResources('AWS::ApplicationAutoScaling::ScalableTarget'))[0];
    expect(detail['logical-resource-id']).toEqual(expect.arrayContaining(
      [ref(built.service.listener), ref(built.service.service), scalableTarget, ref(built.service.controller.reconcileRule)]));
  });

  test('mode at first deploy: the repair rule watches the mode parameter\'s creation', () => {
    const detail = resource(built, controllerRule(built, 'RedeployRepair')).Properties.EventPattern.detail;
    expect(detail['logical-resource-id']).toContain(ref(built.service.controller.modeParameter));
    expect(detail['status-details'].status).toEqual(expect.arrayContaining(['CREATE_COMPLETE']));
  });

  // The rules, the function they target and its policy must not refer to the parameter: Template.fromStack (in
  // build) rejects the dependency cycle that would make.
  test('mode at first deploy: CloudFormation creates the mode and repair rules before the parameter', () => {
    expect(resource(built, built.service.controller.modeParameter).DependsOn).toEqual(expect.arrayContaining([
      ref(controllerRule(built, 'ModeChanges')),
      ref(controllerRule(built, 'RedeployRepair')),
    ]));
  });

  test('a stopping task of this service invokes the controller at once', () => {
    expect(resource(built, controllerRule(built, 'TaskChanges')).Properties.EventPattern).toEqual({
      'source': ['aws.ecs'],
      'detail-type': ['ECS Task State Change'],
      'detail': {
        clusterArn: [{ 'Fn::GetAtt': [ref(built.service.cluster), 'Arn'] }],
        group: [{ 'Fn::Join': ['', ['service:', { 'Fn::GetAtt': [ref(built.service.service), 'Name'] }]] }],
        lastStatus: ['DEACTIVATING', 'STOPPING', 'STOPPED'],
      },
    });
  });

  test('serializeController false leaves the controller unreserved', () => {
    const unreserved = build({ scaling: { serializeController: false } });
    expect(resource(unreserved, unreserved.service.controller.function).Properties.ReservedConcurrentExecutions).toBeUndefined();
  });
});

describe('scaling options', () => {
  test('they reach the alarms, the mode parameter and the poll interval', () => {
    const built = build({
      scaling: {
        mode: TrafficMode.LAMBDA,
        scaleOutRequestsPerMinute: 5000,
        scaleOutPeriods: 3,
        scaleInRequestsPerMinute: 1000,
        scaleInPeriods: 15,
        fargateErrorsPerMinute: 3,
        pollInterval: Duration.seconds(10),
      },
    });
    const controller = built.service.controller;
    expect(resource(built, controller.modeParameter).Properties.Value).toBe('lambda');
    expect(resource(built, controller.scaleOutAlarm).Properties).toMatchObject({ Threshold: 5000, EvaluationPeriods: 3 });
    expect(resource(built, controller.scaleInAlarm).Properties).toMatchObject({ Threshold: 1000, EvaluationPeriods: 15 });
    expect(resource(built, controller.fargateErrorAlarm).Properties.Threshold).toBe(3);
    expect(controllerEnvironment(built).POLL_INTERVAL_SECONDS).toBe('10');
  });

  test('they reach the controller config, in seconds; the internal tunables keep their defaults', () => {
    const built = build({
      fargate: { maxTasks: 6, requestsPerTaskPerMinute: 2000, deregistrationDelay: Duration.seconds(20) },
      scaling: {
        scaleOutRequestsPerMinute: 5000,
        scaleInRequestsPerMinute: 1000,
        shiftOutSteps: [25, 100],
        shiftOutPause: Duration.seconds(15),
        shiftBackSteps: [60, 30, 0],
        shiftBackPause: Duration.seconds(45),
        minTasks: 2,
        minFargateDuration: Duration.minutes(20),
        drainDuration: Duration.seconds(40),
        overflowLambdaWeight: 20,
        taskCapacityRequestsPerMinute: 2600,
        healthFailbackBackoff: Duration.minutes(2),
        errorFailbackBackoff: Duration.minutes(30),
        maxFailbackBackoff: Duration.hours(2),
        fargateErrorRateMargin: 0.05,
        recurrenceWindow: Duration.minutes(45),
        maxHoldDuration: Duration.hours(1),
        stepsWaitingForDatapoint: 2,
      },
    });
    expect(controllerConfig(built)).toEqual({
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
      taskCapacityRequestsPerMinute: 2600,
      scaleInRequestsPerMinute: 1000,
      weightGranularity: CONTROLLER_DEFAULTS.weightGranularity,
      stepsWaitingForDatapoint: 2,
      errorRateMargin: 0.05,
      minErrors: CONTROLLER_DEFAULTS.minErrors,
      overloadResponseTimeRatio: CONTROLLER_DEFAULTS.overloadResponseTimeRatio,
      healthBackoffSeconds: 120,
      errorBackoffSeconds: 1800,
      maxBackoffSeconds: 7200,
      recurrenceWindowSeconds: 2700,
      maxHoldSeconds: 3600,
    });
  });

  test('default task capacity is 1.25 x the target tracking target', () => {
    const built = build({ fargate: { requestsPerTaskPerMinute: 2000 } });
    expect(controllerConfig(built).taskCapacityRequestsPerMinute).toBe(2500);
  });

  test('default drain window follows the deregistration delay', () => {
    const built = build({ fargate: { deregistrationDelay: Duration.seconds(45) } });
    expect(controllerConfig(built).drainSeconds).toBe(60);
  });

  test('heartbeatInterval sets the heartbeat\'s rate', () => {
    const built = build({ scaling: { heartbeatInterval: Duration.minutes(1) } });
    expect(resource(built, built.service.controller.heartbeatRule).Properties.ScheduleExpression).toBe('rate(1 minute)');
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
    ['minTasks above maxTasks', { minTasks: 20 }, /fargate.maxTasks must be an integer >= scaling.minTasks \(20\); got 10/],
    ['overflowLambdaWeight', { overflowLambdaWeight: 100 }, /scaling.overflowLambdaWeight must be an integer in 0..99/],
    ['drain shorter than deregistration', { drainDuration: Duration.seconds(5) }, /scaling.drainDuration 5 seconds is shorter than fargate.deregistrationDelay 15 seconds/],
    ['pollInterval', { pollInterval: Duration.seconds(60) }, /scaling.pollInterval 60 is not allowed; use an integer from 1 to 30 seconds/],
    ['fargateErrorsPerMinute', { fargateErrorsPerMinute: 0 }, /scaling.fargateErrorsPerMinute 0 is not allowed/],
    ['taskCapacityRequestsPerMinute', { taskCapacityRequestsPerMinute: 0 }, /scaling.taskCapacityRequestsPerMinute must be a number > 0; got 0/],
    ['fargateErrorRateMargin', { fargateErrorRateMargin: 1.5 }, /scaling.fargateErrorRateMargin must be a share of requests in 0..1; got 1.5/],
    ['stepsWaitingForDatapoint', { stepsWaitingForDatapoint: 1.5 }, /scaling.stepsWaitingForDatapoint must be an integer in 0..100; got 1.5/],
    ['maxFailbackBackoff below a backoff', { maxFailbackBackoff: Duration.minutes(30) },
      /scaling.maxFailbackBackoff 1800 must be at least scaling.healthFailbackBackoff and scaling.errorFailbackBackoff \(durations in seconds\)/],
    ['heartbeatInterval above 15 minutes', { heartbeatInterval: Duration.minutes(30) },
      /scaling.heartbeatInterval "30 minutes" is not allowed; use whole minutes from 1 to 15/],
    ['heartbeatInterval not whole minutes', { heartbeatInterval: Duration.seconds(90) },
      /scaling.heartbeatInterval "1 minute 30 seconds" is not allowed; use whole minutes from 1 to 15/],
  ])('%s', (_name, scaling, message) => {
    expect(buildError({ scaling: scaling as ScalingOptions })).toThrow(message);
  });

  const unresolvedNumber = () => Lazy.number({ produce: () => 1 });
  test.each<[string, (stack: Stack) => ScalingOptions]>([
    ['taskCapacityRequestsPerMinute', () => ({ taskCapacityRequestsPerMinute: unresolvedNumber() })],
    ['fargateErrorRateMargin', stack => ({ fargateErrorRateMargin: new CfnParameter(stack, 'Margin', { type: 'Number' }).valueAsNumber })],
    ['stepsWaitingForDatapoint', () => ({ stepsWaitingForDatapoint: unresolvedNumber() })],
    ['healthFailbackBackoff', () => ({ healthFailbackBackoff: Duration.seconds(unresolvedNumber()) })],
    ['errorFailbackBackoff', () => ({ errorFailbackBackoff: Duration.minutes(unresolvedNumber()) })],
    ['maxFailbackBackoff', () => ({ maxFailbackBackoff: Duration.hours(unresolvedNumber()) })],
    ['recurrenceWindow', () => ({ recurrenceWindow: Duration.seconds(unresolvedNumber()) })],
    ['maxHoldDuration', () => ({ maxHoldDuration: Duration.seconds(unresolvedNumber()) })],
    ['scaleInRequestsPerMinute', () => ({ scaleInRequestsPerMinute: unresolvedNumber() })],
    ['shiftOutSteps', () => ({ shiftOutSteps: [10, unresolvedNumber(), 100] })],
  ])('%s must be known at synth', (prop, scaling) => {
    expect(() => build({}, stack => ({ scaling: scaling(stack) })))
      .toThrow(new RegExp(`scaling.${prop} is a token; it must be known at synth`));
  });

  test('heartbeatInterval must be known at synth', () => {
    expect(buildError({ scaling: { heartbeatInterval: Duration.minutes(unresolvedNumber()) } }))
      .toThrow(/scaling.heartbeatInterval is a token; it must be known at synth/);
  });
});

describe('controller metrics', () => {
  test('each points at the namespace and Service dimension of the decision line', () => {
    const { stack, service } = build();
    const controller = service.controller;
    const metrics = {
      FargateWeight: controller.metricFargateWeight(),
      DesiredCount: controller.metricDesiredCount(),
      HealthyTargets: controller.metricHealthyTargets(),
      RunningCount: controller.metricRunningCount(),
    };
    for (const [name, metric] of Object.entries(metrics)) {
      expect(metric.metricName).toBe(name);
      expect(metric.namespace).toBe('HybridAlbService');
      expect(stack.resolve(metric.dimensions)).toEqual({ Service: stack.resolve(service.service.serviceName) });
      expect(metric.statistic).toBe('Maximum');
    }
    expect(controller.metricHealthyTargets({ statistic: 'Minimum' }).statistic).toBe('Minimum');
  });

  test('Lambda weight is 100 - FargateWeight', () => {
    const { service } = build();
    const lambdaWeight = service.controller.metricLambdaWeight();
    expect(lambdaWeight.expression).toBe('100 - fargateWeight');
    expect(lambdaWeight.usingMetrics.fargateWeight).toMatchObject({ metricName: 'FargateWeight' });
  });
});
