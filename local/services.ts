import { execFileSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { Kafka, logLevel } from 'kafkajs';
import { ensureJars, ensureJava, ensureRedisServer, ensureToxiproxy, POMS } from './installers.ts';
import { kafkaClusterId, writeKafkaConfig } from './kafka-config.ts';
import { startDetached, type Tracked } from './processes.ts';
import { defineRedisCluster } from './redis-cluster.ts';
import { PROJECT_ROOT, type StackConfig, type StackEndpoints } from './stack-config.ts';
import { ToxiproxyClient } from './toxiproxy.ts';

/** The services of the local stack, each after the ones it needs. */
export const SERVICE_NAMES = ['redis', 'dynamodb', 'kafka', 'upstash', 'toxiproxy', 'redis-cluster'] as const;

/**
 * Services a plain `stack up` leaves out: they start only when asked for (`stack up --cluster`,
 * `stackUp({ cluster: true })` or `only`).
 */
export const OPT_IN_SERVICES: readonly (typeof SERVICE_NAMES)[number][] = ['redis-cluster'];

/**
 * The services a stack must have: Toxiproxy is optional (it needs Go to build); without it the
 * stack runs and its endpoints omit the TOXI* ones.
 */
export const REQUIRED_SERVICES = ['redis', 'dynamodb', 'kafka', 'upstash'] as const;

/** One service of the local stack: how to install it, start it, and tell that it answers. */
export interface ServiceDefinition {
  readonly name: (typeof SERVICE_NAMES)[number];
  /** Services that must answer before this one starts. */
  readonly after: readonly ServiceDefinition['name'][];
  /** When it cannot be installed or started, the stack comes up without it (and says why). */
  readonly optional?: boolean;
  /** Installs what is missing (idempotent, cached). */
  install(log: (line: string) => void): void;
  /** Starts its process (or processes: one per Redis Cluster node). */
  start(): Tracked;
  /** Resolves when the service answers a real request; rejects with the reason otherwise. */
  probe(): Promise<void>;
  /** Configures the service once it answers (idempotent: also run when it was already running). */
  ready?(): Promise<void>;
}

/** The proxies the toxiproxy service below creates, each in front of one of the stack's services. */
export const STACK_PROXIES = {
  /** In front of the stack's redis-server; clients use TOXI_REDIS_URL. */
  redis: 'redis',
  /** In front of the Upstash-REST endpoint; clients use TOXI_UPSTASH_REDIS_REST_URL. */
  upstash: 'upstash',
} as const;

/** Credentials DynamoDB Local accepts; it checks their shape, not their value. */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};

function redisPing(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(1000, () => socket.destroy(new Error('timeout')));
    socket.once('error', reject);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.end();
      data.toString().startsWith('+PONG') ? resolve() : reject(new Error(data.toString().trim()));
    });
  });
}

