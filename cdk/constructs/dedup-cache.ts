import { Names, Stack } from 'aws-cdk-lib';
import { type IConnectable, type ISubnet, type IVpc, Port, SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { CfnServerlessCache } from 'aws-cdk-lib/aws-elasticache';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ConfigurationError } from '../../shared/errors.ts';
import { FUNCTION_ENV } from '../function-env.ts';

/** Where the exact and Bloom tiers live. */
export const DedupCacheBackend = {
  /** Upstash Redis over its REST API (internet); credentials in Secrets Manager. */
  UPSTASH: 'upstash',
  /** ElastiCache Serverless for Valkey inside the VPC (RESP over TLS, cluster mode). */
  ELASTICACHE: 'elasticache',
} as const;
/** One value of {@link DedupCacheBackend}. */
export type DedupCacheBackend = (typeof DedupCacheBackend)[keyof typeof DedupCacheBackend];

/** ElastiCache Serverless ports: 6379 primary endpoint, 6380 reader endpoint. */
const VALKEY_PORTS = Port.tcpRange(6379, 6380);

/** Properties of {@link DedupCache}. */
export interface DedupCacheProps {
  /** Which cache backs the dedup tiers. */
  readonly backend: DedupCacheBackend;
  /**
   * Upstash only: the secret (or its ARN or name) whose SecretString is `{"url": "...", "token": "..."}`.
   * @default - none; required when backend is `upstash`
   */
  readonly upstashSecret?: ISecret | string;
  /**
   * Upstash only: customer-managed KMS key of the secret, so readers also get kms:Decrypt.
   * @default - the secret uses the AWS-managed key
   */
  readonly upstashSecretKey?: IKey;
  /**
   * ElastiCache only: the VPC of the cache.
   * @default - none; required when backend is `elasticache`
   */
  readonly vpc?: IVpc;
  /**
   * ElastiCache only: subnets of the cache endpoints (2 or 3, in different zones).
   * @default - none; required when backend is `elasticache`
   */
  readonly subnets?: readonly ISubnet[];
  /**
   * ElastiCache only: upper bound of stored data, in GB (the cost ceiling of storage).
   * @default 1
   */
  readonly maxDataStorageGb?: number;
  /**
   * ElastiCache only: upper bound of ElastiCache Processing Units per second.
   * @default 5000
   */
  readonly maxEcpuPerSecond?: number;
  /**
   * ElastiCache only: Valkey major version.
   * @default '8'
   */
  readonly majorEngineVersion?: string;
  /**
   * ElastiCache only: daily snapshots kept. Dedup state is reconstructible (the watermark tier
   * is in DynamoDB), so one day is enough to shorten a cold start after a cache loss.
   * @default 1
   */
  readonly snapshotRetentionLimit?: number;
  /**
   * ElastiCache only: customer-managed KMS key for data at rest.
   * @default - AWS-owned key
   */
  readonly encryptionKey?: IKey;
}

/**
 * The dedup cache: either a reference to Upstash credentials in Secrets Manager, or an
 * ElastiCache Serverless (Valkey) cache in the VPC behind its own security group. Functions get
 * access with {@link DedupCache.grantConnect} and its location with {@link DedupCache.environment}.
 * The ElastiCache cache is named `<stack>-dedup` (the first one of a stack) or `<stack>-dedup-<hash>`
 * (any further one, the hash taken from its construct path), so several caches in one stack deploy.
 *
 * @example
 * ```ts
 * const cache = new DedupCache(this, 'Cache', { backend: 'elasticache', vpc, subnets: vpc.isolatedSubnets });
 * cache.grantConnect(consumerFunction);
 * ```
 */
export class DedupCache extends Construct {
  public readonly backend: DedupCacheBackend;
  /** Upstash credentials (upstash backend). */
  public readonly upstashSecret: ISecret | undefined;
  /** The serverless cache (elasticache backend). */
  public readonly serverlessCache: CfnServerlessCache | undefined;
  /** Security group of the cache endpoints (elasticache backend). */
  public readonly securityGroup: SecurityGroup | undefined;
  /** Whether clients must run inside the VPC to reach the cache. */
  public readonly requiresVpc: boolean;
  private readonly upstashSecretKey: IKey | undefined;

