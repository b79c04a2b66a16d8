/**
 * The step engine. `apply` walks the step graph (dependencies first, up to --concurrency at once,
 * the longest expected chain first): each step finds its resource (recorded id, then tags), the
 * planner decides, and unless this is a dry run the decision is carried out and recorded; its
 * dependents start as soon as it is recorded. `destroy` walks the reverse graph, on the edges AWS
 * enforces on delete (Dependency.only). Checks (the hosted zone) start first, and no step changes
 * anything until they pass. Intent is written before every mutation and the id the moment a create
 * returns.
 */
import { createHash } from 'node:crypto';
import type { AwsClients } from '../aws/clients.js';
import { recommendAction } from '../aws/errors.js';
import { ReadCache } from '../aws/read-cache.js';
import { stackTags, type TagMap } from '../aws/tags.js';
import { WpdeployError, errorMessage } from '../errors.js';
import { runPreflight } from '../resources/preflight.js';
import type { Actual, CheckFailure, Inputs, Operation, Outputs, ResourceContext, ResourceKind, StepDef } from '../resources/types.js';
import { UNKNOWN, createDeps, deleteDeps } from '../resources/types.js';
import type { Emit } from './events.js';
import { WorkGraph, type RunResult } from './graph.js';
import { checkApproval, refusal, type Approval } from './approval.js';
import { attributesOf, decide, orphan, type PlanItem } from './planner.js';
import type { StateStore } from './state.js';

export interface EngineOptions {
  steps: StepDef[];
  /** Every kind by name, to tear down steps the config no longer defines. */
  kinds: ReadonlyMap<string, ResourceKind>;
  store: StateStore;
  aws: AwsClients;
  stack: string;
  region: string;
  account: string;
  userTags: TagMap;
  concurrency: number;
  emit: Emit;
  signal: AbortSignal;
  scale: number;
  /** `down --purge`: delete what `down` otherwise keeps (data), with no recovery window. */
  purge?: boolean;
  /** Run the steps' preflight checks (`up`, `plan`): `up` changes nothing unless they pass. */
  preflight?: boolean;
  /** What an `up` may do; unset: anything the config asks. */
  approval?: Approval;
}

export interface StepReport extends PlanItem {
  /** Live state as AWS reports it, when the resource exists. */
  state?: string;
  recordedId?: string;
}

export interface EngineResult {
  ok: boolean;
  interrupted: boolean;
  items: StepReport[];
  failed: Array<{ step: string; error: unknown }>;
  skipped: string[];
  outputs: Record<string, Outputs>;
  /** What `down` kept (data that users cannot get back): removed by `down --purge`. */
  kept: StepReport[];
}

/** The name under which the preflight's failures are reported (a pseudo-step: it has no resource). */
export const PREFLIGHT = 'preflight';

/** The checks of a run: passed once every one is done, failed as soon as one fails. */
class Gate {
  private readonly waiting: Set<string>;
  private open!: (passed: boolean) => void;
  readonly passed: Promise<boolean>;
  constructor(checks: string[]) {
    this.waiting = new Set(checks);
    this.passed = new Promise((resolve) => (this.open = resolve));
    if (this.waiting.size === 0) this.open(true);
  }
  settle(step: string, ok: boolean): void {
    if (!ok) return this.open(false);
    this.waiting.delete(step);
    if (this.waiting.size === 0) this.open(true);
  }
}

class StepInputs implements Inputs {
  constructor(private readonly outputs: Map<string, Outputs>) {}
  get(step: string, key: string): string {
    const o = this.outputs.get(step);
    if (!o) return UNKNOWN;
    const v = o[key];
    if (v === undefined) throw new WpdeployError(`internal: step ${step} has no output ${key}.`);
    return v;
  }
}

export class Engine {
  private readonly outputs = new Map<string, Outputs>();
  private readonly reports = new Map<string, StepReport>();
  private readonly kept: StepReport[] = [];
  /** The run's shared reads: batch describes serve every step of a kind (hints: the ids state records). */
  private readonly reads: ReadCache;
  private gate = new Gate([]);
  /** In a dry run, the checks that would not pass: reported as failures, without stopping the plan. */
  private readonly refused: Array<{ id: string; error: unknown }> = [];

