import { setTimeout as sleep } from 'node:timers/promises';
import type { AttributeValue, BatchGetItemCommandOutput, CancellationReason } from '@aws-sdk/client-dynamodb';
import { dynamoDbSdk } from '../aws/sdk.ts';
import { ConfigurationError, MskGuardError } from '../errors.ts';

/**
 * The one method of a DynamoDB client that mskguard's stores call. `DynamoDBClient` of
 * `@aws-sdk/client-dynamodb` satisfies it; so does a wrapper that counts calls, injects faults or
 * adds tracing (the stores depend on this shape, not on the SDK's client class).
 *
 * @example
 * ```ts
 * const client: DynamoDBSender = new DynamoDBClient({});
 * const counting: DynamoDBSender = { send: (command) => { calls++; return client.send(command as never); } };
 * ```
 */
export interface DynamoDBSender {
  send(command: object): Promise<unknown>;
}

/** A DynamoDB item as the low-level API carries it. */
export type Item = Record<string, AttributeValue>;

/** Bounded retries with exponential backoff and full jitter, on top of the SDK's own retries. */
export interface RetryOptions {
  /**
   * Tries in all, the first included, before a typed error is thrown.
   * @default 8
   */
  readonly maxAttempts?: number;
  /**
   * Upper bound of the first backoff; doubles per try (full jitter: a random delay up to the bound).
   * @default 25
   */
  readonly baseDelayMs?: number;
  /**
   * Cap of one backoff.
   * @default 2000
   */
  readonly maxDelayMs?: number;
}

/** {@link RetryOptions} with every default applied. */
export type ResolvedRetry = Required<RetryOptions>;

const RETRY_DEFAULTS: ResolvedRetry = { maxAttempts: 8, baseDelayMs: 25, maxDelayMs: 2000 };

/** Applies the defaults and checks the bounds once, at construction time. */
export function resolveRetry(options: RetryOptions = {}): ResolvedRetry {
  const retry = { ...RETRY_DEFAULTS, ...options };
  if (!Number.isInteger(retry.maxAttempts) || retry.maxAttempts < 1) {
    throw new ConfigurationError(`retry.maxAttempts must be a whole number >= 1, got ${retry.maxAttempts}`);
  }
  if (!(retry.baseDelayMs >= 0) || !(retry.maxDelayMs >= retry.baseDelayMs)) {
    throw new ConfigurationError(
      `retry delays must satisfy 0 <= baseDelayMs <= maxDelayMs, got ${retry.baseDelayMs} and ${retry.maxDelayMs}`,
    );
  }
  return retry;
}

/**
 * Waits before retry number `failures` (1-based). Full jitter: concurrent Lambdas throttled by the
 * same partition spread their retries instead of colliding again in lockstep.
 * https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/
 */
export function backoff(retry: ResolvedRetry, failures: number): Promise<void> {
  const bound = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (failures - 1));
  return sleep(Math.random() * bound);
}

/** The DynamoDB table a store was given does not exist (in this account and region). */
export class TableNotFoundError extends MskGuardError {
  public readonly table: string;

  public constructor(table: string, fix: string, options: { cause?: unknown } = {}) {
    super(
      `DynamoDB table '${table}' was not found in this account and region (ResourceNotFoundException). ${fix}`,
      options,
    );
    this.table = table;
  }
}

/** Error names of the exceptions DynamoDB answers when trying again later can succeed. */
const RETRIABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TransactionConflictException',
  // A retry (same ClientRequestToken) overtook its first attempt, still running: wait and ask again.
  'TransactionInProgressException',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
]);

/** Cancellation reason codes of a transaction that may go through when retried. */
const RETRIABLE_CANCELLATION_CODES = new Set([
  'TransactionConflict',
  'ProvisionedThroughputExceeded',
  'ThrottlingError',
  'RequestLimitExceeded',
]);

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { name?: string }).name : undefined;
}

/** Throttling, a conflicting transaction, or a 5xx: the same call may succeed later. */
export function isRetriableError(error: unknown): boolean {
  const name = errorName(error);
  if (name !== undefined && RETRIABLE_NAMES.has(name)) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 500;
}

/** `ResourceNotFoundException`: the table (or index) does not exist. */
export function isTableNotFound(error: unknown): boolean {
  return errorName(error) === 'ResourceNotFoundException';
}

