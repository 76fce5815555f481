/**
 * mskguard/testing: what a user needs to unit-test a guarded handler without AWS — Kafka events in
 * Lambda's wire format, a Lambda context, and an in-memory checkpoint store. The exact tier needs a
 * Redis: point a `RespScriptRunner` at a local `redis-server` in tests.
 *
 * @example
 * ```ts
 * import { encodeKafkaEvent, lambdaContext, MemoryCheckpointStore } from 'mskguard/testing';
 *
 * const event = encodeKafkaEvent([{ topic: 'orders', partition: 0, offset: 0, value: '{"orderId":"o-1"}' }]);
 * const response = await handler(event, lambdaContext());
 * ```
 */
// The declarations use Node's types (Buffer, NodeJS.ProcessEnv): the reference makes a project whose
// tsconfig lists no "types" load @types/node too. preserve: TypeScript 5.5+ drops it from the .d.ts otherwise.
/// <reference types="node" preserve="true" />
export {
  type EncodeKafkaEventOptions,
  encodeKafkaEvent,
  encodeKafkaRecord,
  type KafkaRecordInput,
} from '../msk/encode.ts';
export { type LambdaContextOptions, lambdaContext } from './lambda-context.ts';
export { MemoryCheckpointStore } from './memory-checkpoint-store.ts';
