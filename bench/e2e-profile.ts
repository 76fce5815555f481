/**
 * Where a profiled end-to-end run spent the main thread's time: V8 CPU profile samples (taken in
 * the worker through `node:inspector`) summed by function and by area (a project folder, an npm
 * package, Node itself, the garbage collector, or idle = waiting for the services).
 */

import type { Profiler } from 'node:inspector';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROJECT_ROOT } from '#local/stack-config.ts';

/** One function or area and the main-thread time spent in it. */
export interface HotSpot {
  readonly name: string;
  readonly ms: number;
  /** Of the profiled wall-clock time. */
  readonly share: number;
}

/** What {@link summarizeProfile} finds. */
export interface ProfileSummary {
  /** Profiled wall-clock time, ms. */
  readonly totalMs: number;
  /** Self time by area, largest first (native frames count for the JavaScript that called them). */
  readonly areas: readonly HotSpot[];
  /** Self time by function, largest first. */
  readonly functions: readonly HotSpot[];
  /** Inclusive time of this repository's functions, largest first. */
  readonly inclusive: readonly HotSpot[];
}

type Node = Profiler.ProfileNode;

/** A position in the original source (0-based line), as a source map gives it. */
export interface SourcePosition {
  /** A file URL or path. */
  readonly source: string;
  readonly line: number;
}

/** Options of {@link summarizeProfile}. */
export interface SummarizeOptions {
  /** Rows per list. @default 15 */
  readonly count?: number;
  /** Maps a generated position (tsx's output) to the TypeScript one; generated lines otherwise. */
  readonly originalPosition?: (url: string, line: number, column: number) => SourcePosition | undefined;
}

const PSEUDO_AREAS: Readonly<Record<string, string>> = {
  '(idle)': 'idle: waiting for Kafka, Redis, DynamoDB',
  '(garbage collector)': 'garbage collector',
  '(program)': 'V8 / native, not attributed',
  '(root)': 'V8 / native, not attributed',
};

/** `shared/middleware`, `bench`, `kafkajs`, `@aws-sdk`, `node:` for a script URL; undefined when it has none. */
export function areaOf(url: string): string | undefined {
  if (!url) return undefined;
  if (url.startsWith('node:')) return 'node: internals (sockets, timers; no JS caller)';
  const path = url.startsWith('file:') ? fileURLToPath(url) : url;
  const inModules = path.lastIndexOf('/node_modules/');
  if (inModules >= 0) {
    // A scope stands for its packages (every @aws-sdk/* client); @smithy is the SDK's core.
    const name = path.slice(inModules + '/node_modules/'.length).split('/')[0]!;
    return name === '@smithy' ? '@aws-sdk' : name;
  }
  const rel = relative(PROJECT_ROOT, path);
  if (rel.startsWith('..')) return 'other';
  const parts = rel.split('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : parts[0]!;
}

function functionLabel(node: Node, options: SummarizeOptions): string {
  const { functionName, url, lineNumber, columnNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  if (!url) return `${name} (native)`;
  if (url.startsWith('node:')) return `${name} (${url}:${lineNumber + 1})`;
  const original = options.originalPosition?.(url, lineNumber, columnNumber);
  const source = original?.source ?? url;
  const path = source.startsWith('file:') ? fileURLToPath(source) : source;
  const inModules = path.lastIndexOf('/node_modules/');
  const where =
    inModules >= 0 ? path.slice(inModules + '/node_modules/'.length) : relative(PROJECT_ROOT, path);
  return `${name} (${where}:${(original?.line ?? lineNumber) + 1})`;
}

function top(totals: Map<string, number>, totalMs: number, count: number): HotSpot[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, ms]) => ({ name, ms: Math.round(ms), share: totalMs > 0 ? ms / totalMs : 0 }));
}

