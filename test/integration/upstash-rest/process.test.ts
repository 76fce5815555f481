// Guarantees: none of G1..G6 directly. Proves the process contract the stack manager relies on
// (design §9): `tsx local/upstash-rest/server.ts` reads its configuration from the
// environment, prints one `listening` JSON line, serves @upstash/redis, and exits 0 on a signal.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Redis } from '@upstash/redis';
import { describe, expect, it } from 'vitest';
import { stackVar } from '#test/support/stack.ts';

const REDIS_URL = stackVar('REDIS_URL');

const TSX_CLI = createRequire(import.meta.url).resolve('tsx/cli');
const SERVER = fileURLToPath(new URL('../../../local/upstash-rest/server.ts', import.meta.url));

function startProcess(env: Record<string, string>): ChildProcess {
  const { REDIS_URL: _inherited, UPSTASH_REDIS_REST_TOKEN: _token, ...rest } = process.env;
  return spawn(process.execPath, [TSX_CLI, SERVER], {
    env: { ...rest, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function firstLine(child: ChildProcess): Promise<string> {
  let buffered = '';
  for await (const chunk of child.stdout!) {
    buffered += String(chunk);
    if (buffered.includes('\n')) return buffered.slice(0, buffered.indexOf('\n'));
  }
  return buffered;
}

describe('server.ts as a process', () => {
  it.each([
    'SIGTERM',
    'SIGINT',
  ] as const)('announces its URL, serves requests and exits 0 on %s', async (signal) => {
    // Prepare
    const token = `process-token-${randomUUID()}`;
    const child = startProcess({ REDIS_URL, UPSTASH_REDIS_REST_TOKEN: token, UPSTASH_REST_PORT: '0' });
    const exited = once(child, 'exit');

    // Act
    const listening = JSON.parse(await firstLine(child)) as { event: string; url: string; port: number };
    const redis = new Redis({ url: listening.url, token, enableAutoPipelining: false, retry: false });
    const echoed = await redis.echo('alive');
    child.kill(signal);
    const [code] = await exited;

    // Assess
    expect(listening.event).toBe('listening');
    expect(listening.url).toBe(`http://127.0.0.1:${listening.port}`);
    expect(echoed).toBe('alive');
    expect(code).toBe(0);
  });

  it('exits 1 with a clear message when its configuration is missing', async () => {
    // Prepare
    const child = startProcess({});
    let stderr = '';
    child.stderr!.on('data', (chunk) => {
      stderr += String(chunk);
    });

    // Act
    const [code] = await once(child, 'exit');

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain('Set REDIS_URL and UPSTASH_REDIS_REST_TOKEN');
  });
});
