// G6 for the Upstash REST adapter: an HTTP-level failure (the endpoint's Redis is down: 503; a rate
// limit: 429; a gateway's HTML page) is an outage, a CacheUnavailableError that
// `onCacheUnavailable` decides, never a raw UpstashError the middleware takes for a script bug.
// And `retries: 0` means one request. The 503 comes from the project's real REST endpoint in front
// of the real redis-server behind a Toxiproxy proxy of this suite's own; 429 and a non-JSON 502
// come from a stub, as neither the endpoint nor Redis can be made to answer them.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToxiproxyClient } from '#local/toxiproxy.ts';
import { startUpstashRestServer, type UpstashRestServer } from '#local/upstash-rest/server.ts';
import { scripts } from '#lua/scripts.generated.ts';
import { UpstashScriptRunner } from '#shared/cache/upstash.ts';
import { CacheUnavailableError } from '#shared/errors.ts';
import { testScript } from '#test/support/runners.ts';
import { stackVar, uniqueName } from '#test/support/stack.ts';
import { proxyToStackRedis } from '#test/support/toxiproxy.ts';

const toxiproxyUrl = process.env.TOXIPROXY_URL;
const base = `mskguard:{upstash-http-${randomUUID()}}`;
// The release script: small, and harmless on keys that do not exist.
const release = (runner: UpstashScriptRunner) =>
  runner.run(scripts.release, [base], ['owner', '1', '3600000', '22', '']);

/** An HTTP server answering every request with `status` and `body`; counts the requests. */
async function stub(status: number, body: string, type = 'application/json') {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests += 1;
    req.resume();
    if (status === 0) return void req.socket.destroy(); // a network error, no answer
    res.writeHead(status, { 'content-type': type }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('UpstashScriptRunner: HTTP failures are outages', () => {
  it.each([
    [
      'a rate limit (429)',
      429,
      JSON.stringify({ error: 'ERR max requests limit exceeded. Limit: 1, Usage: 1' }),
    ],
    ['a server error with a JSON body (500)', 500, JSON.stringify({ error: 'Internal Server Error' })],
    ['a server error without an error field (503)', 503, JSON.stringify({ message: 'unavailable' })],
    ['a gateway page that is not JSON (502)', 502, '<html><body>502 Bad Gateway</body></html>'],
  ])('%s is a CacheUnavailableError', async (_name, status, body) => {
    const server = await stub(status, body);
    try {
      const runner = new UpstashScriptRunner({ url: server.url, token: 'stub-token', retries: 0 });
      await expect(release(runner)).rejects.toBeInstanceOf(CacheUnavailableError);
    } finally {
      await server.close();
    }
  });

  it('sends one request with retries: 0', async () => {
    const server = await stub(0, '');
    try {
      const runner = new UpstashScriptRunner({ url: server.url, token: 'stub-token', retries: 0 });
      await expect(release(runner)).rejects.toBeInstanceOf(CacheUnavailableError);
      expect(server.requests()).toBe(1);
    } finally {
      await server.close();
    }
  });

  describe.skipIf(!toxiproxyUrl)('the REST endpoint whose Redis is unreachable', () => {
    const toxi = new ToxiproxyClient(toxiproxyUrl ?? 'http://unset');
    const proxy = uniqueName('upstash-http');
    const token = randomUUID();
    let endpoint: UpstashRestServer;

    beforeAll(async () => {
      const listen = await proxyToStackRedis(toxi, proxy);
      endpoint = await startUpstashRestServer({ redisUrl: `redis://${listen}`, token });
    });
    afterAll(async () => {
      await endpoint?.close();
      await toxi.deleteProxy(proxy);
    });

    it('answers 503, which is a CacheUnavailableError, and works again once Redis is back', async () => {
      const runner = new UpstashScriptRunner({ url: endpoint.url, token, retries: 0 });
      await release(runner); // reachable: the script runs
      await toxi.setEnabled(proxy, false);
      try {
        await expect(release(runner)).rejects.toBeInstanceOf(CacheUnavailableError);
      } finally {
        await toxi.setEnabled(proxy, true);
      }
    });
  });
});

// @upstash/redis auto-pipelines calls: a reply error then reads `Command failed: <reply>`, not
// `<reply>, command was: …`. Both must be read as the reply they carry.
describe('UpstashScriptRunner: Redis replies through the real REST endpoint', () => {
  let endpoint: UpstashRestServer;
  beforeAll(async () => {
    endpoint = await startUpstashRestServer({ redisUrl: stackVar('REDIS_URL'), token: 'replies' });
  });
  afterAll(() => endpoint.close());

  it('a script the server does not hold is NOSCRIPT, then EVAL', async () => {
    // Prepare: a script no server has seen (as after a restart or SCRIPT FLUSH).
    const source = `return 'fresh-${randomUUID()}'`;
    const fresh = testScript('fresh', source);
    const runner = new UpstashScriptRunner({ url: endpoint.url, token: 'replies' });

    // Act
    const reply = await runner.run(fresh, [base], []);

    // Assess
    expect(reply).toBe(source.slice(8, -1));
  });

  it("a script's own error is rethrown as it is, not taken for an outage", async () => {
    // Prepare
    const runner = new UpstashScriptRunner({ url: endpoint.url, token: 'replies' });

    const source = `error('deliberate ${randomUUID()}')`;
    const failing = testScript('failing', source);

    // Act: the script fails inside Redis (after NOSCRIPT, through EVAL).
    const error = await runner.run(failing, [base], []).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(CacheUnavailableError);
    expect((error as Error).message).toMatch(/deliberate/);
  });
});
