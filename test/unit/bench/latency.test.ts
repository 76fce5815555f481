// The latency benchmark's options, its registration, and its arithmetic (issue 16 item 1): a bad
// --latencies value stops the run with an error that says what to pass, before any service starts;
// the peer's time measured on fewer records is scaled to the batch and the row says so; the ratio
// table takes the measured peer row over a scaled one and models the peer at exactly +N ms.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LATENCY_DEFAULTS, LatencyUsageError, latencyOptionsFrom, peerPlan } from '#bench/latency-cli.ts';
import { latencyTables, ratioRows, scaledPeerRow, toxicRttNote } from '#bench/latency-report.ts';
import { main } from '#bench/main.ts';
import type { Row } from '#bench/table.ts';

const usageError = (values: Record<string, unknown>): LatencyUsageError => {
  try {
    latencyOptionsFrom(values);
  } catch (error) {
    if (error instanceof LatencyUsageError) return error;
    throw error;
  }
  throw new Error('expected a LatencyUsageError');
};

describe('latencyOptionsFrom', () => {
  it('defaults to +0, +1 and +5 ms, 10,000-record batches and the peer on 1,000 records', () => {
    // Act
    const options = latencyOptionsFrom({});

    // Assess
    expect(options).toEqual({ latencies: [0, 1, 5], sizes: [10_000], peerRecords: 1_000 });
    expect(options).toEqual(LATENCY_DEFAULTS);
  });

  it('takes whole ms, batch sizes and a peer record count, and drops repeated latencies', () => {
    // Act
    const options = latencyOptionsFrom({ latencies: '0,2,2,10', sizes: '1000,10000', 'peer-records': '500' });

    // Assess
    expect(options).toEqual({ latencies: [0, 2, 10], sizes: [1_000, 10_000], peerRecords: 500 });
  });

  it.each([
    ['1.5', '"1.5"'],
    ['1ms', '"1ms"'],
    ['-1', '"-1"'],
    ['1001', '"1001"'],
    ['1,,5', '""'],
    ['', '""'],
  ])('refuses --latencies %j, naming the bad item and what to pass', (raw, bad) => {
    // Act
    const error = usageError({ latencies: raw });

    // Assess
    expect(error.message).toContain('--latencies must be round-trip latencies in whole milliseconds');
    expect(error.message).toContain('e.g. --latencies 0,1,5');
    expect(error.message).toContain(`(bad: ${bad})`);
  });

  it.each(['0', '99', '10001', 'many'])('refuses --peer-records %s', (raw) => {
    // Act
    const error = usageError({ 'peer-records': raw });

    // Assess
    expect(error.message).toMatch(/^--peer-records must be a whole number of records from 100 to 10,000/);
  });

  it('refuses a batch size past Lambda’s largest batch with the dedup bench’s message', () => {
    // Act
    const error = usageError({ sizes: '20000' });

    // Assess
    expect(error.message).toMatch(/^--sizes must be batch sizes from 1 to 10,000/);
  });
});

describe('npm run bench -- latency', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('stops at a bad --latencies with exit code 2 and the message, before anything runs', async () => {
    // Prepare
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);

    // Act
    const code = await main(['latency', '--latencies', '0,fast']);

    // Assess
    expect(code).toBe(2);
    const written = stderr.mock.calls.map(([chunk]) => String(chunk)).join('');
    expect(written).toMatch(/^--latencies must be round-trip latencies in whole milliseconds/);
    expect(written).not.toContain('[bench] latency: running');
  });

  it('lists the latency bench and its options in --help', async () => {
    // Prepare
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);

    // Act
    const code = await main(['--help']);

    // Assess
    expect(code).toBe(0);
    const written = stdout.mock.calls.map(([chunk]) => String(chunk)).join('');
    expect(written).toMatch(/^ {2}latency {12}dedup at \+0\/1\/5 ms per round trip/m);
    for (const option of ['--latencies A,B', '--sizes A,B', '--peer-records N']) {
      expect(written).toContain(option);
    }
  });
});

describe('peerPlan', () => {
  it.each([
    { batch: 10_000, rtt: 0, peer: 1_000, expected: { records: 10_000, scaled: false } },
    { batch: 10_000, rtt: 1, peer: 1_000, expected: { records: 1_000, scaled: true } },
    { batch: 10_000, rtt: 5, peer: 2_000, expected: { records: 2_000, scaled: true } },
    { batch: 1_000, rtt: 5, peer: 1_000, expected: { records: 1_000, scaled: false } },
    { batch: 100, rtt: 5, peer: 1_000, expected: { records: 100, scaled: false } },
  ])('$batch records at +$rtt ms, peer on $peer: $expected', ({ batch, rtt, peer, expected }) => {
    expect(peerPlan(batch, rtt, peer)).toEqual(expected);
  });
});

describe('scaledPeerRow', () => {
  it('multiplies the ms and round trips of the records it ran by batch / records, and says so', () => {
    // Prepare
    const measured: Row = { impl: 'powertools', batch: 1_000, ms: 3_450.65, roundTrips: 1_830 };

    // Act
    const row = scaledPeerRow(measured, 10_000);

    // Assess
    expect(row).toEqual({
      impl: 'powertools',
      batch: 10_000,
      ms: 34_506.5,
      roundTrips: 18_300,
      measuredRecords: 1_000,
      measuredMs: 3_450.65,
      scaled: true,
    });
  });

  it('rounds ms to hundredths and round trips to whole ones', () => {
    // Act
    const row = scaledPeerRow({ impl: 'powertools', batch: 300, ms: 100.001, roundTrips: 549 }, 1_000);

    // Assess
    expect(row.ms).toBe(333.34);
    expect(row.roundTrips).toBe(1_830);
  });
});

