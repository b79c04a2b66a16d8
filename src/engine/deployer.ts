/**
 * The step engine. `apply` walks the step graph (dependencies first, up to --concurrency at once,
 * the longest expected chain first): each step finds its resource (recorded id, then tags), the
 * planner decides, and unless this is a dry run the decision is carried out and recorded; its
 * dependents start as soon as it is recorded. `destroy` walks the reverse graph, on the edges AWS
 * enforces on delete (Dependency.only; teardown.ts). Checks (steps marked `check`) start first,
 * and no step changes anything until they pass. Intent is written before every mutation and the id
 * the moment a create returns.
 */
import { WpdeployError } from '../errors.js';
import type { Actual, CheckFailure, Inputs, Operation, Outputs, ResourceContext, ResourceKind, StepDef } from '../resources/types.js';
import { UNKNOWN, createDeps, deleteDeps } from '../resources/types.js';
import { checkApproval, refusal } from './approval.js';
import { EngineRun, expectedFor, type EngineOptions, type EngineResult, type StepReport } from './engine-run.js';
import { WorkGraph } from './graph.js';
import { attributesOf, decide, type PlanItem } from './planner.js';
import { Teardown } from './teardown.js';

export type { EngineOptions, EngineResult, StepReport };

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
  /** A check has run: the gate fails at once when it did not pass, and opens once every check passed. */
  conclude(step: string, passed: boolean): void {
    if (!passed) return this.open(false);
    this.waiting.delete(step);
    if (this.waiting.size === 0) this.open(true);
  }
}

/** A step's read of an output its dependency does not have (recorded by an older run, say). */
class MissingOutput extends WpdeployError {}

/**
 * What a step's spec reads: the outputs of the steps it is created after (the edge a read makes),
 * UNKNOWN while such a step does not exist yet. A read of any other step is refused, naming both.
 */
class StepInputs implements Inputs {
  private readonly deps: Set<string>;
  constructor(private readonly outputs: Map<string, Outputs>, private readonly def: StepDef) {
    this.deps = new Set(createDeps(def));
  }
  get(step: string, key: string): string {
    if (!this.deps.has(step)) throw new WpdeployError(`internal: step ${this.def.id} reads ${step}.${key}, but has no edge to ${step}: it could run before ${step} exists.`);
    const o = this.outputs.get(step);
    if (!o) return UNKNOWN;
    const v = o[key];
    if (v === undefined) throw new MissingOutput(`internal: step ${step} has no output ${key}.`);
    return v;
  }
}

export class Engine extends EngineRun {
  private gate = new Gate([]);
  /** In a dry run, the checks that would not pass: reported as failures, without stopping the plan. */
  private readonly refused: Array<{ id: string; error: unknown }> = [];

  constructor(options: EngineOptions) {
    super(options);
  }

  /** Plans (dryRun) or converges the stack: every step, then the removal of steps the config dropped. */
  async apply(opts: { dryRun: boolean }): Promise<EngineResult> {
    const { steps, store, approval, signal, concurrency } = this.options;
    const defs = new Map(steps.map((s) => [s.id, s]));
    const orphans = Object.keys(store.steps).filter((id) => !defs.has(id));
    if (!opts.dryRun && orphans.length > 0 && approval && !approval.destructive && !approval.planned) {
      // Known before any call: refused before anything changes.
      throw refusal('delete', orphans.join(', '), 'no longer in the config');
    }
    // The preflight runs alongside the reads; like the check steps, it holds back every change until it passes.
    const preflight = this.options.preflight ? this.preflight(this.options.preflight) : undefined;
    // A dry run changes nothing: it need not wait for the checks.
    this.gate = new Gate(opts.dryRun ? [] : [...steps.filter((s) => s.check).map((s) => s.id), ...(preflight ? [PREFLIGHT] : [])]);
    void preflight?.then((failed) => this.gate.conclude(PREFLIGHT, failed.length === 0));
    const graph = new WorkGraph(steps.map((s) => ({ id: s.id, dependsOn: createDeps(s), weightMs: s.kind.timing?.createMs, first: s.check })));
    const result = await graph.run((id, release) => this.applyStep(defs.get(id)!, opts.dryRun, release), { concurrency, signal, stagger: true });
    for (const f of (await preflight) ?? []) result.failed.push({ id: PREFLIGHT, error: new WpdeployError(f.message, { hint: f.hint }) });
    result.failed.push(...this.refused);
    this.reportSkipped(result);
    let combined = result;
    if (result.failed.length === 0 && !signal.aborted && orphans.length > 0) {
      const r = await this.teardown().remove(orphans, opts.dryRun, 'orphan');
      combined = { done: [...result.done, ...r.done], failed: r.failed, skipped: r.skipped };
    }
    return this.finish(combined, steps.map((s) => s.id));
  }

