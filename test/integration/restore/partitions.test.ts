// Restoring some partitions of a topic (--partitions, --offsets; `partitions` in a Lambda request),
// on the real broker and DynamoDB Local: the partitions named get their targets and the others keep
// their committed offsets untouched (G3 for them: nothing moves that the operator did not name);
// an undo of such a restore puts back those partitions only; a partition the topic lacks, a
// reprocess of some partitions and malformed lists are usage errors that change nothing (G6).

import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '#shared/cli/command.ts';
import { createRestoreCommands, type RestoreCliIo } from '#shared/cli/commands/restore.ts';
import { openRestoreClients } from '#shared/restore/clients.ts';
import type { RestoreResponse } from '#shared/restore/engine.ts';
import { restoreFixture } from '#test/support/restore-fixture.ts';
import { uniqueName } from '#test/support/stack.ts';

const fx = restoreFixture('restore-partitions');
const { env, tables, topic, commit, committed, advance } = fx;

function cli() {
  const out = { stdout: '', stderr: '' };
  const io: RestoreCliIo = {
    stdout: (t) => {
      out.stdout += t;
    },
    stderr: (t) => {
      out.stderr += t;
    },
    env: { KAFKA_BROKERS: env.KAFKA_BROKERS, DYNAMODB_ENDPOINT: env.DYNAMODB_ENDPOINT, USER: 'oncall' },
    openClients: openRestoreClients,
    lambda: () => new LambdaClient({ region: 'us-east-1' }),
  };
  const tableFlags = ['--checkpoint-table', tables.checkpoints, '--audit-table', tables.audit];
  const run = (...argv: string[]) =>
    runCli(createRestoreCommands(io), ['restore', ...argv, '--region', 'us-east-1', ...tableFlags]);
  const json = () => JSON.parse(out.stdout) as RestoreResponse;
  return { out, run, json };
}

/** Usage errors go to the process's stderr through runCli (with a pointer to --help). */
async function usage(run: () => Promise<number>): Promise<{ code: number; text: string }> {
  let text = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    text += String(chunk);
    return true;
  });
  try {
    return { code: await run(), text };
  } finally {
    spy.mockRestore();
  }
}

beforeAll(async () => {
  await fx.open(3);
  await fx.produce(3, 60, Date.now() - 60_000);
});
afterAll(() => fx.close());

