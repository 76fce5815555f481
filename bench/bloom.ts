/**
 * `npm run bench -- bloom`: the local Bloom filter against the `bloom-filters` package on the
 * same random 16-byte digests. Every filter is sized for n = 1e6 keys at p = 1e-3 and:
 * - add/s: 100,000 adds into an empty filter;
 * - then it is filled to its design load (n distinct keys; 2n for the two-generation filter),
 *   has/s (member) looks up the 100,000 added digests, has/s (absent) 200,000 never-added
 *   ones, and the share of those reported present is the measured false-positive rate.
 * Each measurement runs in its own Node process on the same seeded digests, so the JIT state
 * one implementation leaves behind (polymorphic call sites, deopts) cannot slow the next one.
 * Decision: docs/decisions/0001-local-bloom-filter.md.
 */
import { cpus, loadavg } from 'node:os';
import bloomFilters from 'bloom-filters';
import { bloomParams } from '#shared/dedup/bloom/params.ts';
import { bloomPositions } from '#shared/dedup/bloom/positions.ts';
import {
  CAPACITY,
  type Digest,
  type ProbeFilter,
  type Subject,
  seededDigests,
  subjects,
  TARGET_FPR,
} from './bloom-subjects.ts';
import type { BenchContext } from './main.ts';
import {
  answerFromFreshProcess,
  freshProcessSpec,
  measure,
  perSecond,
  type Row,
  runInFreshProcess,
  type Table,
} from './table.ts';

const { CuckooFilter, PartitionedBloomFilter } = bloomFilters;

const SAMPLE = 100_000;
const ABSENT = 200_000;

// Indexed loops: in the measured closures, for...of cost up to 3× the work being measured.
function addAll(filter: ProbeFilter, digests: readonly Digest[]): void {
  for (let i = 0; i < digests.length; i++) filter.add(digests[i]!);
}

function countPresent(filter: ProbeFilter, digests: readonly Digest[]): number {
  let present = 0;
  for (let i = 0; i < digests.length; i++) if (filter.has(digests[i]!)) present++;
  return present;
}

/** Adds `count` seeded digests without keeping millions of views alive into the timed runs. */
function fill(filter: ProbeFilter, label: string, count: number): void {
  const chunk = 100_000;
  for (let done = 0; done < count; done += chunk) {
    addAll(filter, seededDigests(`${label}-${done}`, Math.min(chunk, count - done)));
  }
}

const sample = (): Digest[] => seededDigests('sample', SAMPLE);
const absent = (): Digest[] => seededDigests('absent', ABSENT);

async function measureSubject(subject: Subject, context: BenchContext): Promise<Row> {
  const members = sample();
  const add = await measure(context, subject.create, (f) => addAll(f, members));
  // Members go in first, so in the 2-generation filter they sit in the previous generation:
  // the slower path of has(), which tests the current generation before it.
  const full = subject.create();
  addAll(full, members);
  fill(full, 'filler', subject.load - members.length);
  const hit = await measure(
    context,
    () => full,
    (f) => {
      if (countPresent(f, members) !== members.length) throw new Error(`${subject.name}: false negative`);
    },
  );
  const probes = absent();
  const falsePositives = countPresent(full, probes);
  const miss = await measure(
    context,
    () => full,
    (f) => countPresent(f, probes),
  );
  return {
    implementation: subject.name,
    m: subject.params.bits,
    k: subject.params.hashes,
    KiB: Math.round(subject.memoryBytes / 1024),
    'add/s': perSecond(members.length, add.medianMs),
    'has/s member': perSecond(members.length, hit.medianMs),
    'has/s absent': perSecond(probes.length, miss.medianMs),
    'keys held': subject.load,
    'FPR measured': falsePositives / probes.length,
    'FPR expected': subject.expectedFpr,
    'FPR target': TARGET_FPR,
  };
}

async function measureClass(name: string, create: () => ProbeFilter, context: BenchContext): Promise<Row> {
  const members = sample();
  const add = await measure(context, create, (f) => addAll(f, members));
  const filled = create();
  addAll(filled, members);
  const hit = await measure(
    context,
    () => filled,
    (f) => countPresent(f, members),
  );
  return {
    class: name,
    'add/s': perSecond(members.length, add.medianMs),
    'has/s member': perSecond(members.length, hit.medianMs),
  };
}

