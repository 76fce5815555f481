import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the mskguard checkout (one level above local/). */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Where the local stack keeps things. `cache` survives `stack:down` (jars fetched from Maven
 * Central, so a second `stack:up` downloads nothing); `state` is per run (pids, logs, Kafka data).
 */
export interface StackPaths {
  readonly cache: string;
  readonly state: string;
  readonly kafkaJars: string;
  readonly dynamodbJars: string;
  /** Where `go install` puts Toxiproxy's `server` binary (GOBIN), kept across runs like the jars. */
  readonly toxiproxyBin: string;
  /** The Redis Cluster's node configs and cluster state files, one folder per node (per run). */
  readonly redisCluster: string;
  readonly pidsFile: string;
  readonly envFile: string;
  readonly logs: string;
}

/** Ports and host of the local stack; every value can be overridden by an environment variable. */
export interface StackConfig {
  readonly host: string;
  readonly kafkaPort: number;
  readonly kafkaControllerPort: number;
  readonly dynamodbPort: number;
  readonly redisPort: number;
  readonly upstashPort: number;
  /** Toxiproxy's HTTP API. */
  readonly toxiproxyPort: number;
  /** Where the `redis` proxy listens (it forwards to the stack's redis-server). */
  readonly toxiRedisPort: number;
  /** Where the `upstash` proxy listens (it forwards to the Upstash-REST endpoint). */
  readonly toxiUpstashPort: number;
  /**
   * First port of the Redis Cluster (opt-in: `stack up --cluster`): its nodes listen on this port and
   * the next ones ({@link redisClusterPorts}), their cluster bus on each port + 10000.
   */
  readonly redisClusterPort: number;
  readonly paths: StackPaths;
}

/** The endpoints the stack publishes, as environment variables (written to the env file). */
export interface StackEndpoints {
  readonly KAFKA_BROKERS: string;
  readonly DYNAMODB_ENDPOINT: string;
  readonly REDIS_URL: string;
  readonly UPSTASH_REDIS_REST_URL: string;
  readonly UPSTASH_REDIS_REST_TOKEN: string;
  /** Toxiproxy's HTTP API; only when Toxiproxy runs (it is optional: no Go, no Toxiproxy). */
  readonly TOXIPROXY_URL?: string;
  /** The stack's Redis through the `redis` proxy; only when Toxiproxy runs. */
  readonly TOXI_REDIS_URL?: string;
  /** The Upstash-REST endpoint through the `upstash` proxy (same token); only when Toxiproxy runs. */
  readonly TOXI_UPSTASH_REDIS_REST_URL?: string;
  /**
   * The Redis Cluster's nodes as `host:port,host:port,…` (seeds for a cluster client); only while
   * the cluster runs (it is opt-in: `stack up --cluster`).
   */
  readonly REDIS_CLUSTER_NODES?: string;
}