/** The per-item reasons of a `TransactionCanceledException`, or undefined for any other error. */
export function cancellationReasons(error: unknown): readonly CancellationReason[] | undefined {
  if (errorName(error) !== 'TransactionCanceledException') return undefined;
  return (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
}

/**
 * The item as it was when a write's condition failed, for an error `withRetries` raised over a
 * `ConditionalCheckFailedException`: `{}` when the write did not ask for it
 * (`ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`) or the item did not exist; undefined for any
 * other error. A write retried after a timeout compares it with its own values to tell its own
 * first attempt from another writer's.
 */
export function conditionFailedItem(error: unknown): Item | undefined {
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (errorName(cause) !== 'ConditionalCheckFailedException') return undefined;
  return (cause as { Item?: Item }).Item ?? {};
}

/** Whether every reason of a cancelled transaction is either `None` or a retriable code. */
export function isRetriableCancellation(reasons: readonly CancellationReason[]): boolean {
  return reasons.every((r) => !r.Code || r.Code === 'None' || RETRIABLE_CANCELLATION_CODES.has(r.Code));
}

/** One-line description of an error for messages (`name: message`). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** What a bounded operation does when it gives up or meets a non-retriable error. */
export interface Failure {
  /** The table, for {@link TableNotFoundError}. */
  readonly table: string;
  /** The fix named in a {@link TableNotFoundError}. */
  readonly tableFix: string;
  /** Builds the typed error thrown after the last try (or on a non-retriable error). */
  fail(message: string, options: { cause: unknown; retriable: boolean }): MskGuardError;
}

/**
 * Runs `call` until it succeeds, retrying retriable errors with backoff up to `retry.maxAttempts`
 * tries; maps a missing table to {@link TableNotFoundError} and everything else to `failure.fail`.
 */
export async function withRetries<T>(
  what: string,
  retry: ResolvedRetry,
  failure: Failure,
  call: () => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (error instanceof MskGuardError) throw error;
      if (isTableNotFound(error))
        throw new TableNotFoundError(failure.table, failure.tableFix, { cause: error });
      const retriable = isRetriableError(error);
      if (!retriable || attempt >= retry.maxAttempts) {
        const tries = retriable ? ` after ${attempt} tries` : '';
        throw failure.fail(`${what} failed${tries}: ${describeError(error)}`, { cause: error, retriable });
      }
      await backoff(retry, attempt);
    }
  }
}

/** BatchGetItem's limit of keys per request. */
export const BATCH_GET_LIMIT = 100;

/**
 * Reads items by key: one BatchGetItem per 100 keys. A response that returns items but leaves
 * UnprocessedKeys hit the 16 MB response limit (100 items of up to 400 KB): the rest is asked for
 * again at once, and no try is counted, since each such round returns at least one key less. Only
 * a round that returns nothing of its keys counts as throttled, backs off, and is bounded by
 * `retry.maxAttempts` per chunk. Missing items are absent from the result; the order of the result
 * is not the order of `keys`.
 */
export async function batchGetAll(
  client: DynamoDBSender,
  keys: readonly Item[],
  options: { readonly retry: ResolvedRetry; readonly failure: Failure; readonly consistentRead: boolean },
): Promise<Item[]> {
  const { table } = options.failure;
  const found: Item[] = [];
  for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
    let pending = keys.slice(start, start + BATCH_GET_LIMIT);
    let throttled = 0;
    while (pending.length > 0) {
      const input = { RequestItems: { [table]: { Keys: pending, ConsistentRead: options.consistentRead } } };
      const out = await withRetries(
        'BatchGetItem',
        options.retry,
        options.failure,
        async () =>
          client.send(
            new (await dynamoDbSdk()).BatchGetItemCommand(input),
          ) as Promise<BatchGetItemCommandOutput>,
      );
      found.push(...(out.Responses?.[table] ?? []));
      const unprocessed = out.UnprocessedKeys?.[table]?.Keys ?? [];
      // Fewer keys left than asked for: progress (the response limit), not throttling.
      const progressed = unprocessed.length < pending.length;
      pending = unprocessed;
      if (pending.length === 0 || progressed) continue;
      throttled++;
      if (throttled >= options.retry.maxAttempts) {
        throw options.failure.fail(
          `BatchGetItem left ${pending.length} keys of table '${table}' unprocessed after ${throttled} tries ` +
            'that returned none of them (the table is throttled): retry later, or raise its read capacity.',
          { cause: undefined, retriable: true },
        );
      }
      await backoff(options.retry, throttled);
    }
  }
  return found;
}

/** Runs `task` over `items` with at most `limit` in flight; results in input order; stops at a failure. */
export async function mapConcurrent<I, O>(
  items: readonly I[],
  limit: number,
  task: (item: I) => Promise<O>,
): Promise<O[]> {
  const results = new Array<O>(items.length);
  let next = 0;
  // Once a task fails, the caller gets its error: the other workers start nothing more.
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await task(items[index] as I);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
