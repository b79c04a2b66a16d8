/**
 * Teardown: deletes steps' resources, each before the steps AWS will not delete while it exists (the
 * edges that order deletes, Dependency.only), the longest expected chain first. Steps the config no
 * longer knows come from state, with the kind and the edges recorded there. `down` keeps what holds
 * data (unless --purge) and forgets what wpdeploy only looks up.
 */
import { WpdeployError } from '../errors.js';
import { createDeps, deleteDeps, type Actual, type ResourceContext, type ResourceKind, type StepDef } from '../resources/types.js';
import { checkApproval } from './approval.js';
import type { EngineRun, StepReport } from './engine-run.js';
import { WorkGraph, type GraphNode, type RunResult } from './graph.js';
import { orphan } from './planner.js';

/** Why steps are removed: `down` (the whole stack) or `orphan` (an `up` whose config dropped them). */
export type Removal = 'down' | 'orphan';

interface Target {
  id: string;
  def?: StepDef;
  kind: ResourceKind<unknown, Actual>;
  /** The steps it is deleted before, among those removed. */
  dependsOn: readonly string[];
  dryRun: boolean;
  why: Removal;
  started: number;
  ctx: ResourceContext;
}

export class Teardown {
  /**
   * `desiredOf`: a step's spec from the outputs known so far, or undefined when one is missing
   * (then `find` falls back to tags).
   */
  constructor(private readonly run: EngineRun, private readonly desiredOf: (def: StepDef) => unknown) {}

  /** Deletes the given steps' resources (or plans it, `dryRun`), dependents first. */
  async remove(ids: string[], dryRun: boolean, why: Removal): Promise<RunResult> {
    const { steps, concurrency, signal } = this.run.options;
    const defs = new Map(steps.map((s) => [s.id, s]));
    if (why === 'down') await this.findReadOutputs(ids, defs);
    const nodes = this.nodes(ids, defs);
    const graph = new WorkGraph(nodes).reversed();
    const result = await graph.run(async (id, release) => {
      const def = defs.get(id);
      const kind = this.kindOf(id, def);
      const started = Date.now();
      const ctx = this.run.context(id, def?.role, [], { gone: release });
      this.run.options.emit({ type: 'step-start', step: id, kind: kind.name, phase: 'delete' });
      try {
        await this.removeOne({ id, def, kind, dependsOn: nodes.find((n) => n.id === id)!.dependsOn, dryRun, why, started, ctx });
      } catch (err) {
        this.run.fail(id, kind.name, err, started);
        throw err;
      }
    }, { concurrency, signal, stagger: true });
    this.run.reportSkipped(result);
    return result;
  }

  /**
   * The outputs that removed steps' specs read and no state holds (a lost state file, a step recorded
   * without them), found first, in create order: a part found through its spec (a group's rules, a
   * listener, a mount target) needs its parent's id to be found, and is deleted before its parent.
   */
  private async findReadOutputs(ids: string[], defs: ReadonlyMap<string, StepDef>): Promise<void> {
    const { outputs, options } = this.run;
    const read = new Set(ids.flatMap((id) => (defs.has(id) ? createDeps(defs.get(id)!) : [])));
    const wanted = new Set(ids.filter((id) => read.has(id) && defs.has(id) && !outputs.has(id)));
    if (!wanted.size) return;
    const nodes = [...wanted].map((id) => ({ id, dependsOn: createDeps(defs.get(id)!).filter((d) => wanted.has(d)) }));
    const result = await new WorkGraph(nodes).run(async (id) => {
      const def = defs.get(id)!;
      const ctx = this.run.context(id, def.role);
      const actual = await this.run.call(`read ${def.kind.noun}`, ctx, () => def.kind.find(ctx, this.desiredOf(def)));
      if (actual) outputs.set(id, def.kind.outputs(actual));
    }, { concurrency: options.concurrency, signal: options.signal });
    const failed = result.failed[0];
    if (failed) throw failed.error;
  }

  /** The delete graph's nodes (before reversal): a step's delete edges, from its definition or as state recorded them. */
  private nodes(ids: string[], defs: ReadonlyMap<string, StepDef>): GraphNode[] {
    const { store, kinds } = this.run.options;
    const idSet = new Set(ids);
    return ids.map((id) => {
      const def = defs.get(id);
      const deps = def ? deleteDeps(def) : store.steps[id]?.dependsOn ?? [];
      const kind = def?.kind ?? kinds.get(store.steps[id]?.kind ?? '');
      return { id, dependsOn: deps.filter((d) => idSet.has(d)), weightMs: kind?.lookup ? 0 : kind?.timing?.deleteMs };
    });
  }

