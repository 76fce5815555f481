import { Command, Redis, type RedisOptions, ReplyError } from 'ioredis';
import { StackError } from '#local/errors.ts';
import { CacheUnavailableError } from '#shared/errors.ts';
import { isBlockingCommand, type RedisCommand } from './commands.ts';
import type { CommandOutcome, RedisReply } from './encoding.ts';

/** What a /multi-exec request produced: per-command outcomes, or the reason nothing ran. */
export type TransactionOutcome =
  | { readonly executed: true; readonly outcomes: CommandOutcome[] }
  | { readonly executed: false; readonly error: string };

/** Idle dedicated connections kept for reuse by transactions and blocking commands. */
const MAX_IDLE_DEDICATED = 8;

const ReplyErrorClass: abstract new (...args: never[]) => Error = ReplyError;

/**
 * A command whose reply is handed over untouched. ioredis rewrites some replies by command
 * name (HGETALL into an object, XREAD and HRANDFIELD reshaped); a REST front must not.
 */
class RawCommand extends Command {
  public constructor(command: RedisCommand) {
    super(command[0], command.slice(1), { replyEncoding: null });
  }

  public override transformReply(result: Buffer | Buffer[]): Buffer | Buffer[] {
    return result;
  }
}

/**
 * Runs REST requests against one Redis. Plain commands and pipelines share one connection
 * (ioredis writes them in order, replies come back in order). A transaction, or anything that
 * may block, borrows a dedicated connection so MULTI…EXEC is never interleaved with other
 * requests' commands and a BLPOP never stalls them.
 *
 * Connection problems surface as {@link CacheUnavailableError}; Redis error replies as
 * `{error}` outcomes with Redis' text unchanged.
 *
 * @example
 * ```ts
 * const executor = await RedisExecutor.connect('redis://127.0.0.1:6379', console.error);
 * await executor.run(['set', 'k', 'v']); // { result: <Buffer 4f 4b> }
 * await executor.close();
 * ```
 */
export class RedisExecutor {
  private readonly idle: Redis[] = [];
  private readonly dedicated = new Set<Redis>();
  private closed = false;

