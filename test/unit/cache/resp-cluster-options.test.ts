// G6: a cluster runner that is given no usable seed nodes fails at construction with a
// ConfigurationError that says what it needs, not at the first batch.
import { describe, expect, it } from 'vitest';
import { RespClusterScriptRunner } from '#shared/cache/resp-cluster.ts';
import { ConfigurationError } from '#shared/errors.ts';

describe('RespClusterScriptRunner options', () => {
  it.each([
    ['no nodes', []],
    ['a URL of another scheme', ['http://127.0.0.1:6379']],
    ['redis:// and rediss:// mixed', ['redis://10.0.0.1:6379', 'rediss://10.0.0.2:6379']],
    ['a node that is not a URL', ['127.0.0.1:6379']],
  ])('refuses %s', (_, nodes) => {
    expect(() => new RespClusterScriptRunner({ nodes })).toThrow(ConfigurationError);
  });

  it('accepts TLS seed nodes with credentials', () => {
    const runner = new RespClusterScriptRunner({ nodes: ['rediss://user:p%40ss@cache.example.com:6379'] });
    expect(runner.kind).toBe('resp-cluster');
  });
});
