/**
 * The engine's scheduling with fake resource kinds (no AWS): checks gate every change, dependents
 * start once a step is recorded, and teardown runs on the delete edges only.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import type { Approval } from '../../src/engine/approval.js';
import { Engine } from '../../src/engine/deployer.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { StateStore } from '../../src/engine/state.js';
import { WpdeployError } from '../../src/errors.js';
import { runPreflight } from '../../src/resources/preflight.js';
import type { Actual, Dependency, ResourceKind, StepDef } from '../../src/resources/types.js';

interface World {
  /** Resources that exist, by step. */
  live: Map<string, Actual>;
  log: string[];
  /** Held creates: resolved by the test. */
  hold: Map<string, () => void>;
}

/** A kind whose resources live in `world`; `holdCreate` makes a create wait until the test releases it. */
function fakeKind(world: World, name: string, opts: { holdCreate?: boolean; holdDelete?: boolean; missingCheck?: boolean; lookup?: boolean; early?: boolean; replace?: boolean; slowFind?: boolean } = {}): ResourceKind<{ step: string }, Actual> {
  return {
    name: `fake:${name}`,
    noun: name,
    timing: { createMs: 1_000, deleteMs: 1_000 },
    lookup: opts.lookup,
    async find(ctx) {
      world.log.push(`find ${ctx.step}`);
      const found = world.live.get(ctx.step);
      if (found || opts.slowFind) await new Promise((r) => setTimeout(r, 5)); // a read that takes a while
      return found;
    },
    onReplace: opts.replace ? 'recreate' : undefined,
    diff: () => (opts.replace ? { changes: [{ field: 'engine', from: 'a', to: 'b' }], replace: 'the engine changes' } : { changes: [] }),
    async create(ctx, desired) {
      if (opts.missingCheck) throw new WpdeployError(`${desired.step} was not found. Nothing was created.`);
      world.log.push(`create ${ctx.step}`);
      const a = { id: `${ctx.step}-id` };
      if (opts.early) ctx.usable?.(a);
      if (opts.holdCreate) await new Promise<void>((r) => world.hold.set(ctx.step, r));
      world.live.set(ctx.step, a);
      return a;
    },
    async delete(ctx) {
      world.log.push(`delete ${ctx.step}`);
      world.live.delete(ctx.step);
      if (opts.early) ctx.gone?.();
      if (opts.holdDelete) await new Promise<void>((r) => world.hold.set(ctx.step, r));
    },
    outputs: (a) => ({ id: a.id }),
  };
}

function step(id: string, kind: ResourceKind<{ step: string }, Actual>, dependsOn: Dependency[] = [], check = false): StepDef {
  return { id, role: id, kind: kind as unknown as ResourceKind, dependsOn, desired: () => ({ step: id }), ...(check ? { check } : {}) };
}

async function engine(steps: StepDef[], concurrency = 4, preflight = false) {
  const dir = mkdtempSync(join(tmpdir(), 'wpdeploy-engine-'));
  const store = await StateStore.open(dir, { stack: 'blog', region: 'us-east-1' });
  const events: EngineEvent[] = [];
  const kinds = new Map(steps.map((s) => [s.kind.name, s.kind]));
  const make = (approval?: Approval, only = steps) => new Engine({
    steps: only, kinds, store, aws: { settings: { region: 'us-east-1' } } as AwsClients, stack: 'blog', region: 'us-east-1', account: '123456789012', userTags: {},
    concurrency, emit: (e) => void events.push(e), signal: new AbortController().signal, scale: 1000, approval, preflight: preflight ? runPreflight : undefined,
  });
  return { make, events, store };
}

const newWorld = (): World => ({ live: new Map(), log: [], hold: new Map() });

