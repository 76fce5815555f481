// The dedup benchmark's rows for issue 16 against the real stack, at a size CI can afford: the
// steady-state fill puts a window of keys at --rate in the previous bucket and half of that in the
// current one (on one node and over the cluster's 3 shards), the rows carry bucket sizes, bytes per
// key and the KB a batch sends, and the run leaves no key of its own behind.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '#bench/dedup.ts';
import type { BenchContext } from '#bench/main.ts';

describe('dedup bench --steady-state', () => {
  const redis = new Redis(process.env.REDIS_URL ?? '', { lazyConnect: true });

  afterAll(() => {
    redis.disconnect();
  });

  async function benchKeys(): Promise<Set<string>> {
    if (redis.status === 'wait') await redis.connect();
    const found = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', '*bench-dedup-*', 'COUNT', 10_000);
      cursor = next;
      for (const key of keys) found.add(key);
    } while (cursor !== '0');
    return found;
  }

  it('fills both buckets, reports bytes per key, Redis time and KB per batch, and cleans up', async () => {
    // Prepare: 5 keys/s over the 1 h window: 18,000 keys in the previous bucket, 9,000 in the current.
    const before = await benchKeys();
    const lines: string[] = [];
    const ctx: BenchContext = {
      warmup: 0,
      repetitions: 1,
      log: (line) => lines.push(line),
      options: {
        'steady-state': true,
        rate: '5',
        sizes: '200',
        impls: 'mskguard-resp,mskguard-resp+bloom,mskguard-upstash,mskguard-cluster-shards3',
      },
    };

    // Act
    const tables = await run(ctx);

    // Assess
    expect(tables).toHaveLength(1);
    const [table] = tables;
    expect(table!.title).toContain('steady state at 5 keys/s');
    const rows = table!.rows;
    expect(rows.map((r) => [r.impl, r.previousBucket, r.currentBucket, r.roundTrips])).toEqual([
      ['mskguard-resp', 18_000, 9_000, 2],
      ['mskguard-resp+bloom', 18_000, 9_000, 2],
      ['mskguard-upstash', 18_000, 9_000, 2],
      ['mskguard-cluster-shards3', 18_000, 9_000, 6],
    ]);
    for (const row of rows) {
      // used_memory over the keys filled: a broken delta (nothing, or another run's memory) is far off.
      expect(row.bytesPerKey as number).toBeGreaterThan(40);
      expect(row.bytesPerKey as number).toBeLessThan(200);
      expect(row.redisMs as number).toBeGreaterThan(0);
      // What the node held before the fill, from INFO (a number: the column is never left empty).
      expect(typeof row.otherMB).toBe('number');
      expect(row.otherMB as number).toBeGreaterThanOrEqual(0);
      // 200 ids of 22 characters at least, in the claim.
      expect(row.requestKB as number).toBeGreaterThan((200 * 22) / 1024);
      expect(row.replyKB as number).toBeGreaterThan(0);
    }
    const sent = Object.fromEntries(rows.map((r) => [r.impl, r.requestKB as number]));
    // The Bloom tier's blocks and masks travel in the claim and the complete as well.
    expect(sent['mskguard-resp+bloom']).toBeGreaterThan(sent['mskguard-resp']!);
    expect(sent['mskguard-upstash']).toBe(sent['mskguard-resp']);
    expect(lines).toContain('dedup: 200 records, mskguard over RESP, steady state (filling)');
    const left = [...(await benchKeys())].filter((key) => !before.has(key));
    expect(left).toEqual([]);
  });
});
