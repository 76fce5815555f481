// Proves G6 (bad input gets a clear, typed error naming the record) for header bytes and
// duplicate offsets, and that parseMskEvent reads headers and offsets faithfully, whatever their
// shape: each property states the rule directly and checks the parser against it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidEventError } from '#shared/errors.ts';
import { parseMskEvent } from '#shared/msk/index.ts';
import { parseMskEventDeferred } from '#shared/msk/parse.ts';

const eventOf = (records: readonly object[], partitionKey = 't-0'): unknown => ({
  eventSource: 'SelfManagedKafka',
  records: { [partitionKey]: records },
});

const rawRecord = (offset: number, headers?: unknown): Record<string, unknown> => ({
  topic: 't',
  partition: 0,
  offset,
  timestamp: 0,
  timestampType: 'CREATE_TIME',
  ...(headers === undefined ? {} : { headers }),
});

const thrownBy = (act: () => unknown): unknown => {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
};

/** The rule: a header byte is an integer in -128..255 (Java's signed bytes or unsigned ones). */
const isHeaderByte = (b: unknown): b is number =>
  typeof b === 'number' && Number.isInteger(b) && b >= -128 && b <= 255;

// Mostly valid bytes, with every kind of wrong value mixed in now and then.
const headerByteOrNot: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.integer({ min: -128, max: 255 }), weight: 20 },
  { arbitrary: fc.integer({ min: -400, max: 400 }), weight: 2 },
  { arbitrary: fc.double(), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      -0,
      -129,
      256,
      0.5,
      255.5,
      Number.NaN,
      Infinity,
      2 ** 32,
      '1',
      null,
      true,
      [1],
      {},
    ),
    weight: 1,
  },
);

describe('parseMskEvent header bytes (properties)', () => {
  it('accepts exactly the integers in -128..255, naming the first bad byte, and maps them to b & 0xff', () => {
    fc.assert(
      fc.property(fc.array(headerByteOrNot, { maxLength: 40 }), (bytes) => {
        // Prepare
        const event = eventOf([rawRecord(7, [{ h: bytes }])]);
        const firstBad = bytes.findIndex((b) => !isHeaderByte(b));

        // Act
        const thrown = thrownBy(() => parseMskEvent(event));

        // Assess
        if (firstBad === -1) {
          expect(thrown).toBeUndefined();
          const value = parseMskEvent(event).records[0]!.lastHeader('h');
          expect(value).toEqual(Buffer.from((bytes as number[]).map((b) => (b < 0 ? b + 256 : b))));
        } else {
          expect(thrown).toBeInstanceOf(InvalidEventError);
          expect((thrown as InvalidEventError).message).toContain(`header "h" byte ${firstBad} is `);
          expect((thrown as InvalidEventError).record).toBe('t-0@7');
        }
      }),
    );
  });

  it('keeps every own name of every entry, in order, with repeats, empty entries and null values', () => {
    const entry = fc.dictionary(
      fc.constantFrom('idempotency-key', 'x-retry', 'h', '__proto__', 'constructor', 'hasOwnProperty'),
      fc.option(fc.array(fc.integer({ min: -128, max: 255 }), { maxLength: 8 }), { nil: null }),
      { maxKeys: 3 },
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 5 }), (entries) => {
        // Prepare
        const expected = entries.flatMap((e) =>
          Object.entries(e).map(([name, bytes]) => ({
            name,
            value: bytes === null ? null : Buffer.from(bytes.map((b) => (b < 0 ? b + 256 : b))),
          })),
        );

        // Act
        const { headers } = parseMskEvent(eventOf([rawRecord(1, entries)])).records[0]!;

        // Assess
        expect(headers).toEqual(expected);
      }),
    );
  });

  it('checks a long header value (past the one-pass size) byte by byte too', () => {
    // Prepare
    const bytes = Array.from({ length: 5000 }, (_, i) => (i % 384) - 128);
    const bad = [...bytes.slice(0, 4999), 256];

    // Act
    const value = parseMskEvent(eventOf([rawRecord(1, [{ h: bytes }])])).records[0]!.lastHeader('h');
    const thrown = thrownBy(() => parseMskEvent(eventOf([rawRecord(1, [{ h: bad }])])));

    // Assess
    expect(value).toEqual(Buffer.from(bytes.map((b) => (b < 0 ? b + 256 : b))));
    expect(thrown).toBeInstanceOf(InvalidEventError);
    expect((thrown as InvalidEventError).message).toContain('header "h" byte 4999 is number 256');
  });

  it('skips names an entry only inherits', () => {
    // Prepare
    const entry = Object.assign(Object.create({ inherited: [1] }) as object, { own: [2] });

    // Act
    const { headers } = parseMskEvent(eventOf([rawRecord(1, [entry])])).records[0]!;

    // Assess
    expect(headers).toEqual([{ name: 'own', value: Buffer.from([2]) }]);
  });
});

