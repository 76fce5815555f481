/** The command routes of the REST API, as counted in {@link UpstashRestStats}. */
export const RestRoute = { Command: 'command', Pipeline: 'pipeline', MultiExec: 'multiExec' } as const;
/** One of {@link RestRoute}. */
export type RestRoute = (typeof RestRoute)[keyof typeof RestRoute];

/**
 * Round trips seen by the endpoint. `requests` counts every authenticated HTTP request to a
 * command route (`/`, `/pipeline`, `/multi-exec`), whatever its outcome: one request is one
 * round trip. `commands` counts the Redis commands those requests carried (MULTI/EXEC framing
 * excluded); `routes` splits `requests` by route.
 */
export interface UpstashRestStats {
  readonly requests: number;
  readonly commands: number;
  readonly routes: Readonly<Record<RestRoute, number>>;
}

interface MutableStats {
  requests: number;
  commands: number;
  routes: Record<RestRoute, number>;
}

function emptyStats(): MutableStats {
  return { requests: 0, commands: 0, routes: { command: 0, pipeline: 0, multiExec: 0 } };
}

/**
 * Counters for the whole endpoint and per scope. A scope is the `<name>` of a base URL
 * `http://host:port/scope/<name>`: suites sharing one endpoint count their own round trips.
 *
 * @example
 * ```ts
 * const stats = new RestStats();
 * stats.countRequest('command', 'suite-a');
 * stats.countCommands(1, 'suite-a');
 * stats.snapshot('suite-a').requests; // 1
 * ```
 */
export class RestStats {
  private readonly total = emptyStats();
  private readonly scopes = new Map<string, MutableStats>();

  /** Counts one HTTP request to a command route. */
  public countRequest(route: RestRoute, scope: string | undefined): void {
    for (const stats of this.targets(scope)) {
      stats.requests += 1;
      stats.routes[route] += 1;
    }
  }

  /** Counts the Redis commands of a request once its body is valid. */
  public countCommands(count: number, scope: string | undefined): void {
    for (const stats of this.targets(scope)) stats.commands += count;
  }

  /** A copy of the counters, for the whole endpoint or for one scope (zeros if never used). */
  public snapshot(scope?: string): UpstashRestStats {
    const stats = scope === undefined ? this.total : (this.scopes.get(scope) ?? emptyStats());
    return { requests: stats.requests, commands: stats.commands, routes: { ...stats.routes } };
  }

  private targets(scope: string | undefined): MutableStats[] {
    if (scope === undefined) return [this.total];
    let scoped = this.scopes.get(scope);
    if (!scoped) {
      scoped = emptyStats();
      this.scopes.set(scope, scoped);
    }
    return [this.total, scoped];
  }
}
