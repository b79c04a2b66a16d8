/**
 * The foundation, end to end: the built CLI against the emulator, through a recording proxy that
 * counts every AWS call.
 */
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startProxy, type AwsProxy } from '../support/aws-proxy.js';
import { runCli, uniqueStack, workdir } from '../support/cli.js';
import { stackVpcs } from '../support/aws.js';

const moto = inject('motoEndpoint');
let proxy: AwsProxy;

beforeAll(async () => {
  proxy = await startProxy(moto);
});
afterAll(async () => {
  await proxy.close();
});

describe('up, status, down on one stack', () => {
  const stack = uniqueStack('found');
  const cwd = workdir();
  const run = (...args: string[]) => runCli([...args, '--stack', stack], { cwd, endpoint: proxy.url });
  const statePath = join(cwd, 'state', `${stack}.json`);
  /** How many resources (steps) the state records. */
  const resources = () => {
    const n = Object.keys(JSON.parse(readFileSync(statePath, 'utf8')).steps).length;
    expect(n).toBeGreaterThanOrEqual(50); // the default config's whole stack
    return n;
  };
  /** The calls the proxy saw, by operation: shown when a count is off. */
  const tally = () => JSON.stringify(proxy.calls.reduce<Record<string, number>>((t, c) => ({ ...t, [`${c.service}.${c.operation}`]: (t[`${c.service}.${c.operation}`] ?? 0) + 1 }), {}));

  it('up creates a tagged VPC and records it', async () => {
    const r = await run('up');
    expect(r.code, r.stderr).toBe(0);
    const vpcs = await stackVpcs(moto, stack);
    expect(vpcs).toHaveLength(1);
    const vpc = vpcs[0]!;
    const tags = Object.fromEntries((vpc.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({ 'wpdeploy:stack': stack, 'wpdeploy:step': 'vpc', Name: `${stack}-vpc` });
    expect(vpc.CidrBlock).toBe('10.20.0.0/16');
    const state = JSON.parse(readFileSync(statePath, 'utf8'));
    expect(state).toMatchObject({ schemaVersion: 1, stack, region: 'us-east-1', account: '123456789012' });
    expect(state.steps.vpc.id).toBe(vpc.VpcId);
    expect(state.steps.vpc.pending).toBeUndefined();
    expect(statSync(statePath).mode & 0o777).toBe(0o600);
    // On a fresh stack only the engine version check (it looks up AWS's calendar) is unchanged.
    expect(r.stdout).toMatch(/up to date after \d+s: \d+ created, \d+ updated, 0 replaced, 0 deleted, 1 unchanged/);
    expect(Object.values(state.steps).every((st) => !(st as { pending?: unknown }).pending)).toBe(true);
  });

  it('a second up makes no mutating AWS call, at most 1.5 reads per resource, and says nothing changed (and --cost shows the estimate first)', async () => {
    proxy.reset();
    const r = await run('up', '--cost');
    expect(r.stdout.split('\n')[0]).toMatch(/^Estimated cost: about \$\d+\.\d\d a month on demand in us-east-1/);
    expect(r.code, r.stderr).toBe(0);
    expect(proxy.mutating()).toEqual([]);
    expect(r.stdout).toMatch(/No changes/);
    // Batch describes serve every step of a kind; the zones come from the state; one identity call.
    const n = resources();
    expect(proxy.reads().length, tally()).toBeGreaterThan(0);
    expect(proxy.reads().length, tally()).toBeLessThanOrEqual(1.5 * n);
    expect(proxy.calls.filter((c) => c.operation === 'GetCallerIdentity')).toHaveLength(1);
    expect(proxy.calls.filter((c) => c.operation === 'DescribeAvailabilityZones')).toHaveLength(0);
  });

  it('status shows the VPC and its live state, in at most one read per resource', async () => {
    const [vpc] = await stackVpcs(moto, stack);
    const r = await run('status');
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('vpc '));
    expect(line).toBeDefined();
    expect(line).toContain(vpc!.VpcId!);
    expect(line).toContain('available');
    proxy.reset();
    const j = await run('status', '--json');
    expect(proxy.mutating()).toEqual([]);
    expect(proxy.reads().length, tally()).toBeLessThanOrEqual(resources());
    const doc = JSON.parse(j.stdout);
    expect(doc).toMatchObject({ stack, region: 'us-east-1', account: '123456789012', healthy: true });
    expect(doc.steps).toContainEqual(expect.objectContaining({ step: 'vpc', id: vpc!.VpcId, state: 'available', drift: null }));
    expect(doc.steps.every((x: { drift: unknown }) => x.drift === null)).toBe(true);
  });

  it('status --check fails and plan shows the exact field after an out-of-band change', async () => {
    const [vpc] = await stackVpcs(moto, stack);
    const { ModifyVpcAttributeCommand } = await import('@aws-sdk/client-ec2');
    const { ec2 } = await import('../support/aws.js');
    await ec2(moto).send(new ModifyVpcAttributeCommand({ VpcId: vpc!.VpcId!, EnableDnsHostnames: { Value: false } }));
    const check = await run('status', '--check');
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/changed: dnsHostnames false -> true/);
    const plan = await run('plan', '--detailed-exitcode');
    expect(plan.code).toBe(2);
    expect(plan.stdout).toMatch(/update\s+vpc/);
    const fix = await run('up');
    expect(fix.code, fix.stderr).toBe(0);
    expect(fix.stdout).toMatch(/ 1 updated/);
    expect((await run('plan', '--detailed-exitcode')).code).toBe(0);
  });

  it('down --yes removes it, keeping only what holds data; down --purge --yes empties the state', async () => {
    const r = await run('down', '--yes');
    expect(r.code, r.stderr).toBe(0);
    expect(await stackVpcs(moto, stack)).toEqual([]);
    const kept = existsSync(statePath) ? Object.keys(JSON.parse(readFileSync(statePath, 'utf8')).steps) : [];
    expect(kept).not.toContain('vpc');
    const purge = await run('down', '--purge', '--yes');
    expect(purge.code, purge.stderr).toBe(0);
    expect(existsSync(statePath)).toBe(false);
    expect(existsSync(join(cwd, 'state', `${stack}.lock`))).toBe(false);
  });
});