  public constructor(scope: Construct, id: string, props: DedupCacheProps) {
    super(scope, id);
    this.backend = props.backend;
    this.upstashSecretKey = props.upstashSecretKey;
    if (props.backend === DedupCacheBackend.UPSTASH) {
      this.upstashSecret = resolveSecret(this, props.upstashSecret);
      this.requiresVpc = false;
      return;
    }
    if (!props.vpc || !props.subnets || props.subnets.length === 0) {
      throw new ConfigurationError('DedupCache: backend elasticache needs vpc and subnets.');
    }
    this.requiresVpc = true;
    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description:
        'mskguard dedup cache (ElastiCache Serverless Valkey): ingress from guarded consumers only',
      allowAllOutbound: false,
    });
    this.serverlessCache = new CfnServerlessCache(this, 'Cache', {
      engine: 'valkey',
      majorEngineVersion: props.majorEngineVersion ?? '8',
      serverlessCacheName: cacheName(this),
      description: 'mskguard dedup tiers (exact + Bloom)',
      subnetIds: props.subnets.map((s) => s.subnetId),
      securityGroupIds: [this.securityGroup.securityGroupId],
      cacheUsageLimits: {
        dataStorage: { maximum: props.maxDataStorageGb ?? 1, unit: 'GB' },
        ecpuPerSecond: { maximum: props.maxEcpuPerSecond ?? 5000 },
      },
      snapshotRetentionLimit: props.snapshotRetentionLimit ?? 1,
      ...(props.encryptionKey ? { kmsKeyId: props.encryptionKey.keyArn } : {}),
    });
  }

  /** Lets a function reach the cache: an ingress rule (elasticache) or read on the secret (upstash). */
  public grantConnect(client: IGrantable & IConnectable): void {
    if (this.upstashSecret) {
      this.upstashSecret.grantRead(client);
      this.upstashSecretKey?.grantDecrypt(client);
      return;
    }
    this.securityGroup!.connections.allowFrom(client, VALKEY_PORTS, 'mskguard consumer to dedup cache');
  }

  /**
   * Environment variables that tell a function where the cache is (names and endpoints only). An
   * ElastiCache Serverless endpoint is always in cluster mode, over TLS: its clients must follow the
   * cluster protocol (`MSKGUARD_REDIS_CLUSTER=true` selects the cluster-aware runner).
   */
  public environment(): Record<string, string> {
    if (this.upstashSecret) {
      return {
        [FUNCTION_ENV.CACHE_BACKEND]: this.backend,
        [FUNCTION_ENV.UPSTASH_SECRET_ARN]: this.upstashSecret.secretArn,
      };
    }
    const cache = this.serverlessCache!;
    return {
      [FUNCTION_ENV.CACHE_BACKEND]: this.backend,
      [FUNCTION_ENV.REDIS_HOST]: cache.attrEndpointAddress,
      [FUNCTION_ENV.REDIS_PORT]: cache.attrEndpointPort,
      [FUNCTION_ENV.REDIS_TLS]: 'true',
      [FUNCTION_ENV.REDIS_CLUSTER]: 'true',
    };
  }
}

function resolveSecret(scope: Construct, secret: ISecret | string | undefined): ISecret {
  if (secret === undefined || secret === '') {
    throw new ConfigurationError(
      'DedupCache: backend upstash needs upstashSecret (an ISecret, a secret ARN or a secret name) holding ' +
        '{"url","token"}. Create it with `aws secretsmanager create-secret` first.',
    );
  }
  if (typeof secret !== 'string') return secret;
  if (!secret.startsWith('arn:')) return Secret.fromSecretNameV2(scope, 'UpstashSecret', secret);
  // Secrets Manager appends `-` and 6 random characters to complete ARNs; without them it is partial.
  return /-[A-Za-z0-9]{6}$/.test(secret)
    ? Secret.fromSecretCompleteArn(scope, 'UpstashSecret', secret)
    : Secret.fromSecretPartialArn(scope, 'UpstashSecret', secret);
}

/** Cache names already given out, per stack (ElastiCache names are unique per account and Region). */
const NAMES_IN_STACK = new WeakMap<Stack, Set<string>>();

/**
 * ElastiCache names: 1–40 characters, lowercase letters, digits and hyphens, starting with a letter.
 *
 * The first cache of a stack is `<stack>-dedup` (as in every release so far: renaming it would
 * replace the cache). Each further cache of the same stack gets that name plus a hash of its
 * construct path (`<stack>-dedup-<8 hex>`), stable whatever order the caches are created in; so do
 * names too long for 40 characters. Which cache is "first" follows construction order: add new
 * caches after the existing one, or it would take over its name (CloudFormation would then fail the
 * update on the name clash instead of replacing anything).
 */
function cacheName(scope: Construct): string {
  const stack = Stack.of(scope);
  const base = `${stack.stackName}-dedup`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const name = /^[a-z]/.test(base) ? base : `c-${base}`;
  let taken = NAMES_IN_STACK.get(stack);
  if (!taken) {
    taken = new Set();
    NAMES_IN_STACK.set(stack, taken);
  }
  const chosen =
    name.length <= 40 && !taken.has(name)
      ? name
      : `${name.slice(0, 31)}-${Names.uniqueId(scope).slice(-8).toLowerCase()}`.replace(/--+/g, '-');
  if (taken.has(chosen)) {
    // Only a second DedupCache with the same construct path could get here, which CDK refuses first.
    throw new ConfigurationError(
      `DedupCache: cache name ${chosen} is already used in stack ${stack.stackName}.`,
    );
  }
  taken.add(chosen);
  return chosen;
}
