import { MskGuardError } from '../errors.ts';

/**
 * A `function` key source threw, or returned something that is not a key (not a string, bytes,
 * `null` or `undefined` — a Promise, for instance: key functions must be synchronous).
 *
 * @example
 * ```ts
 * try { derive(batch.records); } catch (e) { if (e instanceof KeyDerivationError) log.error(e.message, { record: e.record }); }
 * ```
 */
export class KeyDerivationError extends MskGuardError {
  /** `topic-partition@offset` of the record whose key could not be derived. */
  public readonly record: string;

  public constructor(message: string, options: { record: string; cause?: unknown }) {
    super(
      `${message} (record ${options.record})`,
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.record = options.record;
  }
}