  /**
   * The checks the steps declare (StepDef.preflight), each failure emitted as `preflight` failing
   * (the stack's preflight makes the calls). Never throws: a check that cannot run fails.
   */
  private async preflight(run: NonNullable<EngineOptions['preflight']>): Promise<CheckFailure[]> {
    const { steps, store, emit } = this.options;
    // After the graph's first steps have sent their reads: loading the SDK clients the checks need takes CPU.
    await new Promise((resolve) => setImmediate(resolve));
    const started = Date.now();
    const checked = steps.filter((d) => d.preflight).map((d) => ({
      step: d.id, preflight: d.preflight!, desired: () => d.desired(new StepInputs(new Map(), d)), context: () => this.context(d.id, d.role),
    }));
    const failed = await run(this.context(PREFLIGHT, undefined), checked, (step) => !!store.steps[step]?.id && !store.steps[step]?.pending);
    for (const f of failed) emit({ type: 'step-failed', step: PREFLIGHT, kind: PREFLIGHT, error: f.message, hint: f.hint, elapsedMs: Date.now() - started });
    return failed;
  }

  /** Deletes every resource of the stack, dependents first. */
  async destroy(): Promise<EngineResult> {
    const { steps, store } = this.options;
    // Dependents read their dependencies' outputs as recorded (teardown runs dependents first).
    for (const [id, st] of Object.entries(store.steps)) if (st.outputs) this.outputs.set(id, st.outputs);
    const ids = [...new Set([...steps.map((s) => s.id), ...Object.keys(store.steps)])];
    const r = await this.teardown().remove(ids, false, 'down');
    return this.finish(r, ids);
  }

  private teardown(): Teardown {
    return new Teardown(this, (def) => desiredOrUndefined(def, new StepInputs(this.outputs, def)));
  }