describe('checks', () => {
  it('a failed check: the other steps read, but nothing is created; they are reported skipped', async () => {
    const w = newWorld();
    const steps = [
      step('zone', fakeKind(w, 'zone', { missingCheck: true, lookup: true, slowFind: true }), [], true),
      step('vpc', fakeKind(w, 'vpc')),
      step('bucket', fakeKind(w, 'bucket')),
      step('subnet', fakeKind(w, 'subnet'), [{ step: 'vpc', why: 'in it' }]),
    ];
    const { make, events } = await engine(steps);
    const r = await make().apply({ dryRun: false });
    expect(r.ok).toBe(false);
    expect(r.failed.map((f) => f.step)).toEqual(['zone']);
    expect(w.log.filter((l) => l.startsWith('create'))).toEqual([]);
    expect(w.log).toEqual(expect.arrayContaining(['find vpc', 'find bucket']));
    expect(r.skipped.sort()).toEqual(['bucket', 'subnet', 'vpc']);
    expect(events.filter((e) => e.type === 'step-skipped').map((e) => (e as { step: string }).step).sort()).toEqual(['bucket', 'subnet', 'vpc']);
  });

  it('a check that passes lets the held changes through; the check starts first even with one slot', async () => {
    const w = newWorld();
    const steps = [step('vpc', fakeKind(w, 'vpc')), step('zone', fakeKind(w, 'zone', { lookup: true }), [], true)];
    w.live.set('zone', { id: 'Z1' });
    const { make } = await engine(steps, 1);
    const r = await make().apply({ dryRun: false });
    expect(r.ok).toBe(true);
    expect(w.log).toEqual(['find zone', 'find vpc', 'create vpc', 'find vpc']);
  });

  it('plan (a dry run with the preflight) does not wait for the checks, plans every step, and fails with the check\'s reason; status does not fail', async () => {
    const w = newWorld();
    const steps = [step('zone', fakeKind(w, 'zone', { missingCheck: true, lookup: true }), [], true), step('vpc', fakeKind(w, 'vpc')), step('subnet', fakeKind(w, 'subnet'), [{ step: 'vpc', why: 'in it' }])];
    const { make, events } = await engine(steps, 4, true);
    const r = await make().apply({ dryRun: true });
    expect(r.ok).toBe(false);
    expect(r.items.map((i) => [i.step, i.op])).toEqual([['zone', 'create'], ['vpc', 'create'], ['subnet', 'create']]);
    expect(r.failed.map((f) => [f.step, (f.error as Error).message])).toEqual([['zone', 'zone was not found. Nothing was created.']]);
    expect(events).toContainEqual(expect.objectContaining({ type: 'step-failed', step: 'zone' }));
    expect(w.log.filter((l) => l.startsWith('create'))).toEqual([]);
    const status = await (await engine(steps)).make().apply({ dryRun: true });
    expect(status.ok).toBe(true);
  });

  it('a dry run with a check that passes plans without failing', async () => {
    const w = newWorld();
    w.live.set('zone', { id: 'Z1' });
    const { make } = await engine([step('zone', fakeKind(w, 'zone', { lookup: true }), [], true), step('vpc', fakeKind(w, 'vpc'))], 4, true);
    const r = await make().apply({ dryRun: true });
    expect(r.ok).toBe(true);
  });
});

describe('preflight', () => {
  /** A step whose preflight check fails (after a while, so the other steps read meanwhile) or passes. */
  const checked = (w: World, id: string, fails: boolean): StepDef => ({
    ...step(id, fakeKind(w, id)),
    preflight: {
      async check(ctx) {
        w.log.push(`check ${ctx.step}`);
        await new Promise((r) => setTimeout(r, 5));
        return fails ? { check: 'orderable', message: `${ctx.step} is not orderable`, hint: 'choose another class' } : undefined;
      },
    },
  });

  it('a failed preflight check: up reads every step, creates nothing, and reports the failure with its hint', async () => {
    const w = newWorld();
    const steps = [step('vpc', fakeKind(w, 'vpc')), checked(w, 'db', true), step('subnet', fakeKind(w, 'subnet'), [{ step: 'vpc', why: 'in it' }])];
    const { make, events } = await engine(steps, 4, true);
    const r = await make().apply({ dryRun: false });
    expect(r.ok).toBe(false);
    expect(w.log.filter((l) => l.startsWith('create'))).toEqual([]);
    expect(w.log).toEqual(expect.arrayContaining(['check db', 'find vpc', 'find db']));
    expect(r.failed.map((f) => [f.step, (f.error as WpdeployError).message, (f.error as WpdeployError).hint])).toEqual([['preflight', 'db is not orderable', 'choose another class']]);
    expect(r.skipped.sort()).toEqual(['db', 'subnet', 'vpc']);
    expect(events).toContainEqual(expect.objectContaining({ type: 'step-failed', step: 'preflight', error: 'db is not orderable' }));
  });

  it('a dry run (plan) runs the preflight too, and fails with it', async () => {
    const w = newWorld();
    const { make } = await engine([checked(w, 'db', true)], 4, true);
    const r = await make().apply({ dryRun: true });
    expect(r.ok).toBe(false);
    expect(r.failed.map((f) => f.step)).toEqual(['preflight']);
    expect(r.items.map((i) => [i.step, i.op])).toEqual([['db', 'create']]);
  });

  it('a passing preflight lets the changes through, and changes nothing itself', async () => {
    const w = newWorld();
    const { make } = await engine([checked(w, 'db', false), step('vpc', fakeKind(w, 'vpc'))], 4, true);
    const r = await make().apply({ dryRun: false });
    expect(r.ok).toBe(true);
    expect(w.log.filter((l) => l.startsWith('create')).sort()).toEqual(['create db', 'create vpc']);
    expect(w.log.indexOf('check db')).toBeLessThan(w.log.indexOf('create db'));
  });

  it('without the preflight (status), the checks do not run', async () => {
    const w = newWorld();
    const { make } = await engine([checked(w, 'db', true)]);
    const r = await make().apply({ dryRun: true });
    expect(r.ok).toBe(true);
    expect(w.log).not.toContain('check db');
  });
});

