import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import {
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
import { ControllerDependencies, runController } from '../../src/controller/invocation';
import { apply, awsDependencies, ControllerClients, ControllerEnv, observe, readEnv } from '../../src/controller/runtime/aws-adapter';
import { handler } from '../../src/controller/runtime/controller.lambda';
import { Action, ControllerConfig, Decision, ObservedState } from '../../src/controller/types';

const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2';
const LAMBDA_TG = 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/web-lambda/73e2d6bc24d8a067';
const FARGATE_TG = 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:targetgroup/web-fargate/943f017f100becff';

const CONFIG: ControllerConfig = {
  shiftOutSteps: [10, 50, 100],
  shiftOutPauseSeconds: 60,
  shiftBackSteps: [50, 20, 0],
  shiftBackPauseSeconds: 60,
  minTasks: 1,
  maxTasks: 10,
  requestsPerTaskPerMinute: 6000,
  minFargateSeconds: 900,
  drainSeconds: 300,
  overflowLambdaWeight: 0,
};

const VARIABLES: Record<string, string> = {
  LISTENER_ARN: LISTENER,
  LOAD_BALANCER_FULL_NAME: 'app/web/50dc6c495c0c9188',
  LAMBDA_TARGET_GROUP_ARN: LAMBDA_TG,
  FARGATE_TARGET_GROUP_ARN: FARGATE_TG,
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

/** A service half way through a shift: Fargate 50, three tasks, one scale-out alarm firing. */
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
  ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'web-service', desiredCount: 3, runningCount: 2 }] });
  autoScaling.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [{ MinCapacity: 3, MaxCapacity: 10 } as never] });
  cloudwatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: [
      { AlarmName: 'web-scale-out', StateValue: 'ALARM' },
      { AlarmName: 'web-scale-in', StateValue: 'OK' },
      { AlarmName: 'web-fargate-error', StateValue: 'INSUFFICIENT_DATA' },
    ],
  });
  cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'requests', Values: [12000, 9000] }] });
  ssm.on(GetParameterCommand).resolves({ Parameter: { Name: '/web/mode', Value: 'auto' } });
}

// The handler's own decide() is replaced so these tests pin the adapter and loop, not the decision rules.
const mockDecide = jest.fn<Decision, [ObservedState, ControllerConfig]>();
jest.mock('../../src/controller/decision', () => ({
  ...jest.requireActual('../../src/controller/decision'),
  decide: (observed: ObservedState, config: ControllerConfig) => mockDecide(observed, config),
}));

const NOW_MS = Date.UTC(2024, 0, 1, 12, 30, 42);

beforeEach(() => {
  for (const mock of [elbv2, ecs, cloudwatch, eventbridge, ssm, autoScaling]) {
    mock.reset();
  }
  stubShiftingService();
});

