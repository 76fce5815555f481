// Guarantees: none of G1..G6 directly. Proves that the local Upstash REST endpoint (design §9),
// which the G1/G4 suites run against, answers @upstash/redis like Upstash does: single commands,
// binary-safe values in both response encodings, Redis error texts, and Lua scripts.
import { randomUUID } from 'node:crypto';
import { Redis } from '@upstash/redis';
import { Redis as IORedis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUpstashRestServer, type UpstashRestServer } from '#local/upstash-rest/server.ts';
import { stackVar } from '#test/support/stack.ts';

const REDIS_URL = stackVar('REDIS_URL');

const TOKEN = `test-token-${randomUUID()}`;
const PREFIX = `mskguard:test:upstash-rest:commands:${randomUUID()}:`;
let endpoint: UpstashRestServer;
let direct: IORedis;

beforeAll(async () => {
  endpoint = await startUpstashRestServer({ redisUrl: REDIS_URL, token: TOKEN });
  direct = new IORedis(REDIS_URL);
});

afterAll(async () => {
  const keys = await direct.keys(`${PREFIX}*`);
  if (keys.length > 0) await direct.del(...keys);
  await direct.quit();
  await endpoint?.close();
});

function client(options: { responseEncoding?: false; automaticDeserialization?: boolean } = {}): Redis {
  return new Redis({
    url: endpoint.url,
    token: TOKEN,
    enableAutoPipelining: false,
    retry: false,
    ...options,
  });
}

async function post(command: unknown[], headers: Record<string, string> = {}): Promise<Response> {
  return fetch(endpoint.url, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, ...headers },
    body: JSON.stringify(command),
  });
}

// Every byte value 0x00-0xFF as a code point, line breaks, astral-plane emoji and CJK text.
const AWKWARD_TEXT = `${Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('')}\r\n😀🧪 日本語 "quoted" \\`;

describe('single commands', () => {
  it('sets, gets and deletes a key', async () => {
    // Prepare
    const redis = client();
    const key = `${PREFIX}plain`;

    // Act
    const set = await redis.set(key, 'value-1');
    const got = await redis.get(key);
    const deleted = await redis.del(key);
    const afterDelete = await redis.get(key);

    // Assess
    expect([set, got, deleted, afterDelete]).toEqual(['OK', 'value-1', 1, null]);
  });

  it('returns hashes untouched so the client builds the object itself', async () => {
    // Prepare
    const redis = client();
    const key = `${PREFIX}hash`;
    await redis.hset(key, { a: 'x', b: 2 });

    // Act
    const hash = await redis.hgetall(key);

    // Assess
    expect(hash).toEqual({ a: 'x', b: 2 });
  });
});

describe('binary-safe values', () => {
  it.each([
    { encoding: 'base64', options: {} },
    { encoding: 'off', options: { responseEncoding: false as const } },
  ])('round-trips every byte value, emoji and CJK text with encoding $encoding', async ({
    encoding,
    options,
  }) => {
    // Prepare
    const redis = client({ ...options, automaticDeserialization: false });
    const key = `${PREFIX}awkward:${encoding}`;

    // Act
    await redis.set(key, AWKWARD_TEXT);
    const got = await redis.get(key);
    const stored = await direct.getBuffer(key);

    // Assess
    expect(got).toBe(AWKWARD_TEXT);
    expect(stored?.equals(Buffer.from(AWKWARD_TEXT, 'utf8'))).toBe(true);
  });

  it('sends the exact bytes of a non-UTF-8 value in base64 mode', async () => {
    // Prepare
    const key = `${PREFIX}invalid-utf8`;
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0x41]);
    await direct.set(key, bytes);

    // Act
    const response = await post(['get', key], { 'Upstash-Encoding': 'base64' });
    const body = (await response.json()) as { result: string };
    const viaClient = await client({ automaticDeserialization: false }).get(key);

    // Assess
    expect(Buffer.from(body.result, 'base64').equals(bytes)).toBe(true);
    // The client decodes base64 with TextDecoder: invalid sequences become U+FFFD there.
    expect(viaClient).toBe(new TextDecoder().decode(bytes));
  });
});