  /**
   * Finds, plans and (unless dry) converges one step. Its dependents are released once its outputs
   * are recorded; the look for a twin left by a lost create response, and deleting it, come after.
   * A step that would change something waits for the run's checks first: `skipped` if one failed.
   */
  private async applyStep(def: StepDef, dryRun: boolean, release: () => void): Promise<void | 'skipped'> {
    const { store, emit } = this.options;
    const kind = def.kind as ResourceKind<unknown, Actual>;
    const started = Date.now();
    const duplicates: Actual[] = [];
    const ctx = this.context(def.id, def.role, duplicates, {
      usable: (outputs) => {
        this.outputs.set(def.id, outputs);
        release();
      },
    });
    const recorded = store.steps[def.id];
    emit({ type: 'step-start', step: def.id, kind: kind.name, phase: 'read' });
    try {
      const desired = def.desired(new StepInputs(this.outputs, def));
      const actual = await this.call(`read ${kind.noun}`, ctx, () => kind.find(ctx, desired));
      if (!actual && kind.missing) {
        // What wpdeploy only looks up is never planned as a create. `plan` reports it as a check that
        // would not pass, and still plans every other step; anything else stops here.
        const error = kind.missing(desired);
        if (!(dryRun && this.options.preflight && def.check)) throw error;
        this.refused.push({ id: def.id, error });
        this.fail(def.id, kind.name, error, started);
        return;
      }
      const item = decide({
        step: def.id, kind: kind.name, recordedId: recorded?.id, actual,
        diff: actual ? kind.diff(desired, actual) : undefined, onReplace: kind.onReplace,
      });
      if (item.op === 'create') item.attributes = attributesOf(desired);
      if (!dryRun) checkApproval(this.options.approval, item);
      if (!dryRun && !def.check && (item.op !== 'same' || duplicates.length > 0) && !(await this.gate.passed)) return 'skipped';
      this.reports.set(def.id, { ...item, state: actual?.state, recordedId: recorded?.id });
      emit({ type: 'step-plan', step: def.id, kind: kind.name, op: item.op, id: item.id, changes: item.changes, reason: item.reason, expectedMs: expectedFor(kind, item.op), ...(item.attributes ? { attributes: item.attributes } : {}) });
      if (dryRun) return await this.planOnly(def, ctx, item, desired, actual, started);
      if (actual && recorded?.id !== actual.id && !kind.foundBySpec) {
        emit({ type: 'warning', step: def.id, message: recorded?.id ? `${kind.noun} ${recorded.id} is gone; adopted ${actual.id}, found by its tags.` : `adopted ${kind.noun} ${actual.id}, found by its tags.` });
      }
      const final = await this.carryOut(def, ctx, item, desired, actual);
      await this.record(def, final, kind);
      if (def.check) this.gate.conclude(def.id, true);
      release(); // dependents need the outputs, not what follows
      await this.removeTwins(def, ctx, item, desired, final, duplicates);
      emit({ type: 'step-done', step: def.id, kind: kind.name, op: item.op, id: final.id, elapsedMs: Date.now() - started });
    } catch (err) {
      if (def.check) this.gate.conclude(def.id, false);
      this.fail(def.id, kind.name, err, started);
      throw err;
    }
  }

  /** A dry run's step: its outputs for its dependents' plans; `plan` also says why a check would stop `up`. */
  private async planOnly(def: StepDef, ctx: ResourceContext, item: PlanItem, desired: unknown, actual: Actual | undefined, started: number): Promise<void> {
    const kind = def.kind as ResourceKind<unknown, Actual>;
    if (actual) this.outputs.set(def.id, kind.outputs(actual));
    // `plan` (a dry run with the preflight) reports a check that would not pass: a lookup's create and
    // update change nothing, they only say why `up` would stop.
    if (this.options.preflight && def.check && kind.lookup && item.op !== 'same') {
      await this.call(`check ${kind.noun}`, ctx, () => (actual ? kind.update!(ctx, desired, actual, kind.diff(desired, actual)) : kind.create(ctx, desired))).catch((error: unknown) => {
        this.refused.push({ id: def.id, error });
        this.fail(def.id, kind.name, error, started);
      });
    }
  }

  /** Makes the planned change: intent recorded first, then the kind's create, update or delete and create. */
  private async carryOut(def: StepDef, ctx: ResourceContext, item: PlanItem, desired: unknown, actual: Actual | undefined): Promise<Actual> {
    const kind = def.kind as ResourceKind<unknown, Actual>;
    if (item.op !== 'same') refuseUnknown(def.id, desired);
    switch (item.op) {
      case 'same':
        return actual!;
      case 'create':
        await this.intend(def, 'create');
        return this.call(`create ${kind.noun}`, ctx, () => kind.create(ctx, desired));
      case 'update':
        if (!kind.update) throw new WpdeployError(`internal: ${kind.name} has changes but no update.`);
        await this.intend(def, 'update', actual!);
        return this.call(`update ${kind.noun} ${actual!.id}`, ctx, () => kind.update!(ctx, desired, actual!, kind.diff(desired, actual!)));
      case 'replace':
        if (item.refused) {
          throw new WpdeployError(`cannot change ${kind.noun} ${actual!.id} in place: ${item.reason}`, {
            hint: `wpdeploy will not replace it on its own. Revert the change in the config, or remove the stack first (\`wpdeploy down\`) and run \`wpdeploy up\` again.`,
          });
        }
        await this.intend(def, 'replace', actual!);
        await this.call(`delete ${kind.noun} ${actual!.id}`, ctx, () => kind.delete(ctx, actual!));
        return this.call(`create ${kind.noun}`, ctx, () => kind.create(ctx, desired));
      default:
        throw new WpdeployError(`internal: unexpected operation ${item.op}.`);
    }
  }

