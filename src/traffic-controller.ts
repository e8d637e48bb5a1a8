import { CfnResource, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { ControllerFunction } from './controller/controller-function';
import {
  CONTROLLER_DEFAULTS,
  OVERLOAD_ALARM,
  SCALING_DEFAULTS,
  SCALING_RANGES,
  defaultTaskCapacity,
  validateControllerConfig,
} from './controller/tunables';
import { ControllerConfig } from './controller/types';
import { acknowledgeRule, acknowledgeWildcardResource } from './private/nag';
import { checkIntegerRange, fail } from './private/validation';

/** Where traffic goes. */
export enum TrafficMode {
  /** The alarms decide: Lambda at low load, Fargate under sustained load. */
  AUTO = 'auto',
  /** Pin all traffic to Lambda; Fargate drains and scales to zero. */
  LAMBDA = 'lambda',
  /** Pin all traffic to Fargate (once it has healthy tasks). */
  FARGATE = 'fargate',
}

/** When and how the controller moves traffic between Lambda and Fargate. */
export interface ScalingOptions {
  /**
   * Initial mode, written to the mode parameter at deploy. Change it at run time with
   * `aws ssm put-parameter --overwrite --name <modeParameter> --value auto|lambda|fargate`.
   * @default TrafficMode.AUTO
   */
  readonly mode?: TrafficMode;

  /**
   * Load balancer requests per minute above which load counts as sustained (scale-out alarm threshold).
   * @default 1200 (20 requests per second)
   */
  readonly scaleOutRequestsPerMinute?: number;

  /**
   * Consecutive 1-minute periods above `scaleOutRequestsPerMinute` before scaling out.
   * @default 2
   */
  readonly scaleOutPeriods?: number;

  /**
   * Load balancer requests per minute below which load counts as low (scale-in alarm threshold).
   *
   * Must be below `scaleOutRequestsPerMinute`. A scale-out whose load falls below it before the first Fargate weight is
   * cancelled.
   * @default 300 (5 requests per second)
   */
  readonly scaleInRequestsPerMinute?: number;

  /**
   * Consecutive 1-minute periods below `scaleInRequestsPerMinute` before shifting back to Lambda.
   * @default 10
   */
  readonly scaleInPeriods?: number;

  /**
   * Fargate weights on the way out, strictly increasing integers in 1..100 ending at 100.
   * @default [10, 50, 100]
   */
  readonly shiftOutSteps?: number[];

  /**
   * Pause between two shift-out steps (each step also waits for healthy targets and no Fargate errors).
   * @default Duration.seconds(30)
   */
  readonly shiftOutPause?: Duration;

  /**
   * Fargate weights on the way back, strictly decreasing integers in 0..99 ending at 0.
   * @default [50, 20, 0]
   */
  readonly shiftBackSteps?: number[];

  /**
   * Pause between two shift-back steps, so Lambda warms up step by step.
   * @default Duration.seconds(60)
   */
  readonly shiftBackPause?: Duration;

  /**
   * Fewest tasks while Fargate carries traffic.
   * @default 1
   */
  readonly minTasks?: number;

  /**
   * Minimum time on Fargate before low load may send traffic back (hysteresis against flapping).
   * @default Duration.minutes(10)
   */
  readonly minFargateDuration?: Duration;

  /**
   * Time after the Fargate weight reaches 0 before tasks are stopped; at least the deregistration delay.
   * @default - the Fargate deregistration delay plus 15 seconds
   */
  readonly drainDuration?: Duration;

  /**
   * Lambda weight (0..99) while Fargate is at `maxTasks` and still overloaded. 0 keeps all traffic on Fargate.
   * @default 0
   */
  readonly overflowLambdaWeight?: number;

  /**
   * Fargate target 5xx responses per minute that hold the shift to Fargate at its current step.
   * @default 10
   */
  readonly fargateErrorsPerMinute?: number;

  /**
   * Requests per minute one healthy task can carry.
   *
   * Fargate's share never exceeds healthy tasks times this over the requests arriving; Lambda carries the rest. Set it
   * from a load test of one task.
   * @default - 1.25 × `fargate.requestsPerTaskPerMinute` (3750 with the default target)
   */
  readonly taskCapacityRequestsPerMinute?: number;

  /**
   * Wait before shifting to Fargate again after it lost its weight because its targets became unhealthy.
   *
   * Doubles with each failback in a row, up to `maxFailbackBackoff`.
   * @default Duration.seconds(60)
   */
  readonly healthFailbackBackoff?: Duration;

  /**
   * Wait before shifting to Fargate again after it lost its weight for errors materially worse than Lambda's.
   *
   * Doubles with each failback in a row, up to `maxFailbackBackoff`. A new task definition (a deploy) ends it.
   * @default Duration.hours(1)
   */
  readonly errorFailbackBackoff?: Duration;

  /**
   * Longest failback backoff.
   *
   * At least `healthFailbackBackoff` and `errorFailbackBackoff`.
   * @default Duration.hours(4)
   */
  readonly maxFailbackBackoff?: Duration;

  /**
   * Share of requests (0 to 1) by which Fargate's error rate must exceed Lambda's to send traffic back to Lambda.
   *
   * Both rates are read over the same recent minutes: Fargate's 5xx and connection errors, Lambda's 5xx and errors.
   * @default 0.02 (two percentage points)
   */
  readonly fargateErrorRateMargin?: number;

  /**
   * How soon after the previous return to Lambda a scale-out counts as a recurrence.
   *
   * Recurring bursts keep traffic on Fargate between them, for at most `maxHoldDuration`.
   * @default Duration.hours(1)
   */
  readonly recurrenceWindow?: Duration;

  /**
   * Longest time low load is held on Fargate after recurring scale-outs.
   * @default Duration.hours(4)
   */
  readonly maxHoldDuration?: Duration;

  /**
   * How many shift-out steps, from the first, wait for a published minute showing Fargate serve them without errors.
   *
   * 0: none (the error comparison then catches a bad Fargate side one to four minutes into the shift); 1: the first
   * step; and so on, up to 100. Each wait adds two to four minutes to the shift.
   * @default 0
   */
  readonly stepsWaitingForDatapoint?: number;

  /**
   * How often an always-enabled schedule invokes the controller, in whole minutes from 1 to 15.
   *
   * It catches, at rest too, a lost event or a change made outside the controller.
   * @default Duration.minutes(15)
   */
  readonly heartbeatInterval?: Duration;

  /**
   * How often the controller re-reads AWS within one invocation while traffic is moving (1 to 30 seconds).
   * @default Duration.seconds(5)
   */
  readonly pollInterval?: Duration;

  /**
   * Reserve a concurrency of 1 for the controller so two decisions never interleave their writes. Set `false`
   * only in an account whose Lambda concurrency quota is 10 (new accounts), where no concurrency can be reserved;
   * decisions are idempotent, so the cost is a stale write corrected within one poll interval.
   * @default true
   */
  readonly serializeController?: boolean;
}

/** What the controller acts on. */
export interface TrafficControllerProps {
  /** Options. */
  readonly scaling?: ScalingOptions;
  /** Load balancer whose request count drives the alarms. */
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /** Listener whose default action holds the weighted forward. */
  readonly listener: elbv2.ApplicationListener;
  /** Lambda side target group. */
  readonly lambdaTargetGroup: elbv2.ApplicationTargetGroup;
  /** Fargate side target group. */
  readonly fargateTargetGroup: elbv2.ApplicationTargetGroup;
  /** The Fargate service. */
  readonly service: ecs.FargateService;
  /** Most tasks ECS autoscaling may run. */
  readonly maxTasks: number;
  /** ECS target tracking target, requests per task per minute. */
  readonly requestsPerTaskPerMinute: number;
  /** Deregistration delay of the Fargate target group. */
  readonly deregistrationDelay: Duration;
  /** CloudFormation resources whose updates reset weights or counts; their updates trigger a repair. */
  readonly watchedResources: CfnResource[];
}

/**
 * The controller that moves traffic between the Lambda and Fargate target groups: alarms on load and a function
 * that decides. EventBridge invokes the function on:
 * - a state change of any of its four alarms (scale-out, scale-in, Fargate errors, overload);
 * - a change of the SSM mode parameter;
 * - a CloudFormation resource status change (creation or update, in progress or complete) of the listener, the
 *   Fargate service, its scalable target, the reconcile schedule or the mode parameter: a stack update resets the
 *   first four, and the parameter's creation applies the mode set at deploy;
 * - an ECS task of the service deactivating, stopping or stopped;
 * - the reconcile schedule, every minute, enabled only while traffic is moving or on Fargate;
 * - the heartbeat schedule (`scaling.heartbeatInterval`, 15 minutes by default), always enabled, which catches a lost
 *   event or an out-of-band change at rest.
 */
export class TrafficController extends Construct {
  /** The controller function. */
  public readonly function: lambda.IFunction;
  /** SSM parameter holding the mode (`auto`, `lambda` or `fargate`), read at every decision. */
  public readonly modeParameter: ssm.StringParameter;
  /** Sustained high load on the load balancer. */
  public readonly scaleOutAlarm: cloudwatch.Alarm;
  /** Sustained low load on the load balancer. */
  public readonly scaleInAlarm: cloudwatch.Alarm;
  /** Fargate targets returning 5xx. */
  public readonly fargateErrorAlarm: cloudwatch.Alarm;
  /** Fargate tasks above their per-task target (used for overflow to Lambda at maxTasks). */
  public readonly overloadAlarm: cloudwatch.Alarm;
  /** Schedule that re-invokes the controller every minute; disabled at rest. */
  public readonly reconcileRule: events.Rule;
  /** Always-enabled schedule that invokes the controller every `scaling.heartbeatInterval`. */
  public readonly heartbeatRule: events.Rule;

  /** The `Service` dimension of the controller's metrics: the ECS service's name. */
  private readonly metricServiceName: string;

  constructor(scope: Construct, id: string, props: TrafficControllerProps) {
    super(scope, id);
    this.metricServiceName = props.service.serviceName;
    const options = props.scaling ?? {};
    const thresholds = resolveThresholds(options);
    const config = resolveControllerConfig(options, props, thresholds);
    const pollIntervalSeconds = options.pollInterval?.toSeconds() ?? SCALING_DEFAULTS.pollIntervalSeconds;
    checkIntegerRange('scaling.pollInterval', pollIntervalSeconds, SCALING_RANGES.pollIntervalSeconds.min, SCALING_RANGES.pollIntervalSeconds.max, 'seconds');
    const heartbeatInterval = resolveHeartbeat(options);

    // Names known at synth: the function's environment, its policy and the rules name the parameter and the schedule,
    // which must not refer to them (the parameter is created after the rules that watch it, and the schedule targets
    // the function). SSM reserves names that start with `aws` or `ssm`, hence the path prefix.
    const uniqueName = Names.uniqueResourceName(this, { maxLength: 54, separator: '-' });
    const reconcileRuleName = `${uniqueName}-reconcile`;
    const modeParameterName = `/hybrid-alb-service/${uniqueName}/mode`;

    this.modeParameter = new ssm.StringParameter(this, 'Mode', {
      parameterName: modeParameterName,
      stringValue: options.mode ?? SCALING_DEFAULTS.mode,
      description: 'Traffic mode of the hybrid service: auto, lambda or fargate',
      allowedPattern: '^(auto|lambda|fargate)$',
    });

    const requestCount = props.loadBalancer.metrics.requestCount({ period: Duration.minutes(1), statistic: 'Sum' });
    this.scaleOutAlarm = new cloudwatch.Alarm(this, 'ScaleOutAlarm', {
      alarmDescription: 'Sustained load: move traffic to Fargate',
      metric: requestCount,
      threshold: thresholds.scaleOutRequestsPerMinute,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: thresholds.scaleOutPeriods,
      datapointsToAlarm: thresholds.scaleOutPeriods,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.scaleInAlarm = new cloudwatch.Alarm(this, 'ScaleInAlarm', {
      alarmDescription: 'Low load: move traffic back to Lambda',
      metric: requestCount,
      threshold: thresholds.scaleInRequestsPerMinute,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: thresholds.scaleInPeriods,
      datapointsToAlarm: thresholds.scaleInPeriods,
      // The load balancer publishes no datapoint for a minute without requests: that is low load.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    const minute = { period: Duration.minutes(1), statistic: 'Sum' };
    this.fargateErrorAlarm = new cloudwatch.Alarm(this, 'FargateErrorAlarm', {
      alarmDescription: 'Fargate targets answer 5xx or refuse connections: wake the controller to compare the sides',
      // Target 5xx and connection errors: a dead or refusing task is a Fargate error as much as a 5xx answer.
      metric: new cloudwatch.MathExpression({
        expression: 'FILL(errors5xx, 0) + FILL(connectionErrors, 0)',
        usingMetrics: {
          errors5xx: props.fargateTargetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, minute),
          connectionErrors: props.fargateTargetGroup.metrics.custom('TargetConnectionErrorCount', minute),
        },
        label: 'Fargate target 5xx and connection errors',
        period: Duration.minutes(1),
      }),
      threshold: thresholds.fargateErrorsPerMinute,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.overloadAlarm = new cloudwatch.Alarm(this, 'OverloadAlarm', {
      alarmDescription: 'Fargate tasks near what they can carry: wake the controller to cap Fargate\'s share (overflow to Lambda)',
      metric: props.fargateTargetGroup.metrics.requestCountPerTarget({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: Math.ceil(config.taskCapacityRequestsPerMinute * OVERLOAD_ALARM.capacityShare),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: OVERLOAD_ALARM.periods,
      datapointsToAlarm: OVERLOAD_ALARM.periods,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const alarms = [this.scaleOutAlarm, this.scaleInAlarm, this.fargateErrorAlarm, this.overloadAlarm];

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Traffic controller of a hybrid Lambda/Fargate service',
    });
    logGroup.grantWrite(role);

    // The schedule is created disabled: at rest the controller costs nothing beyond its alarms and the heartbeat.
    this.reconcileRule = new events.Rule(this, 'Reconcile', {
      ruleName: reconcileRuleName,
      description: 'Re-invoke the traffic controller every minute while traffic is moving or on Fargate',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      enabled: false,
    });

    const fn = new ControllerFunction(this, 'Function', {
      description: 'Moves traffic between the Lambda and Fargate target groups',
      role,
      logGroup,
      memorySize: 256,
      reservedConcurrentExecutions: (options.serializeController ?? SCALING_DEFAULTS.serializeController) ? 1 : undefined,
      // One invocation keeps polling every pollInterval while traffic moves; the schedule starts the next.
      timeout: Duration.seconds(60),
      environment: {
        LISTENER_ARN: props.listener.listenerArn,
        LOAD_BALANCER_FULL_NAME: props.loadBalancer.loadBalancerFullName,
        LAMBDA_TARGET_GROUP_ARN: props.lambdaTargetGroup.targetGroupArn,
        LAMBDA_TARGET_GROUP_FULL_NAME: props.lambdaTargetGroup.targetGroupFullName,
        FARGATE_TARGET_GROUP_ARN: props.fargateTargetGroup.targetGroupArn,
        FARGATE_TARGET_GROUP_FULL_NAME: props.fargateTargetGroup.targetGroupFullName,
        CLUSTER_NAME: props.service.cluster.clusterName,
        SERVICE_NAME: props.service.serviceName,
        SCALE_OUT_ALARM_NAME: this.scaleOutAlarm.alarmName,
        SCALE_IN_ALARM_NAME: this.scaleInAlarm.alarmName,
        FARGATE_ERROR_ALARM_NAME: this.fargateErrorAlarm.alarmName,
        OVERLOAD_ALARM_NAME: this.overloadAlarm.alarmName,
        MODE_PARAMETER_NAME: modeParameterName,
        RECONCILE_RULE_NAME: reconcileRuleName,
        CONTROLLER_CONFIG: JSON.stringify(config),
        POLL_INTERVAL_SECONDS: String(pollIntervalSeconds),
      },
    });
    this.function = fn;
    this.grantControl(role, props, alarms, modeParameterName);

    const target = new eventsTargets.LambdaFunction(fn, { retryAttempts: 4, maxEventAge: Duration.minutes(10) });
    this.reconcileRule.addTarget(target);
    // At rest nothing else invokes the controller unless an alarm changes state: a lost event, a failed decision or
    // a change made by hand would otherwise wait for the next alarm. Cost: see the README's idle cost.
    this.heartbeatRule = new events.Rule(this, 'Heartbeat', {
      description: 'Invoke the traffic controller on a slow schedule, so a lost event or an out-of-band change is caught at rest',
      schedule: events.Schedule.rate(heartbeatInterval),
      targets: [target],
    });
    new events.Rule(this, 'AlarmChanges', {
      description: 'Invoke the traffic controller when one of its alarms changes state',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: alarms.map(a => a.alarmArn),
      },
      targets: [target],
    });
    const modeChanges = new events.Rule(this, 'ModeChanges', {
      description: 'Invoke the traffic controller when the mode parameter changes',
      eventPattern: {
        source: ['aws.ssm'],
        detailType: ['Parameter Store Change'],
        detail: { name: [modeParameterName] },
      },
      targets: [target],
    });
    // A task stopping (crash, failed health check, scale-in) may leave the Fargate group without a healthy target
    // while it is weighted: decide at once rather than at the next schedule tick. No tasks at rest, so no events.
    new events.Rule(this, 'TaskChanges', {
      description: 'Invoke the traffic controller when a task of the Fargate service stops',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: {
          clusterArn: [props.service.cluster.clusterArn],
          group: [`service:${props.service.serviceName}`],
          lastStatus: ['DEACTIVATING', 'STOPPING', 'STOPPED'],
        },
      },
      targets: [target],
    });
    // A stack update rewrites the listener's weights, the service's desired count and the schedule's state from the
    // template (Lambda 100 / 0 tasks / disabled). The controller watches and repairs as soon as CloudFormation reports
    // the update (or a replacement) of one of them. The mode parameter is watched for its creation: the mode set at
    // deploy takes effect as soon as CloudFormation reports it, not at the next alarm change.
    const stack = Stack.of(this);
    const modeParameterResource = this.modeParameter.node.defaultChild as CfnResource;
    const watched = [...props.watchedResources, this.reconcileRule.node.defaultChild as CfnResource, modeParameterResource];
    const redeployRepair = new events.Rule(this, 'RedeployRepair', {
      description: 'Invoke the traffic controller when a stack update touches the listener, the service, its scaling or the schedule, and once the mode parameter exists',
      eventPattern: {
        source: ['aws.cloudformation'],
        detailType: ['CloudFormation Resource Status Change'],
        detail: {
          'stack-id': [stack.stackId],
          'logical-resource-id': watched.map(r => stack.resolve(stack.getLogicalId(r))),
          'status-details': { status: ['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE', 'CREATE_IN_PROGRESS', 'CREATE_COMPLETE'] },
        },
      },
      targets: [target],
    });
    // CloudFormation creates the rules (and the function they target) before the parameter, so the parameter's
    // creation events (its CREATE_COMPLETE and Parameter Store's Create) find a rule to match; the heartbeat is the
    // backstop if neither is delivered.
    this.modeParameter.node.addDependency(modeChanges, redeployRepair);
  }

  /** Least privilege: writes scoped to this listener, target group, service and rule; reads as narrow as AWS allows. */
  /**
   * Fargate's share of the traffic, in percent, as the controller set it. The controller publishes its metrics only
   * while traffic moves or is on Fargate (custom metrics bill per hour with data): at rest there are no datapoints,
   * which means Lambda 100 / Fargate 0.
   */
  public metricFargateWeight(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.controllerMetric('FargateWeight', props);
  }

  /**
   * Lambda's share of the traffic, in percent: 100 - `FargateWeight` (the controller publishes only the Fargate
   * weight). With no datapoints, at rest, the expression has none either; Lambda then carries everything.
   */
  public metricLambdaWeight(props?: cloudwatch.MetricOptions): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: '100 - fargateWeight',
      usingMetrics: { fargateWeight: this.metricFargateWeight(props) },
      label: props?.label ?? 'LambdaWeight',
      period: props?.period ?? Duration.minutes(1),
    });
  }

  /** The Fargate service's desired count as the controller set it. Published only while traffic moves or is on Fargate. */
  public metricDesiredCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.controllerMetric('DesiredCount', props);
  }

  /** Healthy targets of the Fargate target group the controller saw. Published only while traffic moves or is on Fargate. */
  public metricHealthyTargets(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.controllerMetric('HealthyTargets', props);
  }

  /** Running tasks of the Fargate service the controller saw. Published only while traffic moves or is on Fargate. */
  public metricRunningCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.controllerMetric('RunningCount', props);
  }

  private controllerMetric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: CONTROLLER_METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { Service: this.metricServiceName },
      statistic: 'Maximum',
      period: Duration.minutes(1),
      ...props,
    });
  }

  private grantControl(role: iam.Role, props: TrafficControllerProps, alarms: cloudwatch.Alarm[], modeParameterName: string): void {
    const stack = Stack.of(this);
    const clusterName = props.service.cluster.clusterName;
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ShiftWeights',
      actions: ['elasticloadbalancing:ModifyListener'],
      resources: [props.listener.listenerArn],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'RecordMarks',
      actions: ['elasticloadbalancing:AddTags'],
      resources: [props.fargateTargetGroup.targetGroupArn],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadLoadBalancer',
      actions: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeTargetHealth', 'elasticloadbalancing:DescribeTags'],
      resources: ['*'],
    }));
    // Also what Application Auto Scaling's permission validation checks on an ECS target for the caller.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ScaleService',
      actions: ['ecs:UpdateService', 'ecs:DescribeServices'],
      resources: [props.service.serviceArn],
    }));
    // ListTasks authorizes on container instances, which Fargate tasks have none of: the cluster condition scopes it.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ListServiceTasks',
      actions: ['ecs:ListTasks'],
      resources: ['*'],
      conditions: { ArnEquals: { 'ecs:cluster': props.service.cluster.clusterArn } },
    }));
    const clusterTasks = stack.formatArn({ service: 'ecs', resource: 'task', resourceName: `${clusterName}/*` });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadServiceTasks',
      actions: ['ecs:DescribeTasks'],
      resources: [clusterTasks],
    }));
    // The scalable target's ARN holds an ID the template cannot know; the condition keys keep the write to ECS
    // services' desired counts. DescribeScalableTargets supports neither key, so it has a statement of its own.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ServiceMinimum',
      actions: ['application-autoscaling:RegisterScalableTarget'],
      resources: ['*'],
      conditions: {
        StringEquals: {
          'application-autoscaling:service-namespace': 'ecs',
          'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
        },
      },
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadServiceMinimum',
      actions: ['application-autoscaling:DescribeScalableTargets'],
      resources: ['*'],
    }));
    // Application Auto Scaling checks that the caller of RegisterScalableTarget could manage alarms itself, by calling
    // PutMetricAlarm and DeleteAlarms with no parameters and DescribeAlarms with at most one record: no alarm name to
    // match an ARN pattern, so these need Resource '*' (AWS's own policy for ECS service auto scaling grants them so).
    // The controller itself never calls PutMetricAlarm or DeleteAlarms.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ScalingPolicyAlarms',
      actions: ['cloudwatch:DescribeAlarms', 'cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms'],
      resources: ['*'],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadAlarms',
      actions: ['cloudwatch:DescribeAlarms'],
      resources: alarms.map(a => a.alarmArn),
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadLoad',
      actions: ['cloudwatch:GetMetricData'],
      resources: ['*'],
    }));
    // Built from the name, not the parameter's attributes: the parameter is created after the rules that target the
    // function, and the function depends on this policy.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadMode',
      actions: ['ssm:GetParameter'],
      resources: [stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: modeParameterName.slice(1) })],
    }));
    // A policy of its own: the rule targets the function, which depends on the role's default policy.
    new iam.Policy(this, 'ToggleReconcilePolicy', {
      roles: [role],
      statements: [new iam.PolicyStatement({
        sid: 'ToggleReconcile',
        actions: ['events:EnableRule', 'events:DisableRule'],
        resources: [this.reconcileRule.ruleArn],
      })],
    });
    acknowledgeRule(role, 'AwsSolutions-IAM5[Resource::*]',
      'Describe calls of Elastic Load Balancing and CloudWatch GetMetricData take no resource scoping; Application Auto '
      + 'Scaling\'s permission validation calls cloudwatch:PutMetricAlarm, DeleteAlarms and DescribeAlarms with no alarm '
      + 'name, so they need \'*\' (the controller never calls the first two); ecs:ListTasks is '
      + 'limited to this cluster by its ecs:cluster condition; Application Auto Scaling\'s scalable target ARN holds an ID '
      + 'the template cannot know, so RegisterScalableTarget is limited by its service-namespace (ecs) and '
      + 'scalable-dimension (ecs:service:DesiredCount) conditions and DescribeScalableTargets is read-only.');
    acknowledgeWildcardResource(role, clusterTasks,
      'ecs:DescribeTasks (read-only) on the tasks of this service\'s cluster: task IDs are assigned at run time.');
  }
}

