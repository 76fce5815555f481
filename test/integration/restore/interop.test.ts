// Design §11 (plans interoperate with kafka-consumer-groups) and G6 (bad input gets a typed error,
// nothing changed): a plan round-trips through Apache Kafka's own ConsumerGroupCommand (kafka-tools
// 3.9.1 from Maven Central) in both directions on the real broker; `restore file` refuses CSVs with
// missing or unknown partitions, non-numeric offsets and offsets outside [low, high] (unless
// --clamp), changing nothing; timestamp plans and dry-runs with no checkpoint table, and --execute
// says it needs the audit table.

import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { kafkaConsumerGroups } from '#local/kafka-tools.ts';
import { runCli } from '#shared/cli/command.ts';
import { createRestoreCommands, type RestoreCliIo } from '#shared/cli/commands/restore.ts';
import { openRestoreClients } from '#shared/restore/clients.ts';
import type { RestoreResponse } from '#shared/restore/engine.ts';
import { restoreFixture } from '#test/support/restore-fixture.ts';
import { uniqueName } from '#test/support/stack.ts';

const PARTITIONS = 3;
const fx = restoreFixture('restore-interop');
const { env, tables, topic, commit, committed, advance } = fx;
let dir = '';
let tool: ReturnType<typeof kafkaConsumerGroups>;

/** Usage errors are printed by runCli on the process's stderr (with a pointer to --help), not through the io. */
async function usageText(run: () => Promise<number>): Promise<{ code: number; text: string }> {
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

function cli(tableFlags: readonly string[] = ['--audit-table', tables.audit]) {
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
  const run = (...argv: string[]) =>
    runCli(createRestoreCommands(io), ['restore', ...argv, '--region', 'us-east-1', ...tableFlags]);
  return { out, run };
}

async function csv(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mskguard-interop-'));
  tool = kafkaConsumerGroups();
  await fx.open(PARTITIONS);
  await fx.produce(PARTITIONS, PARTITIONS * 20, Date.now() - 60_000);
});
afterAll(() => fx.close());

describe('restore plans round-trip through kafka-consumer-groups', () => {
  it('mskguard --export -> kafka-consumer-groups --from-file --execute sets the planned targets', async () => {
    // Prepare
    const group = uniqueName('g-export');
    await advance(group, [4, 5, 6]);
    await commit(group, [20, 20, 20]);
    const file = join(dir, 'export.csv');
    const { run } = cli(['--checkpoint-table', tables.checkpoints]);

    // Act
    const code = await run('checkpoint', '--group', group, '--topic', topic, '--export', file);
    const reset = await tool([
      '--bootstrap-server',
      env.KAFKA_BROKERS,
      '--group',
      group,
      '--reset-offsets',
      '--from-file',
      file,
      '--execute',
    ]);

    // Assess
    expect(code).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(`${topic},0,4\n${topic},1,5\n${topic},2,6\n`);
    expect(reset.stdout).toMatch(new RegExp(`${group}\\s+${topic}\\s+0\\s+4`));
    expect(await committed(group)).toEqual([4, 5, 6]);
  });

  it('kafka-consumer-groups --dry-run --export -> mskguard restore file --execute sets its targets', async () => {
    // Prepare
    const group = uniqueName('g-import');
    await commit(group, [20, 20, 20]);
    const exported = await tool([
      '--bootstrap-server',
      env.KAFKA_BROKERS,
      '--group',
      group,
      '--topic',
      topic,
      '--reset-offsets',
      '--to-offset',
      '7',
      '--dry-run',
      '--export',
    ]);
    const file = await csv('from-kafka.csv', exported.stdout);
    const { out, run } = cli();

    // Act
    const code = await run(
      'file',
      '--group',
      group,
      '--topic',
      topic,
      '--from-file',
      file,
      '--execute',
      '--json',
    );

    // Assess
    const response = JSON.parse(out.stdout) as RestoreResponse;
    // Jackson quotes the topic name (it holds '-'); the file is read as the tool wrote it.
    expect(exported.stdout.trim().split('\n').sort()).toEqual([
      `"${topic}",0,7`,
      `"${topic}",1,7`,
      `"${topic}",2,7`,
    ]);
    expect([code, response.result?.status, response.result?.verified]).toEqual([0, 'succeeded', true]);
    expect(response.plan?.rows.map((r) => [r.partition, r.target, r.source])).toEqual([
      [0, 7, 'file'],
      [1, 7, 'file'],
      [2, 7, 'file'],
    ]);
    expect(await committed(group)).toEqual([7, 7, 7]);
  });
});

