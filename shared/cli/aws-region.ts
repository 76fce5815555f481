// A command that reads DynamoDB or the Lambda API checks for a region before its first call.
// Without one the SDK fails that call with "Region is missing", which names no flag and, in status
// and restore, comes only once Kafka is connected. A region the SDK finds by itself (a profile's)
// is enough.
import { sdkDefaultRegion } from '../aws/sdk.ts';
import { UsageError } from './command.ts';

/** The region the AWS SDK finds with none passed (a profile's), or undefined; tests replace it. */
export type DefaultRegion = () => Promise<string | undefined>;

/** One command run's region: the given one (regionOf), else the SDK's, looked up at most once. */
export interface RunRegion {
  /** From --region, AWS_REGION or AWS_DEFAULT_REGION (regionOf). */
  readonly given: string | undefined;
  /** `given`, else the SDK's lookup (a profile's region); the lookup runs on the first call only. */
  readonly resolve: () => Promise<string | undefined>;
}

/**
 * The region of one command run, from `given` (regionOf) or else `defaultRegion`.
 *
 * @example
 * ```ts
 * const region = runRegion(regionOf(flags, env), io.defaultRegion);
 * ```
 */
export function runRegion(
  given: string | undefined,
  defaultRegion: DefaultRegion = sdkDefaultRegion,
): RunRegion {
  let found: Promise<string | undefined> | undefined;
  return {
    given,
    resolve: () => {
      if (given) return Promise.resolve(given);
      found ??= defaultRegion();
      return found;
    },
  };
}

/** What calls AWS, as the message names it ("The quarantine table Q", "--esm-uuid u"), and which API. */
export type RegionNeed = {
  readonly what: string;
  /** The region it needs, as the message says it. @default 'an AWS region' */
  readonly which?: string;
} & (
  | {
      readonly api: 'dynamodb';
      /** --endpoint or DYNAMODB_ENDPOINT (endpointOf): a local endpoint needs no region (dynamoDbClientSettings). */
      readonly endpoint: string | undefined;
    }
  // The Lambda API has no local endpoint: --endpoint does not stand in for its region.
  | { readonly api: 'lambda' }
);

/**
 * The region `need` is called in: the given one, else the SDK's; a {@link UsageError} (exit 2) saying
 * what needs a region and how to give it when there is none. A DynamoDB endpoint skips the check
 * (answer: the given region, maybe none); without one, the message names --endpoint too.
 *
 * @example
 * ```ts
 * await requireAwsRegion({ what: 'The quarantine table Q', api: 'dynamodb', endpoint }, runRegion(region));
 * ```
 */
export async function requireAwsRegion(
  need: RegionNeed & { api: 'lambda' },
  region: RunRegion,
): Promise<string>;
export async function requireAwsRegion(need: RegionNeed, region: RunRegion): Promise<string | undefined>;
export async function requireAwsRegion(need: RegionNeed, region: RunRegion): Promise<string | undefined> {
  if (need.api === 'dynamodb' && need.endpoint) return region.given;
  const found = await region.resolve();
  if (found) return found;
  throw new UsageError(
    `${need.what} needs ${need.which ?? 'an AWS region'}: pass --region R or set AWS_REGION (or a region in your ` +
      `AWS profile)${need.api === 'dynamodb' ? '; for DynamoDB Local pass --endpoint URL (or set DYNAMODB_ENDPOINT)' : ''}.`,
  );
}

/**
 * Refuses, before connecting, the table and ESM reads the SDK would fail with "Region is missing":
 * `tables` as the command line names them ("--checkpoint-table C"), read at `endpoint` when set.
 */
export async function requireTableAndEsmRegion(
  reads: {
    readonly tables: readonly string[];
    readonly esmUuid?: string | undefined;
    readonly endpoint?: string | undefined;
  },
  region: RunRegion,
): Promise<void> {
  if (reads.tables.length > 0)
    await requireAwsRegion(
      { what: reads.tables.join(' and '), api: 'dynamodb', endpoint: reads.endpoint },
      region,
    );
  if (reads.esmUuid) await requireAwsRegion({ what: `--esm-uuid ${reads.esmUuid}`, api: 'lambda' }, region);
}
