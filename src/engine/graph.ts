/**
 * The work graph (after the AWS CDK toolkit's work-graph): nodes with dependencies, a ready pool run
 * up to a concurrency limit, no new work scheduled after a failure or an interrupt (the rest are
 * reported as skipped), cycles reported by name, and the reverse graph for teardown.
 *
 * The ready pool is critical-path first: of the nodes whose dependencies are done, the one with the
 * longest expected chain still ahead of it (its own expected duration plus the longest chain of its
 * dependents, from `weightMs`) starts first; ties go in declaration order. So a slow chain (VPC,
 * subnet, DB subnet group, a 15-minute database) never waits for a free slot behind quick steps.
 */
import { WpdeployError } from '../errors.js';

export interface GraphNode {
  id: string;
  dependsOn: readonly string[];
  /** The node's expected duration (any unit, the same for every node); 0 when not given. */
  weightMs?: number;
  /**
   * Starts before every other node: a check that other nodes' work waits for (they may start, but
   * hold back their changes until it passes). It must have no dependencies, so it can always start.
   */
  first?: boolean;
}

export interface RunResult {
  done: string[];
  failed: Array<{ id: string; error: unknown }>;
  /** Not carried out, because something failed or the run was interrupted (never started, or the worker said `skipped`). */
  skipped: string[];
}

/**
 * Works on one node. `release()` lets the node's dependents start while the worker goes on with
 * work they do not need (it keeps its slot until its promise ends). Resolving with `'skipped'` reports the
 * node as skipped rather than done (it held back once the run had stopped).
 */
export type Worker = (id: string, release: () => void) => Promise<void | 'skipped'>;

export interface RunOptions {
  concurrency: number;
  /** When aborted, no new node starts; running ones finish. */
  signal?: AbortSignal;
  /**
   * Starts one node per turn of the event loop rather than all free slots at once: the node with
   * the longest chain ahead sends its first calls before the next one takes the CPU (on a busy
   * machine, a wave of starts otherwise delays them all alike).
   */
  stagger?: boolean;
}

export class WorkGraph {
  readonly nodes: ReadonlyMap<string, GraphNode>;

  constructor(nodes: readonly GraphNode[]) {
    const map = new Map<string, GraphNode>();
    for (const n of nodes) {
      if (map.has(n.id)) throw new WpdeployError(`step ${n.id} is defined twice.`);
      map.set(n.id, { id: n.id, dependsOn: [...new Set(n.dependsOn)], weightMs: Math.max(0, n.weightMs ?? 0), ...(n.first ? { first: true } : {}) });
    }
    for (const n of map.values()) {
      for (const d of n.dependsOn) {
        if (!map.has(d)) throw new WpdeployError(`step ${n.id} depends on unknown step ${d}.`);
      }
      if (n.first && n.dependsOn.length > 0) throw new WpdeployError(`internal: step ${n.id} runs first, so it cannot depend on ${n.dependsOn.join(', ')}.`);
    }
    this.nodes = map;
    const cycle = this.findCycle();
    if (cycle) throw new WpdeployError(`the steps form a cycle: ${cycle.join(' -> ')}.`);
  }

  /** The same nodes (and weights) with every edge turned around: teardown order. No node runs `first`. */
  reversed(): WorkGraph {
    const dependents = this.dependents();
    return new WorkGraph([...this.nodes.values()].map((n) => ({ id: n.id, dependsOn: dependents.get(n.id)!, weightMs: n.weightMs })));
  }

  /** For each node, the nodes that depend on it, in declaration order. */
  private dependents(): Map<string, string[]> {
    const dependents = new Map<string, string[]>();
    for (const id of this.nodes.keys()) dependents.set(id, []);
    for (const n of this.nodes.values()) for (const d of n.dependsOn) dependents.get(d)!.push(n.id);
    return dependents;
  }

  /**
   * For each node, the expected length of the longest chain that starts with it: its own weight plus
   * the longest such chain among its dependents. The ready pool starts the largest first.
   */
  remainingPath(): Map<string, number> {
    const dependents = this.dependents();
    const memo = new Map<string, number>();
    const visit = (id: string): number => {
      const known = memo.get(id);
      if (known !== undefined) return known;
      const v = (this.nodes.get(id)!.weightMs ?? 0) + Math.max(0, ...dependents.get(id)!.map(visit));
      memo.set(id, v);
      return v;
    };
    for (const id of this.nodes.keys()) visit(id);
    return memo;
  }

