// G6 for the cache's refusals: credentials or ACL permissions the cache refuses are a
// ConfigurationError naming what to check (no 'degrade' hides them, no retry mends them), never a
// raw reply error or an outage; a Redis out of memory is an outage the policy decides. Real
// redis-server and the local Upstash REST endpoint; an ACL user of this suite's own.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scripts } from '#lua/scripts.generated.ts';
import { RespScriptRunner } from '#shared/cache/resp.ts';
import { classifyReply } from '#shared/cache/script-runner.ts';
import { UpstashScriptRunner } from '#shared/cache/upstash.ts';
import { CacheUnavailableError, ConfigurationError } from '#shared/errors.ts';
import { stackVar } from '#test/support/stack.ts';

const REDIS_URL = stackVar('REDIS_URL');
const base = `mskguard:{refused-${randomUUID()}}`;
// The release script: small, and harmless on keys that do not exist.
const run = (runner: { run: RespScriptRunner['run'] }) =>
  runner.run(scripts.release, [base], ['owner', '1', '3600000', '22', '']);

describe('replies the cache refuses with', () => {
  const admin = new Redis(REDIS_URL);
  const user = `mskguard-test-${randomUUID()}`;
  beforeAll(async () => {
    // May connect and ping, nothing else: every script is NOPERM.
    await admin.call('ACL', 'SETUSER', user, 'on', '>pw', '~*', '-@all', '+ping', '+auth', '+hello');
  });
  afterAll(async () => {
    await admin.call('ACL', 'DELUSER', user);
    admin.disconnect();
  });

  it.each([
    [
      'a wrong password (WRONGPASS)',
      () => `redis://nosuchuser:wrong@${new URL(REDIS_URL).host}`,
      /WRONGPASS/,
    ],
    [
      'a user without the permission to run scripts (NOPERM)',
      () => `redis://${user}:pw@${new URL(REDIS_URL).host}`,
      /NOPERM/,
    ],
  ])('RESP: %s is a ConfigurationError naming the secret and the ACL', async (_name, url, reply) => {
    const runner = new RespScriptRunner({ url: url() });
    try {
      const failure = run(runner);
      await expect(failure).rejects.toBeInstanceOf(ConfigurationError);
      await expect(failure).rejects.toThrow(reply);
      await expect(failure).rejects.toThrow(/secret .*ACL/s);
    } finally {
      await runner.close();
    }
  });

  it('Upstash REST: a refused token is a ConfigurationError without the command it quotes', async () => {
    const runner = new UpstashScriptRunner({
      url: stackVar('UPSTASH_REDIS_REST_URL'),
      token: 'not-the-token',
      retries: 0,
    });
    const failure = run(runner);
    await expect(failure).rejects.toBeInstanceOf(ConfigurationError);
    await expect(failure).rejects.toThrow(
      /^The Upstash REST endpoint refused the credentials or their permissions \(Unauthorized\)/,
    );
    await expect(failure).rejects.not.toThrow(/command was/);
  });

  it('takes an OOM reply as an outage and the other replies as none of these', () => {
    const oom = classifyReply("OOM command not allowed when used memory > 'maxmemory'.", 'Redis');
    expect(oom).toBeInstanceOf(CacheUnavailableError);
    expect(oom?.message).toMatch(/out of memory .*docs\/capacity\.md/s);
    expect(
      classifyReply('ERR user_script:1: Script attempted to access nonexistent global variable', 'Redis'),
    ).toBeUndefined();
  });
});
