/**
 * A small typed client of Toxiproxy's HTTP API (v2.12), for fault tests against the local stack:
 * proxies (create, populate, enable/disable = outage, delete) and toxics (latency, timeout,
 * reset_peer, limit_data, slicer, bandwidth, slow_close) on either stream. See docs/local/toxiproxy.md.
 *
 * Every call that fails throws a {@link ToxiproxyError} naming the proxy (and toxic) and what
 * Toxiproxy answered. The toxic and proxy types and the error are in local/toxiproxy-types.ts; the
 * names of the stack's own proxies (`STACK_PROXIES`) are in local/services.ts, which creates them.
 *
 * @example
 * ```ts
 * const toxi = ToxiproxyClient.fromEnv();           // TOXIPROXY_URL, set by the stack
 * await toxi.addToxic('redis', { type: 'latency', attributes: { latency: 200 } });
 * await toxi.withOutage('redis', async () => { ... });   // the proxy refuses connections meanwhile
 * await toxi.reset();                                 // all proxies enabled, no toxics
 * ```
 */

// Proxy is imported as ReportedProxy: under its own name it would shadow the global Proxy.
import {
  type NewToxic,
  type ProxySpec,
  type Proxy as ReportedProxy,
  type Toxic,
  ToxiproxyError,
} from './toxiproxy-types.ts';

/** Client of one Toxiproxy server. */
export class ToxiproxyClient {
  readonly #url: string;
  readonly #timeoutMs: number;

  /** `url`: the HTTP API, e.g. `http://127.0.0.1:18474`. */
  public constructor(url: string, options: { timeoutMs?: number } = {}) {
    this.#url = url.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 5000;
  }

  /** The stack's Toxiproxy (TOXIPROXY_URL); throws with the fix when it is not set. */
  public static fromEnv(env: NodeJS.ProcessEnv = process.env): ToxiproxyClient {
    const url = env.TOXIPROXY_URL;
    if (!url) {
      throw new ToxiproxyError(
        'TOXIPROXY_URL is not set: Toxiproxy is not part of the running stack (it needs Go to build; ' +
          'see `npm run stack:status`), or the suite runs without the stack.',
        undefined,
      );
    }
    return new ToxiproxyClient(url);
  }

  /** The API's base URL. */
  public get url(): string {
    return this.#url;
  }

  /** The server's version (`GET /version`). */
  public async version(): Promise<string> {
    const body = await this.#call('GET', '/version', undefined, 'read the version');
    return typeof body === 'string' ? body.trim() : String((body as { version?: string }).version);
  }

  /** All proxies with their toxics, by name. */
  public async proxies(): Promise<Record<string, ReportedProxy>> {
    return (await this.#call('GET', '/proxies', undefined, 'list proxies')) as Record<string, ReportedProxy>;
  }

  /** One proxy with its toxics. */
  public async proxy(name: string): Promise<ReportedProxy> {
    return (await this.#call(
      'GET',
      `/proxies/${enc(name)}`,
      undefined,
      `read proxy "${name}"`,
    )) as ReportedProxy;
  }

