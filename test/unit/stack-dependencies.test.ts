/**
 * The stack's edges as the engine runs them: `up` on the create edges, `down` on the delete edges
 * (Dependency.only). Each command must wait for what AWS requires and for nothing else.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { WorkGraph } from '../../src/engine/graph.js';
import { buildSteps } from '../../src/resources/stack.js';
import { createDeps, deleteDeps, type StepDef } from '../../src/resources/types.js';

const ctx = { zones: ['us-east-1a', 'us-east-1b'], account: '123456789012' };
const configs = {
  'with a domain': validateConfig({ stack: 'blog', domain: { name: 'www.example.com', hostedZone: 'example.com' } }),
  'without a domain': validateConfig({ stack: 'blog' }),
  'with an RDS Proxy and a single NAT': validateConfig({ stack: 'blog', database: { proxy: true }, network: { natGateways: 'single' } }),
};
const steps = buildSteps(configs['with a domain'], ctx);
const byId = new Map(steps.map((s) => [s.id, s]));

const upGraph = (s: StepDef[]) => new WorkGraph(s.map((d) => ({ id: d.id, dependsOn: createDeps(d), weightMs: d.kind.timing?.createMs, first: d.check })));
const downGraph = (s: StepDef[]) => new WorkGraph(s.map((d) => ({ id: d.id, dependsOn: deleteDeps(d), weightMs: d.kind.lookup ? 0 : d.kind.timing?.deleteMs })));

/** True when `down` deletes `first` before `then` (a chain of delete edges from one to the other). */
function deletedBefore(first: string, then: string): boolean {
  const seen = new Set<string>();
  const visit = (id: string): boolean => {
    if (id === then) return true;
    if (seen.has(id)) return false;
    seen.add(id);
    return deleteDeps(byId.get(id)!).some(visit);
  };
  return first !== then && visit(first);
}

describe('the step graph', () => {
  it.each(Object.entries(configs))('%s: up and down graphs have no cycle, and every edge says why', (_what, config) => {
    const s = buildSteps(config, ctx);
    expect(() => upGraph(s)).not.toThrow();
    expect(() => downGraph(s)).not.toThrow();
    for (const d of s) for (const e of d.dependsOn) expect(e.why.length, `${d.id} -> ${e.step}`).toBeGreaterThan(10);
  });

  it('up starts the checks first (hosted zone, engine version), then the longest chain: the VPC, then the data subnets', async () => {
    const order: string[] = [];
    await upGraph(steps).run(async (id) => void order.push(id), { concurrency: 1 });
    const checks = steps.filter((s) => s.check).map((s) => s.id).sort();
    expect(checks).toEqual(['db-engine-version', 'hosted-zone']);
    expect(order.slice(0, 2).sort()).toEqual(checks);
    expect(order[2]).toBe('vpc');
    const subnets = order.filter((id) => id.startsWith('subnet-'));
    expect(subnets.slice(0, 2).sort()).toEqual(['subnet-data-a', 'subnet-data-b']);
    expect(order.indexOf('db-subnet-group')).toBeLessThan(order.indexOf('subnet-public-a'));
    expect(order.indexOf('db')).toBeLessThan(order.indexOf('igw'));
  });

  it('up: only the records wait for the zone; only auto scaling waits for the service', () => {
    const onZone = steps.filter((s) => createDeps(s).includes('hosted-zone')).map((s) => s.id);
    expect(onZone.sort()).toEqual(['alias-record', 'certificate-dns']);
    const onService = steps.filter((s) => createDeps(s).includes('ecs-service')).map((s) => s.id);
    expect(onService).toEqual(['scaling-target']);
  });

  it('down: the database delete waits for nothing (not the service, not the task definition)', () => {
    expect(steps.filter((s) => deleteDeps(s).includes('db')).map((s) => s.id)).toEqual([]);
    for (const id of ['ecs-service', 'task-definition', 'db-secret-endpoint']) expect(deletedBefore(id, 'db'), id).toBe(false);
  });

  it('down: the lookups (hosted zone, certificate issued) order nothing', () => {
    for (const lookup of ['hosted-zone', 'certificate-issued']) {
      expect(steps.filter((s) => deleteDeps(s).includes(lookup)).map((s) => s.id), lookup).toEqual([]);
    }
  });

  it.each([
    // ENIs keep their subnets and security groups
    ['ecs-service', ['subnet-app-a', 'subnet-app-b', 'sg-app', 'ecs-cluster']],
    ['alb', ['subnet-public-a', 'subnet-public-b', 'sg-alb']],
    ['efs-mount-a', ['efs', 'subnet-app-a', 'sg-efs']],
    ['nat-a', ['subnet-public-a']],
    ['db', ['db-subnet-group', 'sg-db', 'subnet-data-a', 'subnet-data-b']],
    // public addresses keep the internet gateway attached
    ['nat-a', ['eip-nat-a', 'igw']],
    ['eip-nat-b', ['igw']],
    ['alb', ['igw']],
    // a listener keeps its target group and its certificate
    ['listener-https', ['target-group', 'certificate']],
    // a rule naming a group keeps that group
    ['sg-app-rules', ['sg-alb', 'sg-db', 'sg-efs']],
    ['sg-db-rules', ['sg-app']],
    // nothing may be left in the VPC
    ['igw', ['vpc']], ['subnet-data-a', ['vpc']], ['sg-db', ['vpc']], ['rt-data', ['vpc']], ['nacl-app', ['vpc']], ['flow-log', ['vpc']],
  ])('down: %s is gone before %j (AWS refuses otherwise)', (first, thens) => {
    for (const then of thens) expect(deletedBefore(first, then), `${first} before ${then}`).toBe(true);
  });

  it('without a domain, the HTTP listener forwards: it is gone before its target group', () => {
    const plain = buildSteps(configs['without a domain'], ctx).find((s) => s.id === 'listener-http')!;
    expect(deleteDeps(plain)).toContain('target-group');
  });

  it.each([
    ['db', 'ecs-service'], ['efs-mount-a', 'ecs-service'], ['rt-app-a', 'nat-a'], ['listener-https', 'ecs-service'],
    ['task-execution-role', 'task-definition'], ['app-log-group', 'task-execution-role'],
  ])('down: %s need not wait for %s', (then, first) => {
    expect(deletedBefore(first, then)).toBe(false);
  });

  it('down starts the database delete first (the longest chain: delete, subnet group, data subnet, VPC)', async () => {
    const order: string[] = [];
    await downGraph(steps).reversed().run(async (id) => void order.push(id), { concurrency: 1 });
    expect(order[0]).toBe('db');
  });
});

