// Guarantee: none of G1–G6 directly; proves the watchdog (design §8, decision 0024) does not report a
// consumer that never checkpointed as healthy for ever: where records wait and no checkpoint item
// exists, WatchdogCheckpointAgeSeconds counts from the mapping's LastModified, and a consumer with no
// work (commits at the end, or a LATEST / AT_TIMESTAMP start after the topic's history) still reads 0.
// Lambda control plane mocked with aws-sdk-client-mock; the broker and DynamoDB Local are real.
import { GetEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { measureConsumer } from '#shared/watchdog/measure.ts';
import { runWatchdog } from '#shared/watchdog/run.ts';
import { AuditRestoreActivity, LambdaEsmStatusSource } from '#shared/watchdog/sources.ts';
import type { WatchdogDeps, WatchdogTarget } from '#shared/watchdog/types.ts';
import { restoreFixture } from '#test/support/restore-fixture.ts';
import { uniqueName } from '#test/support/stack.ts';

const PARTITIONS = 2;
/** The watchdog's clock in every test: ages are exact, whatever the host's speed. */
const NOW = Date.now();
const HOUR = 3_600_000;
const lambdaMock = mockClient(LambdaClient);

/** GetEventSourceMapping's answer for an Enabled mapping last changed `lastModifiedAgoMs` before NOW. */
function esm(lastModifiedAgoMs: number, extra: Record<string, unknown> = {}) {
  return {
    UUID: 'uuid',
    State: 'Enabled',
    StateTransitionReason: 'USER_INITIATED',
    LastProcessingResult: 'OK',
    LastModified: new Date(NOW - lastModifiedAgoMs),
    ...extra,
  };
}

describe('the watchdog and a consumer without checkpoint items', () => {
  const fx = restoreFixture('wd-nockpt');
  let deps: WatchdogDeps;
  const target = (group: string): WatchdogTarget => ({
    consumerGroupId: group,
    topic: fx.topic,
    eventSourceMappingId: `esm-${group}`,
    functionName: 'consumer',
  });

  beforeAll(async () => {
    await fx.open(PARTITIONS);
    // History: offsets 0-9 of each partition two hours old; then 10-11 of each, ten minutes old.
    await fx.produce(PARTITIONS, 20, NOW - 2 * HOUR);
    await fx.produce(PARTITIONS, 4, NOW - 600_000);
    deps = {
      esm: new LambdaEsmStatusSource(new LambdaClient({ region: 'us-east-1' })),
      restores: new AuditRestoreActivity(fx.ddb, fx.tables.audit, 600),
      checkpoints: fx.checkpoints,
      admin: fx.admin,
      now: () => NOW,
    };
  });
  afterEach(() => lambdaMock.reset());
  afterAll(() => fx.close());

  it('ages a consumer that never checkpointed from its mapping LastModified, and emits it', async () => {
    // Prepare: enabled an hour ago, every batch failed since (no commit, no checkpoint).
    const group = uniqueName('never');
    lambdaMock.on(GetEventSourceMappingCommand).resolves(esm(HOUR));
    const lines: string[] = [];

    // Act
    const report = await runWatchdog([target(group)], deps, (l) => lines.push(l));

    // Assess
    expect(report.consumers[0]).toMatchObject({
      esmNotEnabled: 0,
      lag: 24,
      checkpointAgeBehindSeconds: 3600,
      partitionsBehind: 2,
      partitionsWithoutCheckpoint: 2,
    });
    const emf = JSON.parse(lines[0]!);
    expect(emf).toMatchObject({
      WatchdogCheckpointAgeSeconds: 3600,
      partitionsWithoutCheckpoint: '2',
      esmLastModified: new Date(NOW - HOUR).toISOString(),
    });
  });

  it('ages the partition that never checkpointed although the other one checkpoints', async () => {
    // Prepare: partition 0 checkpointed just now at its end; partition 1 has no checkpoint item.
    const group = uniqueName('half');
    await fx.commit(group, [12]);
    await fx.checkpoints.advance(group, [{ topic: fx.topic, partition: 0, nextOffset: 12 }], {
      requestId: 'r',
      epoch: 0,
    });
    lambdaMock.on(GetEventSourceMappingCommand).resolves(esm(2 * HOUR));

    // Act
    const health = await measureConsumer(target(group), deps);

    // Assess
    expect(health).toMatchObject({
      checkpointAgeBehindSeconds: 7200,
      partitionsBehind: 1,
      partitionsWithoutCheckpoint: 1,
    });
  });

  it('does not page a consumer without checkpoints whose commits are at the end (no work)', async () => {
    // Prepare: a group moved onto the guard, caught up, mapping unchanged for a day.
    const group = uniqueName('caughtup');
    await fx.commit(group, [12, 12]);
    lambdaMock.on(GetEventSourceMappingCommand).resolves(esm(24 * HOUR));

    // Act
    const health = await measureConsumer(target(group), deps);

    // Assess
    expect(health).toMatchObject({ lag: 0, checkpointAgeBehindSeconds: 0, partitionsBehind: 0 });
  });

  it.each([
    [
      'LATEST, started after every record: the history is no work',
      { StartingPosition: 'LATEST' },
      300_000,
      0,
      0,
    ],
    ['LATEST, started before the last records: they wait', { StartingPosition: 'LATEST' }, HOUR, 3600, 2],
    [
      'AT_TIMESTAMP after every record: no work',
      { StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: new Date(NOW - 300_000) },
      24 * HOUR,
      0,
      0,
    ],
    [
      'AT_TIMESTAMP before the last records: they wait since the mapping changed',
      { StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: new Date(NOW - HOUR) },
      24 * HOUR,
      86_400,
      2,
    ],
  ])('%s', async (_name, position, lastModifiedAgoMs, age, behind) => {
    // Prepare: no commit and no checkpoint.
    const group = uniqueName('start');
    lambdaMock.on(GetEventSourceMappingCommand).resolves(esm(lastModifiedAgoMs, position));

    // Act
    const health = await measureConsumer(target(group), deps);

    // Assess
    expect(health).toMatchObject({ checkpointAgeBehindSeconds: age, partitionsBehind: behind, errors: [] });
  });
});
