/**
 * The work graph (after the AWS CDK toolkit's work-graph): nodes with dependencies, a ready pool run
 * up to a concurrency limit, no new work scheduled after a failure or an interrupt (the rest are
 * reported as skipped), cycles reported by name, and the reverse graph for teardown.
 */
import { WpdeployError } from '../errors.js';

export interface GraphNode {
  id: string;
  dependsOn: readonly string[];
}

export interface RunResult {
  done: string[];
  failed: Array<{ id: string; error: unknown }>;
  /** Never started, because something failed or the run was interrupted. */
  skipped: string[];
}

export interface RunOptions {
  concurrency: number;
  /** When aborted, no new node starts; running ones finish. */
  signal?: AbortSignal;
}

export class WorkGraph {
  readonly nodes: ReadonlyMap<string, GraphNode>;

  constructor(nodes: readonly GraphNode[]) {
    const map = new Map<string, GraphNode>();
    for (const n of nodes) {
      if (map.has(n.id)) throw new WpdeployError(`step ${n.id} is defined twice.`);
      map.set(n.id, { id: n.id, dependsOn: [...new Set(n.dependsOn)] });
    }
    for (const n of map.values()) {
      for (const d of n.dependsOn) {
        if (!map.has(d)) throw new WpdeployError(`step ${n.id} depends on unknown step ${d}.`);
      }
    }
    this.nodes = map;
    const cycle = this.findCycle();
    if (cycle) throw new WpdeployError(`the steps form a cycle: ${cycle.join(' -> ')}.`);
  }

  /** The same nodes with every edge turned around: teardown order. */
  reversed(): WorkGraph {
    const dependents = new Map<string, string[]>();
    for (const id of this.nodes.keys()) dependents.set(id, []);
    for (const n of this.nodes.values()) for (const d of n.dependsOn) dependents.get(d)!.push(n.id);
    return new WorkGraph([...this.nodes.keys()].map((id) => ({ id, dependsOn: dependents.get(id)! })));
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

  /** Runs `worker` on every node once its dependencies are done, at most `concurrency` at a time. */
  async run(worker: (id: string) => Promise<void>, opts: RunOptions): Promise<RunResult> {
    const limit = Math.max(1, Math.floor(opts.concurrency));
    const remaining = new Map<string, number>();
    const dependents = new Map<string, string[]>();
    for (const n of this.nodes.values()) {
      remaining.set(n.id, n.dependsOn.length);
      for (const d of n.dependsOn) (dependents.get(d) ?? dependents.set(d, []).get(d)!).push(n.id);
    }
    const order = this.order();
    const rank = new Map(order.map((id, i) => [id, i]));
    const ready = order.filter((id) => remaining.get(id) === 0);
    const result: RunResult = { done: [], failed: [], skipped: [] };
    const started = new Set<string>();
    let running = 0;
    let stopped = false;

    return new Promise<RunResult>((resolve) => {
      const finish = () => {
        result.skipped = order.filter((id) => !started.has(id));
        resolve(result);
      };
      const pump = () => {
        if (opts.signal?.aborted) stopped = true;
        while (!stopped && running < limit && ready.length > 0) {
          const id = ready.shift()!;
          started.add(id);
          running++;
          // Through a promise, so a worker that throws synchronously fails its node instead of the run.
          Promise.resolve().then(() => worker(id)).then(
            () => {
              result.done.push(id);
              for (const dep of dependents.get(id) ?? []) {
                const left = remaining.get(dep)! - 1;
                remaining.set(dep, left);
                if (left === 0) {
                  ready.push(dep);
                  ready.sort((a, b) => rank.get(a)! - rank.get(b)!);
                }
              }
            },
            (error: unknown) => {
              result.failed.push({ id, error });
              stopped = true;
            },
          ).finally(() => {
            running--;
            pump();
          });
        }
        if (running === 0) finish();
      };
      pump();
    });
  }
}
