import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { ScriptRunner } from '../cache/script-runner.ts';
import type { CheckpointStore } from '../checkpoints/types.ts';
import {
  type BloomCopiesOptions,
  DEFAULT_SNAPSHOT_MAX_BYTES,
  LONGEST_RUN_MS,
  MIN_SAFE_AGE_MS,
} from '../dedup/bloom/snapshots.ts';
import { type DistributedBloomParams, sizeDistributedBloom } from '../dedup/distributed-bloom.ts';
import { MAX_CACHE_SHARDS, shardBloomParams } from '../dedup/sharded.ts';
import { ConfigurationError } from '../errors.ts';
import { createKeyDeriver, type KeyFallback, type KeySource, type MissingKeyPolicy } from '../keys/index.ts';
import type { QuarantineInput } from '../quarantine/types.ts';

/** One record withheld into quarantine (probabilistic mode), with what is needed to replay it. */
export type QuarantineEntry = QuarantineInput;

/** Where quarantined records go: a `QuarantineStore` (DynamoDB) in production. */
export interface QuarantineSink {
  put(entries: readonly QuarantineInput[]): Promise<unknown>;
}

/** Options of {@link mskGuard}. */
export interface MskGuardOptions {
  /** The event source mapping's consumerGroupId: namespaces every key and checkpoint. Required. */
  readonly consumerGroup: string;
  /**
   * The exact tier's cache: a runner, or a function creating one on first use (e.g. after reading
   * the Upstash token from Secrets Manager), so a cold start does no I/O before the first event.
   */
  readonly cache: ScriptRunner | (() => ScriptRunner | Promise<ScriptRunner>);
  /** The watermark tier and checkpoints (DynamoDB). @default none: no watermark, no checkpoints */
  readonly checkpoints?: CheckpointStore;
  /** Where probable duplicates go in probabilistic mode. Required when mode is 'probabilistic'. */
  readonly quarantine?: QuarantineSink;
  /** Idempotency key sources, in order. @default [{ type: 'header', name: 'idempotency-key' }] */
  readonly keySources?: readonly KeySource[];
  /** @default 'contentHash' (or 'none' with onMissingKey 'reject') */
  readonly keyFallback?: KeyFallback;
  /** @default 'process' */
  readonly onMissingKey?: MissingKeyPolicy;
  /** `'exact'`: only proven duplicates are withheld. `'probabilistic'`: Bloom hits are quarantined. @default 'exact' */
  readonly mode?: 'exact' | 'probabilistic';
  /**
   * A completed key is recognised as a duplicate until at least this long after it was claimed, and
   * at most twice that (time buckets; the window counts from the claim, so a handler that runs for
   * minutes shortens it after completion by as much). @default 3_600_000 (1 h)
   */
  readonly dedupWindowMs?: number;
  /** Added to the Lambda's remaining time to form the lease, so a lease outlives its holder. @default 5000 */
  readonly leaseMarginMs?: number;
  /** When the cache is unreachable: `'fail'` the invocation (Lambda retries) or `'degrade'` to the local filter. @default 'fail' */
  readonly onCacheUnavailable?: 'fail' | 'degrade';
  /**
   * The distributed Bloom tier (Redis generation bitmaps): remembers completed keys beyond the
   * window at ~1–2 bytes/key. Costs about as much Redis time as the exact tier itself
   * (docs/decisions/0004-dedup-tiers.md). @default on in probabilistic mode, off in exact mode
   */
  readonly distributedBloom?:
    | false
    | {
        keysPerGeneration: number;
        generationMs?: number;
        generations?: number;
        bytesPerKey?: number;
        /** How claims test keys: copies of the generations in the container, or `false` (decision 0020). */
        copies?: false | BloomCopiesOptions;
      };
  /**
   * Redis hash tags the group's exact and Bloom tiers are spread over, by key digest: on a Redis
   * Cluster (ElastiCache, Valkey) each tag is one slot, so a group larger than one node can hold
   * uses several. Each batch sends one script per shard, in parallel: still one round trip.
   * Changing it moves every key: the exact tier forgets one window (the watermark still withholds
   * redeliveries); docs/capacity.md says when to add shards. @default 1
   */
  readonly cacheShards?: number;
  /** The in-container filter. @default { capacity: 200_000, falsePositiveRate: 0.001 } */
  readonly localFilter?: { capacity: number; falsePositiveRate?: number };
  /** Powertools Logger. @default a Logger with serviceName 'mskguard' */
  readonly logger?: Logger;
  /** Powertools Metrics. @default Metrics in namespace 'MskGuard' */
  readonly metrics?: Metrics;
}

