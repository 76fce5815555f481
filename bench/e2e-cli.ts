/**
 * The e2e benchmark's options, their defaults, and `npx tsx bench/e2e.ts [options]`: the bench
 * runner's CLI (`npm run bench -- e2e`) takes no per-benchmark options and runs the defaults.
 */
import { parseArgs } from 'node:util';
import { E2E_IMPLS, type E2eImpl } from './e2e-consumers.ts';
import type { BenchContext } from './main.ts';
import { formatTable, type Row, type Table, writeJsonRows } from './table.ts';

/** Options of `runE2e` (bench/e2e.ts). */
export interface E2eOptions {
  /** Records in the topic, duplicates included. */
  readonly records: number;
  /** Records per invocation (Lambda's `BatchSize`, 1–10,000). */
  readonly batchSize: number;
  readonly partitions: readonly number[];
  readonly impls: readonly E2eImpl[];
  /** Share of the records that repeat an earlier record's business key. */
  readonly duplicateShare: number;
  /** One extra mskguard run (largest partition count) under the CPU profiler. */
  readonly profile: boolean;
  /** A run fails when nothing is committed for this long. */
  readonly stallTimeoutMs: number;
}

/**
 * Batch size 1,000: ten times Lambda's MSK default (100), a setting a throughput-minded deployment
 * uses; its event (~0.5 MB here) stays far below the 6 MB payload limit with 1 KB orders too, and a
 * failing record redelivers at most 1,000. 10,000 is Lambda's maximum; `--batch-size` measures it.
 */
export const E2E_DEFAULTS: E2eOptions = {
  records: 50_000,
  batchSize: 1_000,
  partitions: [1, 3],
  impls: E2E_IMPLS,
  duplicateShare: 0.17,
  profile: true,
  stallTimeoutMs: 120_000,
};

const USAGE = `Usage: npx tsx bench/e2e.ts [options]

Records per second through the local pipeline (Kafka, the Lambda poller emulator, Redis, DynamoDB
Local) for mskguard, the bare consumer and per-record Powertools idempotency.

Options:
  --records N        records in the topic, ${Math.round(E2E_DEFAULTS.duplicateShare * 100)}% of them duplicates (default ${E2E_DEFAULTS.records})
  --batch-size N     records per invocation, 1-10000 (default ${E2E_DEFAULTS.batchSize})
  --partitions LIST  partition counts, e.g. 1,3 (default ${E2E_DEFAULTS.partitions.join(',')})
  --impls LIST       of ${E2E_IMPLS.join(',')} (default all; overhead needs bare)
  --no-profile       skip the extra CPU-profiled mskguard run
  --json FILE        also write {"rows":[...]} to FILE
  --repetitions N    timed runs per measurement (default 5)
  --warmup N         untimed runs first (default 1)
  -h, --help         show this help
`;

class UsageError extends Error {}

function integer(
  value: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got ${value}`);
  return n;
}

function list<T>(value: string | undefined, fallback: readonly T[], parse: (item: string) => T): T[] {
  if (value === undefined) return [...fallback];
  return [...new Set(value.split(',').map((item) => parse(item.trim())))];
}

function parse(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      records: { type: 'string' },
      'batch-size': { type: 'string' },
      partitions: { type: 'string' },
      impls: { type: 'string' },
      'no-profile': { type: 'boolean' },
      json: { type: 'string' },
      repetitions: { type: 'string' },
      warmup: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const options: E2eOptions = {
    ...E2E_DEFAULTS,
    records: integer(values.records, 'records', E2E_DEFAULTS.records, 100, 10_000_000),
    batchSize: integer(values['batch-size'], 'batch-size', E2E_DEFAULTS.batchSize, 1, 10_000),
    partitions: list(values.partitions, E2E_DEFAULTS.partitions, (p) => integer(p, 'partitions', 1, 1, 64)),
    impls: list(values.impls, E2E_DEFAULTS.impls, (impl) => {
      if (!(E2E_IMPLS as readonly string[]).includes(impl))
        throw new UsageError(`--impls: unknown implementation ${impl}; choose from ${E2E_IMPLS.join(', ')}`);
      return impl as E2eImpl;
    }),
    profile: values['no-profile'] !== true,
  };
  return {
    help: values.help === true,
    json: values.json,
    options,
    repetitions: integer(values.repetitions, 'repetitions', 5, 1, 1000),
    warmup: integer(values.warmup, 'warmup', 1, 0, 1000),
  };
}

/**
 * Parses `argv`, runs the benchmark, prints its tables; returns the exit code.
 *
 * @example
 * ```ts
 * process.exitCode = await runE2eCli(['--records', '20000', '--partitions', '3'], runE2e);
 * ```
 */
export async function runE2eCli(
  argv: readonly string[],
  runE2e: (options: E2eOptions, ctx: BenchContext) => Promise<readonly Table[]>,
): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const ctx: BenchContext = {
    warmup: parsed.warmup,
    repetitions: parsed.repetitions,
    log: (line) => process.stderr.write(`${line}\n`),
  };
  const rows: Row[] = [];
  for (const table of await runE2e(parsed.options, ctx)) {
    process.stdout.write(`\n${formatTable(table)}`);
    rows.push(...table.rows.map((row) => ({ bench: 'e2e', table: table.title, ...row })));
  }
  if (parsed.json) {
    await writeJsonRows(parsed.json, rows);
    ctx.log(`[bench] wrote ${rows.length} rows to ${parsed.json}`);
  }
  return 0;
}