describe('response encoding on the wire', () => {
  it('base64-encodes strings, nested ones included, but not numbers, nulls or a top-level OK', async () => {
    // Prepare
    const key = `${PREFIX}list`;
    const base64 = { 'Upstash-Encoding': 'base64' };

    // Act
    const set = await (await post(['set', `${PREFIX}s`, 'hi'], base64)).text();
    const get = await (await post(['get', `${PREFIX}s`], base64)).text();
    const pushed = await (await post(['rpush', key, 'OK', 'é'], base64)).text();
    const range = await (await post(['lrange', key, 0, -1], base64)).text();
    const missing = await (await post(['get', `${PREFIX}missing`], base64)).text();

    // Assess
    expect(set).toBe('{"result":"OK"}');
    expect(get).toBe('{"result":"aGk="}');
    expect(pushed).toBe('{"result":2}');
    expect(range).toBe('{"result":["T0s=","w6k="]}');
    expect(missing).toBe('{"result":null}');
  });

  it('writes plain JSON strings without the header', async () => {
    // Prepare
    const key = `${PREFIX}plain-wire`;
    await post(['set', key, 'é "x"']);

    // Act
    const get = await (await post(['get', key])).text();

    // Assess
    expect(get).toBe('{"result":"é \\"x\\""}');
  });

  it('keeps 64-bit integers exact on the wire', async () => {
    // Prepare
    const key = `${PREFIX}big`;
    await post(['set', key, '9223372036854775806']);

    // Act
    const incr = await (await post(['incr', key], { 'Upstash-Encoding': 'base64' })).text();

    // Assess
    expect(incr).toBe('{"result":9223372036854775807}');
  });
});

describe('Redis errors', () => {
  it('answers 400 with the Redis error text unchanged', async () => {
    // Prepare
    const key = `${PREFIX}not-a-number`;
    await post(['set', key, 'abc']);

    // Act
    const response = await post(['incr', key]);

    // Assess
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'ERR value is not an integer or out of range' });
  });

  it('makes the client throw with the Redis error text', async () => {
    // Prepare
    const redis = client();
    const key = `${PREFIX}not-a-number-2`;
    await redis.set(key, 'abc');

    // Act
    const failure = redis.incr(key);

    // Assess
    await expect(failure).rejects.toThrow('ERR value is not an integer or out of range');
  });
});

describe('Lua scripts', () => {
  const SCRIPT = "return {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1, redis.call('SET', KEYS[1], ARGV[1])}";

  it('runs EVAL, SCRIPT LOAD and EVALSHA', async () => {
    // Prepare
    const redis = client();
    const key = `${PREFIX}script`;

    // Act
    const evaluated = await redis.eval(SCRIPT, [key], ['v', '41']);
    const sha = await redis.scriptLoad(SCRIPT);
    const bySha = await redis.evalsha(sha, [key], ['w', '1']);

    // Assess
    expect(evaluated).toEqual([key, 'v', 42, 'OK']);
    expect(bySha).toEqual([key, 'w', 2, 'OK']);
  });

  it('passes NOSCRIPT through so the Script helper falls back to EVAL', async () => {
    // Prepare: a script no server has seen (it ends in a fresh UUID), so its first EVALSHA is
    // refused, without a SCRIPT FLUSH of the cache other suites share.
    const redis = client();
    const key = `${PREFIX}fallback`;
    const script = redis.createScript<unknown[]>(`${SCRIPT} -- ${randomUUID()}`);
    const before = endpoint.stats().requests;

    // Act
    const result = await script.exec([key], ['z', '9']);
    const roundTrips = endpoint.stats().requests - before;
    const raw = await post(['evalsha', 'ffffffffffffffffffffffffffffffffffffffff', 0]);

    // Assess
    expect(result).toEqual([key, 'z', 10, 'OK']);
    expect(roundTrips).toBe(2); // EVALSHA refused with NOSCRIPT, then EVAL
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({ error: 'NOSCRIPT No matching script. Please use EVAL.' });
  });

  it('falls back to EVAL through auto-pipelining too', async () => {
    // Prepare
    const redis = new Redis({ url: endpoint.url, token: TOKEN, enableAutoPipelining: true, retry: false });
    const script = redis.createScript<number>(`return tonumber(ARGV[1]) * 2 -- ${randomUUID()}`);

    // Act
    const result = await script.exec([], ['21']);

    // Assess
    expect(result).toBe(42);
  });
});