const guard = (impl: string, rttAddedMs: number, ms: number): Row => ({
  rttAddedMs,
  impl,
  batch: 10_000,
  ms,
  roundTrips: 2,
  measuredRecords: 10_000,
  scaled: false,
});

const ROWS: Row[] = [
  guard('mskguard-resp', 0, 20),
  guard('mskguard-upstash', 0, 30),
  { rttAddedMs: 0, impl: 'powertools', batch: 10_000, ms: 2_400, roundTrips: 18_300, scaled: false },
  { rttAddedMs: 0, impl: 'powertools', batch: 10_000, ms: 2_600, roundTrips: 18_300, scaled: true },
  guard('mskguard-resp', 1, 24),
  guard('mskguard-upstash', 1, 40),
  { rttAddedMs: 1, impl: 'powertools', batch: 10_000, ms: 30_000, roundTrips: 18_300, scaled: true },
];

describe('ratioRows', () => {
  it('gives one row per latency and batch, with the measured peer row over the scaled check', () => {
    // Act
    const rows = ratioRows(ROWS);

    // Assess
    expect(rows).toEqual([
      {
        rttAddedMs: 0,
        batch: 10_000,
        peerMs: 2_400,
        peerScaled: false,
        respMs: 20,
        peerPerResp: 120,
        upstashMs: 30,
        peerPerUpstash: 80,
        peerModelMs: 2_400,
        modelPerResp: 120,
        modelPerUpstash: 80,
      },
      {
        rttAddedMs: 1,
        batch: 10_000,
        peerMs: 30_000,
        peerScaled: true,
        respMs: 24,
        peerPerResp: 1_250,
        upstashMs: 40,
        peerPerUpstash: 750,
        // 2,400 + 18,300 × 1, then divided by 24 and by 40
        peerModelMs: 20_700,
        modelPerResp: 863,
        modelPerUpstash: 518,
      },
    ]);
  });

  it('leaves a ratio empty when a side is missing, and keeps one decimal below 10', () => {
    // Prepare
    const rows: Row[] = [
      guard('mskguard-resp', 5, 400),
      { rttAddedMs: 5, impl: 'powertools', batch: 10_000, ms: 1_000, roundTrips: 18_300, scaled: true },
    ];

    // Act
    const [row] = ratioRows(rows);

    // Assess
    expect(row).toMatchObject({ peerPerResp: 2.5, upstashMs: null, peerPerUpstash: null });
    expect(row).toMatchObject({ peerModelMs: null, modelPerResp: null, modelPerUpstash: null });
  });
});

describe('toxicRttNote', () => {
  it('says nothing at +0 ms or when a PING paid N ms once on top of the proxy', () => {
    expect(toxicRttNote('RESP', 0, 0.2, 0.3)).toBeUndefined();
    expect(toxicRttNote('RESP', 1, 0.2, 1.4)).toBeUndefined();
    expect(toxicRttNote('REST', 5, 1.5, 7.8)).toBeUndefined();
  });

  it('warns when the toxic did not apply, or applied more than once', () => {
    // Act
    const missing = toxicRttNote('RESP', 5, 0.2, 0.4);
    const twice = toxicRttNote('REST', 5, 1.5, 11.6);

    // Assess
    expect(missing).toBe(
      'warning: at +5 ms a PING over RESP took 0.4 ms against 0.2 ms through the proxy without the toxic: 0.2 ms added, not 5',
    );
    expect(twice).toContain('10.1 ms added, not 5');
  });
});

describe('latencyTables', () => {
  it('prints every row with its added RTT and whether it is scaled, then the ratios and the target', () => {
    // Act
    const [rowsTable, ratioTable, ...rest] = latencyTables(ROWS, ['NO ADDED LATENCY: test']);

    // Assess
    expect(rest).toEqual([]);
    expect(rowsTable!.rows).toBe(ROWS);
    expect(rowsTable!.columns!.map((c) => c.key)).toEqual([
      'rttAddedMs',
      'pingMs',
      'impl',
      'batch',
      'ms',
      'roundTrips',
      'measuredRecords',
      'scaled',
      'repetitions',
      'cpuMs',
    ]);
    expect(rowsTable!.columns!.find((c) => c.key === 'scaled')!.format!(true)).toBe('yes');
    expect(rowsTable!.notes!.join('\n')).toContain('scaled yes: the peer ran "measured on" records');
    expect(rowsTable!.notes).toContain('NO ADDED LATENCY: test');
    expect(ratioTable!.rows).toEqual(ratioRows(ROWS));
    expect(ratioTable!.notes!.at(-1)).toBe(
      'Target (issue 16): at least 300x at +1 ms per round trip, 10,000 records.',
    );
  });

  it('leaves out the scaling note when no row is scaled', () => {
    // Act
    const [rowsTable] = latencyTables([guard('mskguard-resp', 0, 20)], []);

    // Assess
    expect(rowsTable!.notes!.join('\n')).not.toContain('scaled yes');
  });
});
