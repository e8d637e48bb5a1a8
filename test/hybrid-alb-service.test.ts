import { Annotations as AnnotationsOf, App, CfnElement, Duration, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { HybridAlbService, HybridImage, HybridPlatform } from '../src';
import { FIXTURE_IMAGE_DIR, build, resourceCounts, resourceOf, statementsOfRole } from './helpers';

const CERT_ARN = 'arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000';

function listenerOnPort(template: Template, port: number): any {
  const listeners = Object.values<any>(template.findResources('AWS::ElasticLoadBalancingV2::Listener'));
  return listeners.find(l => l.Properties.Port === port);
}

describe('default stack', () => {
  let template: Template;
  let service: HybridAlbService;
  let stack: Stack;
  beforeAll(() => {
    ({ template, service, stack } = build());
  });

  test('creates a 2-AZ VPC with public subnets only: no NAT gateway, no interface endpoint', () => {
    const counts = resourceCounts(template);
    expect(counts['AWS::EC2::Subnet']).toBe(2);
    expect(counts['AWS::EC2::NatGateway']).toBeUndefined();
    expect(counts['AWS::EC2::VPCEndpoint']).toBeUndefined();
    template.resourcePropertiesCountIs('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true }, 2);
  });

  test('load balancer is internet-facing, drops invalid headers, idle timeout 60 s', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      Type: 'application',
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'idle_timeout.timeout_seconds', Value: '60' }]),
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' }]),
    });
  });

  test('one HTTP listener on port 80 whose default action is a weighted forward Lambda 100 / Fargate 0', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    const listener = listenerOnPort(template, 80);
    expect(listener.Properties.Protocol).toBe('HTTP');
    const groups = listener.Properties.DefaultActions[0].ForwardConfig.TargetGroups;
    expect(listener.Properties.DefaultActions[0].Type).toBe('forward');
    expect(groups).toEqual([
      { TargetGroupArn: { Ref: stack.getLogicalId(service.lambdaTargetGroup.node.defaultChild as any) }, Weight: 100 },
      { TargetGroupArn: { Ref: stack.getLogicalId(service.fargateTargetGroup.node.defaultChild as any) }, Weight: 0 },
    ]);
  });

  test('load balancer security group admits the world on the listener port only and sends only to the tasks', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Load balancer'),
      SecurityGroupIngress: [{ CidrIp: '0.0.0.0/0', FromPort: 80, ToPort: 80, IpProtocol: 'tcp', Description: Match.anyValue() }],
      SecurityGroupEgress: Match.absent(),
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      FromPort: 8080,
      ToPort: 8080,
      DestinationSecurityGroupId: { 'Fn::GetAtt': [stack.getLogicalId(service.serviceSecurityGroup.node.defaultChild as any), 'GroupId'] },
    });
  });

  test('task security group admits only the load balancer security group on the container port', () => {
    const ingress = Object.values<any>(template.findResources('AWS::EC2::SecurityGroupIngress'));
    expect(ingress).toHaveLength(1);
    expect(ingress[0].Properties).toMatchObject({
      FromPort: 8080,
      ToPort: 8080,
      SourceSecurityGroupId: { 'Fn::GetAtt': [stack.getLogicalId(service.loadBalancerSecurityGroup.node.defaultChild as any), 'GroupId'] },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Fargate tasks'),
      SecurityGroupIngress: Match.absent(),
    });
  });

  test('Lambda side: container image function outside the VPC, 1024 MiB, 30 s, x86_64, side variable set', () => {
    expect(resourceOf({ stack, template }, service.lambdaFunction).Properties).toMatchObject({
      PackageType: 'Image',
      MemorySize: 1024,
      Timeout: 30,
      Architectures: ['x86_64'],
      Environment: { Variables: { HYBRID_SIDE: 'lambda' } },
    });
    expect(resourceOf({ stack, template }, service.lambdaFunction).Properties.VpcConfig).toBeUndefined();
  });

  test('Lambda side logs JSON with the system level at WARN and the app level at INFO', () => {
    expect(resourceOf({ stack, template }, service.lambdaFunction).Properties.LoggingConfig).toEqual({
      LogFormat: 'JSON',
      SystemLogLevel: 'WARN',
      ApplicationLogLevel: 'INFO',
      LogGroup: { Ref: stack.getLogicalId(service.lambdaFunction.logGroup.node.defaultChild as CfnElement) },
    });
  });

  test('Lambda role writes only to its own log group (no managed policy)', () => {
    const role = resourceOf({ stack, template }, service.lambdaRole);
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      expect.objectContaining({ Principal: { Service: 'lambda.amazonaws.com' } }),
    ]);
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const logGroupId = stack.getLogicalId(service.lambdaFunction.logGroup.node.defaultChild as CfnElement);
    expect(statementsOfRole({ stack, template }, service.lambdaRole)).toEqual([
      expect.objectContaining({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] } }),
    ]);
  });

  test('Lambda target group: multi-value headers on, health check off', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'lambda',
      HealthCheckEnabled: false,
      TargetGroupAttributes: [{ Key: 'lambda.multi_value_headers.enabled', Value: 'true' }],
    });
  });

  test('Fargate task: 512 CPU / 1024 MiB, X86_64, port 8080, log retention one month', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '512',
      Memory: '1024',
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
      ContainerDefinitions: [Match.objectLike({
        PortMappings: [{ ContainerPort: 8080, Protocol: 'tcp' }],
        Environment: Match.arrayWith([{ Name: 'HYBRID_SIDE', Value: 'fargate' }, { Name: 'PORT', Value: '8080' }]),
      })],
    });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('Fargate service: desired count 0, circuit breaker with rollback, public IP in public subnets', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 0,
      LaunchType: 'FARGATE',
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
      }),
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'ENABLED' }) },
    });
  });

  test('Fargate target group: IP targets, 5 s health check on /, healthy after 2, 15 s deregistration delay', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'ip',
      Port: 8080,
      Protocol: 'HTTP',
      HealthCheckPath: '/',
      HealthCheckIntervalSeconds: 5,
      HealthCheckTimeoutSeconds: 4,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '15' }]),
    });
  });

  test('ECS autoscaling: 0..10 tasks, target tracking on requests per target', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 10 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 3000,
        PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget' }),
      }),
    });
  });

  test('exposes what it creates', () => {
    const logicalId = (c: Construct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
    expect(service.vpc.node.scope).toBe(service);
    expect(service.loadBalancer.vpc).toBe(service.vpc);
    expect(stack.resolve(service.loadBalancer.loadBalancerArn)).toEqual({ Ref: logicalId(service.loadBalancer) });
    expect(stack.resolve(service.listener.listenerArn)).toEqual({ Ref: logicalId(service.listener) });
    expect(service.redirectListener).toBeUndefined();
    expect(service.lambdaAlias).toBeUndefined();
    expect(service.lambdaSecurityGroup).toBeUndefined();
    expect(service.taskDefinition.cpu).toBe(512);
    expect(service.maxTasks).toBe(10);
    expect(service.cluster).toBeInstanceOf(ecs.Cluster);
  });

  test('metric helpers point at the right target groups and load balancer', () => {
    const resolve = (m: any) => stack.resolve(m.dimensions);
    expect(service.metricLambdaRequestCount().metricName).toBe('RequestCount');
    expect(resolve(service.metricLambdaRequestCount()).TargetGroup).toEqual(stack.resolve(service.lambdaTargetGroup.targetGroupFullName));
    expect(resolve(service.metricFargateRequestCount()).TargetGroup).toEqual(stack.resolve(service.fargateTargetGroup.targetGroupFullName));
    expect(service.metricFargateLatency().metricName).toBe('TargetResponseTime');
    expect(service.metricFargateLatency().statistic).toBe('p99');
    expect(service.metricLambdaLatency({ statistic: 'p50' }).statistic).toBe('p50');
    expect(service.metricFargateErrors().metricName).toBe('HTTPCode_Target_5XX_Count');
    expect(service.metricRequestCount().period.toSeconds()).toBe(60);
    expect(service.metricLambdaErrors().namespace).toBe('AWS/Lambda');
  });
});

