// Guarantees: none of G1..G6 directly. Proves the batching the dedup tiers rely on for "one round
// trip per tier per batch" (design §4) through the local Upstash REST endpoint (design §9):
// client pipelines and auto-pipelining are one HTTP request each, and /multi-exec is atomic.
import { randomUUID } from 'node:crypto';
import { Redis } from '@upstash/redis';
import { Redis as IORedis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstashRestServer, type UpstashRestServer } from '#local/upstash-rest/server.ts';
import { stackVar } from '#test/support/stack.ts';

const REDIS_URL = stackVar('REDIS_URL');

const TOKEN = `test-token-${randomUUID()}`;
const PREFIX = `mskguard:test:upstash-rest:pipeline:${randomUUID()}:`;
let endpoint: UpstashRestServer;
let direct: IORedis;

beforeAll(async () => {
  endpoint = await startUpstashRestServer({ redisUrl: REDIS_URL, token: TOKEN });
  direct = new IORedis(REDIS_URL);
});

afterAll(async () => {
  const keys = (await direct?.keys(`${PREFIX}*`)) ?? [];
  if (keys.length > 0) await direct.del(...keys);
  await direct?.quit();
  await endpoint?.close();
});

function client(enableAutoPipelining = false): Redis {
  return new Redis({ url: endpoint.url, token: TOKEN, enableAutoPipelining, retry: false });
}