describe('plan', () => {
  it('on an empty account lists every step as create and exits 2 with --detailed-exitcode, changing nothing', async () => {
    const cwd = workdir();
    const stack = uniqueStack('plan');
    proxy.reset();
    const r = await runCli(['plan', '--detailed-exitcode', '--json', '--stack', stack], { cwd, endpoint: proxy.url });
    expect(r.code, r.stderr).toBe(2);
    expect(proxy.mutating()).toEqual([]);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const steps = events[0].steps.map((x: { id: string }) => x.id);
    const planned = events.filter((e) => e.type === 'step-plan');
    expect(planned.map((e) => e.step).sort()).toEqual([...steps].sort());
    // Everything is to be created; the engine version check only looks up AWS's calendar (found, `same`).
    expect(planned.filter((e) => e.op !== 'create').map((e) => `${e.step} ${e.op}`)).toEqual(['db-engine-version same']);
    expect(existsSync(join(cwd, 'state', `${stack}.json`))).toBe(false);
  });
});

describe('bad input makes no AWS call', () => {
  it('a config with several mistakes gets one error listing all of them, exit 2', async () => {
    const cwd = workdir();
    writeFileSync(join(cwd, 'wpdeploy.yml'), [
      'stack: Bad_Name',
      'regoin: us-east-1',
      'network: { cidr: 10.0.0.0/33, azCount: 2 }',
      'wordpress: { cpu: 256, memory: 4096, desiredCount: 1 }',
      'scaling: { min: 2, max: 6 }',
      'logs: { retentionDays: 10 }',
    ].join('\n'));
    proxy.reset();
    const r = await runCli(['up'], { cwd, endpoint: proxy.url });
    expect(r.code).toBe(2);
    expect(proxy.calls).toEqual([]);
    expect(r.stderr).toMatch(/wpdeploy\.yml has 6 problems/);
    for (const path of ['stack:', 'regoin:', 'network.cidr:', 'wordpress.memory:', 'wordpress.desiredCount:', 'logs.retentionDays:']) {
      expect(r.stderr).toContain(`  - ${path}`);
    }
    expect(r.stderr).toContain('Did you mean `region`?');
  });

  it('down without --yes and without a terminal is refused, exit 2', async () => {
    proxy.reset();
    const r = await runCli(['down'], { cwd: workdir(), endpoint: proxy.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes');
    expect(proxy.calls).toEqual([]);
  });

  it('a bad --concurrency is refused, exit 2', async () => {
    proxy.reset();
    const r = await runCli(['up', '--concurrency', '0'], { cwd: workdir(), endpoint: proxy.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--concurrency 0');
    expect(proxy.calls).toEqual([]);
  });

  it('an unknown option is refused, exit 2', async () => {
    const r = await runCli(['up', '--regoin', 'x'], { cwd: workdir(), endpoint: proxy.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option/);
  });
});

describe('locking and state safety', () => {
  it('a stack locked by a live process is refused, naming the holder', async () => {
    const cwd = workdir();
    const stack = uniqueStack('lock');
    mkdirSync(join(cwd, 'state'));
    const holder = { id: 'abc', pid: process.pid, host: hostname(), command: 'up', startedAt: new Date().toISOString() };
    writeFileSync(join(cwd, 'state', `${stack}.lock`), JSON.stringify(holder));
    const r = await runCli(['up', '--stack', stack], { cwd, endpoint: proxy.url });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`pid ${process.pid}`);
    expect(r.stderr).toContain('wpdeploy up');
    expect(await stackVpcs(moto, stack)).toEqual([]);
  });

  it('a stale lock of a dead process is taken over with a warning', async () => {
    const cwd = workdir();
    const stack = uniqueStack('stale');
    mkdirSync(join(cwd, 'state'));
    const holder = { id: 'old', pid: 2 ** 22 + 12345, host: hostname(), command: 'up', startedAt: '2026-01-01T00:00:00.000Z' };
    writeFileSync(join(cwd, 'state', `${stack}.lock`), JSON.stringify(holder));
    const r = await runCli(['up', '--stack', stack], { cwd, endpoint: proxy.url });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/took over the lock/);
    expect(await stackVpcs(moto, stack)).toHaveLength(1);
    expect((await runCli(['down', '--yes', '--stack', stack], { cwd, endpoint: proxy.url })).code).toBe(0);
  });

  it('a corrupt state file is refused and nothing is deleted', async () => {
    const cwd = workdir();
    const stack = uniqueStack('corrupt');
    expect((await runCli(['up', '--stack', stack], { cwd, endpoint: proxy.url })).code).toBe(0);
    writeFileSync(join(cwd, 'state', `${stack}.json`), '{"schemaVersion": 1, "stack": ');
    proxy.reset();
    const r = await runCli(['down', '--yes', '--stack', stack], { cwd, endpoint: proxy.url });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not valid JSON/);
    expect(proxy.mutating()).toEqual([]);
    expect(await stackVpcs(moto, stack)).toHaveLength(1);
  });

  it('with the state file lost, down finds the stack by its tags', async () => {
    const cwd = workdir();
    const stack = uniqueStack('lost');
    expect((await runCli(['up', '--stack', stack], { cwd, endpoint: proxy.url })).code).toBe(0);
    const elsewhere = workdir();
    const r = await runCli(['down', '--yes', '--stack', stack], { cwd: elsewhere, endpoint: proxy.url });
    expect(r.code, r.stderr).toBe(0);
    expect(await stackVpcs(moto, stack)).toEqual([]);
  });
});

describe('--json', () => {
  it('emits one JSON event per line, from run-start to run-done', async () => {
    const cwd = workdir();
    const stack = uniqueStack('json');
    const r = await runCli(['up', '--json', '--stack', stack], { cwd, endpoint: proxy.url });
    expect(r.code, r.stderr).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ type: 'run-start', command: 'up', stack });
    const steps = events[0].steps.length;
    expect(events.at(-1)).toMatchObject({ type: 'run-done', ok: true, counts: { create: expect.any(Number) } });
    const done = events.filter((e) => e.type === 'step-done');
    // The engine version check only looks up AWS's calendar, so it is `same`; every other step is new.
    expect(done.filter((e) => e.op === 'same').map((e) => e.step)).toEqual(['db-engine-version']);
    expect(events.at(-1).counts.same).toBe(1);
    expect(done).toHaveLength(steps);
    // The session's identity lookups are counted with the rest, and made once.
    expect(events.at(-1).calls.byOperation).toMatchObject({ 'STS.GetCallerIdentity': 1, 'EC2.DescribeAvailabilityZones': 1 });
    expect(done.find((e) => e.step === 'vpc')).toMatchObject({ op: 'create', id: expect.stringMatching(/^vpc-/) });
    for (const e of events) expect(typeof e.time).toBe('string');
    const down = await runCli(['down', '--purge', '--yes', '--json', '--stack', stack], { cwd, endpoint: proxy.url });
    expect(down.code, down.stderr).toBe(0);

    // Every call of the run is allowed by the policy the README tells users to attach (iam/wpdeploy-policy.json).
    const policy = JSON.parse(readFileSync(new URL('../../iam/wpdeploy-policy.json', import.meta.url), 'utf8'));
    const allowed = new Set(policy.Statement.flatMap((st: { Action: string[] }) => st.Action));
    const ops = [r, down].flatMap((x) => Object.keys(x.stdout.trim().split('\n').map((l) => JSON.parse(l)).at(-1).calls.byOperation));
    expect(ops.length).toBeGreaterThan(10);
    // @ts-expect-error: a plain .mjs script, without types
    const { PREFIX, RENAMED } = await import('../../scripts/iam-policy.mjs');
    // The calls are counted by client (`EC2.DescribeVpcs`): each package's client class names it.
    const load = createRequire(import.meta.url);
    const prefix = Object.fromEntries(Object.entries(PREFIX as Record<string, string>).map(([pkg, p]) => [
      Object.keys(load(`@aws-sdk/${pkg}`) as object).find((k) => /^[A-Z]\w*Client$/.test(k))!.replace(/Client$/, ''), p,
    ]));
    const missing = ops
      .map((op) => { const [client, name] = op.split('.'); return `${prefix[client!] ?? client}:${name}`; })
      .flatMap((a) => (RENAMED as Record<string, string[]>)[a] ?? [a])
      .filter((a) => !allowed.has(a));
    expect(missing).toEqual([]);
  });
});
