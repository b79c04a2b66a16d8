/**
 * What one engine run shares between its step runner (deployer.ts) and its teardown (teardown.ts):
 * the options, the outputs and reports gathered so far, the run's read cache, and the context each
 * step's operation gets.
 */
import { createHash } from 'node:crypto';
import type { AwsClients } from '../aws/clients.js';
import { recommendAction } from '../aws/errors.js';
import { ReadCache } from '../aws/read-cache.js';
import { stackTags, type TagMap } from '../aws/tags.js';
import { WpdeployError, errorMessage } from '../errors.js';
import type { Actual, Outputs, ResourceContext, ResourceKind, StepDef } from '../resources/types.js';
import type { Approval } from './approval.js';
import type { Emit } from './events.js';
import type { RunResult } from './graph.js';
import type { PlanItem } from './planner.js';
import type { Stack } from './stack.js';
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
  /**
   * Runs the steps' preflight checks (`up`, `plan`; the stack's Stack.preflight): `up` changes
   * nothing unless they pass. Unset: no preflight (`status`, `down`).
   */
  preflight?: Stack['preflight'];
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

/** How a step's operation lets its dependents go ahead (see EngineRun.context). */
export interface Release {
  usable?: (outputs: Outputs) => void;
  gone?: () => void;
}

export class EngineRun {
  readonly outputs = new Map<string, Outputs>();
  readonly reports = new Map<string, StepReport>();
  readonly kept: StepReport[] = [];
  /** The run's shared reads: batch describes serve every step of a kind (hints: the ids state records). */
  readonly reads: ReadCache;

  constructor(readonly options: EngineOptions) {
    this.reads = new ReadCache(options.aws, () => Object.values(options.store.steps).map((s) => ({ kind: s.kind, id: s.id, arn: s.arn })));
  }

  /**
   * The context of one step's operation. `release` lets its dependents go ahead: through `usable`
   * when it converges (apply), through `gone` when it is deleted (teardown); never both, so a
   * replace's delete releases nothing.
   */
  context(step: string, role: string | undefined, duplicates: Actual[] = [], release?: Release): ResourceContext {
    const { aws, stack, region, account, store, emit } = this.options;
    const started = Date.now();
    return {
      duplicate: (actual) => void duplicates.push(actual),
      aws,
      reads: this.reads,
      stack,
      region,
      account,
      step,
      tags: stackTags({ stack, step, role: role ?? step, userTags: this.options.userTags }),
      recordedId: store.steps[step]?.id,
      clientToken: () => {
        const intent = store.steps[step]?.pending?.startedAt ?? '';
        return createHash('sha256').update(`${account}|${region}|${stack}|${step}|${intent}`).digest('hex').slice(0, 32);
      },
      recordId: (id, arn) =>
        store.update((s) => {
          const prev = s.steps[step];
          if (prev) s.steps[step] = { ...prev, id, arn: arn ?? prev.arn };
        }),
      ...(release?.usable ? { usable: (actual: Actual) => release.usable!(this.kindOf(step)!.outputs(actual)) } : {}),
      ...(release?.gone ? { gone: release.gone } : {}),
      progress: (message) => emit({ type: 'step-progress', step, message, elapsedMs: Date.now() - started }),
      warn: (message) => emit({ type: 'warning', message, step }),
      signal: this.options.signal,
      scale: this.options.scale,
      purge: this.options.purge ?? false,
    };
  }

  private kindOf(step: string): ResourceKind | undefined {
    return this.options.steps.find((s) => s.id === step)?.kind;
  }

  /** Runs one AWS-facing operation; an error gets its context (`create vpc: ...`) and a next step. */
  async call<T>(what: string, ctx: ResourceContext, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof WpdeployError) throw err;
      const name = `${ctx.stack}-${ctx.step}`;
      throw new WpdeployError(`${what} (${name}): ${errorMessage(err)}`, { hint: recommendAction(err), cause: err });
    }
  }

  fail(step: string, kind: string, err: unknown, started: number): void {
    const e = err instanceof WpdeployError ? err : new WpdeployError(errorMessage(err));
    this.options.emit({ type: 'step-failed', step, kind, error: e.message, hint: e.hint, elapsedMs: Date.now() - started });
  }

  reportSkipped(r: RunResult): void {
    const why = this.options.signal.aborted ? 'interrupted' : `not started because ${r.failed.map((f) => f.id).join(', ')} failed`;
    for (const id of r.skipped) this.options.emit({ type: 'step-skipped', step: id, reason: why });
  }

  /** The run's result, its items in `order` (then any other step reported). */
  finish(r: RunResult, order: string[]): EngineResult {
    const items = [...new Set([...order, ...this.reports.keys()])].map((id) => this.reports.get(id)).filter((x): x is StepReport => !!x);
    return {
      ok: r.failed.length === 0 && !this.options.signal.aborted,
      interrupted: this.options.signal.aborted,
      items,
      failed: r.failed.map((f) => ({ step: f.id, error: f.error })),
      skipped: r.skipped,
      outputs: Object.fromEntries(this.outputs),
      kept: this.kept,
    };
  }
}

export function expectedFor(kind: ResourceKind, op: PlanItem['op']): number | undefined {
  if (op === 'create' || op === 'replace') return kind.timing?.createMs;
  if (op === 'delete') return kind.timing?.deleteMs;
  return undefined;
}
