// Design §11 (`mskguard status` verdict) with decision 0024: a partition with records past where its
// group reads from and no checkpoint item is "stalled" once the event source mapping changed longer
// ago than --max-checkpoint-age, as the watchdog pages for it; a consumer with no work (commits at
// the end, or a LATEST / AT_TIMESTAMP start after the topic's history) stays healthy, and --json only
// gains fields (esm.lastModified, esm.startingPosition, partitions[].unprocessedFrom).
// Real broker and DynamoDB Local; only the Lambda API (GetEventSourceMapping) is mocked.

import { GetEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { Consumer } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '#shared/cli/command.ts';
import { createStatusCommands } from '#shared/cli/commands/status.ts';
import type { GroupStatus } from '#shared/status/types.ts';
import { restoreFixture } from '#test/support/restore-fixture.ts';
import { uniqueName } from '#test/support/stack.ts';
import { capturedStatusIo } from '#test/support/status-cli.ts';

const UUID = '6f1c2a4e-0b9d-4c1e-9a57-3f0d2e1b7c88';
const PARTITIONS = 2;
const MIN = 60_000;
const HOUR = 60 * MIN;
const fx = restoreFixture('status-nockpt');
const lambda = mockClient(LambdaClient);

/** GetEventSourceMapping answers an Enabled mapping last changed `changedAgoMs` ago (at mock time). */
function mapping(changedAgoMs: number, extra: Record<string, unknown> = {}) {
  lambda.on(GetEventSourceMappingCommand).resolves({
    UUID,
    State: 'Enabled',
    StateTransitionReason: 'USER_INITIATED',
    LastProcessingResult: 'OK',
    LastModified: new Date(Date.now() - changedAgoMs),
    ...extra,
  });
}

/** `mskguard status` on the local stack, with the ESM and (unless `table` is false) the checkpoint table. */
async function status(group: string, argv: readonly string[] = [], { table = true } = {}) {
  const { out, io } = capturedStatusIo({ env: fx.env });
  const code = await runCli(createStatusCommands(io), [
    'status',
    ...['--group', group, '--topic', fx.topic, '--esm-uuid', UUID, '--region', 'us-east-1'],
    ...(table ? ['--checkpoint-table', fx.tables.checkpoints] : []),
    ...argv,
  ]);
  return { code, last: out.stdout.trimEnd().split('\n').at(-1), stdout: out.stdout };
}

/** A group that neither committed nor checkpointed, kept known to the broker by a member (as the ESM's pollers are). */
let never: string;
let member: Consumer;

beforeAll(async () => {
  await fx.open(PARTITIONS);
  // History: offsets 0-9 of each partition two hours old; then 10-11 of each, ten minutes old.
  await fx.produce(PARTITIONS, 20, Date.now() - 2 * HOUR);
  await fx.produce(PARTITIONS, 4, Date.now() - 10 * MIN);
  never = uniqueName('g-never');
  member = await fx.member(never, true);
});
afterEach(() => lambda.reset());
afterAll(async () => {
  await member?.disconnect();
  await fx.close();
});

describe('mskguard status and partitions without a checkpoint item', () => {
  it('says stalled, and since when, for a consumer that never checkpointed, and --json gains the fields', async () => {
    // Prepare: TRIM_HORIZON (the mapping names no starting position), changed an hour ago.
    mapping(HOUR);

    // Act
    const text = await status(never);
    const json = await status(never, ['--json']);

    // Assess
    expect(text.code).toBe(3);
    expect(text.last).toBe(
      'stalled: no checkpoint since the mapping changed 1.0 h ago (partitions 0, 1), ESM Enabled, lag 24',
    );
    expect(text.stdout).toMatch(/ESM 6f1c2a4e-.*: Enabled \(USER_INITIATED\), .*, last modified 20\d\d-/);
    const parsed = JSON.parse(json.stdout) as GroupStatus;
    expect(json.code).toBe(3);
    expect(parsed.partitions.map((p) => [p.committed, p.checkpoint, p.unprocessedFrom, p.lag])).toEqual([
      [null, null, 0, 12],
      [null, null, 0, 12],
    ]);
    expect(Date.now() - Date.parse(parsed.esm?.lastModified ?? '')).toBeGreaterThanOrEqual(HOUR);
    expect(parsed.verdict.healthy).toBe(false);
  });

  it('names only the partition that never checkpointed when the other checkpoints', async () => {
    // Prepare: partition 0 committed and checkpointed at its end just now; partition 1 committed at 5.
    const group = uniqueName('g-half');
    await fx.commit(group, [12, 5]);
    await fx.checkpoints.advance(group, [{ topic: fx.topic, partition: 0, nextOffset: 12 }], {
      requestId: uniqueName('req'),
      epoch: 0,
    });
    mapping(2 * HOUR);

    // Act
    const { code, last } = await status(group);

    // Assess
    expect(code).toBe(3);
    expect(last).toBe(
      'stalled: no checkpoint since the mapping changed 2.0 h ago (partition 1), ESM Enabled, lag 7',
    );
  });

  it('stays healthy for a group without checkpoints whose commits are at the end (no work)', async () => {
    // Prepare: a group moved onto the guard, caught up, its mapping unchanged for a day.
    const group = uniqueName('g-caughtup');
    await fx.commit(group, [12, 12]);
    mapping(24 * HOUR);

    // Act
    const { code, last } = await status(group);

    // Assess
    expect([code, last]).toEqual([0, 'healthy: ESM Enabled, lag 0']);
  });

  it.each([
    [
      'LATEST, started after every record: the history is no work',
      { StartingPosition: 'LATEST' },
      5 * MIN,
      [0, 'healthy: ESM Enabled, lag 0'],
      12,
    ],
    [
      'LATEST, started before the last records: they wait',
      { StartingPosition: 'LATEST' },
      HOUR,
      [3, 'stalled: no checkpoint since the mapping changed 1.0 h ago (partitions 0, 1), ESM Enabled, lag 4'],
      10,
    ],
    [
      'AT_TIMESTAMP after every record: no work',
      { StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: new Date(Date.now() - 5 * MIN) },
      24 * HOUR,
      [0, 'healthy: ESM Enabled, lag 0'],
      12,
    ],
    [
      'AT_TIMESTAMP before the last records: they wait since the mapping changed',
      { StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: new Date(Date.now() - HOUR) },
      24 * HOUR,
      [3, 'stalled: no checkpoint since the mapping changed 1.0 d ago (partitions 0, 1), ESM Enabled, lag 4'],
      10,
    ],
  ])('%s', async (_name, position, changedAgoMs, verdict, from) => {
    // Prepare: no commit and no checkpoint; a 1-minute threshold, so only "no work" keeps it healthy.
    mapping(changedAgoMs, position);

    // Act
    const text = await status(never, ['--max-checkpoint-age', '1m']);
    const json = JSON.parse(
      (await status(never, ['--max-checkpoint-age', '1m', '--json'])).stdout,
    ) as GroupStatus;

    // Assess
    expect([text.code, text.last]).toEqual(verdict);
    expect(json.partitions.map((p) => p.unprocessedFrom)).toEqual([from, from]);
    expect(json.esm?.startingPosition).toBe(position.StartingPosition);
  });

  it('stays healthy above --max-lag for a LATEST consumer whose only records are the history before its start', async () => {
    // Prepare: no commit, no checkpoint; the mapping (LATEST) started after every record, so the 24
    // records are no work. --max-lag 10 is below the history: counted as lag, it read "lagging".
    mapping(5 * MIN, { StartingPosition: 'LATEST' });

    // Act
    const { code, last } = await status(never, ['--max-lag', '10']);
    const json = JSON.parse((await status(never, ['--max-lag', '10', '--json'])).stdout) as GroupStatus;

    // Assess
    expect([code, last]).toEqual([0, 'healthy: ESM Enabled, lag 0']);
    expect(json.partitions.map((p) => [p.committed, p.unprocessedFrom, p.high, p.lag])).toEqual([
      [null, 12, 12, 0],
      [null, 12, 12, 0],
    ]);
  });

  it('counts the lag of a LATEST consumer without commits from where it started, also without the checkpoint table', async () => {
    // Prepare: started an hour ago, before the last 2 records of each partition.
    mapping(HOUR, { StartingPosition: 'LATEST' });

    // Act
    const { code, last } = await status(never, ['--max-lag', '3'], { table: false });

    // Assess: 4 records to read, not the 24 of the topic.
    expect([code, last]).toEqual([3, 'lagging: ESM Enabled, lag 4 (above 3)']);
  });

  it('does not judge partitions without a checkpoint when no checkpoint table is given', async () => {
    // Prepare
    mapping(24 * HOUR);

    // Act
    const { code, last } = await status(never, [], { table: false });

    // Assess
    expect([code, last]).toEqual([0, 'healthy: ESM Enabled, lag 24']);
  });
});