  /** Creates a proxy (fails with status 409 when one of that name exists). */
  public async createProxy(spec: ProxySpec): Promise<ReportedProxy> {
    const body = { enabled: true, ...spec };
    return (await this.#call('POST', '/proxies', body, `create proxy "${spec.name}"`)) as ReportedProxy;
  }

  /**
   * Creates or replaces proxies (`POST /populate`): a proxy whose listen and upstream are unchanged
   * is left as it is (its connections and toxics stay), so calling it again is safe.
   */
  public async populate(specs: readonly ProxySpec[]): Promise<ReportedProxy[]> {
    const names = specs.map((s) => `"${s.name}"`).join(', ');
    const body = specs.map((s) => ({ enabled: true, ...s }));
    const answer = (await this.#call('POST', '/populate', body, `populate proxies ${names}`)) as {
      proxies: ReportedProxy[];
    };
    return answer.proxies;
  }

  /** Deletes a proxy (its listener closes, its connections drop). */
  public async deleteProxy(name: string): Promise<void> {
    await this.#call('DELETE', `/proxies/${enc(name)}`, undefined, `delete proxy "${name}"`);
  }

  /**
   * Enables or disables a proxy. Disabled, it closes its listener and every connection through it:
   * a client gets "connection refused" at once (a full outage), until it is enabled again.
   */
  public async setEnabled(name: string, enabled: boolean): Promise<ReportedProxy> {
    const what = `${enabled ? 'enable' : 'disable'} proxy "${name}"`;
    return (await this.#call('POST', `/proxies/${enc(name)}`, { enabled }, what)) as ReportedProxy;
  }

  /** Takes the proxy down (outage). */
  public disable(name: string): Promise<ReportedProxy> {
    return this.setEnabled(name, false);
  }

  /** Brings the proxy back. */
  public enable(name: string): Promise<ReportedProxy> {
    return this.setEnabled(name, true);
  }

  /** The active toxics of a proxy. */
  public async toxics(proxy: string): Promise<Toxic[]> {
    return (await this.#call(
      'GET',
      `/proxies/${enc(proxy)}/toxics`,
      undefined,
      `list toxics of proxy "${proxy}"`,
    )) as Toxic[];
  }

  /** Adds a toxic to a proxy; it applies to new and existing connections. */
  public async addToxic(proxy: string, toxic: NewToxic): Promise<Toxic> {
    const stream = toxic.stream ?? 'downstream';
    const name = toxic.name ?? `${toxic.type}_${stream}`;
    const body = { ...toxic, name, stream, toxicity: toxic.toxicity ?? 1 };
    return (await this.#call(
      'POST',
      `/proxies/${enc(proxy)}/toxics`,
      body,
      `add ${toxic.type} toxic "${name}" to proxy "${proxy}"`,
    )) as Toxic;
  }

  /** Changes the attributes (or toxicity) of an active toxic. */
  public async updateToxic(
    proxy: string,
    toxic: string,
    change: { attributes?: Readonly<Record<string, number>>; toxicity?: number },
  ): Promise<Toxic> {
    return (await this.#call(
      'POST',
      `/proxies/${enc(proxy)}/toxics/${enc(toxic)}`,
      change,
      `update toxic "${toxic}" of proxy "${proxy}"`,
    )) as Toxic;
  }

  /** Removes a toxic from a proxy. */
  public async removeToxic(proxy: string, toxic: string): Promise<void> {
    await this.#call(
      'DELETE',
      `/proxies/${enc(proxy)}/toxics/${enc(toxic)}`,
      undefined,
      `remove toxic "${toxic}" from proxy "${proxy}"`,
    );
  }

  /** Enables every proxy and removes every toxic (`POST /reset`); proxies stay. */
  public async reset(): Promise<void> {
    await this.#call('POST', '/reset', undefined, 'reset (enable all proxies, remove all toxics)');
  }

  /** One proxy back to normal: its toxics removed, enabled. */
  public async resetProxy(name: string): Promise<void> {
    for (const toxic of await this.toxics(name)) await this.removeToxic(name, toxic.name);
    await this.enable(name);
  }

  /** Runs `fn` with a toxic on the proxy, and removes the toxic afterwards (also when `fn` throws). */
  public async withToxic<T>(proxy: string, toxic: NewToxic, fn: () => Promise<T>): Promise<T> {
    const added = await this.addToxic(proxy, toxic);
    try {
      return await fn();
    } finally {
      await this.removeToxic(proxy, added.name);
    }
  }

  /** Runs `fn` with the proxy down, and brings it back afterwards (also when `fn` throws). */
  public async withOutage<T>(proxy: string, fn: () => Promise<T>): Promise<T> {
    await this.disable(proxy);
    try {
      return await fn();
    } finally {
      await this.enable(proxy);
    }
  }

  async #call(method: string, path: string, body: unknown, what: string): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.#url}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const cause = error instanceof Error ? (error.cause ?? error).toString() : String(error);
      throw new ToxiproxyError(
        `toxiproxy: could not ${what}: ${this.#url} did not answer (${cause})`,
        undefined,
      );
    }
    const text = await res.text();
    if (!res.ok) {
      let reason = text.trim();
      try {
        reason = (JSON.parse(text) as { error?: string }).error ?? reason;
      } catch {
        // not JSON: keep the text
      }
      throw new ToxiproxyError(`toxiproxy: could not ${what}: HTTP ${res.status} ${reason}`, res.status);
    }
    if (text === '') return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}
