import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkBasis, newPlan, planDifferences, readPlan, stateHash, writePlan } from '../../src/engine/plan-file.js';
import { attributesOf, sameDecision, type PlanItem } from '../../src/engine/planner.js';
import { UNKNOWN } from '../../src/resources/types.js';

const basis = { stack: 'blog', region: 'us-east-1', account: '123456789012', configHash: 'c1', stateHash: 's1' };
const item = (step: string, op: PlanItem['op'], extra: Partial<PlanItem> = {}): PlanItem => ({ step, kind: 'k', op, changes: [], ...extra });

describe('a saved plan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wpdeploy-plan-'));

  it('reads back as written; a file that is not one is bad usage', () => {
    const file = join(dir, 'p.json');
    const plan = newPlan(basis, [item('vpc', 'create', { attributes: { cidr: '10.0.0.0/16' } })]);
    writePlan(file, plan);
    expect(readPlan(file)).toEqual(plan);
    writeFileSync(join(dir, 'x.json'), '{"format":"other"}');
    expect(() => readPlan(join(dir, 'x.json'))).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringContaining('not a plan saved by wpdeploy') }));
    expect(() => readPlan(join(dir, 'missing.json'))).toThrow(expect.objectContaining({ exitCode: 2 }));
  });

  it('applies only to the stack, config and state it was made from', () => {
    const plan = newPlan(basis, []);
    expect(() => checkBasis(plan, 'p.json', basis)).not.toThrow();
    expect(() => checkBasis(plan, 'p.json', { ...basis, configHash: 'c2' })).toThrow(/the config changed since it was made/);
    expect(() => checkBasis(plan, 'p.json', { ...basis, stateHash: 's2' })).toThrow(/state changed since it was made/);
    expect(() => checkBasis(plan, 'p.json', { ...basis, stack: 'other' })).toThrow(/it is for stack blog/);
  });

  it('the state digest ignores key order, and sees any change of a step', () => {
    const a = { steps: { vpc: { kind: 'ec2:vpc', id: 'vpc-1', dependsOn: [], updatedAt: 't' } } };
    const b = { steps: { vpc: { updatedAt: 't', dependsOn: [], id: 'vpc-1', kind: 'ec2:vpc' } } };
    expect(stateHash(a)).toBe(stateHash(b));
    expect(stateHash({ steps: { vpc: { ...a.steps.vpc, id: 'vpc-2' } } })).not.toBe(stateHash(a));
  });

  it('names each step whose decision differs from the plan', () => {
    const plan = [item('vpc', 'same', { id: 'vpc-1' }), item('db', 'update', { id: 'db-1', changes: [{ field: 'class', from: 'a', to: 'b' }] })];
    expect(planDifferences(plan, plan)).toEqual([]);
    expect(planDifferences(plan, [item('vpc', 'create', { reason: 'missing' }), plan[1]!])).toEqual(['vpc: planned same, now create (missing)']);
    expect(planDifferences(plan, [plan[0]!, item('db', 'update', { id: 'db-1', changes: [{ field: 'class', from: 'a', to: 'c' }] })])).toHaveLength(1);
    expect(planDifferences(plan, [plan[0]!])).toEqual(['db: planned update, now nothing to do']);
  });
});

describe('decisions', () => {
  it('a value the plan could not know yet matches any; a create under a new parent may come as an update', () => {
    const planned = item('rules', 'create', { attributes: { groupId: UNKNOWN } });
    expect(sameDecision(planned, item('rules', 'update', { id: 'sg-1' }))).toBe(true);
    expect(sameDecision(planned, item('rules', 'replace', { id: 'sg-1' }))).toBe(false);
    expect(sameDecision(item('vpc', 'create', { attributes: { cidr: 'x' } }), item('vpc', 'update', { id: 'v' }))).toBe(false);
    const upd = item('svc', 'update', { id: 's', changes: [{ field: 'taskDefinition', from: 'td:1', to: UNKNOWN }] });
    expect(sameDecision(upd, item('svc', 'update', { id: 's', changes: [{ field: 'taskDefinition', from: 'td:1', to: 'td:2' }] }))).toBe(true);
    expect(sameDecision(upd, item('svc', 'update', { id: 'other', changes: upd.changes }))).toBe(false);
  });

  it('a create lists its spec but the tags', () => {
    expect(attributesOf({ cidr: '10.0.0.0/16', tags: { a: 'b' }, name: undefined })).toEqual({ cidr: '10.0.0.0/16' });
    expect(attributesOf({ tags: {} })).toBeUndefined();
  });
});