describe('dependents start once a step is recorded', () => {
  it('the look for a twin after a create does not hold up the dependents', async () => {
    const w = newWorld();
    const steps = [step('vpc', fakeKind(w, 'vpc')), step('subnet', fakeKind(w, 'subnet'), [{ step: 'vpc', why: 'in it' }])];
    const { make, events } = await engine(steps);
    await make().apply({ dryRun: false });
    // subnet starts (its read) before vpc's second find, the twin check.
    const startSubnet = events.findIndex((e) => e.type === 'step-start' && e.step === 'subnet');
    const vpcDone = events.findIndex((e) => e.type === 'step-done' && e.step === 'vpc');
    expect(startSubnet).toBeGreaterThan(-1);
    expect(startSubnet).toBeLessThan(vpcDone);
    expect(w.log).toEqual(['find vpc', 'create vpc', 'find vpc', 'find subnet', 'create subnet', 'find subnet']);
  });
});

describe('a kind may let its dependents go ahead before its operation ends', () => {
  it('usable(): dependents start with its outputs while it finishes (a VPC before its DNS attributes)', async () => {
    const w = newWorld();
    const steps = [step('vpc', fakeKind(w, 'vpc', { early: true, holdCreate: true })), step('subnet', fakeKind(w, 'subnet'), [{ step: 'vpc', why: 'in it' }])];
    const { make, store } = await engine(steps);
    const run = make().apply({ dryRun: false });
    while (!w.live.has('subnet')) await new Promise((r) => setTimeout(r, 1));
    expect(w.log).toContain('create subnet');
    w.hold.get('vpc')!();
    const r = await run;
    expect(r.ok).toBe(true);
    expect(store.steps['vpc']!.outputs).toEqual({ id: 'vpc-id' });
  });

  it('gone(): on delete, what waited for it starts while it finishes (a snapshot\'s tags after the instance)', async () => {
    const w = newWorld();
    const steps = [step('group', fakeKind(w, 'group')), step('db', fakeKind(w, 'db', { early: true, holdDelete: true }), [{ step: 'group', why: 'in it' }])];
    for (const s of steps) w.live.set(s.id, { id: `${s.id}-id` });
    const { make } = await engine(steps);
    const run = make().destroy();
    while (w.live.has('group')) await new Promise((r) => setTimeout(r, 1));
    w.hold.get('db')!();
    expect((await run).ok).toBe(true);
  });

  it('a replace: the delete half releases nothing; dependents wait for the new resource', async () => {
    const w = newWorld();
    const steps = [step('db', fakeKind(w, 'db', { early: true, replace: true })), step('app', fakeKind(w, 'app'), [{ step: 'db', why: 'reads its endpoint' }])];
    w.live.set('db', { id: 'db-old' });
    const { make } = await engine(steps);
    const r = await make().apply({ dryRun: false });
    expect(r.ok).toBe(true);
    expect(w.log.indexOf('find app')).toBeGreaterThan(w.log.indexOf('create db'));
    expect(w.log.indexOf('delete db')).toBeLessThan(w.log.indexOf('create db'));
  });
});

