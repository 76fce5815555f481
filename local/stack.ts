import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { StackError } from '#local/errors.ts';
import { ensureKafkaToolJars } from './kafka-tools.ts';
import {
  allRunning,
  isRunning,
  processesOf,
  readPids,
  stopProcess,
  type Tracked,
  writePids,
} from './processes.ts';
import {
  defineServices,
  OPT_IN_SERVICES,
  REQUIRED_SERVICES,
  SERVICE_NAMES,
  type ServiceDefinition,
} from './services.ts';
import { PORTS_OF, portInUse, waitUntilAnswering } from './stack-checks.ts';
import {
  formatEnv,
  loadStackConfig,
  newRestToken,
  readEnvFile,
  redisClusterEndpoints,
  type StackConfig,
  type StackEndpoints,
  stackEndpoints,
  toxiproxyEndpoints,
} from './stack-config.ts';

/** The state of one service, as `stack status` shows it. */
export interface ServiceStatus {
  readonly name: ServiceDefinition['name'];
  readonly pid: number | undefined;
  readonly running: boolean;
  readonly answering: boolean;
}

/** What `stackUp` did. `started` is empty when everything was already running. */
export interface StackUpResult {
  readonly endpoints: StackEndpoints;
  readonly started: readonly ServiceName[];
}

/** A service of the local stack. */
export type ServiceName = ServiceDefinition['name'];

type Log = (line: string) => void;
const silent: Log = () => {};

function endpointsFor(config: StackConfig): StackEndpoints {
  const token = readEnvFile(config.paths.envFile)?.UPSTASH_REDIS_REST_TOKEN ?? newRestToken();
  return stackEndpoints(config, token);
}

const TOXI_KEYS = ['TOXIPROXY_URL', 'TOXI_REDIS_URL', 'TOXI_UPSTASH_REDIS_REST_URL'] as const;

/** An env file's endpoints less those of the optional services that do not run. */
function withoutStopped(env: Record<string, string>, pids: Record<string, Tracked>): Record<string, string> {
  const kept = { ...env };
  if (!allRunning(pids.toxiproxy)) for (const key of TOXI_KEYS) delete kept[key];
  if (!allRunning(pids['redis-cluster'])) delete kept.REDIS_CLUSTER_NODES;
  return kept;
}

/** The endpoints of the optional services that run, added to the core ones. */
function withOptional(config: StackConfig, endpoints: StackEndpoints, pids: Record<string, Tracked>) {
  return {
    ...endpoints,
    ...(allRunning(pids.toxiproxy) ? toxiproxyEndpoints(config) : {}),
    ...(allRunning(pids['redis-cluster']) ? redisClusterEndpoints(config) : {}),
  };
}

/**
 * Brings the local stack up: installs what is missing (jars from Maven Central into the cache,
 * redis-server with apt-get, Toxiproxy with `go install`), starts the services that are not running, waits until each one
 * answers a real request, and writes the endpoints to the env file. Idempotent.
 *
 * Toxiproxy is optional: when Go is missing or its build or start fails, the stack comes up without
 * it, the log says why, and the endpoints omit TOXIPROXY_URL, TOXI_REDIS_URL and
 * TOXI_UPSTASH_REDIS_REST_URL.
 *
 * `only` limits it to some services (and what they need: the REST endpoint needs Redis), for a
 * caller that uses no others: a benchmark of the Redis tier then shares the machine with no JVM.
 * The Redis Cluster is opt-in: `cluster: true` adds it to the usual services (`only` may name it).
 *
 * @example
 * ```ts
 * const { endpoints } = await stackUp({ log: console.log });
 * process.env.KAFKA_BROKERS = endpoints.KAFKA_BROKERS;
 * ```
 */