describe('options', () => {
  test('internal load balancer admits only the VPC CIDR', () => {
    const { template } = build({ internetFacing: false });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal' });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Load balancer'),
      SecurityGroupIngress: [Match.objectLike({ CidrIp: { 'Fn::GetAtt': [Match.anyValue(), 'CidrBlock'] }, FromPort: 80 })],
    });
  });

  test('a user VPC with egress puts tasks in private subnets without a public IP', () => {
    const { template } = build({}, stack => ({ vpc: new ec2.Vpc(stack, 'UserVpc', { maxAzs: 2, natGateways: 1 }) }));
    template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: {
        AwsvpcConfiguration: Match.objectLike({
          AssignPublicIp: 'DISABLED',
          Subnets: Match.arrayWith([{ Ref: Match.stringLikeRegexp('UserVpcPrivateSubnet') }]),
        }),
      },
    });
  });

  test('certificate gives an HTTPS listener with the current TLS policy and an HTTP redirect', () => {
    const { template } = build({}, stack => ({ certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN) }));
    const https = listenerOnPort(template, 443);
    expect(https.Properties).toMatchObject({
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      Certificates: [{ CertificateArn: CERT_ARN }],
    });
    expect(https.Properties.DefaultActions[0].ForwardConfig.TargetGroups.map((g: any) => g.Weight)).toEqual([100, 0]);
    const http = listenerOnPort(template, 80);
    expect(http.Properties.DefaultActions).toEqual([
      { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } },
    ]);
  });

  test('certificate with redirectHttp false gives only the HTTPS listener', () => {
    const { template, service } = build({ redirectHttp: false }, stack => ({ certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN) }));
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    expect(service.redirectListener).toBeUndefined();
  });

  test('custom TLS policy', () => {
    const { template } = build({ sslPolicy: elbv2.SslPolicy.TLS13_13 }, stack => ({ certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN) }));
    expect(listenerOnPort(template, 443).Properties.SslPolicy).toBe('ELBSecurityPolicy-TLS13-1-3-2021-06');
  });

  test('access logs go to the given bucket and prefix', () => {
    const { template } = build({ accessLogPrefix: 'hybrid' }, stack => ({ accessLogBucket: new s3.Bucket(stack, 'Logs') }));
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'access_logs.s3.enabled', Value: 'true' },
        { Key: 'access_logs.s3.prefix', Value: 'hybrid' },
      ]),
    });
  });

  test('arm64 platform sets the Lambda architecture and the task runtime platform together', () => {
    const built = build({ image: HybridImage.fromAsset(FIXTURE_IMAGE_DIR, { platform: HybridPlatform.LINUX_ARM64 }) });
    expect(resourceOf(built, built.service.lambdaFunction).Properties.Architectures).toEqual(['arm64']);
    expect(resourceOf(built, built.service.taskDefinition).Properties.RuntimePlatform).toEqual({ CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' });
  });

  test('Lambda options: memory, timeout, reserved concurrency, environment, command and entrypoint', () => {
    const built = build({
      idleTimeout: Duration.seconds(120),
      environment: { SHARED: 'both' },
      lambda: {
        memorySize: 2048,
        timeout: Duration.seconds(90),
        reservedConcurrentExecutions: 50,
        environment: { ONLY_LAMBDA: '1' },
        command: ['lambda.handler'],
        entrypoint: ['/lambda-entrypoint.sh'],
        logRetention: logs.RetentionDays.ONE_WEEK,
      },
    });
    expect(resourceOf(built, built.service.lambdaFunction).Properties).toMatchObject({
      MemorySize: 2048,
      Timeout: 90,
      ReservedConcurrentExecutions: 50,
      Environment: { Variables: { SHARED: 'both', ONLY_LAMBDA: '1', HYBRID_SIDE: 'lambda' } },
      ImageConfig: { Command: ['lambda.handler'], EntryPoint: ['/lambda-entrypoint.sh'] },
    });
    expect(resourceOf(built, built.service.lambdaFunction.logGroup).Properties.RetentionInDays).toBe(7);
    expect(resourceOf(built, built.service.loadBalancer).Properties.LoadBalancerAttributes)
      .toEqual(expect.arrayContaining([{ Key: 'idle_timeout.timeout_seconds', Value: '120' }]));
  });

  test('shared environment reaches the Fargate side too, without the Lambda-only variables', () => {
    const { template } = build({ environment: { SHARED: 'both' }, lambda: { environment: { ONLY_LAMBDA: '1' } } });
    const taskDef = Object.values<any>(template.findResources('AWS::ECS::TaskDefinition'))[0];
    const env = taskDef.Properties.ContainerDefinitions[0].Environment.map((e: any) => e.Name).sort();
    expect(env).toEqual(['HYBRID_SIDE', 'PORT', 'SHARED']);
  });

  test('provisioned concurrency targets a live alias', () => {
    const { template, service } = build({ lambda: { provisionedConcurrentExecutions: 2 } });
    template.hasResourceProperties('AWS::Lambda::Alias', {
      Name: 'live',
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 2 },
    });
    expect(service.lambdaAlias?.aliasName).toBe('live');
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'lambda',
      Targets: [{ Id: { Ref: Match.stringLikeRegexp('LiveAlias') } }],
    });
  });

  test('Lambda attached to the VPC gets its own security group', () => {
    const built = build({ lambda: { attachToVpc: true } });
    const securityGroupId = built.stack.getLogicalId(built.service.lambdaSecurityGroup!.node.defaultChild as CfnElement);
    const vpcConfig = resourceOf(built, built.service.lambdaFunction).Properties.VpcConfig;
    expect(vpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [securityGroupId, 'GroupId'] }]);
    expect(vpcConfig.SubnetIds).toHaveLength(2);
  });

  test('Lambda attached to the VPC: its own role has AWSLambdaVPCAccessExecutionRole for the network interfaces', () => {
    const built = build({ lambda: { attachToVpc: true } });
    expect(resourceOf(built, built.service.lambdaRole).Properties.ManagedPolicyArns).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole']] },
    ]);
    // The role that gets it is the one the function runs with.
    expect(resourceOf(built, built.service.lambdaFunction).Properties.Role)
      .toEqual({ 'Fn::GetAtt': [built.stack.getLogicalId(built.service.lambdaRole.node.defaultChild as CfnElement), 'Arn'] });
  });

  test('Lambda attached to a VPC with only public subnets gets a warning that can be acknowledged', () => {
    const warnings = (built: ReturnType<typeof build>) => Annotations.fromStack(built.stack)
      .findWarning('*', Match.stringLikeRegexp('lambda.attachToVpc puts the function in public subnets'));
    expect(warnings(build({ lambda: { attachToVpc: true } }))).toHaveLength(1);
    expect(warnings(build({}, stack => ({ vpc: new ec2.Vpc(stack, 'V', { maxAzs: 2, natGateways: 1 }), lambda: { attachToVpc: true } })))).toHaveLength(0);
    const acknowledged = build({ lambda: { attachToVpc: true } }, stack => {
      AnnotationsOf.of(stack).acknowledgeWarning('hybrid-alb-service:lambdaInPublicSubnets');
      return {};
    });
    expect(warnings(acknowledged)).toHaveLength(0);
  });

  test('Lambda multi-value headers off and health check on', () => {
    const { template } = build({ lambda: { multiValueHeaders: false, healthCheck: true }, fargate: { healthCheckPath: '/healthz' } });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'lambda',
      HealthCheckEnabled: true,
      HealthCheckPath: '/healthz',
      TargetGroupAttributes: [{ Key: 'lambda.multi_value_headers.enabled', Value: 'false' }],
    });
  });

  test('Fargate options: size, tasks, health check, deregistration delay, container port', () => {
    const { template } = build({
      containerPort: 3000,
      fargate: {
        cpu: 1024,
        memoryLimitMiB: 4096,
        maxTasks: 4,
        requestsPerTaskPerMinute: 1200,
        healthCheckPath: '/healthz',
        healthCheckInterval: Duration.seconds(10),
        healthyThresholdCount: 3,
        unhealthyThresholdCount: 4,
        deregistrationDelay: Duration.seconds(5),
        environment: { ONLY_FARGATE: '1' },
      },
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '1024',
      Memory: '4096',
      ContainerDefinitions: [Match.objectLike({
        PortMappings: [{ ContainerPort: 3000, Protocol: 'tcp' }],
        Environment: Match.arrayWith([{ Name: 'ONLY_FARGATE', Value: '1' }, { Name: 'PORT', Value: '3000' }]),
      })],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'ip',
      Port: 3000,
      HealthCheckPath: '/healthz',
      HealthCheckIntervalSeconds: 10,
      HealthCheckTimeoutSeconds: 9,
      HealthyThresholdCount: 3,
      UnhealthyThresholdCount: 4,
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '5' }]),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 4 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 1200 }),
    });
  });

  test('a user cluster is used instead of a new one, in its own VPC', () => {
    let userVpc: ec2.IVpc | undefined;
    const { template, service } = build({}, stack => {
      userVpc = new ec2.Vpc(stack, 'UserVpc', { maxAzs: 2, natGateways: 1 });
      return { fargate: { cluster: ecs.Cluster.fromClusterAttributes(stack, 'UserCluster', { clusterName: 'shared', vpc: userVpc }) } };
    });
    template.resourceCountIs('AWS::ECS::Cluster', 0);
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.hasResourceProperties('AWS::ECS::Service', { Cluster: 'shared' });
    expect(service.cluster).not.toBeInstanceOf(ecs.Cluster);
    expect(service.vpc).toBe(userVpc);
  });

  test('a VPC different from the cluster\'s is rejected', () => {
    expect(() => build({}, stack => ({
      vpc: new ec2.Vpc(stack, 'A', { natGateways: 0 }),
      fargate: { cluster: ecs.Cluster.fromClusterAttributes(stack, 'C', { clusterName: 'shared', vpc: new ec2.Vpc(stack, 'B', { natGateways: 0 }) }) },
    }))).toThrow(/vpc TestStack\/A differs from the VPC of fargate.cluster TestStack\/C/);
  });

  test('a VPC with public and isolated subnets puts tasks in the public ones with a public IP, not the isolated ones', () => {
    const { template } = build({}, stack => ({
      vpc: new ec2.Vpc(stack, 'IsoVpc', {
        natGateways: 0,
        subnetConfiguration: [
          { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
          { name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
        ],
      }),
    }));
    template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: {
        AwsvpcConfiguration: Match.objectLike({
          AssignPublicIp: 'ENABLED',
          Subnets: Match.arrayWith([{ Ref: Match.stringLikeRegexp('IsoVpcPublicSubnet') }]),
        }),
      },
    });
  });

  test('access logs need a stack with a region', () => {
    const app = new App();
    const stack = new Stack(app, 'NoRegion');
    expect(() => new HybridAlbService(stack, 'S', {
      image: HybridImage.fromAsset(FIXTURE_IMAGE_DIR),
      accessLogBucket: new s3.Bucket(stack, 'Logs'),
    })).toThrow(/accessLogBucket needs a stack with an explicit region/);
  });

  test('static name of the side variable', () => {
    expect(HybridAlbService.SIDE_ENVIRONMENT_VARIABLE).toBe('HYBRID_SIDE');
  });
});

