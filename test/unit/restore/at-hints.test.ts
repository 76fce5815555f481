// Every message about --at shows relative times in a form the command line takes: `--at=-2h` or
// `--at 2h`. node's parseArgs refuses `--at -2h` (it reads like an option), so a hint that says
// "relative such as -2h" sends the reader into a second error.
import { describe, expect, it } from 'vitest';
import type { RestoreCliIo } from '#shared/cli/commands/restore.ts';
import { historySource } from '#shared/restore/sources.ts';
import { capturedRestoreIo, fakeRestoreClients, runRestore } from '#test/support/restore-cli.ts';

const openClients = fakeRestoreClients();

/** `mskguard restore <argv> --group g --topic orders` over a stand-in broker. */
async function restore(...argv: string[]) {
  const { out, io } = capturedRestoreIo(openClients as RestoreCliIo['openClients'], {});
  const code = await runRestore(io, [...argv, '--group', 'g', '--topic', 'orders']);
  return { code, ...out };
}

/** The relative times a message suggests, as command-line arguments (`--at=-2h`, `--at 2h`). */
function suggestedForms(message: string): string[][] {
  return [...message.matchAll(/--at(=| )(-?\d+(?:\.\d+)?[smhd])\b/g)].map(([, sep, value]) =>
    sep === '=' ? [`--at=${value}`] : ['--at', value as string],
  );
}

/** What each message about --at says, reached the way a user reaches it. */
const MESSAGES: [string, () => Promise<string>][] = [
  ['history without --at', async () => (await restore('history')).stderr],
  ['a misspelt --at', async () => (await restore('timestamp', '--at=yesterday')).stderr],
  [
    'an --at far in the future',
    async () => (await restore('timestamp', '--at', '2999-01-01T00:00:00Z')).stderr,
  ],
  [
    'a source asked without a time',
    async () =>
      historySource({} as never, {
        group: 'g',
        topic: 'orders',
        partitions: [],
        at: null,
        now: new Date(),
      }).then(
        () => '',
        (e: Error) => e.message,
      ),
  ],
];

describe('--at hints', () => {
  it.each(MESSAGES)('%s: the relative times shown are ones the command line takes', async (_, message) => {
    // Act
    const text = await message();
    const forms = suggestedForms(text);

    // Assess: no bare "-2h" after "such as", "e.g." or "(", and each form shown is accepted.
    expect(text).toMatch(/--at/);
    expect(text).not.toMatch(/(?:such as |e\.g\. |\(|, )-?\d+(?:\.\d+)?[smhd]\b/);
    expect(forms.length).toBeGreaterThan(0);
    for (const form of forms) {
      const { code, stderr } = await restore('timestamp', ...form);
      expect(code, `${form.join(' ')}: ${stderr}`).not.toBe(2);
    }
  });
});
