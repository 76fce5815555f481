// Issue #3 item 7: what the guard reports per invocation, as EMF metrics (Powertools Metrics) and
// a JSON log line (Powertools Logger), on the real Redis and DynamoDB Local. The CDK alarms read
// these names (decision 0003): a metric that is not emitted leaves an alarm silent.

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RespScriptRunner } from '#shared/cache/resp.ts';
import type { MskGuardOptions } from '#shared/middleware/options.ts';
import { QuarantineStore } from '#shared/quarantine/store.ts';
import { useCheckpointStore } from '#test/support/checkpoint-fixture.ts';
import { guardedConsumer, orders } from '#test/support/guarded.ts';
import { TEST_CACHE_SHARDS } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

interface Emf {
  readonly _aws: {
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
  };
  readonly [key: string]: unknown;
}

/** Runs `act` and returns the EMF documents and JSON log lines it wrote to stdout and stderr. */
async function captured(
  act: () => Promise<unknown>,
): Promise<{ emf: Emf[]; logs: Record<string, unknown>[] }> {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  };
  // EMF and info logs go to stdout; warnings and errors to stderr.
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  try {
    await act();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  const json = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    emf: json.filter((d): d is Emf => '_aws' in d),
    logs: json.filter((d) => !('_aws' in d)),
  };
}

/** The value of metric `name` across the documents (with `dimension` when given), summed. */
function metric(emf: readonly Emf[], name: string, dimension?: Record<string, string>): number | undefined {
  let total: number | undefined;
  for (const doc of emf) {
    if (!doc._aws.CloudWatchMetrics.some((m) => m.Metrics.some((x) => x.Name === name))) continue;
    if (dimension && !Object.entries(dimension).every(([k, v]) => doc[k] === v)) continue;
    const value = doc[name];
    const values = Array.isArray(value) ? (value as number[]) : [value as number];
    total = (total ?? 0) + values.reduce((a, b) => a + b, 0);
  }
  return total;
}