interface Thresholds {
  readonly scaleOutRequestsPerMinute: number;
  readonly scaleOutPeriods: number;
  readonly scaleInRequestsPerMinute: number;
  readonly scaleInPeriods: number;
  readonly fargateErrorsPerMinute: number;
}

function resolveThresholds(options: ScalingOptions): Thresholds {
  const scaleOutRequestsPerMinute = options.scaleOutRequestsPerMinute ?? SCALING_DEFAULTS.scaleOutRequestsPerMinute;
  const scaleInRequestsPerMinute = options.scaleInRequestsPerMinute ?? SCALING_DEFAULTS.scaleInRequestsPerMinute;
  const scaleOutPeriods = options.scaleOutPeriods ?? SCALING_DEFAULTS.scaleOutPeriods;
  const scaleInPeriods = options.scaleInPeriods ?? SCALING_DEFAULTS.scaleInPeriods;
  const fargateErrorsPerMinute = options.fargateErrorsPerMinute ?? SCALING_DEFAULTS.fargateErrorsPerMinute;
  const checkRange = (prop: keyof typeof SCALING_RANGES, value: number) =>
    checkIntegerRange(`scaling.${prop}`, value, SCALING_RANGES[prop].min, SCALING_RANGES[prop].max);
  checkRange('scaleOutRequestsPerMinute', scaleOutRequestsPerMinute);
  checkRange('scaleInRequestsPerMinute', scaleInRequestsPerMinute);
  checkRange('scaleOutPeriods', scaleOutPeriods);
  checkRange('scaleInPeriods', scaleInPeriods);
  checkRange('fargateErrorsPerMinute', fargateErrorsPerMinute);
  if (!Token.isUnresolved(scaleOutRequestsPerMinute) && !Token.isUnresolved(scaleInRequestsPerMinute)
    && scaleInRequestsPerMinute >= scaleOutRequestsPerMinute) {
    fail(`scaling.scaleInRequestsPerMinute ${scaleInRequestsPerMinute} must be below scaling.scaleOutRequestsPerMinute ${scaleOutRequestsPerMinute}; `
      + 'the gap between them keeps traffic from flapping between the two sides');
  }
  return { scaleOutRequestsPerMinute, scaleOutPeriods, scaleInRequestsPerMinute, scaleInPeriods, fargateErrorsPerMinute };
}

