// G6: a cache runner whose client package is not installed fails with a ConfigurationError that
// names the package to install, not with Node's module-resolution error.
import { describe, expect, it } from 'vitest';
import { importOptionalPeer } from '#shared/cache/optional-peer.ts';
import { ConfigurationError } from '#shared/errors.ts';

describe('importOptionalPeer', () => {
  it('names the package to install when it is missing', async () => {
    const missing = 'mskguard-no-such-client';
    const load = () => import(missing);
    const error = await importOptionalPeer(missing, 'RespScriptRunner', load).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(`npm install ${missing}`);
    expect((error as Error).message).toContain('RespScriptRunner');
  });

  it('returns the module when it is installed', async () => {
    const module = await importOptionalPeer('ioredis', 'RespScriptRunner', () => import('ioredis'));
    expect(typeof module.Redis).toBe('function');
  });

  it('rethrows other failures as they are', async () => {
    const boom = new Error('a bug in the module');
    await expect(importOptionalPeer('ioredis', 'RespScriptRunner', () => Promise.reject(boom))).rejects.toBe(
      boom,
    );
  });
});
