import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A process the stack started. `marker` holds strings that must all appear in its command line:
 * before signalling a pid we check /proc/<pid>/cmdline for it, so a pid reused by an unrelated
 * process after a reboot or a crash is never killed.
 */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly marker: readonly string[];
  readonly log: string;
}

/** What the stack records for one service: its process, or its processes (one per Redis Cluster node). */
export type Tracked = ManagedProcess | readonly ManagedProcess[];

/** The processes of a tracked service (none when nothing is recorded). */
export function processesOf(tracked: Tracked | undefined): readonly ManagedProcess[] {
  if (tracked === undefined) return [];
  return Array.isArray(tracked) ? tracked : [tracked as ManagedProcess];
}

/** Whether every process of a service runs: a cluster with a dead node is not running. */
export function allRunning(tracked: Tracked | undefined): boolean {
  const procs = processesOf(tracked);
  return procs.length > 0 && procs.every((proc) => isRunning(proc));
}

/** Reads the pids file; an absent or unreadable file means nothing is recorded. */
export function readPids(file: string): Record<string, Tracked> {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, Tracked>;
  } catch {
    return {};
  }
}

/** Writes the pids file. */
export function writePids(file: string, pids: Record<string, Tracked>): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(pids, null, 2)}\n`);
}

/** Whether the recorded process is still running and is the one we started. */
export function isRunning(proc: ManagedProcess | undefined): boolean {
  if (!proc) return false;
  try {
    const cmdline = readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8');
    if (!proc.marker.every((m) => cmdline.includes(m))) return false;
    // A zombie still has a cmdline until reaped; it is not running.
    const stat = readFileSync(`/proc/${proc.pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Starts a detached process whose stdout and stderr go to `log`, so it outlives the CLI that
 * started it (`npm run stack:up` returns while the services keep running).
 */
export function startDetached(
  name: string,
  command: string,
  args: readonly string[],
  options: { log: string; marker: readonly string[]; cwd?: string; env?: NodeJS.ProcessEnv },
): ManagedProcess {
  mkdirSync(dirname(options.log), { recursive: true });
  const fd = openSync(options.log, 'a');
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
    child.unref();
    return { name, pid: child.pid, marker: options.marker, log: options.log };
  } finally {
    closeSync(fd);
  }
}

/**
 * Stops a process by pid: SIGTERM, then waits for it to exit; SIGKILL after `graceMs`.
 * Returns once the process is gone.
 */
export async function stopProcess(proc: ManagedProcess, graceMs = 15_000): Promise<'stopped' | 'killed'> {
  if (!isRunning(proc)) return 'stopped';
  process.kill(proc.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isRunning(proc)) return 'stopped';
    await sleep(100);
  }
  if (isRunning(proc)) process.kill(proc.pid, 'SIGKILL');
  while (isRunning(proc)) await sleep(50);
  return 'killed';
}

/** The last `lines` lines of a log file, for error messages. */
export function tailLog(file: string, lines = 20): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
