// G1 and G2 across a restore with each strategy, mid-run, end to end on the real broker,
// DynamoDB Local and Redis: a group consumes half of a topic through the middleware behind the
// Lambda poller emulator, loses its offsets (the group is deleted, and the mapping would start at
// LATEST: without a restore the second half is skipped), is restored with one strategy in
// `recover` mode, and consumes to the end. Every record reaches the handler exactly once: whatever
// earlier offset a strategy picks, what was processed is withheld, and none is skipped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StartingPosition } from '#local/poller/index.ts';
import { openRestoreClients } from '#shared/restore/clients.ts';
import { runRestore } from '#shared/restore/engine.ts';
import type { RestoreStrategy } from '#shared/restore/types.ts';
import { consumeGuarded } from '#test/support/guarded-poller.ts';
import { restoreFixture } from '#test/support/restore-fixture.ts';
import { ADAPTERS } from '#test/support/runners.ts';
import { uniqueName } from '#test/support/stack.ts';

const PARTITIONS = 2;
const RECORDS = 120;
const fx = restoreFixture('mid-run');
const runner = ADAPTERS.resp();
const table: string[] = [];

beforeAll(async () => {
  await fx.open(PARTITIONS);
  // Record timestamps an hour back, a second apart per partition: `timestamp` at base - 1 s is
  // the start of the log.
  await fx.produce(PARTITIONS, RECORDS, Date.now() - 3_600_000);
});
afterAll(async () => {
  await runner.close();
  await fx.close();
  process.stdout.write(
    `\nrestore mid-run (recover)\nstrategy\trecords\tonce\ttwice+\tskipped\n${table.join('\n')}\n`,
  );
});

const strategies: [RestoreStrategy, (half: Date) => string | undefined][] = [
  ['checkpoint', () => undefined],
  ['history', (half) => half.toISOString()],
  ['consumer-offsets', (half) => half.toISOString()],
  ['timestamp', () => new Date(Date.now() - 3_600_000 - 1000).toISOString()],
  ['auto', (half) => half.toISOString()],
];

describe('a restore mid-run with each strategy, then consuming to the end', () => {
  it.each(strategies)('%s: every record reaches the handler once', async (strategy, at) => {
    // Prepare: half the topic consumed through the middleware; then the group is lost.
    const group = uniqueName(`mid-${strategy}`);
    const seen = new Map<string, number>();
    const consume = (stopAtCommitted?: number, startingPosition?: StartingPosition) =>
      consumeGuarded({
        ...(startingPosition ? { startingPosition } : {}),
        brokers: fx.env.KAFKA_BROKERS,
        admin: fx.admin,
        topic: fx.topic,
        group,
        cache: runner,
        checkpoints: fx.checkpoints,
        seen,
        ...(stopAtCommitted === undefined ? {} : { stopAtCommitted }),
      });
    await consume(RECORDS / 2);
    await new Promise((r) => setTimeout(r, 50));
    const half = new Date();
    await new Promise((r) => setTimeout(r, 50));
    await fx.admin.deleteGroups([group]);

    // Act
    const clients = await openRestoreClients({
      brokers: [fx.env.KAFKA_BROKERS],
      checkpointTable: fx.tables.checkpoints,
      auditTable: fx.tables.audit,
      dynamodbEndpoint: fx.env.DYNAMODB_ENDPOINT,
    });
    const when = at(half);
    const outcome = await runRestore(
      { group, topic: fx.topic, strategy, ...(when ? { at: when } : {}), execute: true, requestedBy: 'it' },
      clients.deps,
    ).finally(() => clients.close());
    await consume(undefined, StartingPosition.latest);

    // Assess
    const counts = [...seen.values()];
    const row = {
      records: seen.size,
      once: counts.filter((n) => n === 1).length,
      more: counts.filter((n) => n > 1).length,
      skipped: RECORDS - seen.size,
    };
    table.push([strategy, row.records, row.once, row.more, row.skipped].join('\t'));
    expect(outcome.result?.status).toBe('succeeded');
    expect(row).toEqual({ records: RECORDS, once: RECORDS, more: 0, skipped: 0 });
  });
});