describe('grants and connections', () => {
  test('a grant to the service reaches the Lambda role and the task role', () => {
    let bucketId = '';
    const built = build({}, undefined, (service, stack) => {
      const bucket = new s3.Bucket(stack, 'Data');
      bucketId = stack.getLogicalId(bucket.node.defaultChild as CfnElement);
      bucket.grantRead(service);
    });
    for (const role of [built.service.lambdaRole, built.service.taskRole]) {
      expect(statementsOfRole(built, role)).toEqual(expect.arrayContaining([
        expect.objectContaining({ Action: expect.arrayContaining(['s3:GetObject*']), Resource: expect.arrayContaining([{ 'Fn::GetAtt': [bucketId, 'Arn'] }]) }),
      ]));
    }
  });

  test('a resource policy naming the service names both roles', () => {
    const built = build({}, undefined, (service, stack) => {
      const bucket = new s3.Bucket(stack, 'Shared');
      bucket.addToResourcePolicy(new iam.PolicyStatement({ principals: [service.grantPrincipal], actions: ['s3:GetObject'], resources: [bucket.arnForObjects('*')] }));
    });
    const policy = Object.values<any>(built.template.findResources('AWS::S3::BucketPolicy'))[0];
    const roleArn = (role: iam.IRole) => ({ 'Fn::GetAtt': [built.stack.getLogicalId(role.node.defaultChild as CfnElement), 'Arn'] });
    expect(policy.Properties.PolicyDocument.Statement).toEqual(expect.arrayContaining([
      expect.objectContaining({ Principal: { AWS: [roleArn(built.service.lambdaRole), roleArn(built.service.taskRole)] } }),
    ]));
  });

  test('addToRolePolicy adds the statement to both roles', () => {
    const built = build({}, undefined, service => {
      service.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: ['arn:aws:sqs:us-east-1:111111111111:q'] }));
    });
    for (const role of [built.service.lambdaRole, built.service.taskRole]) {
      expect(statementsOfRole(built, role)).toEqual(expect.arrayContaining([
        expect.objectContaining({ Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:us-east-1:111111111111:q' }),
      ]));
    }
  });

  test('connections admit the tasks and the VPC-attached function into a database security group', () => {
    const built = build({ lambda: { attachToVpc: true } }, undefined, (service, stack) => {
      const db = new ec2.SecurityGroup(stack, 'Db', { vpc: service.vpc });
      new ec2.Connections({ securityGroups: [db], defaultPort: ec2.Port.tcp(5432) }).allowDefaultPortFrom(service);
    });
    const sourceIds = Object.values<any>(built.template.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter(r => r.Properties.FromPort === 5432)
      .map(r => r.Properties.SourceSecurityGroupId['Fn::GetAtt'][0]).sort();
    expect(sourceIds).toEqual([
      built.stack.getLogicalId(built.service.lambdaSecurityGroup!.node.defaultChild as CfnElement),
      built.stack.getLogicalId(built.service.serviceSecurityGroup.node.defaultChild as CfnElement),
    ].sort());
  });

  test('connections without attachToVpc hold the tasks\' security group only', () => {
    const { service } = build();
    expect(service.connections.securityGroups).toEqual([service.serviceSecurityGroup]);
  });

  test('addEnvironment reaches both sides', () => {
    const built = build({}, undefined, service => service.addEnvironment('FEATURE', 'on'));
    expect(resourceOf(built, built.service.lambdaFunction).Properties.Environment.Variables.FEATURE).toBe('on');
    expect(resourceOf(built, built.service.taskDefinition).Properties.ContainerDefinitions[0].Environment)
      .toEqual(expect.arrayContaining([{ Name: 'FEATURE', Value: 'on' }]));
  });
});

