import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as ecsPatterns from 'aws-cdk-lib/aws-ecs-patterns';
import { DEFAULT_PRICES, estimateIdleCost, IdleCostItem, IdleCostKind, IdleCostReport, Prices } from '../../src/cost/idle-cost';

// Round figures so every expectation below can be checked by hand: $1/h is $730 a month.
const PRICES: Prices = {
  region: 'test',
  alb: { hourUsd: 0.02, lcuHourUsd: 0.008 },
  publicIpv4: { hourUsd: 0.005 },
  natGateway: { hourUsd: 0.04, gbProcessedUsd: 0.04 },
  interfaceEndpoint: { azHourUsd: 0.01, gbProcessedUsd: 0.01 },
  fargate: {
    x86: { vcpuHourUsd: 0.04, gbHourUsd: 0.004 },
    arm64: { vcpuHourUsd: 0.03, gbHourUsd: 0.003 },
  },
  lambda: {
    requestsPerMillionUsd: 0.2,
    x86: { gbSecondUsd: 0.00002, provisionedGbSecondUsd: 0.000004, provisionedDurationGbSecondUsd: 0.00001 },
    arm64: { gbSecondUsd: 0.000016, provisionedGbSecondUsd: 0.000003, provisionedDurationGbSecondUsd: 0.000008 },
  },
  cloudwatch: {
    standardAlarmMetricMonthUsd: 0.1,
    highResolutionAlarmMetricMonthUsd: 0.3,
    compositeAlarmMonthUsd: 0.5,
    logsStandardIngestionGbUsd: 0.5,
    getMetricDataPer1000MetricsUsd: 0.01,
    customMetricMonthUsd: 0.3,
  },
};

function template(resources: Record<string, { Type: string; Properties?: object; Condition?: string }>): object {
  return { Resources: resources };
}

function only(items: IdleCostItem[], kind: string): IdleCostItem {
  const matching = items.filter(i => i.kind === kind);
  expect(matching).toHaveLength(1);
  return matching[0];
}

function kinds(items: IdleCostItem[]): string[] {
  return items.map(i => i.kind).sort();
}

const subnets = [{ Ref: 'SubnetA' }, { Ref: 'SubnetB' }];