/** The prop each ControllerConfig field is set from, so that config problems name what the user wrote. */
const CONFIG_SOURCES: Record<keyof ControllerConfig, string> = {
  shiftOutSteps: 'scaling.shiftOutSteps',
  shiftOutPauseSeconds: 'scaling.shiftOutPause',
  shiftBackSteps: 'scaling.shiftBackSteps',
  shiftBackPauseSeconds: 'scaling.shiftBackPause',
  minTasks: 'scaling.minTasks',
  maxTasks: 'fargate.maxTasks',
  requestsPerTaskPerMinute: 'fargate.requestsPerTaskPerMinute',
  minFargateSeconds: 'scaling.minFargateDuration',
  drainSeconds: 'scaling.drainDuration',
  overflowLambdaWeight: 'scaling.overflowLambdaWeight',
  taskCapacityRequestsPerMinute: 'scaling.taskCapacityRequestsPerMinute',
  scaleInRequestsPerMinute: 'scaling.scaleInRequestsPerMinute',
  weightGranularity: 'weightGranularity',
  stepsWaitingForDatapoint: 'scaling.stepsWaitingForDatapoint',
  errorRateMargin: 'scaling.fargateErrorRateMargin',
  minErrors: 'minErrors',
  overloadResponseTimeRatio: 'overloadResponseTimeRatio',
  healthBackoffSeconds: 'scaling.healthFailbackBackoff',
  errorBackoffSeconds: 'scaling.errorFailbackBackoff',
  maxBackoffSeconds: 'scaling.maxFailbackBackoff',
  recurrenceWindowSeconds: 'scaling.recurrenceWindow',
  maxHoldSeconds: 'scaling.maxHoldDuration',
};

