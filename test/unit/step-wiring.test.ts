/**
 * The stack's wiring: a step reads another step's outputs through its handle, and that read is the
 * edge that creates it after the other (step-builder.ts); the engine refuses a read of a step that
 * is no dependency, and a spec still holding UNKNOWN (deployer.ts); every kind a config can produce
 * is known by its state name, so `down` can remove a step the config no longer has (kinds.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { validateConfig } from '../../src/config/load.js';
import { Engine, refuseUnknown } from '../../src/engine/deployer.js';
import { StateStore } from '../../src/engine/state.js';
import { defineKind, KINDS } from '../../src/resources/kinds.js';
import { buildSteps } from '../../src/resources/stack.js';
import { createDep, dep, deleteDep, StepBuilder } from '../../src/resources/step-builder.js';
import { createDeps, deleteDeps, UNKNOWN, type Actual, type ResourceKind, type StepDef } from '../../src/resources/types.js';

const ctx = { zones: ['us-east-1a', 'us-east-1b'], account: '123456789012' };
const config = validateConfig({ stack: 'blog' }, 'test', { env: {} });

/** A kind that keeps its resources in `live` and logs its creates. */
function fakeKind(name: string, live: Map<string, Actual>, log: string[]): FakeKind {
  return {
    name: `fake:${name}`,
    noun: name,
    find: async (c) => live.get(c.step),
    diff: () => ({ changes: [] }),
    async create(c, desired) {
      log.push(`create ${c.step} ${JSON.stringify(desired)}`);
      const a = { id: `${c.step}-id`, arn: `arn:${c.step}` };
      live.set(c.step, a);
      return a;
    },
    async delete(c) {
      live.delete(c.step);
    },
    outputs: (a) => ({ id: a.id, arn: a.arn! }),
  };
}
const live = new Map<string, Actual>();
const log: string[] = [];
type FakeKind = ResourceKind<Record<string, unknown>, Actual, 'id' | 'arn'>;
const parentKind: FakeKind = defineKind(fakeKind('parent', live, log));
const childKind: FakeKind = defineKind(fakeKind('child', live, log));

describe('the step builder: edges follow the data', () => {
  it('a read makes the create edge; a deleteDep of the same step makes it both ways; an edge without data keeps its reason', () => {
    const b = new StepBuilder(config, ctx);
    const parent = b.add('parent', 'parent', parentKind, [], () => ({}));
    const other = b.add('other', 'other', parentKind, [], () => ({}));
    const third = b.add('third', 'third', parentKind, [], () => ({}));
    b.add('reader', 'reader', childKind, [], () => ({ parentId: parent.out.id }));
    b.add('both', 'both', childKind, [deleteDep(parent, 'lives in the parent, which cannot go first'), createDep(other, 'waits for it, reading nothing')],
      () => ({ parentArn: parent.out.arn }));
    b.add('plain', 'plain', childKind, [dep(third, 'no data, both ways, for a reason')], () => ({}));
    const s = new Map(b.steps.map((d) => [d.id, d]));
    expect(createDeps(s.get('reader')!)).toEqual(['parent']);
    expect(deleteDeps(s.get('reader')!)).toEqual([]);
    expect(s.get('reader')!.dependsOn).toEqual([{ step: 'parent', why: 'reads its id', only: 'create' }]);
    expect(createDeps(s.get('both')!).sort()).toEqual(['other', 'parent']);
    expect(deleteDeps(s.get('both')!)).toEqual(['parent']);
    expect(s.get('both')!.dependsOn).toContainEqual({ step: 'parent', why: 'lives in the parent, which cannot go first (reads its arn)' });
    expect(s.get('plain')!.dependsOn).toEqual([{ step: 'third', why: 'no data, both ways, for a reason' }]);
    // The spec reads through the inputs the engine gives it.
    expect(s.get('reader')!.desired({ get: (step, key) => `${step}/${key}` })).toEqual({ parentId: 'parent/id' });
  });

  it('refuses an explicit edge that repeats a read\'s create ordering, a read outside a spec, a step reading itself, and two steps of one id', () => {
    const b = new StepBuilder(config, ctx);
    const parent = b.add('parent', 'parent', parentKind, [], () => ({}));
    expect(() => b.add('x', 'x', childKind, [dep(parent, 'both ways, but it reads the parent')], () => ({ p: parent.out.id })))
      .toThrow('step x reads parent, which already orders its create; declare at most its delete ordering (deleteDep).');
    expect(() => parent.out.id).toThrow("internal: parent.id read outside a step's spec");
    expect(() => b.add('parent', 'parent', parentKind, [], () => ({}))).toThrow('two steps are named parent');
    const self = { id: 'self', out: {} as Record<string, string> };
    const selfRead = b.add('self', 'self', childKind, [], () => ({ me: self.out.id }));
    self.out = selfRead.out;
    expect(() => b.steps.find((d) => d.id === 'self')!.desired({ get: () => 'x' })).toThrow('step self reads its own output id');
  });

  it('an output the kind does not give does not compile', () => {
    const b = new StepBuilder(config, ctx);
    const parent = b.add('parent', 'parent', parentKind, [], () => ({}));
    // @ts-expect-error: the parent kind's outputs are id and arn
    b.add('typo', 'typo', childKind, [], () => ({ p: parent.out.idd }));
    expect(createDeps(b.steps.at(-1)!)).toEqual(['parent']);
  });

  it('refuses a kind not defined with defineKind', () => {
    const b = new StepBuilder(config, ctx);
    expect(() => b.add('stray', 'stray', fakeKind('stray', live, log), [], () => ({}))).toThrow('kind fake:stray is not defined with defineKind');
  });
});

