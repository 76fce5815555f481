// G2 and G6: a quarantined record is kept with its payload and reason, never dropped — not even when
// it is larger than DynamoDB's 400 KB item limit (stored truncated, flagged, sizes recorded) — and is
// listed, read and marked replayed exactly once. Against DynamoDB Local.
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import { ensureTables } from '#local/tables.ts';
import { InvalidQuarantineRecordError } from '#shared/quarantine/errors.ts';
import { parseQuarantineId, quarantineId } from '#shared/quarantine/id.ts';
import { QuarantineStore } from '#shared/quarantine/store.ts';
import { type QuarantineInput, QuarantineReason, QuarantineStatus } from '#shared/quarantine/types.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stackEnv().DYNAMODB_ENDPOINT });
const table = uniqueName('quarantine');

function record(group: string, offset: number, overrides: Partial<QuarantineInput> = {}): QuarantineInput {
  return {
    group,
    topic: 'orders',
    partition: offset % 3,
    offset,
    key: Buffer.from(`order-${offset}`).toString('base64'),
    value: Buffer.from(JSON.stringify({ id: offset })).toString('base64'),
    headers: [
      { name: 'idempotency-key', value: Buffer.from(`k-${offset}`) },
      { name: 'trace', value: null },
      { name: 'idempotency-key', value: Buffer.from('second') },
    ],
    idempotencyKey: `id-${offset}`,
    reason: QuarantineReason.ProbableDuplicate,
    detail: 'bloom hit, exact tier miss',
    ...overrides,
  };
}

beforeAll(async () => {
  await ensureTables(client, { checkpoints: uniqueName('c'), quarantine: table, audit: uniqueName('a') });
});
afterAll(() => client.destroy());

describe('QuarantineStore.put and get', () => {
  it('stores a record with its payload, headers in order, reason and a 14-day TTL', async () => {
    // Prepare
    const store = new QuarantineStore(client, table);
    const input = record(uniqueName('g'), 42);
    const before = Date.now();

    // Act
    const { ids, truncated } = await store.put([input]);
    const stored = await store.get(ids[0]!);

    // Assess
    expect(ids).toEqual([`${input.group}/orders-0@42`]);
    expect(truncated).toEqual([]);
    expect(stored).toMatchObject({
      id: ids[0],
      group: input.group,
      topic: 'orders',
      partition: 0,
      offset: 42,
      key: input.key,
      value: input.value,
      headers: input.headers,
      idempotencyKey: 'id-42',
      reason: 'probable-duplicate',
      detail: 'bloom hit, exact tier miss',
      status: QuarantineStatus.Quarantined,
      truncated: false,
      sizes: { key: 8, value: 9, headers: 15 + 4 + 5 + 15 + 6 },
    });
    const ttlDays = (stored!.expiresAt.getTime() - before) / 86_400_000;
    expect(ttlDays).toBeGreaterThan(13.99);
    expect(ttlDays).toBeLessThan(14.01);
  });

  it('keeps null keys, tombstones and empty values apart', async () => {
    // Prepare
    const store = new QuarantineStore(client, table);
    const group = uniqueName('g');

    // Act
    const { ids } = await store.put([
      record(group, 1, { key: null, value: null, headers: [] }),
      record(group, 2, { key: '', value: '' }),
    ]);
    const [tombstone, empty] = await store.getMany(ids);

    // Assess
    expect(tombstone).toMatchObject({ key: null, value: null, headers: [] });
    expect(empty).toMatchObject({ key: '', value: '' });
  });

  it('writes more than 25 records and reads them back', async () => {
    // Prepare
    const store = new QuarantineStore(client, table);
    const group = uniqueName('g');
    const inputs = Array.from({ length: 60 }, (_, i) => record(group, i));

    // Act
    const { ids } = await store.put(inputs);
    const read = await store.getMany(ids);

    // Assess
    expect(ids).toHaveLength(60);
    expect(read.map((r) => r.offset)).toEqual(inputs.map((r) => r.offset));
  });

  it('stores a record over the 400 KB item limit truncated, flagged, with its sizes (never dropped)', async () => {
    // Prepare
    const store = new QuarantineStore(client, table);
    const big = randomBytes(700 * 1024);
    const input = record(uniqueName('g'), 7, { value: big.toString('base64') });

    // Act
    const { ids, truncated } = await store.put([input]);
    const stored = await store.get(ids[0]!);

    // Assess
    expect(truncated).toEqual(ids);
    expect(stored?.truncated).toBe(true);
    expect(stored?.sizes.value).toBe(big.byteLength);
    expect(stored?.key).toBe(input.key);
    expect(stored?.headers).toEqual(input.headers);
    const kept = Buffer.from(stored!.value!, 'base64');
    expect(kept.byteLength).toBeGreaterThan(390 * 1024);
    expect(kept.equals(big.subarray(0, kept.byteLength))).toBe(true);
  });

  it('refuses a record that is not one, naming it', async () => {
    // Prepare
    const store = new QuarantineStore(client, table);

    // Act
    const notBase64 = store.put([record('g', 1, { value: 'not base64!' })]);
    const negative = store.put([record('g', 1, { offset: -1 })]);

    // Assess
    await expect(notBase64).rejects.toThrow(InvalidQuarantineRecordError);
    await expect(notBase64).rejects.toThrow(/orders-1@1 of group "g": the value must be base64/);
    await expect(negative).rejects.toThrow(/offset must be a whole number/);
  });
});

