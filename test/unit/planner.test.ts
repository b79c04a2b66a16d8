import { describe, expect, it } from 'vitest';
import { decide, hasChanges, orphan, summarize, type PlanItem } from '../../src/engine/planner.js';
import type { Actual, Diff } from '../../src/resources/types.js';
import { changesOf, fieldChange, UNKNOWN } from '../../src/resources/types.js';

const actual: Actual = { id: 'vpc-0abc', state: 'available' };

describe('decide', () => {
  it('creates what does not exist and has never been recorded', () => {
    const item = decide({ step: 'vpc', kind: 'ec2:vpc' });
    expect(item.op).toBe('create');
    expect(item.step).toBe('vpc');
    expect(item.kind).toBe('ec2:vpc');
    expect(item.id).toBeUndefined();
    expect(item.changes).toEqual([]);
    expect(item.reason).not.toMatch(/outside wpdeploy/);
  });

  it('creates again what state recorded but AWS no longer has, and says it was deleted outside wpdeploy', () => {
    const item = decide({ step: 'vpc', kind: 'ec2:vpc', recordedId: 'vpc-0old' });
    expect(item.op).toBe('create');
    expect(item.reason).toContain('vpc-0old');
    expect(item.reason).toContain('deleted outside wpdeploy');
  });

  it('a create ignores any diff it is given', () => {
    const item = decide({ step: 'vpc', kind: 'ec2:vpc', diff: { changes: [{ field: 'cidr', from: 'a', to: 'b' }], replace: 'x' } });
    expect(item.op).toBe('create');
    expect(item.refused).toBeUndefined();
  });

  it('leaves alone what exists and matches', () => {
    for (const diff of [undefined, { changes: [] }] as Array<Diff | undefined>) {
      const item = decide({ step: 'vpc', kind: 'ec2:vpc', recordedId: actual.id, actual, diff });
      expect(item).toEqual({ step: 'vpc', kind: 'ec2:vpc', op: 'same', id: actual.id, changes: [] });
    }
  });

  it('updates in place when fields differ, listing the changes', () => {
    const changes = [
      { field: 'dnsHostnames', from: false, to: true },
      { field: 'tags.team', from: undefined, to: 'web' },
    ];
    const item = decide({ step: 'vpc', kind: 'ec2:vpc', actual, diff: { changes } });
    expect(item.op).toBe('update');
    expect(item.id).toBe(actual.id);
    expect(item.changes).toEqual(changes);
    expect(item.refused).toBeUndefined();
  });

  it('refuses a replacement by default, keeping the reason and the changes', () => {
    const diff: Diff = { changes: [{ field: 'cidr', from: '10.0.0.0/16', to: '10.1.0.0/16' }], replace: 'a VPC CIDR cannot change' };
    const item = decide({ step: 'vpc', kind: 'ec2:vpc', actual, diff });
    expect(item.op).toBe('replace');
    expect(item.refused).toBe(true);
    expect(item.reason).toBe('a VPC CIDR cannot change');
    expect(item.changes).toEqual(diff.changes);
    expect(item.id).toBe(actual.id);
    expect(decide({ step: 'vpc', kind: 'ec2:vpc', actual, diff, onReplace: 'refuse' }).refused).toBe(true);
  });

  it('carries out a replacement only for a kind that opts in', () => {
    const item = decide({ step: 'td', kind: 'ecs:task-definition', actual, diff: { changes: [], replace: 'immutable' }, onReplace: 'recreate' });
    expect(item.op).toBe('replace');
    expect(item.refused).toBe(false);
  });
});

describe('orphan', () => {
  it('deletes a step the config no longer has, saying so', () => {
    expect(orphan('old-nat', 'ec2:nat-gateway', 'nat-1')).toMatchObject({ op: 'delete', id: 'nat-1', step: 'old-nat', reason: 'no longer in the config' });
  });
});

describe('summarize and hasChanges', () => {
  const item = (op: PlanItem['op']): PlanItem => ({ step: op, kind: 'k', op, changes: [] });

  it('counts each operation, with zeros for those absent', () => {
    const items = [item('same'), item('create'), item('create'), item('update'), item('same'), item('delete')];
    expect(summarize(items)).toEqual({ same: 2, create: 2, update: 1, replace: 0, delete: 1 });
    expect(summarize([])).toEqual({ same: 0, create: 0, update: 0, replace: 0, delete: 0 });
  });

  it('the counts add up to the number of items', () => {
    const items = (['same', 'create', 'update', 'replace', 'delete', 'same'] as const).map(item);
    const counts = summarize(items);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(items.length);
  });

  it('a plan where everything is the same has no changes; any other operation is a change', () => {
    expect(hasChanges([])).toBe(false);
    expect(hasChanges([item('same'), item('same')])).toBe(false);
    for (const op of ['create', 'update', 'replace', 'delete'] as const) expect(hasChanges([item('same'), item(op)]), op).toBe(true);
  });
});

describe('field comparison used by diffs', () => {
  it('a desired value not known until a dependency exists never counts as a change', () => {
    expect(fieldChange('vpcId', 'vpc-1', UNKNOWN)).toBeUndefined();
    expect(fieldChange('vpcId', 'vpc-1', 'vpc-2')).toEqual({ field: 'vpcId', from: 'vpc-1', to: 'vpc-2' });
  });

  it('compares structurally', () => {
    expect(changesOf(['a', { x: 1 }, { x: 1 }], ['b', [1, 2], [1, 2]], ['c', 1, 2])).toEqual([{ field: 'c', from: 1, to: 2 }]);
  });
});
