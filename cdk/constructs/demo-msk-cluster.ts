import { Stack, Validations } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  InterfaceVpcEndpointAwsService,
  IpAddresses,
  Peer,
  Port,
  SecurityGroup,
  type SubnetConfiguration,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnCluster } from 'aws-cdk-lib/aws-msk';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeCheckov, acknowledgeFrameworkFunction } from '../checkov.ts';
import { type KafkaCluster, KafkaClusterKind } from '../kafka-cluster.ts';

/** CIDR of the demo VPC (a literal, so security-group rules stay free of intrinsics). */
export const DEMO_VPC_CIDR = '10.40.0.0/16';

/** Properties of {@link DemoMskCluster}. */
export interface DemoMskClusterProps {
  /** MSK Kafka version (3.6 or later keeps AWS::MSK::Topic available). @default '3.9.x' */
  readonly kafkaVersion?: string;
  /** Broker instance type. @default 'kafka.t3.small' */
  readonly brokerInstanceType?: string;
  /** Availability zones (and brokers: one per zone). @default 2 */
  readonly zones?: number;
  /** EBS volume per broker, GiB. @default 10 */
  readonly volumeSizeGb?: number;
  /**
   * NAT gateways. With 0 the subnets are isolated and the VPC gets endpoints for the AWS APIs the
   * functions call (Lambda, STS, SQS; DynamoDB as a gateway). Use 1 when functions must reach the
   * internet (Upstash).
   * @default 0
   */
  readonly natGateways?: number;
  /** Retention of broker logs and VPC flow logs. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/**
 * A small, self-contained MSK provisioned cluster for the demo: a new VPC (flow logs on),
 * brokers with IAM authentication and TLS only, broker logs in CloudWatch, and a deploy-time
 * lookup of the bootstrap brokers (the only in-VPC clients, restore and topic admin, need them).
 *
 * @example
 * ```ts
 * const demo = new DemoMskCluster(this, 'Demo', { zones: 2 });
 * new GuardedKafkaConsumer(this, 'Orders', { cluster: demo.cluster, ... });
 * ```
 */
export class DemoMskCluster extends Construct {
  public readonly vpc: Vpc;
  /** Security group of the brokers. */
  public readonly securityGroup: SecurityGroup;
  /** The MSK cluster resource. */
  public readonly mskCluster: CfnCluster;
  /** The cluster as the other constructs consume it. */
  public readonly cluster: KafkaCluster;

  public constructor(scope: Construct, id: string, props: DemoMskClusterProps = {}) {
    super(scope, id);
    const zones = props.zones ?? 2;
    const natGateways = props.natGateways ?? 0;
    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const kafkaVersion = props.kafkaVersion ?? '3.9.x';
    const privateType = natGateways > 0 ? SubnetType.PRIVATE_WITH_EGRESS : SubnetType.PRIVATE_ISOLATED;
    const subnetConfiguration: SubnetConfiguration[] = [
      { name: 'private', subnetType: privateType, cidrMask: 22 },
    ];
    if (natGateways > 0)
      subnetConfiguration.push({ name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 26 });

    this.vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr(DEMO_VPC_CIDR),
      maxAzs: zones,
      natGateways,
      subnetConfiguration,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: FlowLogDestination.toCloudWatchLogs(demoLogGroup(this, 'FlowLogGroup', retention)),
      trafficType: FlowLogTrafficType.REJECT,
    });
    this.vpc.addGatewayEndpoint('DynamoDb', { service: GatewayVpcEndpointAwsService.DYNAMODB });
    if (natGateways === 0) {
      // Without NAT the restore function (Lambda API), the ESM (STS) and its on-failure queue (SQS)
      // are reached through interface endpoints, open to HTTPS from inside the VPC only.
      const endpointSecurityGroup = new SecurityGroup(this, 'EndpointSecurityGroup', {
        vpc: this.vpc,
        description: 'mskguard demo interface endpoints: HTTPS from inside the VPC',
        allowAllOutbound: false,
      });
      endpointSecurityGroup.addIngressRule(Peer.ipv4(DEMO_VPC_CIDR), Port.tcp(443), 'HTTPS from the VPC');
      for (const [name, service] of [
        ['Lambda', InterfaceVpcEndpointAwsService.LAMBDA],
        ['Sts', InterfaceVpcEndpointAwsService.STS],
        ['Sqs', InterfaceVpcEndpointAwsService.SQS],
      ] as const) {
        this.vpc.addInterfaceEndpoint(name, {
          service,
          privateDnsEnabled: true,
          open: false,
          securityGroups: [endpointSecurityGroup],
        });
      }
    }
    const subnets = this.vpc.selectSubnets({ subnetType: privateType }).subnets;