  constructor(private readonly o: EngineOptions) {
    this.reads = new ReadCache(o.aws, () => Object.values(o.store.steps).map((s) => ({ kind: s.kind, id: s.id, arn: s.arn })));
  }

  /**
   * The context of one step's operation. `release` lets its dependents go ahead: through `usable`
   * when it converges (apply), through `gone` when it is deleted (teardown); never both, so a
   * replace's delete releases nothing.
   */
  private context(step: string, role: string | undefined, duplicates: Actual[] = [], release?: { usable?: (outputs: Outputs) => void; gone?: () => void }): ResourceContext {
    const o = this.o;
    const started = Date.now();
    return {
      duplicate: (actual) => void duplicates.push(actual),
      aws: o.aws,
      reads: this.reads,
      stack: o.stack,
      region: o.region,
      account: o.account,
      step,
      tags: stackTags({ stack: o.stack, step, role: role ?? step, userTags: o.userTags }),
      recordedId: o.store.steps[step]?.id,
      clientToken: () => {
        const intent = o.store.steps[step]?.pending?.startedAt ?? '';
        return createHash('sha256').update(`${o.account}|${o.region}|${o.stack}|${step}|${intent}`).digest('hex').slice(0, 32);
      },
      recordId: (id, arn) =>
        o.store.update((s) => {
          const prev = s.steps[step];
          if (prev) s.steps[step] = { ...prev, id, arn: arn ?? prev.arn };
        }),
      ...(release?.usable ? { usable: (actual: Actual) => release.usable!(this.kindOf(step)!.outputs(actual)) } : {}),
      ...(release?.gone ? { gone: release.gone } : {}),
      progress: (message) => o.emit({ type: 'step-progress', step, message, elapsedMs: Date.now() - started }),
      warn: (message) => o.emit({ type: 'warning', message, step }),
      signal: o.signal,
      scale: o.scale,
      purge: o.purge ?? false,
    };
  }

  private kindOf(step: string): ResourceKind | undefined {
    return this.o.steps.find((s) => s.id === step)?.kind;
  }

  /** Plans (dryRun) or converges the stack: every step, then the removal of steps the config dropped. */
  async apply(opts: { dryRun: boolean }): Promise<EngineResult> {
    const o = this.o;
    const defs = new Map(o.steps.map((s) => [s.id, s]));
    const orphans = Object.keys(o.store.steps).filter((id) => !defs.has(id));
    if (!opts.dryRun && orphans.length > 0 && o.approval && !o.approval.destructive && !o.approval.planned) {
      // Known before any call: refused before anything changes.
      throw refusal('delete', orphans.join(', '), 'no longer in the config');
    }
    // The preflight runs alongside the reads; like the check steps, it holds back every change until it passes.
    const preflight = o.preflight ? this.preflight() : undefined;
    // A dry run changes nothing: it need not wait for the checks.
    this.gate = new Gate(opts.dryRun ? [] : [...o.steps.filter((s) => s.check).map((s) => s.id), ...(preflight ? [PREFLIGHT] : [])]);
    void preflight?.then((failed) => this.gate.settle(PREFLIGHT, failed.length === 0));
    const graph = new WorkGraph(o.steps.map((s) => ({ id: s.id, dependsOn: createDeps(s), weightMs: s.kind.timing?.createMs, first: s.check })));
    const result = await graph.run((id, release) => this.applyStep(defs.get(id)!, opts.dryRun, release), { concurrency: o.concurrency, signal: o.signal, stagger: true });
    for (const f of (await preflight) ?? []) result.failed.push({ id: PREFLIGHT, error: new WpdeployError(f.message, { hint: f.hint }) });
    result.failed.push(...this.refused);
    this.reportSkipped(result);
    let combined = result;
    if (result.failed.length === 0 && !o.signal.aborted) {
      if (orphans.length > 0) {
        const r = await this.removeSteps(orphans, opts.dryRun, 'orphan');
        combined = { done: [...result.done, ...r.done], failed: r.failed, skipped: r.skipped };
      }
    }
    return this.finish(combined, o.steps.map((s) => s.id));
  }

