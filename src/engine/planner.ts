/**
 * The planner is pure: from the desired spec, what state recorded and what AWS reports, it decides one
 * operation per step. `plan` prints these decisions and `up` carries out the same ones.
 */
import type { Actual, Diff, FieldChange, Operation } from '../resources/types.js';

export interface PlanItem {
  step: string;
  kind: string;
  op: Operation;
  /** The resource's id when it exists. */
  id?: string;
  changes: FieldChange[];
  /** Why: `not found`, `missing: deleted outside wpdeploy`, the replace reason, ... */
  reason?: string;
  /** Set when the replacement is refused rather than carried out. */
  refused?: boolean;
}

export interface Decision {
  step: string;
  kind: string;
  recordedId?: string;
  actual?: Actual;
  diff?: Diff;
  onReplace?: 'refuse' | 'recreate';
}

export function decide(d: Decision): PlanItem {
  const base = { step: d.step, kind: d.kind };
  if (!d.actual) {
    return {
      ...base,
      op: 'create',
      changes: [],
      reason: d.recordedId ? `missing: ${d.recordedId} was deleted outside wpdeploy` : 'does not exist yet',
    };
  }
  const diff = d.diff ?? { changes: [] };
  if (diff.replace) {
    return { ...base, op: 'replace', id: d.actual.id, changes: diff.changes, reason: diff.replace, refused: (d.onReplace ?? 'refuse') === 'refuse' };
  }
  if (diff.changes.length > 0) return { ...base, op: 'update', id: d.actual.id, changes: diff.changes };
  return { ...base, op: 'same', id: d.actual.id, changes: [] };
}

/** A step recorded in state that the config no longer wants. */
export function orphan(step: string, kind: string, id: string | undefined): PlanItem {
  return { step, kind, op: 'delete', id, changes: [], reason: 'no longer in the config' };
}

export function summarize(items: readonly PlanItem[]): Record<Operation, number> {
  const out: Record<Operation, number> = { same: 0, create: 0, update: 0, replace: 0, delete: 0 };
  for (const i of items) out[i.op]++;
  return out;
}

export function hasChanges(items: readonly PlanItem[]): boolean {
  return items.some((i) => i.op !== 'same');
}
