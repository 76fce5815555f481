import { MskGuardError } from '#shared/errors.ts';

/** An alarm definition or an expression the local evaluator cannot evaluate. */
export class LocalAlarmError extends MskGuardError {}