  /**
   * The checks the steps declare (StepDef.preflight), each failure emitted as `preflight` failing
   * (src/resources/preflight.ts makes the calls). Never throws: a check that cannot run fails.
   */
  private async preflight(): Promise<CheckFailure[]> {
    const o = this.o;
    // After the graph's first steps have sent their reads: loading the SDK clients the checks need takes CPU.
    await new Promise((resolve) => setImmediate(resolve));
    const started = Date.now();
    const steps = o.steps.filter((d) => d.preflight).map((d) => ({
      step: d.id, preflight: d.preflight!, desired: () => d.desired(new StepInputs(new Map())), context: () => this.context(d.id, d.role),
    }));
    const failed = await runPreflight(this.context(PREFLIGHT, undefined), steps, (step) => !!o.store.steps[step]?.id && !o.store.steps[step]?.pending);
    for (const f of failed) o.emit({ type: 'step-failed', step: PREFLIGHT, kind: PREFLIGHT, error: f.message, hint: f.hint, elapsedMs: Date.now() - started });
    return failed;
  }

  /** Deletes every resource of the stack, dependents first. */
  async destroy(): Promise<EngineResult> {
    // Dependents read their dependencies' outputs as recorded (teardown runs dependents first).
    for (const [id, st] of Object.entries(this.o.store.steps)) if (st.outputs) this.outputs.set(id, st.outputs);
    const ids = [...new Set([...this.o.steps.map((s) => s.id), ...Object.keys(this.o.store.steps)])];
    const r = await this.removeSteps(ids, false, 'down');
    return this.finish(r, ids);
  }

  private finish(r: RunResult, order: string[]): EngineResult {
    const items = [...new Set([...order, ...this.reports.keys()])].map((id) => this.reports.get(id)).filter((x): x is StepReport => !!x);
    return {
      ok: r.failed.length === 0 && !this.o.signal.aborted,
      interrupted: this.o.signal.aborted,
      items,
      failed: r.failed.map((f) => ({ step: f.id, error: f.error })),
      skipped: r.skipped,
      outputs: Object.fromEntries(this.outputs),
      kept: this.kept,
    };
  }

  private reportSkipped(r: RunResult): void {
    const why = this.o.signal.aborted ? 'interrupted' : `not started because ${r.failed.map((f) => f.id).join(', ')} failed`;
    for (const id of r.skipped) this.o.emit({ type: 'step-skipped', step: id, reason: why });
  }

