// Design §11 (`mskguard status`: a group at a glance, non-zero exit when unhealthy) and G6 (typed
// errors): against the real broker and DynamoDB Local (checkpoints, quarantine), with only the
// Lambda API mocked, status shows per partition the committed offset, checkpoint and its age, log
// start and end and lag, the quarantine count and the ESM's State, StateTransitionReason and
// LastProcessingResult, ends with one verdict line, exits 3 when unhealthy, colours only on a
// terminal, and refuses an unknown group or topic with a typed error.

import { GetEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '#shared/cli/command.ts';
import { createStatusCommands } from '#shared/cli/commands/status.ts';
import { QuarantineStore } from '#shared/quarantine/store.ts';
import type { GroupStatus } from '#shared/status/types.ts';
import { restoreFixture } from '#test/support/restore-fixture.ts';
import { uniqueName } from '#test/support/stack.ts';
import { capturedStatusIo } from '#test/support/status-cli.ts';

const UUID = '6f1c2a4e-0b9d-4c1e-9a57-3f0d2e1b7c88';
const fx = restoreFixture('status');
const { env, ddb, tables, topic, commit, advance, observer } = fx;
const lambda = mockClient(LambdaClient);

/** The CLI on the local stack; `aheadMs` moves status's clock forward (an old checkpoint). */
function cli(options: { tty?: boolean; aheadMs?: number; rounds?: number } = {}) {
  const { out, io } = capturedStatusIo({ env, ...options });
  const flags = [
    '--checkpoint-table',
    tables.checkpoints,
    '--quarantine-table',
    tables.quarantine,
    '--region',
    'us-east-1',
  ];
  const run = (...argv: string[]) => runCli(createStatusCommands(io), ['status', ...argv, ...flags]);
  return { out, run };
}

function esm(State: string, LastProcessingResult = 'OK', StateTransitionReason = 'USER_INITIATED') {
  lambda.on(GetEventSourceMappingCommand).resolves({ State, LastProcessingResult, StateTransitionReason });
}

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1);
const ESC = String.fromCharCode(27);

beforeAll(async () => {
  await fx.open(3);
  await fx.produce(3, 60, Date.now() - 60_000);
});
afterEach(() => lambda.reset());
afterAll(() => fx.close());

describe('mskguard status', () => {
  it('shows every partition, the quarantine count and the ESM, and exits 0 when healthy', async () => {
    // Prepare
    const group = uniqueName('g-healthy');
    await advance(group, [20, 20, 18]);
    await commit(group, [20, 20, 18]);
    await new QuarantineStore(ddb, tables.quarantine).put(
      [7, 8].map((offset) => ({
        group,
        topic,
        partition: 2,
        offset,
        key: null,
        value: 'dg==',
        headers: [],
        idempotencyKey: `id-${offset}`,
        reason: 'probable-duplicate',
      })),
    );
    esm('Enabled', 'OK');
    const { out, run } = cli();

    // Act
    const code = await run('--group', group, '--topic', topic, '--esm-uuid', UUID);

    // Assess
    expect(code).toBe(0);
    expect(out.stdout).toMatch(/partition\s+committed\s+checkpoint\s+age\s+log start\s+log end\s+lag/);
    expect(out.stdout).toMatch(/^\s+2\s+18\s+18\s+\d+ s\s+0\s+20\s+2$/m);
    expect(out.stdout).toMatch(/quarantined 2/);
    expect(out.stdout).toMatch(/ESM 6f1c2a4e-.*: Enabled \(USER_INITIATED\), last processing result: OK/);
    expect(lastLine(out.stdout)).toMatch(
      /^healthy: ESM Enabled, lag 2, newest checkpoint \d+ s old, 2 in quarantine$/,
    );
    expect(out.stdout).not.toContain(ESC);
    expect(out.stderr).toBe('');
  });

  it('says stalled and exits 3 when records wait behind an old checkpoint', async () => {
    // Prepare
    const group = uniqueName('g-stalled');
    await advance(group, [5, 5, 5]);
    await commit(group, [5, 5, 5]);
    esm('Enabled', 'OK');
    const { out, run } = cli({ aheadMs: 14 * 60_000 });

    // Act
    const code = await run(
      '--group',
      group,
      '--topic',
      topic,
      '--esm-uuid',
      UUID,
      '--max-checkpoint-age',
      '10m',
    );

    // Assess
    expect(code).toBe(3);
    expect(lastLine(out.stdout)).toBe('stalled: checkpoint 14 min old, ESM Enabled, lag 45');
  });

  it('reports a disabled ESM with its StateTransitionReason, and a lost group as offsets lost', async () => {
    // Prepare
    const group = uniqueName('g-lost');
    await advance(group, [20, 20, 20]);
    await commit(group, [20, 20, 20]);
    await observer.deleteGroups([group]);
    esm('Disabled', 'PROBLEM: Function call failed', 'USER_INITIATED');
    const { out, run } = cli();

    // Act
    const code = await run('--group', group, '--topic', topic, '--esm-uuid', UUID, '--json');

    // Assess
    const status = JSON.parse(out.stdout) as GroupStatus;
    expect(code).toBe(3);
    expect(status.groupState).toBe('Dead');
    expect(status.partitions.map((p) => [p.committed, p.checkpoint, p.low, p.high, p.lag])).toEqual([
      [null, 20, 0, 20, 20],
      [null, 20, 0, 20, 20],
      [null, 20, 0, 20, 20],
    ]);
    expect(status.esm).toEqual({
      uuid: UUID,
      state: 'Disabled',
      stateTransitionReason: 'USER_INITIATED',
      lastProcessingResult: 'PROBLEM: Function call failed',
    });
    expect(status.verdict.problems).toEqual([
      'esm disabled: ESM Disabled (USER_INITIATED), lag 60',
      'failing: PROBLEM: Function call failed, lag 60',
      'offsets lost: 3 partition(s) have a checkpoint but no committed offset (mskguard restore checkpoint), lag 60',
    ]);
  });

  it('colours the verdict only on a terminal, and --watch prints every round', async () => {
    // Prepare
    const group = uniqueName('g-watch');
    await commit(group, [20, 20, 20]);
    const { out, run } = cli({ tty: true, rounds: 2 });

    // Act
    const code = await run('--group', group, '--topic', topic, '--watch', '--interval', '1s');

    // Assess
    expect(code).toBe(0);
    expect(out.sleeps).toBe(1);
    expect(out.stdout.split(`${ESC}[32mhealthy: lag 0${ESC}[0m`)).toHaveLength(3);
    expect(out.stderr).toMatch(/\[status\] reading/);
  });

  it('refuses an unknown topic with TopicNotFoundError and an unknown group with GroupNotFoundError', async () => {
    // Prepare
    const unknownTopic = cli();
    const unknownGroup = cli();
    const printed: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) =>
      printed.push(String(chunk)) > 0) as typeof process.stderr.write;

    // Act
    const codes = await Promise.all([
      unknownTopic.run('--group', uniqueName('g'), '--topic', uniqueName('no-such-topic')),
      unknownGroup.run('--group', uniqueName('no-such-group'), '--topic', topic),
    ]).finally(() => {
      process.stderr.write = write;
    });

    // Assess
    expect(codes).toEqual([1, 1]);
    expect(printed.join('')).toMatch(/TopicNotFoundError: Topic no-such-topic-.* does not exist/);
    expect(printed.join('')).toMatch(
      /GroupNotFoundError: Consumer group no-such-group-.* is unknown to the brokers/,
    );
  });
});
