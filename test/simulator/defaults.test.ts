/**
 * The simulator's defaults describe the default HybridAlbService: synthesize one and compare, so a change to the
 * construct's defaults that timings.json does not follow fails here.
 */
import { MetricStore } from '../../src/simulator/model/cloudwatch';
import { controllerAlarmSpecs } from '../../src/simulator/model/controller';
import { defaultSettings } from '../../src/simulator/settings';
import { build } from '../helpers';

const COMPARISON: Record<string, string> = { '>': 'GreaterThanThreshold', '>=': 'GreaterThanOrEqualToThreshold', '<': 'LessThanThreshold' };

describe('simulator defaults match the default HybridAlbService', () => {
  const { template } = build();
  const settings = defaultSettings();
  const resources = (type: string) => Object.values<any>(template.findResources(type)).map((r) => r.Properties);

  test.each([
    ['scaleOut', 'Sustained load'],
    ['scaleIn', 'Low load'],
    ['fargateError', 'Fargate targets answer 5xx'],
    ['overload', 'Fargate tasks near what they can carry'],
  ] as const)('the %s alarm', (name, description) => {
    const alarm = resources('AWS::CloudWatch::Alarm').find((a) => String(a.AlarmDescription).startsWith(description));
    const spec = controllerAlarmSpecs(settings.scaling, new MetricStore(0, 1, 0))[name];
    // A metric-math alarm states the period on the metrics it adds rather than on the alarm.
    const period = alarm.Period ?? alarm.Metrics?.find((m: any) => m.MetricStat)?.MetricStat.Period;
    expect(period).toBe(settings.aws.cloudwatch.metricPeriodSeconds);
    expect(alarm).toMatchObject({
      Threshold: spec.threshold,
      EvaluationPeriods: spec.evaluationPeriods,
      ComparisonOperator: COMPARISON[spec.comparison],
      TreatMissingData: spec.missingData,
    });
    expect(alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods).toBe(spec.datapointsToAlarm);
  });

  test('the controller function: config, poll interval, memory and timeout', () => {
    const controller = resources('AWS::Lambda::Function').find((f) => f.Description === 'Moves traffic between the Lambda and Fargate target groups');
    expect(JSON.parse(controller.Environment.Variables.CONTROLLER_CONFIG)).toEqual(settings.scaling.controller);
    expect(Number(controller.Environment.Variables.POLL_INTERVAL_SECONDS)).toBe(settings.scaling.pollIntervalSeconds);
    expect(controller.MemorySize).toBe(settings.aws.controller.memoryMb);
    expect(controller.Timeout).toBe(settings.aws.controller.timeoutSeconds);
    expect(controller.Architectures ?? ['x86_64']).toEqual(['x86_64']);
    expect(controller.ReservedConcurrentExecutions).toBe(settings.scaling.serializeController ? 1 : undefined);
  });

  test('the Lambda side: memory', () => {
    const fn = resources('AWS::Lambda::Function').find((f) => f.PackageType === 'Image');
    expect(fn.MemorySize).toBe(settings.workload.lambdaMemoryMb);
    expect(fn.ReservedConcurrentExecutions).toBeUndefined();
  });

  test('the Fargate side: task size, public IP, health checks, deregistration delay', () => {
    const [task] = resources('AWS::ECS::TaskDefinition');
    expect(task).toMatchObject({ Cpu: String(settings.workload.fargateCpu), Memory: String(settings.workload.fargateMemoryMiB) });
    const [service] = resources('AWS::ECS::Service');
    expect(service.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe(settings.aws.fargate.publicIpPerTask ? 'ENABLED' : 'DISABLED');
    const group = resources('AWS::ElasticLoadBalancingV2::TargetGroup').find((g) => g.TargetType === 'ip');
    expect(group).toMatchObject({
      HealthCheckIntervalSeconds: settings.aws.alb.healthCheckIntervalSeconds,
      HealthyThresholdCount: settings.aws.alb.healthyThresholdCount,
    });
    expect(group.TargetGroupAttributes).toContainEqual({ Key: 'deregistration_delay.timeout_seconds', Value: String(settings.aws.alb.deregistrationDelaySeconds) });
  });

  test('ECS autoscaling: target, cooldowns and maximum', () => {
    const [policy] = resources('AWS::ApplicationAutoScaling::ScalingPolicy');
    expect(policy.TargetTrackingScalingPolicyConfiguration).toMatchObject({
      TargetValue: settings.scaling.controller.requestsPerTaskPerMinute,
      ScaleInCooldown: settings.aws.ecsTargetTracking.scaleInCooldownSeconds,
      ScaleOutCooldown: settings.aws.ecsTargetTracking.scaleOutCooldownSeconds,
    });
    const [target] = resources('AWS::ApplicationAutoScaling::ScalableTarget');
    expect(target).toMatchObject({ MinCapacity: 0, MaxCapacity: settings.scaling.controller.maxTasks });
  });

  test('the load balancer spans as many Availability Zones as the simulator bills public IPv4 addresses for', () => {
    const [loadBalancer] = resources('AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(loadBalancer.Subnets).toHaveLength(settings.aws.alb.availabilityZones);
  });
});