describe('teardown on the delete edges', () => {
  it('an edge that only orders up does not order down; one that only orders down does', async () => {
    const w = newWorld();
    const steps = [
      step('db', fakeKind(w, 'db')),
      step('service', fakeKind(w, 'service', { holdDelete: true }), [{ step: 'db', why: 'needs it at start', only: 'create' }]),
      step('igw', fakeKind(w, 'igw')),
      step('eip', fakeKind(w, 'eip'), [{ step: 'igw', why: 'released before the gateway goes', only: 'delete' }]),
    ];
    for (const s of steps) w.live.set(s.id, { id: `${s.id}-id` });
    const { make, events } = await engine(steps, 8);
    const run = make().destroy();
    // The service's delete is held: the database is deleted all the same (its edge orders up only).
    await vi.waitFor(() => expect([w.hold.has('service'), w.log.includes('delete db')]).toEqual([true, true]), { timeout: 5_000, interval: 1 });
    expect(events.some((e) => e.type === 'step-done' && e.step === 'service')).toBe(false);
    w.hold.get('service')!();
    const r = await run;
    expect(r.ok).toBe(true);
    const deletes = w.log.filter((l) => l.startsWith('delete'));
    expect(deletes).toHaveLength(4);
    expect(deletes.indexOf('delete eip')).toBeLessThan(deletes.indexOf('delete igw'));
  });

  it('records in state the edges teardown needs, for steps a later config drops', async () => {
    const w = newWorld();
    const steps = [
      step('vpc', fakeKind(w, 'vpc')), step('igw', fakeKind(w, 'igw')),
      step('subnet', fakeKind(w, 'subnet'), [{ step: 'vpc', why: 'in it' }]),
      step('eip', fakeKind(w, 'eip'), [{ step: 'igw', why: 'released first', only: 'delete' }, { step: 'vpc', why: 'names it', only: 'create' }]),
    ];
    const { make, store } = await engine(steps);
    await make().apply({ dryRun: false });
    expect(store.steps['subnet']!.dependsOn).toEqual(['vpc']);
    expect(store.steps['eip']!.dependsOn).toEqual(['igw']);
  });
});

describe('approval: what an up may change', () => {
  it('no terminal and no --yes: a step the config dropped is refused before anything is read or changed', async () => {
    const w = newWorld();
    const steps = [step('vpc', fakeKind(w, 'vpc')), step('old', fakeKind(w, 'old'))];
    const { make, store } = await engine(steps);
    await make().apply({ dryRun: false });
    w.log.length = 0;
    const now = [step('vpc', fakeKind(w, 'vpc')), step('new', fakeKind(w, 'new'))];
    await expect(make({ destructive: false }, now).apply({ dryRun: false })).rejects.toThrow(/up would delete old \(no longer in the config\), and there is no terminal/);
    expect(w.log).toEqual([]);
    expect(Object.keys(store.steps).sort()).toEqual(['old', 'vpc']);
    // (control) with --yes (no approval needed) it goes: new created, old deleted.
    expect((await make(undefined, now).apply({ dryRun: false })).ok).toBe(true);
    expect(w.log).toEqual(expect.arrayContaining(['create new', 'delete old']));
  });

  it('no terminal and no --yes: a replacement the kind would carry out is refused at its step, nothing deleted', async () => {
    const w = newWorld();
    const steps = [step('nat', fakeKind(w, 'nat', { replace: true }))];
    w.live.set('nat', { id: 'nat-old' });
    const { make } = await engine(steps);
    const r = await make({ destructive: false }).apply({ dryRun: false });
    expect(r.ok).toBe(false);
    expect(String(r.failed[0]!.error)).toMatch(/up would replace nat \(nat-old\) \(the engine changes\)/);
    expect(w.log).not.toContain('delete nat');
    expect((await make({ destructive: true }).apply({ dryRun: false })).ok).toBe(true);
    expect(w.log).toContain('delete nat');
  });

  it('an approved plan: a decision it did not make is refused (a resource deleted since it was shown)', async () => {
    const w = newWorld();
    const steps = [step('vpc', fakeKind(w, 'vpc')), step('subnet', fakeKind(w, 'subnet'), [{ step: 'vpc', why: 'in it' }])];
    for (const s of steps) w.live.set(s.id, { id: `${s.id}-id` });
    const { make } = await engine(steps);
    const shown = await make().apply({ dryRun: true });
    w.live.delete('subnet');
    const planned = new Map(shown.items.map((i) => [i.step, i]));
    const r = await make({ destructive: true, planned }).apply({ dryRun: false });
    expect(r.ok).toBe(false);
    expect(String(r.failed[0]!.error)).toContain('subnet changed since the plan: planned same subnet-id, now create');
    expect(w.log).not.toContain('create subnet');
  });
});
