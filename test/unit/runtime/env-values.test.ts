// G6 for configuration: a malformed value in the function's environment is a ConfigurationError at
// cold start that names the variable, never a silent fallback to another mode, policy or transport
// (a typo in MSKGUARD_ON_CACHE_UNAVAILABLE must not turn 'degrade' into 'fail', nor MSKGUARD_MODE
// 'probabilistic' into 'exact', nor MSKGUARD_REDIS_TLS 'no' into TLS).
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '#shared/errors.ts';
import { cacheFromEnv } from '#shared/runtime/cache-from-env.ts';
import { FUNCTION_ENV } from '#shared/runtime/function-env.ts';
import { guardOptionsFromEnv } from '#shared/runtime/guard-from-env.ts';

const cache = { kind: 'none', run: async () => undefined, close: async () => {} };
const base = { [FUNCTION_ENV.CONSUMER_GROUP]: 'orders' };
const elasticache = {
  [FUNCTION_ENV.CACHE_BACKEND]: 'elasticache',
  [FUNCTION_ENV.REDIS_HOST]: 'cache.example',
};

describe('guardOptionsFromEnv: malformed values', () => {
  it.each([
    [FUNCTION_ENV.MODE, 'Probabilistic'],
    [FUNCTION_ENV.MODE, 'probablistic'],
    [FUNCTION_ENV.ON_CACHE_UNAVAILABLE, 'Degrade'],
    [FUNCTION_ENV.ON_CACHE_UNAVAILABLE, 'degrade '],
  ])('%s=%j is a ConfigurationError naming the variable', (name, value) => {
    const build = () => guardOptionsFromEnv({ cache }, { ...base, [name]: value });
    expect(build).toThrow(ConfigurationError);
    expect(build).toThrow(name);
  });

  it('takes the valid values', () => {
    const options = guardOptionsFromEnv(
      { cache },
      { ...base, [FUNCTION_ENV.MODE]: 'exact', [FUNCTION_ENV.ON_CACHE_UNAVAILABLE]: 'degrade' },
    );
    expect(options).toMatchObject({ mode: 'exact', onCacheUnavailable: 'degrade' });
  });
});

describe('cacheFromEnv: malformed ElastiCache values', () => {
  it.each([
    [FUNCTION_ENV.REDIS_TLS, 'no'],
    [FUNCTION_ENV.REDIS_TLS, 'False'],
    [FUNCTION_ENV.REDIS_PORT, 'abc'],
    [FUNCTION_ENV.REDIS_PORT, '70000'],
    [FUNCTION_ENV.REDIS_HOST, 'rediss://cache.example'],
    [FUNCTION_ENV.REDIS_HOST, 'cache.example:6379'],
  ])('%s=%j is a ConfigurationError naming the variable', (name, value) => {
    const build = () => cacheFromEnv({ ...elasticache, [name]: value });
    expect(build).toThrow(ConfigurationError);
    expect(build).toThrow(name);
  });

  it('takes a host, a port and TLS true or false', () => {
    for (const tls of ['true', 'false', undefined]) {
      const env = { ...elasticache, [FUNCTION_ENV.REDIS_PORT]: '6380', [FUNCTION_ENV.REDIS_TLS]: tls };
      expect(typeof cacheFromEnv(env)).toBe('function');
    }
  });
});
