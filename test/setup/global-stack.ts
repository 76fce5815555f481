import { runningStackEndpoints, stackDown, stackUp } from '#shared/local/stack.ts';

const log = (line: string) => process.stderr.write(`[stack] ${line}\n`);

/**
 * Vitest global setup: `npm test` is self-sufficient. When the local stack is already running it is
 * used and left running; otherwise it is brought up before the tests and down after them.
 * The endpoints reach the test workers as environment variables (see test/support/stack.ts).
 * MSKGUARD_NO_STACK=1 skips all of this (unit tests only).
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  if (process.env.MSKGUARD_NO_STACK === '1') return undefined;
  const running = runningStackEndpoints();
  const endpoints = running ?? (await stackUp({ log })).endpoints;
  Object.assign(process.env, endpoints);
  if (running) {
    log('using the running stack; it stays up');
    return undefined;
  }
  return async () => {
    await stackDown({ log });
  };
}
