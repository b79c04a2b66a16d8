/**
 * Team and CI use (issue #9), against the emulator's S3: the state and its lock in a bucket, shared by
 * two working directories as if they were two machines; one run at a time; a stale writer refused;
 * `state migrate` there and back; a dev and a prod stack from one config; the account guard.
 * S3 conditional writes go through test/support/s3-conditions.ts, which answers a stale `If-Match` as
 * S3 does (the emulator accepts it).
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startProxy, type AwsProxy } from '../support/aws-proxy.js';
import { s3, unlessNotFound } from '../support/aws.js';
import { runCli, startCli, uniqueStack, workdir } from '../support/cli.js';
import { s3ConditionalWrites } from '../support/s3-conditions.js';

const moto = inject('motoEndpoint');
let proxy: AwsProxy;
const bucket = `wpd-state-${Math.random().toString(36).slice(2, 8)}`;
const client = () => s3(moto);

beforeAll(async () => {
  proxy = await startProxy(moto);
  proxy.intercept(s3ConditionalWrites(moto));
  await client().send(new CreateBucketCommand({ Bucket: bucket }));
  await client().send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
});
afterAll(async () => {
  await proxy.close();
});

const run = (cwd: string, ...args: string[]) => runCli(args, { cwd, endpoint: proxy.url });

/** The object's text, or undefined when there is no such key (any other error fails the test). */
async function object(key: string): Promise<string | undefined> {
  const r = await unlessNotFound(client().send(new GetObjectCommand({ Bucket: bucket, Key: key })), 'NoSuchKey');
  return r && (await r.Body!.transformToString());
}

/** Mutating calls the proxy saw, other than those on the state bucket. */
const stackMutations = () => proxy.mutating().filter((c) => !(c.service === 's3' && c.path.startsWith(`/${bucket}`)));

