// G6 (clear, typed errors): a partition the topic does not have is refused with a message that names
// where that partition came from, in the caller's words: the flag the CLI was given (--offsets or
// --partitions), the restore Lambda request's field, or the audit item an undo read.
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '#shared/cli/command.ts';
import { createRestoreCommands, type RestoreCliIo } from '#shared/cli/commands/restore.ts';
import { planRestore } from '#shared/restore/plan.ts';
import { capturedRestoreIo, fakeRestoreClients } from '#test/support/restore-cli.ts';
import { restoreLambda } from './lambda-fixtures.ts';

/** The topic `orders` has one partition: 0. */
const openClients = fakeRestoreClients();

/** Runs the CLI; usage errors are printed by runCli on the process's stderr. */
async function cli(...argv: string[]): Promise<{ code: number; text: string }> {
  const { out, io } = capturedRestoreIo(openClients as RestoreCliIo['openClients'], {});
  let text = '';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    text += String(chunk);
    return true;
  });
  try {
    const code = await runCli(createRestoreCommands(io), [
      'restore',
      ...argv,
      '--group',
      'g',
      '--topic',
      'orders',
    ]);
    return { code, text: text + out.stderr };
  } finally {
    spy.mockRestore();
  }
}

describe('a partition the topic does not have', () => {
  it.each([
    ['--offsets', ['file', '--offsets', '5=1'], 'check --offsets.'],
    ['--partitions', ['file', '--offsets', '0=1', '--partitions', '0,5'], 'check --partitions.'],
    ['--partitions', ['timestamp', '--at=-1h', '--partitions', '5'], 'check --partitions.'],
  ])('the CLI names %s, the flag that gave it (%j)', async (_flag, argv, check) => {
    // Act
    const { code, text } = await cli(...argv);

    // Assess
    expect(code).toBe(2);
    expect(text).toContain(`Topic orders has no partition 5 (it has 0-0): ${check}`);
  });

  it("the restore Lambda names its request's field, not a flag", async () => {
    // Prepare
    const handler = restoreLambda(openClients);

    // Act
    const response = await handler({
      group: 'g',
      topic: 'orders',
      strategy: 'file',
      offsets: [{ partition: 5, offset: 1 }],
      partitions: [5],
    });

    // Assess
    expect(response).toMatchObject({
      exitCode: 2,
      error: { message: "Topic orders has no partition 5 (it has 0-0): check the request's partitions." },
    });
  });

  it('an undo names the audit item its partitions came from', async () => {
    // Prepare
    const { deps } = await openClients();
    const undoes = '0b0f5f0e-5d7c-4a55-9d0b-1f0f3a7c2d11';

    // Act
    const planned = planRestore(
      {
        group: 'g',
        topic: 'orders',
        strategy: 'undo',
        undoes,
        offsets: [{ partition: 5, offset: 1 }],
        partitions: [5],
      },
      deps,
    );

    // Assess
    await expect(planned).rejects.toThrow(
      `Topic orders has no partition 5 (it has 0-0): check the partitions of restore ${undoes} (its audit item).`,
    );
  });
});
