import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand, MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand, Task, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import {
  Action as ListenerAction,
  AddTagsCommand,
  DescribeListenersCommand,
  DescribeTagsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DisableRuleCommand, EnableRuleCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { ControllerActionError, ControllerDependencies, runController } from '../../src/controller/invocation';
import { apply, awsDependencies, awsPort, ControllerClients, ControllerEnv, observe, readEnv } from '../../src/controller/runtime/aws-adapter';
import { handler } from '../../src/controller/runtime/controller.lambda';
import { CONTROLLER_DEFAULTS } from '../../src/controller/tunables';
import { Action, ControllerConfig, Decision, ObservedState } from '../../src/controller/types';

const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';
const LAMBDA_TG = 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/web-lambda/73e2d6bc24d8a067';
const FARGATE_TG = 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/web-fargate/943f017f100becff';
const TASK_DEFINITION = 'arn:aws:ecs:eu-west-1:111111111111:task-definition/web:7';

const CONFIG: ControllerConfig = { ...CONTROLLER_DEFAULTS, minFargateSeconds: 900, drainSeconds: 300 };

const VARIABLES: Record<string, string> = {
  LISTENER_ARN: LISTENER,
  LOAD_BALANCER_FULL_NAME: 'app/web/50dc6c495c0c9188',
  LAMBDA_TARGET_GROUP_ARN: LAMBDA_TG,
  FARGATE_TARGET_GROUP_ARN: FARGATE_TG,
  LAMBDA_TARGET_GROUP_FULL_NAME: 'targetgroup/web-lambda/73e2d6bc24d8a067',
  FARGATE_TARGET_GROUP_FULL_NAME: 'targetgroup/web-fargate/943f017f100becff',
  CLUSTER_NAME: 'web-cluster',
  SERVICE_NAME: 'web-service',
  SCALE_OUT_ALARM_NAME: 'web-scale-out',
  SCALE_IN_ALARM_NAME: 'web-scale-in',
  FARGATE_ERROR_ALARM_NAME: 'web-fargate-error',
  OVERLOAD_ALARM_NAME: 'web-overload',
  MODE_PARAMETER_NAME: '/web/mode',
  RECONCILE_RULE_NAME: 'web-reconcile',
  CONTROLLER_CONFIG: JSON.stringify(CONFIG),
};

const ENV: ControllerEnv = readEnv(VARIABLES);

const elbv2 = mockClient(ElasticLoadBalancingV2Client);
const ecs = mockClient(ECSClient);
const cloudwatch = mockClient(CloudWatchClient);
const eventbridge = mockClient(EventBridgeClient);
const ssm = mockClient(SSMClient);
const autoScaling = mockClient(ApplicationAutoScalingClient);

const CLIENTS: ControllerClients = {
  elbv2: new ElasticLoadBalancingV2Client({}),
  ecs: new ECSClient({}),
  cloudwatch: new CloudWatchClient({}),
  eventbridge: new EventBridgeClient({}),
  ssm: new SSMClient({}),
  autoScaling: new ApplicationAutoScalingClient({}),
};

/** 2024-01-01 12:30:42 UTC: the traffic window is the five whole minutes 12:25 to 12:30. */
const NOW_MS = Date.UTC(2024, 0, 1, 12, 30, 42);
const minute = (m: number) => new Date(Date.UTC(2024, 0, 1, 12, m, 0));

/** A task as DescribeTasks returns it on Fargate: its ENI attachment carries the private IPv4 address. */
function fargateTask(arn: string, address: string, lastStatus = 'RUNNING', desiredStatus = 'RUNNING'): Task {
  return {
    taskArn: arn,
    lastStatus,
    desiredStatus,
    attachments: [{
      type: 'ElasticNetworkInterface',
      status: 'ATTACHED',
      details: [
        { name: 'subnetId', value: 'subnet-0a' },
        { name: 'networkInterfaceId', value: 'eni-0a' },
        { name: 'privateIPv4Address', value: address },
      ],
    }],
  };
}

/** ECS runs these tasks (task ARN to private address); DescribeTasks answers for the ARNs it is asked about. */
function stubRunningTasks(tasks: ReadonlyArray<Task>): void {
  ecs.on(ListTasksCommand).resolves({ taskArns: tasks.map((task) => task.taskArn!) });
  ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
    tasks: tasks.filter((task) => input.tasks.includes(task.taskArn!)),
  }));
}

function metric(id: string, points: ReadonlyArray<[number, number]>): MetricDataResult {
  return { Id: id, Timestamps: points.map(([m]) => minute(m)), Values: points.map(([, value]) => value), StatusCode: 'Complete' };
}

/** A service half way through a shift: Fargate 50, three tasks (two running), the scale-out alarm firing. */
function stubShiftingService(): void {
  elbv2.on(DescribeListenersCommand).resolves({
    Listeners: [{
      ListenerArn: LISTENER,
      DefaultActions: [{
        Type: 'forward',
        // Fargate first: the adapter must match by ARN, not by position.
        ForwardConfig: { TargetGroups: [{ TargetGroupArn: FARGATE_TG, Weight: 50 }, { TargetGroupArn: LAMBDA_TG, Weight: 50 }] },
      }],
    }],
  });
  elbv2.on(DescribeTargetHealthCommand).resolves({
    TargetHealthDescriptions: [
      { Target: { Id: '10.0.0.1' }, TargetHealth: { State: 'healthy' } },
      { Target: { Id: '10.0.0.2' }, TargetHealth: { State: 'healthy' } },
      { Target: { Id: '10.0.0.3' }, TargetHealth: { State: 'unhealthy' } },
      { Target: { Id: '10.0.0.4' }, TargetHealth: { State: 'unavailable' } },
      { Target: { Id: '10.0.0.5' }, TargetHealth: { State: 'initial' } },
      { Target: { Id: '10.0.0.6' }, TargetHealth: { State: 'draining' } },
    ],
  });
  stubRunningTasks([
    fargateTask('arn:aws:ecs:eu-west-1:111111111111:task/web-cluster/a', '10.0.0.1'),
    fargateTask('arn:aws:ecs:eu-west-1:111111111111:task/web-cluster/b', '10.0.0.2'),
    fargateTask('arn:aws:ecs:eu-west-1:111111111111:task/web-cluster/c', '10.0.0.5'),
  ]);
  elbv2.on(DescribeTagsCommand).resolves({
    TagDescriptions: [{
      ResourceArn: FARGATE_TG,
      Tags: [
        { Key: 'hybrid-alb:intent', Value: 'fargate' },
        { Key: 'hybrid-alb:intent-since', Value: '1700000000000' },
        { Key: 'hybrid-alb:last-weight-change', Value: '1700000060000' },
        { Key: 'team', Value: 'web' },
      ],
    }],
  });
  ecs.on(DescribeServicesCommand).resolves({
    services: [{ serviceName: 'web-service', desiredCount: 3, runningCount: 2, taskDefinition: TASK_DEFINITION }],
  });
  autoScaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [{ MinCapacity: 3, MaxCapacity: 10 } as never] });
  cloudwatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [
      { AlarmName: 'web-scale-out', StateValue: 'ALARM' },
      { AlarmName: 'web-scale-in', StateValue: 'OK' },
      { AlarmName: 'web-fargate-error', StateValue: 'INSUFFICIENT_DATA' },
    ],
  });
  cloudwatch.on(GetMetricDataCommand).resolves({
    MetricDataResults: [
      metric('lbRequests', [[28, 12000], [27, 9000]]),
      metric('fargateRequests', [[28, 6000], [27, 4500]]),
      metric('lambdaRequests', [[28, 6000], [27, 4500]]),
    ],
  });
  ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/web/mode', Value: 'auto' } });
}

