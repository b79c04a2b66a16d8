/**
 * What wpdeploy does when things go wrong: a killed process, a lost response, Ctrl-C, flaky AWS.
 * Each case ends by counting what the emulator holds per step: never two of anything.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startStrictProxy } from '../support/aws-rules.js';
import { runCli, startCli, uniqueStack, workdir } from '../support/cli.js';
import { duplicates, inventory } from '../support/inventory.js';
import { loseAnswers, prng } from '../support/lost-answers.js';
import type { AwsCall } from '../support/aws-proxy.js';

const moto = inject('motoEndpoint');
let proxy: Awaited<ReturnType<typeof startStrictProxy>>;
beforeAll(async () => {
  proxy = await startStrictProxy(moto);
});
afterAll(async () => {
  proxy.rewrite(undefined);
  await proxy.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function purge(stack: string, cwd: string) {
  proxy.intercept(undefined);
  const r = await runCli(['down', '--purge', '--yes', '--stack', stack], { cwd, endpoint: proxy.url });
  expect(r.code, r.stderr + r.stdout).toBe(0);
  expect([...(await inventory(moto, stack)).keys()]).toEqual([]);
}

describe('a killed process', () => {
  it.each([0.1, 0.5, 0.9])('up killed with SIGKILL after %s of its steps converges on the next run, with one of each resource', async (share) => {
    const stack = uniqueStack(`kill${share * 10}`);
    const cwd = workdir();
    const cli = startCli(['up', '--json', '--stack', stack], { cwd, endpoint: proxy.url });
    let done = 0;
    let k = Infinity;
    cli.onLine((l) => {
      const e = JSON.parse(l);
      if (e.type === 'run-start') k = Math.max(1, Math.floor(e.steps.length * share));
      if (e.type === 'step-done' && ++done === k) cli.child.kill('SIGKILL');
    });
    const killed = await cli.done;
    expect(killed.code, 'the first run was killed mid-way').toBe(137);
    const state = JSON.parse(readFileSync(join(cwd, 'state', `${stack}.json`), 'utf8'));
    expect(Object.keys(state.steps).length).toBeGreaterThanOrEqual(k);

    const again = await runCli(['up', '--stack', stack], { cwd, endpoint: proxy.url });
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(duplicates(await inventory(moto, stack))).toEqual({});
    proxy.reset();
    expect((await runCli(['up', '--stack', stack], { cwd, endpoint: proxy.url })).code).toBe(0);
    expect(proxy.mutating()).toEqual([]);
    await purge(stack, cwd);
  });

  it('up killed at every step boundary in turn (one step at a time, each rerun one step further) ends with exactly one of each resource', async () => {
    const stack = uniqueStack('everykill');
    const cwd = workdir();
    let kills = 0;
    let changing = 0;
    for (let run = 0; run < 200; run++) {
      const cli = startCli(['up', '--json', '--concurrency', '1', '--stack', stack], { cwd, endpoint: proxy.url });
      let killed = false;
      cli.onLine((l) => {
        const e = JSON.parse(l);
        // the first step this run changes: kill right after it is recorded
        if (!killed && e.type === 'step-done' && e.op !== 'same') {
          killed = true;
          cli.child.kill('SIGKILL');
        }
      });
      const r = await cli.done;
      if (run === 0) changing = JSON.parse(r.stdout.split('\n')[0]!).steps.length; // a fresh stack: every step changes
      if (!killed) {
        expect(r.code, r.stderr).toBe(0);
        break;
      }
      kills++;
    }
    // about one kill per step (a step may slip through while the signal is delivered)
    expect(kills, `${kills} kills for ${changing} steps`).toBeGreaterThanOrEqual(Math.floor(changing * 0.8));
    expect(duplicates(await inventory(moto, stack))).toEqual({});
    proxy.reset();
    expect((await runCli(['up', '--stack', stack], { cwd, endpoint: proxy.url })).code).toBe(0);
    expect(proxy.mutating()).toEqual([]);
    await purge(stack, cwd);
  }, 900_000);

  it('up killed at random moments while AWS is slow still converges', async () => {
    const stack = uniqueStack('randkill');
    const cwd = workdir();
    const random = prng(7);
    // The kill lands while the proxy holds the n-th AWS call after the run started, n random up to
    // 60: mid-run always, since even an up with nothing to do makes more calls than that.
    let kill: (() => void) | undefined;
    proxy.intercept(async () => {
      await sleep(30);
      kill?.();
      return undefined;
    });
    const statePath = join(cwd, 'state', `${stack}.json`);
    let recorded = 0;
    for (let i = 0; i < 4; i++) {
      const cli = startCli(['up', '--json', '--stack', stack], { cwd, endpoint: proxy.url });
      let left = 1 + Math.floor(random() * 60);
      cli.onLine((l) => {
        if ((JSON.parse(l) as { type: string }).type !== 'run-start') return;
        kill = () => {
          if (--left === 0) cli.child.kill('SIGKILL');
        };
      });
      const r = await cli.done;
      kill = undefined;
      // Killed mid-run: by the signal, before the run's end, after it had started work.
      expect(r.code, `run ${i}: ${r.stderr}${r.stdout.split('\n').slice(-3).join('\n')}`).toBe(137);
      const events = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string });
      expect(events.some((e) => e.type === 'run-start'), `run ${i} started`).toBe(true);
      expect(events.some((e) => e.type === 'run-done'), `run ${i} did not get to its end`).toBe(false);
      // What it recorded is whole (a state file is replaced, never half written), and never less than before.
      const steps = existsSync(statePath) ? Object.keys((JSON.parse(readFileSync(statePath, 'utf8')) as { steps: object }).steps).length : 0;
      expect(steps).toBeGreaterThanOrEqual(recorded);
      recorded = steps;
    }
    proxy.intercept(undefined);
    expect(recorded, 'the killed runs got somewhere').toBeGreaterThan(0);
    const r = await runCli(['up', '--stack', stack], { cwd, endpoint: proxy.url });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(duplicates(await inventory(moto, stack))).toEqual({});
    await purge(stack, cwd);
  }, 600_000);

  it('down killed with SIGKILL mid-way is finished by the next down', async () => {
    const stack = uniqueStack('killdown');
    const cwd = workdir();
    expect((await runCli(['up', '--stack', stack], { cwd, endpoint: proxy.url })).code).toBe(0);
    const cli = startCli(['down', '--purge', '--yes', '--json', '--stack', stack], { cwd, endpoint: proxy.url });
    let done = 0;
    cli.onLine((l) => {
      if (l.includes('"type":"step-done"') && ++done === 12) cli.child.kill('SIGKILL');
    });
    expect((await cli.done).code).toBe(137);
    await purge(stack, cwd);
  });
});

describe('a lost response', () => {
  it('a create whose response never arrives leaves no duplicate: the twin is found by its tags and removed', async () => {
    const stack = uniqueStack('lost');
    const cwd = workdir();
    const lostOps = new Set<string>();
    // The emulator creates the VPC and the first subnet, but the CLI is told the call failed: it retries.
    proxy.rewrite((call: AwsCall) => {
      if ((call.operation === 'CreateVpc' || call.operation === 'CreateSubnet') && call.body.includes(encodeURIComponent(stack)) && !lostOps.has(call.operation)) {
        lostOps.add(call.operation);
        return { status: 503, body: '<Response><Errors><Error><Code>ServiceUnavailable</Code><Message>lost</Message></Error></Errors></Response>' };
      }
      return undefined;
    });
    const r = await runCli(['up', '--stack', stack], { cwd, endpoint: proxy.url });
    proxy.rewrite(undefined);
    expect([...lostOps].sort()).toEqual(['CreateSubnet', 'CreateVpc']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toMatch(/deleting duplicate vpc vpc-/);
    expect(r.stderr, 'a subnet cannot be made twice: the retry meets it, and it is taken').toMatch(/subnet subnet-\S+ already existed with this step's tags/);
    expect(duplicates(await inventory(moto, stack))).toEqual({});
    await purge(stack, cwd);
  });
});

describe('Ctrl-C', () => {
  it('the first SIGINT finishes the calls in flight, saves the state and exits 130 with the command to resume', async () => {
    const stack = uniqueStack('sigint');
    const cwd = workdir();
    proxy.intercept(async () => {
      await sleep(40); // a slower AWS, so there is a "mid-way"
      return undefined;
    });
    const cli = startCli(['up', '--json', '--stack', stack], { cwd, endpoint: proxy.url });
    let done = 0;
    cli.onLine((l) => {
      if (l.includes('"type":"step-done"') && ++done === 5) cli.child.kill('SIGINT');
    });
    const r = await cli.done;
    proxy.intercept(undefined);
    expect(r.code).toBe(130);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ type: 'run-done', ok: false, interrupted: true });
    expect(events.some((e) => e.type === 'step-skipped' && e.reason === 'interrupted')).toBe(true);
    const state = JSON.parse(readFileSync(join(cwd, 'state', `${stack}.json`), 'utf8'));
    for (const [id, st] of Object.entries(state.steps)) expect((st as { pending?: unknown }).pending, `${id} settled`).toBeUndefined();

    const plain = await runCli(['up', '--stack', stack], { cwd, endpoint: proxy.url });
    expect(plain.code, plain.stderr).toBe(0);
    expect(duplicates(await inventory(moto, stack))).toEqual({});
    await purge(stack, cwd);
  });

  it('in plain mode it prints the command to resume', async () => {
    const stack = uniqueStack('sigint2');
    const cwd = workdir();
    proxy.intercept(async () => {
      await sleep(40);
      return undefined;
    });
    const cli = startCli(['up', '--stack', stack], { cwd, endpoint: proxy.url });
    let sent = false;
    cli.onStderr((all) => {
      if (!sent && (all.match(/: created /g) ?? []).length >= 3) {
        sent = true;
        cli.child.kill('SIGINT');
      }
    });
    const r = await cli.done;
    proxy.intercept(undefined);
    expect(r.code).toBe(130);
    expect(r.stdout).toContain(`Run \`wpdeploy up --stack ${stack}\` again to resume.`);
    await purge(stack, cwd);
  });
});

describe('flaky AWS', () => {
  it('with 15% of calls throttled or failing with 5xx, up and down still converge with no duplicates and no leftovers', async () => {
    const stack = uniqueStack('flaky');
    const cwd = workdir();
    const random = prng(42);
    let injected = 0;
    proxy.intercept((call) => {
      if (random() >= 0.15) return undefined;
      injected++;
      if (call.service === 'ec2') {
        return random() < 0.5
          ? { status: 503, body: '<Response><Errors><Error><Code>Unavailable</Code><Message>injected</Message></Error></Errors></Response>' }
          : { status: 503, body: '<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>injected</Message></Error></Errors></Response>' };
      }
      return { status: 500, body: '{"__type":"InternalFailure","message":"injected"}', headers: { 'content-type': 'application/x-amz-json-1.1' } };
    });
    const up = await runCli(['up', '--stack', stack], { cwd, endpoint: proxy.url });
    expect(up.code, up.stderr + up.stdout).toBe(0);
    expect(duplicates(await inventory(moto, stack))).toEqual({});
    const down = await runCli(['down', '--purge', '--yes', '--stack', stack], { cwd, endpoint: proxy.url });
    proxy.intercept(undefined);
    expect(injected).toBeGreaterThan(10);
    expect(down.code, down.stderr + down.stdout).toBe(0);
    expect([...(await inventory(moto, stack)).keys()]).toEqual([]);
  });
});

describe('answers lost after the write was done', () => {
  // The proxy forwards the write to the emulator, which does it, then resets the connection or
  // answers 5xx: the SDK retries a write that already took effect (lost-answers.ts).
  it.each([
    { seed: 3, proxy: true },
    { seed: 8, proxy: false },
    { seed: 21, proxy: false },
  ])('with 8% of write answers lost (seed $seed, database proxy $proxy), up, down and down --purge each succeed in one run, with one of each resource', async ({ seed, proxy: dbProxy }) => {
    const stack = uniqueStack(`lost${seed}`);
    const cwd = workdir();
    const zone = `${stack}.example.com`;
    await new Route53Client({ endpoint: moto, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })
      .send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `${stack}-${Date.now()}` }));
    writeFileSync(join(cwd, 'wpdeploy.yml'), `stack: ${stack}\ndomain: { name: www.${zone}, hostedZone: ${zone} }\ndatabase: { proxy: ${dbProxy} }\n`);
    const lost = loseAnswers(seed, 0.08);
    const run = async (...args: string[]) => {
      const r = await runCli([...args, '--stack', stack], { cwd, endpoint: proxy.url });
      expect(r.code, `${args.join(' ')}: ${r.stderr}${r.stdout}\nanswers lost: ${lost.lost.join(', ')}`).toBe(0);
    };
    proxy.rewrite(lost);
    try {
      await run('up');
      const up = await inventory(moto, stack);
      expect(up.size, 'the whole stack is there').toBeGreaterThan(40);
      expect(duplicates(up)).toEqual({});
      const recorded = JSON.parse(readFileSync(join(cwd, 'state', `${stack}.json`), 'utf8')).steps as Record<string, { id?: string }>;
      for (const step of up.keys()) expect(recorded[step]?.id, `${step} is in the state`).toBeDefined();
      await run('down', '--yes');
      expect(duplicates(await inventory(moto, stack))).toEqual({});
      await run('down', '--purge', '--yes');
    } finally {
      proxy.rewrite(undefined);
    }
    expect([...(await inventory(moto, stack)).keys()]).toEqual([]);
    expect(proxy.unknown).toEqual([]);
    expect(proxy.rules.lookupErrors.map((e) => `${e.rule}: ${e.call.api} ${e.error}`)).toEqual([]);
    // 8% of some 200 writes: enough lost answers to have met creates and deletes alike.
    expect(lost.lost.length, lost.lost.join(', ')).toBeGreaterThan(6);
    expect(lost.lost.some((op) => / (Create|Put|Authorize|Allocate|Register|Request)/.test(op)), lost.lost.join(', ')).toBe(true);
    expect(lost.lost.some((op) => / (Delete|Deregister|Revoke|Release|Detach)/.test(op)), lost.lost.join(', ')).toBe(true);
  }, 900_000);
});

describe('lost state and drift', () => {
  it('with the state file lost, up adopts the stack by its tags instead of creating twins', async () => {
    const stack = uniqueStack('adopt');
    const cwd = workdir();
    expect((await runCli(['up', '--stack', stack], { cwd, endpoint: proxy.url })).code).toBe(0);
    const elsewhere = workdir();
    proxy.reset();
    const r = await runCli(['up', '--stack', stack], { cwd: elsewhere, endpoint: proxy.url });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(proxy.mutating().filter((c) => /^(Create|Allocate|Run|Register|Request)/.test(c.api)).map((c) => `${c.service} ${c.api}`)).toEqual([]);
    expect(r.stderr).toMatch(/adopted vpc vpc-/);
    expect(duplicates(await inventory(moto, stack))).toEqual({});
    await purge(stack, elsewhere);
  });

  it('a NAT gateway deleted outside wpdeploy is shown as missing, and up recreates it and repoints its route', async () => {
    const stack = uniqueStack('natgone');
    const cwd = workdir();
    expect((await runCli(['up', '--stack', stack], { cwd, endpoint: proxy.url })).code).toBe(0);
    const state = JSON.parse(readFileSync(join(cwd, 'state', `${stack}.json`), 'utf8'));
    const natId = state.steps['nat-a'].id as string;
    const { DeleteNatGatewayCommand, DescribeAddressesCommand, DescribeRouteTablesCommand, DisassociateAddressCommand } = await import('@aws-sdk/client-ec2');
    const { ec2 } = await import('../support/aws.js');
    await ec2(moto).send(new DeleteNatGatewayCommand({ NatGatewayId: natId }));
    // AWS frees the NAT's Elastic IP when the NAT is deleted; moto keeps the association: free it here.
    const eip = (await ec2(moto).send(new DescribeAddressesCommand({ AllocationIds: [state.steps['eip-nat-a'].id] }))).Addresses![0]!;
    if (eip.AssociationId) await ec2(moto).send(new DisassociateAddressCommand({ AssociationId: eip.AssociationId }));
    const status = await runCli(['status', '--check', '--stack', stack], { cwd, endpoint: proxy.url });
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(new RegExp(`nat-a .*missing \\(${natId} was deleted outside wpdeploy\\)`));
    const r = await runCli(['up', '--stack', stack], { cwd, endpoint: proxy.url });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const after = JSON.parse(readFileSync(join(cwd, 'state', `${stack}.json`), 'utf8'));
    const newNat = after.steps['nat-a'].id as string;
    expect(newNat).not.toBe(natId);
    const rt = (await ec2(moto).send(new DescribeRouteTablesCommand({ RouteTableIds: [after.steps['rt-app-a'].id] }))).RouteTables![0]!;
    expect(rt.Routes?.find((x) => x.DestinationCidrBlock === '0.0.0.0/0')?.NatGatewayId).toBe(newNat);
    expect((await runCli(['status', '--check', '--stack', stack], { cwd, endpoint: proxy.url })).code).toBe(0);
    await purge(stack, cwd);
  });
});

describe('a second Ctrl-C', () => {
  it('exits at once, and the state file is still whole', async () => {
    const stack = uniqueStack('sigint3');
    const cwd = workdir();
    proxy.intercept(async () => {
      await sleep(60);
      return undefined;
    });
    const cli = startCli(['up', '--json', '--stack', stack], { cwd, endpoint: proxy.url });
    let done = 0;
    cli.onLine((l) => {
      if (l.includes('"type":"step-done"') && ++done === 3) {
        cli.child.kill('SIGINT');
        setTimeout(() => cli.child.kill('SIGINT'), 30);
      }
    });
    const r = await cli.done;
    proxy.intercept(undefined);
    expect(r.code).toBe(130);
    expect(r.stdout).not.toMatch(/"type":"run-done"/);
    const state = JSON.parse(readFileSync(join(cwd, 'state', `${stack}.json`), 'utf8'));
    expect(state.stack).toBe(stack);
    const again = await runCli(['up', '--stack', stack], { cwd, endpoint: proxy.url });
    expect(again.code, again.stderr).toBe(0);
    expect(duplicates(await inventory(moto, stack))).toEqual({});
    await purge(stack, cwd);
  });
});
