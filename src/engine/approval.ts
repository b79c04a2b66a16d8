/**
 * What an `up` may change: a run with no terminal to ask and no --yes does not delete or replace; a
 * run that applies a plan (approved at the prompt, or saved by `plan -o`) makes only its decisions.
 */
import { WpdeployError } from '../errors.js';
import { sameDecision, type PlanItem } from './planner.js';

/**
 * `destructive: false` (an `up` with no terminal to ask and no --yes) refuses to delete or replace;
 * `planned` (a plan the user approved or saved) refuses any decision that plan did not make.
 */
export interface Approval {
  destructive: boolean;
  planned?: ReadonlyMap<string, Pick<PlanItem, 'op' | 'id' | 'changes' | 'attributes'>>;
}

/** Throws when the approval does not cover this decision. */
export function checkApproval(a: Approval | undefined, item: PlanItem): void {
  if (!a) return;
  if (a.planned) {
    const p = a.planned.get(item.step);
    if (p ? sameDecision(p, item) : item.op === 'same') return;
    const what = (i: Pick<PlanItem, 'op' | 'id'>) => `${i.op}${i.id ? ` ${i.id}` : ''}`;
    throw new WpdeployError(`${item.step} changed since the plan: planned ${p ? what(p) : 'nothing'}, now ${what(item)}${item.reason ? ` (${item.reason})` : ''}.`, {
      hint: 'Make a new plan (`wpdeploy plan -o plan.json`), review it, and apply that one.',
    });
  }
  if (!a.destructive && (item.op === 'delete' || (item.op === 'replace' && !item.refused))) throw refusal(item.op, `${item.step}${item.id ? ` (${item.id})` : ''}`, item.reason);
}

export function refusal(op: 'delete' | 'replace', what: string, why: string | undefined): WpdeployError {
  return new WpdeployError(`up would ${op} ${what}${why ? ` (${why})` : ''}, and there is no terminal to ask for confirmation.`, {
    hint: 'Review it with `wpdeploy plan`, then run `wpdeploy up --yes`; or save a plan (`wpdeploy plan -o plan.json`) and apply exactly that one with `wpdeploy up --plan plan.json`.',
  });
}