/** Idle on Lambda: no weight, no task, no alarm, the marks say lambda. */
function stubIdleService(): void {
  elbv2.on(DescribeListenersCommand).resolves({
    Listeners: [{
      DefaultActions: [{
        Type: 'forward',
        ForwardConfig: { TargetGroups: [{ TargetGroupArn: LAMBDA_TG, Weight: 100 }, { TargetGroupArn: FARGATE_TG, Weight: 0 }] },
      }],
    }],
  });
  elbv2.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
  elbv2.on(DescribeTagsCommand).resolves({ TagDescriptions: [{ ResourceArn: FARGATE_TG, Tags: [{ Key: 'hybrid-alb:intent', Value: 'lambda' }] }] });
  stubRunningTasks([]);
  ecs.on(DescribeServicesCommand).resolves({ services: [{ desiredCount: 0, runningCount: 0, taskDefinition: TASK_DEFINITION }] });
  autoScaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [{ MinCapacity: 0, MaxCapacity: 10 } as never] });
  cloudwatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: ['web-scale-out', 'web-scale-in', 'web-fargate-error', 'web-overload'].map((AlarmName) => ({ AlarmName, StateValue: 'OK' as const })),
  });
}

// The handler's own decide() and needsTraffic() are replaced so these tests pin the adapter and loop, not the rules.
const mockDecide = jest.fn<Decision, [ObservedState, ControllerConfig]>();
const mockNeedsTraffic = jest.fn<boolean, [ObservedState]>();
jest.mock('../../src/controller/decision', () => ({
  ...jest.requireActual('../../src/controller/decision'),
  decide: (observed: ObservedState, config: ControllerConfig) => mockDecide(observed, config),
  needsTraffic: (observed: ObservedState) => mockNeedsTraffic(observed),
}));
const actualNeedsTraffic: (observed: ObservedState) => boolean = jest.requireActual('../../src/controller/decision').needsTraffic;

beforeEach(() => {
  for (const mock of [elbv2, ecs, cloudwatch, eventbridge, ssm, autoScaling]) {
    mock.reset();
  }
  mockNeedsTraffic.mockReset();
  mockNeedsTraffic.mockImplementation(actualNeedsTraffic);
  stubShiftingService();
});

