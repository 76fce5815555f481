// Guarantee: no credentials in logs or error messages. A Redis URL the runners refuse is named in
// their ConfigurationError, which the Lambda logs: the user and password must never be in it, however
// the password is spelled (a raw `/` or `@` a user forgot to percent-encode included).
import { describe, expect, it } from 'vitest';
import { RespScriptRunner, redactUrl } from '#shared/cache/resp.ts';
import { RespClusterScriptRunner } from '#shared/cache/resp-cluster.ts';
import { UpstashScriptRunner } from '#shared/cache/upstash.ts';

const SECRET = 'S3cr3t';

function messageOf(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    return `${(error as Error).message} ${JSON.stringify(error)}`;
  }
  throw new Error('expected the options to be refused');
}

describe('redactUrl and the messages of refused cache URLs', () => {
  it.each([
    ['a raw "/" in the password', `redis://user:ab/${SECRET}@cache.example.com:6379`],
    ['a raw "@" in the password', `redis://user:ab@${SECRET}@cache.example.com:6379`],
    ['a raw "/" and "@"', `rediss://user:a/b@${SECRET}@cache.example.com:6379`],
    ['a password in the query', `redis://cache.example.com:6379/?password=${SECRET}`],
    ['no scheme', `user:${SECRET}@cache.example.com:6379`],
  ])('hides the password with %s', (_, url) => {
    expect(redactUrl(url)).not.toContain(SECRET);
    expect(redactUrl(url)).toContain('cache.example.com');
  });

  it('keeps a URL without credentials as it is', () => {
    expect(redactUrl('rediss://cache.example.com:6379')).toBe('rediss://cache.example.com:6379');
  });

  it('never quotes the password of a URL RespScriptRunner refuses', () => {
    const message = messageOf(
      () => new RespScriptRunner({ url: `redis://user:ab/${SECRET}@cache.example.com:6379` }),
    );
    expect(message).toContain('is not a redis://host:port');
    expect(message).not.toContain(SECRET);
  });

  it('never quotes the password of mixed cluster seed nodes', () => {
    const message = messageOf(
      () =>
        new RespClusterScriptRunner({
          nodes: [`redis://user:ab@${SECRET}@10.0.0.1:6379`, 'rediss://10.0.0.2:6379'],
        }),
    );
    expect(message).toContain('redis:// or all rediss://');
    expect(message).not.toContain(SECRET);
  });

  it('never quotes credentials of an Upstash URL that is not https', () => {
    const message = messageOf(
      () => new UpstashScriptRunner({ url: `redis://default:ab@${SECRET}@x.upstash.io:6379`, token: 't' }),
    );
    expect(message).not.toContain(SECRET);
  });
});
