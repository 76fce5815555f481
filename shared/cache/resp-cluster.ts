import type { Cluster, ClusterNode, ClusterOptions } from 'ioredis';
import { CacheUnavailableError, ConfigurationError } from '../errors.ts';
import { importOptionalPeer } from './optional-peer.ts';
import { binaryClient, evalScript, parseRedisUrl, type RespClient, redactUrl } from './resp.ts';
import type { LuaScript, ScriptArg, ScriptRunner } from './script-runner.ts';

/** Options of {@link RespClusterScriptRunner}. */
export interface RespClusterRunnerOptions {
  /**
   * Where to learn the cluster's layout: `redis://` or `rediss://` URLs (all of one scheme; a user
   * and password in the URL when the cache needs AUTH). ElastiCache Serverless has one endpoint;
   * for a self-managed cluster, two or three of its nodes.
   */
  readonly nodes?: readonly string[];
  /** An ioredis `Cluster` (or a client of the same shape) to use instead of `nodes`; `close()` leaves it open. */
  readonly client?: RespClient;
  /**
   * Milliseconds to wait for the cluster to be ready, or for one reply, before the call fails with
   * CacheUnavailableError.
   * @default 2000
   */
  readonly timeoutMs?: number;
}

/**
 * Runs mskguard's scripts on a Redis Cluster over RESP, with ioredis's `Cluster`: ElastiCache
 * Serverless (always cluster mode), a cluster-mode ElastiCache or Valkey/Redis Cluster. Each call
 * goes to the node that owns the slot of its first key, so the keys of one call must share a hash
 * tag (`mskguard:{group}…`): the node answers CROSSSLOT otherwise, rethrown as the bug it is.
 * MOVED and ASK are followed; NOSCRIPT, which each node answers for itself, falls back to EVAL on
 * that node. A cluster that cannot serve the slot (unreachable, CLUSTERDOWN, a failover that
 * outlasts the timeout) fails the call with CacheUnavailableError, so `onCacheUnavailable`
 * decides, not a hung invocation; the client keeps reconnecting in the background.
 *
 * @example
 * ```ts
 * const runner = new RespClusterScriptRunner({
 *   nodes: ['rediss://my-cache-abc123.serverless.use1.cache.amazonaws.com:6379'],
 * });
 * ```
 */
export class RespClusterScriptRunner implements ScriptRunner {
  public readonly kind = 'resp-cluster';
  readonly #options: RespClusterRunnerOptions;
  readonly #timeoutMs: number;
  // Created on first use: ioredis is loaded only by a user who runs over RESP.
  #cluster: Promise<Cluster> | undefined;
  // One wait for all the calls that arrive while the cluster is not ready (a batch sends one script
  // per shard at once): one listener, not one per call.
  #readyWait: Promise<void> | undefined;

  public constructor(options: RespClusterRunnerOptions) {
    if (!options.client && (!options.nodes || options.nodes.length === 0)) {
      throw new ConfigurationError(
        'RespClusterScriptRunner needs `nodes` (redis:// or rediss:// URLs of the cluster) or a `client`',
      );
    }
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? 2000;
    if (!options.client) parseNodes(options.nodes as readonly string[]);
  }

  public run(script: LuaScript, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    return this.#eval(script, keys, args, (client) => client);
  }

  public runBinary(script: LuaScript, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    return this.#eval(script, keys, args, binaryClient);
  }

  async #eval(
    script: LuaScript,
    keys: readonly string[],
    args: readonly ScriptArg[],
    view: (client: RespClient) => RespClient,
  ): Promise<unknown> {
    const deadline = <T>(command: Promise<T>) => withDeadline(command, this.#timeoutMs);
    if (this.#options.client) return evalScript(view(this.#options.client), script, keys, args, deadline);
    this.#cluster ??= this.#connect();
    const cluster = await this.#cluster;
    // Never queue a script behind a cluster that is not ready: it would run whenever the cluster
    // comes back, long after this call gave up. Fail now and let `onCacheUnavailable` decide.
    await this.#ready(cluster);
    return evalScript(view(cluster), script, keys, args, deadline);
  }

  public async close(): Promise<void> {
    if (this.#cluster === undefined) return;
    const cluster = await this.#cluster;
    this.#cluster = undefined;
    cluster.disconnect();
  }

  async #connect(): Promise<Cluster> {
    const { Cluster } = await importOptionalPeer(
      'ioredis',
      'RespClusterScriptRunner',
      () => import('ioredis'),
    );
    const { seeds, tls, auth } = parseNodes(this.#options.nodes as readonly string[]);
    const timeout = this.#timeoutMs;
    const settings: ClusterOptions = {
      lazyConnect: true,
      // Never give up reconnecting: the cache must be used again as soon as it is back.
      clusterRetryStrategy: (times) => Math.min(100 * times, 2000),
      // Each node's commands fail after one reconnection attempt or the timeout, as RespScriptRunner's.
      redisOptions: {
        connectTimeout: timeout,
        commandTimeout: timeout,
        maxRetriesPerRequest: 1,
        ...auth,
        ...(tls ? { tls: {} } : {}),
      },
      slotsRefreshTimeout: timeout,
      // With TLS the certificate names the endpoint's host: connect by that name, not a resolved
      // address (the documented setting for ElastiCache with TLS).
      ...(tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
    };
    const cluster = new Cluster(seeds, settings);
    // Errors reach callers as rejected calls; without listeners ioredis would also print each one.
    cluster.on('error', () => {});
    cluster.on('node error', () => {});
    // A failed first connection is retried by clusterRetryStrategy; #ready reports it to callers.
    cluster.connect().catch(() => {});
    return cluster;
  }

  #ready(cluster: Cluster): Promise<void> {
    if (cluster.status === 'ready') return Promise.resolve();
    this.#readyWait ??= new Promise<void>((resolve, reject) => {
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        cluster.removeListener('ready', onReady);
        reject(
          new CacheUnavailableError(
            `The Redis Cluster is not ready after ${this.#timeoutMs} ms (status ${cluster.status}): its nodes ` +
              'are unreachable, or it reports cluster_state:fail. Check the cache endpoint, security groups ' +
              "and network; with onCacheUnavailable: 'degrade' the batch runs on the local filter.",
          ),
        );
      }, this.#timeoutMs);
      cluster.once('ready', onReady);
    }).finally(() => {
      this.#readyWait = undefined;
    });
    return this.#readyWait;
  }
}

/** Fails a command that takes longer than `ms` (CacheUnavailableError): no path of ioredis waits forever. */
function withDeadline<T>(command: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CacheUnavailableError(`The Redis Cluster did not answer within ${ms} ms.`)),
      ms,
    );
  });
  return Promise.race([command, late]).finally(() => clearTimeout(timer));
}

function parseNodes(nodes: readonly string[]): {
  seeds: ClusterNode[];
  tls: boolean;
  auth: { username?: string; password?: string };
} {
  // Messages name the nodes without their user and password: they end up in logs.
  const urls = nodes.map((node) => parseRedisUrl(node, 'RespClusterScriptRunner'));
  const schemes = new Set(urls.map((url) => url.protocol));
  if (schemes.size !== 1) {
    throw new ConfigurationError(
      `RespClusterScriptRunner: the nodes must all be redis:// or all rediss:// URLs (got ${nodes.map(redactUrl).join(', ')})`,
    );
  }
  const [first] = urls as [URL, ...URL[]];
  const auth = {
    ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
    ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
  };
  return {
    seeds: urls.map((url) => ({ host: url.hostname, port: Number(url.port || 6379) })),
    tls: schemes.has('rediss:'),
    auth,
  };
}