describe('readEnv', () => {
  test('reads every variable and applies the defaults', () => {
    expect(ENV).toEqual({
      listenerArn: LISTENER,
      loadBalancerFullName: 'app/web/50dc6c495c0c9188',
      lambdaTargetGroupArn: LAMBDA_TG,
      fargateTargetGroupArn: FARGATE_TG,
      lambdaTargetGroupFullName: 'targetgroup/web-lambda/73e2d6bc24d8a067',
      fargateTargetGroupFullName: 'targetgroup/web-fargate/943f017f100becff',
      clusterName: 'web-cluster',
      serviceName: 'web-service',
      scaleOutAlarmName: 'web-scale-out',
      scaleInAlarmName: 'web-scale-in',
      fargateErrorAlarmName: 'web-fargate-error',
      overloadAlarmName: 'web-overload',
      modeParameterName: '/web/mode',
      reconcileRuleName: 'web-reconcile',
      config: CONFIG,
      pollIntervalSeconds: 5,
      metricNamespace: 'HybridAlbService',
    });
  });

  test('names a missing variable', () => {
    const { SCALE_IN_ALARM_NAME: _scaleIn, ...missing } = VARIABLES;
    expect(() => readEnv(missing)).toThrow(/SCALE_IN_ALARM_NAME is missing/);
    const { FARGATE_TARGET_GROUP_FULL_NAME: _fargate, ...noFargateName } = VARIABLES;
    expect(() => readEnv(noFargateName)).toThrow(/FARGATE_TARGET_GROUP_FULL_NAME is missing/);
  });

  test('takes the CloudWatch dimensions out of load balancer and target group ARNs', () => {
    const env = readEnv({
      ...VARIABLES,
      LOAD_BALANCER_FULL_NAME: 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/web/50dc6c495c0c9188',
      LAMBDA_TARGET_GROUP_FULL_NAME: LAMBDA_TG,
      FARGATE_TARGET_GROUP_FULL_NAME: FARGATE_TG,
    });
    expect([env.loadBalancerFullName, env.lambdaTargetGroupFullName, env.fargateTargetGroupFullName]).toEqual([
      'app/web/50dc6c495c0c9188',
      'targetgroup/web-lambda/73e2d6bc24d8a067',
      'targetgroup/web-fargate/943f017f100becff',
    ]);
  });

  test('rejects dimension values of the wrong form, naming the variable', () => {
    expect(() => readEnv({ ...VARIABLES, LOAD_BALANCER_FULL_NAME: 'web' })).toThrow(/LOAD_BALANCER_FULL_NAME "web"/);
    expect(() => readEnv({ ...VARIABLES, LAMBDA_TARGET_GROUP_FULL_NAME: 'web-lambda' }))
      .toThrow(/LAMBDA_TARGET_GROUP_FULL_NAME "web-lambda" is not of the form targetgroup\/<name>\/<id>/);
    expect(() => readEnv({ ...VARIABLES, FARGATE_TARGET_GROUP_FULL_NAME: 'app/web/50dc6c495c0c9188' }))
      .toThrow(/FARGATE_TARGET_GROUP_FULL_NAME "app\/web\/50dc6c495c0c9188"/);
  });

  test('rejects a controller config that lacks a field, naming it', () => {
    const { weightGranularity: _, ...partial } = CONFIG;
    expect(() => readEnv({ ...VARIABLES, CONTROLLER_CONFIG: JSON.stringify(partial) }))
      .toThrow(/CONTROLLER_CONFIG is not a usable controller config: CONTROLLER_CONFIG\.weightGranularity is missing/);
  });

  test('rejects every field of the wrong type in one message', () => {
    const config = JSON.stringify({ ...CONFIG, drainSeconds: '300', stepsWaitingForDatapoint: null, shiftOutSteps: '10,50,100' });
    const read = () => readEnv({ ...VARIABLES, CONTROLLER_CONFIG: config });
    expect(read).toThrow(/CONTROLLER_CONFIG\.drainSeconds "300" is not a number/);
    expect(read).toThrow(/CONTROLLER_CONFIG\.stepsWaitingForDatapoint null is not a number/);
    expect(read).toThrow(/CONTROLLER_CONFIG\.shiftOutSteps "10,50,100" is not a list of numbers/);
    expect(() => readEnv({ ...VARIABLES, CONTROLLER_CONFIG: '{' })).toThrow(/CONTROLLER_CONFIG is not valid JSON/);
  });

  test('rejects a well-typed config that validateControllerConfig refuses, naming every problem', () => {
    const config = JSON.stringify({ ...CONFIG, shiftOutSteps: [50, 10, 100], minErrors: 0 });
    const read = () => readEnv({ ...VARIABLES, CONTROLLER_CONFIG: config });
    expect(read).toThrow(/CONTROLLER_CONFIG is not a usable controller config: shiftOutSteps must be strictly increasing/);
    expect(read).toThrow(/; minErrors must be an integer >= 1; got 0/);
  });

  test('reads the poll interval and metric namespace when given', () => {
    const env = readEnv({ ...VARIABLES, POLL_INTERVAL_SECONDS: '2', METRIC_NAMESPACE: 'Shop' });
    expect([env.pollIntervalSeconds, env.metricNamespace]).toEqual([2, 'Shop']);
    expect(() => readEnv({ ...VARIABLES, POLL_INTERVAL_SECONDS: '0' })).toThrow(/POLL_INTERVAL_SECONDS "0"/);
  });
});

