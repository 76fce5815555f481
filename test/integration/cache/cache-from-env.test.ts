// A function builds its cache runner from the environment the stack sets (design §8): an
// ElastiCache endpoint in cluster mode (ElastiCache Serverless always is) gets the cluster-aware
// runner, whose scripts run on the node that owns their keys; one that is not gets the single-node one.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '#shared/errors.ts';
import { cacheFromEnv } from '#shared/runtime/cache-from-env.ts';
import { FUNCTION_ENV } from '#shared/runtime/function-env.ts';
import { clusterPorts, tagPerNode } from '#test/support/cluster.ts';
import { freshPortScript } from '#test/support/runners.ts';
import { stackVar } from '#test/support/stack.ts';

function elasticacheEnv(port: number, cluster?: string): NodeJS.ProcessEnv {
  return {
    [FUNCTION_ENV.CACHE_BACKEND]: 'elasticache',
    [FUNCTION_ENV.REDIS_HOST]: '127.0.0.1',
    [FUNCTION_ENV.REDIS_PORT]: String(port),
    // The local stack has no TLS; ElastiCache's endpoints always do (the default).
    [FUNCTION_ENV.REDIS_TLS]: 'false',
    ...(cluster === undefined ? {} : { [FUNCTION_ENV.REDIS_CLUSTER]: cluster }),
  };
}

describe('cacheFromEnv for elasticache', () => {
  it('builds the cluster-aware runner for a cluster endpoint; each script runs on the owner of its keys', async () => {
    // Prepare: one endpoint, as ElastiCache Serverless gives; one tag per node.
    const tags = await tagPerNode(`env-${randomBytes(4).toString('hex')}`);
    const script = freshPortScript();

    // Act
    const runner = await cacheFromEnv(elasticacheEnv(clusterPorts()[0]!, 'true'))();
    const ranOn: unknown[] = [];
    for (const tag of tags.values()) ranOn.push(await runner.run(script, [`mskguard:{${tag}}`], ['x']));
    await runner.close();

    // Assess
    expect(runner.kind).toBe('resp-cluster');
    expect(ranOn).toEqual([...tags.keys()].map(String));
  });

  it('builds the single-node runner when the endpoint is not a cluster', async () => {
    // Prepare
    const port = Number(new URL(stackVar('REDIS_URL')).port);

    // Act
    const runner = await cacheFromEnv(elasticacheEnv(port))();
    const ranOn = await runner.run(freshPortScript(), [`mskguard:{env-single}`], ['x']);
    await runner.close();

    // Assess
    expect(runner.kind).toBe('resp');
    expect(ranOn).toBe(String(port));
  });

  it('refuses a cluster flag other than true or false, naming both', () => {
    expect(() => cacheFromEnv(elasticacheEnv(6379, 'yes'))).toThrow(ConfigurationError);
    expect(() => cacheFromEnv(elasticacheEnv(6379, 'yes'))).toThrow(
      /MSKGUARD_REDIS_CLUSTER must be 'true'.*or 'false'/,
    );
  });
});

describe('cacheFromEnv for upstash', () => {
  const upstashEnv = {
    [FUNCTION_ENV.CACHE_BACKEND]: 'upstash',
    [FUNCTION_ENV.UPSTASH_SECRET_ARN]:
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:mskguard/upstash-AbCdEf',
  };
  // Secrets Manager cannot run here: a reader that answers as it does (the SecretReader seam).
  const refusing = (name: string) => ({
    send: async () => {
      throw Object.assign(new Error(`${name}: refused`), { name });
    },
  });

  it.each([
    ['AccessDeniedException', /secretsmanager:GetSecretValue/],
    ['ResourceNotFoundException', /no such secret/],
    ['DecryptionFailure', /kms:Decrypt/],
  ])('takes %s as a ConfigurationError naming the secret and the fix, not an outage', async (name, fix) => {
    const failure = cacheFromEnv(upstashEnv, refusing(name))();
    await expect(failure).rejects.toBeInstanceOf(ConfigurationError);
    await expect(failure).rejects.toThrow(fix);
    await expect(failure).rejects.toThrow(/mskguard\/upstash-AbCdEf/);
  });

  it('leaves a throttled read to the cache tier as an outage', async () => {
    const failure = cacheFromEnv(upstashEnv, refusing('ThrottlingException'))();
    await expect(failure).rejects.not.toBeInstanceOf(ConfigurationError);
  });
});
