import { type ParseArgsConfig, parseArgs } from 'node:util';
import { MskGuardError } from '../errors.ts';

/** A CLI command: its name path (e.g. `stack up`), a one-line summary, its help text and its action. */
export interface Command {
  readonly path: readonly string[];
  readonly summary: string;
  /** Full help shown by `--help`: usage, options, examples. */
  readonly help: string;
  readonly options?: ParseArgsConfig['options'];
  /** Returns the process exit code. */
  run(args: { values: Record<string, unknown>; positionals: string[] }): Promise<number>;
}

/** Thrown for bad command-line usage; printed with the command's help, exit code 2. */
export class UsageError extends MskGuardError {}

/**
 * Finds the command for argv (longest matching path), parses its options and runs it.
 * `--help` anywhere prints the help of the deepest command named; errors of mskguard are printed
 * as one line with their name (no stack trace), exit code 1; usage errors exit 2.
 */
export async function runCli(
  commands: readonly Command[],
  argv: readonly string[],
  program = 'mskguard',
): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-'));
  const match = [...commands]
    .sort((a, b) => b.path.length - a.path.length)
    .find((c) => c.path.every((p, i) => words[i] === p));
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  if (!match) {
    const prefix = words.length > 0 && !wantsHelp ? `Unknown command: ${words.join(' ')}\n\n` : '';
    const list = commands.map((c) => `  ${program} ${c.path.join(' ').padEnd(22)} ${c.summary}`).join('\n');
    process.stdout.write(
      `${prefix}Usage: ${program} <command> [options]\n\nCommands:\n${list}\n\nRun '${program} <command> --help' for a command's options.\n`,
    );
    return prefix ? 2 : 0;
  }
  if (wantsHelp) {
    process.stdout.write(`${match.help.trim()}\n`);
    return 0;
  }
  const rest = [...argv];
  for (const word of match.path) rest.splice(rest.indexOf(word), 1);
  try {
    const parsed = parseArgs({
      args: rest,
      options: match.options ?? {},
      allowPositionals: true,
      strict: true,
    });
    return await match.run({
      values: parsed.values as Record<string, unknown>,
      positionals: parsed.positionals,
    });
  } catch (error) {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (usage) {
      process.stderr.write(`${(error as Error).message}\n\n${match.help.trim()}\n`);
      return 2;
    }
    if (error instanceof MskGuardError) {
      process.stderr.write(`${error.name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
