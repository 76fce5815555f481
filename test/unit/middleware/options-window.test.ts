// G6 (a bad configuration is a ConfigurationError at cold start, not a failure of every batch): the
// dedup window must hold the longest lease, Lambda's 15 minutes plus the lease margin, since the
// claim refuses a lease longer than the window.
import { describe, expect, it } from 'vitest';
import { RespScriptRunner } from '#shared/cache/resp.ts';
import { ConfigurationError } from '#shared/errors.ts';
import { resolveOptions } from '#shared/middleware/options.ts';

// Not connected: the runner opens its connection at its first script call.
const cache = new RespScriptRunner({ url: 'redis://127.0.0.1:1' });

describe('dedupWindowMs against the longest lease', () => {
  it.each([
    [900_000, undefined, 905_000],
    [910_000, 30_000, 930_000],
  ])('refuses a window of %i ms with leaseMarginMs %s, naming the minimum %i', (dedupWindowMs, leaseMarginMs, minimum) => {
    // Act
    const act = () =>
      resolveOptions({
        consumerGroup: 'g',
        cache,
        dedupWindowMs,
        ...(leaseMarginMs ? { leaseMarginMs } : {}),
      });

    // Assess
    expect(act).toThrow(ConfigurationError);
    expect(act).toThrow(`dedupWindowMs must be a whole number >= ${minimum}`);
  });

  it.each([
    [905_000, undefined],
    [900_000, 0],
  ])('accepts a window of %i ms with leaseMarginMs %s: a 15-minute function never outleases it', (dedupWindowMs, leaseMarginMs) => {
    // Act
    const resolved = resolveOptions({
      consumerGroup: 'g',
      cache,
      dedupWindowMs,
      ...(leaseMarginMs === undefined ? {} : { leaseMarginMs }),
    });

    // Assess
    expect(resolved.dedupWindowMs).toBe(dedupWindowMs);
  });
});
