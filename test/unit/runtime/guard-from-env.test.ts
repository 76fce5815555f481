import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '#shared/errors.ts';
import { resolveOptions } from '#shared/middleware/options.ts';
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

  it('lets a bad value fail at factory time with a ConfigurationError naming the option', () => {
    const options = guardOptionsFromEnv({ cache }, { ...base, [FUNCTION_ENV.CACHE_SHARDS]: 'eight' });

    expect(() => resolveOptions(options)).toThrow(ConfigurationError);
    expect(() => resolveOptions(options)).toThrow(/cacheShards/);
  });
});