  /**
   * Finds, plans and (unless dry) converges one step. Its dependents are released once its outputs
   * are recorded; the look for a twin left by a lost create response, and deleting it, come after.
   * A step that would change something waits for the run's checks first: `skipped` if one failed.
   */
  private async applyStep(def: StepDef, dryRun: boolean, release: () => void): Promise<void | 'skipped'> {
    const o = this.o;
    const kind = def.kind as ResourceKind<unknown, Actual>;
    const started = Date.now();
    const duplicates: Actual[] = [];
    const ctx = this.context(def.id, def.role, duplicates, {
      usable: (outputs) => {
        this.outputs.set(def.id, outputs);
        release();
      },
    });
    const recorded = o.store.steps[def.id];
    o.emit({ type: 'step-start', step: def.id, kind: kind.name, phase: 'read' });
    try {
      const desired = def.desired(new StepInputs(this.outputs));
      const actual = await this.call(`read ${kind.noun}`, ctx, () => kind.find(ctx, desired));
      if (!actual && kind.missing) {
        // What wpdeploy only looks up is never planned as a create. `plan` reports it as a check that
        // would not pass, and still plans every other step; anything else stops here.
        const error = kind.missing(desired);
        if (!(dryRun && o.preflight && def.check)) throw error;
        this.refused.push({ id: def.id, error });
        this.fail(def.id, kind.name, error, started);
        return;
      }
      const item = decide({
        step: def.id, kind: kind.name, recordedId: recorded?.id, actual,
        diff: actual ? kind.diff(desired, actual) : undefined, onReplace: kind.onReplace,
      });
      if (item.op === 'create') item.attributes = attributesOf(desired);
      if (!dryRun) checkApproval(this.o.approval, item);
      if (!dryRun && !def.check && (item.op !== 'same' || duplicates.length > 0) && !(await this.gate.passed)) return 'skipped';
      this.reports.set(def.id, { ...item, state: actual?.state, recordedId: recorded?.id });
      o.emit({ type: 'step-plan', step: def.id, kind: kind.name, op: item.op, id: item.id, changes: item.changes, reason: item.reason, expectedMs: expectedFor(kind, item.op), ...(item.attributes ? { attributes: item.attributes } : {}) });
      if (dryRun) {
        if (actual) this.outputs.set(def.id, kind.outputs(actual));
        // `plan` (a dry run with the preflight) reports a check that would not pass: a lookup's create and
        // update change nothing, they only say why `up` would stop.
        if (o.preflight && def.check && kind.lookup && item.op !== 'same') {
          await this.call(`check ${kind.noun}`, ctx, () => (actual ? kind.update!(ctx, desired, actual, kind.diff(desired, actual)) : kind.create(ctx, desired))).catch((error: unknown) => {
            this.refused.push({ id: def.id, error });
            this.fail(def.id, kind.name, error, started);
          });
        }
        return;
      }
      if (actual && recorded?.id !== actual.id && !kind.foundBySpec) {
        o.emit({ type: 'warning', step: def.id, message: recorded?.id ? `${kind.noun} ${recorded.id} is gone; adopted ${actual.id}, found by its tags.` : `adopted ${kind.noun} ${actual.id}, found by its tags.` });
      }
      let final: Actual;
      switch (item.op) {
        case 'same':
          final = actual!;
          break;
        case 'create':
          await this.intend(def, 'create');
          final = await this.call(`create ${kind.noun}`, ctx, () => kind.create(ctx, desired));
          break;
        case 'update':
          if (!kind.update) throw new WpdeployError(`internal: ${kind.name} has changes but no update.`);
          await this.intend(def, 'update', actual!);
          final = await this.call(`update ${kind.noun} ${actual!.id}`, ctx, () => kind.update!(ctx, desired, actual!, kind.diff(desired, actual!)));
          break;
        case 'replace':
          if (item.refused) {
            throw new WpdeployError(`cannot change ${kind.noun} ${actual!.id} in place: ${item.reason}`, {
              hint: `wpdeploy will not replace it on its own. Revert the change in the config, or remove the stack first (\`wpdeploy down\`) and run \`wpdeploy up\` again.`,
            });
          }
          await this.intend(def, 'replace', actual!);
          await this.call(`delete ${kind.noun} ${actual!.id}`, ctx, () => kind.delete(ctx, actual!));
          final = await this.call(`create ${kind.noun}`, ctx, () => kind.create(ctx, desired));
          break;
        default:
          throw new WpdeployError(`internal: unexpected operation ${item.op}.`);
      }
      await this.record(def, final, kind);
      if (def.check) this.gate.settle(def.id, true);
      release(); // dependents need the outputs, not what follows
      if (item.op === 'create' || item.op === 'replace') {
        // A create whose response was lost and retried leaves a twin carrying the same tags: look once.
        const again = await this.call(`read ${kind.noun}`, ctx, () => kind.find({ ...ctx, recordedId: undefined }, desired));
        for (const a of again ? [again] : []) if (a.id !== final.id && !duplicates.some((d) => d.id === a.id)) duplicates.push(a);
        duplicates.splice(0, duplicates.length, ...duplicates.filter((d) => d.id !== final.id));
      }
      // Twins left by a create whose response was lost: the step is settled on one; the rest go.
      for (const twin of duplicates) {
        o.emit({ type: 'warning', step: def.id, message: `deleting duplicate ${kind.noun} ${twin.id} (same tags as ${final.id}).` });
        await this.call(`delete duplicate ${kind.noun} ${twin.id}`, ctx, () => kind.delete(ctx, twin));
      }
      o.emit({ type: 'step-done', step: def.id, kind: kind.name, op: item.op, id: final.id, elapsedMs: Date.now() - started });
    } catch (err) {
      if (def.check) this.gate.settle(def.id, false);
      this.fail(def.id, kind.name, err, started);
      throw err;
    }
  }

