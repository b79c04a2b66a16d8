/**
 * The planner is pure: from the desired spec, what state recorded and what AWS reports, it decides one
 * operation per step. `plan` prints these decisions and `up` carries out the same ones.
 */
import { UNKNOWN, type Actual, type Diff, type FieldChange, type Operation } from '../resources/types.js';

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
  /** For a create: what it will be created with (the spec's fields but its tags). */
  attributes?: Record<string, unknown>;
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

/** The fields a create sets, for `plan`: the spec's top-level fields but its tags (every step carries the stack's). */
export function attributesOf(desired: unknown): Record<string, unknown> | undefined {
  if (!desired || typeof desired !== 'object') return undefined;
  const out = Object.fromEntries(Object.entries(desired).filter(([k, v]) => k !== 'tags' && v !== undefined));
  return Object.keys(out).length ? out : undefined;
}

/**
 * Whether a decision taken now is the one a saved or approved plan made: same operation, same
 * resource, same changes (a value the plan could not know yet, UNKNOWN, matches any).
 */
export function sameDecision(planned: Pick<PlanItem, 'op' | 'id' | 'changes' | 'attributes'>, now: Pick<PlanItem, 'op' | 'id' | 'changes'>): boolean {
  // Part of a resource the same run creates (a new group's rules, a new VPC's default ACL): it comes with its parent, to be updated.
  if (planned.op === 'create' && JSON.stringify(planned.attributes ?? {}).includes(UNKNOWN)) return now.op === 'create' || now.op === 'update' || now.op === 'same';
  if (planned.op !== now.op || (planned.op !== 'create' && planned.id !== now.id)) return false;
  if (planned.changes.length !== now.changes.length) return false;
  return planned.changes.every((c, i) => {
    const n = now.changes[i]!;
    return c.field === n.field && (c.to === UNKNOWN || JSON.stringify(c.to) === JSON.stringify(n.to)) && (c.from === UNKNOWN || JSON.stringify(c.from) === JSON.stringify(n.from));
  });
}
