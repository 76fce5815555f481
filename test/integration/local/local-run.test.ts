// G1 (no duplicate effect) and G2 (nothing lost) end to end: `mskguard local` on the real stack
// (Kafka, DynamoDB Local, Redis behind the Upstash REST endpoint) with producer duplicates,
// redeliveries and every fault injected (a throwing handler, a record failing mid-batch, a poller
// crash before its commit, a cache outage, a producer duplicate burst, a stopped consumer, an offset
// loss restored with `restore auto`): every business key takes effect exactly once, and checkpoints,
// committed offsets and high watermarks end equal (G3). Also design §8: each fault fires its alarm
// when the synthesized stack's alarms are evaluated over the EMF lines the run printed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_ALARMS, LOCAL_FAULTS, runLocalPipeline } from '#local/pipeline/run.ts';
import { formatSummary, type LocalRunSummary } from '#local/pipeline/summary.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

const tables = {
  checkpoints: uniqueName('ckpt'),
  quarantine: uniqueName('quar'),
  audit: uniqueName('audit'),
};

describe('runLocalPipeline', () => {
  let summary: LocalRunSummary;
  let progress = '';

  beforeAll(async () => {
    summary = await runLocalPipeline({
      records: 2000,
      batchSize: 100,
      endpoints: stackEnv(),
      tables,
      progress: {
        write: (text: string) => {
          progress += text;
        },
        isTTY: false,
      },
    });
  }, 300_000);

  afterAll(() => {
    if (!summary?.ok) process.stderr.write(`${progress}\n${summary ? formatSummary(summary) : ''}`);
  });

  it('gives every business key exactly one effect and loses none, through every fault', () => {
    // Assess
    expect(summary.faults).toEqual([...LOCAL_FAULTS]);
    expect(summary.effects).toEqual({ keys: summary.unique, min: 1, max: 1, notOne: 0 });
    expect(summary.lost).toBe(0);
    expect(summary.processed).toBe(summary.unique);
    expect(summary.onFailureBatches).toBe(0);
    expect(summary.ok).toBe(true);
  });

  it('withholds the duplicates in the tier that proves each kind', () => {
    // Assess: redeliveries below the checkpoint, producer duplicates within and across batches.
    expect(summary.producerDuplicates).toBeGreaterThan(0);
    expect(summary.redeliveriesInjected).toBeGreaterThan(0);
    expect(summary.withheld.watermark).toBeGreaterThanOrEqual(summary.redeliveriesInjected);
    expect(summary.withheld.batch).toBeGreaterThan(0);
    expect(summary.withheld.exact).toBeGreaterThan(0);
    expect(summary.delivered).toBeGreaterThan(summary.produced);
  });

  it('ends with checkpoint = committed offset = high watermark on every partition', () => {
    // Assess
    expect(summary.partitionStates).toHaveLength(3);
    for (const p of summary.partitionStates) expect([p.checkpoint, p.committed]).toEqual([p.high, p.high]);
    expect(summary.partitionStates.reduce((a, p) => a + p.high, 0)).toBe(summary.produced);
  });

  it('injected each fault and restored the lost offsets from the checkpoints', () => {
    // Assess
    expect(summary.retries).toBeGreaterThanOrEqual(2);
    expect(progress).toMatch(/fault: invocation on .* threw/);
    expect(progress).toMatch(/partial-batch response for .*: committed up to \d+, redelivering from it/);
    expect(progress).toMatch(/fault: consumer crash mid-batch/);
    expect(progress).toMatch(/fault: offset loss/);
    expect(progress).toMatch(/restore: .*verified/);
    expect(progress).toMatch(/fault: cache outage/);
    expect(progress).toMatch(/fault: producer duplicate burst/);
    expect(progress).toMatch(/fault: consumer stopped/);
    expect(progress.match(/ {2}checkpoint {2}/g)).toHaveLength(3);
  });

  it('prints a summary table with the effect check and a row per partition', () => {
    // Act
    const table = formatSummary(summary);

    // Assess
    expect(table).toMatch(/^mskguard local run: OK/);
    expect(table).toMatch(/effects per key \(min \/ max\) +1 \/ 1/);
    expect(table).toMatch(/keys with effects != 1 +0\n/);
    expect(table).toMatch(/lost records +0\n/);
    expect(table).toMatch(/batch latency p50 \/ p99 +[\d.]+ ms \/ [\d.]+ ms/);
  });

  it.each(Object.entries(FAULT_ALARMS))('fault "%s" fires %j', (_fault, kinds) => {
    // Assess
    const fired = summary.alarms.fired.map((f) => f.kind);
    for (const kind of kinds) expect(fired, `${kind} in ${fired.join(', ')}`).toContain(kind);
  });

  it('prints the alarms that fired and evaluates every alarm on MskGuard metrics', () => {
    // Act
    const table = formatSummary(summary);

    // Assess
    expect(table).toMatch(/FIRED degradedMode/);
    expect(table).toMatch(/FIRED esmNotEnabled/);
    expect([...summary.alarms.notEvaluated].sort()).toEqual(
      [
        'duration',
        'errors',
        'offsetLag',
        'onFailureDropped',
        'onFailureMessages',
        'restoreErrors',
        'throttles',
      ].sort(),
    );
    expect(summary.alarms.evaluated).toBe(8);
  });
});
