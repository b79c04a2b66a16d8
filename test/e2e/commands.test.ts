/**
 * What a person does with what wpdeploy prints: the commands it suggests are pasted into the same
 * shell and must act on the same stack; an unknown stack is an error, not a success; `up --json` and
 * `wpdeploy outputs` carry the stack's outputs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { strictProxyForFile } from '../support/strict-proxy.js';
import { runCli, startCli, uniqueStack, workdir, type CliResult } from '../support/cli.js';
import { inventory } from '../support/inventory.js';
import { paste, printedCommands } from '../support/paste.js';

const moto = inject('motoEndpoint');
const proxy = strictProxyForFile(moto);

const all = (...rs: CliResult[]) => rs.map((r) => r.stdout + r.stderr).join('\n');

describe('the commands wpdeploy prints, pasted in the same shell', () => {
  it('resume after Ctrl-C, then "remove it too" after down: each carries -c, --stack and --state, and acts on the same stack', async () => {
    const stack = uniqueStack('paste');
    const cwd = workdir();
    // A config whose network differs from the default: a pasted command without -c would plan a new VPC.
    writeFileSync(join(cwd, 'my.yml'), 'network:\n  cidr: 10.42.0.0/16\n  flowLogs: false\n');
    const target = ['-c', 'my.yml', '--stack', stack, '--state', 'my state'];
    const cli = startCli(['up', ...target], { cwd, endpoint: proxy().url });
    let sent = false;
    cli.onStderr((text) => {
      if (!sent && (text.match(/: created /g) ?? []).length >= 3) {
        sent = true;
        cli.child.kill('SIGINT');
      }
    });
    const interrupted = await cli.done;
    expect(interrupted.code, interrupted.stderr).toBe(130);
    const resume = /Run `(wpdeploy [^`]+)` again to resume/.exec(interrupted.stdout)?.[1];
    expect(resume).toBe(`wpdeploy up --stack ${stack} -c my.yml --state 'my state'`);

    const resumed = await paste(resume!, { cwd, endpoint: proxy().url });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`Stack ${stack} is up to date`);
    const state = JSON.parse(readFileSync(join(cwd, 'my state', `${stack}.json`), 'utf8'));
    expect(Object.keys(state.steps)).toContain('ecs-service');
    expect(existsSync(join(cwd, 'state')), 'nothing went to the default state directory').toBe(false);

    const down = await runCli(['down', '--yes', ...target], { cwd, endpoint: proxy().url });
    expect(down.code, down.stderr).toBe(0);
    const purge = /Remove it too with: (.+)$/m.exec(down.stdout)?.[1];
    expect(purge).toBe(`wpdeploy down --purge --stack ${stack} -c my.yml --state 'my state'`);
    expect((await inventory(moto, stack)).size, 'down kept the data').toBeGreaterThan(0);
    // Pasted in a terminal, down --purge asks for the stack's name: typing it removes the data too.
    const purged = await paste(purge!, { cwd, endpoint: proxy().url, answer: { prompt: /Type the stack's name/, text: stack } });
    expect(purged.code, purged.stdout).toBe(0);
    expect([...(await inventory(moto, stack)).keys()]).toEqual([]);
    expect(existsSync(join(cwd, 'my state', `${stack}.json`))).toBe(false);

    // Every command printed on the way names the same target.
    const printed = printedCommands(all(interrupted, resumed, down, purged));
    expect(printed.length).toBeGreaterThanOrEqual(3);
    for (const c of printed) expect(c, c).toMatch(new RegExp(`--stack ${stack} -c my\\.yml(?: .*)? --state 'my state'`));
  });

  it('the unlock hint breaks the lock of a run that is gone, and the next up goes ahead', async () => {
    const stack = uniqueStack('unlock');
    const cwd = workdir();
    const old = new Date(Date.now() - 60 * 60_000).toISOString();
    const lock = { id: '4d1f5a0e-0000-4000-8000-00000000000a', stack, owner: 'ci', pid: 4242, host: 'runner-gone', command: 'up', startedAt: old, renewedAt: old };
    writeFileSync(join(cwd, `${stack}.lock`), JSON.stringify(lock));
    const refused = await runCli(['up', '--stack', stack, '--state', '.'], { cwd, endpoint: proxy().url });
    expect(refused.code).toBe(1);
    const unlock = printedCommands(refused.stderr).find((c) => c.startsWith('wpdeploy unlock'));
    expect(unlock).toBe(`wpdeploy unlock ${lock.id} --stack ${stack} --state .`);
    const unlocked = await paste(unlock!, { cwd, endpoint: proxy().url });
    expect(unlocked.code, unlocked.stderr).toBe(0);
    expect(existsSync(join(cwd, `${stack}.lock`))).toBe(false);
    proxy().reset();
    const plan = await runCli(['plan', '--stack', stack, '--state', '.'], { cwd, endpoint: proxy().url });
    expect(plan.code, plan.stderr).toBe(0);
  });
});

describe('a stack that does not exist', () => {
  const cwd = workdir();
  const other = uniqueStack('exists');

  beforeAll(async () => {
    // Another stack's state in the same place, for the message to name.
    writeFileSync(join(cwd, 'wpdeploy.yml'), 'network:\n  flowLogs: false\n');
    expect((await runCli(['up', '--stack', other, '--state', 'st'], { cwd, endpoint: proxy().url })).code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    expect((await runCli(['down', '--yes', '--purge', '--stack', other, '--state', 'st'], { cwd, endpoint: proxy().url })).code).toBe(0);
  }, 120_000);

  it('down --stack neverwas: exit 1, names the region, account and state, lists the stacks there, changes nothing', async () => {
    proxy().reset();
    const r = await runCli(['down', '--yes', '--stack', 'neverwas', '--state', 'st'], { cwd, endpoint: proxy().url });
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr).toContain(`no stack named neverwas in us-east-1/123456789012 (state: ${join(cwd, 'st', 'neverwas.json')})`);
    expect(r.stderr).toContain(`Stacks with a state in ${join(cwd, 'st')}/: ${other}`);
    expect(r.stdout).not.toMatch(/removed/);
    expect(proxy().mutating().map((c) => c.operation)).toEqual([]);
    // The command it offers shows the stack that is there.
    const offered = printedCommands(r.stderr);
    expect(offered).toEqual([`wpdeploy status --stack ${other} --state st`]);
    const shown = await paste(offered[0]!, { cwd, endpoint: proxy().url });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`Stack ${other} in us-east-1`);
  });

  it('status --stack nothinghere: exit 1 with the same message, also with --json', async () => {
    const r = await runCli(['status', '--stack', 'nothinghere', '--state', 'st'], { cwd, endpoint: proxy().url });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no stack named nothinghere in us-east-1/123456789012');
    expect(r.stdout).not.toContain('absent');
    const j = await runCli(['status', '--json', '--stack', 'nothinghere', '--state', 'st'], { cwd, endpoint: proxy().url });
    expect(j.code).toBe(1);
    expect(JSON.parse(j.stdout.trim().split('\n').pop()!)).toMatchObject({ type: 'error', exitCode: 1 });
    // (control) the stack that exists is found.
    expect((await runCli(['status', '--stack', other, '--state', 'st'], { cwd, endpoint: proxy().url })).code).toBe(0);
  });

  it('up --json ends with the outputs, and `wpdeploy outputs --json` prints the same, from state (from AWS for what state lacks)', async () => {
    const up = await runCli(['up', '--json', '--stack', other, '--state', 'st'], { cwd, endpoint: proxy().url });
    expect(up.code, up.stderr).toBe(0);
    const done = up.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.type === 'run-done');
    expect(done.outputs).toMatchObject({
      siteUrl: expect.stringMatching(/^http:\/\/.+elb\.amazonaws\.com$/), albDnsName: expect.any(String),
      database: { endpoint: expect.stringContaining('.rds.amazonaws.com'), port: '3306' },
      cluster: `${other}-cluster`, service: `${other}-wordpress`, logGroup: `/wpdeploy/${other}/wordpress`,
    });
    proxy().reset();
    const out = await runCli(['outputs', '--json', '--stack', other, '--state', 'st'], { cwd, endpoint: proxy().url });
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual({ stack: other, region: 'us-east-1', account: '123456789012', ...done.outputs });
    expect(proxy().calls.map((c) => c.operation), 'state has every output: one identity call only').toEqual(['GetCallerIdentity']);
    // A state that lacks a step's outputs (an older state, a run stopped early): read from AWS instead.
    const file = join(cwd, 'st', `${other}.json`);
    const state = JSON.parse(readFileSync(file, 'utf8'));
    delete state.steps.alb.outputs;
    writeFileSync(file, JSON.stringify(state));
    proxy().reset();
    const fromAws = await runCli(['outputs', '--json', '--stack', other, '--state', 'st'], { cwd, endpoint: proxy().url });
    expect(fromAws.code, fromAws.stderr).toBe(0);
    expect(JSON.parse(fromAws.stdout)).toEqual({ stack: other, region: 'us-east-1', account: '123456789012', ...done.outputs });
    expect(proxy().calls.map((c) => c.operation)).toContain('DescribeLoadBalancers');
    expect(proxy().mutating()).toEqual([]);
    const text = await runCli(['outputs', '--stack', other, '--state', 'st'], { cwd, endpoint: proxy().url });
    expect(text.stdout).toContain(`Site:           ${done.outputs.siteUrl}`);
    const none = await runCli(['outputs', '--stack', 'nothinghere', '--state', 'st'], { cwd, endpoint: proxy().url });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no stack named nothinghere');
  });
});
