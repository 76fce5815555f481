/**
 * What `ToxiproxyClient` (local/toxiproxy.ts) sends to and reads from Toxiproxy's HTTP API (v2.12):
 * toxics and proxies, and the error every failed call throws. Apart from the client so that file
 * holds only the calls. See docs/local/toxiproxy.md.
 */

/** `upstream`: client → server; `downstream`: server → client (Toxiproxy's default). */
export type ToxicStream = 'upstream' | 'downstream';

/** The toxics and their attributes (times in ms unless said otherwise). */
export type ToxicSpec =
  /** Delays data by `latency` ± `jitter` ms. */
  | { readonly type: 'latency'; readonly attributes: { readonly latency: number; readonly jitter?: number } }
  /** Stops all data; closes the connection after `timeout` ms (0: never, data is dropped until removed). */
  | { readonly type: 'timeout'; readonly attributes: { readonly timeout: number } }
  /** Resets the connection (TCP RST), at once or after `timeout` ms. */
  | { readonly type: 'reset_peer'; readonly attributes: { readonly timeout?: number } }
  /** Closes the connection once `bytes` bytes went through. */
  | { readonly type: 'limit_data'; readonly attributes: { readonly bytes: number } }
  /** Slices data into packets of `average_size` ± `size_variation` bytes, `delay` µs apart. */
  | {
      readonly type: 'slicer';
      readonly attributes: {
        readonly average_size: number;
        readonly size_variation?: number;
        readonly delay?: number;
      };
    }
  /** At most `rate` KB/s. */
  | { readonly type: 'bandwidth'; readonly attributes: { readonly rate: number } }
  /** Delays closing the socket by `delay` ms. */
  | { readonly type: 'slow_close'; readonly attributes: { readonly delay: number } };

/** A toxic to add: the spec, plus where and how often it applies. */
export type NewToxic = ToxicSpec & {
  /** @default `${type}_${stream}` (Toxiproxy's default) */
  readonly name?: string;
  /** @default 'downstream' */
  readonly stream?: ToxicStream;
  /** Probability (0–1) that a connection gets the toxic. @default 1 */
  readonly toxicity?: number;
};

/** A toxic as Toxiproxy reports it. */
export interface Toxic {
  readonly name: string;
  readonly type: ToxicSpec['type'];
  readonly stream: ToxicStream;
  readonly toxicity: number;
  readonly attributes: Readonly<Record<string, number>>;
}

/** A proxy to create: `listen` and `upstream` are `host:port`. */
export interface ProxySpec {
  readonly name: string;
  readonly listen: string;
  readonly upstream: string;
  /** @default true */
  readonly enabled?: boolean;
}

/** A proxy as Toxiproxy reports it. */
export interface Proxy {
  readonly name: string;
  readonly listen: string;
  readonly upstream: string;
  readonly enabled: boolean;
  readonly toxics: readonly Toxic[];
}

/** A Toxiproxy call failed; `status` is the HTTP status (undefined when Toxiproxy did not answer). */
export class ToxiproxyError extends Error {
  public override readonly name = 'ToxiproxyError';
  public constructor(
    message: string,
    public readonly status: number | undefined,
  ) {
    super(message);
  }
}
