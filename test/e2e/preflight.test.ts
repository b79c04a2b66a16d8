/**
 * The preflight, end to end: the built CLI against the emulator, through the recording proxy whose
 * account shim answers Service Quotas and the RDS catalog as AWS does (test/support/account-shim.ts),
 * with the quotas each test sets. A failed check stops `plan` and `up` before any mutating call.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
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
afterEach(() => proxy.account.quotas.clear());

const EIP = 'L-0263D0A3';

function setup(prefix: string, config = '') {
  const stack = uniqueStack(prefix);
  const cwd = workdir();
  writeFileSync(join(cwd, 'wpdeploy.yml'), `stack: ${stack}\n${config}`);
  return { stack, run: (...args: string[]) => runCli(args, { cwd, endpoint: proxy.url }) };
}

describe('preflight', () => {
  it('plan in an account with too few Elastic IPs left fails with the quota\'s name and code, before any change; up then makes no mutating call', async () => {
    // One Elastic IP allowed; the default config wants two (one NAT gateway per AZ, two AZs).
    proxy.account.quotas.set(EIP, { applied: 1, default: 5 });
    const { stack, run } = setup('pf-eip');
    proxy.reset();
    const plan = await run('plan');
    expect(plan.code, plan.stderr).toBe(1);
    expect(plan.stdout).toMatch(/quota "EC2-VPC Elastic IPs" \(ec2 L-0263D0A3\) is too low in us-east-1: this run creates 2 Elastic IPs \(eip-nat-a, eip-nat-b\)/);
    expect(plan.stdout).toContain(`--service-code ec2 --quota-code ${EIP}`);
    expect(proxy.mutating()).toEqual([]);

    proxy.reset();
    const up = await run('up');
    expect(up.code, up.stderr).toBe(1);
    expect(up.stdout).toMatch(/EC2-VPC Elastic IPs.*L-0263D0A3/);
    expect(up.stdout).toMatch(/not started|skipped/);
    expect(proxy.mutating(), JSON.stringify(proxy.mutating().map((c) => c.operation))).toEqual([]);
    expect(await stackVpcs(moto, stack)).toEqual([]);
  });

  it('an account without an applied value: the AWS default counts (GetAWSDefaultServiceQuota)', async () => {
    proxy.account.quotas.set(EIP, { applied: undefined, default: 1 });
    const { run } = setup('pf-default');
    proxy.reset();
    const plan = await run('plan');
    expect(plan.code, plan.stderr).toBe(1);
    expect(plan.stdout).toMatch(/this run creates 2 Elastic IPs \(eip-nat-a, eip-nat-b\), the account uses \d+ of 1 \(the AWS default\)/);
    expect(proxy.calls.filter((c) => c.operation === 'GetAWSDefaultServiceQuota').length).toBeGreaterThan(0);
    expect(proxy.mutating()).toEqual([]);
  });

  it('a database class RDS does not offer: plan and up fail on database.instanceClass before any change', async () => {
    const { stack, run } = setup('pf-class', 'database: { instanceClass: db.m1.small }\n');
    proxy.reset();
    const plan = await run('plan');
    expect(plan.code, plan.stderr).toBe(1);
    expect(plan.stdout).toMatch(/database\.instanceClass: RDS does not offer db\.m1\.small with mysql [\d.]+ in us-east-1/);
    expect(proxy.calls.some((c) => c.operation === 'DescribeOrderableDBInstanceOptions')).toBe(true);
    proxy.reset();
    const up = await run('up');
    expect(up.code, up.stderr).toBe(1);
    expect(up.stdout).toMatch(/does not offer db\.m1\.small/);
    expect(proxy.mutating()).toEqual([]);
    expect(await stackVpcs(moto, stack)).toEqual([]);
  });

  it('plan with a hosted zone that does not exist fails with the zone\'s check, and still plans every step', async () => {
    const { stack, run } = setup('pf-zone', 'domain: { name: www.pf-none.example.org, hostedZone: pf-none.example.org }\n');
    proxy.reset();
    const plan = await run('plan');
    expect(plan.code, plan.stderr).toBe(1);
    expect(plan.stdout).toMatch(/✗ hosted-zone: hosted zone pf-none\.example\.org was not found/);
    expect(plan.stdout).toMatch(/\+ create\s+alias-record/);
    expect(proxy.mutating()).toEqual([]);
    expect(await stackVpcs(moto, stack)).toEqual([]);
  });

  it('a normal account passes: up checks everything before its first mutating call, the checks change nothing, and a no-op up asks for no quota', async () => {
    const { run } = setup('pf-ok', 'network: { natGateways: single }\n');
    proxy.reset();
    const up = await run('up');
    expect(up.code, up.stderr).toBe(0);
    const checks = (c: { service: string; operation: string }) => c.service === 'servicequotas' || c.operation === 'DescribeOrderableDBInstanceOptions';
    const asked = proxy.calls.filter(checks);
    // Every quota the stack takes from, and the database's class.
    expect(new Set(asked.filter((c) => c.service === 'servicequotas').map((c) => JSON.parse(c.body).QuotaCode))).toEqual(new Set([EIP, 'L-F678F1CE', 'L-FE5A380F', 'L-A4707A72', 'L-53DA6B97', 'L-3032A538', 'L-7B6409FD']));
    expect(asked.some((c) => c.operation === 'DescribeOrderableDBInstanceOptions')).toBe(true);
    expect(asked.every((c) => !c.mutating)).toBe(true);
    const firstChange = proxy.calls.findIndex((c) => c.mutating);
    expect(firstChange).toBeGreaterThan(0);
    expect(proxy.calls.map((c, i) => (checks(c) ? i : -1)).filter((i) => i >= 0).every((i) => i < firstChange)).toBe(true);

    proxy.reset();
    const again = await run('up');
    expect(again.code, again.stderr).toBe(0);
    expect(proxy.mutating()).toEqual([]);
    expect(proxy.calls.filter((c) => c.service === 'servicequotas' || c.operation === 'DescribeOrderableDBInstanceOptions')).toEqual([]);

    const down = await run('down', '--yes', '--purge');
    expect(down.code, down.stderr).toBe(0);
  });
});
