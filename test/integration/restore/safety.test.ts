// Design §7 refusals and G1 across restores: on the real broker, a restore never moves offsets
// under an active consumer, never targets outside [low, high] unless told to clamp, handles --at
// in the future and before the earliest record, changes nothing in a dry run, toggles the ESM
// (Lambda API mocked with aws-sdk-client-mock) around the change and leaves it disabled when a
// failure may have left offsets half done; reprocess bumps the dedup epoch in DynamoDB Local.

import {
  GetEventSourceMappingCommand,
  LambdaClient,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { Consumer } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DynamoAuditStore } from '#shared/restore/audit.ts';
import { KafkaConsumerOffsetsReader } from '#shared/restore/consumer-offsets-reader.ts';
import { type RestoreDeps, runRestore } from '#shared/restore/engine.ts';
import { RestoreRefusedError } from '#shared/restore/errors.ts';
import { EventSourceMappingToggle } from '#shared/restore/esm.ts';
import { directOffsetWriter } from '#shared/restore/offset-commit.ts';
import type { RestoreRequest } from '#shared/restore/types.ts';
import { restoreFixture } from '#test/support/restore-fixture.ts';
import { uniqueName } from '#test/support/stack.ts';

const UUID = '6f1c2a4e-0b9d-4c1e-9a57-3f0d2e1b7c88';
const fx = restoreFixture('restore-safety');
const { kafka, admin, ddb, tables, checkpoints, topic, commit, committed } = fx;
const lambda = mockClient(LambdaClient);
const BASE = Date.now() - 3_600_000;
const offsets = directOffsetWriter(kafka);
const deps: RestoreDeps = {
  admin,
  offsets,
  checkpoints,
  consumerOffsets: new KafkaConsumerOffsetsReader(kafka, admin),
  audit: new DynamoAuditStore(ddb, tables.audit),
  esm: new EventSourceMappingToggle(new LambdaClient({ region: 'us-east-1' }), {
    pollMs: 10,
    timeoutMs: 5000,
  }),
  groupPollMs: 200,
  groupEmptyTimeoutMs: 3000,
};

/** A consumer that stays in the group (a running service) until disconnected. */
const activeConsumer = (group: string): Promise<Consumer> => fx.member(group, false);

async function prepared(offsets: readonly number[], committedNow: readonly number[]): Promise<string> {
  const group = uniqueName('g-safe');
  await checkpoints.advance(
    group,
    offsets.map((nextOffset, partition) => ({ topic, partition, nextOffset })),
    { requestId: 'r', epoch: 0 },
  );
  await commit(group, committedNow);
  return group;
}

const request = (group: string, r: Partial<RestoreRequest> = {}): RestoreRequest => ({
  group,
  topic,
  strategy: 'checkpoint',
  execute: true,
  requestedBy: 'it',
  ...r,
});
const updates = () =>
  lambda.commandCalls(UpdateEventSourceMappingCommand).map((c) => c.args[0].input.Enabled);
function esmStates(...states: string[]): void {
  let chain = lambda.on(GetEventSourceMappingCommand);
  for (const State of states) chain = chain.resolvesOnce({ State });
  chain.resolves({ State: states[states.length - 1] ?? 'Enabled' });
}

beforeAll(async () => {
  await fx.open(3);
  await fx.produce(3, 30, BASE);
  // Retention ate the start of partition 0: its low is 5. (deleteTopicRecords needs the leaders cached.)
  await admin.fetchTopicMetadata({ topics: [topic] });
  await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '5' }] });
});
afterEach(() => lambda.reset());
afterAll(async () => {
  await offsets.close();
  await fx.close();
});

describe('restore refuses while the group is active', () => {
  it('refuses and changes nothing while a real consumer is in the group', async () => {
    // Prepare
    const group = await prepared([6, 6, 6], [8, 8, 8]);
    const consumer = await activeConsumer(group);

    // Act
    const { plan, result } = await runRestore(request(group), deps).finally(() => consumer.disconnect());

    // Assess
    expect(plan.refusals[0]).toMatch(/group has 1 active member\(s\).*pass --esm-uuid/);
    expect(result?.status).toBe('refused');
    expect(await committed(group)).toEqual([8, 8, 8]);
  });

  it('with an ESM: disables it, waits for Empty within the bound, then re-enables it and refuses', async () => {
    // Prepare
    const group = await prepared([6, 6, 6], [8, 8, 8]);
    const consumer = await activeConsumer(group);
    esmStates('Enabled', 'Disabled', 'Enabled');
    lambda.on(UpdateEventSourceMappingCommand).resolves({});

    // Act
    const { result } = await runRestore(request(group, { esmUuid: UUID }), deps).finally(() =>
      consumer.disconnect(),
    );

    // Assess
    expect(result?.status).toBe('refused');
    expect(result?.error?.message).toMatch(/still has 1 member\(s\).*after event source mapping/);
    expect(updates()).toEqual([false, true]);
    expect(await committed(group)).toEqual([8, 8, 8]);
  });
});