describe('the default concurrency', () => {
  /**
   * The time a run takes on a virtual clock when each step takes its kind's typical duration (create
   * or delete) plus `overheadMs` of API calls, under the engine's scheduling.
   */
  async function makespan(s: StepDef[], mode: 'up' | 'down', concurrency: number, overheadMs: number): Promise<number> {
    const graph = mode === 'up' ? upGraph(s) : downGraph(s).reversed();
    const took = (d: StepDef) => (mode === 'up' ? d.kind.timing?.createMs : d.kind.lookup ? 0 : d.kind.timing?.deleteMs) ?? 0;
    const byStep = new Map(s.map((d) => [d.id, d]));
    let now = 0;
    const timers: Array<{ at: number; fire: () => void }> = [];
    let over = false;
    const run = graph.run((id) => new Promise<void>((fire) => void timers.push({ at: now + took(byStep.get(id)!) + overheadMs, fire })), { concurrency });
    void run.then(() => (over = true));
    while (!over) {
      await new Promise((r) => setImmediate(r));
      timers.sort((a, b) => a.at - b.at);
      const next = timers.shift();
      if (!next) continue;
      now = next.at;
      next.fire();
    }
    return now;
  }

  it.each(Object.entries(configs))('%s: 8 at once is as quick as no limit, up and down, with 1 to 20 s of calls per step', async (_what, config) => {
    const s = buildSteps(config, ctx);
    for (const mode of ['up', 'down'] as const) {
      for (const overheadMs of [1_000, 10_000, 20_000]) {
        expect(await makespan(s, mode, 8, overheadMs), `${mode}, ${overheadMs} ms per step`).toBe(await makespan(s, mode, 64, overheadMs));
      }
    }
    // one at a time is the ordered runbook: far longer
    expect(await makespan(s, 'up', 1, 1_000)).toBeGreaterThan(1.3 * (await makespan(s, 'up', 64, 1_000)));
  });
});
