import { realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { StackError } from '#local/errors.ts';
import { CacheUnavailableError, ConfigurationError } from '#shared/errors.ts';
import { parseCommand, parseCommandList } from './commands.ts';
import { encodeOutcome, ResponseEncoding } from './encoding.ts';
import { RestRequestError } from './errors.ts';
import { RedisExecutor } from './executor.ts';
import { bearerMatcher, readJsonBody, sendJson } from './http.ts';
import { RestRoute, RestStats, type UpstashRestStats } from './stats.ts';

export type { UpstashRestStats } from './stats.ts';

/** Options of {@link startUpstashRestServer}. */
export interface UpstashRestServerOptions {
  /** Redis to front, e.g. `redis://127.0.0.1:6379`. */
  readonly redisUrl: string;
  /** Bearer token clients must send (`UPSTASH_REDIS_REST_TOKEN` on the client side). */
  readonly token: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** `0` picks a free port. @default 0 */
  readonly port?: number;
  /** Receives one JSON line per notable event (Redis errors, failed requests). @default no logging */
  readonly logger?: (line: string) => void;
  /** Larger request bodies are refused with HTTP 413. @default 64 MiB */
  readonly maxBodyBytes?: number;
}

/** A running endpoint. */
export interface UpstashRestServer {
  /** Base URL for `new Redis({ url, token })`, e.g. `http://127.0.0.1:18079`. */
  readonly url: string;
  readonly port: number;
  /** Round trips so far, for the whole endpoint or for one `/scope/<name>` base URL. */
  stats(scope?: string): UpstashRestStats;
  /** Stops accepting requests, lets running ones finish (2 s at most) and closes Redis connections. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024;
const CLOSE_GRACE_MS = 2_000;
const STATS_PATH = '/__mskguard/stats';
const HEALTH_PATH = '/__mskguard/health';
const SCOPED_PATH = /^\/scope\/([A-Za-z0-9._:-]{1,128})(\/.*)?$/;
const ROUTES: Readonly<Record<string, RestRoute>> = {
  '/': RestRoute.Command,
  '': RestRoute.Command,
  '/pipeline': RestRoute.Pipeline,
  '/multi-exec': RestRoute.MultiExec,
};

interface Context {
  readonly executor: RedisExecutor;
  readonly stats: RestStats;
  readonly isAuthorized: (header: string | undefined) => boolean;
  readonly maxBodyBytes: number;
  readonly log: (line: string) => void;
}

/**
 * Starts an Upstash-REST-compatible HTTP endpoint in front of a real Redis, so code written
 * for `@upstash/redis` runs locally: `POST /` (one command), `/pipeline`, `/multi-exec`
 * (atomic), Bearer auth, `Upstash-Encoding: base64`. See docs/local/upstash-rest.md.
 *
 * @example
 * ```ts
 * const endpoint = await startUpstashRestServer({ redisUrl: 'redis://127.0.0.1:6379', token: 'dev' });
 * const redis = new Redis({ url: endpoint.url, token: 'dev' }); // from @upstash/redis
 * await redis.set('k', 'v');
 * await endpoint.close();
 * ```
 */
export async function startUpstashRestServer(options: UpstashRestServerOptions): Promise<UpstashRestServer> {
  const { host = '127.0.0.1', port = 0, maxBodyBytes = DEFAULT_MAX_BODY_BYTES } = options;
  validateOptions(options, port, maxBodyBytes);
  const log = options.logger ?? (() => {});
  const executor = await RedisExecutor.connect(options.redisUrl, log);
  const context: Context = {
    executor,
    stats: new RestStats(),
    isAuthorized: bearerMatcher(options.token),
    maxBodyBytes,
    log,
  };
  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    handle(context, req, res).catch((error: unknown) => respondWithError(context, res, error));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  } catch (error) {
    await executor.close();
    throw new StackError(
      `The Upstash REST endpoint could not listen on ${host}:${port} (${(error as Error).message}). ` +
        'Pick another port (UPSTASH_REST_PORT, 0 for any free one) or stop the process holding it.',
      { cause: error },
    );
  }
  const address = server.address() as AddressInfo;
  const shownHost = address.address.includes(':') ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    stats: (scope) => context.stats.snapshot(scope),
    close: () => {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        await stopped;
        clearTimeout(force);
        await executor.close();
      })();
      return closing;
    },
  };
}

