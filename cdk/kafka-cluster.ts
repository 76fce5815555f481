import { Annotations, Aws, Fn, Validations } from 'aws-cdk-lib';
import {
  type ISecurityGroup,
  type ISubnet,
  type IVpc,
  Port,
  SecurityGroup,
  Subnet,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { ConfigurationError } from '../shared/errors.ts';
import { securityGroupDescription } from './function-defaults.ts';
import { FUNCTION_ENV } from './function-env.ts';

/** What kind of cluster the stack talks to; decides how topics are managed. */
export const KafkaClusterKind = {
  MSK_PROVISIONED: 'msk-provisioned',
  MSK_SERVERLESS: 'msk-serverless',
} as const;
/** One value of {@link KafkaClusterKind}. */
export type KafkaClusterKind = (typeof KafkaClusterKind)[keyof typeof KafkaClusterKind];

/** Client authentication against the brokers. */
export type KafkaAuth =
  | { readonly mechanism: 'iam' }
  | {
      readonly mechanism: 'scram';
      readonly secret: ISecret;
      /**
       * The customer-managed key of the secret (MSK requires one): readers get kms:Decrypt on it via
       * Secrets Manager ({@link grantScramSecretRead}). CDK's own `grantRead` cannot add that grant
       * for an imported key, whose policy it does not own.
       */
      readonly secretKey?: IKey;
    };

/** Broker listener port per authentication mechanism (MSK private connectivity). */
export const BROKER_PORTS = { iam: 9098, scram: 9096 } as const;

/**
 * Everything the constructs need to know about a Kafka cluster, whether the stack created it
 * ({@link DemoMskCluster}) or imported it ({@link importExistingCluster}).
 */
export interface KafkaCluster {
  /** MSK cluster ARN (`arn:<partition>:kafka:<region>:<account>:cluster/<name>/<uuid>`). */
  readonly clusterArn: string;
  readonly kind: KafkaClusterKind;
  /** Kafka version of a provisioned cluster (`3.6.0`, `3.9.x`); unknown for serverless. */
  readonly kafkaVersion?: string;
  readonly auth: KafkaAuth;
  /** Comma-separated bootstrap brokers for the auth mechanism (used by in-VPC admin clients). */
  readonly bootstrapBrokers: string;
  readonly vpc: IVpc;
  /** Subnets in-VPC clients (restore, topics provider, consumer) are placed in. */
  readonly subnets: readonly ISubnet[];
  /** Security group of the brokers; clients get an ingress rule on it for the broker port. */
  readonly securityGroup: ISecurityGroup;
}

/**
 * The environment through which mskguard's in-VPC functions (restore, watchdog, topics provider)
 * reach the cluster: its brokers, auth mode and, for SCRAM, the secret's ARN (never its value).
 */
export function kafkaClusterEnvironment(cluster: KafkaCluster): Record<string, string> {
  return {
    [FUNCTION_ENV.KAFKA_BROKERS]: cluster.bootstrapBrokers,
    [FUNCTION_ENV.KAFKA_AUTH]: cluster.auth.mechanism,
    ...(cluster.auth.mechanism === 'scram'
      ? { [FUNCTION_ENV.KAFKA_SECRET_ARN]: cluster.auth.secret.secretArn }
      : {}),
  };
}

/** Broker port of a cluster for its auth mechanism. */
export function brokerPort(cluster: KafkaCluster): number {
  return BROKER_PORTS[cluster.auth.mechanism];
}

/**
 * A security group for one of mskguard's in-VPC clients of the brokers (restore, watchdog, topics
 * provider), admitted by the brokers' group on the broker port.
 */
export function brokerClientSecurityGroup(
  scope: Construct,
  id: string,
  cluster: KafkaCluster,
  who: string,
  egress: string,
): SecurityGroup {
  const securityGroup = new SecurityGroup(scope, id, {
    vpc: cluster.vpc,
    description: securityGroupDescription(`mskguard ${who}: egress to ${egress}`),
  });
  cluster.securityGroup.connections.allowFrom(
    securityGroup,
    Port.tcp(brokerPort(cluster)),
    securityGroupDescription(`mskguard ${who}`),
  );
  return securityGroup;
}

/** ARNs of the `kafka-cluster:*` IAM resources of one cluster. */
export interface KafkaResourceArns {
  readonly cluster: string;
  topic(name: string): string;
  group(name: string): string;
}

/**
 * Builds topic and group ARNs from a cluster ARN, literal or token: MSK names them
 * `…:topic/<cluster-name>/<cluster-uuid>/<topic>` and `…:group/<cluster-name>/<cluster-uuid>/<group>`.
 *
 * @example
 * ```ts
 * kafkaResourceArns(cluster.clusterArn).group('orders-v1');
 * ```
 */
export function kafkaResourceArns(clusterArn: string): KafkaResourceArns {
  // Fn.split/select fold to plain strings when the ARN is a literal, so both cases share one path.
  const parts = Fn.split(':cluster/', clusterArn);
  const prefix = Fn.select(0, parts);
  const nameAndUuid = Fn.select(1, parts);
  const child = (type: string, name: string) => Fn.join('', [prefix, `:${type}/`, nameAndUuid, `/${name}`]);
  return {
    cluster: clusterArn,
    topic: (name) => child('topic', name),
    group: (name) => child('group', name),
  };
}

/** `major.minor` of an MSK Kafka version string (`3.6.0`, `3.7.x.kraft`, `4.0.x`), or undefined. */
export function parseKafkaVersion(version: string): { major: number; minor: number } | undefined {
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]) };
}

