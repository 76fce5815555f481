// Proves §3 record identity behind G1 and G2 for the configured sources: they decide which records
// are the same business event (the first that yields a key, in order; one id whichever found it);
// header values are read as raw bytes and checked; absent, empty, imprecise or boolean jsonPath
// material yields no key rather than a shared one; key function failures are typed (G6).
import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '#shared/errors.ts';
import { createKeyDeriver, KeyDerivationError, type KeySource } from '#shared/keys/index.ts';
import { UNCHECKED_MAX_BYTES } from '#shared/msk/headers.ts';
import type { ParsedRecord } from '#shared/msk/index.ts';
import { parseMskEventDeferred } from '#shared/msk/parse.ts';
import { keyOf, recordOf } from './deriver-fixtures.ts';

const derive = (
  sources: readonly KeySource[],
  records: ParsedRecord[],
  fallback: 'contentHash' | 'none' = 'none',
) => createKeyDeriver({ group: 'orders-consumer', sources, fallback })(records);

/** A deferred parse of raw records (offsets 0, 1, ...) whose `idempotency-key` headers are `values`. */
const deferredWithKeyHeaders = (...values: unknown[][]) =>
  parseMskEventDeferred({
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn',
    records: {
      'orders-0': values.map((bytes, offset) => ({
        topic: 'orders',
        partition: 0,
        offset,
        timestamp: 0,
        timestampType: 'CREATE_TIME',
        key: null,
        value: null,
        headers: [{ 'idempotency-key': bytes }],
      })),
    },
  });