  private constructor(
    private readonly shared: Redis,
    private readonly redisUrl: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Connects the shared connection; fails with {@link StackError} when Redis cannot be reached. */
  public static async connect(redisUrl: string, log: (line: string) => void): Promise<RedisExecutor> {
    const shared = new Redis(redisUrl, {
      ...baseOptions('mskguard-upstash-rest'),
      // Reconnect quickly after a Redis restart; requests in between fail fast with 503.
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
    });
    const executor = new RedisExecutor(shared, redactUrl(redisUrl), log);
    let lastError: Error | undefined;
    shared.on('error', (error: Error) => {
      lastError = error;
      executor.logEvent('redis-error', error.message);
    });
    try {
      await shared.connect();
    } catch (error) {
      shared.disconnect();
      // connect() only says "Connection is closed"; the error event carried the cause (ECONNREFUSED…).
      throw new StackError(
        `The Upstash REST endpoint could not connect to Redis at ${executor.redisUrl} ` +
          `(${messageOf(lastError ?? error)}). Start redis-server or correct REDIS_URL.`,
        { cause: lastError ?? error },
      );
    }
    return executor;
  }

  /** Runs one command (on a dedicated connection when it may block). */
  public async run(command: RedisCommand): Promise<CommandOutcome> {
    if (!isBlockingCommand(command)) return this.settle(await this.send(this.shared, [command]))[0]!;
    return this.withDedicated(async (connection) => this.settle(await this.send(connection, [command]))[0]!);
  }

  /** Runs commands in order without atomicity, as Upstash's /pipeline does. */
  public async runPipeline(commands: readonly RedisCommand[]): Promise<CommandOutcome[]> {
    if (!commands.some(isBlockingCommand)) return this.settle(await this.send(this.shared, commands));
    return this.withDedicated(async (connection) => this.settle(await this.send(connection, commands)));
  }

  /**
   * Runs commands atomically: MULTI, the commands, EXEC on a connection no other request uses.
   * A command refused while queueing (wrong arity, unknown command) aborts the whole
   * transaction, as Redis does; a command failing while EXEC runs fails alone.
   */
  public async runTransaction(commands: readonly RedisCommand[]): Promise<TransactionOutcome> {
    return this.withDedicated(async (connection) => {
      const framed: RedisCommand[] = [['MULTI'], ...commands, ['EXEC']];
      const settled = this.settle(await this.send(connection, framed));
      const exec = settled[settled.length - 1]!;
      if ('result' in exec && Array.isArray(exec.result)) {
        return { executed: true, outcomes: exec.result.map(toOutcome) };
      }
      const queueErrors = settled
        .slice(1, -1)
        .flatMap((outcome, i) =>
          'error' in outcome ? [`command ${i + 1} [${commands[i]![0]}]: ${outcome.error}`] : [],
        );
      const reason = 'error' in exec ? exec.error : 'EXEC returned no result';
      return { executed: false, error: [reason, ...queueErrors].join('; ') };
    });
  }

  /** Connection status of the shared connection (`ready`, `reconnecting`, …). */
  public get status(): string {
    return this.shared.status;
  }

  /** Closes every connection; in-flight commands on them fail. */
  public async close(): Promise<void> {
    this.closed = true;
    for (const connection of [...this.dedicated]) this.drop(connection);
    await quitQuietly(this.shared);
  }

  private async send(
    connection: Redis,
    commands: readonly RedisCommand[],
  ): Promise<PromiseSettledResult<RedisReply>[]> {
    // All commands are handed to ioredis in one synchronous loop, so they are written back to
    // back in this order; replies resolve in the same order.
    const promises = commands.map((command) => {
      const raw = new RawCommand(command);
      connection.sendCommand(raw);
      return raw.promise as Promise<RedisReply>;
    });
    return Promise.allSettled(promises);
  }

  /** Turns replies into outcomes; a connection failure anywhere fails the whole request. */
  private settle(results: readonly PromiseSettledResult<RedisReply>[]): CommandOutcome[] {
    const failure = results.find(
      (r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof ReplyErrorClass),
    );
    if (failure) {
      throw new CacheUnavailableError(
        `Redis at ${this.redisUrl} is unavailable (connection ${this.shared.status}): ${messageOf(failure.reason)}. ` +
          (results.length > 1 ? 'Some commands of this request may have been applied. ' : '') +
          'The endpoint reconnects on its own; check that redis-server is running.',
        { cause: failure.reason },
      );
    }
    return results.map((r) =>
      r.status === 'fulfilled' ? { result: r.value } : { error: messageOf(r.reason) },
    );
  }

  private async withDedicated<T>(work: (connection: Redis) => Promise<T>): Promise<T> {
    const connection = await this.acquire();
    let healthy = false;
    try {
      const result = await work(connection);
      healthy = true;
      return result;
    } finally {
      this.release(connection, healthy);
    }
  }

  private async acquire(): Promise<Redis> {
    for (let connection = this.idle.pop(); connection; connection = this.idle.pop()) {
      if (connection.status === 'ready') return connection;
      this.drop(connection);
    }
    if (this.closed) throw new CacheUnavailableError('The Upstash REST endpoint is shutting down.');
    const connection = this.shared.duplicate({
      ...baseOptions('mskguard-upstash-rest-dedicated'),
      // A dedicated connection is thrown away on any failure rather than reconnected.
      retryStrategy: () => null,
    });
    connection.on('error', (error: Error) => this.logEvent('redis-error', error.message));
    this.dedicated.add(connection);
    try {
      await connection.connect();
      return connection;
    } catch (error) {
      this.drop(connection);
      throw new CacheUnavailableError(`Redis at ${this.redisUrl} is unavailable: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }

  private release(connection: Redis, healthy: boolean): void {
    const reusable = healthy && !this.closed && connection.status === 'ready';
    if (reusable && this.idle.length < MAX_IDLE_DEDICATED) this.idle.push(connection);
    else this.drop(connection);
  }

  private drop(connection: Redis): void {
    this.dedicated.delete(connection);
    const index = this.idle.indexOf(connection);
    if (index >= 0) this.idle.splice(index, 1);
    connection.disconnect();
  }

  private logEvent(event: string, message: string): void {
    this.log(JSON.stringify({ event, redis: this.redisUrl, message }));
  }
}

function baseOptions(connectionName: string): RedisOptions {
  return {
    lazyConnect: true,
    // RESP2 is what Upstash speaks; with Buffer replies and string numbers nothing is lost.
    protocol: 2,
    stringNumbers: true,
    // While Redis is away, fail at once (HTTP 503) instead of queueing behind an HTTP client's
    // timeout, and never resend a command that may already have run (no duplicate INCR).
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    disableClientInfo: true,
    connectionName,
  };
}

function toOutcome(reply: RedisReply): CommandOutcome {
  return reply instanceof Error ? { error: reply.message } : { result: reply };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function quitQuietly(connection: Redis): Promise<void> {
  try {
    if (connection.status === 'ready') await connection.quit();
  } catch {
    // Already gone; disconnect below still stops reconnect attempts.
  }
  connection.disconnect();
}

/** The Redis URL without its password, for messages and logs. */
export function redactUrl(redisUrl: string): string {
  try {
    const url = new URL(redisUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '<unparseable Redis URL>';
  }
}