/** Namespace of the metrics in the controller's decision lines (the handler's default; the construct sets no other). */
const CONTROLLER_METRIC_NAMESPACE = 'HybridAlbService';

/** ALB keeps draining a deregistered target for its delay; the default drain window adds this margin. */
const DRAIN_MARGIN_SECONDS = 15;

function resolveControllerConfig(options: ScalingOptions, props: TrafficControllerProps, thresholds: Thresholds): ControllerConfig {
  const deregistrationSeconds = props.deregistrationDelay.toSeconds();
  const config: ControllerConfig = {
    shiftOutSteps: options.shiftOutSteps ?? CONTROLLER_DEFAULTS.shiftOutSteps,
    shiftOutPauseSeconds: seconds('shiftOutPauseSeconds', options.shiftOutPause) ?? CONTROLLER_DEFAULTS.shiftOutPauseSeconds,
    shiftBackSteps: options.shiftBackSteps ?? CONTROLLER_DEFAULTS.shiftBackSteps,
    shiftBackPauseSeconds: seconds('shiftBackPauseSeconds', options.shiftBackPause) ?? CONTROLLER_DEFAULTS.shiftBackPauseSeconds,
    minTasks: options.minTasks ?? CONTROLLER_DEFAULTS.minTasks,
    maxTasks: props.maxTasks,
    requestsPerTaskPerMinute: props.requestsPerTaskPerMinute,
    minFargateSeconds: seconds('minFargateSeconds', options.minFargateDuration) ?? CONTROLLER_DEFAULTS.minFargateSeconds,
    drainSeconds: seconds('drainSeconds', options.drainDuration) ?? deregistrationSeconds + DRAIN_MARGIN_SECONDS,
    overflowLambdaWeight: options.overflowLambdaWeight ?? CONTROLLER_DEFAULTS.overflowLambdaWeight,
    taskCapacityRequestsPerMinute: options.taskCapacityRequestsPerMinute ?? defaultTaskCapacity(props.requestsPerTaskPerMinute),
    scaleInRequestsPerMinute: thresholds.scaleInRequestsPerMinute,
    weightGranularity: CONTROLLER_DEFAULTS.weightGranularity,
    stepsWaitingForDatapoint: options.stepsWaitingForDatapoint ?? CONTROLLER_DEFAULTS.stepsWaitingForDatapoint,
    errorRateMargin: options.fargateErrorRateMargin ?? CONTROLLER_DEFAULTS.errorRateMargin,
    minErrors: CONTROLLER_DEFAULTS.minErrors,
    overloadResponseTimeRatio: CONTROLLER_DEFAULTS.overloadResponseTimeRatio,
    healthBackoffSeconds: seconds('healthBackoffSeconds', options.healthFailbackBackoff) ?? CONTROLLER_DEFAULTS.healthBackoffSeconds,
    errorBackoffSeconds: seconds('errorBackoffSeconds', options.errorFailbackBackoff) ?? CONTROLLER_DEFAULTS.errorBackoffSeconds,
    maxBackoffSeconds: seconds('maxBackoffSeconds', options.maxFailbackBackoff) ?? CONTROLLER_DEFAULTS.maxBackoffSeconds,
    recurrenceWindowSeconds: seconds('recurrenceWindowSeconds', options.recurrenceWindow) ?? CONTROLLER_DEFAULTS.recurrenceWindowSeconds,
    maxHoldSeconds: seconds('maxHoldSeconds', options.maxHoldDuration) ?? CONTROLLER_DEFAULTS.maxHoldSeconds,
  };
  for (const key of Object.keys(CONFIG_SOURCES) as Array<keyof ControllerConfig>) {
    if (isUnresolved(config[key])) {
      failUnresolved(CONFIG_SOURCES[key]);
    }
  }
  const problems = validateControllerConfig(config).map(namePropsIn);
  if (config.drainSeconds < deregistrationSeconds) {
    problems.push(`scaling.drainDuration ${config.drainSeconds} seconds is shorter than fargate.deregistrationDelay ${deregistrationSeconds} seconds; `
      + 'tasks would stop while the load balancer still drains requests to them');
  }
  if (problems.length > 0) {
    fail(problems.join('; '));
  }
  return config;
}