describe('domain, protection and exposure', () => {
  const zone = (stack: Stack) => route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z123', zoneName: 'example.com' });

  test('domainName with domainZone: DNS-validated certificate, HTTPS listener, alias A record', () => {
    const built = build({ domainName: 'app.example.com' }, stack => ({ domainZone: zone(stack) }));
    const certificate = resourceOf(built, built.service.certificate!);
    expect(certificate.Properties).toMatchObject({
      DomainName: 'app.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'app.example.com', HostedZoneId: 'Z123' }],
    });
    const certificateId = built.stack.getLogicalId(built.service.certificate!.node.defaultChild as CfnElement);
    expect(resourceOf(built, built.service.listener).Properties).toMatchObject({
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: { Ref: certificateId } }],
    });
    expect(built.service.redirectListener).toBeDefined();
    const record = resourceOf(built, built.service.dnsRecord!).Properties;
    expect(record).toMatchObject({ Name: 'app.example.com.', Type: 'A', HostedZoneId: 'Z123' });
    const loadBalancerId = built.stack.getLogicalId(built.service.loadBalancer.node.defaultChild as CfnElement);
    expect(JSON.stringify(record.AliasTarget.DNSName)).toContain(loadBalancerId);
  });

  test('domainName with a given certificate uses it and only adds the record', () => {
    const built = build({ domainName: 'app.example.com' }, stack => ({
      domainZone: zone(stack),
      certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN),
    }));
    built.template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    expect(resourceOf(built, built.service.listener).Properties.Certificates).toEqual([{ CertificateArn: CERT_ARN }]);
    expect(built.service.dnsRecord).toBeDefined();
  });

  test('deletionProtection and webAclArn', () => {
    const webAclArn = 'arn:aws:wafv2:us-east-1:111111111111:regional/webacl/rate-limit/0000-1111';
    const built = build({ deletionProtection: true, webAclArn });
    expect(resourceOf(built, built.service.loadBalancer).Properties.LoadBalancerAttributes)
      .toEqual(expect.arrayContaining([{ Key: 'deletion_protection.enabled', Value: 'true' }]));
    const loadBalancerId = built.stack.getLogicalId(built.service.loadBalancer.node.defaultChild as CfnElement);
    built.template.resourcePropertiesCountIs('AWS::WAFv2::WebACLAssociation', { ResourceArn: { Ref: loadBalancerId }, WebACLArn: webAclArn }, 1);
  });

  test('by default: no deletion protection, no web ACL, no DNS', () => {
    const built = build();
    expect(resourceOf(built, built.service.loadBalancer).Properties.LoadBalancerAttributes)
      .toEqual(expect.arrayContaining([{ Key: 'deletion_protection.enabled', Value: 'false' }]));
    built.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
    built.template.resourceCountIs('AWS::Route53::RecordSet', 0);
    expect(built.service.certificate).toBeUndefined();
  });
});

