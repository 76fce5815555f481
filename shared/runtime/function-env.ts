/**
 * Names of the environment variables the stack sets on the functions. The values are only names,
 * ARNs, endpoints and ids — never a secret: secrets are read at runtime from Secrets Manager by ARN.
 * Function code reads these names from here so the two sides cannot drift.
 *
 * @example
 * ```ts
 * import { FUNCTION_ENV } from 'mskguard';
 * const table = process.env[FUNCTION_ENV.CHECKPOINT_TABLE];
 * ```
 */
export const FUNCTION_ENV = {
  /** Kafka consumer group id of the event source mapping (also the metrics dimension). */
  CONSUMER_GROUP: 'MSKGUARD_CONSUMER_GROUP',
  /** Topic the event source mapping reads. */
  TOPIC: 'MSKGUARD_TOPIC',
  /** DynamoDB checkpoints table name (schema: docs/decisions/0002-dynamodb-table-schema.md). */
  CHECKPOINT_TABLE: 'MSKGUARD_CHECKPOINT_TABLE',
  /** DynamoDB quarantine table name. */
  QUARANTINE_TABLE: 'MSKGUARD_QUARANTINE_TABLE',
  /** DynamoDB audit table name (restore runs). */
  AUDIT_TABLE: 'MSKGUARD_AUDIT_TABLE',
  /** `upstash` or `elasticache`. */
  CACHE_BACKEND: 'MSKGUARD_CACHE_BACKEND',
  /** ARN (or partial ARN) of the secret holding `{"url": "...", "token": "..."}` for Upstash REST. */
  UPSTASH_SECRET_ARN: 'MSKGUARD_UPSTASH_SECRET_ARN',
  /** ElastiCache Serverless endpoint host (TLS only). */
  REDIS_HOST: 'MSKGUARD_REDIS_HOST',
  /** ElastiCache Serverless endpoint port. */
  REDIS_PORT: 'MSKGUARD_REDIS_PORT',
  /** `true` when the Redis endpoint requires TLS (always for ElastiCache Serverless). */
  REDIS_TLS: 'MSKGUARD_REDIS_TLS',
  /**
   * `true` when the Redis endpoint is a cluster (cluster mode enabled: always for ElastiCache
   * Serverless): the function then runs its scripts with a cluster-aware client.
   */
  REDIS_CLUSTER: 'MSKGUARD_REDIS_CLUSTER',
  /** Comma-separated bootstrap brokers (restore and topics provider only). */
  KAFKA_BROKERS: 'MSKGUARD_KAFKA_BROKERS',
  /** `iam` or `scram`. */
  KAFKA_AUTH: 'MSKGUARD_KAFKA_AUTH',
  /** ARN of the SASL/SCRAM secret (`{"username","password"}`) when KAFKA_AUTH is `scram`. */
  KAFKA_SECRET_ARN: 'MSKGUARD_KAFKA_SECRET_ARN',
  /** Redis hash tags the group's dedup keys are spread over (mskGuard's `cacheShards`; default 1). */
  CACHE_SHARDS: 'MSKGUARD_CACHE_SHARDS',
  /** Dedup mode, `exact` (default) or `probabilistic`. */
  MODE: 'MSKGUARD_MODE',
  /** What the consumer does when the cache is unreachable: `fail` (default) or `degrade`. */
  ON_CACHE_UNAVAILABLE: 'MSKGUARD_ON_CACHE_UNAVAILABLE',
  /** JSON array of {@link RestoreTarget}: the groups the restore function may act on. */
  RESTORE_TARGETS: 'MSKGUARD_RESTORE_TARGETS',
} as const;

/** One consumer group the restore function may restore, with the ESM it disables and re-enables. */
export interface RestoreTarget {
  readonly consumerGroupId: string;
  readonly topic: string;
  /** UUID of the Lambda event source mapping (for Get/UpdateEventSourceMapping). */
  readonly eventSourceMappingId: string;
  readonly functionName: string;
}
