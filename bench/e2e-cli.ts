/**
 * The e2e benchmark's own options and their defaults. `npm run bench -- e2e --records N ...`
 * parses them (bench/main.ts) and `e2eOptionsFrom` validates them.
 */
import type { ParseArgsConfig } from 'node:util';

/** The implementations the e2e benchmark compares. */
export const E2E_IMPLS = ['mskguard', 'bare', 'powertools'] as const;
/** One of {@link E2E_IMPLS}. */
export type E2eImpl = (typeof E2E_IMPLS)[number];

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
 * Two batch sizes by default, because mskguard's overhead is per batch (one DynamoDB read before
 * the handler, one transaction after it, one Redis call each side) and so depends on how many
 * records share it: 10,000 is Lambda's maximum and what a throughput-minded deployment sets (the
 * overhead target is assessed there, decision 0008); 1,000 shows the cost at a tenth of it.
 * Records default to 10 batches' worth, at least 50,000.
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

/** Batch sizes measured when `--batch-size` is not given. */
export const E2E_DEFAULT_BATCH_SIZES: readonly number[] = [1_000, 10_000];

/** Records in the topic for a batch size, unless `--records` says: 10 batches, at least 50,000. */
export function defaultRecords(batchSize: number): number {
  return Math.max(E2E_DEFAULTS.records, 10 * batchSize);
}

/** The options `npm run bench -- e2e` accepts besides the runner's own. */
export const E2E_OPTIONS: ParseArgsConfig['options'] = {
  records: { type: 'string' },
  'batch-size': { type: 'string' },
  partitions: { type: 'string' },
  impls: { type: 'string' },
  'no-profile': { type: 'boolean' },
};

/** Help lines for {@link E2E_OPTIONS}. */
export const E2E_USAGE = `    --records N        records in the topic, ${Math.round(E2E_DEFAULTS.duplicateShare * 100)}% of them duplicates (default 10 batches, at least ${E2E_DEFAULTS.records})
    --batch-size LIST  records per invocation, each 1-10000, e.g. 1000,10000 (default ${E2E_DEFAULT_BATCH_SIZES.join(',')})
    --partitions LIST  partition counts, e.g. 1,3 (default ${E2E_DEFAULTS.partitions.join(',')})
    --impls LIST       of ${E2E_IMPLS.join(',')} (default all; overhead needs bare)
    --no-profile       skip the extra CPU-profiled mskguard run`;

/** A bad e2e option; the runner prints it with the usage. */
export class E2eUsageError extends Error {}

function integer(value: unknown, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new E2eUsageError(`--${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  return n;
}

function list<T>(value: unknown, fallback: readonly T[], parse: (item: string) => T): T[] {
  if (typeof value !== 'string') return [...fallback];
  return [...new Set(value.split(',').map((item) => parse(item.trim())))];
}

/**
 * Validated e2e options from the parsed command line (defaults for what is absent): one set per
 * batch size, run one after the other.
 */
export function e2eOptionsFrom(values: Readonly<Record<string, unknown>>): E2eOptions[] {
  const batchSizes = list(values['batch-size'], E2E_DEFAULT_BATCH_SIZES, (size) =>
    integer(size, 'batch-size', 1, 10_000),
  );
  const records =
    values.records === undefined ? undefined : integer(values.records, 'records', 100, 10_000_000);
  const partitions = list(values.partitions, E2E_DEFAULTS.partitions, (p) => integer(p, 'partitions', 1, 64));
  const impls = list(values.impls, E2E_DEFAULTS.impls, (impl) => {
    if (!(E2E_IMPLS as readonly string[]).includes(impl))
      throw new E2eUsageError(`--impls: unknown implementation ${impl}; choose from ${E2E_IMPLS.join(', ')}`);
    return impl as E2eImpl;
  });
  const profiled = Math.max(...batchSizes);
  return batchSizes.map((batchSize) => ({
    ...E2E_DEFAULTS,
    records: records ?? defaultRecords(batchSize),
    batchSize,
    partitions,
    impls,
    // One CPU profile is enough: at the largest batch size, the one the targets are assessed at.
    profile: values['no-profile'] !== true && batchSize === profiled,
  }));
}