describe('state in S3', () => {
  it('up, status and down work from two working directories; no local state file is written', async () => {
    const stack = uniqueStack('rs');
    const where = `s3://${bucket}/team`;
    const laptop = workdir('wpdeploy-laptop-');
    const ci = workdir('wpdeploy-ci-');
    const up = await run(laptop, 'up', '--stack', stack, '--state', where);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).not.toMatch(/versioning/); // the bucket has it
    const doc = JSON.parse((await object(`team/${stack}.json`))!);
    expect(doc.stack).toBe(stack);
    expect(Object.keys(doc.steps).length).toBeGreaterThan(40);
    expect(await object(`team/${stack}.lock`)).toBeUndefined(); // released
    // The other machine sees the same stack, converged.
    const status = await run(ci, 'status', '--stack', stack, '--state', where, '--json');
    expect(status.code, status.stderr).toBe(0);
    const steps = JSON.parse(status.stdout).steps as Array<{ step: string; id: string | null; drift: unknown }>;
    expect(steps.find((s) => s.step === 'vpc')?.id).toBe(doc.steps.vpc.id);
    proxy.reset();
    const plan = await run(ci, 'plan', '--stack', stack, '--state', where, '--detailed-exitcode');
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`stack ${stack}`);
    expect(plan.stdout).toContain('account 123456789012');
    const down = await run(ci, 'down', '--stack', stack, '--state', where, '--yes');
    expect(down.code, down.stderr).toBe(0);
    // What down keeps (it holds data) stays recorded, for the next up to bring back.
    const kept = JSON.parse((await object(`team/${stack}.json`))!);
    expect(Object.keys(kept.steps)).toContain('efs');
    expect(Object.keys(kept.steps)).not.toContain('vpc');
    const purge = await run(laptop, 'down', '--stack', stack, '--state', where, '--yes', '--purge');
    expect(purge.code, purge.stderr).toBe(0);
    expect(await object(`team/${stack}.json`)).toBeUndefined();
    expect(await object(`team/${stack}.lock`)).toBeUndefined();
    // Neither machine has a state directory.
    for (const dir of [laptop, ci]) expect(existsSync(join(dir, 'state')), readdirSync(dir).join(',')).toBe(false);
  });

  it('two runs started together: exactly one proceeds, the other is refused at once, naming the holder', async () => {
    const stack = uniqueStack('rs');
    const where = `s3://${bucket}/race`;
    const a = startCli(['up', '--stack', stack, '--state', where], { cwd: workdir(), endpoint: proxy.url });
    const b = startCli(['up', '--stack', stack, '--state', where], { cwd: workdir(), endpoint: proxy.url });
    const first = await Promise.race([a.done.then((r) => ({ r, which: 'a' })), b.done.then((r) => ({ r, which: 'b' }))]);
    expect(first.r.code, first.r.stderr).toBe(1);
    expect(first.r.stderr).toMatch(new RegExp(`stack ${stack} is locked by wpdeploy up \\(pid \\d+ on [^)]*${hostname()}`));
    expect(first.r.stderr).toMatch(/lock [0-9a-f-]{36}/);
    const other = await (first.which === 'a' ? b : a).done;
    expect(other.code, other.stderr).toBe(0);
    const down = await run(workdir(), 'down', '--stack', stack, '--state', where, '--yes', '--purge');
    expect(down.code, down.stderr).toBe(0);
  });

  it('a write based on a stale state is refused, and the other writer\'s state stands', async () => {
    const stack = uniqueStack('rs');
    const where = `s3://${bucket}/stale`;
    const key = `stale/${stack}.json`;
    // The run is held at its NAT gateway's create (its state then records the VPC and more) while
    // another writer replaces the state; then it goes on, and its next write is based on a stale state.
    const conditional = s3ConditionalWrites(moto);
    let held!: () => void;
    const reached = new Promise<void>((resolve) => (held = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    proxy.intercept(async (call) => {
      if (call.api === 'CreateNatGateway') {
        held();
        await released;
      }
      return conditional(call);
    });
    let other: string | undefined;
    let r: Awaited<ReturnType<typeof runCli>>;
    try {
      const cli = startCli(['up', '--stack', stack, '--state', where, '--concurrency', '1'], { cwd: workdir(), endpoint: proxy.url });
      await reached;
      const doc = JSON.parse((await object(key))!);
      expect(Object.keys(doc.steps).length).toBeGreaterThanOrEqual(3);
      doc.steps.vpc.outputs = { ...doc.steps.vpc.outputs, note: 'written by another machine' };
      other = JSON.stringify(doc, null, 2) + '\n';
      await client().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: other }));
      release();
      r = await cli.done;
    } finally {
      release();
      proxy.intercept(conditional);
    }
    expect(other).toBeDefined();
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toMatch(/changed by another writer since this run read it/);
    expect(await object(key)).toBe(other);
    // The next run starts from the current state and converges.
    const again = await run(workdir(), 'up', '--stack', stack, '--state', where);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse((await object(key))!).steps['ecs-service']).toBeDefined();
    expect((await run(workdir(), 'down', '--stack', stack, '--state', where, '--yes', '--purge')).code).toBe(0);
  });

  it('a cancelled CI job (SIGTERM) saves the state and releases the lock; the next run resumes', async () => {
    const stack = uniqueStack('rs');
    const where = `s3://${bucket}/cancel`;
    const cli = startCli(['up', '--stack', stack, '--state', where, '--json'], { cwd: workdir(), endpoint: proxy.url });
    let sent = false;
    cli.onLine((line) => {
      if (!sent && line.includes('"step-done"')) {
        sent = true;
        cli.child.kill('SIGTERM');
      }
    });
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(130);
    expect(await object(`cancel/${stack}.lock`)).toBeUndefined();
    const saved = JSON.parse((await object(`cancel/${stack}.json`))!);
    expect(Object.values(saved.steps).filter((st) => (st as { pending?: unknown }).pending)).toEqual([]);
    const again = await run(workdir(), 'up', '--stack', stack, '--state', where);
    expect(again.code, again.stderr).toBe(0);
    expect((await run(workdir(), 'down', '--stack', stack, '--state', where, '--yes', '--purge')).code).toBe(0);
  });

  it('a lock whose lease ran out is named by the refusal and broken by unlock; a wrong id breaks nothing', async () => {
    const stack = uniqueStack('rs');
    const where = `s3://${bucket}/lease`;
    const old = new Date(Date.now() - 60 * 60_000).toISOString();
    const lock = { id: '4d1f5a0e-0000-4000-8000-000000000001', stack, owner: 'ci', pid: 4242, host: 'runner-gone', command: 'up', startedAt: old, renewedAt: old };
    await client().send(new PutObjectCommand({ Bucket: bucket, Key: `lease/${stack}.lock`, Body: JSON.stringify(lock) }));
    const cwd = workdir();
    const refused = await run(cwd, 'up', '--stack', stack, '--state', where);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('runner-gone');
    expect(refused.stderr).toContain(`wpdeploy unlock ${lock.id} --stack ${stack} --state ${where}`);
    const wrong = await run(cwd, 'unlock', '4d1f5a0e-0000-4000-8000-000000000002', '--stack', stack, '--state', where);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(lock.id);
    expect(await object(`lease/${stack}.lock`)).toBeDefined();
    const unlocked = await run(cwd, 'unlock', lock.id, '--stack', stack, '--state', where);
    expect(unlocked.code, unlocked.stderr).toBe(0);
    expect(unlocked.stdout).toContain(lock.id);
    expect(unlocked.stdout).toContain('runner-gone');
    expect(await object(`lease/${stack}.lock`)).toBeUndefined();
    // A fresh lock (renewed just now) from another host is not broken.
    const fresh = { ...lock, renewedAt: new Date().toISOString() };
    await client().send(new PutObjectCommand({ Bucket: bucket, Key: `lease/${stack}.lock`, Body: JSON.stringify(fresh) }));
    const early = await run(cwd, 'unlock', lock.id, '--stack', stack, '--state', where);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/within its lease of 15 min/);
  });

  it('state migrate moves a local state to S3 and back without a change', async () => {
    const stack = uniqueStack('rs');
    const cwd = workdir();
    const where = `s3://${bucket}/moved`;
    expect((await run(cwd, 'up', '--stack', stack)).code).toBe(0);
    const local = join(cwd, 'state', `${stack}.json`);
    const original = readFileSync(local, 'utf8');
    const up = await run(cwd, 'state', 'migrate', '--to', where, '--stack', stack);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toContain(`--state ${where}`);
    expect(existsSync(local)).toBe(false);
    expect(await object(`moved/${stack}.json`)).toBe(original);
    const plan = await run(cwd, 'plan', '--stack', stack, '--state', where, '--detailed-exitcode');
    expect(plan.code, plan.stdout).toBe(0);
    const back = await run(cwd, 'state', 'migrate', '--to', 'state', '--stack', stack, '--state', where);
    expect(back.code, back.stderr).toBe(0);
    expect(readFileSync(local, 'utf8')).toBe(original);
    expect(await object(`moved/${stack}.json`)).toBeUndefined();
    // Refused: nothing at the source; the same place twice; a different state already at the destination.
    expect((await run(cwd, 'state', 'migrate', '--to', where, '--stack', 'nothing-here')).code).toBe(2);
    expect((await run(cwd, 'state', 'migrate', '--to', 'state', '--stack', stack)).code).toBe(2);
    await client().send(new PutObjectCommand({ Bucket: bucket, Key: `moved/${stack}.json`, Body: original.replace('"steps"', '"x": 1, "steps"') }));
    const clash = await run(cwd, 'state', 'migrate', '--to', where, '--stack', stack);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/already holds a different state/);
    expect(readFileSync(local, 'utf8')).toBe(original);
    expect((await run(cwd, 'down', '--stack', stack, '--yes', '--purge')).code).toBe(0);
  });

  it('warns when the bucket has no versioning, and refuses a bucket that does not exist (exit 2)', async () => {
    const plain = `${bucket}-plain`;
    await client().send(new CreateBucketCommand({ Bucket: plain }));
    const cwd = workdir();
    const plan = await run(cwd, 'plan', '--stack', uniqueStack('rs'), '--state', `s3://${plain}/x`);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).toMatch(new RegExp(`state bucket ${plain} has versioning off`));
    const missing = await run(cwd, 'plan', '--stack', uniqueStack('rs'), '--state', `s3://${bucket}-none/x`);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/does not exist/);
    const bad = await run(cwd, 'plan', '--state', 's3://Not_A_Bucket/x');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--state s3:\/\/Not_A_Bucket\/x: "Not_A_Bucket" is not a valid S3 bucket name/);
  });
});

