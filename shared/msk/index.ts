/**
 * The Lambda Kafka event model: parse and validate MSK / self-managed Kafka events, rebuild a
 * filtered event for the handler, process records in partition order and build or read the
 * Kafka partial-batch response.
 *
 * @example
 * ```ts
 * import { parseMskEvent, processRecordsInOrder } from 'mskguard';
 * const { response } = await processRecordsInOrder(parseMskEvent(event), handleRecord);
 * ```
 */
export { buildMskEvent, buildMskEventFromPartitions, type KafkaEventLike } from './build.ts';
export {
  type EncodeKafkaEventOptions,
  encodeKafkaEvent,
  encodeKafkaRecord,
  type KafkaRecordInput,
} from './encode.ts';
export { isParsedBatch, type ParsedBatch, type PartitionBatch, parseMskEvent } from './parse.ts';
export {
  type FailedRecord,
  type ProcessRecordsOptions,
  type ProcessRecordsResult,
  processRecordsInOrder,
  type RecordHandler,
} from './process.ts';
export { ParsedRecord, type ParsedRecordInit } from './record.ts';
export {
  type BatchResponseOutcome,
  interpretBatchResponse,
  type KafkaBatchItemFailure,
  type KafkaBatchResponse,
  type KafkaItemIdentifier,
  toBatchItemFailures,
} from './response.ts';
export {
  type KafkaEvent,
  KafkaEventSource,
  type KafkaHeader,
  type RawKafkaHeader,
  type RawKafkaRecord,
} from './types.ts';