describe('readEnv', () => {
  test('reads every variable and applies the defaults', () => {
    expect(ENV).toEqual({
      listenerArn: LISTENER,
      loadBalancerFullName: 'app/web/50dc6c495c0c9188',
      lambdaTargetGroupArn: LAMBDA_TG,
      fargateTargetGroupArn: FARGATE_TG,
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
    const { SCALE_IN_ALARM_NAME: _, ...missing } = VARIABLES;
    expect(() => readEnv(missing)).toThrow(/SCALE_IN_ALARM_NAME is missing/);
  });

  test('takes the CloudWatch dimension out of a load balancer ARN', () => {
    const env = readEnv({
      ...VARIABLES,
      LOAD_BALANCER_FULL_NAME: 'arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/web/50dc6c495c0c9188',
    });
    expect(env.loadBalancerFullName).toBe('app/web/50dc6c495c0c9188');
  });

  test('rejects a load balancer name that is not app/<name>/<id>', () => {
    expect(() => readEnv({ ...VARIABLES, LOAD_BALANCER_FULL_NAME: 'web' })).toThrow(/LOAD_BALANCER_FULL_NAME "web"/);
  });

  test('names the controller config field that is wrong', () => {
    const config = JSON.stringify({ ...CONFIG, drainSeconds: '300' });
    expect(() => readEnv({ ...VARIABLES, CONTROLLER_CONFIG: config })).toThrow(/CONTROLLER_CONFIG.drainSeconds "300" is not a number/);
    expect(() => readEnv({ ...VARIABLES, CONTROLLER_CONFIG: '{' })).toThrow(/CONTROLLER_CONFIG is not valid JSON/);
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
      scaleOutAlarm: 'ALARM',
      scaleInAlarm: 'OK',
      fargateErrorAlarm: 'INSUFFICIENT_DATA',
      overloadAlarm: 'OK',
      requestsPerMinute: 12000,
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

  test('fails clearly when the listener does not forward', async () => {
    elbv2.on(DescribeListenersCommand).resolves({
      Listeners: [{ DefaultActions: [{ Type: 'fixed-response' }] }],
    });
    await expect(observe(ENV, CLIENTS, NOW_MS, jest.fn())).rejects.toThrow(/has no forward default action/);
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

  test('reads no request count data as 0 and queries complete minutes for the load balancer', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'requests', Values: [] }] });
    const observed = await observe(ENV, CLIENTS, NOW_MS, jest.fn());
    expect(observed.requestsPerMinute).toBe(0);
    const input = cloudwatch.commandCalls(GetMetricDataCommand)[0].args[0].input;
    expect(input.EndTime).toEqual(new Date(Date.UTC(2024, 0, 1, 12, 30, 0)));
    expect(input.StartTime).toEqual(new Date(Date.UTC(2024, 0, 1, 12, 25, 0)));
    expect(input.ScanBy).toBe('TimestampDescending');
    expect(input.MetricDataQueries?.[0].MetricStat).toEqual({
      Metric: {
        Namespace: 'AWS/ApplicationELB',
        MetricName: 'RequestCount',
        Dimensions: [{ Name: 'LoadBalancer', Value: 'app/web/50dc6c495c0c9188' }],
      },
      Period: 60,
      Stat: 'Sum',
    });
  });

  test('leaves malformed or absent marks unset', async () => {
    elbv2.on(DescribeTagsCommand).resolves({
      TagDescriptions: [{ ResourceArn: FARGATE_TG, Tags: [{ Key: 'hybrid-alb:intent', Value: 'ec2' }, { Key: 'hybrid-alb:intent-since', Value: 'yesterday' }] }],
    });
    const observed = await observe(ENV, CLIENTS, NOW_MS, jest.fn());
    expect(observed.marks).toEqual({ intent: undefined, intentSinceMs: undefined, lastWeightChangeMs: undefined });
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
});

describe('apply', () => {
  const actions: Action[] = [
    { kind: 'setMinCapacity', min: 2 },
    { kind: 'setDesiredCount', count: 2 },
    { kind: 'setWeights', lambda: 90, fargate: 10 },
    { kind: 'setMarks', marks: { intent: 'fargate', intentSinceMs: 1700000000000, lastWeightChangeMs: 1700000000000 } },
    { kind: 'enableReconcile' },
  ];

  test('sends exactly one call per action with the expected input', async () => {
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
    expect(elbv2.commandCalls(ModifyListenerCommand).map((c) => c.args[0].input)).toEqual([{
      ListenerArn: LISTENER,
      DefaultActions: [{
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [{ TargetGroupArn: LAMBDA_TG, Weight: 90 }, { TargetGroupArn: FARGATE_TG, Weight: 10 }],
          TargetGroupStickinessConfig: { Enabled: false },
        },
      }],
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

  test('writes only the marks that are set', async () => {
    await apply([{ kind: 'setMarks', marks: { lastWeightChangeMs: 42 } }], ENV, CLIENTS);
    expect(elbv2.commandCalls(AddTagsCommand)[0].args[0].input.Tags).toEqual([{ Key: 'hybrid-alb:last-weight-change', Value: '42' }]);
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
  const atRest: Decision = { phase: 'FARGATE', intent: 'fargate', actions: [], reason: 'Fargate carries all traffic.', needsReconcile: false };
  const shifting: Decision = {
    phase: 'SHIFTING_TO_FARGATE',
    intent: 'fargate',
    actions: [{ kind: 'setWeights', lambda: 0, fargate: 100 }, { kind: 'setDesiredCount', count: 4 }],
    reason: 'Next shift-out step.',
    needsReconcile: true,
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
  });

  test('a CloudFormation trigger keeps watching for the whole invocation, even in a steady phase', async () => {
    const steady: Decision = { phase: 'FARGATE', intent: 'fargate', actions: [{ kind: 'enableReconcile' }], reason: 'steady', needsReconcile: true };
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
      },
      actions: shifting.actions,
      applied: 2,
      reason: 'Next shift-out step.',
      warnings: [expect.stringMatching(/"bogus"/)],
      _aws: {
        Timestamp: NOW_MS,
        CloudWatchMetrics: [{
          Namespace: 'HybridAlbService',
          Dimensions: [['Service']],
          Metrics: [
            { Name: 'FargateWeight', Unit: 'Percent' },
            { Name: 'LambdaWeight', Unit: 'Percent' },
            { Name: 'DesiredCount', Unit: 'Count' },
            { Name: 'HealthyTargets', Unit: 'Count' },
          ],
        }],
      },
      Service: 'web-service',
      FargateWeight: 100,
      LambdaWeight: 0,
      DesiredCount: 4,
      HealthyTargets: 2,
    });
  });

  test('logs a failed action at error level with the metrics of what took effect', async () => {
    const lines: string[] = [];
    ecs.on(UpdateServiceCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await runController({}, { getRemainingTimeInMillis: () => 1000 }, dependencies([shifting], lines));

    const line = JSON.parse(lines[0]);
    expect(line).toMatchObject({
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
      .mockReturnValueOnce({ phase: 'SHIFTING_TO_FARGATE', intent: 'fargate', actions: [{ kind: 'enableReconcile' }], reason: 'a', needsReconcile: true })
      .mockReturnValueOnce({ phase: 'FARGATE', intent: 'fargate', actions: [{ kind: 'disableReconcile' }], reason: 'b', needsReconcile: false });
    try {
      const summary = await handler({ 'source': 'aws.events', 'detail-type': 'Scheduled Event' }, { getRemainingTimeInMillis: () => 60_000 });

      expect(summary).toMatchObject({ decisions: 2, phase: 'FARGATE', needsReconcile: false });
      expect(log).toHaveBeenCalledTimes(2);
      const lines = log.mock.calls.map(([text]) => JSON.parse(text as string));
      expect(lines.map((l) => [l.msg, l.reason, l._aws.CloudWatchMetrics[0].Namespace])).toEqual([
        ['decision', 'a', 'HybridAlbService'],
        ['decision', 'b', 'HybridAlbService'],
      ]);
      expect(eventbridge.commandCalls(EnableRuleCommand)).toHaveLength(1);
      expect(eventbridge.commandCalls(DisableRuleCommand)).toHaveLength(1);
    } finally {
      process.env = saved;
      log.mockRestore();
    }
  });
});
