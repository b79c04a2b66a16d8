/**
 * Safety before changes: in a terminal `up` shows the plan and asks; without one it refuses to delete
 * or replace unless --yes; `down --purge` wants the stack's name; `plan -o` saves a plan that
 * `up --plan` applies exactly, or refuses once the config or the state changed. The recording proxy
 * counts the mutating calls.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudWatchLogsClient, DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { strictProxyForFile } from '../support/strict-proxy.js';
import { runCli, uniqueStack, workdir } from '../support/cli.js';
import { inventory } from '../support/inventory.js';
import { runInTerminal } from '../support/terminal.js';

const moto = inject('motoEndpoint');
const proxy = strictProxyForFile(moto);

const APPLY = /Apply\? \(yes\/no\)/;

describe('in a terminal (80x24)', () => {
  const stack = uniqueStack('ask');
  const cwd = workdir();
  const terminal = (...args: string[]) => runInTerminal([...args, '--stack', stack], { cwd, endpoint: proxy().url, cols: 80, rows: 24 });
  afterAll(async () => {
    expect((await runCli(['down', '--yes', '--purge', '--stack', stack], { cwd, endpoint: proxy().url })).code).toBe(0);
  }, 120_000);

  it('up shows the plan with the cost before -> after, and "no" exits 1 with zero mutating calls', async () => {
    proxy().reset();
    const t = terminal('up');
    await t.waitFor(APPLY);
    t.type('no\r');
    const r = await t.done;
    expect(r.code, r.screen.join('\n')).toBe(1);
    const all = r.history.join('\n');
    expect(all).toMatch(/\+ create {2}vpc\n {6}cidr: 10\.20\.0\.0\/16/);
    // The one unchanged step is the engine version's check, a lookup.
    expect(all).toMatch(/Plan: \d+ to create, 0 to update, 0 to replace, 0 to delete, 1 unchanged\./);
    expect(all).toMatch(/Monthly cost: \$0\.00 -> \$\d+\.\d\d/);
    expect(r.screen.join('\n')).toContain('up cancelled: nothing was changed.');
    expect(proxy().reads().length).toBeGreaterThan(0);
    expect(proxy().mutating().map((c) => c.operation)).toEqual([]);
  });

  it('"yes" applies what was shown; the next up has nothing to ask', async () => {
    const t = terminal('up');
    await t.waitFor(APPLY);
    t.type('yes\r');
    const r = await t.done;
    expect(r.code, r.screen.join('\n')).toBe(0);
    // Printed (whether it stays on screen under the live display is the terminal tests' concern).
    expect(r.raw).toContain(`Stack ${stack} is up to date`);
    expect(JSON.parse(readFileSync(join(cwd, 'state', `${stack}.json`), 'utf8')).steps['ecs-service']).toBeDefined();
    proxy().reset();
    const again = await terminal('up').done;
    expect(again.history.join('\n')).not.toMatch(APPLY);
    expect(again.history.join('\n')).toMatch(/No changes: stack \S+ is up to date/);
    expect(again.code).toBe(0);
    expect(proxy().mutating()).toEqual([]);
  });

  it('down --purge asks for the stack\'s name: "yes" is not enough', async () => {
    proxy().reset();
    const t = terminal('down', '--purge');
    await t.waitFor(/Type the stack's name \(\S+\)/);
    t.type('yes\r');
    const r = await t.done;
    expect(r.code).toBe(1);
    expect(r.screen.join('\n')).toContain('down cancelled: nothing was changed.');
    expect(proxy().calls).toEqual([]);
    expect((await inventory(moto, stack)).size).toBeGreaterThan(0);
  });
});

describe('without a terminal', () => {
  it('up goes ahead with creates, refuses a delete before any change unless --yes', async () => {
    const stack = uniqueStack('guard');
    const cwd = workdir();
    const run = (...args: string[]) => runCli([...args, '--stack', stack], { cwd, endpoint: proxy().url });
    expect((await run('up')).code, 'creates go ahead, as in CI').toBe(0);
    writeFileSync(join(cwd, 'wpdeploy.yml'), 'network:\n  flowLogs: false\n');
    proxy().reset();
    const refused = await run('up');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/up would delete flow-logs-group, flow-logs-role, flow-log|up would delete flow-log/);
    expect(refused.stderr).toContain(`\`wpdeploy up --yes --stack ${stack}\``);
    expect(proxy().mutating().map((c) => c.operation)).toEqual([]);
    const plan = await run('plan');
    expect(plan.stdout).toMatch(/- delete {2}flow-log /);
    expect(plan.stdout).not.toMatch(/= same/);
    expect((await run('plan', '--all')).stdout).toMatch(/= same {4}vpc /);
    const yes = await run('up', '--yes');
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.stdout).toMatch(/3 deleted/);
    expect((await run('down', '--yes', '--purge')).code).toBe(0);
  });
});

describe('plan -o, then up --plan', () => {
  it('applies exactly the saved plan; refuses it once the config or the state changed, with zero mutating calls', async () => {
    const stack = uniqueStack('saved');
    const cwd = workdir();
    const run = (...args: string[]) => runCli([...args, '--stack', stack], { cwd, endpoint: proxy().url });
    const first = await run('plan', '-o', 'first.json');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`\`wpdeploy up --plan first.json --stack ${stack}\``);
    const saved = JSON.parse(readFileSync(join(cwd, 'first.json'), 'utf8'));
    // Everything is a create but the engine version's check, a lookup.
    expect(saved.items.filter((i: { op: string }) => i.op !== 'create').map((i: { step: string; op: string }) => `${i.step} ${i.op}`)).toEqual(['db-engine-version same']);

    // The config changed since: refused.
    writeFileSync(join(cwd, 'wpdeploy.yml'), 'network:\n  flowLogs: false\n');
    proxy().reset();
    const stale = await run('up', '--plan', 'first.json');
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('the config changed since it was made');
    expect(proxy().mutating()).toEqual([]);

    const plan = await run('plan', '-o', 'plan.json');
    expect(plan.code).toBe(0);
    const applied = await run('up', '--plan', 'plan.json');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/Stack \S+ is up to date after .*: \d+ created/);

    // Applied once, the state it was planned from has changed: a second apply is refused.
    proxy().reset();
    const again = await run('up', '--plan', 'plan.json');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('the stack\'s state changed since it was made');
    expect(proxy().mutating()).toEqual([]);

    // A resource changed outside wpdeploy since the plan (same config, same state): refused too.
    expect((await run('plan', '-o', 'noop.json')).code).toBe(0);
    const logs = new CloudWatchLogsClient({ endpoint: moto, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    await logs.send(new DeleteLogGroupCommand({ logGroupName: `/wpdeploy/${stack}/wordpress` }));
    proxy().reset();
    const drifted = await run('up', '--plan', 'noop.json');
    expect(drifted.code).toBe(1);
    expect(drifted.stderr).toContain('app-log-group: planned same, now create');
    expect(proxy().mutating()).toEqual([]);
    expect((await run('down', '--yes', '--purge')).code).toBe(0);
  });

  it('a file that is not a plan is bad usage: exit 2, no AWS call', async () => {
    const cwd = workdir();
    writeFileSync(join(cwd, 'x.json'), '{"hello": 1}');
    proxy().reset();
    const r = await runCli(['up', '--plan', 'x.json', '--stack', 'noplan'], { cwd, endpoint: proxy().url });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not a plan saved by wpdeploy');
    expect(proxy().calls).toEqual([]);
  });
});
