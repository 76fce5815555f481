import { runningStackEndpoints, type ServiceName, stackDown, stackUp } from '#shared/local/stack.ts';
import type { StackEndpoints } from '#shared/local/stack-config.ts';
import type { BenchContext } from './main.ts';

/**
 * The local stack's endpoints for a benchmark: the running stack (left running), or one started
 * now and stopped by `stop()`. `needs` names the services the benchmark uses; only those are
 * started (a JVM warming up beside a Redis benchmark would take CPU from it on a 2-core machine).
 */
export async function benchStack(
  ctx: BenchContext,
  needs?: readonly ServiceName[],
): Promise<{ env: StackEndpoints; stop: () => Promise<void> }> {
  const running = runningStackEndpoints(undefined, needs);
  if (running) return { env: running, stop: async () => {} };
  ctx.log(`[bench] starting the local stack${needs ? ` (${needs.join(', ')})` : ''}`);
  const { endpoints: env, started } = await stackUp({ log: ctx.log, ...(needs ? { only: needs } : {}) });
  // Stop what this run started, not services that were up before it.
  return { env, stop: async () => void (await stackDown({ log: ctx.log, only: started })) };
}