/** Options with defaults applied and validated. */
export interface ResolvedOptions {
  readonly consumerGroup: string;
  readonly mode: 'exact' | 'probabilistic';
  readonly dedupWindowMs: number;
  readonly leaseMarginMs: number;
  readonly onCacheUnavailable: 'fail' | 'degrade';
  readonly onMissingKey: MissingKeyPolicy;
  readonly bloom: DistributedBloomParams | undefined;
  readonly cacheShards: number;
  readonly localFilter: { capacity: number; falsePositiveRate: number };
}

const MIN_WINDOW_MS = 15 * 60_000;
const DAY_MS = 86_400_000;

/** Validates options once, at factory time (Middy style): every mistake is a ConfigurationError. */
export function resolveOptions(options: MskGuardOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw new ConfigurationError('mskGuard(options): options are required');
  // The key deriver validates the group, sources and policies; build one now to fail early.
  createKeyDeriver(keyOptions(options, 0));
  if (options.cache === undefined) {
    throw new ConfigurationError(
      'mskGuard: `cache` is required (an UpstashScriptRunner or RespScriptRunner, or a function returning one)',
    );
  }
  const mode = options.mode ?? 'exact';
  if (mode !== 'exact' && mode !== 'probabilistic')
    throw new ConfigurationError(`mskGuard: mode must be 'exact' or 'probabilistic', got ${String(mode)}`);
  if (mode === 'probabilistic' && !options.quarantine) {
    throw new ConfigurationError(
      "mskGuard: mode 'probabilistic' needs `quarantine` (records are quarantined, never discarded)",
    );
  }
  const leaseMarginMs = options.leaseMarginMs ?? 5000;
  if (!Number.isInteger(leaseMarginMs) || leaseMarginMs < 0 || leaseMarginMs > 60_000) {
    throw new ConfigurationError(
      `mskGuard: leaseMarginMs must be an integer in [0, 60000], got ${leaseMarginMs}`,
    );
  }
  // A lease is the invocation's remaining time (up to Lambda's 15 min) plus the margin, and the claim
  // refuses one longer than the window: a shorter window would fail every batch of a long function.
  const dedupWindowMs = options.dedupWindowMs ?? 3_600_000;
  const minWindowMs = MIN_WINDOW_MS + leaseMarginMs;
  if (!Number.isInteger(dedupWindowMs) || dedupWindowMs < minWindowMs) {
    throw new ConfigurationError(
      `mskGuard: dedupWindowMs must be a whole number >= ${minWindowMs} (15 min, the longest Lambda run, plus ` +
        `leaseMarginMs ${leaseMarginMs}, so a lease never outlives the window); got ${dedupWindowMs}`,
    );
  }
  const onCacheUnavailable = options.onCacheUnavailable ?? 'fail';
  if (onCacheUnavailable !== 'fail' && onCacheUnavailable !== 'degrade') {
    throw new ConfigurationError(
      `mskGuard: onCacheUnavailable must be 'fail' or 'degrade', got ${String(onCacheUnavailable)}`,
    );
  }
  const cacheShards = options.cacheShards ?? 1;
  if (!Number.isInteger(cacheShards) || cacheShards < 1 || cacheShards > MAX_CACHE_SHARDS) {
    throw new ConfigurationError(
      `mskGuard: cacheShards must be an integer from 1 to ${MAX_CACHE_SHARDS}, got ${String(options.cacheShards)}`,
    );
  }
  const bloomOption =
    options.distributedBloom ?? (mode === 'probabilistic' ? { keysPerGeneration: 1_000_000 } : false);
  const bloom =
    bloomOption === false
      ? undefined
      : sizeDistributedBloom({
          keysPerGeneration: bloomOption.keysPerGeneration,
          generationMs: bloomOption.generationMs ?? DAY_MS,
          generations: bloomOption.generations ?? 2,
          bytesPerKey: bloomOption.bytesPerKey ?? 2,
          shards: cacheShards,
        });
  const copies = bloomOption === false ? undefined : bloomOption.copies;
  if (copies && bloom)
    checkBloomCopies(
      copies,
      shardBloomParams({ ...bloom, copies }, cacheShards),
      dedupWindowMs,
      options.cache,
    );
  const bloomTier = bloom && copies !== undefined ? { ...bloom, copies } : bloom;
  const localFilter = {
    capacity: options.localFilter?.capacity ?? 200_000,
    falsePositiveRate: options.localFilter?.falsePositiveRate ?? 0.001,
  };
  return {
    consumerGroup: options.consumerGroup,
    mode,
    dedupWindowMs,
    leaseMarginMs,
    onCacheUnavailable,
    onMissingKey: options.onMissingKey ?? 'process',
    bloom: bloomTier,
    cacheShards,
    localFilter,
  };
}