describe('observe', () => {
  test('maps the SDK responses to an observed state', async () => {
    const observed = await observe(ENV, CLIENTS, NOW_MS, jest.fn());
    expect(observed).toEqual<ObservedState>({
      nowMs: NOW_MS,
      override: 'auto',
      lambdaWeight: 50,
      fargateWeight: 50,
      desiredCount: 3,
      runningCount: 2,
      minCapacity: 3,
      healthyTargets: 2,
      unhealthyTargets: 2,
      deadTargets: 0,
      scaleOutAlarm: 'ALARM',
      scaleInAlarm: 'OK',
      fargateErrorAlarm: 'INSUFFICIENT_DATA',
      overloadAlarm: 'OK',
      requestsPerMinute: 12000,
      traffic: {
        requestsPerMinute: [12000, 9000],
        latestMinuteStartMs: minute(28).getTime(),
        windowStartMs: minute(27).getTime(),
        fargate: { requests: 10500, errors: 0 },
        lambda: { requests: 10500, errors: 0 },
      },
      taskDefinition: TASK_DEFINITION,
      marks: { intent: 'fargate', intentSinceMs: 1700000000000, lastWeightChangeMs: 1700000060000 },
    });
  });

  test('reads weights by target group ARN', async () => {
    elbv2.on(DescribeListenersCommand).resolves({
      Listeners: [{
        DefaultActions: [{
          Type: 'forward',
          ForwardConfig: { TargetGroups: [{ TargetGroupArn: FARGATE_TG, Weight: 90 }, { TargetGroupArn: LAMBDA_TG, Weight: 10 }] },
        }],
      }],
    });
    const observed = await observe(ENV, CLIENTS, NOW_MS, jest.fn());
    expect([observed.lambdaWeight, observed.fargateWeight]).toEqual([10, 90]);
  });

  test('reports hand-set relative weights as ALB holds them', async () => {
    elbv2.on(DescribeListenersCommand).resolves({
      Listeners: [{
        DefaultActions: [{
          Type: 'forward',
          ForwardConfig: { TargetGroups: [{ TargetGroupArn: LAMBDA_TG, Weight: 1 }, { TargetGroupArn: FARGATE_TG, Weight: 3 }] },
        }],
      }],
    });
    const observed = await observe(ENV, CLIENTS, NOW_MS, jest.fn());
    expect([observed.lambdaWeight, observed.fargateWeight]).toEqual([1, 3]);
  });

  test('reads a plain forward to the Lambda target group as Lambda 100', async () => {
    elbv2.on(DescribeListenersCommand).resolves({
      Listeners: [{ DefaultActions: [{ Type: 'forward', TargetGroupArn: LAMBDA_TG }] }],
    });
    const observed = await observe(ENV, CLIENTS, NOW_MS, jest.fn());
    expect([observed.lambdaWeight, observed.fargateWeight]).toEqual([100, 0]);
  });

  test('reads the weights of a forward that follows an authentication step', async () => {
    elbv2.on(DescribeListenersCommand).resolves({
      Listeners: [{
        DefaultActions: [
          { Type: 'authenticate-cognito', Order: 1, AuthenticateCognitoConfig: { UserPoolArn: 'pool', UserPoolClientId: 'client', UserPoolDomain: 'web' } },
          { Type: 'forward', Order: 2, ForwardConfig: { TargetGroups: [{ TargetGroupArn: LAMBDA_TG, Weight: 20 }, { TargetGroupArn: FARGATE_TG, Weight: 80 }] } },
        ],
      }],
    });
    const observed = await observe(ENV, CLIENTS, NOW_MS, jest.fn());
    expect([observed.lambdaWeight, observed.fargateWeight]).toEqual([20, 80]);
  });

  test('fails clearly when the listener does not forward', async () => {
    elbv2.on(DescribeListenersCommand).resolves({
      Listeners: [{ DefaultActions: [{ Type: 'fixed-response' }] }],
    });
    await expect(observe(ENV, CLIENTS, NOW_MS, jest.fn())).rejects.toThrow(`Listener ${LISTENER} has no forward default action`);
  });

  test('asks for the four metric alarms by name only (composite alarms would need DescribeAlarms on *), a missing one reads OK', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'web-scale-in', StateValue: 'ALARM' }, { AlarmName: 'web-overload', StateValue: 'ALARM' }],
    });
    const observed = await observe(ENV, CLIENTS, NOW_MS, jest.fn());
    expect([observed.scaleOutAlarm, observed.scaleInAlarm, observed.fargateErrorAlarm, observed.overloadAlarm])
      .toEqual(['OK', 'ALARM', 'OK', 'ALARM']);
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0].args[0].input).toEqual({
      AlarmNames: ['web-scale-out', 'web-scale-in', 'web-fargate-error', 'web-overload'],
    });
  });

  test('reads an invalid mode value as auto and reports it', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'spot' } });
    const warn = jest.fn();
    const observed = await observe(ENV, CLIENTS, NOW_MS, warn);
    expect(observed.override).toBe('auto');
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/\/web\/mode value "spot" is not one of auto, lambda, fargate/));
  });

  test('reads a missing mode parameter as auto and reports it', async () => {
    ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
    const warn = jest.fn();
    const observed = await observe(ENV, CLIENTS, NOW_MS, warn);
    expect(observed.override).toBe('auto');
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/does not exist/));
  });

  test('reads a valid mode value whatever its case', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: ' Fargate\n' } });
    const warn = jest.fn();
    expect((await observe(ENV, CLIENTS, NOW_MS, warn)).override).toBe('fargate');
    expect(warn).not.toHaveBeenCalled();
  });

  test('leaves malformed or absent marks unset', async () => {
    elbv2.on(DescribeTagsCommand).resolves({
      TagDescriptions: [{ ResourceArn: FARGATE_TG, Tags: [{ Key: 'hybrid-alb:intent', Value: 'ec2' }, { Key: 'hybrid-alb:intent-since', Value: 'yesterday' }] }],
    });
    const observed = await observe(ENV, CLIENTS, NOW_MS, jest.fn());
    expect(Object.values(observed.marks).filter((mark) => mark !== undefined)).toEqual([]);
  });

  test('looks up the ECS scalable target and reads a missing one as minCapacity 0', async () => {
    autoScaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
    const warn = jest.fn();
    const observed = await observe(ENV, CLIENTS, NOW_MS, warn);
    expect(observed.minCapacity).toBe(0);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/No scalable target for service\/web-cluster\/web-service/));
    expect(autoScaling.commandCalls(DescribeScalableTargetsCommand)[0].args[0].input).toEqual({
      ServiceNamespace: 'ecs',
      ResourceIds: ['service/web-cluster/web-service'],
      ScalableDimension: 'ecs:service:DesiredCount',
    });
  });

  test('reads target health of the Fargate target group only', async () => {
    await observe(ENV, CLIENTS, NOW_MS, jest.fn());
    expect(elbv2.commandCalls(DescribeTargetHealthCommand).map((call) => call.args[0].input)).toEqual([{ TargetGroupArn: FARGATE_TG }]);
  });

  test('names a task definition ARN too long for a tag value by its digest, as the failback mark does', async () => {
    const longArn = `arn:aws:ecs:eu-west-1:111111111111:task-definition/${'w'.repeat(255)}:12`;
    ecs.on(DescribeServicesCommand).resolves({ services: [{ desiredCount: 3, runningCount: 2, taskDefinition: longArn }] });
    const observed = await observe(ENV, CLIENTS, NOW_MS, jest.fn());
    expect(observed.taskDefinition).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('observe: healthy targets are running tasks', () => {
  const taskArn = (i: number) => `arn:aws:ecs:eu-west-1:111111111111:task/web-cluster/${i}`;

  test('a target the load balancer calls healthy counts only when its address is a running task of the service', async () => {
    elbv2.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: '10.1.0.5' }, TargetHealth: { State: 'healthy' } },
        { Target: { Id: '10.1.0.110' }, TargetHealth: { State: 'healthy' } },
        // The task crashed: ECS is stopping it, the load balancer has not noticed yet.
        { Target: { Id: '10.2.0.1' }, TargetHealth: { State: 'healthy' } },
        // Left from a task ECS no longer lists at all.
        { Target: { Id: '10.9.9.9' }, TargetHealth: { State: 'healthy' } },
        // A task still activating: neither alive nor dead yet.
        { Target: { Id: '10.3.0.1' }, TargetHealth: { State: 'healthy' } },
        { Target: { Id: '10.9.9.8' }, TargetHealth: { State: 'unhealthy' } },
      ],
    });
    // 120 running tasks: ListTasks answers in two pages, DescribeTasks takes at most 100 at a time.
    const running = Array.from({ length: 120 }, (_, i) => fargateTask(taskArn(i), `10.1.0.${i}`));
    const stopping = fargateTask(taskArn(998), '10.2.0.1', 'RUNNING', 'STOPPED');
    const activating = fargateTask(taskArn(999), '10.3.0.1', 'ACTIVATING', 'RUNNING');
    const all = [...running, stopping, activating];
    ecs.on(ListTasksCommand).resolves({ taskArns: running.slice(0, 100).map((t) => t.taskArn!), nextToken: 'page-2' });
    ecs.on(ListTasksCommand, { nextToken: 'page-2' }).resolves({ taskArns: all.slice(100).map((t) => t.taskArn!) });
    ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: all.filter((task) => input.tasks.includes(task.taskArn!)),
    }));

    const observed = await observe(ENV, CLIENTS, NOW_MS, jest.fn());

    expect([observed.healthyTargets, observed.deadTargets, observed.unhealthyTargets]).toEqual([2, 2, 1]);
    expect(ecs.commandCalls(ListTasksCommand).map((call) => call.args[0].input)).toEqual([
      { cluster: 'web-cluster', serviceName: 'web-service', desiredStatus: 'RUNNING' },
      { cluster: 'web-cluster', serviceName: 'web-service', desiredStatus: 'RUNNING', nextToken: 'page-2' },
    ]);
    const batches = ecs.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input);
    expect(batches.map((input) => [input.cluster, input.tasks?.length])).toEqual([['web-cluster', 100], ['web-cluster', 22]]);
  });

  test('with no running task nothing is healthy and DescribeTasks is not called', async () => {
    stubRunningTasks([]);
    const observed = await observe(ENV, CLIENTS, NOW_MS, jest.fn());
    expect([observed.healthyTargets, observed.deadTargets]).toEqual([0, 2]);
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(0);
  });
});