/** A Duration prop in seconds; a token cannot be, because the controller reads the value from its configuration. */
function seconds(key: keyof ControllerConfig, duration: Duration | undefined): number | undefined {
  if (duration?.isUnresolved()) {
    failUnresolved(CONFIG_SOURCES[key]);
  }
  return duration?.toSeconds();
}

function isUnresolved(value: unknown): boolean {
  return Token.isUnresolved(value) || (Array.isArray(value) && value.some(v => Token.isUnresolved(v)));
}

function failUnresolved(prop: string): never {
  return fail(`${prop} is a token; it must be known at synth, because it is written into the controller's configuration `
    + '(CONTROLLER_CONFIG); pass a literal value');
}

const CONFIG_KEY_PATTERN = new RegExp(`\\b(${Object.keys(CONFIG_SOURCES).join('|')})\\b`, 'g');

/**
 * A problem found by `validateControllerConfig`, which names config fields, with the props they come from instead:
 * `errorRateMargin must be ...` becomes `scaling.fargateErrorRateMargin must be ...`.
 */
function namePropsIn(problem: string): string {
  let mentionsSeconds = false;
  const named = problem.replace(CONFIG_KEY_PATTERN, (key: string) => {
    mentionsSeconds ||= key.endsWith('Seconds');
    return CONFIG_SOURCES[key as keyof ControllerConfig];
  });
  return mentionsSeconds && !/\bseconds\b/.test(named) ? `${named} (durations in seconds)` : named;
}

function resolveHeartbeat(options: ScalingOptions): Duration {
  const interval = options.heartbeatInterval ?? Duration.seconds(SCALING_DEFAULTS.heartbeatSeconds);
  if (interval.isUnresolved()) {
    fail('scaling.heartbeatInterval is a token; it must be known at synth, because it is written into the heartbeat '
      + 'schedule\'s rate expression; pass a literal Duration');
  }
  const { min, max } = SCALING_RANGES.heartbeatSeconds;
  const intervalSeconds = interval.toSeconds();
  if (intervalSeconds % 60 !== 0 || intervalSeconds < min || intervalSeconds > max) {
    fail(`scaling.heartbeatInterval ${JSON.stringify(interval.toHumanString())} is not allowed; use whole minutes from `
      + `${min / 60} to ${max / 60} (EventBridge schedules count in minutes, and the heartbeat must come at least every ${max / 60} minutes)`);
  }
  return interval;
}
