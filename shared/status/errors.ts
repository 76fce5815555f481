import { MskGuardError } from '../errors.ts';

/**
 * Exit codes of `mskguard status`: a script or cron job tests `!= 0`; 3 tells "the group is
 * unhealthy" from "status could not look" (1) and a bad command line (2).
 */
export const STATUS_EXIT_CODES = { healthy: 0, error: 1, usage: 2, unhealthy: 3 } as const;

/** Base of the errors of `mskguard status`. */
export class StatusError extends MskGuardError {}

/** The topic does not exist on the brokers. */
export class TopicNotFoundError extends StatusError {}

/** Neither the brokers nor the checkpoint table know the consumer group. */
export class GroupNotFoundError extends StatusError {}
