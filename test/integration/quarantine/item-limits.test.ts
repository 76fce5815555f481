// G6: a record the policy quarantines is stored whatever the caller's text attributes hold. A long
// reason or idempotency key is cut (and says so) instead of pushing the item over DynamoDB's 400 KB
// limit, a ValidationException no retry gets past; a group too long for DynamoDB's 2048-byte
// partition key is refused with a typed error before any call. Against DynamoDB Local.
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import { ensureTables } from '#local/tables.ts';
import { InvalidQuarantineRecordError } from '#shared/quarantine/errors.ts';
import { QuarantineStore } from '#shared/quarantine/store.ts';
import type { QuarantineInput } from '#shared/quarantine/types.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: stackEnv().DYNAMODB_ENDPOINT });
const table = uniqueName('quarantine-limits');

beforeAll(async () => {
  await ensureTables(client, { checkpoints: uniqueName('c'), quarantine: table, audit: uniqueName('a') });
});
afterAll(() => client.destroy());

const record = (group: string, overrides: Partial<QuarantineInput> = {}): QuarantineInput => ({
  group,
  topic: 'orders',
  partition: 0,
  offset: 11,
  key: Buffer.from('k').toString('base64'),
  value: Buffer.from('v').toString('base64'),
  headers: [],
  idempotencyKey: 'id-11',
  reason: 'probable-duplicate',
  ...overrides,
});

describe('QuarantineStore.put of records with long text attributes', () => {
  it('stores a record whose reason alone is over 400 KB, the reason cut and marked', async () => {
    // Prepare
    const store = new QuarantineStore(client, table);
    const reason = `policy said no: ${'x'.repeat(500 * 1024)}`;

    // Act
    const { ids, truncated } = await store.put([record(uniqueName('g'), { reason })]);
    const stored = await store.get(ids[0]!);

    // Assess
    expect(truncated).toEqual([]);
    expect(stored?.truncated).toBe(false);
    expect(stored?.value).toBe(Buffer.from('v').toString('base64'));
    expect(stored?.reason.startsWith('policy said no: xxx')).toBe(true);
    expect(stored?.reason).toMatch(/\[cut from 512016 bytes\]$/);
    expect(Buffer.byteLength(stored!.reason)).toBeLessThanOrEqual(256);
  });

  it('stores a near-limit payload next to a long group, reason and idempotency key', async () => {
    // Prepare
    const store = new QuarantineStore(client, table);
    const group = `${uniqueName('g')}-${'é'.repeat(950)}`;
    const value = randomBytes(395 * 1024);
    const input = record(group, {
      value: value.toString('base64'),
      reason: 'r'.repeat(200 * 1024),
      idempotencyKey: '€'.repeat(100 * 1024),
      detail: 'd'.repeat(5000),
    });

    // Act
    const { ids, truncated } = await store.put([input]);
    const stored = await store.get(ids[0]!);

    // Assess
    expect(truncated).toEqual(ids);
    expect(stored).toMatchObject({ group, truncated: true, sizes: { value: value.byteLength } });
    expect(stored?.idempotencyKey).toMatch(/^€+\.\.\. \[cut from 307200 bytes\]$/);
    expect(Buffer.byteLength(stored!.idempotencyKey)).toBeLessThanOrEqual(1024);
    const kept = Buffer.from(stored!.value!, 'base64');
    expect(kept.byteLength).toBeGreaterThan(380 * 1024);
    expect(kept.equals(value.subarray(0, kept.byteLength))).toBe(true);
  });

  it('refuses a group too long for the 2048-byte partition key, typed, before any write', async () => {
    // Prepare
    const store = new QuarantineStore(client, table);
    const group = 'g'.repeat(2040);

    // Act
    const error = await store.put([record(group)]).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InvalidQuarantineRecordError);
    expect((error as Error).message).toMatch(/2049-byte partition key, over DynamoDB's 2048-byte limit/);
    expect((error as Error).message.length).toBeLessThan(400);
  });
});
