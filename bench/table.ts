/**
 * Reporting kit shared by every benchmark: timing (median of repetitions after a warm-up),
 * aligned text tables, the `--json FILE` output `{"rows":[...]}`, and running a measurement
 * in a fresh Node process.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One table cell; numbers stay raw in JSON and are formatted only for the text table. */
export type Cell = string | number | boolean | null;

/** One result line, keyed by column. */
export type Row = Readonly<Record<string, Cell>>;

/** How a column is shown. Strings align left and numbers right unless `align` says otherwise. */
export interface Column {
  /** Key of the value in each {@link Row}. */
  readonly key: string;
  /** @default key */
  readonly header?: string;
  /** @default 'right' for numbers, 'left' otherwise */
  readonly align?: 'left' | 'right';
  /** @default {@link formatCell} */
  readonly format?: (value: Cell) => string;
}

/** A titled table of rows; `columns` defaults to the keys of the first row. */
export interface Table {
  readonly title: string;
  readonly rows: readonly Row[];
  readonly columns?: readonly Column[];
  /** Lines printed under the table (method, caveats). */
  readonly notes?: readonly string[];
}

const integerFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/**
 * Default cell formatting: integers with thousands separators, small fractions in
 * scientific notation (false-positive rates), other numbers with 2 decimals.
 *
 * @example
 * ```ts
 * formatCell(2_345_678); // '2,345,678'
 * formatCell(0.000987);  // '9.87e-4'
 * formatCell(12.3456);   // '12.35'
 * ```
 */
export function formatCell(value: Cell): string {
  if (value === null) return '-';
  if (typeof value !== 'number') return String(value);
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return integerFormat.format(value);
  if (value !== 0 && Math.abs(value) < 0.01) return value.toExponential(2);
  return value.toFixed(2);
}

/**
 * Renders a table as aligned text: title, header, rule, rows, notes.
 *
 * @example
 * ```ts
 * process.stdout.write(formatTable({ title: 'bloom', rows: [{ impl: 'local', 'add/s': 9_000_000 }] }));
 * ```
 */
export function formatTable(table: Table): string {
  const columns: readonly Column[] =
    table.columns ?? Object.keys(table.rows[0] ?? {}).map((key) => ({ key }));
  const cells = table.rows.map((row) => columns.map((c) => (c.format ?? formatCell)(row[c.key] ?? null)));
  const headers = columns.map((c) => c.header ?? c.key);
  const widths = columns.map((_, i) => Math.max(headers[i]!.length, ...cells.map((r) => r[i]!.length)));
  const alignOf = (i: number): 'left' | 'right' => {
    const column = columns[i]!;
    if (column.align) return column.align;
    return table.rows.some((row) => typeof row[column.key] === 'number') ? 'right' : 'left';
  };
  const line = (values: readonly string[]): string =>
    values
      .map((v, i) => (alignOf(i) === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [`## ${table.title}`, '', line(headers), widths.map((w) => '-'.repeat(w)).join('  ')];
  out.push(...cells.map(line));
  if (table.notes?.length) out.push('', ...table.notes.map((n) => `  ${n}`));
  return `${out.join('\n')}\n`;
}

/**
 * Writes `{"rows":[...]}` to `file`, creating its folder (e.g. `bench/results/`, git-ignored).
 *
 * @example
 * ```ts
 * await writeJsonRows('bench/results/bloom.json', rows);
 * ```
 */
export async function writeJsonRows(file: string, rows: readonly Row[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify({ rows }, null, 2)}\n`);
}

/** Median of a non-empty list (mean of the two middle values for an even length). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** How many times to run a measured step. */
export interface RepeatOptions {
  /** Untimed runs first, so the JIT has compiled the hot path. */
  readonly warmup: number;
  /** Timed runs; the median is reported. */
  readonly repetitions: number;
}

/** Wall-clock times of the timed runs of one step, ms. */
export interface Timing {
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly samplesMs: readonly number[];
}

/**
 * Times `run` after `warmup` untimed runs, `repetitions` times. `setup` (untimed) builds fresh
 * state for each run, e.g. an empty filter, so every run measures the same work. Under
 * `node --expose-gc` it collects garbage before each run, so no run pays for an earlier one's.
 *
 * @example
 * ```ts
 * const t = await measure({ warmup: 1, repetitions: 5 }, () => new Set<number>(), (s) => { for (let i = 0; i < 1e5; i++) s.add(i); });
 * const opsPerSecond = perSecond(1e5, t.medianMs);
 * ```
 */
export async function measure<S>(
  options: RepeatOptions,
  setup: () => S | Promise<S>,
  run: (state: S) => unknown,
): Promise<Timing> {
  const samplesMs: number[] = [];
  const collectGarbage = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < options.warmup + options.repetitions; i++) {
    const state = await setup();
    collectGarbage?.();
    const start = performance.now();
    await run(state);
    const elapsed = performance.now() - start;
    if (i >= options.warmup) samplesMs.push(elapsed);
  }
  return {
    medianMs: median(samplesMs),
    minMs: Math.min(...samplesMs),
    maxMs: Math.max(...samplesMs),
    samplesMs,
  };
}

/** Operations per second, rounded, for `ops` operations done in `ms` milliseconds. */
export function perSecond(ops: number, ms: number): number {
  return Math.round((ops * 1000) / ms);
}

const FRESH_PROCESS_ENV = 'MSKGUARD_BENCH_FRESH_PROCESS';

/**
 * Runs the module at `moduleUrl` as the entry of a fresh Node process (same loader flags, plus
 * `--expose-gc`), hands it `spec`, and returns the JSON value it answers. Use it when several
 * implementations run the same hot loop: in one process the first one's JIT feedback
 * (polymorphic call sites, deopts) slows the next. The module reads `spec` with
 * {@link freshProcessSpec} and replies with {@link answerFromFreshProcess}; its stderr is shown.
 *
 * @example
 * ```ts
 * // parent
 * const row = await runInFreshProcess<Row>(import.meta.url, { task: 2 });
 * // same module, top level
 * const spec = freshProcessSpec<{ task: number }>();
 * if (spec) await answerFromFreshProcess(await tasks[spec.task]());
 * ```
 */
export async function runInFreshProcess<T>(moduleUrl: string, spec: unknown): Promise<T> {
  const entry = fileURLToPath(moduleUrl);
  const child = spawn(process.execPath, [...process.execArgv, '--expose-gc', entry], {
    env: {
      ...process.env,
      // One measurement per process: the AWS SDK's notice that it will need Node 22 (the Lambda
      // runtime mskguard targets) would otherwise print in every one when run on Node 20.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      [FRESH_PROCESS_ENV]: JSON.stringify(spec),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const [code] = (await once(child, 'close')) as [number | null];
  const answer = output.trim().split('\n').at(-1);
  if (code !== 0 || !answer) throw new Error(`benchmark process ${entry} failed (exit code ${code})`);
  return JSON.parse(answer) as T;
}

/** In a process started by {@link runInFreshProcess}: the spec it was given; otherwise undefined. */
export function freshProcessSpec<T>(): T | undefined {
  const raw = process.env[FRESH_PROCESS_ENV];
  return raw === undefined ? undefined : (JSON.parse(raw) as T);
}

/** In a process started by {@link runInFreshProcess}: sends `value` back as its answer. */
export async function answerFromFreshProcess(value: unknown): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    process.stdout.write(`${JSON.stringify(value)}\n`, (error) => (error ? reject(error) : resolve()));
  });
}
