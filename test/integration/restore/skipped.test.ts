// Decision 0018 as the operator sees it before `--execute`: a `recover` dry run names, per
// partition, the skipped offsets of the current checkpoint that its rewind gets processed, in the
// table's text and in --json; `reprocess` and a plan without a checkpoint table say nothing of
// them; and the checkpoints are read once per plan. Real broker and DynamoDB Local (checkpoints
// written with skipped ranges by DynamoCheckpointStore.advance), through the CLI's real clients.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '#shared/cli/command.ts';
import { createRestoreCommands } from '#shared/cli/commands/restore.ts';
import { openRestoreClients } from '#shared/restore/clients.ts';
import type { RestoreResponse } from '#shared/restore/engine.ts';
import { storeWith } from '#test/support/checkpoint-fixture.ts';
import { capturedRestoreIo } from '#test/support/restore-cli.ts';
import { restoreFixture } from '#test/support/restore-fixture.ts';
import { uniqueName } from '#test/support/stack.ts';

const fx = restoreFixture('restore-skipped');
const { env, tables, checkpoints, topic, commit } = fx;

/** The CLI on the local stack, counting the checkpoint store's listCurrent calls. */
function cli(options: { checkpointTable?: boolean } = {}) {
  let listCurrent = 0;
  const { out, io } = capturedRestoreIo(
    async (config) => {
      const clients = await openRestoreClients(config);
      const store = clients.deps.checkpoints;
      const counted = storeWith(store, {
        listCurrent: (group, t) => {
          listCurrent++;
          return store.listCurrent(group, t);
        },
      });
      return { ...clients, deps: { ...clients.deps, checkpoints: counted } };
    },
    { KAFKA_BROKERS: env.KAFKA_BROKERS, DYNAMODB_ENDPOINT: env.DYNAMODB_ENDPOINT, USER: 'oncall' },
  );
  const flags = [
    ...(options.checkpointTable === false ? [] : ['--checkpoint-table', tables.checkpoints]),
    '--region',
    'us-east-1',
  ];
  const run = (...argv: string[]) => runCli(createRestoreCommands(io), ['restore', ...argv, ...flags]);
  const json = () => JSON.parse(out.stdout) as RestoreResponse;
  return { out, run, json, listCurrentCalls: () => listCurrent };
}

/**
 * Checkpoints at 2, 5 and 8 (history at the returned time), then at 10 after partitions 0 and 1
 * skipped offsets, as the guard records a batch Lambda gave up on; the group committed 10.
 */
async function groupThatSkipped(): Promise<{ group: string; at: string }> {
  const group = uniqueName('g-skip');
  await fx.advance(group, [2, 5, 8]);
  await sleep(30);
  const at = new Date().toISOString();
  await sleep(30);
  await checkpoints.advance(
    group,
    [
      {
        topic,
        partition: 0,
        nextOffset: 10,
        skipped: [
          { first: 2, last: 4 },
          { first: 7, last: 7 },
        ],
      },
      { topic, partition: 1, nextOffset: 10, skipped: [{ first: 3, last: 6 }] },
      { topic, partition: 2, nextOffset: 10 },
    ],
    { requestId: uniqueName('req'), epoch: 0 },
  );
  await commit(group, [10, 10, 10]);
  return { group, at };
}

const LINES = /^skipped offsets this restore gets processed[^\n]*\n[^\n]*\n((?: {2}partition [^\n]*\n)+)/m;

beforeAll(async () => {
  await fx.open(3);
  await fx.produce(3, 36, Date.now() - 60_000);
});
afterAll(() => fx.close());

describe('restore dry run: skipped offsets', () => {
  it('recover names the skipped offsets at or after each target, in the text and in --json, reading the checkpoints once', async () => {
    // Prepare
    const { group, at } = await groupThatSkipped();
    const [text, json, checkpoint, auto] = [cli(), cli(), cli(), cli()];

    // Act
    const codes = [
      await text.run('history', '--group', group, '--topic', topic, '--at', at),
      await json.run('history', '--group', group, '--topic', topic, '--at', at, '--json'),
      await checkpoint.run('checkpoint', '--group', group, '--topic', topic, '--json'),
      await auto.run('auto', '--group', group, '--topic', topic, '--json'),
    ];

    // Assess
    expect(codes).toEqual([0, 0, 0, 0]);
    expect(text.out.stdout.match(LINES)?.[1]).toBe('  partition 0: 2-4, 7\n  partition 1: 5-6\n');
    const { plan } = json.json();
    expect(plan?.rows.map((r) => [r.target, r.skipped])).toEqual([
      [
        2,
        [
          { first: 2, last: 4 },
          { first: 7, last: 7 },
        ],
      ],
      [5, [{ first: 5, last: 6 }]],
      [8, undefined],
    ]);
    expect(plan?.warnings.filter((w) => w.includes('skipped'))).toEqual([]);
    // At the checkpoint itself nothing skipped lies ahead; checkpoint and auto reuse their read.
    for (const { json: answer } of [checkpoint, auto])
      expect(answer().plan?.rows.map((r) => [r.target, r.skipped ?? []])).toEqual(Array(3).fill([10, []]));
    expect([text, json, checkpoint, auto].map((c) => c.listCurrentCalls())).toEqual([1, 1, 1, 1]);
  });

  it('reprocess names none: it delivers every record after the target anyway', async () => {
    // Prepare
    const { group, at } = await groupThatSkipped();
    const [recover, reprocess] = [cli(), cli()];
    const args = ['history', '--group', group, '--topic', topic, '--at', at, '--json'];

    // Act
    await recover.run(...args);
    const code = await reprocess.run(...args, '--mode', 'reprocess');

    // Assess
    expect(code).toBe(0);
    const skipped = (c: ReturnType<typeof cli>) => c.json().plan?.rows.map((r) => r.skipped?.length ?? 0);
    expect([skipped(recover), skipped(reprocess)]).toEqual([
      [2, 1, 0],
      [0, 0, 0],
    ]);
    expect(reprocess.listCurrentCalls()).toBe(0);
  });

  it('file names them with a checkpoint table, and without one plans as before', async () => {
    // Prepare
    const { group } = await groupThatSkipped();
    const dir = await mkdtemp(join(tmpdir(), 'mskguard-skipped-'));
    const file = join(dir, 'offsets.csv');
    await writeFile(file, `${topic},0,3\n${topic},1,0\n${topic},2,0\n`);
    const withTable = cli();
    const withoutTable = cli({ checkpointTable: false });

    // Act
    const args = ['file', '--group', group, '--topic', topic, '--from-file', file];
    const codes = [await withTable.run(...args), await withoutTable.run(...args, '--json')];

    // Assess
    expect(codes).toEqual([0, 0]);
    expect(withTable.out.stdout.match(LINES)?.[1]).toBe('  partition 0: 3-4, 7\n  partition 1: 3-6\n');
    const { plan } = withoutTable.json();
    expect(plan?.rows.map((r) => [r.target, r.skipped])).toEqual([
      [3, undefined],
      [0, undefined],
      [0, undefined],
    ]);
    expect(plan?.warnings).toEqual([]);
  });
});