    this.securityGroup = new SecurityGroup(this, 'BrokerSecurityGroup', {
      vpc: this.vpc,
      description: 'mskguard demo MSK brokers: TLS/IAM listener for in-VPC clients and the Lambda ESM',
    });
    // The ESM's network interfaces use the cluster's own security group, so it must admit itself.
    this.securityGroup.addIngressRule(
      this.securityGroup,
      Port.allTcp(),
      'brokers and the Lambda ESM (same group)',
    );

    const brokerLogs = demoLogGroup(this, 'BrokerLogGroup', retention);
    this.mskCluster = new CfnCluster(this, 'Cluster', {
      clusterName: clusterName(this),
      kafkaVersion,
      numberOfBrokerNodes: subnets.length,
      brokerNodeGroupInfo: {
        instanceType: props.brokerInstanceType ?? 'kafka.t3.small',
        clientSubnets: subnets.map((s) => s.subnetId),
        securityGroups: [this.securityGroup.securityGroupId],
        storageInfo: { ebsStorageInfo: { volumeSize: props.volumeSizeGb ?? 10 } },
      },
      clientAuthentication: { sasl: { iam: { enabled: true } }, unauthenticated: { enabled: false } },
      encryptionInfo: { encryptionInTransit: { clientBroker: 'TLS', inCluster: true } },
      loggingInfo: { brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } } },
    });

    this.cluster = {
      clusterArn: this.mskCluster.attrArn,
      kind: KafkaClusterKind.MSK_PROVISIONED,
      kafkaVersion,
      auth: { mechanism: 'iam' },
      bootstrapBrokers: this.bootstrapBrokers(),
      vpc: this.vpc,
      subnets,
      securityGroup: this.securityGroup,
    };
  }

  // CloudFormation exposes no bootstrap brokers for AWS::MSK::Cluster: read them once deployed.
  private bootstrapBrokers(): string {
    const lookup = new AwsCustomResource(this, 'BootstrapBrokers', {
      onUpdate: {
        service: 'Kafka',
        action: 'getBootstrapBrokers',
        parameters: { ClusterArn: this.mskCluster.attrArn },
        physicalResourceId: PhysicalResourceId.of(this.mskCluster.attrArn),
        outputPaths: ['BootstrapBrokerStringSaslIam'],
      },
      policy: AwsCustomResourcePolicy.fromStatements([
        new PolicyStatement({ actions: ['kafka:GetBootstrapBrokers'], resources: [this.mskCluster.attrArn] }),
      ]),
      installLatestAwsSdk: false,
    });
    acknowledgeAwsCustomResourceSingleton(this);
    // The handler behind the VPC's restrictDefaultSecurityGroup (a CDK custom-resource provider).
    const restrictHandler = Stack.of(this)
      .node.tryFindChild('Custom::VpcRestrictDefaultSGCustomResourceProvider')
      ?.node.tryFindChild('Handler');
    if (restrictHandler) acknowledgeFrameworkFunction(restrictHandler);
    return lookup.getResponseField('BootstrapBrokerStringSaslIam');
  }
}

// MSK cluster names: 1–64 of [a-zA-Z0-9-], starting with a letter.
function clusterName(scope: Construct): string {
  const base = `${Stack.of(scope).stackName}-demo`.replace(/[^a-zA-Z0-9-]/g, '-');
  return (/^[a-zA-Z]/.test(base) ? base : `c-${base}`).slice(0, 64);
}

function demoLogGroup(scope: Construct, id: string, retention: RetentionDays): LogGroup {
  const group = new LogGroup(scope, id, { retention });
  acknowledgeCheckov(
    group,
    'CKV_AWS_158',
    'Demo cluster logs (VPC flow log rejects, broker logs) hold no record data; CloudWatch Logs encrypts them ' +
      'at rest with its own keys. An existing cluster brings its own logging.',
  );
  return group;
}

function acknowledgeAwsCustomResourceSingleton(scope: Construct): void {
  const singleton = Stack.of(scope).node.tryFindChild(
    `AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`,
  );
  if (!singleton) return;
  acknowledgeFrameworkFunction(singleton);
  Validations.of(singleton).acknowledge(
    {
      // aws-cdk-lib's AwsCustomResource function: its role and runtime are owned by the library.
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'The AwsCustomResource function of aws-cdk-lib writes its logs with AWSLambdaBasicExecutionRole.',
    },
    {
      // The runtime of the library-owned function moves with aws-cdk-lib.
      id: 'AwsSolutions-L1',
      reason: 'The runtime of the AwsCustomResource function is chosen by aws-cdk-lib and moves with it.',
    },
  );
}
