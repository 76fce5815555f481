// Decision 0018 as `mskguard status` shows it: a checkpoint's skipped ranges (offsets below it that
// no handler processed) appear per partition in a skipped column and in --json, with a note naming
// the recover restore that processes them; they leave a healthy group healthy and a problem first.
// Real broker and DynamoDB Local, checkpoints written with skipped ranges by
// DynamoCheckpointStore.advance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '#shared/cli/command.ts';
import { createStatusCommands } from '#shared/cli/commands/status.ts';
import type { GroupStatus } from '#shared/status/types.ts';
import { restoreFixture } from '#test/support/restore-fixture.ts';
import { uniqueName } from '#test/support/stack.ts';
import { capturedStatusIo } from '#test/support/status-cli.ts';

const fx = restoreFixture('status-skipped');
const { env, tables, checkpoints, topic, commit } = fx;

/** The CLI on the local stack; `aheadMs` moves status's clock forward (an old checkpoint). */
function cli(aheadMs = 0) {
  const { out, io } = capturedStatusIo({ env, aheadMs });
  const run = (group: string, ...argv: string[]) =>
    runCli(createStatusCommands(io), [
      'status',
      '--group',
      group,
      '--topic',
      topic,
      '--checkpoint-table',
      tables.checkpoints,
      '--region',
      'us-east-1',
      ...argv,
    ]);
  return { out, run };
}

/** Checkpoints at `next` on every partition, partition 0 having skipped 2-4 and 9; committed at `next`. */
async function groupThatSkipped(next: number): Promise<string> {
  const group = uniqueName('g-skip');
  await checkpoints.advance(
    group,
    [
      {
        topic,
        partition: 0,
        nextOffset: next,
        skipped: [
          { first: 2, last: 4 },
          { first: 9, last: 9 },
        ],
      },
      { topic, partition: 1, nextOffset: next },
      { topic, partition: 2, nextOffset: next },
    ],
    { requestId: uniqueName('req'), epoch: 0 },
  );
  await commit(group, [next, next, next]);
  return group;
}

const lines = (text: string) => text.trimEnd().split('\n');
const NOTE_0 = (t: string, g: string) =>
  `note: ${t}-0 skipped offsets 2-4, 9 (below the checkpoint, never processed): to process them, ` +
  `restore partition 0 to 2 in recover mode: mskguard restore file --group ${g} --topic ${t} --offsets 0=2`;

beforeAll(async () => {
  await fx.open(3);
  await fx.produce(3, 60, Date.now() - 60_000);
});
afterAll(() => fx.close());

describe('mskguard status: skipped offsets', () => {
  it('shows them per partition and in --json, names the recover restore, and stays healthy', async () => {
    // Prepare
    const group = await groupThatSkipped(20);
    const [text, json] = [cli(), cli()];

    // Act
    const codes = [await text.run(group), await json.run(group, '--json')];

    // Assess
    expect(codes).toEqual([0, 0]);
    const printed = lines(text.out.stdout);
    expect(printed).toContainEqual(expect.stringMatching(/^partition\s+committed\s+.*\s+lag {2}skipped$/));
    expect(printed).toContainEqual(expect.stringMatching(/^\s+0\s+20\s+20\s+\d+ s\s+0\s+20\s+0 {2}2-4, 9$/));
    expect(printed).toContainEqual(expect.stringMatching(/^\s+1\s+20\s+20\s+\d+ s\s+0\s+20\s+0 {2}-$/));
    expect(printed).toContain(NOTE_0(topic, group));
    expect(printed.at(-2)).toMatch(
      /^note: skipped offsets: a batch given up after its retries .*on-failure-destination\.md$/,
    );
    expect(printed.at(-1)).toMatch(
      /^healthy: lag 0, newest checkpoint \d+ s old, skipped offsets on partition\(s\) 0 \(see note\)$/,
    );
    const status = JSON.parse(json.out.stdout) as GroupStatus;
    expect(status.partitions.map((p) => p.skipped)).toEqual([
      [
        { first: 2, last: 4 },
        { first: 9, last: 9 },
      ],
      undefined,
      undefined,
    ]);
    expect(status.verdict.healthy).toBe(true);
    expect(status.verdict.notes[0]).toBe(NOTE_0(topic, group).slice('note: '.length));
  });

  it('keeps a problem as the verdict and the skipped offsets as a note', async () => {
    // Prepare
    const group = await groupThatSkipped(10);
    const { out, run } = cli(20 * 60_000);

    // Act
    const code = await run(group);

    // Assess
    expect(code).toBe(3);
    const printed = lines(out.stdout);
    expect(printed).toContain(NOTE_0(topic, group));
    expect(printed.at(-1)).toBe('stalled: checkpoint 20 min old, lag 30');
  });
});