describe('QuarantineStore.list', () => {
  it('lists a group oldest first through byGroup, filtered by time, status and limit', async () => {
    // Prepare
    const store = new QuarantineStore(client, table);
    const group = uniqueName('g');
    await store.put([record(group, 1), record(group, 2)]);
    await store.put([record(uniqueName('other'), 3)]);
    const since = new Date();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const { ids } = await store.put([record(group, 3), record(group, 4)]);
    await store.markReplayed(ids[1]!, { by: 'test' });

    // Act
    const all = await store.list({ group });
    const recent = await store.list({ group, since });
    const waiting = await store.list({ group, since, status: QuarantineStatus.Quarantined });
    const limited = await store.list({ group, limit: 3 });

    // Assess
    expect(all.map((s) => s.offset)).toEqual([1, 2, 3, 4]);
    expect(all[0]).toMatchObject({
      group,
      topic: 'orders',
      partition: 1,
      reason: 'probable-duplicate',
      idempotencyKey: 'id-1',
    });
    expect(recent.map((s) => [s.offset, s.status])).toEqual([
      [3, 'QUARANTINED'],
      [4, 'REPLAYED'],
    ]);
    expect(waiting.map((s) => s.id)).toEqual([ids[0]]);
    expect(limited).toHaveLength(3);
  });
});

describe('QuarantineStore.markReplayed', () => {
  it('marks a record replayed once, recording who and where', async () => {
    // Prepare
    const store = new QuarantineStore(client, table);
    const { ids } = await store.put([record(uniqueName('g'), 9)]);

    // Act
    const first = await store.markReplayed(ids[0]!, { by: 'alice', to: 'orders-0@100' });
    const second = await store.markReplayed(ids[0]!, { by: 'bob', to: 'orders-0@101' });
    const stored = await store.get(ids[0]!);

    // Assess
    expect([first, second]).toEqual([true, false]);
    expect(stored).toMatchObject({ status: 'REPLAYED', replayedBy: 'alice', replayedTo: 'orders-0@100' });
  });

  it('answers false for a record that does not exist', async () => {
    // Prepare
    const store = new QuarantineStore(client, table);

    // Act
    const marked = await store.markReplayed(`${uniqueName('g')}/orders-0@1`, { by: 'alice' });

    // Assess
    expect(marked).toBe(false);
  });
});

describe('quarantine ids', () => {
  it.each([
    { group: 'orders-svc', topic: 'orders', partition: 3, offset: 1234 },
    { group: 'a/b@c-1#x', topic: 'my.topic-v2', partition: 0, offset: 0 },
  ])('round-trips $group', (c) => {
    // Act
    const parsed = parseQuarantineId(quarantineId(c));

    // Assess
    expect(parsed).toEqual(c);
  });

  it('refuses a string that is not an id, with the expected form', () => {
    // Assess
    expect(() => parseQuarantineId('orders-3@12')).toThrow(/expected <group>\/<topic>-<partition>@<offset>/);
  });
});
