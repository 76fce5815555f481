// G6 without leaks: a malformed cache URL is a ConfigurationError at construction that names what
// is wrong, never the password it carries: messages and errors end up in CloudWatch logs.
// (A valid URL with credentials is never put into a message: see refused-replies.test.ts.)
import { describe, expect, it } from 'vitest';
import { RespScriptRunner } from '#shared/cache/resp.ts';
import { RespClusterScriptRunner } from '#shared/cache/resp-cluster.ts';
import { isNoScript, type LuaScript } from '#shared/cache/script-runner.ts';
import { UpstashScriptRunner } from '#shared/cache/upstash.ts';
import { ConfigurationError } from '#shared/errors.ts';

const SECRET = 's3cret-Pa55';
const script: LuaScript = { name: 'noop', numberOfKeys: 1, sha1: '0'.repeat(40), source: 'return 1' };
const malformed = [
  ['a port that is not a number', `redis://user:${SECRET}@cache.example:abc`],
  ['a space in the host', `redis://:${SECRET}@cache example:6379`],
  ['a scheme that is not redis', `http://user:${SECRET}@cache.example:6379`],
  ['no scheme at all', `user:${SECRET}@cache.example:6379`],
] as const;

/** The failure, as everything a logger could print of it (message, own fields, causes). */
async function failure(action: () => unknown): Promise<{ error: unknown; printed: string }> {
  try {
    await action();
  } catch (error) {
    const parts: string[] = [];
    for (let e: unknown = error; e instanceof Error; e = e.cause) {
      parts.push(String(e), e.stack ?? '', JSON.stringify(e));
    }
    return { error, printed: parts.join('\n') };
  }
  throw new Error('expected a failure');
}

describe('cache URLs that carry a password', () => {
  it.each(
    malformed,
  )('RespScriptRunner: %s is a ConfigurationError without the password', async (_what, url) => {
    const { error, printed } = await failure(async () => {
      const runner = new RespScriptRunner({ url, timeoutMs: 200 });
      try {
        await runner.run(script, ['k'], []);
      } finally {
        await runner.close().catch(() => {});
      }
    });
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(printed).not.toContain(SECRET);
  });

  it.each(
    malformed,
  )('RespClusterScriptRunner: %s is a ConfigurationError without the password', async (_what, url) => {
    const { error, printed } = await failure(() => new RespClusterScriptRunner({ nodes: [url] }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(printed).not.toContain(SECRET);
  });

  it('RespClusterScriptRunner: nodes of mixed schemes are refused without their passwords', async () => {
    const nodes = [`redis://u:${SECRET}@a.example:6379`, `rediss://u:${SECRET}@b.example:6379`];
    const { error, printed } = await failure(() => new RespClusterScriptRunner({ nodes }));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(printed).not.toContain(SECRET);
  });
});

describe('the Upstash REST URL', () => {
  it.each([
    ['no scheme', 'my-db.upstash.io'],
    ['a redis scheme', `rediss://default:${SECRET}@my-db.upstash.io:6379`],
    ['not a URL', 'https://'],
  ])('%s is a ConfigurationError when the runner is built, without a password', async (_what, url) => {
    // Act
    const { error, printed } = await failure(() => new UpstashScriptRunner({ url, token: 't' }));

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(/^UpstashScriptRunner: url must be the database's REST URL/);
    expect(printed).not.toContain(SECRET);
  });
});

describe('isNoScript', () => {
  it('reads the reply, not the command an Upstash error quotes', () => {
    // Prepare
    const quoted = new Error(
      'ERR wrong number of arguments, command was: ["evalsha","x","1","mskguard:{NOSCRIPT-a}"]',
    );

    // Act, Assess
    expect(isNoScript(quoted)).toBe(false);
    expect(isNoScript(new Error('NOSCRIPT No matching script. Please use EVAL.'))).toBe(true);
  });
});