describe('observe: traffic metrics', () => {
  test('reads no metrics when needsTraffic says the observation does not need them', async () => {
    mockNeedsTraffic.mockReturnValue(false);
    const observed = await observe(ENV, CLIENTS, NOW_MS, jest.fn());
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(0);
    expect(observed.traffic).toBeUndefined();
    expect(observed.requestsPerMinute).toBe(0);
    // needsTraffic judges the observation made of the describe calls alone.
    expect(mockNeedsTraffic).toHaveBeenCalledWith(expect.objectContaining({ fargateWeight: 50, healthyTargets: 2, requestsPerMinute: 0 }));
    expect(mockNeedsTraffic.mock.calls[0][0]).not.toHaveProperty('traffic');
  });

  test('an idle service on Lambda reads no metrics', async () => {
    stubIdleService();
    const observed = await observe(ENV, CLIENTS, NOW_MS, jest.fn());
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(0);
    expect(observed).toMatchObject({ lambdaWeight: 100, fargateWeight: 0, desiredCount: 0, requestsPerMinute: 0 });
  });

  test('reads the load balancer and both target groups in one GetMetricData call over the last eight whole minutes', async () => {
    await observe(ENV, CLIENTS, NOW_MS, jest.fn());
    const calls = cloudwatch.commandCalls(GetMetricDataCommand);
    expect(calls).toHaveLength(1);
    const lb = [{ Name: 'LoadBalancer', Value: 'app/web/50dc6c495c0c9188' }];
    const fargate = [{ Name: 'TargetGroup', Value: 'targetgroup/web-fargate/943f017f100becff' }, ...lb];
    const lambda = [{ Name: 'TargetGroup', Value: 'targetgroup/web-lambda/73e2d6bc24d8a067' }, ...lb];
    const query = (Id: string, MetricName: string, Dimensions: typeof lb, Stat: string) => ({
      Id,
      ReturnData: true,
      MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName, Dimensions }, Period: 60, Stat },
    });
    expect(calls[0].args[0].input).toEqual({
      StartTime: minute(22),
      EndTime: minute(30),
      ScanBy: 'TimestampDescending',
      MetricDataQueries: [
        query('lbRequests', 'RequestCount', lb, 'Sum'),
        query('fargateRequests', 'RequestCount', fargate, 'Sum'),
        query('fargateTarget5xx', 'HTTPCode_Target_5XX_Count', fargate, 'Sum'),
        query('fargateConnectionErrors', 'TargetConnectionErrorCount', fargate, 'Sum'),
        query('fargateResponseTime', 'TargetResponseTime', fargate, 'Average'),
        query('lambdaRequests', 'RequestCount', lambda, 'Sum'),
        query('lambdaTarget5xx', 'HTTPCode_Target_5XX_Count', lambda, 'Sum'),
        query('lambdaUserErrors', 'LambdaUserError', lambda, 'Sum'),
        query('lambdaInternalErrors', 'LambdaInternalError', lambda, 'Sum'),
        query('lambdaResponseTime', 'TargetResponseTime', lambda, 'Average'),
      ],
    });
  });

  test('builds the traffic from published minutes only, whatever the order of results and timestamps', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        metric('lambdaResponseTime', [[26, 0.4], [28, 0.1]]),
        // 12:29 is not published yet and 12:27 had no datapoint: the published minutes are 12:28, 12:26 and 12:25.
        metric('lbRequests', [[25, 300], [28, 900], [26, 600]]),
        metric('fargateRequests', [[26, 100], [25, 50], [28, 500]]),
        // Errors of 12:29 and 12:25 lie outside the two newest published minutes.
        metric('fargateTarget5xx', [[28, 7], [29, 1000], [25, 40]]),
        metric('fargateConnectionErrors', [[26, 3]]),
        metric('fargateResponseTime', [[28, 0.2], [26, 0.5], [25, 9]]),
        metric('lambdaRequests', [[28, 400], [26, 500]]),
        metric('lambdaTarget5xx', [[26, 2]]),
        metric('lambdaUserErrors', [[28, 1]]),
        metric('lambdaInternalErrors', [[26, 4]]),
      ],
    });

    const observed = await observe(ENV, CLIENTS, NOW_MS, jest.fn());

    expect(observed.requestsPerMinute).toBe(900);
    const traffic = observed.traffic!;
    expect(traffic).toMatchObject({
      requestsPerMinute: [900, 600, 300],
      latestMinuteStartMs: minute(28).getTime(),
      windowStartMs: minute(26).getTime(),
      fargate: { requests: 600, errors: 10 },
      lambda: { requests: 900, errors: 7 },
    });
    // Request-weighted: (500 × 0.2 s + 100 × 0.5 s) / 600 and (400 × 0.1 s + 500 × 0.4 s) / 900.
    expect(traffic.fargate.responseTimeMs).toBeCloseTo(250, 6);
    expect(traffic.lambda.responseTimeMs).toBeCloseTo(266.667, 2);
  });

  test('keeps the three newest published minutes', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [metric('lbRequests', [[29, 5], [28, 4], [27, 3], [26, 2], [25, 1]])],
    });
    const observed = await observe(ENV, CLIENTS, NOW_MS, jest.fn());
    expect(observed.traffic?.requestsPerMinute).toEqual([5, 4, 3]);
    expect(observed.traffic?.windowStartMs).toBe(minute(28).getTime());
  });

  test('with a single published minute the window starts at it', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [metric('lbRequests', [[27, 70]])] });
    const observed = await observe(ENV, CLIENTS, NOW_MS, jest.fn());
    expect(observed.traffic).toMatchObject({
      requestsPerMinute: [70],
      latestMinuteStartMs: minute(27).getTime(),
      windowStartMs: minute(27).getTime(),
    });
  });

  test('reads no datapoints as no published minute, no requests and no response time', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [metric('lbRequests', []), metric('fargateRequests', [])] });
    const observed = await observe(ENV, CLIENTS, NOW_MS, jest.fn());
    expect(observed.requestsPerMinute).toBe(0);
    expect(observed.traffic).toStrictEqual({
      requestsPerMinute: [],
      fargate: { requests: 0, errors: 0 },
      lambda: { requests: 0, errors: 0 },
    });
  });

  test('joins the pages of a paged answer', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [metric('lbRequests', [[28, 900]])], NextToken: 'more' });
    cloudwatch.on(GetMetricDataCommand, { NextToken: 'more' }).resolves({ MetricDataResults: [metric('lbRequests', [[27, 800]])] });
    const observed = await observe(ENV, CLIENTS, NOW_MS, jest.fn());
    expect(observed.traffic?.requestsPerMinute).toEqual([900, 800]);
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(2);
  });

  test('the port reuses the metrics it read for 20 seconds', async () => {
    const port = awsPort(ENV, CLIENTS);
    await port.observe(NOW_MS, jest.fn());
    await port.observe(NOW_MS + 5_000, jest.fn());
    await port.observe(NOW_MS + 19_999, jest.fn());
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(1);
    await port.observe(NOW_MS + 20_000, jest.fn());
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(2);
    // The describe calls are made every time.
    expect(elbv2.commandCalls(DescribeTargetHealthCommand)).toHaveLength(4);
  });
});