/**
 * Whether CloudFormation's AWS::MSK::Topic can manage this cluster's topics: MSK topic APIs exist
 * only for provisioned clusters on Kafka 3.6.0 or later.
 */
export function supportsMskTopicResource(cluster: Pick<KafkaCluster, 'kind' | 'kafkaVersion'>): boolean {
  if (cluster.kind !== KafkaClusterKind.MSK_PROVISIONED || cluster.kafkaVersion === undefined) return false;
  const version = parseKafkaVersion(cluster.kafkaVersion);
  return version !== undefined && (version.major > 3 || (version.major === 3 && version.minor >= 6));
}

/** An existing cluster, described explicitly (no context lookups: synth stays offline). */
export interface ExistingClusterAttributes {
  readonly clusterArn: string;
  readonly kind: KafkaClusterKind;
  readonly kafkaVersion?: string;
  readonly bootstrapBrokers: string;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly availabilityZones: readonly string[];
  readonly securityGroupId: string;
  readonly auth: 'iam' | 'scram';
  /** Required for `scram`: ARN of the `AmazonMSK_…` secret. */
  readonly scramSecretArn?: string;
  /**
   * `scram` only: ARN of the customer-managed KMS key the SCRAM secret is encrypted with. MSK refuses
   * secrets under the AWS-managed key, so there always is one, and everything that reads the secret
   * (the event source mapping, with the consumer's role; restore, watchdog, topics provider) needs
   * kms:Decrypt on it through Secrets Manager. Without it synth warns, and those grants are yours.
   * @default - no key grant
   */
  readonly scramSecretKeyArn?: string;
}

/**
 * Imports an existing MSK cluster and its network from explicit ids.
 *
 * @example
 * ```ts
 * const cluster = importExistingCluster(this, { clusterArn, kind: 'msk-provisioned', kafkaVersion: '3.6.0',
 *   bootstrapBrokers, vpcId, subnetIds, availabilityZones, securityGroupId, auth: 'iam' });
 * ```
 */
