// Guarantees: G6 for the local Upstash REST endpoint (design §9): bad requests, a wrong token,
// oversized bodies and a lost Redis get a clear status and message, never a crash or a hang.
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { Redis } from '@upstash/redis';
import { Redis as IORedis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StackError } from '#local/errors.ts';
import { startUpstashRestServer, type UpstashRestServer } from '#local/upstash-rest/server.ts';
import { stackVar } from '#test/support/stack.ts';

const REDIS_URL = stackVar('REDIS_URL');

const TOKEN = `test-token-${randomUUID()}`;
const PREFIX = `mskguard:test:upstash-rest:http:${randomUUID()}:`;
const MAX_BODY_BYTES = 4096;
let endpoint: UpstashRestServer;
let direct: IORedis;

beforeAll(async () => {
  endpoint = await startUpstashRestServer({
    redisUrl: REDIS_URL,
    token: TOKEN,
    maxBodyBytes: MAX_BODY_BYTES,
  });
  direct = new IORedis(REDIS_URL);
});

afterAll(async () => {
  const keys = (await direct?.keys(`${PREFIX}*`)) ?? [];
  if (keys.length > 0) await direct.del(...keys);
  await direct?.quit();
  await endpoint?.close();
});

async function send(path: string, body: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${endpoint.url}${path}`, {
    method: 'POST',
    body,
    ...init,
    headers: { Authorization: `Bearer ${TOKEN}`, ...(init.headers as Record<string, string> | undefined) },
  });
}

/** Sends a body with node:http so the test controls Content-Length versus chunked encoding. */
function rawPost(body: Buffer, chunked: boolean): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(endpoint.url);
    const headers: Record<string, string | number> = { Authorization: `Bearer ${TOKEN}` };
    if (!chunked) headers['Content-Length'] = body.length;
    const req = request({ host: url.hostname, port: url.port, method: 'POST', path: '/', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    for (let offset = 0; offset < body.length; offset += 1000)
      req.write(body.subarray(offset, offset + 1000));
    req.end();
  });
}

describe('authentication', () => {
  it('makes the client throw Unauthorized for a wrong token', async () => {
    // Prepare
    const redis = new Redis({ url: endpoint.url, token: 'wrong', enableAutoPipelining: false, retry: false });

    // Act
    const failure = redis.get(`${PREFIX}any`);

    // Assess
    await expect(failure).rejects.toThrow(/^Unauthorized/);
  });

  it('answers 401 with a JSON error when the header is missing', async () => {
    // Act
    const response = await fetch(endpoint.url, { method: 'POST', body: '["ping"]' });

    // Assess
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ error: 'Unauthorized' });
  });
});

describe('request validation', () => {
  it.each([
    { name: 'malformed JSON', body: '["set", "k"', error: /^Request body is not valid JSON/ },
    { name: 'a JSON object', body: '{"cmd":"ping"}', error: /must be a non-empty JSON array/ },
    { name: 'an empty array', body: '[]', error: /must be a non-empty JSON array/ },
    { name: 'an empty body', body: '', error: /^Request body is empty/ },
    {
      name: 'an object argument',
      body: '["set","k",{"a":1}]',
      error: /argument 2 must be a string or a number/,
    },
    { name: 'SUBSCRIBE', body: '["subscribe","c"]', error: /SUBSCRIBE is not supported/ },
    { name: 'SELECT', body: '["select","1"]', error: /SELECT is not supported/ },
  ])('refuses $name with 400', async ({ body, error }) => {
    // Act
    const response = await send('/', body);

    // Assess
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(error);
  });

  it('refuses a pipeline whose entry is not a command', async () => {
    // Act
    const response = await send('/pipeline', '[["ping"], "ping"]');

    // Assess
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(
      /^Command 2 of the request body must/,
    );
  });

  it('answers 404 for an unknown route and 405 for a wrong method', async () => {
    // Act
    const notFound = await send('/get/key', '');
    const wrongMethod = await fetch(`${endpoint.url}/pipeline`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });

    // Assess
    expect(notFound.status).toBe(404);
    expect(((await notFound.json()) as { error: string }).error).toMatch(/^No route \/get\/key/);
    expect(wrongMethod.status).toBe(405);
  });

  it('ignores Upstash headers it has no use for', async () => {
    // Act
    const response = await send('/', '["echo","hi"]', {
      headers: { 'Upstash-Sync-Token': 'abc', 'Upstash-Telemetry-Sdk': 'x' },
    });

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ result: 'hi' });
  });
});

describe('body size limit', () => {
  it.each([
    { framing: 'Content-Length', chunked: false },
    { framing: 'chunked', chunked: true },
  ])('answers 413 for a body over the limit sent with $framing', async ({ chunked }) => {
    // Prepare
    const body = Buffer.from(JSON.stringify(['set', `${PREFIX}big`, 'x'.repeat(MAX_BODY_BYTES)]));

    // Act
    const response = await rawPost(body, chunked);
    const next = await send('/', JSON.stringify(['set', `${PREFIX}small`, 'x'.repeat(MAX_BODY_BYTES - 100)]));

    // Assess
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual({
      error: `Request body is larger than the limit of ${MAX_BODY_BYTES} bytes; split the pipeline.`,
    });
    expect(await direct.exists(`${PREFIX}big`)).toBe(0);
    expect(next.status).toBe(200);
  });
});

describe('stats', () => {
  it('counts requests and commands per scope and serves them over HTTP', async () => {
    // Prepare
    const scope = `suite-${randomUUID()}`;
    const redis = new Redis({
      url: `${endpoint.url}/scope/${scope}`,
      token: TOKEN,
      enableAutoPipelining: false,
    });
    const totalBefore = endpoint.stats();

    // Act
    await redis.set(`${PREFIX}scoped`, 1);
    await redis.pipeline().get(`${PREFIX}scoped`).incr(`${PREFIX}scoped`).exec();
    const overHttp = await fetch(`${endpoint.url}/__mskguard/stats?scope=${scope}`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    const unauthorized = await fetch(`${endpoint.url}/__mskguard/stats`);

    // Assess
    const expected = { requests: 2, commands: 3, routes: { command: 1, pipeline: 1, multiExec: 0 } };
    expect(endpoint.stats(scope)).toEqual(expected);
    expect(await overHttp.json()).toEqual(expected);
    expect(endpoint.stats().requests - totalBefore.requests).toBeGreaterThanOrEqual(2);
    expect(unauthorized.status).toBe(401);
  });
});

describe('Redis availability', () => {
  it('refuses to start when Redis cannot be reached', async () => {
    // Prepare: a port that was free a moment ago, so nothing answers there.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });

    // Act
    const start = startUpstashRestServer({ redisUrl: `redis://127.0.0.1:${port}`, token: TOKEN });

    // Assess
    await expect(start).rejects.toThrow(StackError);
    await expect(start).rejects.toThrow(
      /could not connect to Redis at redis:\/\/127\.0\.0\.1:\d+ \(connect ECONNREFUSED/,
    );
  });

  it('refuses to start on a port that is taken, and releases its Redis connection', async () => {
    // Prepare
    const port = Number(new URL(endpoint.url).port);

    // Act
    const start = startUpstashRestServer({ redisUrl: REDIS_URL, token: TOKEN, port });

    // Assess
    await expect(start).rejects.toThrow(StackError);
    await expect(start).rejects.toThrow(/could not listen on 127\.0\.0\.1:\d+ \(listen EADDRINUSE/);
  });

  it('answers 503 while its Redis connection is lost, then recovers', async () => {
    // Prepare
    const own = await startUpstashRestServer({ redisUrl: REDIS_URL, token: TOKEN });
    const post = (command: unknown[]) =>
      fetch(own.url, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(command),
      });
    const { result: connectionId } = (await (await post(['client', 'id'])).json()) as { result: number };

    // Act
    await direct.client('KILL', 'ID', String(connectionId));
    const during = await post(['echo', 'x']);
    let after = await post(['echo', 'back']);
    for (let attempt = 0; attempt < 100 && after.status !== 200; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await post(['echo', 'back']);
    }
    await own.close();

    // Assess
    expect(during.status).toBe(503);
    expect(((await during.json()) as { error: string }).error).toMatch(
      /^Redis at redis:\/\/.+ is unavailable/,
    );
    expect(await after.json()).toEqual({ result: 'back' });
  });

  it('closes its Redis connections on close()', async () => {
    // Prepare
    const own = await startUpstashRestServer({ redisUrl: REDIS_URL, token: TOKEN });
    const response = await fetch(own.url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: '["client","id"]',
    });
    const { result: connectionId } = (await response.json()) as { result: number };

    // Act
    await own.close();
    const clients = String(await direct.client('LIST'));

    // Assess
    expect(clients).not.toMatch(new RegExp(`^id=${connectionId} `, 'm'));
  });
});