describe('restore of some partitions', () => {
  it('--offsets 1=3 --execute moves partition 1 only', async () => {
    // Prepare
    const group = uniqueName('g-inline');
    await commit(group, [20, 20, 20]);
    const { run, json } = cli();

    // Act
    const code = await run(
      'file',
      '--group',
      group,
      '--topic',
      topic,
      '--offsets',
      '1=3',
      '--execute',
      '--json',
    );

    // Assess
    const response = json();
    expect([code, response.result?.status, response.result?.verified]).toEqual([0, 'succeeded', true]);
    expect(response.plan?.partitions).toEqual([1]);
    expect(response.plan?.rows.map((r) => [r.partition, r.committed, r.target])).toEqual([[1, 20, 3]]);
    expect(response.plan?.warnings).toContain(
      `only partition(s) 1 of ${topic}: the others keep their committed offsets`,
    );
    expect(response.result?.applied).toEqual([{ partition: 1, offset: 3 }]);
    expect(await committed(group)).toEqual([20, 3, 20]);
  });

  it('checkpoint --partitions 0,2 --execute restores those two to their checkpoints', async () => {
    // Prepare
    const group = uniqueName('g-some');
    await advance(group, [4, 5, 6]);
    await commit(group, [20, 20, 20]);
    const { run, json } = cli();

    // Act
    const code = await run(
      'checkpoint',
      '--group',
      group,
      '--topic',
      topic,
      '--partitions',
      '0,2',
      '--execute',
      '--json',
    );

    // Assess
    expect([code, json().result?.status]).toEqual([0, 'succeeded']);
    expect(json().plan?.rows.map((r) => [r.partition, r.target, r.source])).toEqual([
      [0, 4, 'checkpoint'],
      [2, 6, 'checkpoint'],
    ]);
    // Partition 1's checkpoint is left alone, not reported as a partition the topic lacks.
    expect(json().plan?.warnings).toEqual([
      `only partition(s) 0, 2 of ${topic}: the others keep their committed offsets`,
    ]);
    expect(await committed(group)).toEqual([4, 20, 6]);
  });

  it('file --from-file with --partitions takes those lines of an exported CSV and ignores the others', async () => {
    // Prepare
    const group = uniqueName('g-csv');
    await commit(group, [20, 20, 20]);
    const file = join(await mkdtemp(join(tmpdir(), 'mskguard-partitions-')), 'all.csv');
    await writeFile(file, `${topic},0,1\n${topic},1,2\n${topic},2,3\n`);
    const { run } = cli();

    // Act
    const code = await run(
      'file',
      '--group',
      group,
      '--topic',
      topic,
      '--from-file',
      file,
      '--partitions',
      '2',
      '--execute',
    );

    // Assess
    expect(code).toBe(0);
    expect(await committed(group)).toEqual([20, 20, 3]);
  });

  it('undo of a restore of some partitions puts back those partitions only', async () => {
    // Prepare: partition 1 restored to 3; then partition 0 moves on by itself.
    const group = uniqueName('g-undo');
    await commit(group, [20, 20, 20]);
    const restore = cli();
    await restore.run('file', '--group', group, '--topic', topic, '--offsets', '1=3', '--execute', '--json');
    const restoreId = restore.json().plan?.restoreId ?? '';
    await commit(group, [15, 3, 20]);
    const { run, json } = cli();

    // Act
    const code = await run('undo', restoreId, '--group', group, '--topic', topic, '--execute', '--json');

    // Assess
    expect([code, json().result?.status]).toEqual([0, 'succeeded']);
    expect(json().plan?.rows.map((r) => [r.partition, r.committed, r.target])).toEqual([[1, 3, 20]]);
    expect(await committed(group)).toEqual([15, 20, 20]);
  });
});

describe('restore of some partitions refuses bad input and changes nothing', () => {
  const cases: [string, string[], RegExp][] = [
    [
      'a partition the topic lacks',
      ['checkpoint', '--partitions', '0,5'],
      /has no partition 5 \(it has 0-2\)/,
    ],
    [
      'reprocess',
      ['checkpoint', '--partitions', '0', '--mode', 'reprocess'],
      /cannot be combined with mode reprocess/,
    ],
    ['a malformed list', ['checkpoint', '--partitions', '0,x'], /Invalid --partitions 0,x/],
    ['a descending range', ['checkpoint', '--partitions', '3-1'], /Invalid --partitions 3-1/],
    [
      'a partition twice',
      ['checkpoint', '--partitions', '1,0-1'],
      /Invalid --partitions 1,0-1: partition 1 is named twice/,
    ],
    ['malformed --offsets', ['file', '--offsets', '0:3'], /Invalid --offsets 0:3: expected PARTITION=OFFSET/],
    [
      '--offsets with another strategy',
      ['checkpoint', '--offsets', '0=3'],
      /--offsets is read by strategy file/,
    ],
    [
      '--offsets with --from-file',
      ['file', '--offsets', '0=3', '--from-file', 'x.csv'],
      /--from-file and --offsets cannot be combined/,
    ],
    [
      '--partitions on undo',
      ['undo', 'some-id', '--partitions', '0'],
      /no --from-file, --offsets, --partitions/,
    ],
  ];
  it.each(cases)('refuses %s with exit 2', async (_name, argv, message) => {
    // Prepare
    const group = uniqueName('g-bad');
    await advance(group, [4, 5, 6]);
    await commit(group, [20, 20, 20]);
    const { out, run } = cli();

    // Act
    const { code, text } = await usage(() => run(...argv, '--group', group, '--topic', topic, '--execute'));

    // Assess
    expect(code).toBe(2);
    expect(text + out.stderr).toMatch(message);
    expect(await committed(group)).toEqual([20, 20, 20]);
  });
});