  private fail(step: string, kind: string, err: unknown, started: number): void {
    const e = err instanceof WpdeployError ? err : new WpdeployError(errorMessage(err));
    this.o.emit({ type: 'step-failed', step, kind, error: e.message, hint: e.hint, elapsedMs: Date.now() - started });
  }

  /** Records intent before a mutation, so a crash leaves a trail the next run settles by tag. */
  private intend(def: StepDef, op: Operation, actual?: Actual): Promise<void> {
    return this.o.store.update((s) => {
      const prev = s.steps[def.id];
      s.steps[def.id] = {
        kind: def.kind.name,
        id: actual?.id ?? prev?.id,
        arn: actual?.arn ?? prev?.arn,
        outputs: prev?.outputs,
        dependsOn: deleteDeps(def),
        pending: { op, startedAt: new Date().toISOString() },
        updatedAt: new Date().toISOString(),
      };
    });
  }

  private record(def: StepDef, actual: Actual, kind: ResourceKind<unknown, Actual>): Promise<void> {
    const outputs = kind.outputs(actual);
    this.outputs.set(def.id, outputs);
    const prev = this.o.store.steps[def.id];
    // Recorded for teardown: the steps this one must be deleted before, even once the config drops it.
    const next = { kind: kind.name, id: actual.id, arn: actual.arn, outputs, dependsOn: deleteDeps(def) };
    const unchanged = !!prev && !prev.pending && prev.kind === next.kind && prev.id === next.id && prev.arn === next.arn &&
      JSON.stringify(prev.outputs ?? {}) === JSON.stringify(next.outputs) && prev.dependsOn.join() === next.dependsOn.join();
    if (unchanged) return Promise.resolve(); // nothing new to write: a no-op run leaves the file alone
    return this.o.store.update((s) => {
      s.steps[def.id] = { ...next, updatedAt: new Date().toISOString() };
    });
  }

