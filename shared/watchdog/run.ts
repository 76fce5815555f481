import { type EmfSink, emitHealth, stdoutSink } from './emit.ts';
import { measureConsumer } from './measure.ts';
import type { ConsumerHealth, WatchdogDeps, WatchdogTarget } from './types.ts';

/** The answer of one watchdog run (also the Lambda's return value, visible in the console's test tab). */
export interface WatchdogReport {
  readonly consumers: readonly ConsumerHealth[];
}

/**
 * Measures every target and emits one EMF line per consumer. Never throws for one consumer's
 * failure: a part it could not measure is missing from the line and named in `errors`.
 *
 * @example
 * ```ts
 * const report = await runWatchdog(targets, deps);
 * ```
 */
export async function runWatchdog(
  targets: readonly WatchdogTarget[],
  deps: WatchdogDeps,
  sink: EmfSink = stdoutSink,
): Promise<WatchdogReport> {
  const consumers = await Promise.all(targets.map((t) => measureConsumer(t, deps)));
  for (const health of consumers) emitHealth(health, sink);
  return { consumers };
}
