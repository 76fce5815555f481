/**
 * mskguard: effectively-once Kafka processing on AWS Lambda. A Middy middleware for handlers of
 * Amazon MSK and self-managed Kafka event source mappings that withholds duplicate records and
 * checkpoints processed offsets to DynamoDB.
 *
 * @example
 * ```ts
 * import middy from '@middy/core';
 * import { guardOptionsFromEnv, mskGuard, processRecordsInOrder } from 'mskguard';
 *
 * export const handler = middy()
 *   .use(mskGuard(guardOptionsFromEnv()))
 *   .handler(async (event) => {
 *     const { response } = await processRecordsInOrder(event, async (record) => saveOrder(record.value));
 *     return response; // the partial-batch response: a partition stops at its first failure
 *   });
 * ```
 */
// The declarations use Node's types (Buffer, NodeJS.ProcessEnv): the reference makes a project whose
// tsconfig lists no "types" load @types/node too. preserve: TypeScript 5.5+ drops it from the .d.ts otherwise.
/// <reference types="node" preserve="true" />
export { type RespClient, type RespRunnerOptions, RespScriptRunner } from './cache/resp.ts';
export { type RespClusterRunnerOptions, RespClusterScriptRunner } from './cache/resp-cluster.ts';
export type { LuaScript, ScriptArg, ScriptRunner } from './cache/script-runner.ts';
export { type UpstashRunnerOptions, UpstashScriptRunner } from './cache/upstash.ts';
export { TableNotFoundError } from './checkpoints/dynamodb.ts';
export { DynamoCheckpointStore } from './checkpoints/dynamodb-store.ts';
export {
  CheckpointConflictError,
  CheckpointReadError,
  CheckpointWriteError,
  InvalidCheckpointError,
  StagedEffectRejectedError,
  StagedEffectsTooLargeError,
} from './checkpoints/errors.ts';
export type { OffsetRange } from './checkpoints/skipped.ts';
export type {
  AdvanceMeta,
  AdvanceResult,
  Checkpoint,
  CheckpointStore,
  CheckpointUpdate,
  PartitionRef,
  WatermarkSnapshot,
} from './checkpoints/types.ts';
export type { BloomCopiesOptions } from './dedup/bloom/snapshots.ts';
export { UnexpectedScriptReplyError } from './dedup/exact.ts';
export {
  CacheUnavailableError,
  ConfigurationError,
  InvalidEventError,
  MissingIdempotencyKeyError,
  MskGuardError,
} from './errors.ts';
export { KeyDerivationError } from './keys/errors.ts';
export type { KeyFallback, KeySource, MissingKeyPolicy } from './keys/index.ts';
export { stageEffects } from './middleware/effects.ts';
export { mskGuard } from './middleware/mskGuard.ts';
export type { MskGuardOptions, QuarantineEntry, QuarantineSink } from './middleware/options.ts';
export {
  type FailedRecord,
  type KafkaBatchItemFailure,
  type KafkaBatchResponse,
  type KafkaEvent,
  KafkaEventSource,
  type KafkaHeader,
  type KafkaItemIdentifier,
  type ParsedBatch,
  ParsedRecord,
  type PartitionBatch,
  type ProcessRecordsOptions,
  type ProcessRecordsResult,
  parseMskEvent,
  processRecordsInOrder,
  type RawKafkaHeader,
  type RawKafkaRecord,
  type RecordHandler,
} from './msk/index.ts';
export {
  InvalidQuarantineRecordError,
  QuarantineReadError,
  QuarantineRecordNotFoundError,
  QuarantineWriteError,
} from './quarantine/errors.ts';
export { QuarantineStore } from './quarantine/store.ts';
// What the restore and status commands (CLI and restore Lambda) fail with.
export {
  AuditMismatchError,
  ConsumerOffsetsDecodeError,
  EventSourceMappingError,
  GroupActiveError,
  OffsetsFileError,
  OffsetsVerificationError,
  PartitionMismatchError,
  RestoreFailedError,
  RestoreRefusedError,
  RestoreUsageError,
  UndoNotPossibleError,
  UnknownRestoreIdError,
} from './restore/errors.ts';
export { cacheFromEnv, type SecretReader } from './runtime/cache-from-env.ts';
export { FUNCTION_ENV } from './runtime/function-env.ts';
export { guardOptionsFromEnv } from './runtime/guard-from-env.ts';
export { GroupNotFoundError, StatusError, TopicNotFoundError } from './status/errors.ts';
