// Proves G6 for key configuration (invalid options fail at factory time with a ConfigurationError
// that says what to change) and the "weak keys" seed: tracing ids are refused as idempotency keys.

import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '#shared/errors.ts';
import {
  createKeyDeriver,
  createKeyNamespace,
  isTracingName,
  type KeyDeriverOptions,
  resolveKeyOptions,
  validateGroupName,
} from '#shared/keys/index.ts';

const configError = (options: unknown): ConfigurationError => {
  try {
    createKeyDeriver(options as KeyDeriverOptions);
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('expected a ConfigurationError');
};

describe('resolveKeyOptions', () => {
  it('applies the defaults: idempotency-key header, content-hash fallback, process, epoch 0, key function errors thrown', () => {
    // Prepare
    const options = { group: 'orders-consumer' };

    // Act
    const resolved = resolveKeyOptions(options);

    // Assess
    expect(resolved).toEqual({
      group: 'orders-consumer',
      sources: [{ type: 'header', name: 'idempotency-key' }],
      fallback: 'contentHash',
      onMissingKey: 'process',
      epoch: 0,
      onKeyFunctionError: 'throw',
    });
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it("defaults fallback to 'none' when onMissingKey is 'reject'", () => {
    // Prepare
    const options = { group: 'g', onMissingKey: 'reject', sources: [{ type: 'recordKey' }] } as const;

    // Act
    const resolved = resolveKeyOptions(options);

    // Assess
    expect(resolved.fallback).toBe('none');
    expect(resolved.onMissingKey).toBe('reject');
  });

  it.each([
    ['no options', undefined, 'must be an object'],
    ['no group', {}, 'consumer group is required'],
    ['an empty group', { group: '' }, 'an empty string'],
    ['a group with a hash tag brace', { group: 'orders}x' }, "no '{' or '}'"],
    ['a group with a space', { group: 'orders consumer' }, 'Invalid consumer group'],
    ['a 201-character group', { group: 'g'.repeat(201) }, '1-200 characters'],
    ['an unknown option', { group: 'g', onMissingkey: 'reject' }, 'Unknown key option "onMissingkey"'],
    ['a bad onMissingKey', { group: 'g', onMissingKey: 'drop' }, "'process' or 'reject'"],
    ['a bad fallback', { group: 'g', fallback: 'sha1' }, "'contentHash' or 'none'"],
    [
      'reject with an explicit content hash',
      { group: 'g', onMissingKey: 'reject', fallback: 'contentHash' },
      'never applies',
    ],
    ['a negative epoch', { group: 'g', epoch: -1 }, 'epoch must be a non-negative safe integer'],
    ['a fractional epoch', { group: 'g', epoch: 1.5 }, 'epoch must be'],
    ['a string epoch', { group: 'g', epoch: '1' }, 'epoch must be'],
    ['sources not an array', { group: 'g', sources: { type: 'header' } }, 'sources must be an array'],
    [
      'no sources and no fallback',
      { group: 'g', sources: [], fallback: 'none' },
      'no record could ever have a key',
    ],
    [
      'an unknown source type',
      { group: 'g', sources: [{ type: 'messageId' }] },
      'sources[0].type must be one of',
    ],
    ['a source that is not an object', { group: 'g', sources: ['header'] }, 'sources[0] must be an object'],
    [
      'a misspelt source field',
      { group: 'g', sources: [{ type: 'header', nmae: 'x' }] },
      'unknown field "nmae"',
    ],
    [
      'an empty header name',
      { group: 'g', sources: [{ type: 'header', name: '' }] },
      'non-empty header name',
    ],
    [
      'a blank header name',
      { group: 'g', sources: [{ type: 'header', name: '  ' }] },
      'non-empty header name',
    ],
    [
      'a jsonPath without path',
      { group: 'g', sources: [{ type: 'jsonPath' }] },
      'path must be a dotted path',
    ],
    [
      'an empty path segment',
      { group: 'g', sources: [{ type: 'jsonPath', path: 'order..id' }] },
      'non-empty segments',
    ],
    ['a leading dot', { group: 'g', sources: [{ type: 'jsonPath', path: '.id' }] }, 'non-empty segments'],
    [
      'a 33-segment path',
      { group: 'g', sources: [{ type: 'jsonPath', path: Array(33).fill('a').join('.') }] },
      '1-32',
    ],
    [
      'a function source without fn',
      { group: 'g', sources: [{ type: 'function', fn: 'id' }] },
      'fn must be a function',
    ],
  ])('refuses %s', (_name, options, message) => {
    // Prepare
    const build = () => configError(options);

    // Act
    const error = build();

    // Assess
    expect(error.message).toContain(message);
  });

  it.each([
    'traceparent',
    'X-Amzn-Trace-Id',
    'x-b3-traceid',
    'uber-trace-id',
    'x-datadog-trace-id',
    'b3',
    'trace-id',
    'x_trace_id',
    'traceId',
    'spanId',
  ])('refuses the tracing header %s as a key source, saying why', (name) => {
    // Prepare
    const options = { group: 'g', sources: [{ type: 'header', name }] };

    // Act
    const error = configError(options);

    // Assess
    expect(error.message).toContain('tracing id');
    expect(error.message).toContain('never an idempotency key');
  });

  it('refuses a JSON path through a tracing field', () => {
    // Prepare
    const options = { group: 'g', sources: [{ type: 'jsonPath', path: 'meta.traceId' }] };

    // Act
    const error = configError(options);

    // Assess
    expect(error.message).toContain('tracing id ("traceId")');
  });
});

describe('isTracingName', () => {
  it.each([
    ['traceparent', true],
    ['TraceState', true],
    ['x-cloud-trace-context', true],
    ['sentry-trace', true],
    ['x-b3-parentspanid', true],
    ['span_id', true],
    ['idempotency-key', false],
    ['order-id', false],
    ['traceability-id', false],
    ['contract.id', false],
    ['x-request-id', false],
  ])('%s -> %s', (name, expected) => {
    // Prepare
    const subject = name;

    // Act
    const result = isTracingName(subject);

    // Assess
    expect(result).toBe(expected);
  });
});

describe('createKeyNamespace', () => {
  it('puts the group in a hash tag so every key of the group shares one Redis Cluster slot', () => {
    // Prepare
    const group = 'team/orders:v2@eu+1=ok*.x';

    // Act
    const namespace = createKeyNamespace(group);

    // Assess
    expect(namespace.prefix).toBe('mskguard:{team/orders:v2@eu+1=ok*.x}:');
    expect(namespace.key('exact', '2024-06-01T10')).toBe(
      'mskguard:{team/orders:v2@eu+1=ok*.x}:exact:2024-06-01T10',
    );
    expect(validateGroupName(group)).toBe(group);
  });

  it('refuses a group containing a brace', () => {
    // Prepare
    const group = '{orders}';

    // Act
    const build = () => createKeyNamespace(group);

    // Assess
    expect(build).toThrow(ConfigurationError);
  });
});