async function engine(steps: StepDef[]) {
  const store = await StateStore.open(mkdtempSync(join(tmpdir(), 'wpdeploy-wiring-')), { stack: 'blog', region: 'us-east-1' });
  const failures: string[] = [];
  const e = new Engine({
    steps, kinds: KINDS, store, aws: { settings: { region: 'us-east-1' } } as AwsClients, stack: 'blog', region: 'us-east-1', account: '123456789012', userTags: {},
    concurrency: 4, emit: (ev) => void (ev.type === 'step-failed' && failures.push(`${ev.step}: ${ev.error}`)), signal: new AbortController().signal, scale: 1000,
  });
  return { e, failures, store };
}
const stepOf = (id: string, kind: ResourceKind<Record<string, unknown>, Actual, string>, desired: StepDef['desired'], dependsOn: StepDef['dependsOn'] = []): StepDef =>
  ({ id, role: id, kind: kind as unknown as ResourceKind, dependsOn, desired });

describe('the engine refuses what the wiring must never let through', () => {
  it('a read of a step that is not a dependency, naming both steps, before anything is created', async () => {
    live.clear();
    log.length = 0;
    const { e, failures } = await engine([
      stepOf('vpc', parentKind, () => ({})),
      stepOf('subnet', childKind, (i) => ({ vpcId: i.get('vpc', 'id') })),
    ]);
    const r = await e.apply({ dryRun: false });
    expect(r.ok).toBe(false);
    expect(failures).toEqual(['subnet: internal: step subnet reads vpc.id, but has no edge to vpc: it could run before vpc exists.']);
    expect(log.filter((l) => l.startsWith('create subnet'))).toEqual([]);
  });

  it('a read of a step that does not exist is refused, not answered UNKNOWN (plan too)', async () => {
    const { e, failures } = await engine([stepOf('subnet', childKind, (i) => ({ vpcId: i.get('vcp', 'id') }))]);
    expect((await e.apply({ dryRun: true })).ok).toBe(false);
    expect(failures).toEqual(['subnet: internal: step subnet reads vcp.id, but has no edge to vcp: it could run before vcp exists.']);
  });

  it('a create whose spec still holds UNKNOWN: refused, naming the step and the field; nothing sent', async () => {
    live.clear();
    log.length = 0;
    const { e, failures } = await engine([
      stepOf('vpc', parentKind, () => ({})),
      stepOf('subnet', childKind, (i) => ({ vpcId: i.get('vpc', 'id'), routes: [{ gatewayId: UNKNOWN }] }), [{ step: 'vpc', why: 'reads its id', only: 'create' }]),
    ]);
    const r = await e.apply({ dryRun: false });
    expect(r.ok).toBe(false);
    expect(failures).toEqual([`subnet: internal: step subnet would send routes.0.gatewayId as "${UNKNOWN}": a dependency's output is not known.`]);
    expect(log.map((l) => l.split(' ')[1])).toEqual(['vpc']);
    // plan shows UNKNOWN (a dependency to be created): only sending it is refused
    expect(() => refuseUnknown('s', { host: `${UNKNOWN}:3306` })).toThrow('would send host as');
    expect(() => refuseUnknown('s', { host: 'db:3306', ports: [3306] })).not.toThrow();
  });

  it('down tolerates a missing recorded output (finds by tags), not any other error of the spec', async () => {
    live.clear();
    const { e: tolerant, store } = await engine([
      stepOf('vpc', parentKind, () => ({})),
      stepOf('subnet', childKind, (i) => ({ vpcId: i.get('vpc', 'cidr') }), [{ step: 'vpc', why: 'in it, deleted before it' }]),
    ]);
    await store.update((s) => void (s.steps.vpc = { kind: parentKind.name, id: 'vpc-id', outputs: { id: 'vpc-id' }, dependsOn: [], updatedAt: new Date().toISOString() }));
    expect((await tolerant.destroy()).ok).toBe(true);
    const { e: failing, failures } = await engine([stepOf('broken', childKind, () => { throw new Error('a bug in the spec'); })]);
    expect((await failing.destroy()).ok).toBe(false);
    expect(failures).toEqual(['broken: a bug in the spec']);
  });
});

/** Configs that together use every option that adds or changes steps. */
const EVERY_OPTION = [
  {},
  { domain: { name: 'www.example.com', hostedZone: 'example.com' }, database: { proxy: true }, network: { natGateways: 'single', flowLogs: false } },
  { wordpress: { sharedFiles: 'uploads' }, network: { azCount: 3 } },
];

describe('one place to add a kind', () => {
  const steps = EVERY_OPTION.flatMap((raw) => buildSteps(validateConfig({ stack: 'blog', ...raw }, 'test', { env: {} }), { ...ctx, zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'].slice(0, (raw as { network?: { azCount?: number } }).network?.azCount ?? 2) }));

  it('every kind a config produces is known by its state name, so down can remove a step the config dropped', () => {
    for (const s of steps) expect(KINDS.get(s.kind.name), `${s.id}: ${s.kind.name}`).toBe(s.kind);
  });

  it('the configs above produce every kind the stack defines (a new kind gets a config here that produces it)', () => {
    const produced = new Set(steps.map((s) => s.kind.name));
    const stackKinds = [...KINDS.keys()].filter((k) => !k.startsWith('fake:'));
    expect(stackKinds.filter((k) => !produced.has(k))).toEqual([]);
  });
});