/** Builds the service definitions for a config and the endpoints they publish. */
export function defineServices(config: StackConfig, endpoints: StackEndpoints): ServiceDefinition[] {
  const { paths, host } = config;
  const log = (name: string) => join(paths.logs, `${name}.log`);
  let redisServer = 'redis-server';
  let java = 'java';

  const redis: ServiceDefinition = {
    name: 'redis',
    after: [],
    install: (say) => {
      redisServer = ensureRedisServer(say);
    },
    start: () => {
      // redis-server rewrites its title to "redis-server host:port", so match on parts of both forms.
      const marker = ['redis-server', String(config.redisPort)];
      // No persistence: the stack is for tests and local runs, and a test of G1 after FLUSHALL
      // must not find keys resurrected from a dump.
      return startDetached(
        'redis',
        redisServer,
        ['--bind', host, '--port', String(config.redisPort), '--save', '', '--appendonly', 'no'],
        { log: log('redis'), marker },
      );
    },
    probe: () => {
      const url = new URL(endpoints.REDIS_URL);
      return redisPing(url.hostname, Number(url.port));
    },
  };

  const dynamodb: ServiceDefinition = {
    name: 'dynamodb',
    after: [],
    install: (say) => {
      java = ensureJava();
      ensureJars(POMS.dynamodb, paths.dynamodbJars, say);
    },
    start: () =>
      startDetached(
        'dynamodb',
        java,
        [
          '-Xmx512m',
          `-Dsqlite4java.library.path=${paths.dynamodbJars}`,
          '-cp',
          `${paths.dynamodbJars}/*`,
          'software.amazon.dynamodb.services.local.main.ServerRunner',
          '-inMemory',
          '-sharedDb',
          '-disableTelemetry',
          '-port',
          String(config.dynamodbPort),
        ],
        { log: log('dynamodb'), marker: [paths.dynamodbJars], cwd: paths.state },
      ),
    probe: async () => {
      const client = new DynamoDBClient({
        ...LOCAL_AWS,
        endpoint: endpoints.DYNAMODB_ENDPOINT,
        maxAttempts: 1,
      });
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
      } finally {
        client.destroy();
      }
    },
  };

  const kafkaDir = join(paths.state, 'kafka');
  const kafka: ServiceDefinition = {
    name: 'kafka',
    after: [],
    install: (say) => {
      java = ensureJava();
      ensureJars(POMS.kafka, paths.kafkaJars, say);
    },
    start: () => {
      const properties = writeKafkaConfig(config, kafkaDir);
      const classpath = `${paths.kafkaJars}/*`;
      // KRaft needs the log dir formatted with a cluster id before the first start; the data is
      // per run (like the in-memory DynamoDB and Redis), so it is formatted afresh each time.
      const clusterId = kafkaClusterId();
      execFileSync(
        java,
        ['-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties],
        {
          stdio: 'ignore',
        },
      );
      return startDetached(
        'kafka',
        java,
        [
          '-Xms256m',
          '-Xmx1g',
          '-XX:+UseG1GC',
          '-Djava.awt.headless=true',
          `-Dlog4j.configuration=file:${join(kafkaDir, 'log4j.properties')}`,
          '-cp',
          classpath,
          'kafka.Kafka',
          properties,
        ],
        { log: log('kafka'), marker: [properties] },
      );
    },
    probe: async () => {
      const admin = new Kafka({
        brokers: [endpoints.KAFKA_BROKERS],
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
        connectionTimeout: 1000,
      }).admin();
      try {
        await admin.connect();
        const cluster = await admin.describeCluster();
        if (cluster.controller === null || cluster.controller < 0) throw new Error('no controller yet');
      } finally {
        await admin.disconnect();
      }
    },
  };

  const upstash: ServiceDefinition = {
    name: 'upstash',
    after: ['redis'],
    install: () => {},
    start: () => {
      const entry = join(PROJECT_ROOT, 'local', 'upstash-rest', 'server.ts');
      return startDetached('upstash', process.execPath, ['--import', 'tsx', entry], {
        log: log('upstash'),
        marker: [entry],
        cwd: PROJECT_ROOT,
        env: {
          ...process.env,
          REDIS_URL: endpoints.REDIS_URL,
          UPSTASH_REDIS_REST_TOKEN: endpoints.UPSTASH_REDIS_REST_TOKEN,
          UPSTASH_REST_HOST: host,
          UPSTASH_REST_PORT: String(config.upstashPort),
        },
      });
    },
    probe: async () => {
      const res = await fetch(endpoints.UPSTASH_REDIS_REST_URL, {
        method: 'POST',
        headers: { authorization: `Bearer ${endpoints.UPSTASH_REDIS_REST_TOKEN}` },
        body: JSON.stringify(['PING']),
        signal: AbortSignal.timeout(1000),
      });
      const body = (await res.json()) as { result?: unknown };
      if (body.result !== 'PONG') throw new Error(`unexpected answer ${JSON.stringify(body)}`);
    },
  };

  let toxiproxyServer = '';
  const toxi = new ToxiproxyClient(`http://${host}:${config.toxiproxyPort}`, { timeoutMs: 1000 });
  const toxiproxy: ServiceDefinition = {
    name: 'toxiproxy',
    after: ['redis', 'upstash'],
    optional: true,
    install: (say) => {
      toxiproxyServer = ensureToxiproxy(paths.toxiproxyBin, say);
    },
    start: () =>
      startDetached('toxiproxy', toxiproxyServer, ['-host', host, '-port', String(config.toxiproxyPort)], {
        log: log('toxiproxy'),
        marker: [toxiproxyServer, String(config.toxiproxyPort)],
        // One line per proxied connection at info: the fault suites open many.
        env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
      }),
    probe: async () => {
      await toxi.version();
    },
    // Both proxies, created or left as they are (populate is idempotent), each in front of its service.
    ready: async () => {
      await toxi.populate([
        {
          name: STACK_PROXIES.redis,
          listen: `${host}:${config.toxiRedisPort}`,
          upstream: `${host}:${config.redisPort}`,
        },
        {
          name: STACK_PROXIES.upstash,
          listen: `${host}:${config.toxiUpstashPort}`,
          upstream: `${host}:${config.upstashPort}`,
        },
      ]);
    },
  };

  return [redis, dynamodb, kafka, upstash, toxiproxy, defineRedisCluster(config, endpoints)];
}
