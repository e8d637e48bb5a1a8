/**
 * The controller against a real AWS API over HTTP: moto's server (https://github.com/getmoto/moto), pinned in
 * ./emulator/moto-server.ts. The SDK requests, their serialization and the emulator's answers are all real; only
 * the clock is injected, so minutes of pauses and drains take no wall time.
 *
 * What moto 5.2.5 covers, through the SDK v3 clients the handler uses:
 * - ELBv2: DescribeListeners and ModifyListener with a weighted ForwardConfig (weights read back as written),
 *   DescribeTargetHealth (every registered IP target reads `healthy`), AddTags/DescribeTags on a target group,
 *   target groups of type `lambda` and `ip`.
 * - ECS: DescribeServices, UpdateService. moto runs no tasks: runningCount follows desiredCount at once and nothing
 *   registers targets, so `syncTargetsWithDesiredCount` plays ECS between polls.
 * - Application Auto Scaling: DescribeScalableTargets, RegisterScalableTarget with MinCapacity only (keeps Max).
 * - CloudWatch: DescribeAlarms with AlarmTypes, SetAlarmState, PutMetricData and GetMetricData (Sum per minute).
 * - EventBridge: EnableRule/DisableRule/DescribeRule. SSM: GetParameter/PutParameter.
 * Worked around: CreateService with a network configuration needs a security group (moto raises a KeyError
 * without one), and VPC/subnets are created with raw EC2 query calls since @aws-sdk/client-ec2 is not a dependency.
 * Not covered by moto: alarms never evaluate metrics, so alarm states are set with SetAlarmState.
 */
import { DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { PutMetricDataCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeTagsCommand,
  DescribeTargetHealthCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeRuleCommand } from '@aws-sdk/client-eventbridge';
import { hasPython, MotoServer, startMoto } from './emulator/moto-server';
import { createWorld, emulatorClients, REGION, syncTargetsWithDesiredCount, World } from './emulator/world';
import { decide } from '../../src/controller/decision';
import { ControllerContext, ControllerDependencies, ControllerEvent, runController } from '../../src/controller/invocation';
import { awsDependencies, ControllerClients, readEnv } from '../../src/controller/runtime/aws-adapter';
import { handler } from '../../src/controller/runtime/controller.lambda';
import { marksFromTags } from '../../src/controller/runtime/marks';
import { ControllerConfig } from '../../src/controller/types';

const CONFIG: ControllerConfig = {
  shiftOutSteps: [10, 50, 100],
  shiftOutPauseSeconds: 30,
  shiftBackSteps: [50, 20, 0],
  shiftBackPauseSeconds: 60,
  minTasks: 1,
  maxTasks: 4,
  requestsPerTaskPerMinute: 3000,
  minFargateSeconds: 600,
  drainSeconds: 30,
  overflowLambdaWeight: 0,
};

const SCHEDULED: ControllerEvent = { 'source': 'aws.events', 'detail-type': 'Scheduled Event' };
const alarmEvent = (alarmName: string): ControllerEvent => ({
  'source': 'aws.cloudwatch',
  'detail-type': 'CloudWatch Alarm State Change',
  'detail': { alarmName },
});

const pythonAvailable = hasPython();
if (!pythonAvailable) {
  // Stated loudly so a CI image without Python is noticed rather than read as a pass.
  console.warn('Skipping the controller emulator tests: python3 is not on the PATH, so moto_server cannot run.');
}
const describeWithEmulator = pythonAvailable ? describe : describe.skip;

describeWithEmulator('controller against the moto AWS emulator', () => {
  // The first run creates .venv and installs moto (about half a minute); later runs start the server in about 1 s.
  jest.setTimeout(300_000);

  let moto: MotoServer;
  let clients: ControllerClients;
  let world: World;
  let deps: ControllerDependencies;
  const clock = { nowMs: 0 };
  const lines: string[] = [];

  beforeAll(async () => {
    moto = await startMoto();
    clients = emulatorClients(moto.endpoint);
    world = await createWorld(moto.endpoint, clients, CONFIG);
    clock.nowMs = Date.now();
    deps = {
      ...awsDependencies(readEnv(world.variables), clients),
      decide,
      now: () => clock.nowMs,
      // Time passes only here; while it does, "ECS" brings the registered targets in line with the desired count.
      sleep: async (ms) => {
        clock.nowMs += ms;
        await syncTargetsWithDesiredCount(world, clients);
      },
      log: (line) => lines.push(line),
    };
  }, 300_000);

  afterAll(async () => {
    await moto?.stop();
  });

  beforeEach(() => {
    lines.length = 0;
  });

  /** A Lambda context whose remaining time runs down with the injected clock. */
  function contextWithBudget(budgetMs: number): ControllerContext {
    const deadline = clock.nowMs + budgetMs;
    return { getRemainingTimeInMillis: () => deadline - clock.nowMs };
  }

  async function listenerWeights(): Promise<{ lambda: number; fargate: number }> {
    const listener = (await clients.elbv2.send(new DescribeListenersCommand({ ListenerArns: [world.listenerArn] }))).Listeners![0];
    const groups = listener.DefaultActions![0].ForwardConfig!.TargetGroups!;
    const weightOf = (arn: string) => groups.find((g) => g.TargetGroupArn === arn)?.Weight;
    return { lambda: weightOf(world.lambdaTargetGroupArn)!, fargate: weightOf(world.fargateTargetGroupArn)! };
  }

  async function serviceCounts(): Promise<{ desired: number; min: number; max: number }> {
    const service = (await clients.ecs.send(new DescribeServicesCommand({ cluster: world.cluster, services: [world.service] }))).services![0];
    const target = (await clients.autoScaling.send(new DescribeScalableTargetsCommand({
      ServiceNamespace: 'ecs',
      ResourceIds: [`service/${world.cluster}/${world.service}`],
    }))).ScalableTargets![0];
    return { desired: service.desiredCount!, min: target.MinCapacity!, max: target.MaxCapacity! };
  }

  async function ruleState(): Promise<string | undefined> {
    return (await clients.eventbridge.send(new DescribeRuleCommand({ Name: world.ruleName }))).State;
  }

  async function storedIntent(): Promise<string | undefined> {
    const tags = await clients.elbv2.send(new DescribeTagsCommand({ ResourceArns: [world.fargateTargetGroupArn] }));
    return marksFromTags(tags.TagDescriptions![0].Tags ?? []).intent;
  }

  async function setAlarm(alarmName: string, state: 'OK' | 'ALARM'): Promise<void> {
    await clients.cloudwatch.send(new SetAlarmStateCommand({ AlarmName: alarmName, StateValue: state, StateReason: 'emulator test' }));
  }

  /** Fargate weights the decisions set, in order, from the decision log lines. */
  function fargateWeightsSet(): number[] {
    return lines
      .flatMap((line) => JSON.parse(line).actions as Array<{ kind: string; fargate?: number }>)
      .filter((action) => action.kind === 'setWeights')
      .map((action) => action.fargate!);
  }

  test('the deployed handler reads its environment, reaches the emulator through AWS_ENDPOINT_URL and stays at rest', async () => {
    const saved = process.env;
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    process.env = {
      ...saved,
      ...world.variables,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
    };
    try {
      const summary = await handler(SCHEDULED, { getRemainingTimeInMillis: () => 60_000 });

      expect(summary).toMatchObject({ decisions: 1, phase: 'LAMBDA', intent: 'lambda', needsReconcile: false });
      expect(log).toHaveBeenCalledTimes(1);
      expect(JSON.parse(log.mock.calls[0][0] as string)).toMatchObject({
        msg: 'decision',
        trigger: 'aws.events/Scheduled Event',
        observed: { lambdaWeight: 100, fargateWeight: 0, desiredCount: 0, healthyTargets: 0, marks: {} },
        // A fresh deployment has no marks yet: the first decision records intent lambda.
        actions: [{ kind: 'setMarks', marks: { intent: 'lambda' } }, { kind: 'disableReconcile' }],
        applied: 2,
      });
    } finally {
      process.env = saved;
      log.mockRestore();
    }
    expect(await listenerWeights()).toEqual({ lambda: 100, fargate: 0 });
    expect(await ruleState()).toBe('DISABLED');
    expect(await storedIntent()).toBe('lambda');
  });

  test('a scale-out alarm starts tasks sized to the load but keeps traffic on Lambda until targets are healthy', async () => {
    // 6,000 requests in the last complete minute: two tasks at 3,000 requests/min each.
    const lastMinute = Math.floor(clock.nowMs / 60_000) * 60_000 - 30_000;
    await clients.cloudwatch.send(new PutMetricDataCommand({
      Namespace: 'AWS/ApplicationELB',
      MetricData: [{
        MetricName: 'RequestCount',
        Dimensions: [{ Name: 'LoadBalancer', Value: world.variables.LOAD_BALANCER_FULL_NAME }],
        Timestamp: new Date(lastMinute),
        Value: 6000,
        Unit: 'Count',
      }],
    }));
    await setAlarm(world.alarms.scaleOut, 'ALARM');

    // Time for one decision only: the tasks are not up yet.
    const summary = await runController(alarmEvent(world.alarms.scaleOut), contextWithBudget(12_000), deps);

    // The phase is what the decision saw (still Lambda); the intent is where it now steers.
    expect(summary).toMatchObject({ decisions: 1, phase: 'LAMBDA', intent: 'fargate', needsReconcile: true });
    expect(JSON.parse(lines[0]).observed.requestsPerMinute).toBe(6000);
    expect(await serviceCounts()).toEqual({ desired: 2, min: 2, max: CONFIG.maxTasks });
    expect(await listenerWeights()).toEqual({ lambda: 100, fargate: 0 });
    expect(await ruleState()).toBe('ENABLED');
    expect(await storedIntent()).toBe('fargate');
  });

  test('once the tasks are healthy the weights shift to Fargate step by step, pausing between steps', async () => {
    await syncTargetsWithDesiredCount(world, clients);
    const health = await clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: world.fargateTargetGroupArn }));
    expect(health.TargetHealthDescriptions!.map((d) => d.TargetHealth!.State)).toEqual(['healthy', 'healthy']);

    const summary = await runController(SCHEDULED, contextWithBudget(120_000), deps);

    // On Fargate the controller keeps polling (it must notice targets going unhealthy) until the invocation ends.
    expect(summary).toMatchObject({ phase: 'FARGATE', intent: 'fargate', needsReconcile: true });
    expect(fargateWeightsSet()).toEqual([10, 50, 100]);
    const stepTimes = lines
      .map((line) => JSON.parse(line))
      .filter((line) => line.actions.some((a: { kind: string }) => a.kind === 'setWeights'))
      .map((line) => line._aws.Timestamp as number);
    expect(stepTimes[1] - stepTimes[0]).toBeGreaterThanOrEqual(CONFIG.shiftOutPauseSeconds * 1000);
    expect(stepTimes[2] - stepTimes[1]).toBeGreaterThanOrEqual(CONFIG.shiftOutPauseSeconds * 1000);
    expect(await listenerWeights()).toEqual({ lambda: 0, fargate: 100 });
    // The minimum goes back to minTasks once Fargate has all traffic; autoscaling owns the count from there.
    expect(await serviceCounts()).toEqual({ desired: 2, min: CONFIG.minTasks, max: CONFIG.maxTasks });
    expect(lines).toHaveLength(summary.decisions);
    expect(lines.every((line) => JSON.parse(line)._aws.CloudWatchMetrics[0].Namespace === 'HybridAlbService')).toBe(true);
  });

  test('a scale-in alarm after minFargateSeconds shifts back to Lambda, drains, scales to zero and disables the schedule', async () => {
    await setAlarm(world.alarms.scaleOut, 'OK');
    await setAlarm(world.alarms.scaleIn, 'ALARM');
    clock.nowMs += CONFIG.minFargateSeconds * 1000;

    const summary = await runController(alarmEvent(world.alarms.scaleIn), contextWithBudget(900_000), deps);

    expect(summary).toMatchObject({ phase: 'LAMBDA', intent: 'lambda', needsReconcile: false });
    expect(fargateWeightsSet()).toEqual([50, 20, 0]);
    expect(await listenerWeights()).toEqual({ lambda: 100, fargate: 0 });
    expect(await serviceCounts()).toEqual({ desired: 0, min: 0, max: CONFIG.maxTasks });
    expect(await ruleState()).toBe('DISABLED');
    expect(await storedIntent()).toBe('lambda');
    const health = await clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: world.fargateTargetGroupArn }));
    expect(health.TargetHealthDescriptions).toEqual([]);
  });
});
