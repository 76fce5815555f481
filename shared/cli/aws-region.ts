// A command that reads DynamoDB or the Lambda API checks for a region before its first call.
// Without one the SDK fails that call with "Region is missing", which names no flag and, in status,
// comes only once Kafka is connected. A region the SDK finds by itself (a profile's) is enough.
import { sdkDefaultRegion } from '../aws/sdk.ts';
import { UsageError } from './command.ts';

/** The region the AWS SDK finds with none passed (a profile's), or undefined; tests replace it. */
export type DefaultRegion = () => Promise<string | undefined>;

/** The AWS SDK's own lookup: AWS_REGION, then the profile's region in ~/.aws/config. */
export const SDK_DEFAULT_REGION: DefaultRegion = sdkDefaultRegion;

/**
 * Resolves when `region` (from --region, AWS_REGION or AWS_DEFAULT_REGION) is set or the SDK finds
 * one; otherwise a {@link UsageError} (exit 2) saying that `what` needs a region and how to give it.
 * `endpointWorks`: for DynamoDB, where a local endpoint needs no region (dynamoDbClientSettings).
 *
 * @example
 * ```ts
 * await requireAwsRegion('The quarantine table Q', regionOf(flags, env), SDK_DEFAULT_REGION, true);
 * ```
 */
export async function requireAwsRegion(
  what: string,
  region: string | undefined,
  defaultRegion: DefaultRegion,
  endpointWorks = false,
): Promise<void> {
  if (region || (await defaultRegion())) return;
  throw new UsageError(
    `${what} needs an AWS region: pass --region R or set AWS_REGION (or a region in your AWS profile)` +
      `${endpointWorks ? '; for DynamoDB Local pass --endpoint URL (or set DYNAMODB_ENDPOINT)' : ''}.`,
  );
}