describe('apply', () => {
  const actions: Action[] = [
    { kind: 'setMinCapacity', min: 2 },
    { kind: 'setDesiredCount', count: 2 },
    { kind: 'setWeights', lambda: 90, fargate: 10 },
    { kind: 'setMarks', marks: { intent: 'fargate', intentSinceMs: 1700000000000, lastWeightChangeMs: 1700000000000 } },
    { kind: 'enableReconcile' },
  ];

  /** The default actions written by the one ModifyListener call. */
  function writtenDefaultActions(): ListenerAction[] | undefined {
    const calls = elbv2.commandCalls(ModifyListenerCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input.ListenerArn).toBe(LISTENER);
    return calls[0].args[0].input.DefaultActions;
  }

  function stubDefaultActions(defaultActions: ListenerAction[]): void {
    elbv2.on(DescribeListenersCommand).resolves({ Listeners: [{ ListenerArn: LISTENER, DefaultActions: defaultActions }] });
  }

  test('sends exactly one call per action with the expected input (the weights after reading the listener)', async () => {
    const result = await apply(actions, ENV, CLIENTS);

    expect(result).toEqual({ applied: actions });
    expect(autoScaling.commandCalls(RegisterScalableTargetCommand).map((c) => c.args[0].input)).toEqual([{
      ServiceNamespace: 'ecs',
      ResourceId: 'service/web-cluster/web-service',
      ScalableDimension: 'ecs:service:DesiredCount',
      MinCapacity: 2,
    }]);
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: 'web-cluster', service: 'web-service', desiredCount: 2 },
    ]);
    expect(elbv2.commandCalls(DescribeListenersCommand).map((c) => c.args[0].input)).toEqual([{ ListenerArns: [LISTENER] }]);
    expect(writtenDefaultActions()).toEqual([{
      Type: 'forward',
      ForwardConfig: { TargetGroups: [{ TargetGroupArn: FARGATE_TG, Weight: 10 }, { TargetGroupArn: LAMBDA_TG, Weight: 90 }] },
    }]);
    expect(elbv2.commandCalls(AddTagsCommand).map((c) => c.args[0].input)).toEqual([{
      ResourceArns: [FARGATE_TG],
      Tags: [
        { Key: 'hybrid-alb:intent', Value: 'fargate' },
        { Key: 'hybrid-alb:intent-since', Value: '1700000000000' },
        { Key: 'hybrid-alb:last-weight-change', Value: '1700000000000' },
      ],
    }]);
    expect(eventbridge.commandCalls(EnableRuleCommand).map((c) => c.args[0].input)).toEqual([{ Name: 'web-reconcile' }]);
    expect(eventbridge.commandCalls(DisableRuleCommand)).toHaveLength(0);
  });

  test('keeps an OIDC step before the forward, with its stored client secret, and the forward\'s stickiness', async () => {
    // As DescribeListeners returns it: the client secret is never part of the answer.
    const oidc: ListenerAction = {
      Type: 'authenticate-oidc',
      Order: 1,
      AuthenticateOidcConfig: {
        Issuer: 'https://idp.example.com',
        AuthorizationEndpoint: 'https://idp.example.com/authorize',
        TokenEndpoint: 'https://idp.example.com/token',
        UserInfoEndpoint: 'https://idp.example.com/userinfo',
        ClientId: 'web',
        SessionCookieName: 'AWSELBAuthSessionCookie',
        Scope: 'openid',
        SessionTimeout: 604800,
        OnUnauthenticatedRequest: 'authenticate',
      },
    };
    stubDefaultActions([
      oidc,
      {
        Type: 'forward',
        Order: 2,
        ForwardConfig: {
          TargetGroups: [{ TargetGroupArn: LAMBDA_TG, Weight: 100 }, { TargetGroupArn: FARGATE_TG, Weight: 0 }],
          TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 },
        },
      },
    ]);

    await apply([{ kind: 'setWeights', lambda: 50, fargate: 50 }], ENV, CLIENTS);

    expect(writtenDefaultActions()).toEqual([
      { ...oidc, AuthenticateOidcConfig: { ...oidc.AuthenticateOidcConfig, UseExistingClientSecret: true } },
      {
        Type: 'forward',
        Order: 2,
        ForwardConfig: {
          TargetGroups: [{ TargetGroupArn: LAMBDA_TG, Weight: 50 }, { TargetGroupArn: FARGATE_TG, Weight: 50 }],
          TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 },
        },
      },
    ]);
  });

  test('never writes an OIDC client secret back', async () => {
    stubDefaultActions([
      { Type: 'authenticate-oidc', Order: 1, AuthenticateOidcConfig: { Issuer: 'i', AuthorizationEndpoint: 'a', TokenEndpoint: 't', UserInfoEndpoint: 'u', ClientId: 'c', ClientSecret: 'stale' } },
      { Type: 'forward', Order: 2, TargetGroupArn: LAMBDA_TG },
    ]);
    await apply([{ kind: 'setWeights', lambda: 90, fargate: 10 }], ENV, CLIENTS);
    const [oidc] = writtenDefaultActions()!;
    expect(oidc.AuthenticateOidcConfig).not.toHaveProperty('ClientSecret');
    expect(oidc.AuthenticateOidcConfig?.UseExistingClientSecret).toBe(true);
  });

  test('turns a forward to a single target group into a weighted forward to both', async () => {
    stubDefaultActions([{ Type: 'forward', Order: 1, TargetGroupArn: LAMBDA_TG }]);
    await apply([{ kind: 'setWeights', lambda: 90, fargate: 10 }], ENV, CLIENTS);
    expect(writtenDefaultActions()).toEqual([{
      Type: 'forward',
      Order: 1,
      ForwardConfig: { TargetGroups: [{ TargetGroupArn: LAMBDA_TG, Weight: 90 }, { TargetGroupArn: FARGATE_TG, Weight: 10 }] },
    }]);
  });

  test('drops the TargetGroupArn that DescribeListeners reports next to a one-group ForwardConfig', async () => {
    stubDefaultActions([{
      Type: 'forward',
      Order: 1,
      TargetGroupArn: LAMBDA_TG,
      ForwardConfig: { TargetGroups: [{ TargetGroupArn: LAMBDA_TG, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } },
    }]);
    await apply([{ kind: 'setWeights', lambda: 50, fargate: 50 }], ENV, CLIENTS);
    expect(writtenDefaultActions()).toEqual([{
      Type: 'forward',
      Order: 1,
      ForwardConfig: {
        TargetGroups: [{ TargetGroupArn: LAMBDA_TG, Weight: 50 }, { TargetGroupArn: FARGATE_TG, Weight: 50 }],
        TargetGroupStickinessConfig: { Enabled: false },
      },
    }]);
  });

  test('leaves a third target group of the forward and a Cognito step as they were', async () => {
    const other = 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/canary/0123456789abcdef';
    const cognito: ListenerAction = {
      Type: 'authenticate-cognito',
      Order: 1,
      AuthenticateCognitoConfig: { UserPoolArn: 'arn:aws:cognito-idp:eu-west-1:111111111111:userpool/eu-west-1_x', UserPoolClientId: 'client', UserPoolDomain: 'web' },
    };
    stubDefaultActions([
      cognito,
      {
        Type: 'forward',
        Order: 2,
        ForwardConfig: { TargetGroups: [{ TargetGroupArn: other, Weight: 5 }, { TargetGroupArn: LAMBDA_TG, Weight: 95 }] },
      },
    ]);
    await apply([{ kind: 'setWeights', lambda: 45, fargate: 50 }], ENV, CLIENTS);
    expect(writtenDefaultActions()).toEqual([
      cognito,
      {
        Type: 'forward',
        Order: 2,
        ForwardConfig: {
          TargetGroups: [{ TargetGroupArn: other, Weight: 5 }, { TargetGroupArn: LAMBDA_TG, Weight: 45 }, { TargetGroupArn: FARGATE_TG, Weight: 50 }],
        },
      },
    ]);
  });

  test('refuses to set weights on a listener without a forward, naming it, and writes nothing', async () => {
    stubDefaultActions([{ Type: 'fixed-response', Order: 1, FixedResponseConfig: { StatusCode: '503' } }]);
    const result = await apply([{ kind: 'setWeights', lambda: 100, fargate: 0 }], ENV, CLIENTS);
    expect(result.failed?.error).toBe(`Error: Listener ${LISTENER} has no forward default action; the controller only steers a forward action.`);
    expect(elbv2.commandCalls(ModifyListenerCommand)).toHaveLength(0);
  });

  test('writes only the marks that are set', async () => {
    await apply([{ kind: 'setMarks', marks: { lastWeightChangeMs: 42, failbackReason: 'errors' } }], ENV, CLIENTS);
    expect(elbv2.commandCalls(AddTagsCommand)[0].args[0].input.Tags).toEqual([
      { Key: 'hybrid-alb:last-weight-change', Value: '42' },
      { Key: 'hybrid-alb:failback-reason', Value: 'errors' },
    ]);
  });

  test('disables the reconcile rule', async () => {
    await apply([{ kind: 'disableReconcile' }], ENV, CLIENTS);
    expect(eventbridge.commandCalls(DisableRuleCommand).map((c) => c.args[0].input)).toEqual([{ Name: 'web-reconcile' }]);
  });

  test('sends nothing for no actions', async () => {
    expect(await apply([], ENV, CLIENTS)).toEqual({ applied: [] });
    const sent = [elbv2, ecs, eventbridge, autoScaling].reduce((n, mock) => n + mock.calls().length, 0);
    expect(sent).toBe(0);
  });

  test('stops at a throttled call and reports the applied prefix', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    elbv2.on(ModifyListenerCommand).rejects(throttled);

    const result = await apply(actions, ENV, CLIENTS);

    expect(result).toEqual({
      applied: actions.slice(0, 2),
      failed: { action: actions[2], error: 'ThrottlingException: Rate exceeded' },
    });
    expect(elbv2.commandCalls(AddTagsCommand)).toHaveLength(0);
    expect(eventbridge.commandCalls(EnableRuleCommand)).toHaveLength(0);
  });
});