export async function stackUp(
  options: { log?: Log; config?: StackConfig; only?: readonly ServiceName[]; cluster?: boolean } = {},
): Promise<StackUpResult> {
  const log = options.log ?? silent;
  const config = options.config ?? loadStackConfig();
  const { paths } = config;
  mkdirSync(paths.logs, { recursive: true });
  const endpoints = endpointsFor(config);
  const all = defineServices(config, endpoints);
  const usual = all.map((s) => s.name).filter((name) => !OPT_IN_SERVICES.includes(name));
  const wanted = new Set<ServiceName>(options.only ?? usual);
  if (options.cluster) wanted.add('redis-cluster');
  for (const s of all) if (wanted.has(s.name)) for (const dependency of s.after) wanted.add(dependency);
  let services = all.filter((s) => wanted.has(s.name));
  const pids = readPids(paths.pidsFile);
  let toStart = services.filter((s) => !allRunning(pids[s.name]));

  for (const service of toStart) {
    for (const [port, variable] of PORTS_OF[service.name](config)) {
      if (await portInUse(config.host, port)) {
        throw new StackError(
          `Port ${port} (${service.name}) is already in use by another process. ` +
            `Stop it, or choose another port: ${variable}=<port> npm run stack:up`,
        );
      }
    }
  }
  const without = (service: ServiceDefinition, error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    log(`${service.name} is optional and unavailable, the stack runs without it: ${reason}`);
    toStart = toStart.filter((s) => s !== service);
    services = services.filter((s) => s !== service);
  };
  for (const service of [...toStart]) {
    try {
      service.install(log);
    } catch (error) {
      if (!service.optional) throw error;
      without(service, error);
    }
  }

  // The REST token is on disk before any service starts: an `up` interrupted after the REST endpoint
  // started (Ctrl-C during a first `npm run local`) would otherwise leave it running with a token no
  // later `up` knows, and every later `up` would fail on its 401 Unauthorized.
  if (toStart.length > 0) writeFileSync(paths.envFile, formatEnv(withOptional(config, endpoints, pids)));
  const started: ServiceName[] = [];
  const spawned: ServiceName[] = [];
  const startOne = async (service: ServiceDefinition): Promise<void> => {
    const proc = service.start();
    spawned.push(service.name);
    pids[service.name] = proc;
    writePids(paths.pidsFile, pids);
    const pidList = processesOf(proc).map((p) => p.pid);
    log(`started ${service.name} (pid ${pidList.join(', ')}), waiting until it answers`);
    try {
      await waitUntilAnswering(service, proc);
      await service.ready?.();
    } catch (error) {
      if (!service.optional) throw error;
      for (const p of processesOf(proc)) await stopProcess(p);
      delete pids[service.name];
      writePids(paths.pidsFile, pids);
      spawned.splice(spawned.indexOf(service.name), 1);
      without(service, error);
      return;
    }
    started.push(service.name);
  };
  try {
    // Services without dependencies start together; the others once theirs answer.
    const first = await Promise.allSettled(toStart.filter((s) => s.after.length === 0).map(startOne));
    const failed = first.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    for (const service of [...toStart].filter((s) => s.after.length > 0)) await startOne(service);
  } catch (error) {
    // The caller gets no `started` to stop: stop here what this call started, then say why.
    await stackDown({ log, config, only: spawned });
    throw error;
  }

  // Already-running services must still answer: a hung process is reported, not papered over.
  for (const service of services.filter((s) => !toStart.includes(s))) {
    try {
      await waitUntilAnswering(service, pids[service.name] as Tracked);
      await service.ready?.();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new StackError(
        `${reason}\n${service.name} was already running and does not answer: ` +
          '`npm run stack:down` stops the stack, and the next start starts it afresh.',
      );
    }
  }
  // The token the services were started with (a first `up` has no env file to read it from).
  const published = withOptional(config, endpoints, pids);
  writeFileSync(paths.envFile, formatEnv(published));
  return { endpoints: published, started };
}

/**
 * Installs what every service of the stack needs (the Redis Cluster's included) and Kafka's tool
 * jars, and starts nothing: the downloads and builds `stackUp` would do on first use, done ahead
 * (CI runs it while the type check runs; a user can run it before going offline). Idempotent.
 * An optional service that cannot be installed is reported, as `stackUp` does, not an error.
 */
