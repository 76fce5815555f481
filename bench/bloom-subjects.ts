/**
 * What `npm run bench -- bloom` (bench/bloom.ts) measures in its main table: the filters under
 * comparison, each sized for the same n and p, and the seeded digests every process feeds them.
 */
import { createCipheriv, createHash } from 'node:crypto';
import bloomFilters from 'bloom-filters';
import type { HashableInput, TwoHashes } from 'bloom-filters/dist/hashing/hashing.js';
import { LocalBloomFilter } from '#shared/dedup/bloom/local-filter.ts';
import { type BloomParams, bloomParams, expectedFalsePositiveRate } from '#shared/dedup/bloom/params.ts';
import { bloomPositions } from '#shared/dedup/bloom/positions.ts';

const { BloomFilter, Hashing } = bloomFilters;

/** The n and p every filter of the bench is sized for. */
export const CAPACITY = 1_000_000;
export const TARGET_FPR = 0.001;

export type Digest = Buffer;

export interface ProbeFilter {
  add(digest: Digest): unknown;
  has(digest: Digest): boolean;
}

export interface Subject {
  readonly name: string;
  readonly params: BloomParams;
  readonly memoryBytes: number;
  /** Distinct keys the filter holds when its false-positive rate is measured. */
  readonly load: number;
  readonly expectedFpr: number;
  readonly create: () => ProbeFilter;
}

/**
 * Random digests, identical in every process: an AES-128-CTR keystream keyed by `label`.
 * 16-byte views into one buffer, as upstream hands digests over.
 */
export function seededDigests(label: string, count: number): Digest[] {
  const key = createHash('sha256').update(label).digest().subarray(0, 16);
  const pool = createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(16 * count));
  return Array.from({ length: count }, (_, i) => pool.subarray(16 * i, 16 * i + 16));
}

/** The library's documented extension point, fed the digest's own words instead of xxhash64. */
class DigestHashing extends Hashing {
  public override hashTwice(value: HashableInput): TwoHashes {
    const digest = value as Buffer;
    return { first: digest.readUIntLE(0, 6), second: digest.readUIntLE(6, 6) };
  }
}

/** The library's BitSet driven by our position function: its best case. */
class PositionsHashing extends Hashing {
  readonly #params: BloomParams;
  readonly #scratch: Uint32Array;

  public constructor(params: BloomParams) {
    super();
    this.#params = params;
    this.#scratch = new Uint32Array(params.hashes);
  }

  public override getIndexes(element: HashableInput): number[] {
    const positions = bloomPositions(element as Uint8Array, this.#params, this.#scratch);
    const indexes = new Array<number>(positions.length);
    for (let i = 0; i < positions.length; i++) indexes[i] = positions[i]!;
    return indexes;
  }
}

function librarySubject(
  name: string,
  configure: (filter: InstanceType<typeof BloomFilter>) => void,
): Subject {
  const probe = BloomFilter.create(CAPACITY, TARGET_FPR);
  const params = { bits: probe.size, hashes: probe._nbHashes };
  return {
    name,
    params,
    memoryBytes: Math.ceil(params.bits / 8),
    load: CAPACITY,
    expectedFpr: expectedFalsePositiveRate(params, CAPACITY),
    create: () => {
      const filter = BloomFilter.create(CAPACITY, TARGET_FPR);
      configure(filter);
      return filter;
    },
  };
}

/** The rows of the filters table, in order (a fresh process finds its task by index). */
export function subjects(): Subject[] {
  const same = bloomParams({ capacity: CAPACITY, falsePositiveRate: TARGET_FPR });
  const rotating = new LocalBloomFilter({ capacity: CAPACITY, falsePositiveRate: TARGET_FPR });
  const rotatingParams = { bits: rotating.bits, hashes: rotating.hashes };
  return [
    librarySubject('bloom-filters BloomFilter (xxhash64)', () => {}),
    librarySubject('bloom-filters BloomFilter + digest hashTwice', (f) => {
      f._hashing = new DigestHashing();
    }),
    librarySubject('bloom-filters BloomFilter + our positions', (f) => {
      f._hashing = new PositionsHashing({ bits: f.size, hashes: f._nbHashes });
    }),
    {
      name: 'LocalBloomFilter, same m and k',
      params: same,
      memoryBytes: new LocalBloomFilter({ capacity: CAPACITY, params: same }).memoryBytes,
      load: CAPACITY,
      expectedFpr: same.expectedFalsePositiveRate,
      create: () => new LocalBloomFilter({ capacity: CAPACITY, params: same }),
    },
    {
      name: 'LocalBloomFilter.create, 2 generations full',
      params: rotatingParams,
      memoryBytes: rotating.memoryBytes,
      load: 2 * CAPACITY,
      expectedFpr: rotating.designFalsePositiveRate(),
      create: () => new LocalBloomFilter({ capacity: CAPACITY, falsePositiveRate: TARGET_FPR }),
    },
  ];
}