async function postJson(path: string, body: unknown): Promise<Response> {
  return fetch(`${endpoint.url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

describe('pipeline', () => {
  it('runs all commands in order in one HTTP request', async () => {
    // Prepare
    const key = `${PREFIX}p1`;
    const list = `${PREFIX}p1:list`;
    const before = endpoint.stats();

    // Act
    const results = await client()
      .pipeline()
      .set(key, 5)
      .incr(key)
      .get(key)
      .del(key)
      .rpush(list, 'OK', 'b')
      .lrange(list, 0, -1)
      .exec();
    const after = endpoint.stats();

    // Assess
    expect(results).toEqual(['OK', 6, 6, 1, 2, ['OK', 'b']]);
    expect(after.requests - before.requests).toBe(1);
    expect(after.routes.pipeline - before.routes.pipeline).toBe(1);
    expect(after.commands - before.commands).toBe(6);
  });

  it('reports a failing command per entry and still runs the others', async () => {
    // Prepare
    const key = `${PREFIX}p2`;
    const redis = client();

    // Act
    const thrown = await redis
      .pipeline()
      .set(key, 'abc')
      .incr(key)
      .set(`${key}:after`, 1)
      .exec()
      .catch(asError);
    const kept = await redis.pipeline().incr(key).get(key).exec({ keepErrors: true });

    // Assess
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toBe(
      'Command 2 [ incr ] failed: ERR value is not an integer or out of range',
    );
    expect(await direct.get(`${key}:after`)).toBe('1');
    expect(kept[0]?.error).toBe('ERR value is not an integer or out of range');
    expect(kept[1]?.result).toBe('abc');
  });

  it('batches concurrent commands into fewer HTTP requests with auto-pipelining', async () => {
    // Prepare
    const redis = client(true);
    const keys = Array.from({ length: 10 }, (_, i) => `${PREFIX}auto:${i}`);
    const before = endpoint.stats();

    // Act
    await Promise.all(keys.map((key, i) => redis.set(key, i)));
    const values = await Promise.all(keys.map((key) => redis.get(key)));
    const after = endpoint.stats();

    // Assess
    expect(values).toEqual(keys.map((_, i) => i));
    expect(after.commands - before.commands).toBe(20);
    expect(after.requests - before.requests).toBe(2); // one write batch, one read batch
  });

  it('does not let a blocking command stall the other requests', async () => {
    // Prepare
    const key = `${PREFIX}queue`;
    await client().set(`${PREFIX}unblocked`, 'yes');

    // Act: BLPOP waits for the LPUSH below; if it held the shared connection, the GET would only
    // be answered after the BLPOP timed out, the LPUSH would come too late and BLPOP return null.
    const popped = postJson('/', ['blpop', key, 10]).then((r) => r.json());
    while (!String(await direct.client('LIST')).includes('cmd=blpop')) {
      await new Promise((resolve) => setTimeout(resolve, 5)); // until BLPOP is blocked in Redis
    }
    const other = await client().get(`${PREFIX}unblocked`);
    await client().lpush(key, 'job-1');

    // Assess
    expect(other).toBe('yes');
    expect(await popped).toEqual({ result: [key, 'job-1'] });
  });
});

describe('multi-exec', () => {
  it('runs a transaction in one request and returns every result', async () => {
    // Prepare
    const key = `${PREFIX}m1`;
    const before = endpoint.stats();

    // Act
    const results = await client().multi().set(key, 1).incrby(key, 41).get(key).exec();
    const after = endpoint.stats();

    // Assess
    expect(results).toEqual(['OK', 42, 42]);
    expect(after.routes.multiExec - before.routes.multiExec).toBe(1);
    expect(after.requests - before.requests).toBe(1);
  });

  it('applies the other commands when one fails while EXEC runs, as Redis does', async () => {
    // Prepare
    const key = `${PREFIX}m2`;
    const redis = client();

    // Act
    const thrown = await redis
      .multi()
      .set(`${key}:a`, 'x')
      .incr(`${key}:a`)
      .set(`${key}:b`, 'y')
      .exec()
      .catch(asError);
    const kept = await redis.multi().incr(`${key}:a`).get(`${key}:b`).exec({ keepErrors: true });

    // Assess
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toBe(
      'Command 2 [ incr ] failed: ERR value is not an integer or out of range',
    );
    expect(await direct.mget(`${key}:a`, `${key}:b`)).toEqual(['x', 'y']);
    expect(kept.map((entry) => entry.error ?? entry.result)).toEqual([
      'ERR value is not an integer or out of range',
      'y',
    ]);
  });

  it('discards the whole transaction when a command is refused while queueing', async () => {
    // Prepare
    const key = `${PREFIX}m3`;

    // Act
    const response = await postJson('/multi-exec', [
      ['set', key, 'must-not-be-set'],
      ['set', `${key}:wrong-arity`],
    ]);
    const body = (await response.json()) as { error: string };

    // Assess
    expect(response.status).toBe(400);
    expect(body.error).toMatch(/^EXECABORT Transaction discarded because of previous errors/);
    expect(body.error).toContain("command 2 [set]: ERR wrong number of arguments for 'set' command");
    expect(await direct.exists(key)).toBe(0);
  });

  it('is never seen half-applied by another Redis connection', async () => {
    // Prepare: 100 keys of 2 KiB each make every transaction ~200 KiB, far more than Redis reads
    // from a socket at once, so without MULTI/EXEC its commands would interleave with MGETs.
    const keys = Array.from({ length: 100 }, (_, i) => `${PREFIX}atomic:${i}`);
    const padding = 'x'.repeat(2048);
    const redis = client();
    await redis
      .multi()
      .mset(Object.fromEntries(keys.map((k) => [k, `0:${padding}`])))
      .exec();
    let writing = true;
    const observed = new Set<string>();
    let mixed = 0;

    // Act
    const observer = (async () => {
      while (writing) {
        const values = await direct.mget(...keys);
        const rounds = new Set(values.map((v) => v?.split(':')[0]));
        for (const round of rounds) observed.add(String(round));
        if (rounds.size > 1) mixed += 1;
      }
    })();
    for (let round = 1; round <= 20; round += 1) {
      const tx = redis.multi();
      for (const key of keys) tx.set(key, `${round}:${padding}`);
      await tx.exec();
    }
    writing = false;
    await observer;

    // Assess
    expect(mixed).toBe(0);
    expect(observed.size).toBeGreaterThan(1); // the observer did run while rounds were written
  });
});