describe('telemetry of the guard', () => {
  const { store, runner, ddb, tables } = useCheckpointStore();
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });
  const consumer = (extra: Partial<MskGuardOptions> = {}) => {
    // vitest.config.ts silences logs and disables metrics for every other suite; not here.
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
    const group = uniqueName('grp');
    return {
      group,
      ...guardedConsumer({
        consumerGroup: group,
        cache: runner,
        cacheShards: TEST_CACHE_SHARDS,
        metrics: new Metrics({ namespace: 'MskGuard', serviceName: 'mskguard' }),
        logger: new Logger({ serviceName: 'mskguard', logLevel: 'INFO' }),
        ...extra,
      }),
    };
  };

  it('reports records in, duplicates withheld by tier, latency and checkpoints written, once per invocation', async () => {
    // Prepare: a first delivery, then its redelivery with new records, an in-batch and a producer duplicate.
    const c = consumer({ checkpoints: store });
    await captured(() => c.invoke(orders('orders', 0, 0, ['a', 'b', 'c'])));

    // Act
    const { emf, logs } = await captured(() =>
      c.invoke([...orders('orders', 0, 0, ['a', 'b', 'c']), ...orders('orders', 0, 3, ['d', 'd', 'a'])]),
    );

    // Assess
    expect(c.effects).toEqual(['a', 'b', 'c', 'd']);
    expect(metric(emf, 'RecordsIn')).toBe(6);
    expect(metric(emf, 'DuplicateWithheld', { tier: 'watermark' })).toBe(3);
    expect(metric(emf, 'DuplicateWithheld', { tier: 'batch' })).toBe(1);
    expect(metric(emf, 'DuplicateWithheld', { tier: 'exact' })).toBe(1);
    expect(metric(emf, 'CheckpointWritten')).toBe(1);
    expect(metric(emf, 'DedupLatency')).toBeGreaterThan(0);
    expect(metric(emf, 'CacheError')).toBeUndefined();
    for (const doc of emf) {
      expect(doc._aws.CloudWatchMetrics[0]?.Namespace).toBe('MskGuard');
      expect(doc.consumerGroup).toBe(c.group);
    }
    const settled = logs.find((l) => l.message === 'batch settled');
    expect(settled).toMatchObject({
      level: 'INFO',
      group: c.group,
      records: 6,
      processed: 1,
      withheld: { watermark: 3, batch: 1, exact: 1 },
      checkpoints: ['orders-0:6'],
    });
  });

  it('counts and logs the offsets a partition moved past without delivering them (decision 0018)', async () => {
    // Prepare
    const c = consumer({ checkpoints: store });
    await captured(() => c.invoke(orders('orders', 3, 0, ['a', 'b'])));

    // Act: offsets 2-4 never come (Lambda gave up on them).
    const { emf, logs } = await captured(() => c.invoke(orders('orders', 3, 5, ['f'])));

    // Assess
    expect(metric(emf, 'SkippedOffsets')).toBe(3);
    const warning = logs.find(
      (l) => l.level === 'WARN' && String(l.message).includes('no handler processed'),
    );
    expect(warning).toMatchObject({ group: c.group, skipped: ['orders-3:2-4'] });
  });

  it("names the records rejected for a missing key and the sources tried (onMissingKey: 'reject')", async () => {
    // Prepare: the second record has no idempotency-key header.
    const c = consumer({ onMissingKey: 'reject' });
    const [first, second] = orders('orders', 5, 0, ['a', 'b']);

    // Act
    const { logs } = await captured(() => c.invoke([first!, { ...second!, headers: [] }]));

    // Assess
    const error = logs.find(
      (l) => l.level === 'ERROR' && String(l.message).includes('without an idempotency key'),
    );
    expect(error).toMatchObject({ rejected: 1, records: [expect.stringContaining('orders-5@1')] });
    expect(String((error?.records as string[])[0])).toContain('idempotency-key');
  });

  it('retries only the partition of a record whose key function throws, and names the record and the error', async () => {
    // Prepare: the key function fails on orders-6@1 alone.
    const c = consumer({
      checkpoints: store,
      keySources: [
        {
          type: 'function',
          fn: (record) => {
            if (record.coordinate === 'orders-6@1') throw new Error('no order id in this value');
            return record.lastHeader('idempotency-key')?.toString();
          },
        },
      ],
    });

    // Act
    let response: unknown;
    const { logs } = await captured(async () => {
      response = await c.invoke([
        ...orders('orders', 6, 0, ['a', 'b', 'c']),
        ...orders('orders', 7, 0, ['d']),
      ]);
    });

    // Assess: orders-7 and the record before the failure were processed; orders-6 waits from 1.
    expect(c.effects).toEqual(['a', 'd']);
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'orders-6', offset: 1 } }],
    });
    const error = logs.find((l) => l.level === 'ERROR' && String(l.message).includes('key function'));
    expect(error).toMatchObject({
      rejected: 1,
      records: [expect.stringMatching(/orders-6@1.*it threw Error/)],
    });
    // What the function threw may quote the payload: its name is logged, not its message.
    expect(JSON.stringify(error)).not.toContain('no order id in this value');
  });

  it('warns when a quarantined record was stored truncated (over the 400 KB item limit)', async () => {
    // Prepare: 'a' completed here, so the local filter remembers it (probabilistic mode).
    const c = consumer({ mode: 'probabilistic', quarantine: new QuarantineStore(ddb, tables.quarantine) });
    await captured(() => c.invoke(orders('orders', 4, 0, ['a'])));
    const [again] = orders('orders', 4, 1, ['a']);

    // Act: 'a' again, with a 500 KB value: quarantined, and too large to store whole.
    const { logs } = await captured(() => c.invoke([{ ...again!, value: 'x'.repeat(500_000) }]));

    // Assess
    const warning = logs.find((l) => l.level === 'WARN' && String(l.message).includes('stored truncated'));
    expect(warning).toMatchObject({ group: c.group, truncated: [expect.stringContaining('orders-4@1')] });
  });

  it('counts no checkpoint written when the guard has no checkpoint store', async () => {
    const c = consumer();
    const { emf, logs } = await captured(() => c.invoke(orders('orders', 1, 0, ['a', 'b'])));
    expect(metric(emf, 'RecordsIn')).toBe(2);
    expect(metric(emf, 'CheckpointWritten')).toBeUndefined();
    expect(logs.find((l) => l.message === 'batch settled')).toMatchObject({ checkpoints: [] });
  });

  it("reports a degraded invocation and the cache error when Redis is unreachable under 'degrade'", async () => {
    const c = consumer({
      cache: new RespScriptRunner({ url: 'redis://127.0.0.1:1', timeoutMs: 300 }),
      onCacheUnavailable: 'degrade',
    });
    const { emf, logs } = await captured(() => c.invoke(orders('orders', 2, 0, ['a'])));
    expect(c.effects).toEqual(['a']);
    expect(metric(emf, 'DegradedInvocation')).toBe(1);
    expect(metric(emf, 'CacheError')).toBeGreaterThanOrEqual(1);
    expect(logs.some((l) => l.level === 'WARN' && String(l.message).includes('cache unreachable'))).toBe(
      true,
    );
  });
});