  private kindOf(id: string, def: StepDef | undefined): ResourceKind<unknown, Actual> {
    const { store, kinds } = this.run.options;
    const kindName = def?.kind.name ?? store.steps[id]?.kind;
    const kind = def?.kind ?? (kindName ? kinds.get(kindName) : undefined);
    if (!kind) throw new WpdeployError(`state step ${id} has kind ${kindName}, which this wpdeploy does not know.`, { hint: 'Use the wpdeploy version that created the stack.' });
    return kind as ResourceKind<unknown, Actual>;
  }

  private async removeOne(t: Target): Promise<void> {
    const { store, emit, purge, approval } = this.run.options;
    const { id, kind, ctx } = t;
    const desired = t.def ? this.desiredOf(t.def) : undefined;
    const actual = await this.run.call(`read ${kind.noun}`, ctx, () => kind.find(ctx, desired));
    if (kind.lookup) return this.forget(t, actual);
    const keep = t.why === 'down' && !!actual && !!kind.retainOnDown && !purge;
    const item = actual && !keep ? orphan(id, kind.name, actual.id) : { ...orphan(id, kind.name, actual?.id), op: 'same' as const, reason: 'already gone' };
    if (t.why === 'down') item.reason = keep ? 'kept: it holds data (`down --purge` removes it)' : actual ? 'removing the stack' : 'already gone';
    this.run.reports.set(id, { ...item, state: actual?.state, recordedId: store.steps[id]?.id });
    if (keep) return this.keep(t, actual, this.run.reports.get(id)!);
    emit({ type: 'step-plan', step: id, kind: kind.name, op: item.op, id: item.id, changes: [], reason: item.reason, expectedMs: actual ? kind.timing?.deleteMs : undefined });
    if (t.dryRun) return;
    if (t.why === 'orphan') checkApproval(approval, item);
    if (actual) {
      await store.update((s) => {
        const prev = s.steps[id];
        s.steps[id] = { kind: kind.name, id: actual.id, arn: actual.arn, outputs: prev?.outputs, dependsOn: prev?.dependsOn ?? [...t.dependsOn], pending: { op: 'delete', startedAt: new Date().toISOString() }, updatedAt: new Date().toISOString() };
      });
      await this.run.call(`delete ${kind.noun} ${actual.id}`, ctx, () => kind.delete(ctx, actual));
    }
    if (store.steps[id]) await store.update((s) => void delete s.steps[id]);
    emit({ type: 'step-done', step: id, kind: kind.name, op: item.op, id: actual?.id, elapsedMs: Date.now() - t.started, message: actual ? undefined : 'already gone' });
  }

  /** Not wpdeploy's to delete (a lookup): forgotten, and said so. */
  private async forget({ id, kind, dryRun, started }: Target, actual: Actual | undefined): Promise<void> {
    const { store, emit } = this.run.options;
    this.run.reports.set(id, { ...orphan(id, kind.name, actual?.id), op: 'same', reason: 'left in place (wpdeploy only looks it up)', state: actual?.state });
    emit({ type: 'step-plan', step: id, kind: kind.name, op: 'same', id: actual?.id, changes: [], reason: 'left in place' });
    if (!dryRun && store.steps[id]) await store.update((s) => void delete s.steps[id]);
    emit({ type: 'step-done', step: id, kind: kind.name, op: 'same', id: actual?.id, elapsedMs: Date.now() - started, message: 'left in place' });
  }

  /** Holds data (`retainOnDown`) and no --purge: kept, and recorded so the next `up` reuses it. */
  private async keep({ id, kind, dryRun, started, dependsOn }: Target, actual: Actual, report: StepReport): Promise<void> {
    const { store, emit } = this.run.options;
    this.run.kept.push(report);
    emit({ type: 'step-plan', step: id, kind: kind.name, op: 'same', id: actual.id, changes: [], reason: report.reason });
    if (!dryRun) {
      await store.update((s) => {
        const prev = s.steps[id];
        s.steps[id] = { kind: kind.name, id: actual.id, arn: actual.arn, outputs: kind.outputs(actual), dependsOn: prev?.dependsOn ?? [...dependsOn], updatedAt: new Date().toISOString() };
      });
    }
    emit({ type: 'step-done', step: id, kind: kind.name, op: 'same', id: actual.id, elapsedMs: Date.now() - started, message: 'kept' });
  }
}
