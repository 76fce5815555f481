/**
 * `npm run bench -- [name ...] [--json FILE] [benchmark options]`: runs the named benchmarks (all when none is
 * named), prints one aligned table per result and optionally writes every row as JSON.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { batchSizes, DEDUP_OPTIONS, DEDUP_USAGE, previousBucketKeys, steadyStateRate } from './dedup-cli.ts';
import { E2E_OPTIONS, E2E_USAGE, e2eOptionsFrom } from './e2e-cli.ts';
import { LATENCY_OPTIONS, LATENCY_USAGE, latencyOptionsFrom } from './latency-cli.ts';
import { formatTable, type Row, type Table, writeJsonRows } from './table.ts';

/** What every benchmark receives. */
export interface BenchContext {
  /** Untimed runs before the timed ones. */
  readonly warmup: number;
  /** Timed runs; tables report their median. */
  readonly repetitions: number;
  /** Progress lines, to stderr so stdout holds only tables. */
  readonly log: (line: string) => void;
  /** Values of the benchmark's own options (its registration's `options`), as parseArgs gave them. */
  readonly options: Readonly<Record<string, string | boolean | undefined>>;
}

/** A benchmark module exports `run`; its tables are printed in order. */
export interface BenchmarkModule {
  run(context: BenchContext): Promise<readonly Table[]>;
}

interface Registration {
  readonly description: string;
  readonly load: () => Promise<BenchmarkModule>;
  /** Options only this benchmark takes (parsed by main, handed over in `context.options`). */
  readonly options?: ParseArgsConfig['options'];
  /** Help lines for those options. */
  readonly usage?: string;
  /** Checks those options before anything runs; throws with the reason. */
  readonly validate?: (values: Readonly<Record<string, unknown>>) => unknown;
}

/** Registered benchmarks: add one with a line here and a module exporting `run`. */
export const BENCHMARKS: Readonly<Record<string, Registration>> = {
  bloom: {
    description: 'local Bloom filter vs bloom-filters: add/has ops/s, FPR',
    load: () => import('./bloom.ts'),
  },
  dedup: {
    description: 'mskguard per batch (RESP, Upstash) vs per-record Powertools idempotency, 17% duplicates',
    load: () => import('./dedup.ts'),
    options: DEDUP_OPTIONS,
    usage: DEDUP_USAGE,
    validate: (values) => void [previousBucketKeys(values), batchSizes(values), steadyStateRate(values)],
  },
  latency: {
    description: 'dedup at +0/1/5 ms per round trip (Toxiproxy): mskguard RESP and REST vs Powertools',
    load: () => import('./latency.ts'),
    options: LATENCY_OPTIONS,
    usage: LATENCY_USAGE,
    validate: latencyOptionsFrom,
  },
  keys: {
    description: 'client CPU of a 10,000-record batch: parse, SHA-256 per key (v1 vs v2), key derivation',
    load: () => import('./keys.ts'),
  },
  package: {
    description: 'install cost: mskguard --help and import(mskguard) from an install, pack and bundle sizes',
    load: () => import('./package.ts'),
  },
  e2e: {
    description: 'records/s end to end: mskguard, bare, powertools',
    load: () => import('./e2e.ts'),
    options: E2E_OPTIONS,
    usage: E2E_USAGE,
    validate: e2eOptionsFrom,
  },
  restore: {
    description:
      'restore --execute wall time: mskguard vs kafka-consumer-groups --reset-offsets (3, 12, 48 partitions)',
    load: () => import('./restore.ts'),
  },
};

const USAGE = `Usage: npm run bench -- [name ...] [--json FILE] [--repetitions N] [--warmup N]

Runs the named benchmarks, or all of them when none is named, and prints a table each.
Times are medians of N timed repetitions after the warm-up runs.

Options:
  --json FILE        also write {"rows":[...]} (every row, with "bench" and "table") to FILE
  --repetitions N    timed repetitions per measurement (default 5)
  --warmup N         untimed warm-up runs per measurement (default 1)
  -h, --help         show this help

Benchmarks:
${Object.entries(BENCHMARKS)
  .map(([name, r]) => `  ${name.padEnd(18)} ${r.description}${r.usage ? `\n${r.usage}` : ''}`)
  .join('\n')}
`;

function countOption(value: string | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer ≥ ${min}, got ${value}`);
  return n;
}

class UsageError extends Error {}

/** Parses arguments, runs the benchmarks, prints tables; returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const context: BenchContext = {
    warmup: parsed.warmup,
    repetitions: parsed.repetitions,
    log: (line) => process.stderr.write(`${line}\n`),
    options: parsed.options,
  };
  const rows: Row[] = [];
  for (const name of parsed.names) {
    context.log(`[bench] ${name}: running (warm-up ${context.warmup}, repetitions ${context.repetitions})`);
    const module = await BENCHMARKS[name]!.load();
    for (const table of await module.run(context)) {
      process.stdout.write(`\n${formatTable(table)}`);
      rows.push(...table.rows.map((row) => ({ bench: name, table: table.title, ...row })));
    }
  }
  if (parsed.json) {
    await writeJsonRows(parsed.json, rows);
    context.log(`[bench] wrote ${rows.length} rows to ${parsed.json}`);
  }
  return 0;
}

function parseCli(argv: readonly string[]) {
  const own: NonNullable<ParseArgsConfig['options']> = Object.assign(
    {},
    ...Object.values(BENCHMARKS).map((r) => r.options ?? {}),
  );
  const parsed = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      ...own,
      json: { type: 'string' },
      repetitions: { type: 'string' },
      warmup: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const { positionals } = parsed;
  const unknown = positionals.filter((name) => !Object.hasOwn(BENCHMARKS, name));
  if (unknown.length > 0) throw new UsageError(`Unknown benchmark: ${unknown.join(', ')}`);
  const names = positionals.length > 0 ? [...new Set(positionals)] : Object.keys(BENCHMARKS);
  // Every benchmark that will run checks its options before any of them starts a service.
  for (const name of names) {
    try {
      BENCHMARKS[name]?.validate?.(values);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  return {
    help: values.help === true,
    json: typeof values.json === 'string' ? values.json : undefined,
    names,
    repetitions: countOption(values.repetitions as string | undefined, 'repetitions', 5, 1),
    warmup: countOption(values.warmup as string | undefined, 'warmup', 1, 0),
    options: values,
  };
}

// Run only as the entry point, so other modules can import the types and the registry.
const entry = process.argv[1];
if (entry && realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url))) {
  process.exitCode = await main(process.argv.slice(2));
}
