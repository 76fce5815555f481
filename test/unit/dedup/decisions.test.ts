// The pure decisions of a batch's path, table by table, with no services: the plan (design §4–§5,
// G1 G2 G4 G6), the outcomes after the handler (§5, G3 G5), the verdict on in-doubt keys (G1, G2;
// decision 0006) and the checkpoint updates (G3).
import { describe, expect, it } from 'vitest';
import { BatchKeys } from '#shared/dedup/batch-keys.ts';
import { ClaimStatus, type ClaimStatus as Status } from '#shared/dedup/exact.ts';
import { resolveDoubts } from '#shared/dedup/in-doubt.ts';
import { batchOutcomes, leasedKeys } from '#shared/dedup/outcomes.ts';
import { planBatch, type RecordFate } from '#shared/dedup/plan.ts';
import { checkpointUpdates } from '#shared/dedup/watermark.ts';
import { createKeyDeriver } from '#shared/keys/index.ts';
import { encodeKafkaEvent, type ParsedBatch, type ParsedRecord, parseMskEvent } from '#shared/msk/index.ts';

const derive = createKeyDeriver({ group: 'orders-v1', sources: [{ type: 'header' }], fallback: 'none' });

/** One partition `orders-0` from offset 10; each entry is a record's key header (null: none). */
function batchOf(keys: readonly (string | null)[], partitions = 1): ParsedBatch {
  const records = [];
  for (let p = 0; p < partitions; p++) {
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      records.push({
        topic: 'orders',
        partition: p,
        offset: 10 + i,
        value: `v${i}`,
        headers: key === null ? [] : [{ name: 'idempotency-key', value: `${key}` }],
      });
    }
  }
  return parseMskEvent(encodeKafkaEvent(records));
}

/** Plans `keys` with `statuses` answered per claim (the slots in first-seen order). */
function plan(
  keys: readonly (string | null)[],
  statuses: readonly Status[],
  overrides: {
    watermark?: number;
    mode?: 'exact' | 'probabilistic';
    degraded?: boolean;
    seen?: string[];
    reject?: boolean;
  } = {},
): string[] {
  const batch = batchOf(keys);
  const batchKeys = new BatchKeys(batch.records, derive);
  if (overrides.degraded)
    batchKeys.markClaimedSeen((k) => (overrides.seen ?? []).includes(keyHeader(k.record)));
  else batchKeys.applyClaim(statuses);
  const fates = planBatch({
    batch,
    watermarks: new Map(overrides.watermark === undefined ? [] : [['orders-0', overrides.watermark]]),
    keys: batchKeys,
    mode: overrides.mode ?? 'exact',
    claimMode: overrides.mode ?? 'exact',
    degraded: overrides.degraded ?? false,
    onMissingKey: overrides.reject ? 'reject' : 'process',
    missingKeyError: () => new Error('missing key'),
  });
  return fates.map(describeFate);
}

function keyHeader(record: ParsedRecord): string {
  return record.headers.find((h) => h.name === 'idempotency-key')?.value?.toString() ?? '';
}

function describeFate(fate: RecordFate): string {
  switch (fate.kind) {
    case 'process':
      return `process${fate.leased ? '+lease' : ''}${fate.probable ? '+probable' : ''}`;
    case 'withheld':
      return `withheld:${fate.tier}`;
    case 'retry':
      return `retry:${fate.reason}`;
    case 'quarantine':
      return `quarantine${fate.leased ? '+lease' : ''}`;
    default:
      return `deferred${fate.leased ? '+lease' : ''}`;
  }
}

const { New: N, Duplicate: D, InProgress: I, Probable: P } = ClaimStatus;

describe('planBatch', () => {
  it.each<[string, (string | null)[], Status[], Parameters<typeof plan>[2], string[]]>([
    ['new keys are leased and processed', ['a', 'b'], [N, N], {}, ['process+lease', 'process+lease']],
    [
      'below the watermark is a redelivery, whatever the cache says',
      ['a', 'b'],
      [N, N],
      { watermark: 11 },
      ['withheld:watermark', 'process+lease'],
    ],
    [
      'the second record of a key in one batch is withheld',
      ['a', 'a', 'b'],
      [N, N],
      {},
      ['process+lease', 'withheld:batch', 'process+lease'],
    ],
    ['COMPLETED in the exact tier is withheld', ['a', 'b'], [D, N], {}, ['withheld:exact', 'process+lease']],
    [
      'IN_PROGRESS elsewhere stops the partition there (G4)',
      ['a', 'b', 'c'],
      [N, I, N],
      {},
      ['process+lease', 'retry:in-progress', 'deferred+lease'],
    ],
    ['a Bloom hit in exact mode is processed and counted (G2)', ['a'], [P], {}, ['process+lease+probable']],
    [
      'a Bloom hit in probabilistic mode is quarantined, not dropped',
      ['a'],
      [P],
      { mode: 'probabilistic' },
      ['quarantine'],
    ],
    [
      'a record without a key is processed under onMissingKey process',
      [null, 'a'],
      [N],
      {},
      ['process', 'process+lease'],
    ],
    [
      'a record without a key stops its partition under reject (G6)',
      [null, 'a'],
      [N],
      { reject: true },
      ['retry:missing-key', 'deferred+lease'],
    ],
    [
      'degraded: a key the local filter saw is processed as probable',
      ['a', 'b'],
      [],
      { degraded: true, seen: ['a'] },
      ['process+probable', 'process'],
    ],
  ])('%s', (_name, keys, statuses, overrides, expected) => {
    expect(plan(keys, statuses, overrides)).toEqual(expected);
  });
});