describe('restore file refuses bad CSVs with a typed error and changes nothing', () => {
  const cases = [
    {
      name: 'a missing partition',
      text: (t: string) => `${t},0,1\n${t},1,1\n`,
      error: /PartitionMismatchError: .*no target for partition\(s\) 2/,
      code: 2,
    },
    {
      name: 'an unknown partition',
      text: (t: string) => `${t},0,1\n${t},1,1\n${t},2,1\n${t},9,1\n`,
      error: /PartitionMismatchError: .*partition\(s\) 9 that/,
      code: 2,
    },
    {
      name: 'a non-numeric offset',
      text: (t: string) => `${t},0,1\n${t},1,abc\n${t},2,1\n`,
      error: /OffsetsFileError: Line 2: offset "abc"/,
      code: 2,
    },
    {
      name: 'another topic',
      text: () => 'other,0,1\n',
      error: /OffsetsFileError: Line 1: topic other/,
      code: 2,
    },
    {
      name: 'an offset above the end of the log',
      text: (t: string) => `${t},0,1\n${t},1,999\n${t},2,1\n`,
      error: /would be REFUSED/,
      code: 3,
    },
  ];
  for (const c of cases) {
    it(`refuses ${c.name}`, async () => {
      // Prepare
      const group = uniqueName('g-badcsv');
      await commit(group, [3, 3, 3]);
      const file = await csv(`${c.name.replaceAll(' ', '-')}.csv`, c.text(topic));
      const { out, run } = cli();

      // Act
      const code = await run('file', '--group', group, '--topic', topic, '--from-file', file);
      const executed = await run(
        'file',
        '--group',
        group,
        '--topic',
        topic,
        '--from-file',
        file,
        '--execute',
      );

      // Assess
      expect([code, executed]).toEqual([c.code, c.code]);
      expect(`${out.stdout}${out.stderr}`).toMatch(c.error);
      expect(await committed(group)).toEqual([3, 3, 3]);
    });
  }

  it('clamps an offset above the end of the log with --clamp', async () => {
    // Prepare
    const group = uniqueName('g-clamp');
    await commit(group, [3, 3, 3]);
    const file = await csv('clamp.csv', `${topic},0,1\n${topic},1,999\n${topic},2,1\n`);
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
      '--clamp',
      '--execute',
    );

    // Assess
    expect(code).toBe(0);
    expect(await committed(group)).toEqual([1, 20, 1]);
  });
});

describe('only what a strategy reads is required', () => {
  it('timestamp plans and dry-runs with no DynamoDB table at all', async () => {
    // Prepare
    const group = uniqueName('g-ts');
    await commit(group, [20, 20, 20]);
    const { out, run } = cli([]);

    // Act
    const code = await run('timestamp', '--group', group, '--topic', topic, '--at=-2h');

    // Assess
    expect(code).toBe(0);
    expect(out.stdout).toMatch(/dry run: 3 of 3 partition\(s\) would move; nothing was changed/);
    expect(await committed(group)).toEqual([20, 20, 20]);
  });

  it('--execute without the audit table says that it needs it, and changes nothing', async () => {
    // Prepare
    const group = uniqueName('g-ts-exec');
    await commit(group, [20, 20, 20]);
    const { run } = cli([]);

    // Act
    const { code, text } = await usageText(() =>
      run('timestamp', '--group', group, '--topic', topic, '--at=-2h', '--execute'),
    );

    // Assess
    expect(code).toBe(2);
    expect(text).toMatch(/--execute needs --audit-table .*every executed restore is audited/);
    expect(await committed(group)).toEqual([20, 20, 20]);
  });

  it('checkpoint without the checkpoint table names the missing option', async () => {
    // Prepare
    const { run } = cli([]);

    // Act
    const { code, text } = await usageText(() =>
      run('checkpoint', '--group', uniqueName('g-ck'), '--topic', topic),
    );

    // Assess
    expect(code).toBe(2);
    expect(text).toMatch(/No checkpoint table \(strategy checkpoint reads it\)/);
  });
});
