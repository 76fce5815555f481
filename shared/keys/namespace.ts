import { ConfigurationError } from '../errors.ts';

/** First segment of every Redis key mskguard writes. */
export const KEY_ROOT = 'mskguard';

// Lambda's own rule for a Kafka ESM consumer group id (AmazonManagedKafkaEventSourceConfig and
// SelfManagedKafkaEventSourceConfig): 1-200 characters of [a-zA-Z0-9-/*:_+=.@]. It excludes `{`
// and `}`, so the group can sit inside a Redis hash tag unescaped.
// https://docs.aws.amazon.com/lambda/latest/api/API_AmazonManagedKafkaEventSourceConfig.html
const GROUP_ID = /^[a-zA-Z0-9\-/*:_+=.@]{1,200}$/;

/**
 * Checks a consumer group id against the rule Lambda applies to an ESM's `ConsumerGroupId`
 * (1-200 characters of `a-z A-Z 0-9 - / * : _ + = . @`) and returns it. Anything else — empty,
 * too long, or holding `{` / `}`, which would break the Redis Cluster hash tag — is refused.
 *
 * @throws ConfigurationError
 * @example
 * ```ts
 * validateGroupName('orders-consumer'); // 'orders-consumer'
 * ```
 */
export function validateGroupName(group: unknown): string {
  if (typeof group !== 'string' || group === '') {
    throw new ConfigurationError(
      `A consumer group is required (the ESM's ConsumerGroupId): it namespaces every dedup key. Got ${describeGroup(group)}.`,
    );
  }
  if (!GROUP_ID.test(group)) {
    throw new ConfigurationError(
      `Invalid consumer group ${JSON.stringify(group)}: Lambda allows 1-200 characters of ` +
        `a-z A-Z 0-9 - / * : _ + = . @ (no '{' or '}', which would break the Redis hash tag).`,
    );
  }
  return group;
}

/** The Redis key space of one consumer group. */
export interface KeyNamespace {
  readonly group: string;
  /** `mskguard:{<group>}:` — the hash tag puts every key of the group in one Redis Cluster slot. */
  readonly prefix: string;
  /**
   * `prefix` followed by `parts` joined with `:`.
   * @example namespace.key('exact', '2024-06-01T10') // 'mskguard:{orders}:exact:2024-06-01T10'
   */
  key(...parts: readonly string[]): string;
}

/**
 * The key namespace of a consumer group: `mskguard:{<group>}:…`. Every key built from it shares
 * the hash tag `{<group>}`, so multi-key Lua scripts of one group run on Redis Cluster,
 * ElastiCache Serverless and Valkey.
 *
 * @throws ConfigurationError when the group is not a valid consumer group id.
 * @example
 * ```ts
 * const ns = createKeyNamespace('orders');
 * ns.prefix; // 'mskguard:{orders}:'
 * ```
 */
export function createKeyNamespace(group: string): KeyNamespace {
  const valid = validateGroupName(group);
  const prefix = `${KEY_ROOT}:{${valid}}:`;
  return Object.freeze({
    group: valid,
    prefix,
    key: (...parts: readonly string[]) => prefix + parts.join(':'),
  });
}

function describeGroup(group: unknown): string {
  if (group === '') return 'an empty string';
  return group === undefined || group === null ? String(group) : typeof group;
}
