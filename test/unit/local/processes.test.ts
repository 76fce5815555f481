// The stack stops exactly the processes it started: pids are checked against a command-line
// marker before any signal, so a reused pid is never killed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  allRunning,
  isRunning,
  processesOf,
  readPids,
  startDetached,
  stopProcess,
  writePids,
} from '#local/processes.ts';

describe('managed processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mskguard-proc-'));

  it('starts a detached process, recognises it by marker, and stops it', async () => {
    // Prepare
    const proc = startDetached('sleeper', 'sleep', ['31.5'], {
      log: join(dir, 'sleep.log'),
      marker: ['31.5'],
    });

    // Act
    const before = isRunning(proc);
    const how = await stopProcess(proc, 5000);

    // Assess
    expect(before).toBe(true);
    expect(how).toBe('stopped');
    expect(isRunning(proc)).toBe(false);
  });

  it('does not take a process whose command line lacks the marker for its own', async () => {
    // Prepare
    const proc = startDetached('sleeper', 'sleep', ['32.5'], {
      log: join(dir, 'sleep2.log'),
      marker: ['32.5'],
    });
    const impostor = { ...proc, marker: ['not-this-one'] };

    // Act
    const outcome = await stopProcess(impostor, 1000);

    // Assess
    expect(outcome).toBe('stopped');
    expect(isRunning(proc)).toBe(true);
    await stopProcess(proc);
  });

  it('kills a process that ignores SIGTERM after the grace period', async () => {
    // Prepare
    const log = join(dir, 'stubborn.log');
    const script = "trap '' TERM; echo trapped; sleep 33.5 & wait; sleep 33.5";
    const proc = startDetached('stubborn', 'bash', ['-c', script], { log, marker: ['33.5'] });
    // SIGTERM before the trap is set would stop it: wait until bash says the trap is in place.
    for (let i = 0; i < 200 && !(existsSync(log) && readFileSync(log, 'utf8').includes('trapped')); i++) {
      await new Promise((r) => setTimeout(r, 25));
    }

    // Act
    const how = await stopProcess(proc, 500);

    // Assess
    expect(how).toBe('killed');
    expect(isRunning(proc)).toBe(false);
    spawnSync('pkill', ['-f', 'sleep 33.5']);
  });

  it('round-trips the pids file and treats a missing or corrupt one as empty', () => {
    const file = join(dir, 'pids.json');
    expect(readPids(file)).toEqual({});
    writePids(file, { a: { name: 'a', pid: 1, marker: ['x'], log: 'l' } });
    expect(processesOf(readPids(file).a)[0]?.pid).toBe(1);
  });

  it('counts a service of several processes as running only while all of them run', async () => {
    // Prepare: two nodes of one service, as the Redis Cluster records them.
    const nodes = ['34.5', '35.5'].map((s) =>
      startDetached('pair', 'sleep', [s], { log: join(dir, `pair-${s}.log`), marker: [s] }),
    );
    const file = join(dir, 'pids-pair.json');
    writePids(file, { pair: nodes });

    // Act
    const before = allRunning(readPids(file).pair);
    await stopProcess(nodes[0]!);
    const after = allRunning(readPids(file).pair);

    // Assess
    expect(before).toBe(true);
    expect(after).toBe(false);
    expect(processesOf(readPids(file).pair).map((p) => p.pid)).toEqual(nodes.map((n) => n.pid));
    await stopProcess(nodes[1]!);
  });
});