/** How many nodes the local Redis Cluster has: all masters, no replicas, the slots split evenly. */
export const REDIS_CLUSTER_SIZE = 3;
/** Redis puts a node's cluster bus on its port + 10000. */
const CLUSTER_BUS_OFFSET = 10_000;

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${name}=${raw} is not a TCP port (1-65535).`);
  }
  return value;
}

function clusterPort(env: NodeJS.ProcessEnv): number {
  const first = port(env, 'MSKGUARD_REDIS_CLUSTER_PORT', 17001);
  const lastBus = first + REDIS_CLUSTER_SIZE - 1 + CLUSTER_BUS_OFFSET;
  if (lastBus > 65535) {
    throw new Error(
      `MSKGUARD_REDIS_CLUSTER_PORT=${first} is too high: the cluster bus of its last node would be ` +
        `${lastBus} (port + ${CLUSTER_BUS_OFFSET}). Choose a port at most ${65535 - CLUSTER_BUS_OFFSET - REDIS_CLUSTER_SIZE + 1}.`,
    );
  }
  return first;
}

/** The ports of the Redis Cluster's nodes. */
export function redisClusterPorts(config: StackConfig): number[] {
  return Array.from({ length: REDIS_CLUSTER_SIZE }, (_, i) => config.redisClusterPort + i);
}

/** The cluster bus port of a node (Redis's default: its port + 10000). */
export function clusterBusPort(nodePort: number): number {
  return nodePort + CLUSTER_BUS_OFFSET;
}

/**
 * Reads the stack configuration. Default ports avoid the well-known ones a developer machine
 * may already use (6379, 9092, 8000, 5432).
 */
export function loadStackConfig(env: NodeJS.ProcessEnv = process.env): StackConfig {
  const cache = resolve(env.MSKGUARD_STACK_CACHE ?? join(PROJECT_ROOT, '.cache', 'stack'));
  const state = resolve(env.MSKGUARD_STACK_STATE ?? join(PROJECT_ROOT, '.local', 'stack'));
  return {
    host: env.MSKGUARD_STACK_HOST ?? '127.0.0.1',
    kafkaPort: port(env, 'MSKGUARD_KAFKA_PORT', 19092),
    kafkaControllerPort: port(env, 'MSKGUARD_KAFKA_CONTROLLER_PORT', 19093),
    dynamodbPort: port(env, 'MSKGUARD_DYNAMODB_PORT', 18000),
    redisPort: port(env, 'MSKGUARD_REDIS_PORT', 16379),
    upstashPort: port(env, 'MSKGUARD_UPSTASH_PORT', 18079),
    toxiproxyPort: port(env, 'MSKGUARD_TOXIPROXY_PORT', 18474),
    toxiRedisPort: port(env, 'MSKGUARD_TOXI_REDIS_PORT', 16380),
    toxiUpstashPort: port(env, 'MSKGUARD_TOXI_UPSTASH_PORT', 18080),
    redisClusterPort: clusterPort(env),
    paths: {
      cache,
      state,
      kafkaJars: join(cache, 'kafka'),
      dynamodbJars: join(cache, 'dynamodb'),
      toxiproxyBin: join(cache, 'toxiproxy'),
      redisCluster: join(state, 'redis-cluster'),
      pidsFile: join(state, 'pids.json'),
      envFile: join(state, 'stack.env'),
      logs: join(state, 'logs'),
    },
  };
}

/**
 * The endpoints of a stack with the given config; the REST token is kept across `up`s of one state
 * dir. `withToxiproxy` adds the Toxiproxy ones (only when Toxiproxy runs).
 */
export function stackEndpoints(config: StackConfig, token: string, withToxiproxy = false): StackEndpoints {
  const { host } = config;
  return {
    KAFKA_BROKERS: `${host}:${config.kafkaPort}`,
    DYNAMODB_ENDPOINT: `http://${host}:${config.dynamodbPort}`,
    REDIS_URL: `redis://${host}:${config.redisPort}`,
    UPSTASH_REDIS_REST_URL: `http://${host}:${config.upstashPort}`,
    UPSTASH_REDIS_REST_TOKEN: token,
    ...(withToxiproxy ? toxiproxyEndpoints(config) : {}),
  };
}

/** The endpoints Toxiproxy adds to the stack's. */
export function toxiproxyEndpoints(
  config: StackConfig,
): Required<Pick<StackEndpoints, 'TOXIPROXY_URL' | 'TOXI_REDIS_URL' | 'TOXI_UPSTASH_REDIS_REST_URL'>> {
  const { host } = config;
  return {
    TOXIPROXY_URL: `http://${host}:${config.toxiproxyPort}`,
    TOXI_REDIS_URL: `redis://${host}:${config.toxiRedisPort}`,
    TOXI_UPSTASH_REDIS_REST_URL: `http://${host}:${config.toxiUpstashPort}`,
  };
}

/** The endpoint the Redis Cluster adds to the stack's. */
export function redisClusterEndpoints(
  config: StackConfig,
): Required<Pick<StackEndpoints, 'REDIS_CLUSTER_NODES'>> {
  return {
    REDIS_CLUSTER_NODES: redisClusterPorts(config)
      .map((p) => `${config.host}:${p}`)
      .join(','),
  };
}

/** A fresh random bearer token for the local Upstash REST endpoint. */
export function newRestToken(): string {
  return `local-${randomBytes(18).toString('base64url')}`;
}

/** Renders endpoints as `KEY=value` lines (the env file format, also printed by `stack up`). */
export function formatEnv(endpoints: StackEndpoints): string {
  return `${Object.entries(endpoints)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n')}\n`;
}

/** Parses an env file written by {@link formatEnv}; `undefined` when it does not exist. */
export function readEnvFile(file: string): Record<string, string> | undefined {
  if (!existsSync(file)) return undefined;
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && !line.startsWith('#')) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}
