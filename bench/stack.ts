import { runningStackEndpoints, stackDown, stackUp } from '#shared/local/stack.ts';
import type { StackEndpoints } from '#shared/local/stack-config.ts';
import type { BenchContext } from './main.ts';

/**
 * The local stack's endpoints for a benchmark: the running stack (left running), or one started
 * now and stopped by `stop()`.
 */
export async function benchStack(
  ctx: BenchContext,
): Promise<{ env: StackEndpoints; stop: () => Promise<void> }> {
  const running = runningStackEndpoints();
  if (running) return { env: running, stop: async () => {} };
  ctx.log('[bench] starting the local stack');
  const { endpoints: env } = await stackUp({ log: ctx.log });
  return { env, stop: async () => void (await stackDown({ log: ctx.log })) };
}