describe('controller loop', () => {
  const atRest: Decision = {
    phase: 'FARGATE',
    intent: 'fargate',
    actions: [],
    reason: 'Fargate carries all traffic.',
    needsReconcile: false,
    pollSoon: false,
  };
  const shifting: Decision = {
    phase: 'SHIFTING_TO_FARGATE',
    intent: 'fargate',
    actions: [{ kind: 'setWeights', lambda: 0, fargate: 100 }, { kind: 'setDesiredCount', count: 4 }],
    reason: 'Next shift-out step.',
    needsReconcile: true,
    pollSoon: true,
  };

  function dependencies(decisions: Decision[], lines: string[]): ControllerDependencies & { clock: { nowMs: number } } {
    const clock = { nowMs: NOW_MS };
    let next = 0;
    return {
      clock,
      ...awsDependencies(ENV, CLIENTS),
      decide: jest.fn(() => decisions[Math.min(next++, decisions.length - 1)]),
      now: () => clock.nowMs,
      sleep: async (ms) => {
        clock.nowMs += ms;
      },
      log: (line) => lines.push(line),
    };
  }

  const plentyOfTime = { getRemainingTimeInMillis: () => 800_000 };

  test('decides again after the poll interval until at rest, one log line per decision', async () => {
    const lines: string[] = [];
    const deps = dependencies([shifting, shifting, atRest], lines);

    const summary = await runController({ 'source': 'aws.events', 'detail-type': 'Scheduled Event' }, plentyOfTime, deps);

    expect(summary).toEqual({ decisions: 3, phase: 'FARGATE', intent: 'fargate', needsReconcile: false, reason: 'Fargate carries all traffic.' });
    expect(deps.decide).toHaveBeenCalledTimes(3);
    expect((deps.decide as jest.Mock).mock.calls.map(([observed]) => observed.nowMs)).toEqual([NOW_MS, NOW_MS + 5000, NOW_MS + 10000]);
    expect(lines).toHaveLength(3);
    // Three observations 5 s apart on the handler's port: the metrics are read once.
    expect(cloudwatch.commandCalls(GetMetricDataCommand)).toHaveLength(1);
  });

  test('a CloudFormation trigger keeps watching for the whole invocation, even in a steady phase', async () => {
    const steady: Decision = { phase: 'FARGATE', intent: 'fargate', actions: [{ kind: 'enableReconcile' }], reason: 'steady', needsReconcile: true, pollSoon: false };
    const lines: string[] = [];
    const deps = dependencies([steady], lines);
    const shrinking = { getRemainingTimeInMillis: () => 60_000 - (deps.clock.nowMs - NOW_MS) };

    const redeploy = await runController({ 'source': 'aws.cloudformation', 'detail-type': 'CloudFormation Resource Status Change' }, shrinking, deps);
    // Polls every 5 s while more than 5 s + 10 s of the 60 s remain: decisions at 0, 5, ..., 45 s.
    expect(redeploy.decisions).toBe(10);

    const schedule = await runController({ 'source': 'aws.events', 'detail-type': 'Scheduled Event' }, plentyOfTime, dependencies([steady], []));
    expect(schedule.decisions).toBe(1);
  });

  test('stops when no time is left for another poll', async () => {
    const lines: string[] = [];
    const deps = dependencies([shifting], lines);
    const context = { getRemainingTimeInMillis: () => 14_000 };

    const summary = await runController({}, context, deps);

    expect(summary.decisions).toBe(1);
    expect(summary.needsReconcile).toBe(true);
  });

  test('logs what it saw, decided and applied, with an EMF block', async () => {
    const lines: string[] = [];
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'bogus' } });
    await runController(
      { 'source': 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change', 'detail': { alarmName: 'web-scale-out' } },
      { getRemainingTimeInMillis: () => 1000 },
      dependencies([shifting], lines),
    );

    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({
      level: 'warn',
      msg: 'decision',
      trigger: 'aws.cloudwatch/CloudWatch Alarm State Change (web-scale-out)',
      observed: {
        phase: 'SHIFTING_TO_FARGATE',
        override: 'auto',
        lambdaWeight: 50,
        fargateWeight: 50,
        desiredCount: 3,
        runningCount: 2,
        healthyTargets: 2,
        alarms: { scaleOut: 'ALARM', scaleIn: 'OK', fargateError: 'INSUFFICIENT_DATA', overload: 'OK' },
        requestsPerMinute: 12000,
        traffic: { requestsPerMinute: [12000, 9000] },
        taskDefinition: TASK_DEFINITION,
      },
      actions: shifting.actions,
      applied: 2,
      reason: 'Next shift-out step.',
      warnings: [expect.stringMatching(/"bogus"/)],
      _aws: { Timestamp: NOW_MS, CloudWatchMetrics: [{ Namespace: 'HybridAlbService', Dimensions: [['Service']] }] },
      Service: 'web-service',
      FargateWeight: 100,
      LambdaWeight: 0,
      DesiredCount: 4,
      HealthyTargets: 2,
    });
  });

  test('a failed action is logged at error level with the metrics of what took effect, and ends the invocation in error', async () => {
    const lines: string[] = [];
    ecs.on(UpdateServiceCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    await expect(runController({}, { getRemainingTimeInMillis: () => 1000 }, dependencies([shifting], lines))).rejects.toThrow(ControllerActionError);

    expect(JSON.parse(lines[0])).toMatchObject({
      level: 'error',
      trigger: 'direct',
      applied: 1,
      failed: { action: { kind: 'setDesiredCount', count: 4 }, error: 'ThrottlingException: Rate exceeded' },
      FargateWeight: 100,
      DesiredCount: 3,
    });
  });
});