describe('parseMskEvent offsets (properties)', () => {
  it('sorts any order of offsets, and rejects a repeated offset naming the lowest one repeated', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 30 }), (offsets) => {
        // Prepare
        const raws = offsets.map((offset) => rawRecord(offset));
        const sorted = [...offsets].sort((a, b) => a - b);
        const repeated = sorted.find((o, i) => i > 0 && sorted[i - 1] === o);

        // Act
        const thrown = thrownBy(() => parseMskEvent(eventOf(raws)));

        // Assess
        if (repeated === undefined) {
          expect(thrown).toBeUndefined();
          const records = parseMskEvent(eventOf(raws)).records;
          expect(records.map((r) => r.offset)).toEqual(sorted);
          const positions = records.map((r) => raws.indexOf(r.raw as unknown as Record<string, unknown>));
          expect(positions).toEqual(sorted.map((o) => offsets.indexOf(o)));
        } else {
          expect(thrown).toBeInstanceOf(InvalidEventError);
          expect((thrown as InvalidEventError).message).toContain(`Offset ${repeated} appears twice`);
          expect((thrown as InvalidEventError).record).toBe(`t-0@${repeated}`);
        }
      }),
    );
  });

  it('names each record "<topic>-<partition>" and "<topic>-<partition>@<offset>"', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-zA-Z0-9._-]{1,30}$/),
        fc.integer({ min: 0, max: 2_147_483_647 }),
        fc.uniqueArray(fc.maxSafeNat(), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        (topic, partition, offsets, partitionAsString) => {
          // Prepare
          const raws = offsets.map((offset) => ({
            ...rawRecord(offset),
            topic,
            partition: partitionAsString ? String(partition) : partition,
          }));

          // Act
          const { records } = parseMskEvent(eventOf(raws, `${topic}-${partition}`));

          // Assess
          for (const record of records) {
            expect(record.partitionKey).toBe(`${topic}-${partition}`);
            expect(record.coordinate).toBe(`${topic}-${partition}@${record.offset}`);
            expect(record.coordinate).toBe(record.coordinate);
          }
        },
      ),
    );
  });
});

describe('parseMskEventDeferred (properties)', () => {
  // Mostly valid records, each field now and then wrong in its shape or in its bytes.
  const base64OrNot = fc.oneof(
    { arbitrary: fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('base64')), weight: 12 },
    { arbitrary: fc.constantFrom(null, undefined, 'not base64!', 'YQ', 'Y=Q=', 42, ['x']), weight: 1 },
  );
  const headersOrNot = fc.oneof(
    {
      arbitrary: fc.array(
        fc.dictionary(fc.constantFrom('h', 'k'), fc.array(headerByteOrNot, { maxLength: 4 }), { maxKeys: 2 }),
        { maxLength: 3 },
      ),
      weight: 8,
    },
    { arbitrary: fc.constantFrom(undefined, null, 'h', [1], [null], {}), weight: 1 },
  );
  const recordOrNot = fc.record({
    offset: fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 20 }), weight: 12 },
      { arbitrary: fc.constantFrom(-1, 1.5, '3'), weight: 1 },
    ),
    key: base64OrNot,
    value: base64OrNot,
    headers: headersOrNot,
  });

  it('rejects exactly what parseMskEvent rejects, by the time verify returns, and reads the same records', () => {
    fc.assert(
      fc.property(fc.array(recordOrNot, { minLength: 1, maxLength: 6 }), (records) => {
        // Prepare
        const event = eventOf(
          records.map(({ offset, ...payload }) => ({ ...rawRecord(offset as number), ...payload })),
        );

        // Act
        const eager = thrownBy(() => parseMskEvent(event));
        let deferred: ReturnType<typeof parseMskEventDeferred> | undefined;
        const late = thrownBy(() => {
          deferred = parseMskEventDeferred(event);
          deferred.verify();
        });

        // Assess: the same verdict, always typed; a shape error may be named before a payload
        // error at an earlier record, so only the verdicts are compared, and the records on success.
        expect(late === undefined).toBe(eager === undefined);
        if (eager !== undefined) {
          expect(eager).toBeInstanceOf(InvalidEventError);
          expect(late).toBeInstanceOf(InvalidEventError);
          return;
        }
        const want = parseMskEvent(event).records;
        const got = deferred!.batch.records;
        expect(got.map((r) => r.coordinate)).toEqual(want.map((r) => r.coordinate));
        for (let i = 0; i < want.length; i++) {
          expect(got[i]!.key).toEqual(want[i]!.key);
          expect(got[i]!.value).toEqual(want[i]!.value);
          expect(got[i]!.lastHeader('h')).toEqual(want[i]!.lastHeader('h'));
          expect(got[i]!.headers).toEqual(want[i]!.headers);
          // Read again once the headers are built: the same answer from the other path.
          expect(got[i]!.lastHeader('h')).toEqual(want[i]!.lastHeader('h'));
          expect(got[i]!.lastHeader('k')).toEqual(want[i]!.headerValues('k').at(-1));
        }
      }),
    );
  });
});
