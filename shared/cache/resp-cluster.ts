import type { Cluster, ClusterNode, ClusterOptions, Command, Redis } from 'ioredis';
import { withDeadline } from '../deadline.ts';
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
  /**
   * An ioredis `Cluster` (or a client of the same shape) to use instead of `nodes`; `close()` leaves
   * it open. The runner can then only stop waiting for a call: ioredis may still send a failed one
   * later (its queues and retries), which `nodes` prevents.
   */
  readonly client?: RespClient;
  /**
   * Where to reach nodes whose announced address (`host:port` in CLUSTER SLOTS) this client cannot
   * connect to: a NAT, a tunnel or a proxy in front of each node. ioredis's `natMap` (written out
   * here: ioredis is an optional peer, so the public types never name its own).
   */
  readonly natMap?: Readonly<Record<string, { readonly host: string; readonly port: number }>>;
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
  #cluster: Promise<Guarded> | undefined;
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
    if (this.#options.client) {
      const deadline = <T>(command: Promise<T>) =>
        withDeadline(command, this.#timeoutMs, () => unanswered(this.#timeoutMs));
      return evalScript(view(this.#options.client), script, keys, args, deadline);
    }
    this.#cluster ??= this.#connect();
    const { cluster, client } = await this.#cluster;
    // Never queue a script behind a cluster that is not ready: it would run whenever the cluster
    // comes back, long after this call gave up. Fail now and let `onCacheUnavailable` decide.
    await this.#ready(cluster);
    // `client` applies the deadline itself: it must also know which command was given up on.
    return evalScript(view(client), script, keys, args);
  }

  public async close(): Promise<void> {
    if (this.#cluster === undefined) return;
    const { cluster } = await this.#cluster;
    this.#cluster = undefined;
    cluster.disconnect();
  }

  async #connect(): Promise<Guarded> {
    const { Cluster, Command } = await importOptionalPeer(
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
        // A link that stops answering (a node gone without a RST) is closed, so the next call to
        // that node's slots opens a new one, instead of timing out until the kernel gives up.
        socketTimeout: timeout,
        ...auth,
        ...(tls ? { tls: {} } : {}),
      },
      slotsRefreshTimeout: timeout,
      ...(this.#options.natMap ? { natMap: this.#options.natMap } : {}),
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
    return { cluster, client: guardedClient(cluster, Command, timeout) };
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

/** The runner's Cluster, and the client the runner's calls go through. */
interface Guarded {
  readonly cluster: Cluster;
  readonly client: RespClient;
}

/**
 * The cluster as evalScript calls it, with the deadline, and with each call's command never
 * written to a node once the call is over (answered, failed, or past its deadline). Decision
 * 0014: the caller has moved on by then (released, claimed again, degraded), and a claim or
 * complete arriving later would lease or mark keys behind its back. Settings cannot prevent it:
 * ioredis gives each node's client an offline queue whatever `redisOptions` say, sends what it
 * holds there when the node becomes ready, and a command that failed over CLUSTERDOWN, TRYAGAIN,
 * MOVED or a closed link goes on to another attempt (via the Cluster's own offline queue while
 * the cluster is down) even after its timeout rejected it. Every one of those attempts goes
 * through the node client's `sendCommand`, so that is where the runner says no.
 */
function guardedClient(cluster: Cluster, command: typeof Command, timeoutMs: number): RespClient {
  const over = new WeakSet<Command>();
  cluster.on('+node', (node: Redis) => refuseOver(node, over, command));
  const send =
    (name: string, replyEncoding: 'utf8' | null) =>
    (script: string, numberOfKeys: number, ...keysAndArgs: ScriptArg[]): Promise<unknown> => {
      const sent = new command(name, [script, numberOfKeys, ...keysAndArgs], { replyEncoding });
      cluster.sendCommand(sent);
      const late = () => {
        // Before the rejection: from now on no attempt of ioredis's may write it.
        over.add(sent);
        return unanswered(timeoutMs);
      };
      return withDeadline(sent.promise, timeoutMs, late).finally(() => over.add(sent));
    };
  return {
    evalsha: send('evalsha', 'utf8'),
    eval: send('eval', 'utf8'),
    evalshaBuffer: send('evalsha', null),
    evalBuffer: send('eval', null),
    disconnect: () => cluster.disconnect(),
  };
}

/**
 * Makes a node's client reject, unsent, a command whose call is over. Installed on `+node`, which
 * the Cluster emits for each node client it creates, before the client sends anything.
 */
function refuseOver(node: Redis, over: WeakSet<Command>, command: typeof Command): void {
  const send = node.sendCommand.bind(node);
  // ASKING (sent just before a command ASK redirected) admits the next command on the connection
  // to a slot being imported: when the command it was for is refused, a PING spends it, not the
  // next call's script.
  let asking = false;
  node.sendCommand = (sent, stream) => {
    if (!over.has(sent)) {
      asking = sent.name === 'asking';
      return send(sent, stream);
    }
    if (asking) {
      asking = false;
      const ping = new command('ping', []);
      ping.promise.catch(() => {});
      send(ping);
    }
    // The error ends ioredis's attempts (it is no redirection); the caller already has its answer.
    sent.reject(new Error('mskguard: not sent, the call it belonged to is over'));
    return sent.promise;
  };
}

/** A call the Cluster did not answer in time: an outage, which `onCacheUnavailable` decides. */
function unanswered(ms: number): CacheUnavailableError {
  return new CacheUnavailableError(`The Redis Cluster did not answer within ${ms} ms.`);
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