describe('createKeyDeriver', () => {
  it('takes the first source that yields a key, in the configured order', () => {
    // Prepare
    const sources: KeySource[] = [
      { type: 'header' },
      { type: 'jsonPath', path: 'order.id' },
      { type: 'recordKey' },
    ];
    const withHeader = recordOf({
      key: 'k1',
      value: '{"order":{"id":"o1"}}',
      headers: [{ name: 'idempotency-key', value: 'h1' }],
    });
    const withJson = recordOf({ key: 'k2', value: '{"order":{"id":"o2"}}' });
    const withKey = recordOf({ key: 'k3', value: 'not json' });
    const withNothing = recordOf({ value: 'not json' });

    // Act
    const results = derive(sources, [withHeader, withJson, withKey, withNothing]);

    // Assess
    expect(results.map((r) => (r.missing ? 'missing' : r.source))).toEqual([
      'header',
      'jsonPath',
      'recordKey',
      'missing',
    ]);
    expect(results.map((r) => r.record)).toEqual([withHeader, withJson, withKey, withNothing]);
  });

  it('gives the same business id the same digest whichever source found it', () => {
    // Prepare
    const sources: KeySource[] = [
      { type: 'header' },
      { type: 'jsonPath', path: 'id' },
      { type: 'recordKey' },
    ];
    const records = [
      recordOf({ headers: [{ name: 'idempotency-key', value: '42' }] }),
      recordOf({ value: '{"id":42}' }),
      recordOf({ value: '{"id":"42"}' }),
      recordOf({ key: '42' }),
    ];

    // Act
    const ids = derive(sources, records).map((r) => keyOf(r).id);

    // Assess
    expect(new Set(ids).size).toBe(1);
  });

  it('reads the last header of a repeated name and skips null or empty header values', () => {
    // Prepare
    const sources: KeySource[] = [{ type: 'header', name: 'event-id' }, { type: 'recordKey' }];
    const repeated = recordOf({
      headers: [
        { name: 'event-id', value: 'a' },
        { name: 'event-id', value: 'b' },
      ],
    });
    const justB = recordOf({ headers: [{ name: 'event-id', value: 'b' }] });
    const empty = recordOf({ key: 'k', headers: [{ name: 'event-id', value: '' }] });
    const nulled = recordOf({ key: 'k', headers: [{ name: 'event-id', value: null }] });
    const otherCase = recordOf({ key: 'k', headers: [{ name: 'Event-Id', value: 'x' }] });

    // Act
    const [a, b, c, d, e] = derive(sources, [repeated, justB, empty, nulled, otherCase]);

    // Assess
    expect(keyOf(a).id).toBe(keyOf(b).id);
    expect([keyOf(c).source, keyOf(d).source, keyOf(e).source]).toEqual([
      'recordKey',
      'recordKey',
      'recordKey',
    ]);
  });

  it('reads a key header as raw bytes, to the same digest for signed and unsigned bytes', () => {
    // Prepare: signed (Java) and unsigned bytes of one id; then one byte out of range.
    const signed = deferredWithKeyHeaders([104, -1, 49], [104, 255, 49], [104, 300, 49]);
    const deriver = createKeyDeriver({ group: 'orders-consumer', sources: [{ type: 'header' }] });

    // Act
    const keys = deriver(signed.batch.records);

    // Assess: one id for the two spellings of the same bytes; the bad byte yields a key that is
    // never used, because the event's payload check rejects it with the typed error.
    expect(keyOf(keys[0]).id).toBe(keyOf(keys[1]).id);
    expect(keys[2]?.missing).toBe(false);
    expect(() => signed.verify()).toThrow(InvalidEventError);
    expect(() => signed.verify()).toThrow(/header "idempotency-key" byte 1 is number 300/);
  });

  it('checks a long key header as it reads it', () => {
    // Prepare: a value longer than UNCHECKED_MAX_BYTES, bad in its last byte.
    const long = [...Array.from({ length: UNCHECKED_MAX_BYTES }, () => 97), 300];
    const { batch } = deferredWithKeyHeaders(long);
    const deriver = createKeyDeriver({ group: 'orders-consumer', sources: [{ type: 'header' }] });

    // Act / Assess: refused before it is copied into a frame.
    expect(() => deriver(batch.records)).toThrow(
      new RegExp(`header "idempotency-key" byte ${UNCHECKED_MAX_BYTES} is number 300`),
    );
  });

  it.each([
    ['a missing path', '{"order":{}}'],
    ['a value that is not JSON', '{"order":'],
    ['a tombstone', null],
    ['null', '{"order":{"id":null}}'],
    ['a boolean', '{"order":{"id":true}}'],
    ['an empty string', '{"order":{"id":""}}'],
    ['an empty object', '{"order":{"id":{}}}'],
    ['an integer beyond 2^53 (JSON.parse would round it)', '{"order":{"id":12345678901234567891}}'],
    ['a path through a string', '{"order":"id"}'],
    ['a non-index segment into an array', '{"order":[{"id":"x"}]}'],
    ['a lone surrogate (U+FFFD would merge it with others)', '{"order":{"id":"\\ud800"}}'],
    [
      'invalid UTF-8 (U+FFFD would merge it with others)',
      Buffer.from([...Buffer.from('{"order":{"id":"'), 0xff, ...Buffer.from('"}}')]),
    ],
  ])('yields no jsonPath key for %s', (_name, value) => {
    // Prepare
    const record = recordOf({ value });

    // Act
    const [result] = derive([{ type: 'jsonPath', path: 'order.id' }], [record]);

    // Assess
    expect(result).toEqual({ missing: true, record });
  });

  it('keys objects by canonical JSON, indexes arrays, and accepts exact numbers', () => {
    // Prepare
    const path = (p: string): KeySource[] => [{ type: 'jsonPath', path: p }];
    const a = recordOf({ value: '{"k":{"b":1,"a":[2,{"y":1,"x":0}]}}' });
    const b = recordOf({ value: '{"k":{"a":[2,{"x":0,"y":1}],"b":1}}' });
    const c = recordOf({ value: '{"k":{"a":[2,{"x":0,"y":2}],"b":1}}' });
    const arr = recordOf({ value: '{"items":[{"sku":"s-1"},{"sku":"s-2"}]}' });
    const s2 = recordOf({ headers: [{ name: 'idempotency-key', value: 's-2' }] });
    const float = recordOf({ value: '{"k":1.5}' });

    // Act
    const [ka, kb, kc] = derive(path('k'), [a, b, c]);
    const [kArr] = derive(path('items.1.sku'), [arr]);
    const [kS2] = derive([{ type: 'header' }], [s2]);
    const [kFloat] = derive(path('k'), [float]);

    // Assess
    expect(keyOf(ka).id).toBe(keyOf(kb).id);
    expect(keyOf(ka).id).not.toBe(keyOf(kc).id);
    expect(keyOf(kArr).id).toBe(keyOf(kS2).id);
    expect(keyOf(kFloat).source).toBe('jsonPath');
  });

  it('uses a key function returning strings or bytes, and falls through on undefined', () => {
    // Prepare
    const ids: Record<string, string | Uint8Array | undefined> = {
      a: 'id-x',
      b: new Uint8Array([105, 100, 45, 120]),
    };
    const fn = (r: ParsedRecord) => ids[r.value!.toString()];
    const records = ['a', 'b', 'c'].map((value) => recordOf({ key: 'fallback', value }));

    // Act
    const [s, bytes, none] = derive([{ type: 'function', fn }, { type: 'recordKey' }], records);

    // Assess
    expect(keyOf(s).id).toBe(keyOf(bytes).id);
    expect(keyOf(s).source).toBe('function');
    expect(keyOf(none).source).toBe('recordKey');
  });

  it.each([
    [
      'throws',
      () => {
        throw new Error('no id');
      },
      'The key function threw',
    ],
    ['returns a Promise', async () => 'id', 'a Promise (key functions must be synchronous)'],
    ['returns a number', () => 42 as unknown as string, 'returned number'],
    ['returns a lone surrogate', () => '\ud800', 'lone surrogate'],
  ])('raises KeyDerivationError naming the record when the function %s', (_name, fn, message) => {
    // Prepare
    const record = recordOf({ value: 'v' });
    const deriver = createKeyDeriver({ group: 'g', sources: [{ type: 'function', fn: fn as () => string }] });

    // Act
    const act = () => deriver([record]);

    // Assess
    expect(act).toThrow(KeyDerivationError);
    expect(act).toThrow(message);
    expect(act).toThrow(record.coordinate);
  });

  it("gives only the failing record a MissingKey carrying the error with onKeyFunctionError: 'missing'", () => {
    // Prepare: the function fails on 'bad' (what the middleware sets: one record's partition stops).
    const records = [
      recordOf({ value: 'good' }),
      recordOf({ value: 'bad' }),
      recordOf({ value: 'also good' }),
    ];
    const deriver = createKeyDeriver({
      group: 'g',
      onKeyFunctionError: 'missing',
      sources: [
        {
          type: 'function',
          fn: (r) => {
            if (r.value?.toString() === 'bad') throw new Error('no order id');
            return r.value?.toString();
          },
        },
      ],
    });

    // Act
    const [first, failed, third] = deriver(records);

    // Assess
    expect(keyOf(first).source).toBe('function');
    expect(keyOf(third).source).toBe('function');
    expect(failed).toMatchObject({ missing: true, record: records[1] });
    const error = (failed as { error?: Error }).error;
    expect(error).toBeInstanceOf(KeyDerivationError);
    expect(error?.message).toContain(records[1]!.coordinate);
    expect((error?.cause as Error).message).toBe('no order id');
  });

  it('refuses an onKeyFunctionError other than throw or missing', () => {
    expect(() => createKeyDeriver({ group: 'g', onKeyFunctionError: 'skip' as never })).toThrow(
      /onKeyFunctionError must be 'throw' or 'missing'/,
    );
  });
});