describe('side options', () => {
  test('Lambda logging is configurable; Text drops the levels', () => {
    const info = build({ lambda: { systemLogLevel: lambda.SystemLogLevel.INFO, applicationLogLevel: lambda.ApplicationLogLevel.WARN } });
    expect(resourceOf(info, info.service.lambdaFunction).Properties.LoggingConfig)
      .toMatchObject({ LogFormat: 'JSON', SystemLogLevel: 'INFO', ApplicationLogLevel: 'WARN' });
    const text = build({ lambda: { loggingFormat: lambda.LoggingFormat.TEXT } });
    const config = resourceOf(text, text.service.lambdaFunction).Properties.LoggingConfig;
    expect(config.LogFormat).toBe('Text');
    expect(config.SystemLogLevel).toBeUndefined();
    expect(config.ApplicationLogLevel).toBeUndefined();
  });

  test('ephemeral storage per side', () => {
    const built = build({ lambda: { ephemeralStorageSize: Size.gibibytes(2) }, fargate: { ephemeralStorageSize: Size.gibibytes(50) } });
    expect(resourceOf(built, built.service.lambdaFunction).Properties.EphemeralStorage).toEqual({ Size: 2048 });
    expect(resourceOf(built, built.service.taskDefinition).Properties.EphemeralStorage).toEqual({ SizeInGiB: 50 });
  });

  test('task and execution roles in and out', () => {
    let taskRole: iam.IRole | undefined;
    let executionRole: iam.IRole | undefined;
    const built = build({}, stack => {
      taskRole = new iam.Role(stack, 'AppRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
      executionRole = new iam.Role(stack, 'PullRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
      return { fargate: { taskRole, executionRole } };
    });
    expect(built.service.taskRole).toBe(taskRole);
    expect(built.service.executionRole).toBe(executionRole);
    const arnOf = (role: iam.IRole) => ({ 'Fn::GetAtt': [built.stack.getLogicalId(role.node.defaultChild as CfnElement), 'Arn'] });
    expect(resourceOf(built, built.service.taskDefinition).Properties).toMatchObject({
      TaskRoleArn: arnOf(taskRole!),
      ExecutionRoleArn: arnOf(executionRole!),
    });
  });

  test('default roles are exposed', () => {
    const built = build();
    expect(resourceOf(built, built.service.taskRole).Type).toBe('AWS::IAM::Role');
    expect(resourceOf(built, built.service.executionRole).Type).toBe('AWS::IAM::Role');
    expect(built.service.taskRole).not.toBe(built.service.executionRole);
  });

  test('ECS Exec, health check grace period and container name', () => {
    const built = build({ fargate: { enableExecuteCommand: true, healthCheckGracePeriod: Duration.seconds(120), containerName: 'web' } });
    expect(resourceOf(built, built.service.service).Properties).toMatchObject({ EnableExecuteCommand: true, HealthCheckGracePeriodSeconds: 120 });
    expect(resourceOf(built, built.service.taskDefinition).Properties.ContainerDefinitions[0].Name).toBe('web');
    expect(built.service.container.containerName).toBe('web');
    expect(JSON.stringify(statementsOfRole(built, built.service.taskRole))).toContain('ssmmessages:CreateControlChannel');
  });

  test('defaults: no ECS Exec, 60 s grace period, container "app", no extra storage', () => {
    const built = build();
    const service = resourceOf(built, built.service.service).Properties;
    expect(service.EnableExecuteCommand).toBe(false);
    expect(service.HealthCheckGracePeriodSeconds).toBe(60);
    expect(resourceOf(built, built.service.taskDefinition).Properties.ContainerDefinitions[0].Name).toBe('app');
    expect(resourceOf(built, built.service.taskDefinition).Properties.EphemeralStorage).toBeUndefined();
    expect(resourceOf(built, built.service.lambdaFunction).Properties.EphemeralStorage).toBeUndefined();
  });

  test('metrics of the load balancer\'s own 5xx and Lambda throttles', () => {
    const { stack, service } = build();
    expect(service.metricLoadBalancer5xx().metricName).toBe('HTTPCode_ELB_5XX_Count');
    expect(stack.resolve(service.metricLoadBalancer5xx().dimensions).LoadBalancer).toEqual(stack.resolve(service.loadBalancer.loadBalancerFullName));
    expect(service.metricLambdaThrottles().metricName).toBe('Throttles');
    expect(stack.resolve(service.metricLambdaThrottles().dimensions).FunctionName).toEqual(stack.resolve(service.lambdaFunction.functionName));
  });
});