describe('estimateIdleCost', () => {
  test('an empty template costs nothing', () => {
    expect(estimateIdleCost({}, PRICES)).toEqual({ monthlyUsd: 0, items: [] });
    expect(estimateIdleCost(template({}), PRICES)).toEqual({ monthlyUsd: 0, items: [] });
  });

  test('an internet-facing ALB in two subnets bills its hours and two public IPv4 addresses', () => {
    const report = estimateIdleCost(template({
      Lb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'application', Scheme: 'internet-facing', Subnets: subnets } },
    }), PRICES);

    const lb = only(report.items, IdleCostKind.LOAD_BALANCER);
    expect(lb).toMatchObject({ logicalId: 'Lb', quantity: 1 });
    expect(lb.monthlyUsd).toBeCloseTo(0.02 * 730); // 14.60
    const ipv4 = only(report.items, IdleCostKind.LOAD_BALANCER_PUBLIC_IPV4);
    expect(ipv4).toMatchObject({ logicalId: 'Lb', quantity: 2 });
    expect(ipv4.unitMonthlyUsd).toBeCloseTo(3.65);
    expect(ipv4.monthlyUsd).toBeCloseTo(7.3);
    expect(report.monthlyUsd).toBeCloseTo(14.6 + 7.3);
  });

  test('an ALB with no Type and no Scheme is an internet-facing application load balancer', () => {
    const report = estimateIdleCost(template({
      Lb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { SubnetMappings: [{ SubnetId: 'a' }, { SubnetId: 'b' }, { SubnetId: 'c' }] } },
    }), PRICES);

    expect(only(report.items, IdleCostKind.LOAD_BALANCER_PUBLIC_IPV4).quantity).toBe(3);
    expect(report.monthlyUsd).toBeCloseTo(14.6 + 3 * 3.65);
  });

  test('subnets given as a token count as the two Availability Zones an ALB needs at least', () => {
    const report = estimateIdleCost(template({
      Lb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Subnets: { 'Fn::Split': [',', { Ref: 'SubnetIds' }] } } },
    }), PRICES);

    const ipv4 = only(report.items, IdleCostKind.LOAD_BALANCER_PUBLIC_IPV4);
    expect(ipv4.quantity).toBe(2);
    expect(ipv4.note).toMatch(/token/);
  });

  test('an internal ALB has no public IPv4 addresses', () => {
    const report = estimateIdleCost(template({
      Lb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'application', Scheme: 'internal', Subnets: subnets } },
    }), PRICES);

    expect(kinds(report.items)).toEqual([IdleCostKind.LOAD_BALANCER]);
    expect(report.monthlyUsd).toBeCloseTo(14.6);
  });

  test('a dual-stack ALB without public IPv4 has no public IPv4 addresses', () => {
    const report = estimateIdleCost(template({
      Lb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { IpAddressType: 'dualstack-without-public-ipv4', Subnets: subnets } },
    }), PRICES);

    expect(kinds(report.items)).toEqual([IdleCostKind.LOAD_BALANCER]);
  });

  test('a network load balancer is reported as unpriced rather than priced as an ALB', () => {
    const report = estimateIdleCost(template({
      Nlb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'network', Subnets: subnets } },
    }), PRICES);

    expect(only(report.items, IdleCostKind.UNPRICED)).toMatchObject({ logicalId: 'Nlb', monthlyUsd: 0 });
  });

  test('a NAT gateway bills its hours and the public IPv4 of its Elastic IP', () => {
    const report = estimateIdleCost(template({
      Eip: { Type: 'AWS::EC2::EIP', Properties: { Domain: 'vpc' } },
      Nat: { Type: 'AWS::EC2::NatGateway', Properties: { AllocationId: { 'Fn::GetAtt': ['Eip', 'AllocationId'] }, SubnetId: { Ref: 'SubnetA' } } },
    }), PRICES);

    expect(only(report.items, IdleCostKind.NAT_GATEWAY)).toMatchObject({ logicalId: 'Nat', quantity: 1 });
    expect(only(report.items, IdleCostKind.NAT_GATEWAY).monthlyUsd).toBeCloseTo(0.04 * 730); // 29.20
    expect(only(report.items, IdleCostKind.NAT_GATEWAY_PUBLIC_IPV4)).toMatchObject({ logicalId: 'Eip', quantity: 1 });
    expect(report.monthlyUsd).toBeCloseTo(29.2 + 3.65);
  });

  test('an Elastic IP that no NAT gateway uses is still billed', () => {
    const report = estimateIdleCost(template({ Eip: { Type: 'AWS::EC2::EIP', Properties: { Domain: 'vpc' } } }), PRICES);

    expect(only(report.items, IdleCostKind.ELASTIC_IP)).toMatchObject({ logicalId: 'Eip', quantity: 1 });
    expect(report.monthlyUsd).toBeCloseTo(3.65);
  });

  test('an interface endpoint in two Availability Zones bills two endpoint-hours an hour', () => {
    const report = estimateIdleCost(template({
      Ecr: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Interface', ServiceName: 'com.amazonaws.us-east-1.ecr.dkr', SubnetIds: subnets } },
    }), PRICES);

    expect(only(report.items, IdleCostKind.INTERFACE_ENDPOINT)).toMatchObject({ logicalId: 'Ecr', quantity: 2 });
    expect(report.monthlyUsd).toBeCloseTo(2 * 0.01 * 730); // 14.60
  });

  test('a gateway endpoint (the default type) is free', () => {
    const report = estimateIdleCost(template({
      S3: { Type: 'AWS::EC2::VPCEndpoint', Properties: { ServiceName: 'com.amazonaws.us-east-1.s3' } },
    }), PRICES);

    expect(report).toEqual({ monthlyUsd: 0, items: [] });
  });

  describe('Fargate services', () => {
    function fargate(service: object, taskDefinition: object = { Cpu: '512', Memory: '1024', RequiresCompatibilities: ['FARGATE'] }) {
      return template({
        TaskDef: { Type: 'AWS::ECS::TaskDefinition', Properties: taskDefinition },
        Service: { Type: 'AWS::ECS::Service', Properties: { LaunchType: 'FARGATE', TaskDefinition: { Ref: 'TaskDef' }, ...service } },
      });
    }

    test('two tasks of 512 CPU units and 1024 MiB bill 2 x (0.5 vCPU + 1 GB) hours', () => {
      const report = estimateIdleCost(fargate({ DesiredCount: 2 }), PRICES);

      const tasks = only(report.items, IdleCostKind.FARGATE_TASKS);
      expect(tasks).toMatchObject({ logicalId: 'Service', quantity: 2 });
      expect(tasks.unitMonthlyUsd).toBeCloseTo((0.5 * 0.04 + 1 * 0.004) * 730); // 17.52
      expect(report.monthlyUsd).toBeCloseTo(2 * 17.52);
    });

    test('arm64 tasks use the arm64 rates', () => {
      const report = estimateIdleCost(fargate({ DesiredCount: 1 }, {
        Cpu: '1024', Memory: '2048', RequiresCompatibilities: ['FARGATE'], RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
      }), PRICES);

      expect(report.monthlyUsd).toBeCloseTo((1 * 0.03 + 2 * 0.003) * 730); // 26.28
    });

    test('DesiredCount 0 costs nothing', () => {
      expect(estimateIdleCost(fargate({ DesiredCount: 0 }), PRICES)).toEqual({ monthlyUsd: 0, items: [] });
    });

    test('a missing DesiredCount runs one task, as CloudFormation creates it', () => {
      const report = estimateIdleCost(fargate({}), PRICES);

      expect(only(report.items, IdleCostKind.FARGATE_TASKS).quantity).toBe(1);
    });

    test('AssignPublicIp ENABLED adds one public IPv4 per task', () => {
      const report = estimateIdleCost(fargate({
        DesiredCount: 3, NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'ENABLED', Subnets: subnets } },
      }), PRICES);

      expect(only(report.items, IdleCostKind.FARGATE_TASK_PUBLIC_IPV4)).toMatchObject({ logicalId: 'Service', quantity: 3 });
      expect(report.monthlyUsd).toBeCloseTo(3 * 17.52 + 3 * 3.65);
    });

    test('a target-tracking policy that may scale in leaves MinCapacity tasks at idle', () => {
      const report = estimateIdleCost({
        Resources: {
          ...(fargate({ DesiredCount: 4 }) as any).Resources,
          Target: {
            Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
            Properties: {
              MinCapacity: 0,
              MaxCapacity: 10,
              ScalableDimension: 'ecs:service:DesiredCount',
              ServiceNamespace: 'ecs',
              ResourceId: { 'Fn::Join': ['', ['service/', { Ref: 'Cluster' }, '/', { 'Fn::GetAtt': ['Service', 'Name'] }]] },
            },
          },
          Policy: {
            Type: 'AWS::ApplicationAutoScaling::ScalingPolicy',
            Properties: { ScalingTargetId: { Ref: 'Target' }, TargetTrackingScalingPolicyConfiguration: { TargetValue: 50 } },
          },
        },
      }, PRICES);

      expect(report).toEqual({ monthlyUsd: 0, items: [] });
    });

    test('a scalable target without a scale-in policy keeps DesiredCount', () => {
      const report = estimateIdleCost({
        Resources: {
          ...(fargate({ DesiredCount: 2 }) as any).Resources,
          Target: {
            Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
            Properties: { MinCapacity: 0, MaxCapacity: 10, ScalableDimension: 'ecs:service:DesiredCount', ResourceId: { 'Fn::GetAtt': ['Service', 'Name'] } },
          },
        },
      }, PRICES);

      expect(only(report.items, IdleCostKind.FARGATE_TASKS).quantity).toBe(2);
    });

    test('a Fargate Spot capacity provider strategy is priced at on-demand rates and says so', () => {
      const report = estimateIdleCost(fargate({ DesiredCount: 1, LaunchType: undefined, CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }] }), PRICES);

      const tasks = only(report.items, IdleCostKind.FARGATE_TASKS);
      expect(tasks.monthlyUsd).toBeCloseTo(17.52);
      expect(tasks.note).toMatch(/Spot/);
    });

    test('a task size given as a token is listed as unpriced', () => {
      const report = estimateIdleCost(fargate({ DesiredCount: 1 }, { Cpu: { Ref: 'Cpu' }, Memory: '1024', RequiresCompatibilities: ['FARGATE'] }), PRICES);

      expect(only(report.items, IdleCostKind.UNPRICED)).toMatchObject({ logicalId: 'Service', monthlyUsd: 0 });
    });

    test('a service on the EC2 launch type is not billed per task', () => {
      const report = estimateIdleCost(fargate({ DesiredCount: 2, LaunchType: 'EC2' }), PRICES);

      expect(report.items).toEqual([]);
    });
  });

  test('provisioned concurrency bills environments x memory GB x seconds in a month', () => {
    const report = estimateIdleCost(template({
      Fn: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 2048 } },
      Live: { Type: 'AWS::Lambda::Alias', Properties: { FunctionName: { Ref: 'Fn' }, ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 5 } } },
    }), PRICES);

    const pc = only(report.items, IdleCostKind.LAMBDA_PROVISIONED_CONCURRENCY);
    expect(pc).toMatchObject({ logicalId: 'Live', quantity: 5 });
    expect(pc.unitMonthlyUsd).toBeCloseTo(2 * 0.000004 * 730 * 3600); // 21.024
    expect(report.monthlyUsd).toBeCloseTo(5 * 21.024);
  });

  test('provisioned concurrency on an arm64 version with default memory uses 128 MB and the arm64 rate', () => {
    const report = estimateIdleCost(template({
      Fn: { Type: 'AWS::Lambda::Function', Properties: { Architectures: ['arm64'] } },
      V1: { Type: 'AWS::Lambda::Version', Properties: { FunctionName: { Ref: 'Fn' }, ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 1 } } },
    }), PRICES);

    expect(report.monthlyUsd).toBeCloseTo(0.125 * 0.000003 * 730 * 3600); // 0.9855
  });

  test('a function and an alias without provisioned concurrency cost nothing at idle', () => {
    const report = estimateIdleCost(template({
      Fn: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 1024 } },
      Live: { Type: 'AWS::Lambda::Alias', Properties: { FunctionName: { Ref: 'Fn' } } },
    }), PRICES);

    expect(report).toEqual({ monthlyUsd: 0, items: [] });
  });

  test('an enabled rate schedule invoking a function of the template bills its invocations; a disabled one does not', () => {
    const fn = { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 256 } };
    const rule = (state: string, expression: string) => ({
      Type: 'AWS::Events::Rule',
      Properties: { State: state, ScheduleExpression: expression, Targets: [{ Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] }, Id: 'T' }] },
    });
    const report = estimateIdleCost(template({ Fn: fn, Beat: rule('ENABLED', 'rate(15 minutes)'), Off: rule('DISABLED', 'rate(1 minute)') }), PRICES);
    const beat = only(report.items, IdleCostKind.SCHEDULED_INVOCATIONS);
    // 730 h x 4 an hour = 2,920 invocations of 1 s at 0.25 GB: $0.20 per million + 0.25 GB-s x $0.00002 each.
    expect(beat.quantity).toBe(2920);
    expect(beat.monthlyUsd).toBeCloseTo(2920 * (0.2 / 1e6 + 0.25 * 0.00002), 9); // 0.0152
    expect(report.items.filter((i) => i.kind === IdleCostKind.SCHEDULED_INVOCATIONS)).toHaveLength(1);
  });

  test('alarms bill per metric, high resolution alarms at their own rate, composite alarms per alarm', () => {
    const metricStat = (period: number) => ({ MetricStat: { Metric: { MetricName: 'M', Namespace: 'N' }, Period: period, Stat: 'Sum' } });
    const report = estimateIdleCost(template({
      Simple: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'M', Namespace: 'N', Period: 60, Threshold: 1, EvaluationPeriods: 1 } },
      Math: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: { Metrics: [{ Id: 'e', Expression: 'a / b' }, { Id: 'a', ...metricStat(60) }, { Id: 'b', ...metricStat(60) }] },
      },
      Fast: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'M', Namespace: 'N', Period: 10 } },
      Both: { Type: 'AWS::CloudWatch::CompositeAlarm', Properties: { AlarmRule: 'ALARM(Simple) AND ALARM(Math)' } },
    }), PRICES);

    expect(only(report.items, IdleCostKind.ALARM_METRICS).quantity).toBe(3); // 1 + the 2 metrics of the expression
    expect(only(report.items, IdleCostKind.ALARM_METRICS).monthlyUsd).toBeCloseTo(0.3);
    expect(only(report.items, IdleCostKind.HIGH_RESOLUTION_ALARM_METRICS).quantity).toBe(1);
    expect(only(report.items, IdleCostKind.HIGH_RESOLUTION_ALARM_METRICS).monthlyUsd).toBeCloseTo(0.3);
    expect(only(report.items, IdleCostKind.COMPOSITE_ALARMS).quantity).toBe(1);
    expect(only(report.items, IdleCostKind.COMPOSITE_ALARMS).monthlyUsd).toBeCloseTo(0.5);
    expect(report.items.every(i => i.logicalId === undefined)).toBe(true);
    expect(report.monthlyUsd).toBeCloseTo(1.1);
  });

  test('resources that bill while idle but have no price are listed, not dropped', () => {
    const report = estimateIdleCost(template({
      Key: { Type: 'AWS::KMS::Key', Properties: {} },
      Db: { Type: 'AWS::RDS::DBInstance', Properties: {} },
      Empty: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: { MinSize: '0', MaxSize: '2' } },
    }), PRICES);

    expect(report.items.map(i => [i.kind, i.logicalId])).toEqual([[IdleCostKind.UNPRICED, 'Key'], [IdleCostKind.UNPRICED, 'Db']]);
    expect(report.monthlyUsd).toBe(0);
  });

  test('a resource under a condition says so', () => {
    const report = estimateIdleCost(template({ Eip: { Type: 'AWS::EC2::EIP', Condition: 'IsProd' } }), PRICES);

    expect(only(report.items, IdleCostKind.ELASTIC_IP).note).toMatch(/condition IsProd/);
  });

  test('the default prices are the us-east-1 figures of prices.json', () => {
    expect(DEFAULT_PRICES.region).toBe('us-east-1');
    expect(DEFAULT_PRICES.alb.hourUsd).toBe(0.0225);
    expect(DEFAULT_PRICES.publicIpv4.hourUsd).toBe(0.005);
    expect(DEFAULT_PRICES.natGateway.hourUsd).toBe(0.045);
    expect(DEFAULT_PRICES.interfaceEndpoint.azHourUsd).toBe(0.01);
    expect(DEFAULT_PRICES.fargate.x86).toEqual({ vcpuHourUsd: 0.04048, gbHourUsd: 0.004445 });
    expect(DEFAULT_PRICES.fargate.arm64).toEqual({ vcpuHourUsd: 0.03238, gbHourUsd: 0.00356 });
    expect(DEFAULT_PRICES.lambda.x86.provisionedGbSecondUsd).toBe(0.0000041667);
    expect(DEFAULT_PRICES.cloudwatch.standardAlarmMetricMonthUsd).toBe(0.1);
  });

  test('every price in prices.json names a source', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const data = require('../../src/cost/prices.json');
    const sourced = new Set<string>(data._sources.flatMap((s: { prices: string[] }) => s.prices));
    const leaves = (value: unknown, path: string[]): string[] => typeof value === 'number'
      ? [path.join('.')]
      : Object.entries(value as object).flatMap(([k, v]) => leaves(v, [...path, k]));
    const priced = Object.entries(data).filter(([k]) => !k.startsWith('_') && k !== 'region').flatMap(([k, v]) => leaves(v, [k]));

    expect(priced.filter(p => !sourced.has(p))).toEqual([]);
    expect([...sourced].filter(p => !priced.includes(p))).toEqual([]);
  });

  describe('aws-ecs-patterns ApplicationLoadBalancedFargateService with defaults', () => {
    let report: IdleCostReport;
    beforeAll(() => {
      const stack = new Stack(new App(), 'Patterns');
      new ecsPatterns.ApplicationLoadBalancedFargateService(stack, 'Service', {
        taskImageOptions: { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:latest') },
      });
      report = estimateIdleCost(Template.fromStack(stack).toJSON());
    });

    test('bills two NAT gateways with their IPv4, the ALB with two IPv4 and one 0.25 vCPU / 0.5 GB task', () => {
      const count = (kind: string) => report.items.filter(i => i.kind === kind).reduce((n, i) => n + i.quantity, 0);
      expect(count(IdleCostKind.NAT_GATEWAY)).toBe(2);
      expect(count(IdleCostKind.NAT_GATEWAY_PUBLIC_IPV4)).toBe(2);
      expect(count(IdleCostKind.LOAD_BALANCER)).toBe(1);
      expect(count(IdleCostKind.LOAD_BALANCER_PUBLIC_IPV4)).toBe(2);
      expect(count(IdleCostKind.FARGATE_TASKS)).toBe(1);
      expect(kinds(report.items)).toEqual([
        IdleCostKind.FARGATE_TASKS,
        IdleCostKind.LOAD_BALANCER,
        IdleCostKind.LOAD_BALANCER_PUBLIC_IPV4,
        IdleCostKind.NAT_GATEWAY,
        IdleCostKind.NAT_GATEWAY,
        IdleCostKind.NAT_GATEWAY_PUBLIC_IPV4,
        IdleCostKind.NAT_GATEWAY_PUBLIC_IPV4,
      ]);
    });

    test('adds up to the hand-computed us-east-1 total', () => {
      const alb = 0.0225 * 730; // 16.425
      const ipv4 = 0.005 * 730; // 3.65
      const nat = 0.045 * 730; // 32.85
      const task = (0.25 * 0.04048 + 0.5 * 0.004445) * 730; // 9.010 (rounded)
      expect(report.monthlyUsd).toBeCloseTo(alb + 2 * ipv4 + 2 * (nat + ipv4) + task, 6); // 105.735
    });
  });
});

describe('target tracking alarms', () => {
  test('a target tracking policy bills two alarms, one when scale-in is disabled', () => {
    const policies = {
      Resources: {
        Both: { Type: 'AWS::ApplicationAutoScaling::ScalingPolicy', Properties: { PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 10 } } },
        OutOnly: { Type: 'AWS::ApplicationAutoScaling::ScalingPolicy', Properties: { PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 10, DisableScaleIn: true } } },
        Step: { Type: 'AWS::ApplicationAutoScaling::ScalingPolicy', Properties: { PolicyType: 'StepScaling' } },
      },
    };
    const report = estimateIdleCost(policies);
    const tracking = report.items.find(i => i.kind === IdleCostKind.TARGET_TRACKING_ALARMS)!;
    expect(tracking.quantity).toBe(3);
    expect(report.monthlyUsd).toBeCloseTo(0.3, 10);
  });
});
