/**
 * Idempotency keys (design §3): which bytes identify a business event, hashed with the consumer
 * group and dedup epoch into a 16-byte digest under the group's Redis namespace.
 *
 * @example
 * ```ts
 * import { createKeyDeriver } from './index.ts';
 * const derive = createKeyDeriver({ group: 'orders-consumer', sources: [{ type: 'jsonPath', path: 'order.id' }] });
 * ```
 */
export {
  createKeyDeriver,
  type DerivedKey,
  type KeyDeriver,
  type KeyOrigin,
  type KeyResult,
  type MissingKey,
} from './deriver.ts';
export {
  DIGEST_BYTES,
  DIGEST_DOMAIN,
  DigestKind,
  digestFrame,
  digestId,
  digestPrefix,
  FrameHasher,
  frameBusinessKey,
  frameContent,
} from './digest.ts';
export { KeyDerivationError } from './errors.ts';
export { canonicalJson } from './material.ts';
export { createKeyNamespace, KEY_ROOT, type KeyNamespace, validateGroupName } from './namespace.ts';
export {
  DEFAULT_KEY_HEADER,
  type FunctionKeySource,
  type HeaderKeySource,
  type JsonPathKeySource,
  type KeyDeriverOptions,
  KeyFallback,
  type KeySource,
  KeySourceType,
  MissingKeyPolicy,
  type RecordKeySource,
  type ResolvedKeyOptions,
  resolveKeyOptions,
} from './options.ts';
export { isTracingName } from './tracing.ts';