  /**
   * Twins left by a create whose response was lost and retried (same tags): after a create, one more
   * look; the step keeps `final` and the others are deleted.
   */
  private async removeTwins(def: StepDef, ctx: ResourceContext, item: PlanItem, desired: unknown, final: Actual, duplicates: Actual[]): Promise<void> {
    const kind = def.kind as ResourceKind<unknown, Actual>;
    if (item.op === 'create' || item.op === 'replace') {
      const again = await this.call(`read ${kind.noun}`, ctx, () => kind.find({ ...ctx, recordedId: undefined }, desired));
      if (again && again.id !== final.id && !duplicates.some((d) => d.id === again.id)) duplicates.push(again);
    }
    for (const twin of duplicates.filter((d) => d.id !== final.id)) {
      this.options.emit({ type: 'warning', step: def.id, message: `deleting duplicate ${kind.noun} ${twin.id} (same tags as ${final.id}).` });
      await this.call(`delete duplicate ${kind.noun} ${twin.id}`, ctx, () => kind.delete(ctx, twin));
    }
  }

  /** Records intent before a mutation, so a crash leaves a trail the next run resolves by tag. */
  private intend(def: StepDef, op: Operation, actual?: Actual): Promise<void> {
    return this.options.store.update((s) => {
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
    const prev = this.options.store.steps[def.id];
    // Recorded for teardown: the steps this one must be deleted before, even once the config drops it.
    const next = { kind: kind.name, id: actual.id, arn: actual.arn, outputs, dependsOn: deleteDeps(def) };
    const unchanged = !!prev && !prev.pending && prev.kind === next.kind && prev.id === next.id && prev.arn === next.arn &&
      JSON.stringify(prev.outputs ?? {}) === JSON.stringify(next.outputs) && prev.dependsOn.join() === next.dependsOn.join();
    if (unchanged) return Promise.resolve(); // nothing new to write: a no-op run leaves the file alone
    return this.options.store.update((s) => {
      s.steps[def.id] = { ...next, updatedAt: new Date().toISOString() };
    });
  }
}

/** The spec to find a step's resource by on teardown; undefined when a recorded output is missing (find falls back to tags). */
function desiredOrUndefined(def: StepDef, inputs: Inputs): unknown {
  try {
    return def.desired(inputs);
  } catch (err) {
    if (err instanceof MissingOutput) return undefined;
    throw err;
  }
}

/**
 * Refuses a create, update or replace whose spec still holds UNKNOWN (an output of a dependency the
 * run does not have): such a value must never reach AWS. Names the step and the field.
 */
export function refuseUnknown(step: string, spec: unknown, field = ''): void {
  if (typeof spec === 'string' && spec.includes(UNKNOWN)) {
    throw new WpdeployError(`internal: step ${step} would send ${field || 'its spec'} as "${spec}": a dependency's output is not known.`, {
      hint: 'Nothing was sent for this step. Run `wpdeploy up` again; if it recurs, report it with the output of `wpdeploy plan`.',
    });
  }
  if (spec && typeof spec === 'object') for (const [k, v] of Object.entries(spec)) refuseUnknown(step, v, field ? `${field}.${k}` : k);
}

