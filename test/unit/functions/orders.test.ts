// Guarantee: G6 for the reference consumer users copy: a record that is not an order gets a typed,
// actionable error that never quotes the record's payload, and every failed record is logged by
// coordinate instead of vanishing into the partial-batch response.
import { describe, expect, it } from 'vitest';
import { InvalidOrderError, logFailures, readOrder } from '#functions/orders.ts';
import { parseMskEvent } from '#shared/msk/index.ts';
import type { ParsedRecord } from '#shared/msk/record.ts';
import { encodeKafkaEvent } from '#shared/testing/index.ts';

const SECRET = 'card=4111111111111111';

function recordWith(value: string | null): ParsedRecord {
  return parseMskEvent(encodeKafkaEvent([{ topic: 'orders', partition: 0, offset: 7, value }])).records[0]!;
}

describe('readOrder', () => {
  it.each([
    ['not JSON', `not json ${SECRET}`, /not JSON \(SyntaxError\)/],
    ['a JSON string', JSON.stringify(SECRET), /not a JSON object/],
    ['an array', JSON.stringify([SECRET]), /not a JSON object/],
    ['no orderId', JSON.stringify({ amount: 1, note: SECRET }), /orderId/],
    ['an empty orderId', JSON.stringify({ orderId: '', amount: 1, note: SECRET }), /orderId/],
    ['no amount', JSON.stringify({ orderId: 'o-1', note: SECRET }), /amount/],
    ['a tombstone', null, /tombstone/],
  ])('refuses %s with an InvalidOrderError that does not quote the payload', (_name, value, reason) => {
    // Act
    let thrown: unknown;
    try {
      readOrder(recordWith(value));
    } catch (error) {
      thrown = error;
    }

    // Assess
    expect(thrown).toBeInstanceOf(InvalidOrderError);
    expect((thrown as Error).message).toMatch(reason);
    expect((thrown as Error).message).toContain('orders-0@7');
    expect((thrown as Error).message).not.toContain('4111');
  });

  it('reads an order', () => {
    expect(readOrder(recordWith(JSON.stringify({ orderId: 'o-1', amount: 5 })))).toMatchObject({
      orderId: 'o-1',
      amount: 5,
    });
  });
});

describe('logFailures', () => {
  it('logs each failed record by coordinate, with typed messages only', () => {
    // Prepare
    const record = recordWith('x');
    const lines: { message: string; fields: Record<string, unknown> }[] = [];
    const log = {
      error: (message: string, fields: Record<string, unknown>) => lines.push({ message, fields }),
    };

    // Act
    logFailures(
      [
        { record, error: new InvalidOrderError(record.coordinate, 'amount must be a number') },
        { record, error: new Error(`db rejected ${SECRET}`) },
      ],
      log,
    );

    // Assess
    expect(lines).toHaveLength(2);
    expect(lines[0]?.fields).toMatchObject({ record: 'orders-0@7', errorName: 'InvalidOrderError' });
    expect(String(lines[0]?.fields.reason)).toContain('amount must be a number');
    expect(lines[1]?.fields).toMatchObject({ record: 'orders-0@7', errorName: 'Error' });
    expect(JSON.stringify(lines)).not.toContain('4111');
  });
});
