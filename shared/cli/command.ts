import { type ParseArgsConfig, parseArgs } from 'node:util';
import { MskGuardError } from '../errors.ts';

/** A CLI command: its name path (e.g. `stack up`), a one-line summary, its help text and its action. */
export interface Command {
  readonly path: readonly string[];
  readonly summary: string;
  /** Full help shown by `--help`: usage, options, examples. */
  readonly help: string;
  readonly options?: ParseArgsConfig['options'];
  /**
   * Fields added to the JSON error answer of a command with `--json`, so that an error has the
   * shape of the command's own answer (restore: `plan: null, result: null`).
   */
  readonly jsonErrorFields?: Readonly<Record<string, unknown>>;
  /** Returns the process exit code. */
  run(args: { values: Record<string, unknown>; positionals: string[] }): Promise<number>;
}

/** Thrown for bad command-line usage; printed with a pointer to the command's help, exit code 2. */
export class UsageError extends MskGuardError {}

/** Where runCli prints, what it reads, and the version `--version` prints (tests replace them). */
export interface CliOptions {
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  /** `MSKGUARD_DEBUG=1` prints the stack trace of an error after its one-line message. */
  readonly env?: NodeJS.ProcessEnv;
  /** Printed by `--version` / `-v` as the first argument; without it they print the help. */
  readonly version?: () => string;
}

/** The JSON answer of a command run with `--json` that failed: what a script reads from stdout. */
export interface CliErrorJson {
  readonly ok: false;
  readonly exitCode: number;
  readonly error: {
    readonly name: string;
    readonly kind: string;
    readonly message: string;
    readonly hint?: string;
  };
}

/** The next step an error may carry (e.g. StatusError#hint), printed on a line of its own. */
function hintOf(error: unknown): string | undefined {
  const hint = (error as { hint?: unknown } | null)?.hint;
  return typeof hint === 'string' && hint !== '' ? hint : undefined;
}

function isUsage(error: unknown): boolean {
  return (
    error instanceof UsageError ||
    Boolean((error as { code?: string } | null)?.code?.startsWith('ERR_PARSE_ARGS'))
  );
}

/** runCli answers these itself, for every command. */
const HELP_FLAGS = new Set(['help', 'h']);

/**
 * How parseArgs reads argv with `options`: the indexes of its words (neither a flag nor the value
 * of a flag that takes one: `--group g`, `-g g`; after `--` every argument is a word), and whether
 * it holds a flag `options` does not define.
 */
function readWords(
  argv: readonly string[],
  options: ParseArgsConfig['options'] = {},
): { readonly at: number[]; readonly unknownFlag: boolean } {
  const { tokens } = parseArgs({
    args: [...argv],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  return {
    at: tokens.flatMap((token) => (token.kind === 'positional' ? [token.index] : [])),
    unknownFlag: tokens.some(
      (token) =>
        token.kind === 'option' && !HELP_FLAGS.has(token.name) && !Object.hasOwn(options, token.name),
    ),
  };
}

/**
 * Finds the command for argv (longest matching path; options may come before the path's words),
 * parses its options and runs it.
 * `--help` anywhere prints the help of the deepest command named; `--version` / `-v` first prints
 * the version. Any error is printed as one line `name: message` (plus its hint), never with a
 * stack trace unless MSKGUARD_DEBUG=1: a person reads the message, not kafkajs's internals.
 * Usage errors exit 2 and point to `--help`; every other error exits 1. With `--json` (on a command
 * that has it) the error is also printed on stdout as `{"ok":false,"exitCode":N,"error":{...}}`.
 */
export async function runCli(
  commands: readonly Command[],
  argv: readonly string[],
  program = 'mskguard',
  options: CliOptions = {},
): Promise<number> {
  const stdout = options.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = options.stderr ?? ((text: string) => process.stderr.write(text));
  const env = options.env ?? process.env;
  if (options.version && (argv[0] === '--version' || argv[0] === '-v')) {
    stdout(`${options.version()}\n`);
    return 0;
  }
  // A flag's value is not a command word: `restore --group g checkpoint` runs `restore checkpoint`,
  // and `--group list` names the group `list`. Each command reads argv with its own flags.
  // A command whose flags explain every flag given wins over one that would reject some of them:
  // `quarantine --by list replay` is `replay --by list`, not `list` with an unknown --by. Only when
  // none does is the longest path taken as it is, so that its parse names the unknown flag.
  const byLength = [...commands].sort((a, b) => b.path.length - a.path.length);
  const pathOf = (c: Command, strict: boolean): number[] | undefined => {
    const { at, unknownFlag } = readWords(argv, c.options);
    const matches = (!strict || !unknownFlag) && c.path.every((p, i) => argv[at[i] ?? -1] === p);
    return matches ? at.slice(0, c.path.length) : undefined;
  };
  let match: Command | undefined;
  let pathAt = new Set<number>();
  for (const strict of [true, false]) {
    for (const c of byLength) {
      const at = pathOf(c, strict);
      if (!at) continue;
      match = c;
      pathAt = new Set(at);
      break;
    }
    if (match) break;
  }
  const allOptions = Object.assign({}, ...commands.map((c) => c.options));
  const words = readWords(argv, allOptions).at.map((i) => argv[i]);
  const wantsHelp = argv.includes('--help') || argv.includes('-h');
  if (!match) {
    const list = commands.map((c) => `  ${program} ${c.path.join(' ').padEnd(22)} ${c.summary}`).join('\n');
    const help = `Usage: ${program} <command> [options]\n\nCommands:\n${list}\n\nRun '${program} <command> --help' for a command's options.\n`;
    if (wantsHelp) {
      stdout(help);
      return 0;
    }
    // No command, or an unknown one: the help goes to stderr so that stdout stays empty for a script.
    stderr(words.length > 0 ? `Unknown command: ${words.join(' ')}\n\n${help}` : help);
    return 2;
  }
  if (wantsHelp) {
    stdout(`${match.help.trim()}\n`);
    return 0;
  }
  const json = match.options?.json !== undefined && argv.includes('--json');
  const rest = argv.filter((_, i) => !pathAt.has(i));
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
    const usage = isUsage(error);
    const exitCode = usage ? 2 : 1;
    // parseArgs throws TypeErrors: to a script every bad command line is a UsageError.
    const name = usage ? 'UsageError' : error instanceof Error ? error.name : 'Error';
    const message = error instanceof Error ? error.message : String(error);
    const hint = usage ? `Run '${program} ${match.path.join(' ')} --help' for usage.` : hintOf(error);
    if (json) {
      const kind = usage ? 'usage' : String((error as { kind?: unknown } | null)?.kind ?? 'error');
      const answer = {
        ok: false,
        exitCode,
        ...match.jsonErrorFields,
        error: { name, kind, message, ...(hint ? { hint } : {}) },
      };
      stdout(`${JSON.stringify(answer, null, 2)}\n`);
    }
    // A usage error's name (UsageError, ParseArgs's TypeError) says nothing the message does not.
    stderr(`${usage ? message : `${name}: ${message}`}\n${hint ? `${hint}\n` : ''}`);
    if (env.MSKGUARD_DEBUG === '1' && error instanceof Error && error.stack) stderr(`${error.stack}\n`);
    return exitCode;
  }
}