describe('restore with an event source mapping', () => {
  it('disables, waits Disabled, sets and verifies, re-enables', async () => {
    // Prepare
    const group = await prepared([6, 7, 8], [9, 9, 9]);
    esmStates('Enabled', 'Disabling', 'Disabled', 'Enabling', 'Enabled');
    lambda.on(UpdateEventSourceMappingCommand).resolves({});

    // Act
    const { result } = await runRestore(request(group, { esmUuid: UUID }), deps);

    // Assess
    expect(result).toMatchObject({
      status: 'succeeded',
      verified: true,
      esm: { reenabled: true, leftDisabled: false },
    });
    expect(updates()).toEqual([false, true]);
    expect(await committed(group)).toEqual([6, 7, 8]);
  });

  it('keeps the restored offsets but reports a failure when re-enabling fails', async () => {
    // Prepare
    const group = await prepared([6, 7, 8], [9, 9, 9]);
    esmStates('Enabled', 'Disabled');
    lambda.on(UpdateEventSourceMappingCommand, { Enabled: false }).resolves({});
    lambda
      .on(UpdateEventSourceMappingCommand, { Enabled: true })
      .rejects(new Error('TooManyRequestsException'));

    // Act
    const { result } = await runRestore(request(group, { esmUuid: UUID }), deps);

    // Assess
    expect(result).toMatchObject({ status: 'failed', verified: true, esm: { leftDisabled: true } });
    expect(result?.error?.message).toMatch(
      /restored and verified, but re-enabling.*TooManyRequests.*--enabled/,
    );
    expect(await committed(group)).toEqual([6, 7, 8]);
  });
});

describe('restore against the broker range', () => {
  it('refuses targets outside [low, high] and changes nothing', async () => {
    // Prepare: p0's low is 5, every high is 10.
    const group = await prepared([2, 3, 50], [9, 9, 9]);

    // Act
    const { plan, result } = await runRestore(request(group), deps);

    // Assess
    expect(plan.rows.map((r) => r.problem !== null)).toEqual([true, false, true]);
    expect(result?.status).toBe('refused');
    expect(await committed(group)).toEqual([9, 9, 9]);
  });

  it('clamps them into [low, high] with --clamp', async () => {
    // Prepare
    const group = await prepared([2, 3, 50], [9, 9, 9]);

    // Act
    const { plan, result } = await runRestore(request(group, { clamp: true }), deps);

    // Assess
    expect(plan.rows.map((r) => [r.proposed, r.target, r.clamped])).toEqual([
      [2, 5, true],
      [3, 3, false],
      [50, 10, true],
    ]);
    expect(result?.status).toBe('succeeded');
    expect(await committed(group)).toEqual([5, 3, 10]);
  });
});

describe('restore --at edge cases', () => {
  it('treats --at up to 5 minutes ahead as clock skew, and refuses further ahead', async () => {
    // Prepare
    const group = await prepared([6, 6, 6], [9, 9, 9]);
    const soon = new Date(Date.now() + 120_000).toISOString();
    const later = new Date(Date.now() + 3_600_000).toISOString();

    // Act
    const skewed = await runRestore(
      request(group, { strategy: 'timestamp', at: soon, execute: false }),
      deps,
    );
    const refused = runRestore(request(group, { strategy: 'timestamp', at: later, execute: false }), deps);

    // Assess
    expect(skewed.plan.warnings[0]).toMatch(/in the future \(clock skew\?\): using now/);
    expect(skewed.plan.rows.map((r) => r.target)).toEqual([10, 10, 10]);
    await expect(refused).rejects.toThrow(RestoreRefusedError);
    await expect(refused).rejects.toThrow(/in the future; restore can only go back/);
  });

  it('targets the log start when --at is before the earliest record, and says so', async () => {
    // Prepare
    const group = await prepared([6, 6, 6], [9, 9, 9]);

    // Act
    const { plan } = await runRestore(
      request(group, { strategy: 'timestamp', at: '2020-01-01T00:00:00Z', execute: false }),
      deps,
    );
    const history = await runRestore(
      request(group, { strategy: 'history', at: '2020-01-01T00:00:00Z', execute: false }),
      deps,
    );

    // Assess
    expect(plan.rows.map((r) => r.target)).toEqual([5, 0, 0]);
    expect(plan.warnings.join('\n')).toMatch(/at or before the earliest retained record of 3 partition\(s\)/);
    expect(history.plan.rows[0]?.problem).toMatch(
      /no checkpoint history at or before 2020-01-01T00:00:00.000Z/,
    );
  });
});

describe('restore modes and dry run', () => {
  it('reprocess bumps the group epoch in DynamoDB; recover does not', async () => {
    // Prepare
    const recover = await prepared([6, 6, 6], [9, 9, 9]);
    const reprocess = await prepared([6, 6, 6], [9, 9, 9]);

    // Act
    await runRestore(request(recover), deps);
    const { result } = await runRestore(request(reprocess, { mode: 'reprocess' }), deps);

    // Assess
    expect(result?.epoch).toBe(1);
    expect((await checkpoints.load(reprocess, [{ topic, partition: 0 }])).epoch).toBe(1);
    expect((await checkpoints.load(recover, [{ topic, partition: 0 }])).epoch).toBe(0);
  });

  it('a dry run changes nothing', async () => {
    // Prepare
    const group = await prepared([6, 6, 6], [9, 8, 7]);
    const before = await committed(group);

    // Act
    const { plan, result } = await runRestore(request(group, { strategy: 'auto', execute: false }), deps);

    // Assess
    expect(plan.rows.map((r) => r.delta)).toEqual([-3, -2, -1]);
    expect(result).toBeNull();
    expect(await committed(group)).toEqual(before);
    expect(before).toEqual([9, 8, 7]);
  });
});
