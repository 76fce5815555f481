// G2: a quarantined record is not lost — `mskguard quarantine replay --execute` re-produces it to its
// original topic-partition (same key, value, headers, plus mskguard-replay) exactly once, and a dry
// run produces nothing. Against DynamoDB Local and the real Kafka broker.
import { randomBytes } from 'node:crypto';
import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { type IHeaders, Kafka, type KafkaMessage, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LOCAL_AWS } from '#local/services.ts';
import { ensureTables } from '#local/tables.ts';
import { runCli } from '#shared/cli/command.ts';
import { createQuarantineCommands } from '#shared/cli/commands/quarantine.ts';
import { QuarantineStore } from '#shared/quarantine/store.ts';
import type { QuarantineInput } from '#shared/quarantine/types.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const env = stackEnv();
const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint: env.DYNAMODB_ENDPOINT });
const kafka = new Kafka({ brokers: [env.KAFKA_BROKERS], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const table = uniqueName('quarantine');
const topic = uniqueName('replay');
const group = uniqueName('orders-svc');
const store = new QuarantineStore(client, table);

/** The table's client as the CLI gets it: DynamoDB Local, or a fault put in front of it. */
let send: (command: unknown) => Promise<unknown> = (command) => client.send(command as never);

/** Runs the CLI in-process against the local stack; returns exit code and output lines. */
async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const commands = createQuarantineCommands({
    // The CLI destroys its client after each command: hand it a wrapper, keep ours.
    dynamodb: () => ({ send: (command) => send(command) as never }),
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  // runCli itself prints usage and typed errors to the process streams.
  const spies = (['stdout', 'stderr'] as const).map((name) =>
    vi.spyOn(process[name], 'write').mockImplementation((chunk) => {
      (name === 'stdout' ? out : err).push(String(chunk).trimEnd());
      return true;
    }),
  );
  const code = await runCli(commands, argv).finally(() => {
    for (const spy of spies) spy.mockRestore();
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function input(partition: number, offset: number, overrides: Partial<QuarantineInput> = {}): QuarantineInput {
  return {
    group,
    topic,
    partition,
    offset,
    key: Buffer.from(`key-${offset}`).toString('base64'),
    value: Buffer.from(`value-${offset}`).toString('base64'),
    headers: [
      { name: 'idempotency-key', value: Buffer.from(`order-${offset}`) },
      { name: 'trace', value: null },
    ],
    idempotencyKey: `id-${offset}`,
    reason: 'probable-duplicate',
    ...overrides,
  };
}

async function highWatermarks(): Promise<number[]> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.sort((a, b) => a.partition - b.partition).map((o) => Number(o.high));
}

async function consumeAll(count: number): Promise<{ partition: number; message: KafkaMessage }[]> {
  const consumer = kafka.consumer({
    groupId: uniqueName('verify'),
    sessionTimeout: 6000,
    heartbeatInterval: 500,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: { partition: number; message: KafkaMessage }[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          seen.push({ partition, message });
          if (seen.length === count) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return seen.sort((a, b) => a.partition - b.partition);
}

const header = (headers: IHeaders | undefined, name: string) => headers?.[name]?.toString();

let ids: readonly string[] = [];
beforeAll(async () => {
  await ensureTables(client, { checkpoints: uniqueName('c'), quarantine: table, audit: uniqueName('a') });
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  const big = randomBytes(600 * 1024).toString('base64');
  ({ ids } = await store.put([input(1, 5), input(2, 9, { key: null }), input(0, 3, { value: big })]));
  await store.put([{ ...input(1, 6), group: uniqueName('other-group') }]);
});
afterAll(async () => {
  await admin.disconnect();
  client.destroy();
});

describe('mskguard quarantine list', () => {
  it("prints the group's records as a table", async () => {
    // Act
    const { code, out } = await cli('quarantine', 'list', '--group', group, '--table', table);

    // Assess
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^GROUP\s+RECORD\s+QUARANTINED AT\s+REASON\s+STATUS$/);
    expect(
      lines
        .slice(1, 4)
        .map((l) => l.split(/\s+/)[1])
        .sort(),
    ).toEqual([`${topic}-0@3`, `${topic}-1@5`, `${topic}-2@9`]);
    expect(lines.slice(1, 4).every((l) => l.startsWith(group) && l.endsWith('QUARANTINED'))).toBe(true);
    expect(lines[4]).toBe('3 records');
  });

  it('refuses to run without a table, with the fix', async () => {
    // Act
    const { code, err } = await cli('quarantine', 'list', '--group', group);

    // Assess
    expect(code).toBe(2);
    expect(err).toMatch(/pass --quarantine-table <name> or set MSKGUARD_QUARANTINE_TABLE/);
  });
});

describe('mskguard quarantine replay', () => {
  it('only prints what it would do without --execute', async () => {
    // Act
    const { code, out, err } = await cli('quarantine', 'replay', '--group', group, '--table', table);

    // Assess
    expect(code).toBe(0);
    expect(out).toMatch(/Dry run: would re-produce 2 of 3 records .* add --execute/);
    expect(err).toMatch(new RegExp(`would skip ${group}/${topic}-0@3: payload over DynamoDB's 400 KB`));
    expect(await highWatermarks()).toEqual([0, 0, 0]);
  });

  it('re-produces the records to their topic-partition with the replay header, once', async () => {
    // Act
    const first = await cli(
      'quarantine',
      'replay',
      '--group',
      group,
      '--table',
      table,
      '--execute',
      '--brokers',
      env.KAFKA_BROKERS,
      '--by',
      'tester',
    );
    const again = await cli(
      'quarantine',
      'replay',
      '--group',
      group,
      '--table',
      table,
      '--execute',
      '--brokers',
      env.KAFKA_BROKERS,
    );
    const messages = await consumeAll(2);

    // Assess
    expect(first.code).toBe(3);
    expect(first.out).toBe('replayed 2, skipped 1, raced 0 (of 3)');
    expect(first.err).toMatch(new RegExp(`\\[\\d/3\\] ${group}/${topic}-1@5 replayed -> ${topic}-1@0`));
    expect(again.out).toBe('replayed 0, skipped 1, raced 0 (of 1)');
    expect(await highWatermarks()).toEqual([0, 1, 1]);
    const [p1, p2] = messages;
    expect(p1?.partition).toBe(1);
    expect(p1?.message.key?.toString()).toBe('key-5');
    expect(p1?.message.value?.toString()).toBe('value-5');
    expect(header(p1?.message.headers, 'idempotency-key')).toBe('order-5');
    expect(header(p1?.message.headers, 'trace')).toBe('');
    expect(header(p1?.message.headers, 'mskguard-replay')).toBe(`${group}/${topic}-1@5`);
    expect(p2?.partition).toBe(2);
    expect(p2?.message.key).toBeNull();
    expect(p2?.message.value?.toString()).toBe('value-9');
    expect(await store.get(ids[0]!)).toMatchObject({
      status: 'REPLAYED',
      replayedBy: 'tester',
      replayedTo: `${topic}-1@0`,
    });
  });

  it('skips a record named by --id that was already replayed, and refuses an unknown id', async () => {
    // Act
    const replayed = await cli(
      'quarantine',
      'replay',
      '--table',
      table,
      '--id',
      ids[0]!,
      '--execute',
      '--brokers',
      env.KAFKA_BROKERS,
    );
    const unknown = await cli('quarantine', 'replay', '--table', table, '--id', `${group}/${topic}-1@999`);

    // Assess
    expect(replayed.code).toBe(3);
    expect(replayed.err).toMatch(/skipped: already replayed at/);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/QuarantineRecordNotFoundError: No quarantined record .*-1@999/);
  });

  it('names the records it produced but could not mark replayed, and says not to replay them again (G2)', async () => {
    // Prepare: a fresh record; the table refuses every write after the produce.
    const [id] = (await store.put([input(0, 77)])).ids;
    const before = await highWatermarks();
    send = (command) =>
      command instanceof UpdateItemCommand
        ? Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { name: 'NetworkingError' }))
        : client.send(command as never);

    // Act
    const replay = await cli(
      'quarantine',
      'replay',
      '--table',
      table,
      '--id',
      id!,
      '--execute',
      '--brokers',
      env.KAFKA_BROKERS,
    );
    send = (command) => client.send(command as never);

    // Assess: produced once, still QUARANTINED, and the error says where it went and not to retry.
    expect(replay.code).toBe(1);
    expect(replay.err).toMatch(
      new RegExp(
        `ReplayNotMarkedError: 1 record\\(s\\) were produced .* ${id!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} -> ${topic}-0@\\d+.*do not replay them again`,
      ),
    );
    expect((await highWatermarks())[0]).toBe(before[0]! + 1);
    expect((await store.get(id!))?.status).toBe('QUARANTINED');
  });
});