async function measurePositions(reuse: boolean, context: BenchContext): Promise<Row> {
  const members = sample();
  const params = bloomParams({ capacity: CAPACITY, falsePositiveRate: TARGET_FPR });
  const out = reuse ? new Uint32Array(params.hashes) : undefined;
  const timing = await measure(
    context,
    () => out,
    (o) => {
      for (let i = 0; i < members.length; i++) bloomPositions(members[i]!, params, o);
    },
  );
  return {
    variant: reuse ? 'bloomPositions(d, params, out)' : 'bloomPositions(d, params)',
    k: params.hashes,
    'digests/s': perSecond(members.length, timing.medianMs),
    'ms per 10,000-key batch': (timing.medianMs * 10_000) / members.length,
  };
}

type TableId = 'filters' | 'classes' | 'positions';

interface Task {
  readonly table: TableId;
  readonly label: string;
  readonly run: (context: BenchContext) => Promise<Row>;
}

function tasks(): Task[] {
  const classes: [string, () => ProbeFilter][] = [
    ['PartitionedBloomFilter.create(n, p)', () => PartitionedBloomFilter.create(CAPACITY, TARGET_FPR)],
    ['CuckooFilter.create(n, p)', () => CuckooFilter.create(CAPACITY, TARGET_FPR)],
  ];
  return [
    ...subjects().map((s): Task => ({ table: 'filters', label: s.name, run: (c) => measureSubject(s, c) })),
    ...classes.map(
      ([name, create]): Task => ({
        table: 'classes',
        label: `bloom-filters ${name}`,
        run: (c) => measureClass(name, create, c),
      }),
    ),
    ...[true, false].map(
      (reuse): Task => ({
        table: 'positions',
        label: `bloomPositions${reuse ? ' into a reused buffer' : ''}`,
        run: (c) => measurePositions(reuse, c),
      }),
    ),
  ];
}

/** Runs the comparison; see the module comment for what each column measures. */
export async function run(context: BenchContext): Promise<readonly Table[]> {
  const rows: Record<TableId, Row[]> = { filters: [], classes: [], positions: [] };
  const repeat = { warmup: context.warmup, repetitions: context.repetitions };
  const loadBefore = loadavg()[0]!;
  for (const [index, task] of tasks().entries()) {
    context.log(`[bloom] ${task.label}`);
    rows[task.table].push(await runInFreshProcess<Row>(import.meta.url, { index, ...repeat }));
  }
  const cpu = cpus();
  // Throughput on a shared machine is only comparable at the same load: print it with the table.
  const load = `1-min load average ${loadBefore.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`;
  return [
    {
      title: `Bloom filters on 16-byte digests (n=${CAPACITY.toExponential()}, p=${TARGET_FPR})`,
      rows: rows.filters,
      notes: [
        `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, Node ${process.version}; ` +
          `medians of ${context.repetitions} runs after ${context.warmup} warm-up, one process per row; ${load}.`,
        `add/s: ${SAMPLE.toLocaleString('en-US')} adds into an empty filter. has/s and FPR: on the filter ` +
          `holding "keys held" distinct keys; FPR over ${ABSENT.toLocaleString('en-US')} never-added digests.`,
        'The 2-generation filter sizes each generation at ~p/2 so that has() over both stays at p;',
        'its "member" lookups hit the previous generation (the slower path).',
      ],
    },
    {
      title: 'bloom-filters: other classes (100,000 digests into an empty filter sized n=1e6, p=1e-3)',
      rows: rows.classes,
      notes: ['ScalableBloomFilter is left out: it is for an unknown n, and its add is far slower still.'],
    },
    { title: 'bloomPositions (input of the distributed tier)', rows: rows.positions },
  ];
}

// Entry of the fresh process started by run() for one task.
const spec = freshProcessSpec<{ index: number; warmup: number; repetitions: number }>();
if (spec) {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  await answerFromFreshProcess(await tasks()[spec.index]!.run({ ...spec, log, options: {} }));
}
