// A consumer's cache client must be installed in the CDK app: synthesis fails naming the package
// and the backend when it is not, instead of a bundle that leaves it out and fails every invocation
// (a user who installed ioredis only, deploying the upstash backend).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GuardedKafkaConsumer } from '#cdk/constructs/guarded-kafka-consumer.ts';
import { requireCacheClient } from '#cdk/paths.ts';
import { ConfigurationError } from '#shared/errors.ts';
import { consumerDependencies, testApp } from './helpers.ts';

let app: string;
let cwd: string;

/** A CDK app directory with a handler, a lock file and only `ioredis` in node_modules. */
function appWithIoredisOnly(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mskguard-cache-client-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  writeFileSync(join(dir, 'package-lock.json'), '{}');
  writeFileSync(join(dir, 'orders.mjs'), 'export const handler = async () => ({ batchItemFailures: [] });\n');
  const ioredis = join(dir, 'node_modules/ioredis');
  mkdirSync(ioredis, { recursive: true });
  writeFileSync(join(ioredis, 'package.json'), JSON.stringify({ name: 'ioredis', main: 'index.js' }));
  writeFileSync(join(ioredis, 'index.js'), 'module.exports = {};\n');
  return dir;
}

beforeEach(() => {
  app = appWithIoredisOnly();
  cwd = process.cwd();
  process.chdir(app); // `cdk synth` runs in the app: that is where the clients are looked for
});
afterEach(() => {
  process.chdir(cwd);
  rmSync(app, { recursive: true, force: true });
});

/** A consumer on `backend` in the app, synthesized without bundling (the check comes first). */
function consumer(backend: 'upstash' | 'elasticache', externalModules?: string[]): GuardedKafkaConsumer {
  const stack = new Stack(testApp({ 'aws:cdk:bundling-stacks': [] }), 'Test');
  return new GuardedKafkaConsumer(stack, 'Orders', {
    entry: 'orders.mjs',
    consumerGroupId: 'orders-v1',
    topic: 'orders',
    ...consumerDependencies(stack, backend),
    ...(externalModules ? { bundling: { externalModules } } : {}),
  });
}

describe('GuardedKafkaConsumer cache client', () => {
  it('fails synthesis naming @upstash/redis and the backend when only ioredis is installed', () => {
    // Act
    const failure = (() => {
      try {
        consumer('upstash');
      } catch (error) {
        return error;
      }
    })();

    // Assess
    expect(failure).toBeInstanceOf(ConfigurationError);
    expect((failure as Error).message).toMatch(
      /^GuardedKafkaConsumer Orders: the upstash cache needs @upstash\/redis, which is not installed where `cdk synth` runs .*Run `npm install @upstash\/redis` in the CDK app/,
    );
  });

  it('synthesizes the elasticache backend, whose client (ioredis) is installed', () => {
    // Act
    const built = consumer('elasticache');

    // Assess
    expect(built.function.functionName).toBeDefined();
  });

  it('leaves a consumer whose bundling names its own externalModules (a layer holds the client) alone', () => {
    // Act
    const built = consumer('upstash', ['@aws-sdk/*', '@upstash/redis']);

    // Assess
    expect(built.function.functionName).toBeDefined();
  });
});

describe('requireCacheClient', () => {
  it.each([
    ['elasticache', undefined],
    ['upstash', /the upstash cache needs @upstash\/redis/],
  ] as const)('%s in an app with ioredis only: %s', (backend, error) => {
    // Act
    const check = () => requireCacheClient(backend, 'X', join(app, 'package.json'));

    // Assess
    if (error) expect(check).toThrow(error);
    else expect(check).not.toThrow();
  });
});
