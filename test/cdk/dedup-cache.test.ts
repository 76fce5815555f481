// Guarantee: none of G1–G6 directly; proves the cache wiring (design §8): Upstash credentials only by
// secret ARN, or ElastiCache Serverless reachable only from the guarded consumers.
import { Template } from 'aws-cdk-lib/assertions';
import { SecurityGroup } from 'aws-cdk-lib/aws-ec2';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { beforeAll, describe, expect, it } from 'vitest';
import { DedupCache } from '#cdk/constructs/dedup-cache.ts';
import { FUNCTION_ENV } from '#cdk/function-env.ts';
import { ConfigurationError } from '#shared/errors.ts';
import { cacheFromEnv } from '#shared/runtime/cache-from-env.ts';
import { describeViolations, existingCluster, ingressRules, nagViolations, testStack } from './helpers.ts';

describe('DedupCache (elasticache)', () => {
  let template: Template;
  let cache: DedupCache;

  beforeAll(() => {
    const stack = testStack();
    const cluster = existingCluster(stack);
    cache = new DedupCache(stack, 'Cache', {
      backend: 'elasticache',
      vpc: cluster.vpc,
      subnets: cluster.subnets,
    });
    const clientSg = new SecurityGroup(stack, 'ClientSg', { vpc: cluster.vpc });
    const client = new Role(stack, 'Client', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    cache.grantConnect(Object.assign(client, { connections: clientSg.connections }));
    template = Template.fromStack(stack);
  });

  it('creates a Valkey serverless cache with bounded usage in the given subnets', () => {
    template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      Engine: 'valkey',
      MajorEngineVersion: '8',
      SubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
      CacheUsageLimits: { DataStorage: { Maximum: 1, Unit: 'GB' }, ECPUPerSecond: { Maximum: 5000 } },
      SnapshotRetentionLimit: 1,
    });
  });

  it('admits the client security group on 6379-6380 only', () => {
    // Act
    const rules = ingressRules(template);

    // Assess
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      IpProtocol: 'tcp',
      FromPort: 6379,
      ToPort: 6380,
      SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^ClientSg/), 'GroupId'] },
    });
  });

  it('gives the endpoint in the environment, never a password', () => {
    // Act
    const env = cache.environment();

    // Assess
    expect(Object.keys(env).sort()).toEqual(
      [
        FUNCTION_ENV.CACHE_BACKEND,
        FUNCTION_ENV.REDIS_HOST,
        FUNCTION_ENV.REDIS_PORT,
        FUNCTION_ENV.REDIS_TLS,
        FUNCTION_ENV.REDIS_CLUSTER,
      ].sort(),
    );
    expect(env[FUNCTION_ENV.REDIS_TLS]).toBe('true');
    expect(cache.requiresVpc).toBe(true);
  });

  it('has its functions reach the serverless cache (always cluster mode) with the cluster-aware runner', async () => {
    // Prepare: the environment as a function sees it (CDK tokens stand in for the endpoint).
    const env: Record<string, string> = {
      ...cache.environment(),
      [FUNCTION_ENV.REDIS_HOST]: 'c.serverless.use1.cache.amazonaws.com',
    };

    // Act
    const runner = await cacheFromEnv({ ...env, [FUNCTION_ENV.REDIS_PORT]: '6379' })();

    // Assess: built, not connected (the client connects on the first script).
    expect(runner.kind).toBe('resp-cluster');
    expect(env[FUNCTION_ENV.REDIS_CLUSTER]).toBe('true');
    await runner.close();
  });

  it('passes cdk-nag', () => {
    expect(describeViolations(nagViolations(cache))).toEqual([]);
  });

  it('honours usage-limit overrides', () => {
    // Prepare
    const stack = testStack();
    const cluster = existingCluster(stack);

    // Act
    new DedupCache(stack, 'Cache', {
      backend: 'elasticache',
      vpc: cluster.vpc,
      subnets: cluster.subnets,
      maxDataStorageGb: 5,
      maxEcpuPerSecond: 20000,
      snapshotRetentionLimit: 3,
    });

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
      CacheUsageLimits: { DataStorage: { Maximum: 5, Unit: 'GB' }, ECPUPerSecond: { Maximum: 20000 } },
      SnapshotRetentionLimit: 3,
    });
  });

  it('needs a VPC and subnets', () => {
    expect(() => new DedupCache(testStack(), 'Cache', { backend: 'elasticache' })).toThrow(
      ConfigurationError,
    );
  });
});

describe('DedupCache (upstash)', () => {
  it('grants read on the secret and passes only its ARN', () => {
    // Prepare
    const stack = testStack();
    const cache = new DedupCache(stack, 'Cache', {
      backend: 'upstash',
      upstashSecret: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:mskguard/upstash-AbCdEf',
    });
    const client = new Role(stack, 'Client', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    const clientSg = new SecurityGroup(stack, 'ClientSg', { vpc: existingCluster(stack).vpc });

    // Act
    cache.grantConnect(Object.assign(client, { connections: clientSg.connections }));
    const env = cache.environment();

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Effect: 'Allow',
            Resource: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:mskguard/upstash-AbCdEf',
          },
        ],
      },
    });
    expect(env).toEqual({
      [FUNCTION_ENV.CACHE_BACKEND]: 'upstash',
      [FUNCTION_ENV.UPSTASH_SECRET_ARN]:
        'arn:aws:secretsmanager:eu-west-1:111122223333:secret:mskguard/upstash-AbCdEf',
    });
    expect(cache.requiresVpc).toBe(false);
    expect(cache.serverlessCache).toBeUndefined();
  });

  it('accepts a secret name and grants on its name-suffixed ARNs', () => {
    // Prepare
    const stack = testStack();
    const cache = new DedupCache(stack, 'Cache', { backend: 'upstash', upstashSecret: 'mskguard/upstash' });
    const client = new Role(stack, 'Client', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });

    // Act
    cache.upstashSecret!.grantRead(client);
    const resolved = JSON.stringify(stack.resolve(cache.environment()[FUNCTION_ENV.UPSTASH_SECRET_ARN]));

    // Assess
    expect(resolved).toContain(':secret:mskguard/upstash');
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).toContain('mskguard/upstash-??????');
  });

  it('requires the secret', () => {
    expect(() => new DedupCache(testStack(), 'Cache', { backend: 'upstash' })).toThrow(/needs upstashSecret/);
  });
});
