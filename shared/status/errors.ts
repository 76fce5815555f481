import { MskGuardError } from '../errors.ts';

/**
 * Exit codes of `mskguard status`: a script or cron job tests `!= 0`; 3 tells "the group is
 * unhealthy" from "status could not look" (1) and a bad command line (2).
 */
export const STATUS_EXIT_CODES = { healthy: 0, error: 1, usage: 2, unhealthy: 3 } as const;

/** Base of the errors of `mskguard status`. */
export class StatusError extends MskGuardError {}

/**
 * A StatusError with the next step to take, which the CLI prints on a line of its own. Kept apart
 * from StatusError so that the public class (and its API report) stays as it was.
 */
export class HintedStatusError extends StatusError {
  public readonly hint: string | undefined;

  public constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.hint = options.hint;
  }
}

/** No broker of the list answered (refused, timed out, TLS or SASL failed). */
export class BrokersUnreachableError extends HintedStatusError {}

/** A table status reads (checkpoints, quarantine) does not exist or cannot be read. */
export class StatusTableError extends HintedStatusError {}

/** The event source mapping named by --esm-uuid cannot be read from the Lambda API. */
export class StatusEsmError extends HintedStatusError {}

/** The topic does not exist on the brokers. */
export class TopicNotFoundError extends StatusError {}

/** Neither the brokers nor the checkpoint table know the consumer group. */
export class GroupNotFoundError extends StatusError {}