describe('several stacks from one config', () => {
  it('dev and prod coexist, each plan/status names its stack and account, and they are removed independently', async () => {
    const cwd = workdir();
    const base = uniqueStack('ms').slice(0, 9);
    writeFileSync(join(cwd, 'wpdeploy.yml'), [
      `stack: ${base}`,
      `state: s3://${bucket}/multi`,
      'stacks:',
      '  dev:',
      '    network: { natGateways: single, cidr: 10.30.0.0/16 }',
      '    database: { multiAz: false }',
      '  prod:',
      '    accountId: "123456789012"',
      '',
    ].join('\n'));
    const none = await run(cwd, 'plan');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/choose one with --stack/);
    for (const key of ['dev', 'prod']) {
      const up = await run(cwd, 'up', '--stack', key);
      expect(up.code, up.stderr).toBe(0);
    }
    const dev = JSON.parse((await object(`multi/${base}-dev.json`))!);
    const prod = JSON.parse((await object(`multi/${base}-prod.json`))!);
    expect(Object.keys(dev.steps).filter((s) => s.startsWith('nat-'))).toHaveLength(1);
    expect(Object.keys(prod.steps).filter((s) => s.startsWith('nat-'))).toHaveLength(2);
    expect(dev.steps.vpc.id).not.toBe(prod.steps.vpc.id);
    const status = await run(cwd, 'status', '--stack', 'prod');
    expect(status.stdout).toContain(`Stack ${base}-prod in us-east-1 (account 123456789012)`);
    const down = await run(cwd, 'down', '--stack', 'dev', '--yes', '--purge');
    expect(down.code, down.stderr).toBe(0);
    expect(await object(`multi/${base}-dev.json`)).toBeUndefined();
    const check = await run(cwd, 'status', '--stack', 'prod', '--check');
    expect(check.code, check.stdout).toBe(0);
    expect((await run(cwd, 'down', '--stack', 'prod', '--yes', '--purge')).code).toBe(0);
    expect(await object(`multi/${base}-prod.json`)).toBeUndefined();
  });

  it('a config pinned to another account is refused before any change (exit 2)', async () => {
    const cwd = workdir();
    writeFileSync(join(cwd, 'wpdeploy.yml'), `stack: ${uniqueStack('acct')}\naccountId: "999999999999"\n`);
    proxy.reset();
    const up = await run(cwd, 'up');
    expect(up.code).toBe(2);
    expect(up.stderr).toMatch(/belongs to AWS account 999999999999.*credentials are for account 123456789012/);
    expect(stackMutations()).toEqual([]);
    expect(existsSync(join(cwd, 'state'))).toBe(false);
    // Under --detailed-exitcode, 2 means "changes": a refusal is then 1.
    const plan = await run(cwd, 'plan', '--detailed-exitcode');
    expect(plan.code).toBe(1);
    expect(plan.stderr).toMatch(/999999999999/);
  });
});
