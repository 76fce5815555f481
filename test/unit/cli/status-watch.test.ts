// `mskguard status --watch` and Ctrl-C, over a stand-in broker: an interrupt during a round lets it
// finish and print, then ends the watch with its exit code; one during the wait ends the wait at once;
// the clients are closed and the interrupt handler removed either way.
import { describe, expect, it } from 'vitest';
import { runCli } from '#shared/cli/command.ts';
import { createStatusCommands } from '#shared/cli/commands/status.ts';
import type { StatusAdmin } from '#shared/status/collect.ts';
import { fakeStatusAdmin } from '#test/support/restore-cli.ts';

/** `status --watch` that would run forever, with Ctrl-C pressed `when` the first round reads or sleeps. */
async function watchInterrupted(when: 'round' | 'sleep') {
  const seen = { rounds: 0, sleeps: 0, closed: 0, listening: 0, stdout: '', stderr: '' };
  let stop = () => {};
  const base = fakeStatusAdmin();
  const admin = {
    ...base,
    listTopics: async () => {
      seen.rounds++;
      if (when === 'round') stop();
      return base.listTopics();
    },
  } as StatusAdmin;
  const commands = createStatusCommands({
    stdout: (t) => {
      seen.stdout += t;
    },
    stderr: (t) => {
      seen.stderr += t;
    },
    env: { KAFKA_BROKERS: 'b-1:9092' },
    isTty: false,
    openClients: async () => ({
      deps: { admin },
      close: async () => {
        seen.closed++;
      },
    }),
    sleep: async (_ms, signal) => {
      seen.sleeps++;
      if (when === 'sleep') stop();
      // The sleep ends when Ctrl-C aborts it, else never (the test would time out).
      if (!signal?.aborted) await new Promise((resolve) => signal?.addEventListener('abort', resolve));
    },
    watching: () => true,
    onInterrupt: (onStop) => {
      seen.listening++;
      stop = onStop;
      return () => {
        seen.listening--;
      };
    },
  });
  const argv = ['status', '--group', 'g', '--topic', 'orders', '--watch', '--json', '--max-lag', '5'];
  const code = await runCli(commands, argv, 'mskguard', { stdout: () => {}, stderr: () => {}, env: {} });
  return { code, ...seen };
}

describe('mskguard status --watch: Ctrl-C', () => {
  it('during a round: the round finishes and prints, and its exit code is the answer', async () => {
    // Act
    const seen = await watchInterrupted('round');

    // Assess: the stand-in group lags 47 > --max-lag 5, unhealthy.
    expect(seen.code).toBe(3);
    expect(seen.rounds).toBe(1);
    expect(seen.sleeps).toBe(0);
    expect(seen.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect({ closed: seen.closed, listening: seen.listening }).toEqual({ closed: 1, listening: 0 });
  });

  it('between rounds: the wait ends at once, with the last round’s exit code', async () => {
    // Act
    const seen = await watchInterrupted('sleep');

    // Assess
    expect(seen.code).toBe(3);
    expect(seen.rounds).toBe(1);
    expect(seen.sleeps).toBe(1);
    expect({ closed: seen.closed, listening: seen.listening }).toEqual({ closed: 1, listening: 0 });
  });
});
