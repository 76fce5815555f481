// Every `mskguard` command line in README.md's sh blocks runs as written: with the block's `export`
// lines and its own VAR=value prefix as its whole environment (nothing from this machine, no AWS
// profile), it passes the command-line checks and reaches its clients. A line that left out the
// brokers, a table or a region exits 2 here, as it did for a reader who pasted it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '#shared/cli/command.ts';
import { createQuarantineCommands } from '#shared/cli/commands/quarantine.ts';
import { createRestoreCommands, type RestoreCliIo } from '#shared/cli/commands/restore.ts';
import { createStatusCommands } from '#shared/cli/commands/status.ts';

/** What a placeholder of the README stands for. */
const PLACEHOLDERS: Record<string, string> = {
  '<uuid>': '6f1c2a4e-0b9d-4c1e-9a57-3f0d2e1b7c88',
  '<restoreId>': '0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a',
};

interface Example {
  readonly line: string;
  readonly env: NodeJS.ProcessEnv;
  readonly argv: string[];
}

/** `A=1 B=2` words as an environment. */
function assignments(words: readonly string[]): NodeJS.ProcessEnv {
  return Object.fromEntries(words.map((w) => w.split(/=(.*)/s).slice(0, 2)));
}

/** The `mskguard` lines of README's sh blocks, each with the environment its block exported. */
function readmeExamples(): Example[] {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const examples: Example[] = [];
  for (const [, block = ''] of readme.matchAll(/^```sh\n([\s\S]*?)^```/gm)) {
    let exported: NodeJS.ProcessEnv = {};
    for (const raw of block.split('\n')) {
      const line = raw.replace(/\s+#.*$/, '').trim();
      const words = line.split(/\s+/).map((w) => PLACEHOLDERS[w] ?? w);
      if (words[0] === 'export') exported = { ...exported, ...assignments(words.slice(1)) };
      const at = words.indexOf('mskguard');
      if (at < 0 || !words.slice(0, at).every((w) => /^[A-Z_]+=/.test(w))) continue;
      examples.push({
        line,
        env: { ...exported, ...assignments(words.slice(0, at)) },
        argv: words.slice(at + 1),
      });
    }
  }
  return examples;
}

/** Thrown by every stand-in client: the command got past its checks. */
class Reached extends Error {}

/** Runs one command line over stand-in clients; `reached` says whether it opened one. */
async function run(example: Example): Promise<{ code: number; stderr: string; reached: boolean }> {
  let reached = false;
  let stderr = '';
  const open = (): never => {
    reached = true;
    throw new Reached('stand-in client');
  };
  const write = {
    stdout: () => {},
    stderr: (t: string) => {
      stderr += t;
    },
  };
  const noProfile = async () => undefined;
  const restoreIo: RestoreCliIo = {
    ...write,
    env: example.env,
    openClients: async () => open(),
    lambda: open,
    defaultRegion: noProfile,
  };
  const commands = [
    ...createRestoreCommands(restoreIo),
    ...createStatusCommands({
      ...write,
      env: example.env,
      isTty: false,
      openClients: async () => open(),
      sleep: async () => {},
      watching: () => false,
      defaultRegion: noProfile,
    }),
    ...createQuarantineCommands({
      dynamodb: () => ({ send: async () => open() }),
      kafka: async () => open(),
      out: () => {},
      err: () => {},
      env: example.env,
      defaultRegion: noProfile,
    }),
  ];
  const code = await runCli(commands, example.argv, 'mskguard', { ...write, env: {} });
  return { code, stderr, reached };
}

describe('README CLI examples', () => {
  const examples = readmeExamples();

  it('finds the examples of status, restore and quarantine', () => {
    // Assess
    const commands = new Set(examples.map((e) => e.argv.slice(0, 2).join(' ')));
    expect(commands).toEqual(
      new Set(['status --group', 'restore auto', 'restore undo', 'quarantine list', 'quarantine replay']),
    );
  });

  it.each(examples.map((e) => [e.line, e]))('%s passes its checks and connects', async (_, example) => {
    // Act
    const { code, stderr, reached } = await run(example as Example);

    // Assess
    expect(stderr).not.toMatch(/--help' for usage/);
    expect(code).not.toBe(2);
    expect(reached).toBe(true);
  });
});