  /**
   * Deletes the given steps' resources, each before the steps AWS will not delete while it exists
   * (the edges that order deletes, Dependency.only), the longest expected chain first; steps the
   * config no longer knows come from state.
   */
  private async removeSteps(ids: string[], dryRun: boolean, why: 'down' | 'orphan'): Promise<RunResult> {
    const o = this.o;
    const defs = new Map(o.steps.map((s) => [s.id, s]));
    const idSet = new Set(ids);
    const nodes = ids.map((id) => {
      const def = defs.get(id);
      const deps = def ? deleteDeps(def) : o.store.steps[id]?.dependsOn ?? [];
      const kind = def?.kind ?? o.kinds.get(o.store.steps[id]?.kind ?? '');
      return { id, dependsOn: deps.filter((d) => idSet.has(d)), weightMs: kind?.lookup ? 0 : kind?.timing?.deleteMs };
    });
    const graph = new WorkGraph(nodes).reversed();
    const result = await graph.run(async (id, release) => {
      const def = defs.get(id);
      const kindName = def?.kind.name ?? o.store.steps[id]?.kind;
      const kind = (def?.kind ?? (kindName ? o.kinds.get(kindName) : undefined)) as ResourceKind<unknown, Actual> | undefined;
      if (!kind) throw new WpdeployError(`state step ${id} has kind ${kindName}, which this wpdeploy does not know.`, { hint: 'Use the wpdeploy version that created the stack.' });
      const started = Date.now();
      const ctx = this.context(id, def?.role, [], { gone: release });
      o.emit({ type: 'step-start', step: id, kind: kind.name, phase: 'delete' });
      try {
        const desired = def ? desiredOrUndefined(def, new StepInputs(this.outputs)) : undefined;
        const actual = await this.call(`read ${kind.noun}`, ctx, () => kind.find(ctx, desired));
        if (kind.lookup) {
          // Not wpdeploy's to delete: forget it, say so.
          this.reports.set(id, { ...orphan(id, kind.name, actual?.id), op: 'same', reason: 'left in place (wpdeploy only looks it up)', state: actual?.state });
          o.emit({ type: 'step-plan', step: id, kind: kind.name, op: 'same', id: actual?.id, changes: [], reason: 'left in place' });
          if (!dryRun && o.store.steps[id]) await o.store.update((s) => void delete s.steps[id]);
          o.emit({ type: 'step-done', step: id, kind: kind.name, op: 'same', id: actual?.id, elapsedMs: Date.now() - started, message: 'left in place' });
          return;
        }
        const keep = why === 'down' && !!actual && !!kind.retainOnDown && !o.purge;
        const item = actual && !keep ? orphan(id, kind.name, actual.id) : { ...orphan(id, kind.name, actual?.id), op: 'same' as const, reason: 'already gone' };
        if (why === 'down') item.reason = keep ? 'kept: it holds data (`down --purge` removes it)' : actual ? 'removing the stack' : 'already gone';
        this.reports.set(id, { ...item, state: actual?.state, recordedId: o.store.steps[id]?.id });
        if (keep) {
          this.kept.push(this.reports.get(id)!);
          o.emit({ type: 'step-plan', step: id, kind: kind.name, op: 'same', id: actual.id, changes: [], reason: item.reason });
          if (!dryRun) {
            await o.store.update((s) => {
              const prev = s.steps[id];
              s.steps[id] = { kind: kind.name, id: actual.id, arn: actual.arn, outputs: kind.outputs(actual), dependsOn: prev?.dependsOn ?? nodes.find((n) => n.id === id)!.dependsOn, updatedAt: new Date().toISOString() };
            });
          }
          o.emit({ type: 'step-done', step: id, kind: kind.name, op: 'same', id: actual.id, elapsedMs: Date.now() - started, message: 'kept' });
          return;
        }
        o.emit({ type: 'step-plan', step: id, kind: kind.name, op: item.op, id: item.id, changes: [], reason: item.reason, expectedMs: actual ? kind.timing?.deleteMs : undefined });
        if (dryRun) return;
        if (why === 'orphan') checkApproval(this.o.approval, item);
        if (actual) {
          await o.store.update((s) => {
            const prev = s.steps[id];
            s.steps[id] = { kind: kind.name, id: actual.id, arn: actual.arn, outputs: prev?.outputs, dependsOn: prev?.dependsOn ?? nodes.find((n) => n.id === id)!.dependsOn, pending: { op: 'delete', startedAt: new Date().toISOString() }, updatedAt: new Date().toISOString() };
          });
          await this.call(`delete ${kind.noun} ${actual.id}`, ctx, () => kind.delete(ctx, actual));
        }
        if (o.store.steps[id]) {
          await o.store.update((s) => {
            delete s.steps[id];
          });
        }
        o.emit({ type: 'step-done', step: id, kind: kind.name, op: item.op, id: actual?.id, elapsedMs: Date.now() - started, message: actual ? undefined : 'already gone' });
      } catch (err) {
        this.fail(id, kind.name, err, started);
        throw err;
      }
    }, { concurrency: o.concurrency, signal: o.signal, stagger: true });
    this.reportSkipped(result);
    return result;
  }

  /** Runs one AWS-facing operation; an error gets its context (`create vpc: ...`) and a next step. */
  private async call<T>(what: string, ctx: ResourceContext, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof WpdeployError) throw err;
      const name = `${ctx.stack}-${ctx.step}`;
      throw new WpdeployError(`${what} (${name}): ${errorMessage(err)}`, { hint: recommendAction(err), cause: err });
    }
  }
}

function desiredOrUndefined(def: StepDef, inputs: Inputs): unknown {
  try {
    return def.desired(inputs);
  } catch {
    return undefined; // a recorded output is missing: find falls back to tags
  }
}

function expectedFor(kind: ResourceKind, op: Operation): number | undefined {
  if (op === 'create' || op === 'replace') return kind.timing?.createMs;
  if (op === 'delete') return kind.timing?.deleteMs;
  return undefined;
}