/** The key deriver options for one epoch. */
export function keyOptions(options: MskGuardOptions, epoch: number) {
  return {
    group: options.consumerGroup,
    epoch,
    // One record's failing key function stops its partition, not the whole batch (plan.ts).
    onKeyFunctionError: 'missing' as const,
    ...(options.keySources ? { sources: options.keySources } : {}),
    ...(options.keyFallback ? { fallback: options.keyFallback } : {}),
    ...(options.onMissingKey ? { onMissingKey: options.onMissingKey } : {}),
  };
}

/**
 * Checked here, at creation: the tier is built on the first claim, where a configuration error
 * would read as an unreachable cache and, under `onCacheUnavailable: 'degrade'`, go unnoticed.
 */
function checkBloomCopies(
  copies: BloomCopiesOptions,
  shard: DistributedBloomParams,
  dedupWindowMs: number,
  cache: MskGuardOptions['cache'],
): void {
  const safe = dedupWindowMs - LONGEST_RUN_MS;
  const { refreshMs, maxBytes, log } = copies;
  // What one cache shard's copies hold, against its share of the budget, as each shard checks.
  const bitmapBytes = shard.blocks * 4 * shard.generations;
  const budget = (shard.copies === false ? undefined : shard.copies?.maxBytes) ?? DEFAULT_SNAPSHOT_MAX_BYTES;
  if (refreshMs !== undefined && safe < MIN_SAFE_AGE_MS) {
    throw new ConfigurationError(
      `mskGuard: distributedBloom.copies need a dedupWindowMs of at least 17 min (${LONGEST_RUN_MS + MIN_SAFE_AGE_MS}), ` +
        `got ${dedupWindowMs}: drop copies.refreshMs (claims then test in Redis) or set copies: false.`,
    );
  }
  if (refreshMs !== undefined && !(Number.isInteger(refreshMs) && refreshMs >= 0 && refreshMs <= safe)) {
    throw new ConfigurationError(
      `mskGuard: distributedBloom.copies.refreshMs must be a whole number of ms from 0 to dedupWindowMs less 16 min ` +
        `(${safe}), got ${String(refreshMs)}: a key the exact tier forgot must have been completed before the copy was read.`,
    );
  }
  if (maxBytes !== undefined && !(Number.isInteger(maxBytes) && maxBytes > 0)) {
    throw new ConfigurationError(
      `mskGuard: distributedBloom.copies.maxBytes must be a positive whole number of bytes, got ${String(maxBytes)}`,
    );
  }
  if (log !== undefined && typeof log !== 'boolean')
    throw new ConfigurationError(
      `mskGuard: distributedBloom.copies.log must be true or false, got ${String(log)}`,
    );
  // A group that logs can only test against copies (decision 0022): refuse now what would refuse
  // every claim later.
  if (log && safe < MIN_SAFE_AGE_MS)
    throw new ConfigurationError(
      `mskGuard: distributedBloom.copies.log needs a dedupWindowMs of at least 17 min (${LONGEST_RUN_MS + MIN_SAFE_AGE_MS}), ` +
        `got ${dedupWindowMs}: drop copies.log or raise the window.`,
    );
  if (log && bitmapBytes > budget)
    throw new ConfigurationError(
      `mskGuard: distributedBloom.copies.log needs the generations copied whole (${bitmapBytes} bytes per cache ` +
        `shard), above copies.maxBytes (${budget} per shard): raise maxBytes, shrink the filter, or drop copies.log.`,
    );
  if (log && typeof cache === 'object' && cache.runBinary === undefined)
    throw new ConfigurationError(
      'mskGuard: distributedBloom.copies.log needs a cache that returns binary replies (a RESP runner), ' +
        `and ${cache.kind} has none: drop copies.log.`,
    );
}