export function stackInstall(options: { log?: Log; config?: StackConfig } = {}): ServiceName[] {
  const log = options.log ?? silent;
  const config = options.config ?? loadStackConfig();
  const installed: ServiceName[] = [];
  for (const service of defineServices(config, endpointsFor(config))) {
    try {
      service.install(log);
      installed.push(service.name);
    } catch (error) {
      if (!service.optional) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      log(`${service.name} is optional and could not be installed: ${reason}`);
    }
  }
  ensureKafkaToolJars(log);
  return installed;
}

/**
 * Stops exactly the processes the stack started (by pid), waits for them to exit, and forgets them.
 * `only` stops just those services (what one `stackUp` reported as `started`) and the ones that
 * need them (the REST endpoint with its Redis), leaving the others running; the env file stays
 * while any of them runs.
 */
export async function stackDown(
  options: { log?: Log; config?: StackConfig; only?: readonly ServiceName[] } = {},
): Promise<string[]> {
  const log = options.log ?? silent;
  const config = options.config ?? loadStackConfig();
  const pids = readPids(config.paths.pidsFile);
  const stopped: string[] = [];
  const only = options.only && new Set(options.only);
  // Dependents first (the REST endpoint before the Redis it fronts), and with what they need.
  for (const service of defineServices(config, endpointsFor(config))) {
    if (only && service.after.some((dependency) => only.has(dependency))) only.add(service.name);
  }
  for (const name of [...SERVICE_NAMES].reverse()) {
    if (only && !only.has(name)) continue;
    if (!pids[name]) continue;
    const procs = processesOf(pids[name]).filter((proc) => isRunning(proc));
    // A cluster's nodes stop together: each waits for its own exit.
    const hows = await Promise.all(procs.map((proc) => stopProcess(proc)));
    if (procs.length > 0) {
      const how = hows.includes('killed') ? 'killed' : 'stopped';
      log(`${how} ${name} (pid ${procs.map((p) => p.pid).join(', ')})`);
      stopped.push(name);
    }
    delete pids[name];
    writePids(config.paths.pidsFile, pids);
  }
  const anyRunning = Object.values(pids).some((tracked) => processesOf(tracked).some((p) => isRunning(p)));
  if (!anyRunning) rmSync(config.paths.envFile, { force: true });
  else if (stopped.length > 0) {
    // The env file keeps what still runs: no endpoint of a stopped optional service is left in it.
    const env = readEnvFile(config.paths.envFile);
    if (env)
      writeFileSync(config.paths.envFile, formatEnv(withoutStopped(env, pids) as unknown as StackEndpoints));
  }
  return stopped;
}

/** Whether each service is running (our pid alive) and answering a real request. */
export async function stackStatus(config: StackConfig = loadStackConfig()): Promise<ServiceStatus[]> {
  const pids = readPids(config.paths.pidsFile);
  // Probe where the running stack really is: its env file, written by the `up` that started it
  // (possibly with other MSKGUARD_*_PORT values than this shell has).
  const written = readEnvFile(config.paths.envFile) as StackEndpoints | undefined;
  const services = defineServices(config, written ?? endpointsFor(config));
  // Not installed here: a service that is not running is not started by a status.
  return Promise.all(
    services.map(async (service) => {
      const procs = processesOf(pids[service.name]);
      const running = allRunning(pids[service.name]);
      const answering =
        running &&
        (await service.probe().then(
          () => true,
          () => false,
        ));
      return { name: service.name, pid: running ? procs[0]?.pid : undefined, running, answering };
    }),
  );
}

/**
 * The endpoints of a running stack, from its env file; `undefined` when the stack is not up (or,
 * with `needs`, when one of those services is not running). The Toxiproxy ones are there only
 * while Toxiproxy runs.
 */
export function runningStackEndpoints(
  config: StackConfig = loadStackConfig(),
  needs: readonly ServiceName[] = REQUIRED_SERVICES,
): StackEndpoints | undefined {
  const env = readEnvFile(config.paths.envFile);
  const pids = readPids(config.paths.pidsFile);
  if (!env || !needs.every((n) => allRunning(pids[n]))) return undefined;
  return withoutStopped(env, pids) as unknown as StackEndpoints;
}