describe('handler', () => {
  test('reads its environment, writes one JSON line per decision to stdout and stops at rest', async () => {
    const saved = process.env;
    process.env = { ...saved, ...VARIABLES, POLL_INTERVAL_SECONDS: '0.01' };
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    mockDecide
      .mockReturnValueOnce({ phase: 'SHIFTING_TO_FARGATE', intent: 'fargate', actions: [{ kind: 'enableReconcile' }], reason: 'a', needsReconcile: true, pollSoon: true })
      .mockReturnValueOnce({ phase: 'FARGATE', intent: 'fargate', actions: [{ kind: 'enableReconcile' }], reason: 'b', needsReconcile: false, pollSoon: false });
    try {
      const summary = await handler({ 'source': 'aws.events', 'detail-type': 'Scheduled Event' }, { getRemainingTimeInMillis: () => 60_000 });

      expect(summary).toMatchObject({ decisions: 2, phase: 'FARGATE', needsReconcile: false });
      expect(log).toHaveBeenCalledTimes(2);
      const lines = log.mock.calls.map(([text]) => JSON.parse(text as string));
      // The line of the decision at rest carries no metrics.
      expect(lines.map((l) => [l.msg, l.reason, l._aws?.CloudWatchMetrics[0].Namespace])).toEqual([
        ['decision', 'a', 'HybridAlbService'],
        ['decision', 'b', undefined],
      ]);
      expect(eventbridge.commandCalls(EnableRuleCommand)).toHaveLength(2);
    } finally {
      process.env = saved;
      log.mockRestore();
    }
  });
});
