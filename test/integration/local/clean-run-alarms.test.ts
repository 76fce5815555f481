// Design §8 (alarms proven against the metrics the code emits): `mskguard local --no-faults` with its
// default workload (producer duplicates and redeliveries, no fault) fires none of the stack's alarms
// when they are evaluated over the EMF lines the guard and the watchdog printed, and G1/G2 hold.
import { describe, expect, it } from 'vitest';
import { runLocalPipeline } from '#local/pipeline/run.ts';
import { stackEnv, uniqueName } from '#test/support/stack.ts';

describe('runLocalPipeline without faults', () => {
  it('fires no alarm, over a run long enough for every MskGuard alarm to be judged', async () => {
    // Act
    let progress = '';
    const summary = await runLocalPipeline({
      faults: false,
      endpoints: stackEnv(),
      tables: { checkpoints: uniqueName('ckpt'), quarantine: uniqueName('quar'), audit: uniqueName('audit') },
      progress: {
        write: (text: string) => {
          progress += text;
        },
        isTTY: false,
      },
    });

    // Assess
    expect(summary.ok, progress).toBe(true);
    expect(summary.alarms.evaluated).toBe(8);
    expect(summary.alarms.emfLines).toBeGreaterThan(0);
    // At least two 5-minute periods (duplicateRate) and three 1-minute ones (the watchdog's alarms).
    expect(summary.alarms.coveredSeconds).toBeGreaterThanOrEqual(600);
    expect(summary.alarms.fired).toEqual([]);
  }, 300_000);
});
