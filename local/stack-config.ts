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
  readonly paths: StackPaths;
}

/** The endpoints the stack publishes, as environment variables (written to the env file). */
export interface StackEndpoints {
  readonly KAFKA_BROKERS: string;
  readonly DYNAMODB_ENDPOINT: string;
  readonly REDIS_URL: string;
  readonly UPSTASH_REDIS_REST_URL: string;
  readonly UPSTASH_REDIS_REST_TOKEN: string;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${name}=${raw} is not a TCP port (1-65535).`);
  }
  return value;
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
    paths: {
      cache,
      state,
      kafkaJars: join(cache, 'kafka'),
      dynamodbJars: join(cache, 'dynamodb'),
      pidsFile: join(state, 'pids.json'),
      envFile: join(state, 'stack.env'),
      logs: join(state, 'logs'),
    },
  };
}

/** The endpoints of a stack with the given config; the REST token is kept across `up`s of one state dir. */
export function stackEndpoints(config: StackConfig, token: string): StackEndpoints {
  const { host } = config;
  return {
    KAFKA_BROKERS: `${host}:${config.kafkaPort}`,
    DYNAMODB_ENDPOINT: `http://${host}:${config.dynamodbPort}`,
    REDIS_URL: `redis://${host}:${config.redisPort}`,
    UPSTASH_REDIS_REST_URL: `http://${host}:${config.upstashPort}`,
    UPSTASH_REDIS_REST_TOKEN: token,
  };
}

/** A fresh random bearer token for the local Upstash REST endpoint. */
export function newRestToken(): string {
  return `local-${randomBytes(18).toString('base64url')}`;
}

/** Renders endpoints as `KEY=value` lines (the env file format, also printed by `stack up`). */
export function formatEnv(endpoints: StackEndpoints): string {
  return `${Object.entries(endpoints)
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
