import { runningStackEndpoints, stackDown, stackUp } from '#local/stack.ts';

const log = (line: string) => process.stderr.write(`[stack] ${line}\n`);

/**
 * Vitest global setup: `npm test` is self-sufficient. When the local stack is already running it is
 * used and left running; otherwise it is brought up (with its Redis Cluster) before the tests and
 * down after them.
 * The endpoints reach the test workers as environment variables (see test/support/stack.ts).
 * MSKGUARD_NO_STACK=1 skips all of this (unit tests only).
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (process.env.MSKGUARD_NO_STACK === '1') return undefined;
  const running = runningStackEndpoints();
  // The Redis Cluster (three redis-servers, up in about a second) comes up with the stack; a stack
  // that is already running without it gets just the cluster, stopped again after the run.
  const up = await stackUp({ log, cluster: true, ...(running ? { only: ['redis-cluster'] } : {}) });
  // A running stack's own env file wins: it says where that stack really is.
  Object.assign(process.env, up.endpoints, running);
  if (up.started.length === 0) {
    log('using the running stack; it stays up');
    return undefined;
  }
  // Only what this run started: a service that was up before (a partial stack) stays up.
  return async () => {
    await stackDown({ log, only: up.started });
  };
}
