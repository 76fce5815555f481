// G6 (clear, typed errors) for `mskguard restore --export`: a file that cannot be written is a usage
// error before anything runs (exit 2, naming the path), and a write that fails after an executed
// restore is a warning that leaves the restore's answer and exit code as they are.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RestoreCliIo } from '#shared/cli/commands/restore.ts';
import type { RestoreClients } from '#shared/restore/clients.ts';
import type { RestoreResponse } from '#shared/restore/engine.ts';
import { MemoryCheckpointStore } from '#shared/testing/memory-checkpoint-store.ts';
import {
  capturedRestoreIo,
  fakeRestoreAdmin,
  runRestore,
  UNUSED_CONSUMER_OFFSETS,
} from '#test/support/restore-cli.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mskguard-export-'));
  dirs.push(dir);
  return dir;
}

/**
 * Group g on orders (committed 3, checkpoint 42) whose commits are read back, an audit store, and
 * `whenOpened` run as the restore connects (after the CLI checked its flags and files).
 */
function cli(whenOpened: () => void = () => {}) {
  const opened: string[] = [];
  let committed = '3';
  const openClients = async (): Promise<RestoreClients> => {
    opened.push('opened');
    whenOpened();
    const checkpoints = new MemoryCheckpointStore();
    await checkpoints.advance('g', [{ topic: 'orders', partition: 0, nextOffset: 42 }], {
      requestId: 'req',
      epoch: 0,
    });
    const admin = {
      ...fakeRestoreAdmin(),
      setOffsets: async ({ partitions }: { partitions: { offset: string }[] }) => {
        committed = partitions[0]!.offset;
      },
      fetchOffsets: async () => [
        { topic: 'orders', partitions: [{ partition: 0, offset: committed, metadata: null }] },
      ],
    };
    const audit = { start: async () => ({ pk: 'g', sk: 's' }), finish: async () => {} };
    return {
      deps: { admin, checkpoints, consumerOffsets: UNUSED_CONSUMER_OFFSETS, audit },
      close: async () => {},
    };
  };
  const { out, io } = capturedRestoreIo(openClients as RestoreCliIo['openClients'], {
    MSKGUARD_CHECKPOINT_TABLE: 'ckpt',
    MSKGUARD_AUDIT_TABLE: 'audit',
  });
  const run = (...argv: string[]) =>
    runRestore(io, ['checkpoint', '--group', 'g', '--topic', 'orders', ...argv]);
  return { out, opened, run, committed: () => committed };
}

describe('mskguard restore --export', () => {
  it.each([
    ['--execute', ['--execute']],
    ['a dry run', []],
  ])('with %s, a path in a missing directory exits 2 naming it, before anything runs', async (_name, flags) => {
    // Prepare
    const path = join(tempDir(), 'missing', 'plan.csv');
    const { out, opened, run, committed } = cli();

    // Act
    const code = await run(...flags, '--export', path);

    // Assess
    expect(code).toBe(2);
    expect(out.stderr).toContain(
      `Cannot write --export ${path}: its directory does not exist. Nothing was run`,
    );
    expect(out.stderr).not.toMatch(/ENOENT/);
    expect(opened).toEqual([]);
    expect(committed()).toBe('3');
  });

  it('with --json, a path that is a directory is a usage error in the JSON answer', async () => {
    // Prepare
    const dir = tempDir();
    const { out, run } = cli();

    // Act
    const code = await run('--export', dir, '--json');

    // Assess
    expect(code).toBe(2);
    expect(JSON.parse(out.stdout)).toMatchObject({
      ok: false,
      exitCode: 2,
      plan: null,
      error: {
        name: 'UsageError',
        kind: 'usage',
        message: expect.stringContaining(`Cannot write --export ${dir}: it is a directory.`),
      },
    });
  });

  it('a write that fails after an executed restore warns and keeps its answer and exit code', async () => {
    // Prepare: the directory goes away while the restore runs.
    const dir = tempDir();
    const path = join(dir, 'plan.csv');
    const { out, run, committed } = cli(() => rmSync(dir, { recursive: true, force: true }));

    // Act
    const code = await run('--execute', '--export', path, '--json');

    // Assess
    expect(code).toBe(0);
    expect(committed()).toBe('42');
    const response = JSON.parse(out.stdout) as RestoreResponse;
    expect(response).toMatchObject({ ok: true, exitCode: 0, result: { status: 'succeeded' } });
    expect(response.result?.restoreId).toBe(response.plan?.restoreId);
    expect(out.stderr).toContain(
      `[restore] WARNING: --export ${path} not written (its directory does not exist). The restore's answer ` +
        `below stands (restore ${response.plan?.restoreId})`,
    );
  });

  it('writes the plan after a dry run, and removes a file it created when there is no plan', async () => {
    // Prepare
    const dir = tempDir();
    const written = join(dir, 'plan.csv');
    const unused = join(dir, 'unused.csv');

    // Act
    const ok = await cli().run('--export', written);
    const failed = await cli(() => {
      throw new Error('connect ECONNREFUSED');
    }).run('--export', unused);

    // Assess
    expect(ok).toBe(0);
    expect(readFileSync(written, 'utf8')).toBe('orders,0,42\n');
    expect(failed).toBe(1);
    expect(existsSync(unused)).toBe(false);
  });
});