/** Parents, labels and areas of a profile's call-tree nodes, computed once per node. */
class CallTree {
  readonly #nodes: Map<number, Node>;
  readonly #parents = new Map<number, number>();
  readonly #labels = new Map<number, string>();
  readonly #areas = new Map<number, string | undefined>();
  readonly #project = new Map<number, boolean>();
  readonly #options: SummarizeOptions;

  public constructor(profile: Profiler.Profile, options: SummarizeOptions) {
    this.#nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    for (const n of profile.nodes) for (const child of n.children ?? []) this.#parents.set(child, n.id);
    this.#options = options;
  }

  public node(id: number): Node {
    return this.#nodes.get(id)!;
  }

  public parent(id: number): number | undefined {
    return this.#parents.get(id);
  }

  public label(id: number): string {
    let label = this.#labels.get(id);
    if (label === undefined) {
      const node = this.node(id);
      label = PSEUDO_AREAS[node.callFrame.functionName] ?? functionLabel(node, this.#options);
      this.#labels.set(id, label);
    }
    return label;
  }

  /** Whether the node runs code of this repository (not a package, not Node, not V8). */
  public isProject(id: number): boolean {
    let project = this.#project.get(id);
    if (project === undefined) {
      const area = areaOf(this.node(id).callFrame.url);
      project = area !== undefined && /^(shared|bench|functions)\b/.test(area);
      this.#project.set(id, project);
    }
    return project;
  }

  /** The area a sample of this node counts for. */
  public area(id: number): string {
    const { url, functionName } = this.node(id).callFrame;
    const pseudo = PSEUDO_AREAS[functionName];
    if (pseudo && !url) return pseudo;
    return this.#callerArea(id) ?? (url ? NODE_AREA : 'V8 / native, not attributed');
  }

  /** The area of the nearest frame (this one or a caller) in the project or a package. */
  #callerArea(id: number | undefined): string | undefined {
    if (id === undefined) return undefined;
    if (this.#areas.has(id)) return this.#areas.get(id);
    const own = areaOf(this.node(id).callFrame.url);
    const area = own !== undefined && own !== NODE_AREA ? own : this.#callerArea(this.parent(id));
    this.#areas.set(id, area);
    return area;
  }
}

const NODE_AREA = areaOf('node:')!;

/**
 * Sums a V8 CPU profile's samples by function (self time), by area, and by project function
 * (inclusive: the time a function of this repository was on the stack, its callees included). A
 * sample's duration is the gap to the next sample. Frames without a script (builtins such as
 * `JSON.stringify`) and Node's own `node:` code (Buffer, streams) count for the area of their
 * nearest caller in the project or a package; only what no such caller started (socket reads,
 * timers) stays Node's. Inclusive time is synchronous: an async function counts while it runs,
 * not while it awaits.
 *
 * @example
 * ```ts
 * const { profile } = await session.post('Profiler.stop');
 * summarizeProfile(profile).areas; // [{ name: 'idle: ...', ms: 1234, share: 0.41 }, ...]
 * ```
 */
export function summarizeProfile(profile: Profiler.Profile, options: SummarizeOptions = {}): ProfileSummary {
  const count = options.count ?? 15;
  const tree = new CallTree(profile, options);
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const meanDelta = samples.length > 0 ? (profile.endTime - profile.startTime) / samples.length : 0;
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);
  let totalMs = 0;
  for (let i = 0; i < samples.length; i++) {
    const ms = (deltas[i + 1] ?? meanDelta) / 1000;
    const id = samples[i]!;
    totalMs += ms;
    add(byFunction, tree.label(id), ms);
    add(byArea, tree.area(id), ms);
    const onStack = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = tree.parent(at)) {
      if (tree.isProject(at)) onStack.add(tree.label(at));
    }
    for (const label of onStack) add(inclusive, label, ms);
  }
  return {
    totalMs: Math.round(totalMs),
    areas: top(byArea, totalMs, count),
    functions: top(byFunction, totalMs, count),
    inclusive: top(inclusive, totalMs, count + 10),
  };
}
