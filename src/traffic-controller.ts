import { CfnResource, Duration, Names, Stack } from 'aws-cdk-lib';
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
import { DEFAULT_CONTROLLER_CONFIG, validateControllerConfig } from './controller/decision';
import { ControllerConfig } from './controller/types';
import { acknowledgeRule } from './private/nag';
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
   * Load balancer requests per minute below which load counts as low (scale-in alarm threshold). Must be below `scaleOutRequestsPerMinute`.
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
 * - a CloudFormation resource status change (update or creation, in progress or complete) of the listener, the
 *   Fargate service, its scalable target or the reconcile schedule, which a stack update resets;
 * - an ECS task of the service deactivating, stopping or stopped;
 * - the reconcile schedule, every minute, enabled only while traffic is moving or on Fargate.
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

  constructor(scope: Construct, id: string, props: TrafficControllerProps) {
    super(scope, id);
    const options = props.scaling ?? {};
    const thresholds = resolveThresholds(options);
    const config = resolveControllerConfig(options, props);
    const pollIntervalSeconds = options.pollInterval?.toSeconds() ?? 5;
    checkIntegerRange('scaling.pollInterval', pollIntervalSeconds, 1, 30, 'seconds');

    this.modeParameter = new ssm.StringParameter(this, 'Mode', {
      stringValue: options.mode ?? TrafficMode.AUTO,
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
    this.fargateErrorAlarm = new cloudwatch.Alarm(this, 'FargateErrorAlarm', {
      alarmDescription: 'Fargate targets return 5xx: hold the shift',
      metric: props.fargateTargetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: thresholds.fargateErrorsPerMinute,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.overloadAlarm = new cloudwatch.Alarm(this, 'OverloadAlarm', {
      alarmDescription: 'Fargate tasks above their request target (overflow to Lambda at maxTasks)',
      metric: props.fargateTargetGroup.metrics.requestCountPerTarget({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: Math.ceil(props.requestsPerTaskPerMinute * 1.2),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const alarms = [this.scaleOutAlarm, this.scaleInAlarm, this.fargateErrorAlarm, this.overloadAlarm];

    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Traffic controller of a hybrid Lambda/Fargate service',
    });
    logGroup.grantWrite(role);

    // The schedule is created disabled: at rest the controller costs nothing beyond its alarms.
    // A name known at synth: the function's environment names the rule that in turn targets the function.
    const reconcileRuleName = Names.uniqueResourceName(this, { maxLength: 54, separator: '-' }) + '-reconcile';
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
      reservedConcurrentExecutions: options.serializeController === false ? undefined : 1,
      // One invocation keeps polling every pollInterval while traffic moves; the schedule starts the next.
      timeout: Duration.seconds(60),
      environment: {
        LISTENER_ARN: props.listener.listenerArn,
        LOAD_BALANCER_FULL_NAME: props.loadBalancer.loadBalancerFullName,
        LAMBDA_TARGET_GROUP_ARN: props.lambdaTargetGroup.targetGroupArn,
        FARGATE_TARGET_GROUP_ARN: props.fargateTargetGroup.targetGroupArn,
        CLUSTER_NAME: props.service.cluster.clusterName,
        SERVICE_NAME: props.service.serviceName,
        SCALE_OUT_ALARM_NAME: this.scaleOutAlarm.alarmName,
        SCALE_IN_ALARM_NAME: this.scaleInAlarm.alarmName,
        FARGATE_ERROR_ALARM_NAME: this.fargateErrorAlarm.alarmName,
        OVERLOAD_ALARM_NAME: this.overloadAlarm.alarmName,
        MODE_PARAMETER_NAME: this.modeParameter.parameterName,
        RECONCILE_RULE_NAME: reconcileRuleName,
        CONTROLLER_CONFIG: JSON.stringify(config),
        POLL_INTERVAL_SECONDS: String(pollIntervalSeconds),
      },
    });
    this.function = fn;
    this.grantControl(role, props, alarms);

    const target = new eventsTargets.LambdaFunction(fn, { retryAttempts: 4, maxEventAge: Duration.minutes(10) });
    this.reconcileRule.addTarget(target);
    new events.Rule(this, 'AlarmChanges', {
      description: 'Invoke the traffic controller when one of its alarms changes state',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: alarms.map(a => a.alarmArn),
      },
      targets: [target],
    });
    new events.Rule(this, 'ModeChanges', {
      description: 'Invoke the traffic controller when the mode parameter changes',
      eventPattern: {
        source: ['aws.ssm'],
        detailType: ['Parameter Store Change'],
        detail: { name: [this.modeParameter.parameterName] },
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
    // the update (or a replacement) of one of them.
    const stack = Stack.of(this);
    const watched = [...props.watchedResources, this.reconcileRule.node.defaultChild as CfnResource];
    new events.Rule(this, 'RedeployRepair', {
      description: 'Invoke the traffic controller when a stack update touches the listener, the service, its scaling or the schedule',
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
  }

  /** Least privilege: writes scoped to this listener, target group, service and rule; reads as narrow as AWS allows. */
  private grantControl(role: iam.Role, props: TrafficControllerProps, alarms: cloudwatch.Alarm[]): void {
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
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ScaleService',
      actions: ['ecs:UpdateService', 'ecs:DescribeServices'],
      resources: [props.service.serviceArn],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ServiceMinimum',
      actions: ['application-autoscaling:RegisterScalableTarget', 'application-autoscaling:DescribeScalableTargets'],
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
    this.modeParameter.grantRead(role);
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
      'Describe calls of Elastic Load Balancing and CloudWatch GetMetricData take no resource scoping; Application Auto Scaling\'s '
      + 'scalable target ARN holds an ID the template cannot know; every other write (listener, tags, service, rule) is scoped to this service.');
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
  const scaleOutRequestsPerMinute = options.scaleOutRequestsPerMinute ?? 1200;
  const scaleInRequestsPerMinute = options.scaleInRequestsPerMinute ?? 300;
  const scaleOutPeriods = options.scaleOutPeriods ?? 2;
  const scaleInPeriods = options.scaleInPeriods ?? 10;
  const fargateErrorsPerMinute = options.fargateErrorsPerMinute ?? 10;
  checkIntegerRange('scaling.scaleOutRequestsPerMinute', scaleOutRequestsPerMinute, 1, 100_000_000);
  checkIntegerRange('scaling.scaleInRequestsPerMinute', scaleInRequestsPerMinute, 1, 100_000_000);
  // CloudWatch alarms evaluate at most one day of 1-minute periods.
  checkIntegerRange('scaling.scaleOutPeriods', scaleOutPeriods, 1, 1440);
  checkIntegerRange('scaling.scaleInPeriods', scaleInPeriods, 1, 1440);
  checkIntegerRange('scaling.fargateErrorsPerMinute', fargateErrorsPerMinute, 1, 100_000_000);
  if (scaleInRequestsPerMinute >= scaleOutRequestsPerMinute) {
    fail(`scaling.scaleInRequestsPerMinute ${scaleInRequestsPerMinute} must be below scaling.scaleOutRequestsPerMinute ${scaleOutRequestsPerMinute}; `
      + 'the gap between them keeps traffic from flapping between the two sides');
  }
  return { scaleOutRequestsPerMinute, scaleOutPeriods, scaleInRequestsPerMinute, scaleInPeriods, fargateErrorsPerMinute };
}

function resolveControllerConfig(options: ScalingOptions, props: TrafficControllerProps): ControllerConfig {
  const deregistrationSeconds = props.deregistrationDelay.toSeconds();
  const config: ControllerConfig = {
    shiftOutSteps: options.shiftOutSteps ?? DEFAULT_CONTROLLER_CONFIG.shiftOutSteps,
    shiftOutPauseSeconds: options.shiftOutPause?.toSeconds() ?? DEFAULT_CONTROLLER_CONFIG.shiftOutPauseSeconds,
    shiftBackSteps: options.shiftBackSteps ?? DEFAULT_CONTROLLER_CONFIG.shiftBackSteps,
    shiftBackPauseSeconds: options.shiftBackPause?.toSeconds() ?? DEFAULT_CONTROLLER_CONFIG.shiftBackPauseSeconds,
    minTasks: options.minTasks ?? DEFAULT_CONTROLLER_CONFIG.minTasks,
    maxTasks: props.maxTasks,
    requestsPerTaskPerMinute: props.requestsPerTaskPerMinute,
    minFargateSeconds: options.minFargateDuration?.toSeconds() ?? DEFAULT_CONTROLLER_CONFIG.minFargateSeconds,
    drainSeconds: options.drainDuration?.toSeconds() ?? deregistrationSeconds + 15,
    overflowLambdaWeight: options.overflowLambdaWeight ?? DEFAULT_CONTROLLER_CONFIG.overflowLambdaWeight,
  };
  const problems = validateControllerConfig(config).map(problem => `scaling.${problem}`);
  if (config.drainSeconds < deregistrationSeconds) {
    problems.push(`scaling.drainDuration ${config.drainSeconds} seconds is shorter than fargate.deregistrationDelay ${deregistrationSeconds} seconds; `
      + 'tasks would stop while the load balancer still drains requests to them');
  }
  if (config.minTasks > config.maxTasks) {
    problems.push(`scaling.minTasks ${config.minTasks} exceeds fargate.maxTasks ${config.maxTasks}`);
  }
  if (problems.length > 0) {
    fail(problems.join('; '));
  }
  return config;
}
