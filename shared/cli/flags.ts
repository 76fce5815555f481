// What every mskguard command reads from its command line the same way.
import { UsageError } from './command.ts';

/** Flags as node:util parseArgs returns them. */
export type Flags = Record<string, unknown>;

/**
 * A string flag, or undefined when it is not on the command line. A flag passed with an empty value
 * (`--partitions ''`, `--via-lambda "$UNSET"`) is a {@link UsageError} naming it: read as absent it
 * would silently mean something else (every partition, a local run, no export, another table).
 */
export function str(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  if (value === '')
    throw new UsageError(`--${name} is empty: give it a value, or leave the flag out for its default.`);
  return typeof value === 'string' ? value : undefined;
}

/**
 * The brokers from `--brokers host:port[,...]`, else KAFKA_BROKERS or MSKGUARD_KAFKA_BROKERS;
 * a {@link UsageError} saying `missing` when there are none.
 */
export function brokersOf(flags: Flags, env: NodeJS.ProcessEnv, missing: string): string[] {
  const brokers = (str(flags, 'brokers') ?? env.KAFKA_BROKERS ?? env.MSKGUARD_KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw new UsageError(missing);
  return brokers;
}

/** The AWS region from `--region`, else AWS_REGION or AWS_DEFAULT_REGION; undefined when none. */
export function regionOf(flags: Flags, env: NodeJS.ProcessEnv): string | undefined {
  return str(flags, 'region') ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
}

/** The DynamoDB endpoint (DynamoDB Local) from `--endpoint`, else DYNAMODB_ENDPOINT; undefined when none. */
export function endpointOf(flags: Flags, env: NodeJS.ProcessEnv): string | undefined {
  return str(flags, 'endpoint') ?? env.DYNAMODB_ENDPOINT;
}

/**
 * --group and --topic, or a {@link UsageError} naming the flags missing ("Missing --group ID.",
 * "Missing --group ID and --topic NAME."), as status and restore say it.
 */
export function groupAndTopicOf(flags: Flags): { group: string; topic: string } {
  const group = str(flags, 'group');
  const topic = str(flags, 'topic');
  if (!group || !topic) {
    const missing = [group ? '' : '--group ID', topic ? '' : '--topic NAME'].filter(Boolean);
    throw new UsageError(`Missing ${missing.join(' and ')}.`);
  }
  return { group, topic };
}
