import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from '#local/errors.ts';
import { isRunning, processesOf, type Tracked, tailLog } from './processes.ts';
import type { ServiceDefinition } from './services.ts';
import { clusterBusPort, redisClusterPorts, type StackConfig } from './stack-config.ts';

// What `stack up` checks of a service: that its ports are free before it starts, and that it
// answers within its time after.

/** How long each service may take to answer after it starts (a cold JVM on 2 cores is slow). */
export const READY_TIMEOUT_MS: Record<ServiceDefinition['name'], number> = {
  redis: 15_000,
  dynamodb: 60_000,
  kafka: 120_000,
  upstash: 30_000,
  toxiproxy: 15_000,
  'redis-cluster': 15_000,
};

/** Whether something already listens on a port. */
export function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The ports each service listens on, with the variable that moves each. */
export const PORTS_OF: Record<ServiceDefinition['name'], (c: StackConfig) => [number, string][]> = {
  redis: (c) => [[c.redisPort, 'MSKGUARD_REDIS_PORT']],
  dynamodb: (c) => [[c.dynamodbPort, 'MSKGUARD_DYNAMODB_PORT']],
  kafka: (c) => [[c.kafkaPort, 'MSKGUARD_KAFKA_PORT']],
  upstash: (c) => [[c.upstashPort, 'MSKGUARD_UPSTASH_PORT']],
  toxiproxy: (c) => [
    [c.toxiproxyPort, 'MSKGUARD_TOXIPROXY_PORT'],
    [c.toxiRedisPort, 'MSKGUARD_TOXI_REDIS_PORT'],
    [c.toxiUpstashPort, 'MSKGUARD_TOXI_UPSTASH_PORT'],
  ],
  'redis-cluster': (c) =>
    redisClusterPorts(c).flatMap((p): [number, string][] => [
      [p, 'MSKGUARD_REDIS_CLUSTER_PORT'],
      [clusterBusPort(p), 'MSKGUARD_REDIS_CLUSTER_PORT (cluster bus: port + 10000)'],
    ]),
};

/**
 * Waits until a service answers its probe; fails with the end of its log when one of its processes
 * exits first, or when it does not answer in time.
 */
export async function waitUntilAnswering(service: ServiceDefinition, tracked: Tracked): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS[service.name];
  const procs = processesOf(tracked);
  let lastError: unknown;
  while (Date.now() < deadline) {
    const exited = procs.find((proc) => !isRunning(proc));
    if (exited) {
      throw new StackError(
        `${service.name} exited during start-up. Last lines of ${exited.log}:\n${tailLog(exited.log)}`,
      );
    }
    try {
      await service.probe();
      return;
    } catch (error) {
      lastError = error;
      await sleep(250);
    }
  }
  throw new StackError(
    `${service.name} did not answer within ${READY_TIMEOUT_MS[service.name] / 1000}s ` +
      `(last error: ${String(lastError)}). Last lines of ${procs[0]?.log}:\n${tailLog(procs[0]?.log ?? '')}`,
  );
}