  /** A topological order, stable with respect to insertion order. */
  order(): string[] {
    const out: string[] = [];
    const seen = new Set<string>();
    const visit = (id: string) => {
      if (seen.has(id)) return;
      seen.add(id);
      for (const d of this.nodes.get(id)!.dependsOn) visit(d);
      out.push(id);
    };
    for (const id of this.nodes.keys()) visit(id);
    return out;
  }

  private findCycle(): string[] | undefined {
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: string[] = [];
    const visit = (id: string): string[] | undefined => {
      const s = state.get(id);
      if (s === 'done') return undefined;
      if (s === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
      state.set(id, 'visiting');
      stack.push(id);
      for (const d of this.nodes.get(id)!.dependsOn) {
        const c = visit(d);
        if (c) return c;
      }
      stack.pop();
      state.set(id, 'done');
      return undefined;
    };
    for (const id of this.nodes.keys()) {
      const c = visit(id);
      if (c) return c;
    }
    return undefined;
  }

  /**
   * Runs `worker` on every node once its dependencies are done (or released), at most `concurrency`
   * at a time, the longest remaining chain first.
   */
  run(worker: Worker, opts: RunOptions): Promise<RunResult> {
    const declared = new Map([...this.nodes.keys()].map((id, i) => [id, i]));
    const path = this.remainingPath();
    const first = (id: string) => (this.nodes.get(id)!.first ? 1 : 0);
    // Checks first, then the longest chain ahead, then declaration order.
    const before = (a: string, b: string) => first(b) - first(a) || path.get(b)! - path.get(a)! || declared.get(a)! - declared.get(b)!;
    return new Promise<RunResult>((resolve) => new Scheduler(this, worker, opts, before, resolve).pump());
  }
}

/** One run of a work graph: the ready pool, the running count, and what is done, failed or skipped. */
class Scheduler {
  private readonly limit: number;
  private readonly remaining = new Map<string, number>();
  private readonly dependents = new Map<string, string[]>();
  private readonly order: string[];
  private readonly ready: string[];
  private readonly result: RunResult = { done: [], failed: [], skipped: [] };
  private readonly started = new Set<string>();
  private readonly skipped = new Set<string>();
  private running = 0;
  private stopped = false;
  private finished = false;
  private turnPending = false;

  constructor(
    graph: WorkGraph,
    private readonly worker: Worker,
    private readonly opts: RunOptions,
    private readonly before: (a: string, b: string) => number,
    private readonly resolve: (r: RunResult) => void,
  ) {
    this.limit = Math.max(1, Math.floor(opts.concurrency));
    for (const n of graph.nodes.values()) {
      this.remaining.set(n.id, n.dependsOn.length);
      this.dependents.set(n.id, []);
    }
    for (const n of graph.nodes.values()) for (const d of n.dependsOn) this.dependents.get(d)!.push(n.id);
    this.order = graph.order();
    this.ready = this.order.filter((id) => this.remaining.get(id) === 0).sort(before);
  }

  /** Starts what may start (one node per turn with `stagger`), and finishes once nothing runs. */
  pump(): void {
    if (this.opts.signal?.aborted) this.stopped = true;
    while (!this.stopped && this.running < this.limit && this.ready.length > 0) {
      this.start(this.ready.shift()!);
      if (this.opts.stagger) {
        if (!this.turnPending && this.running < this.limit && this.ready.length > 0) {
          this.turnPending = true;
          setImmediate(() => {
            this.turnPending = false;
            this.pump();
          });
        }
        break;
      }
    }
    if (this.running === 0) this.finish();
  }

  private start(id: string): void {
    this.started.add(id);
    this.running++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const dep of this.dependents.get(id)!) {
        const left = this.remaining.get(dep)! - 1;
        this.remaining.set(dep, left);
        if (left === 0) {
          this.ready.push(dep);
          this.ready.sort(this.before);
        }
      }
      // Dependents may take free slots at once (the releasing node keeps its own).
      queueMicrotask(() => this.pump());
    };
    // Through a promise, so a worker that throws synchronously fails its node instead of the run.
    Promise.resolve().then(() => this.worker(id, release)).then(
      (outcome) => {
        if (outcome === 'skipped') {
          this.skipped.add(id);
          return;
        }
        this.result.done.push(id);
        release();
      },
      (error: unknown) => {
        this.result.failed.push({ id, error });
        this.stopped = true;
      },
    ).finally(() => {
      this.running--;
      this.pump();
    });
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.result.skipped = this.order.filter((id) => !this.started.has(id) || this.skipped.has(id));
    this.resolve(this.result);
  }
}