export function importExistingCluster(scope: Construct, attrs: ExistingClusterAttributes): KafkaCluster {
  if (attrs.subnetIds.length === 0) throw new ConfigurationError('Existing cluster: subnetIds is empty.');
  if (attrs.subnetIds.length % attrs.availabilityZones.length !== 0) {
    throw new ConfigurationError(
      `Existing cluster: ${attrs.subnetIds.length} subnet ids for ${attrs.availabilityZones.length} availability ` +
        'zones; give one subnet per zone (in the same order) or a multiple of the zone count.',
    );
  }
  if (attrs.auth === 'scram' && !attrs.scramSecretArn) {
    throw new ConfigurationError('Existing cluster with auth scram: scramSecretArn is required.');
  }
  if (attrs.kind === KafkaClusterKind.MSK_SERVERLESS && attrs.auth !== 'iam') {
    throw new ConfigurationError('MSK Serverless supports only IAM authentication: set auth to iam.');
  }
  // Subnets are passed explicitly to every client, so the VPC itself is imported without them.
  const vpc = Vpc.fromVpcAttributes(scope, 'ClusterVpc', {
    vpcId: attrs.vpcId,
    availabilityZones: [...attrs.availabilityZones],
  });
  const subnets = attrs.subnetIds.map((subnetId, i) => {
    const availabilityZone = attrs.availabilityZones[i % attrs.availabilityZones.length]!;
    const subnet = Subnet.fromSubnetAttributes(scope, `ClusterSubnet${i}`, { subnetId, availabilityZone });
    Validations.of(subnet).acknowledge({
      id: 'Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId',
      reason:
        'The stack only places functions and cache endpoints in these subnets; it never reads their route tables.',
    });
    return subnet;
  });
  const securityGroup = SecurityGroup.fromSecurityGroupId(
    scope,
    'ClusterSecurityGroup',
    attrs.securityGroupId,
  );
  const auth: KafkaAuth = attrs.auth === 'scram' ? scramAuth(scope, attrs) : { mechanism: 'iam' };
  return {
    clusterArn: attrs.clusterArn,
    kind: attrs.kind,
    ...(attrs.kafkaVersion === undefined ? {} : { kafkaVersion: attrs.kafkaVersion }),
    auth,
    bootstrapBrokers: attrs.bootstrapBrokers,
    vpc,
    subnets,
    securityGroup,
  };
}

/** SCRAM auth of an imported cluster: the secret, and its key when given (warned about when not). */
function scramAuth(scope: Construct, attrs: ExistingClusterAttributes): KafkaAuth {
  const secret = Secret.fromSecretCompleteArn(scope, 'ScramSecret', attrs.scramSecretArn!);
  if (!attrs.scramSecretKeyArn) {
    Annotations.of(scope).addWarningV2(
      'mskguard:scramSecretKey',
      'Existing cluster with auth scram: no scramSecretKeyArn. MSK SCRAM secrets are encrypted with a customer-managed ' +
        'KMS key; without kms:Decrypt on it the event source mapping cannot read the secret and never connects. Pass ' +
        'the key ARN (context mskguard:scramSecretKeyArn), or grant kms:Decrypt to the functions yourself.',
    );
    return { mechanism: 'scram', secret };
  }
  return {
    mechanism: 'scram',
    secret,
    secretKey: Key.fromKeyArn(scope, 'ScramSecretKey', attrs.scramSecretKeyArn),
  };
}

/**
 * Lets `grantee` read the SCRAM secret: GetSecretValue on it and, when its key is known, kms:Decrypt
 * on that key only through Secrets Manager in this region (the ESM reads the secret with the
 * consumer's role; restore, watchdog and the topics provider read it themselves).
 */
export function grantScramSecretRead(
  grantee: IGrantable,
  auth: Extract<KafkaAuth, { mechanism: 'scram' }>,
): void {
  auth.secret.grantRead(grantee);
  if (!auth.secretKey) return;
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'ScramSecretDecrypt',
      actions: ['kms:Decrypt'],
      resources: [auth.secretKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` } },
    }),
  );
}