describe('batchOutcomes', () => {
  const batch = batchOf(['a', 'b', 'c']);
  const keys = new BatchKeys(batch.records, derive);
  keys.applyClaim([N, N, N]);
  const fates = planBatch({
    batch,
    watermarks: new Map(),
    keys,
    mode: 'exact',
    claimMode: 'exact',
    degraded: false,
    onMissingKey: 'process',
    missingKeyError: () => new Error('x'),
  });
  const ids = (list: readonly { record: { offset: number } }[]) => list.map((k) => k.record.offset);

  it.each<[string, Map<string, number>, number[], number[], [string, number][]]>([
    ['all succeeded: every key completes', new Map(), [10, 11, 12], [], []],
    [
      'retried from 11: 10 completes, 11 and 12 are released',
      new Map([['orders-0', 11]]),
      [10],
      [11, 12],
      [['orders-0', 11]],
    ],
    ['retried from 10: nothing completes', new Map([['orders-0', 10]]), [], [10, 11, 12], [['orders-0', 10]]],
  ])('%s', (_name, handlerRetry, completed, released, retry) => {
    const outcome = batchOutcomes(batch, fates, handlerRetry, []);
    expect(ids(outcome.completed)).toEqual(completed);
    expect(ids(outcome.released)).toEqual(released);
    expect([...outcome.retry]).toEqual(retry);
  });

  it("moves the retry to the guard's own held-back record and completes repaired keys", () => {
    const withConflict = new BatchKeys(batch.records, derive);
    withConflict.applyClaim([N, I, N]);
    const planned = planBatch({
      batch,
      watermarks: new Map(),
      keys: withConflict,
      mode: 'exact',
      claimMode: 'exact',
      degraded: false,
      onMissingKey: 'process',
      missingKeyError: () => new Error('x'),
    });
    const repaired = [withConflict.slotKeys[2]!];
    const outcome = batchOutcomes(batch, planned, new Map(), repaired);
    expect(ids(outcome.completed)).toEqual([10, 12]);
    expect(ids(outcome.released)).toEqual([12]);
    expect([...outcome.retry]).toEqual([['orders-0', 11]]);
    expect(ids(leasedKeys(planned))).toEqual([10, 12]);
  });
});

describe('resolveDoubts', () => {
  it.each<[string, string[], Status[], number]>([
    ["the dead owner's checkpoint committed: a duplicate, completed here", ['dead'], [D, N], 1],
    ['it never committed: new, processed here', [], [N, N], 0],
  ])('%s', (_name, committed, statuses, repairedCount) => {
    const batch = batchOf(['a', 'b']);
    const keys = new BatchKeys(batch.records, derive);
    keys.applyClaim([ClaimStatus.InDoubt, N]);
    const repaired = resolveDoubts(
      [{ key: keys.claimKeys[0]!, index: 0, owner: 'dead' }],
      new Set(committed),
      keys,
    );
    expect(keys.statuses).toEqual(statuses);
    expect(repaired).toHaveLength(repairedCount);
  });
});

describe('checkpointUpdates', () => {
  const batch = batchOf(['a', 'b', 'c'], 2); // orders-0 and orders-1, offsets 10..12
  it.each<[string, [string, number][], [string, number][], [string, number][]]>([
    [
      'past the last record of each partition',
      [],
      [],
      [
        ['orders-0', 13],
        ['orders-1', 13],
      ],
    ],
    [
      "to a partition's first retried record",
      [],
      [['orders-0', 11]],
      [
        ['orders-0', 11],
        ['orders-1', 13],
      ],
    ],
    [
      'never at or behind the watermark (G3)',
      [
        ['orders-0', 13],
        ['orders-1', 20],
      ],
      [],
      [],
    ],
    ['not when the retry is the first record (nothing moved)', [], [['orders-0', 10]], [['orders-1', 13]]],
  ])('%s', (_name, watermarks, retry, expected) => {
    const updates = checkpointUpdates(batch, new Map(watermarks), new Map(retry));
    expect(updates.map((u) => [`${u.topic}-${u.partition}`, u.nextOffset])).toEqual(expected);
  });
});
