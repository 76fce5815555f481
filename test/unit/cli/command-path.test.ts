// The command line as an operator types it: options may come before the subcommand's word
// (`restore --group g --topic t checkpoint`, `quarantine --group g list`), and a flag's value is
// never read as a command word (`--group list` names the group `list`).
import { describe, expect, it } from 'vitest';
import { type Command, runCli } from '#shared/cli/command.ts';
import { createQuarantineCommands } from '#shared/cli/commands/quarantine.ts';
import { capturedRestoreIo, fakeRestoreClients, runRestore } from '#test/support/restore-cli.ts';

/** `tool` and `tool sub`, both with --group (-g) and --json; each run records what it was given. */
function tool() {
  const ran: { path: string; values: Record<string, unknown>; positionals: string[] }[] = [];
  const options = { group: { type: 'string', short: 'g' }, json: { type: 'boolean' } } as const;
  const command = (path: string[]): Command => ({
    path,
    summary: path.join(' '),
    help: `Usage: ${path.join(' ')}`,
    options,
    run: async ({ values, positionals }) => {
      ran.push({ path: path.join(' '), values: { ...values }, positionals });
      return 0;
    },
  });
  const out = { stdout: '', stderr: '' };
  const run = (...argv: string[]) =>
    runCli([command(['tool']), command(['tool', 'sub'])], argv, 'mskguard', {
      stdout: (t) => {
        out.stdout += t;
      },
      stderr: (t) => {
        out.stderr += t;
      },
      env: {},
    });
  return { ran, out, run };
}

describe('runCli: options before the command words', () => {
  it.each([
    [['tool', 'sub', '--group', 'g'], 'tool sub', 'g', []],
    [['tool', '--group', 'g', 'sub'], 'tool sub', 'g', []],
    [['tool', '-g', 'g', 'sub'], 'tool sub', 'g', []],
    [['tool', '--group=g', 'sub'], 'tool sub', 'g', []],
    [['tool', '--json', 'sub', 'extra'], 'tool sub', undefined, ['extra']],
    // The value of --group is the group, not the command word.
    [['tool', '--group', 'sub', 'sub'], 'tool sub', 'sub', []],
    [['tool', '--group', 'sub'], 'tool', 'sub', []],
    [['tool', 'sub', '--group', 'sub'], 'tool sub', 'sub', []],
    [['tool', '--', 'sub'], 'tool sub', undefined, []],
  ])('%j runs %s with --group %s and positionals %j', async (argv, path, group, positionals) => {
    // Prepare
    const { ran, run } = tool();

    // Act
    const code = await run(...argv);

    // Assess
    expect(code).toBe(0);
    expect(ran).toEqual([{ path, values: expect.anything(), positionals }]);
    expect(ran[0]?.values.group).toBe(group);
  });

  it('--help after options prints the help of the command they precede', async () => {
    // Prepare
    const { out, run } = tool();

    // Act
    const code = await run('tool', '--group', 'g', 'sub', '--help');

    // Assess
    expect(code).toBe(0);
    expect(out.stdout).toBe('Usage: tool sub\n');
  });

  it('an unknown command is named without the values of its flags', async () => {
    // Prepare
    const { out, run } = tool();

    // Act
    const code = await run('nope', '--group', 'g');

    // Assess
    expect(code).toBe(2);
    expect(out.stderr).toMatch(/^Unknown command: nope\n/);
  });
});

describe('runCli: sibling commands with different flags', () => {
  /** `tool a` knows --group; `tool b` also knows --by, a flag whose value may spell `a`. */
  function siblings() {
    const ran: { path: string; values: Record<string, unknown> }[] = [];
    const out = { stdout: '', stderr: '' };
    const command = (path: string[], options: Command['options']): Command => ({
      path,
      summary: path.join(' '),
      help: `Usage: ${path.join(' ')}`,
      options,
      run: async ({ values }) => {
        ran.push({ path: path.join(' '), values: { ...values } });
        return 0;
      },
    });
    const group = { group: { type: 'string' } } as const;
    const commands = [
      command(['tool', 'a'], group),
      command(['tool', 'b'], { ...group, by: { type: 'string' } }),
    ];
    const run = (...argv: string[]) =>
      runCli(commands, argv, 'mskguard', {
        stdout: (t) => {
          out.stdout += t;
        },
        stderr: (t) => {
          out.stderr += t;
        },
        env: {},
      });
    return { ran, out, run };
  }

  it("a flag only `tool b` knows, valued 'a', before the word b runs tool b", async () => {
    // Prepare
    const { ran, out, run } = siblings();

    // Act
    const code = await run('tool', '--by', 'a', 'b', '--group', 'g');

    // Assess
    expect(out.stderr).toBe('');
    expect(code).toBe(0);
    expect(ran).toEqual([{ path: 'tool b', values: { by: 'a', group: 'g' } }]);
  });

  it('--help there prints the help of tool b', async () => {
    // Prepare
    const { out, run } = siblings();

    // Act
    const code = await run('tool', '--by', 'a', 'b', '--help');

    // Assess
    expect(code).toBe(0);
    expect(out.stdout).toBe('Usage: tool b\n');
  });

  it('a flag neither knows is refused by the command its words name', async () => {
    // Prepare
    const { ran, out, run } = siblings();

    // Act
    const code = await run('tool', 'a', '--nope');

    // Assess
    expect(code).toBe(2);
    expect(ran).toEqual([]);
    expect(out.stderr).toMatch(/Unknown option '--nope'/);
    expect(out.stderr).toMatch(/mskguard tool a --help/);
  });
});

describe('mskguard restore and quarantine with options first', () => {
  it('restore --group g --topic orders file --offsets 0=5 runs the file strategy (dry run)', async () => {
    // Prepare
    const { out, io } = capturedRestoreIo(fakeRestoreClients(), {});

    // Act
    const code = await runRestore(io, ['--group', 'g', '--topic', 'orders', 'file', '--offsets', '0=5']);

    // Assess
    expect(out.stderr).not.toMatch(/Unknown strategy/);
    expect(code).toBe(0);
    expect(out.stdout).toMatch(/^restore g\/orders dry run/m);
  });

  it('quarantine --group g list lists the group', async () => {
    // Prepare
    const seen = { stdout: '', stderr: '' };
    const commands = createQuarantineCommands({
      dynamodb: () => ({ send: async () => ({ Items: [] }) }),
      out: (line) => {
        seen.stdout += `${line}\n`;
      },
      err: (line) => {
        seen.stderr += `${line}\n`;
      },
      env: {},
    });
    const argv = [
      'quarantine',
      '--group',
      'g',
      'list',
      '--quarantine-table',
      'q',
      '--endpoint',
      'http://x:1',
    ];

    // Act
    const code = await runCli(commands, argv, 'mskguard', {
      stdout: (t) => {
        seen.stdout += t;
      },
      stderr: (t) => {
        seen.stderr += t;
      },
      env: {},
    });

    // Assess
    expect(seen.stderr).toBe('');
    expect(code).toBe(0);
    expect(seen.stdout).toBe('0 records\n');
  });
});
