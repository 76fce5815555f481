import type { GetEventSourceMappingCommandOutput } from '@aws-sdk/client-lambda';

/** Where and since when a mapping reads: what judging a consumer without checkpoints needs (decision 0024). */
export interface EsmStart {
  /** When the mapping last changed (created, enabled, disabled, updated), ISO-8601. */
  readonly lastModified?: string;
  /** TRIM_HORIZON, LATEST or AT_TIMESTAMP. */
  readonly startingPosition?: string;
  /** The AT_TIMESTAMP position, ISO-8601. */
  readonly startingPositionTimestamp?: string;
}

/**
 * A GetEventSourceMapping answer's {@link EsmStart} fields, each left out (not null) when the answer
 * lacks it or holds no valid date, so JSON that carries them only gains fields.
 */
export function esmStartOf(
  m: Pick<
    GetEventSourceMappingCommandOutput,
    'LastModified' | 'StartingPosition' | 'StartingPositionTimestamp'
  >,
): EsmStart {
  return {
    ...iso('lastModified', m.LastModified),
    ...(m.StartingPosition ? { startingPosition: m.StartingPosition } : {}),
    ...iso('startingPositionTimestamp', m.StartingPositionTimestamp),
  };
}

/** `{ [name]: ISO-8601 }` for a valid date (the SDK parses the API's timestamps to Dates), `{}` otherwise. */
function iso<K extends string>(name: K, date: Date | undefined): { [P in K]?: string } {
  return date instanceof Date && Number.isFinite(date.getTime())
    ? ({ [name]: date.toISOString() } as { [P in K]: string })
    : {};
}
