// G6 and design §11: the kafka-consumer-groups CSV is read as that tool writes it (quoted fields,
// the multi-group form) and every malformed line is an OffsetsFileError naming its line.
import { describe, expect, it } from 'vitest';
import { OffsetsFileError } from '#shared/restore/errors.ts';
import { formatOffsetsCsv, parseOffsetsCsv } from '#shared/restore/offsets-csv.ts';

const expect_ = { topic: 'orders-v2', group: 'svc' };

describe('parseOffsetsCsv', () => {
  it('reads plain, quoted and group-prefixed lines, skipping blank ones', () => {
    // Act
    const offsets = parseOffsetsCsv('orders-v2,0,4\n"orders-v2",1,5\r\n\nsvc,orders-v2,2,6\n', expect_);

    // Assess
    expect(offsets).toEqual([
      { partition: 0, offset: 4 },
      { partition: 1, offset: 5 },
      { partition: 2, offset: 6 },
    ]);
  });

  it.each([
    ['orders-v2,0\n', 1, /expected topic,partition,offset/],
    ['orders-v2,0,-1\n', 1, /offset "-1" of partition 0 is not an offset/],
    ['orders-v2,0,1\norders-v2,x,1\n', 2, /partition "x"/],
    ['orders-v2,0,1\norders-v2,0,2\n', 2, /partition 0 again \(first on line 1\)/],
    ['other,0,1\n', 1, /topic other, but the restore is of topic orders-v2/],
    ['g2,orders-v2,0,1\n', 1, /group g2, but the restore is of group svc/],
    ['\n\n', 0, /no topic,partition,offset line/],
  ])('refuses %j (line %i)', (text, line, message) => {
    // Act
    const parse = () => parseOffsetsCsv(text, expect_);

    // Assess
    expect(parse).toThrow(OffsetsFileError);
    expect(parse).toThrow(message);
    try {
      parse();
    } catch (error) {
      expect((error as OffsetsFileError).line).toBe(line);
    }
  });

  it('reads back what formatOffsetsCsv writes', () => {
    // Prepare
    const rows = [0, 1].map((partition) => ({ partition, target: 10 + partition }));

    // Act
    const text = formatOffsetsCsv({ topic: 'orders-v2', rows } as never);

    // Assess
    expect(parseOffsetsCsv(text, expect_)).toEqual([
      { partition: 0, offset: 10 },
      { partition: 1, offset: 11 },
    ]);
  });
});
