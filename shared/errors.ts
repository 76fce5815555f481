/**
 * Every error a user of mskguard can meet. Each one names what went wrong and the
 * next step to take; `retriable` says whether trying again without a change can help.
 *
 * @example
 * ```ts
 * try { parseMskEvent(event); } catch (e) { if (e instanceof InvalidEventError) log.error(e.message, { record: e.record }); }
 * ```
 */
export class MskGuardError extends Error {
  /** Whether the same call may succeed when tried again. */
  public readonly retriable: boolean;

  public constructor(message: string, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
  }
}

/** Options passed to a factory (middleware, store, client) are invalid. Fixed by changing the configuration. */
export class ConfigurationError extends MskGuardError {}

/** The Lambda event (or one of its records) is not a valid MSK / self-managed Kafka event. */
export class InvalidEventError extends MskGuardError {
  /** `topic-partition@offset` of the offending record, when one is known. */
  public readonly record: string | undefined;

  public constructor(message: string, options: { cause?: unknown; record?: string } = {}) {
    super(options.record ? `${message} (record ${options.record})` : message, options);
    this.record = options.record;
  }
}

/** No idempotency key could be derived from a record and `onMissingKey` is `'reject'`. */
export class MissingIdempotencyKeyError extends MskGuardError {
  public readonly record: string;

  public constructor(record: string, sources: readonly string[]) {
    super(
      `No idempotency key for record ${record}: none of the configured sources (${sources.join(', ')}) ` +
        `yielded a value. Add the key to the record, add a source, or set onMissingKey: 'process'.`,
    );
    this.record = record;
  }
}

/** The dedup cache (Redis / Upstash) could not be reached or answered with an error. */
export class CacheUnavailableError extends MskGuardError {
  public constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retriable: true });
  }
}
