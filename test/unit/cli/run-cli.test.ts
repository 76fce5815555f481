// G6 (clear, typed errors) at the CLI's door: whatever a command throws, a person reads one line
// (plus the next step) and never a stack trace; a usage error points to --help instead of burying
// the message under it; with --json a script reads the error as JSON on stdout; --version prints
// the package's version and a bare `mskguard` is a usage error.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type CliOptions, type Command, runCli, UsageError } from '#shared/cli/command.ts';
import { packageVersion } from '#shared/cli/version.ts';
import { MskGuardError } from '#shared/errors.ts';

/** An error kafkajs would throw: not a MskGuardError, with a stack that must stay hidden. */
function kafkaError(): Error {
  const error = new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1');
  error.name = 'KafkaJSConnectionError';
  return error;
}

class HintedError extends MskGuardError {
  public readonly hint = 'Check --brokers.';
}

function command(fails: () => unknown, json = true): Command {
  return {
    path: ['probe'],
    summary: 'a command that fails',
    help: 'Usage: mskguard probe [--json]\n\nline\nline\nline',
    options: json ? { json: { type: 'boolean' }, name: { type: 'string' } } : { name: { type: 'string' } },
    run: async () => {
      throw fails();
    },
  };
}

async function run(commands: readonly Command[], argv: string[], options: Partial<CliOptions> = {}) {
  const out = { stdout: '', stderr: '' };
  const code = await runCli(commands, argv, 'mskguard', {
    stdout: (t) => {
      out.stdout += t;
    },
    stderr: (t) => {
      out.stderr += t;
    },
    env: {},
    ...options,
  });
  return { code, ...out };
}

describe('runCli errors', () => {
  it('prints any other error as one line name: message, exit 1, no stack trace', async () => {
    // Act
    const { code, stdout, stderr } = await run([command(kafkaError)], ['probe']);

    // Assess
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe(
      'KafkaJSConnectionError: Connection error: connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('prints the stack trace too with MSKGUARD_DEBUG=1', async () => {
    // Act
    const { code, stderr } = await run([command(kafkaError)], ['probe'], { env: { MSKGUARD_DEBUG: '1' } });

    // Assess
    expect(code).toBe(1);
    expect(stderr).toMatch(/^\s+at /m);
  });

  it("prints a typed error's hint on the line after its message", async () => {
    // Act
    const { code, stderr } = await run([command(() => new HintedError('No broker answered.'))], ['probe']);

    // Assess
    expect(code).toBe(1);
    expect(stderr).toBe('HintedError: No broker answered.\nCheck --brokers.\n');
  });

  it.each([
    [['probe', '--name', 'x'], 'Missing --group.'],
    [['probe', '--bogus'], "Unknown option '--bogus'"],
  ])('a usage error (%j) prints its message and a pointer to --help, not the help; exit 2', async (argv, message) => {
    // Act
    const { code, stdout, stderr } = await run(
      [command(() => new UsageError('Missing --group.'), false)],
      argv,
    );

    // Assess
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(message);
    expect(lines[1]).toBe("Run 'mskguard probe --help' for usage.");
  });

  it.each([
    [
      'a usage error',
      () => new UsageError('Missing --group.'),
      ['probe', '--json'],
      2,
      'UsageError',
      'usage',
    ],
    ['a bad option', () => new Error('unused'), ['probe', '--json', '--bogus'], 2, 'UsageError', 'usage'],
    [
      'a typed error',
      () => new HintedError('No broker answered.'),
      ['probe', '--json'],
      1,
      'HintedError',
      'error',
    ],
    ['any other error', kafkaError, ['probe', '--json'], 1, 'KafkaJSConnectionError', 'error'],
  ])('with --json, %s is JSON on stdout with its exit code', async (_what, fails, argv, exitCode, name, kind) => {
    // Prepare: the command's own answer has plan and result (like restore's).
    const probe = { ...command(fails), jsonErrorFields: { plan: null, result: null } };

    // Act
    const { code, stdout } = await run([probe], argv);

    // Assess
    expect(code).toBe(exitCode);
    expect(JSON.parse(stdout)).toMatchObject({
      ok: false,
      exitCode,
      plan: null,
      result: null,
      error: { name, kind, message: expect.any(String) },
    });
  });
});

describe('runCli without a command', () => {
  const version = () => '9.8.7';

  it.each([['--version'], ['-v']])('%s prints the version on stdout, exit 0', async (flag) => {
    // Act
    const { code, stdout, stderr } = await run([command(kafkaError)], [flag], { version });

    // Assess
    expect(code).toBe(0);
    expect(stdout).toBe('9.8.7\n');
    expect(stderr).toBe('');
  });

  it('a bare mskguard prints the help on stderr and exits 2; --help prints it on stdout, exit 0', async () => {
    // Act
    const bare = await run([command(kafkaError)], [], { version });
    const help = await run([command(kafkaError)], ['--help'], { version });

    // Assess
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toMatch(/^Usage: mskguard <command>/);
    expect(bare.stderr).toMatch(/mskguard probe\s+a command that fails/);
    expect(help.code).toBe(0);
    expect(help.stdout).toBe(bare.stderr);
  });
});

describe('packageVersion', () => {
  it("reads the repository's package.json from the CLI's sources", () => {
    // Prepare
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));

    // Act
    const version = packageVersion(new URL('../../../shared/cli/main.ts', import.meta.url));

    // Assess
    expect(version).toBe(pkg.version);
  });

  it('reads the installed package.json from the build (dist/shared/cli/main.js), not another one', () => {
    // Prepare: an application with its own package.json that installed mskguard.
    const app = mkdtempSync(join(tmpdir(), 'mskguard-version-'));
    const root = join(app, 'node_modules', 'mskguard');
    mkdirSync(join(root, 'dist', 'shared', 'cli'), { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0' }));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'mskguard', version: '2.3.4' }));

    // Act
    const version = packageVersion(pathToFileURL(join(root, 'dist', 'shared', 'cli', 'main.js')));

    // Assess
    expect(version).toBe('2.3.4');
  });
});
