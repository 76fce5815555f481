import { MskGuardError } from '#shared/errors.ts';

/** A local service of the development stack failed to start or to answer. Not part of the package. */
export class StackError extends MskGuardError {}