async function handle(context: Context, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { pathname, searchParams } = new URL(req.url ?? '/', 'http://endpoint.invalid');
  if (pathname === HEALTH_PATH) {
    const ready = context.executor.status === 'ready';
    return sendJson(
      res,
      ready ? 200 : 503,
      JSON.stringify({ status: ready ? 'ok' : 'degraded', redis: context.executor.status }),
    );
  }
  if (!context.isAuthorized(req.headers.authorization)) throw new RestRequestError(401, 'Unauthorized');
  if (pathname === STATS_PATH) {
    requireMethod(req, 'GET');
    return sendJson(res, 200, JSON.stringify(context.stats.snapshot(searchParams.get('scope') ?? undefined)));
  }
  const { route, scope } = resolveRoute(pathname);
  requireMethod(req, 'POST');
  context.stats.countRequest(route, scope);
  const body = await readJsonBody(req, res, context.maxBodyBytes);
  const encoding =
    req.headers['upstash-encoding']?.toString().toLowerCase() === 'base64'
      ? ResponseEncoding.Base64
      : ResponseEncoding.Json;
  if (route === RestRoute.Command) {
    const command = parseCommand(body);
    context.stats.countCommands(1, scope);
    const outcome = await context.executor.run(command);
    return sendJson(res, 'error' in outcome ? 400 : 200, encodeOutcome(outcome, encoding));
  }
  const commands = parseCommandList(body);
  context.stats.countCommands(commands.length, scope);
  if (route === RestRoute.Pipeline) {
    const outcomes = await context.executor.runPipeline(commands);
    return sendJson(res, 200, `[${outcomes.map((o) => encodeOutcome(o, encoding)).join(',')}]`);
  }
  const transaction = await context.executor.runTransaction(commands);
  if (!transaction.executed) return sendJson(res, 400, JSON.stringify({ error: transaction.error }));
  return sendJson(res, 200, `[${transaction.outcomes.map((o) => encodeOutcome(o, encoding)).join(',')}]`);
}

function resolveRoute(pathname: string): { route: RestRoute; scope: string | undefined } {
  const scoped = SCOPED_PATH.exec(pathname);
  const rest = scoped ? (scoped[2] ?? '') : pathname;
  const route = ROUTES[rest];
  if (route === undefined) {
    throw new RestRequestError(
      404,
      `No route ${pathname}. This endpoint serves POST / (one command as a JSON array), POST /pipeline and ` +
        'POST /multi-exec; the path form (/get/key) and SSE subscriptions are not supported.',
    );
  }
  return { route, scope: scoped?.[1] };
}

function requireMethod(req: IncomingMessage, method: 'GET' | 'POST'): void {
  if (req.method !== method)
    throw new RestRequestError(405, `Method ${req.method} not allowed here; use ${method}.`);
}

function respondWithError(context: Context, res: ServerResponse, error: unknown): void {
  const status =
    error instanceof RestRequestError ? error.status : error instanceof CacheUnavailableError ? 503 : 500;
  const message = error instanceof Error ? error.message : String(error);
  if (status >= 500) context.log(JSON.stringify({ event: 'request-failed', status, message }));
  sendJson(res, status, JSON.stringify({ error: message }));
}

function validateOptions(options: UpstashRestServerOptions, port: number, maxBodyBytes: number): void {
  if (!options.token) throw new ConfigurationError('The Upstash REST endpoint needs a non-empty token.');
  if (!/^rediss?:\/\//.test(options.redisUrl)) {
    throw new ConfigurationError(`Invalid Redis URL "${options.redisUrl}": expected redis://host:port.`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigurationError(
      `Invalid port ${port}: expected an integer from 0 (any free port) to 65535.`,
    );
  }
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) {
    throw new ConfigurationError(`Invalid maxBodyBytes ${maxBodyBytes}: expected a positive integer.`);
  }
}

/** Process entry: configuration from the environment, one `listening` JSON line on stdout. */
async function main(): Promise<void> {
  const { REDIS_URL, UPSTASH_REDIS_REST_TOKEN, UPSTASH_REST_HOST, UPSTASH_REST_PORT } = process.env;
  if (!REDIS_URL || !UPSTASH_REDIS_REST_TOKEN) {
    throw new ConfigurationError(
      'Set REDIS_URL and UPSTASH_REDIS_REST_TOKEN to start the Upstash REST endpoint.',
    );
  }
  const log = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  const server = await startUpstashRestServer({
    redisUrl: REDIS_URL,
    token: UPSTASH_REDIS_REST_TOKEN,
    host: UPSTASH_REST_HOST || '127.0.0.1',
    port: UPSTASH_REST_PORT ? Number(UPSTASH_REST_PORT) : 18_079,
    logger: log,
  });
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: server.url, port: server.port })}\n`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1); // a second signal means: do not wait
    stopping = true;
    log(JSON.stringify({ event: 'stopping', signal }));
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log(JSON.stringify({ event: 'stop-failed', message: String(error) }));
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main().catch((error: unknown) => {
    process.stderr.write(
      `${JSON.stringify({ event: 'failed', message: (error as Error).message ?? String(error) })}\n`,
    );
    process.exit(1);
  });
}
