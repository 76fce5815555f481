/**
 * mskguard: effectively-once Kafka processing on AWS Lambda.
 *
 * @example
 * ```ts
 * import middy from '@middy/core';
 * import { mskGuard, processRecordsInOrder, UpstashScriptRunner } from 'mskguard';
 * ```
 */
export { type RespRunnerOptions, RespScriptRunner } from './cache/resp.ts';
export type { LuaScript, ScriptRunner } from './cache/script-runner.ts';
export { type UpstashRunnerOptions, UpstashScriptRunner } from './cache/upstash.ts';
export { DynamoCheckpointStore } from './checkpoints/dynamodb-store.ts';
export type { Checkpoint, CheckpointStore, CheckpointUpdate, PartitionRef } from './checkpoints/types.ts';
export { ClaimStatus, RedisDedupTier } from './dedup/redis-tier.ts';
export * from './errors.ts';
export type { KeySource } from './keys/index.ts';
export { stageEffects } from './middleware/effects.ts';
export { mskGuard } from './middleware/mskGuard.ts';
export type { MskGuardOptions, QuarantineEntry, QuarantineSink } from './middleware/options.ts';
export {
  buildMskEvent,
  type KafkaBatchResponse,
  type KafkaEvent,
  type ParsedRecord,
  parseMskEvent,
  processRecordsInOrder,
} from './msk/index.ts';
export { QuarantineStore } from './quarantine/store.ts';
