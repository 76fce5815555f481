import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigurationError } from '#shared/errors.ts';
import { resolveOptions } from '#shared/middleware/options.ts';
import { QuarantineStore } from '#shared/quarantine/store.ts';
import { QuarantineReason } from '#shared/quarantine/types.ts';
import { FUNCTION_ENV } from '#shared/runtime/function-env.ts';
import { guardOptionsFromEnv } from '#shared/runtime/guard-from-env.ts';

const cache = { kind: 'none', run: async () => undefined, close: async () => {} };
const base = { [FUNCTION_ENV.CONSUMER_GROUP]: 'orders' };

describe('guardOptionsFromEnv: cache shards', () => {
  it('reads MSKGUARD_CACHE_SHARDS, and leaves the default (1) when it is not set', () => {
    const sharded = guardOptionsFromEnv({ cache }, { ...base, [FUNCTION_ENV.CACHE_SHARDS]: '6' });
    const plain = guardOptionsFromEnv({ cache }, base);

    expect(resolveOptions(sharded).cacheShards).toBe(6);
    expect(resolveOptions(plain).cacheShards).toBe(1);
  });

  it.each([
    'eight',
    '0x10',
    '1e1',
    '-2',
  ])('refuses %s with a ConfigurationError naming the variable', (value) => {
    expect(() => guardOptionsFromEnv({ cache }, { ...base, [FUNCTION_ENV.CACHE_SHARDS]: value })).toThrow(
      new ConfigurationError(`MSKGUARD_CACHE_SHARDS must be a whole number of shards (got "${value}")`),
    );
  });

  it('lets a number out of range fail at factory time with a ConfigurationError naming the option', () => {
    const options = guardOptionsFromEnv({ cache }, { ...base, [FUNCTION_ENV.CACHE_SHARDS]: '0' });

    expect(() => resolveOptions(options)).toThrow(ConfigurationError);
    expect(() => resolveOptions(options)).toThrow(/cacheShards/);
  });
});

/** A stand-in DynamoDB endpoint that records each request's target and body and answers `{}`. */
async function fakeDynamoDb() {
  const requests: { target: string; body: Record<string, unknown> }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      requests.push({ target: String(req.headers['x-amz-target']), body: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, requests, close: () => server.close() };
}

describe('guardOptionsFromEnv: quarantine store', () => {
  beforeEach(() => {
    // The SDK reads its region and credentials from process.env, not from the env passed in.
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('builds a QuarantineStore on MSKGUARD_QUARANTINE_TABLE, so probabilistic mode is accepted', async () => {
    // Prepare
    const dynamo = await fakeDynamoDb();
    const env = {
      ...base,
      [FUNCTION_ENV.QUARANTINE_TABLE]: 'orders-quarantine',
      [FUNCTION_ENV.MODE]: 'probabilistic',
      DYNAMODB_ENDPOINT: dynamo.endpoint,
    };

    try {
      // Act
      const options = guardOptionsFromEnv({ cache }, env);
      await options.quarantine?.put([
        {
          group: 'orders',
          topic: 'orders',
          partition: 0,
          offset: 7,
          key: null,
          value: null,
          headers: [],
          idempotencyKey: 'k',
          reason: QuarantineReason.ProbableDuplicate,
        },
      ]);

      // Assess
      expect(options.quarantine).toBeInstanceOf(QuarantineStore);
      expect(resolveOptions(options).mode).toBe('probabilistic');
      expect(dynamo.requests.map((r) => r.target)).toEqual(['DynamoDB_20120810.PutItem']);
      expect(dynamo.requests[0]?.body.TableName).toBe('orders-quarantine');
    } finally {
      dynamo.close();
    }
  });

  it('leaves quarantine out when the variable is not set: probabilistic mode then fails at factory time', () => {
    const options = guardOptionsFromEnv({ cache }, { ...base, [FUNCTION_ENV.MODE]: 'probabilistic' });

    expect(options.quarantine).toBeUndefined();
    expect(() => resolveOptions(options)).toThrow(/'probabilistic' needs `quarantine`/);
  });
});
