/**
 * The controller against a real AWS API over HTTP: moto's server (https://github.com/getmoto/moto), pinned in
 * ./emulator/moto-server.ts. The SDK requests, their serialization and the emulator's answers are all real; only
 * the clock is injected, so minutes of pauses and drains take no wall time.
 *
 * What moto 5.2.5 covers, through the SDK v3 clients the handler uses:
 * - ELBv2: DescribeListeners and ModifyListener with an authenticate-oidc step and a weighted, sticky ForwardConfig
 *   (the controller reads the default actions and writes them back with new weights). Unlike AWS, moto accepts the
 *   authenticate step on an HTTP listener, returns the client secret from DescribeListeners and, given
 *   UseExistingClientSecret, stores the flag instead of keeping the secret. DescribeTargetHealth (every registered IP target reads `healthy`, whether
 *   or not a task behind it runs), AddTags/DescribeTags on a target group, target groups of type `lambda` and `ip`.
 * - ECS: DescribeServices, UpdateService, ListTasks (desiredStatus honoured; serviceName accepted but ignored, no
 *   pagination), DescribeTasks (ENI attachment with `privateIPv4Address`), RunTask and StopTask. moto's services start
 *   no tasks and runningCount follows desiredCount at once, so `actAsEcs` plays the service scheduler between polls.
 * - Application Auto Scaling: DescribeScalableTargets, RegisterScalableTarget with MinCapacity only (keeps Max).
 * - CloudWatch: DescribeAlarms, SetAlarmState, PutMetricData and GetMetricData (Sum and Average per minute, exact
 *   dimension sets, TimestampDescending).
 * - EventBridge: EnableRule/DisableRule/DescribeRule. SSM: GetParameter/PutParameter.
 * Worked around: CreateService with a network configuration needs a security group (moto raises a KeyError
 * without one); RunTask needs a container-level memory (moto sums it, a TypeError without one) and a VPC with DNS hostnames (an
 * AttributeError without); VPC/subnets are created with raw EC2 query calls since @aws-sdk/client-ec2 is not a dependency;
 * moto advances a task towards STOPPED each time DescribeTasks returns it, so the world sets a transition that keeps
 * tasks RUNNING until StopTask.
 * Not covered by moto: alarms never evaluate metrics, so alarm states are set with SetAlarmState; the load balancer
 * publishes no metrics, so its datapoints are written with PutMetricData; target health never changes by itself.
 */
import { DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { PutMetricDataCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeTagsCommand,
  DescribeTargetHealthCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeRuleCommand } from '@aws-sdk/client-eventbridge';
import { hasPython, MotoServer, startMoto } from './emulator/moto-server';
import { actAsEcs, createWorld, emulatorClients, OIDC, privateAddress, REGION, runningTasks, World } from './emulator/world';
import { decide, holdSeconds } from '../../src/controller/decision';
import { ControllerContext, ControllerDependencies, ControllerEvent, runController } from '../../src/controller/invocation';
import { awsDependencies, ControllerClients, observe, readEnv } from '../../src/controller/runtime/aws-adapter';
import { handler } from '../../src/controller/runtime/controller.lambda';
import { marksFromTags } from '../../src/controller/runtime/marks';
import { CONTROLLER_DEFAULTS } from '../../src/controller/tunables';
import { ControllerConfig } from '../../src/controller/types';

/** The defaults (steps 10/50/100 30 s apart, back 50/20/0 60 s apart, 3,000 requests/min a task), at most 4 tasks. */
const CONFIG: ControllerConfig = { ...CONTROLLER_DEFAULTS, maxTasks: 4, requestsPerTaskPerMinute: 3000, taskCapacityRequestsPerMinute: 3750 };

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
    // Ten seconds into the current minute, so which minutes are complete does not depend on when the test runs.
    clock.nowMs = Math.floor(Date.now() / 60_000) * 60_000 + 10_000;
    deps = {
      ...awsDependencies(readEnv(world.variables), clients),
      decide,
      now: () => clock.nowMs,
      // Time passes only here; while it does, "ECS" brings the running tasks and their targets in line with the desired count.
      sleep: async (ms) => {
        clock.nowMs += ms;
        await actAsEcs(world, clients);
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
    const groups = listener.DefaultActions!.find((action) => action.Type === 'forward')!.ForwardConfig!.TargetGroups!;
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

  /** Load balancer RequestCount datapoints, as ALB would publish them, for the complete minutes `minutesAgo` before the clock's. */
  async function publishRequests(requests: number, ...minutesAgo: number[]): Promise<void> {
    const currentMinute = Math.floor(clock.nowMs / 60_000) * 60_000;
    await clients.cloudwatch.send(new PutMetricDataCommand({
      Namespace: 'AWS/ApplicationELB',
      MetricData: minutesAgo.map((ago) => ({
        MetricName: 'RequestCount',
        Dimensions: [{ Name: 'LoadBalancer', Value: world.variables.LOAD_BALANCER_FULL_NAME }],
        Timestamp: new Date(currentMinute - ago * 60_000 + 30_000),
        Value: requests,
        Unit: 'Count',
      })),
    }));
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

      // The second decision is the look the loop takes after disabling the schedule, to confirm the rest.
      expect(summary).toMatchObject({ decisions: 2, phase: 'LAMBDA', intent: 'lambda', needsReconcile: false });
      expect(log).toHaveBeenCalledTimes(2);
      expect(JSON.parse(log.mock.calls[0][0] as string)).toMatchObject({
        msg: 'decision',
        trigger: 'aws.events/Scheduled Event',
        observed: { lambdaWeight: 100, fargateWeight: 0, desiredCount: 0, healthyTargets: 0, requestsPerMinute: 0, marks: {} },
        // A fresh deployment has no marks yet: the first decision records intent lambda.
        actions: [{ kind: 'setMarks', marks: { intent: 'lambda' } }, { kind: 'disableReconcile' }],
        applied: 2,
      });
      // At rest the controller reads no metrics.
      expect(JSON.parse(log.mock.calls[0][0] as string).observed).not.toHaveProperty('traffic');
      expect(JSON.parse(log.mock.calls[1][0] as string)).toMatchObject({ actions: [{ kind: 'disableReconcile' }] });
    } finally {
      process.env = saved;
      log.mockRestore();
    }
    expect(await listenerWeights()).toEqual({ lambda: 100, fargate: 0 });
    expect(await ruleState()).toBe('DISABLED');
    expect(await storedIntent()).toBe('lambda');
  });

  test('a scale-out alarm starts tasks sized to the load but keeps traffic on Lambda until targets are healthy', async () => {
    // 6,000 requests in each of the last two complete minutes: two tasks at 3,000 requests/min each, a steady demand.
    await publishRequests(6000, 1, 2);
    await setAlarm(world.alarms.scaleOut, 'ALARM');

    // Time for one decision only: the tasks are not up yet.
    const summary = await runController(alarmEvent(world.alarms.scaleOut), contextWithBudget(12_000), deps);

    // The phase is what the decision saw (still Lambda); the intent is where it now steers.
    expect(summary).toMatchObject({ decisions: 1, phase: 'LAMBDA', intent: 'fargate', needsReconcile: true });
    expect(JSON.parse(lines[0]).observed).toMatchObject({ requestsPerMinute: 6000, traffic: { requestsPerMinute: [6000, 6000] } });
    expect(await serviceCounts()).toEqual({ desired: 2, min: 2, max: CONFIG.maxTasks });
    expect(await listenerWeights()).toEqual({ lambda: 100, fargate: 0 });
    expect(await ruleState()).toBe('ENABLED');
    expect(await storedIntent()).toBe('fargate');
  });

  test('once the tasks are healthy the weights shift to Fargate step by step, pausing between steps', async () => {
    const tasks = await actAsEcs(world, clients);
    const health = await clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: world.fargateTargetGroupArn }));
    expect(health.TargetHealthDescriptions!.map((d) => [d.Target!.Id, d.TargetHealth!.State]).sort())
      .toEqual(tasks.map((task) => [privateAddress(task), 'healthy']).sort());
    expect(tasks).toHaveLength(2);

    const summary = await runController(SCHEDULED, contextWithBudget(120_000), deps);

    // On Fargate at 100 %, the schedule keeps running until a published minute can show the last weight change
    // (about five minutes); only then does the controller rest until an event or the heartbeat.
    expect(summary).toMatchObject({ phase: 'FARGATE', intent: 'fargate', needsReconcile: true });
    expect(JSON.parse(lines[0]).observed.healthyTargets).toBe(2);
    expect(fargateWeightsSet()).toEqual([10, 50, 100]);
    const stepTimes = lines
      .map((line) => JSON.parse(line))
      .filter((line) => line.actions.some((a: { kind: string }) => a.kind === 'setWeights'))
      .map((line) => line._aws.Timestamp as number);
    expect(stepTimes[1] - stepTimes[0]).toBeGreaterThanOrEqual(CONFIG.shiftOutPauseSeconds * 1000);
    expect(stepTimes[2] - stepTimes[1]).toBeGreaterThanOrEqual(CONFIG.shiftOutPauseSeconds * 1000);
    expect(await listenerWeights()).toEqual({ lambda: 0, fargate: 100 });
    // Three weight changes later the sign-in step and the stickiness are as they were, the stored client secret kept.
    const listener = (await clients.elbv2.send(new DescribeListenersCommand({ ListenerArns: [world.listenerArn] }))).Listeners![0];
    const { ClientSecret: _secret, ...oidc } = OIDC;
    expect(listener.DefaultActions).toEqual([
      { Type: 'authenticate-oidc', Order: 1, AuthenticateOidcConfig: { ...oidc, UseExistingClientSecret: true } },
      {
        Type: 'forward',
        Order: 2,
        ForwardConfig: {
          TargetGroups: [{ TargetGroupArn: world.lambdaTargetGroupArn, Weight: 0 }, { TargetGroupArn: world.fargateTargetGroupArn, Weight: 100 }],
          TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 600 },
        },
      },
    ]);
    // The minimum goes back to minTasks once Fargate has all traffic; autoscaling owns the count from there.
    expect(await serviceCounts()).toEqual({ desired: 2, min: CONFIG.minTasks, max: CONFIG.maxTasks });
    expect(lines).toHaveLength(summary.decisions);
    // Still enabled: the schedule looks again until a published minute shows Fargate at its new weight.
    expect(await ruleState()).toBe('ENABLED');
  });

  test('a task that stops while its target still reads healthy is not counted healthy, and Lambda covers for it until ECS replaces it', async () => {
    const [crashed] = await runningTasks(world, clients);
    // The task stops; the load balancer has not noticed (moto keeps the target healthy until it is deregistered).
    await clients.ecs.send(new StopTaskCommand({ cluster: world.cluster, task: crashed.taskArn, reason: 'Essential container in task exited' }));
    const env = readEnv(world.variables);
    const seen = await observe(env, clients, clock.nowMs, () => undefined);
    const health = await clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: world.fargateTargetGroupArn }));
    expect(health.TargetHealthDescriptions!.filter((d) => d.TargetHealth!.State === 'healthy')).toHaveLength(2);
    expect(seen).toMatchObject({ healthyTargets: 1, deadTargets: 1, unhealthyTargets: 0, fargateWeight: 100 });

    // ECS starts a replacement and deregisters the stopped task's address during the first poll interval.
    const summary = await runController(SCHEDULED, contextWithBudget(60_000), deps);

    expect(fargateWeightsSet()).toEqual([0, 100]);
    expect(JSON.parse(lines[0]).reason).toMatch(/stopped task/);
    expect(summary).toMatchObject({ phase: 'FARGATE', needsReconcile: true });
    expect(await listenerWeights()).toEqual({ lambda: 0, fargate: 100 });
    const replaced = await runningTasks(world, clients);
    expect(replaced.map((task) => task.taskArn)).not.toContain(crashed.taskArn);
    expect(replaced).toHaveLength(2);
  });

  test('a scale-in alarm after the hold on Fargate shifts back to Lambda, drains, scales to zero and disables the schedule', async () => {
    await setAlarm(world.alarms.scaleOut, 'OK');
    await setAlarm(world.alarms.scaleIn, 'ALARM');
    // The hold is minFargateSeconds, doubled for each scale-out that came soon after the previous rest on Lambda.
    const tags = await clients.elbv2.send(new DescribeTagsCommand({ ResourceArns: [world.fargateTargetGroupArn] }));
    const marks = marksFromTags(tags.TagDescriptions![0].Tags ?? []);
    const heldFrom = Math.max(marks.intentSinceMs!, marks.lastHighLoadMs ?? 0);
    clock.nowMs = Math.max(clock.nowMs, heldFrom + holdSeconds(marks.recurrences ?? 0, CONFIG) * 1000);

    const summary = await runController(alarmEvent(world.alarms.scaleIn), contextWithBudget(900_000), deps);

    expect(summary).toMatchObject({ phase: 'LAMBDA', intent: 'lambda', needsReconcile: false });
    expect(fargateWeightsSet()).toEqual([50, 20, 0]);
    expect(await listenerWeights()).toEqual({ lambda: 100, fargate: 0 });
    expect(await serviceCounts()).toEqual({ desired: 0, min: 0, max: CONFIG.maxTasks });
    expect(await ruleState()).toBe('DISABLED');
    expect(await storedIntent()).toBe('lambda');
    const health = await clients.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: world.fargateTargetGroupArn }));
    expect(health.TargetHealthDescriptions).toEqual([]);
    expect(await runningTasks(world, clients)).toEqual([]);
  });
});
