/**
 * IAM by simulation. The built CLI runs a stack with a domain and the RDS Proxy through the strict
 * proxy: up, a second up that changes nothing, an up that repairs a mount target's security groups,
 * plan, status, logs, down (keeping the data), and down --purge. Every call it makes is recorded and
 * evaluated, with the permissions AWS checks behind it (iam/implied-permissions.json), against
 * iam/wpdeploy-policy.json by a real IAM policy evaluator (test/support/iam-simulation.ts): every
 * call must be allowed, every statement of the policy must allow some call, and every action granted
 * beyond the calls themselves must be requested. The emulator authorizes nothing; this is the
 * evidence that the policy the README tells a CI role to use lets wpdeploy do its work on AWS.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { DescribeFileSystemsCommand, DescribeMountTargetsCommand, ModifyMountTargetSecurityGroupsCommand } from '@aws-sdk/client-efs';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AwsCall, AwsProxy } from '../support/aws-proxy.js';
import { startStrictProxy, type OrderingRules } from '../support/aws-rules.js';
import { ec2, efs } from '../support/aws.js';
import { runCli, uniqueStack, workdir } from '../support/cli.js';
import { describeVerdict, simulateCalls, type CallSimulation, type PolicyDocument } from '../support/iam-simulation.js';

const moto = inject('motoEndpoint');
const ACCOUNT = '123456789012';
const policy = JSON.parse(readFileSync(new URL('../../iam/wpdeploy-policy.json', import.meta.url), 'utf8')) as PolicyDocument;

let proxy: AwsProxy & { rules: OrderingRules };

beforeAll(async () => {
  proxy = await startStrictProxy(moto);
});
afterAll(async () => {
  await proxy.close();
});

describe('the IAM policy, by simulation of every call of a whole life cycle (domain, RDS Proxy)', () => {
  const stack = uniqueStack('iam');
  const zone = `${stack}.example.com`;
  const cwd = workdir();
  const calls: AwsCall[] = [];
  let simulation: CallSimulation;

  beforeAll(async () => {
    await new Route53Client({ endpoint: moto, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })
      .send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `${stack}-${Date.now()}` }));
    writeFileSync(join(cwd, 'wpdeploy.yml'), [
      `stack: ${stack}`, 'domain:', `  name: www.${zone}`, `  hostedZone: ${zone}`, 'database:', '  proxy: true',
    ].join('\n') + '\n');
  });

  const run = async (...args: string[]) => {
    proxy.reset();
    const r = await runCli(args, { cwd, endpoint: proxy.url });
    expect(r.code, `wpdeploy ${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(0);
    calls.push(...proxy.calls);
    return proxy.calls;
  };

  it('up, up again, up repairing drift, plan, status, logs, down, down --purge all succeed through the strict proxy', async () => {
    await run('up');
    expect((await run('up')).filter((c) => c.mutating).map((c) => c.operation), 'the second up changes nothing').toEqual([]);
    // Drift that only a permission behind a call repairs: a mount target's groups (ec2:ModifyNetworkInterfaceAttribute).
    const efsClient = efs(moto);
    const fs = (await efsClient.send(new DescribeFileSystemsCommand({}))).FileSystems!.find((f) => f.Tags?.some((t) => t.Key === 'wpdeploy:stack' && t.Value === stack))!;
    const mt = (await efsClient.send(new DescribeMountTargetsCommand({ FileSystemId: fs.FileSystemId }))).MountTargets![0]!;
    const vpcDefault = (await ec2(moto).send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [mt.VpcId!] }, { Name: 'group-name', Values: ['default'] }] }))).SecurityGroups![0]!;
    await efsClient.send(new ModifyMountTargetSecurityGroupsCommand({ MountTargetId: mt.MountTargetId, SecurityGroups: [vpcDefault.GroupId!] }));
    expect((await run('up')).filter((c) => c.mutating).map((c) => c.operation)).toContain('PUT /2015-02-01/mount-targets/' + mt.MountTargetId + '/security-groups');
    for (const args of [['plan'], ['status'], ['logs', '--since', '5m'], ['down', '--yes'], ['down', '--yes', '--purge']]) await run(...args);
    expect(proxy.rules.lookupErrors).toEqual([]);
    simulation = await simulateCalls(calls, policy, ACCOUNT);
    if (process.env.WPDEPLOY_IAM_DUMP) writeFileSync(process.env.WPDEPLOY_IAM_DUMP, simulation.verdicts.map(describeVerdict).join('\n'));
  }, 600_000);

  it('every call maps to IAM requests (operation, action, resource ARN)', () => {
    expect(calls.length).toBeGreaterThan(200);
    expect(simulation.underived).toEqual([]);
  });

  it('every call is allowed, with the permissions AWS checks behind it', () => {
    const denied = simulation.verdicts.filter((v) => v.result !== 'Allowed').map(describeVerdict);
    expect(denied).toEqual([]);
    // The permissions behind the calls were evaluated too: roles passed, service-linked roles, interfaces, alarms.
    const behind = new Set(simulation.verdicts.filter((v) => v.request.origin.includes('(')).map((v) => v.request.action));
    for (const a of ['iam:PassRole', 'iam:CreateServiceLinkedRole', 'ec2:CreateNetworkInterface', 'ec2:DeleteNetworkInterface', 'cloudwatch:PutMetricAlarm']) {
      expect(behind, a).toContain(a);
    }
  });

  it('every statement of the policy allows some call, and every action granted beyond the calls themselves is used', () => {
    const used = new Set(simulation.verdicts.flatMap((v) => v.statements));
    expect(policy.Statement.map((s) => s.Sid).filter((sid) => !used.has(sid!))).toEqual([]);
    const direct = new Set(['WpdeployCalls', 'OnlyWpdeployRoles', 'FindRolesByPath']);
    const requested = new Set(simulation.verdicts.filter((v) => v.result === 'Allowed').map((v) => v.request.action));
    const unusedBehind = policy.Statement.filter((s) => !direct.has(s.Sid!)).flatMap((s) => [s.Action].flat().filter((a) => !requested.has(a)).map((a) => `${s.Sid}: ${a}`));
    expect(unusedBehind).toEqual([]);
  });
});
