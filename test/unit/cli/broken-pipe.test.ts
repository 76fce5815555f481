// The `mskguard` executable writing to a pipe its reader has closed (`mskguard quarantine list |
// head -1`): it exits quietly, as a process killed by SIGPIPE (141), never with Node's "Unhandled
// 'error' event ... write EPIPE" and a stack trace; a closed stderr costs only the diagnostics, the
// command's exit code stands. Spawned as a process: the handling is in the executable (main.ts).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../../../shared/cli/main.ts', import.meta.url));

/** Runs `mskguard ...argv` with the reader of `closed` gone before the CLI writes; answers its exit and the other stream. */
async function withClosed(closed: 'stdout' | 'stderr', ...argv: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...argv], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KAFKA_BROKERS: '' },
  });
  const exited = once(child, 'exit');
  child[closed].destroy();
  const open = closed === 'stdout' ? child.stderr : child.stdout;
  let other = '';
  open.on('data', (chunk) => {
    other += String(chunk);
  });
  const [code, signal] = await exited;
  return { code, signal, other };
}

describe('mskguard writing to a closed pipe', () => {
  it.each([
    [['restore', '--help']],
    [['status', '--help']],
    [['quarantine', 'list', '--help']],
  ])('%j with stdout closed exits 141, nothing on stderr', async (argv) => {
    // Act
    const { code, signal, other } = await withClosed('stdout', ...argv);

    // Assess
    expect({ code, signal }).toEqual({ code: 141, signal: null });
    expect(other).toBe('');
  });

  it('a usage error with stderr closed still exits 2, nothing on stdout', async () => {
    // Act
    const { code, signal, other } = await withClosed('stderr', 'restore');

    // Assess
    expect({ code, signal }).toEqual({ code: 2, signal: null });
    expect(other).toBe('');
  });
});
