/**
 * The network tier end to end: the built CLI against the emulator through the strict proxy, which
 * refuses deletes in an order AWS would refuse. What exists is read from the emulator, not the state.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AuthorizeSecurityGroupIngressCommand, DescribeAddressesCommand, DescribeFlowLogsCommand, DescribeInternetGatewaysCommand, DescribeNatGatewaysCommand, DescribeNetworkAclsCommand,
  DescribeRouteTablesCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand, type NetworkAcl, type Tag,
} from '@aws-sdk/client-ec2';
import { describe, expect, inject, it } from 'vitest';
import { strictProxyForFile } from '../support/strict-proxy.js';
import { ec2 } from '../support/aws.js';
import { runCli, uniqueStack, workdir } from '../support/cli.js';

const moto = inject('motoEndpoint');
const client = ec2(moto);
const proxy = strictProxyForFile(moto);

const stack = uniqueStack('net');
const cwd = workdir();
const CIDR = '10.42.0.0/16';
const writeConfig = (natGateways: 'perAz' | 'single') =>
  writeFileSync(join(cwd, 'wpdeploy.yml'), `stack: ${stack}\nnetwork: { cidr: ${CIDR}, azCount: 2, natGateways: ${natGateways} }\ntags: { team: web }\n`);
const run = (...args: string[]) => runCli(args, { cwd, endpoint: proxy().url });

const tagMap = (tags: Tag[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]));
const mine = <T extends { Tags?: Tag[] }>(list: T[] | undefined) => (list ?? []).filter((x) => tagMap(x.Tags)['wpdeploy:stack'] === stack);
const byStack = [{ Name: 'tag:wpdeploy:stack', Values: [stack] }];

async function held() {
  const vpcs = mine((await client.send(new DescribeVpcsCommand({ Filters: byStack }))).Vpcs);
  const vpcIds = vpcs.map((v) => v.VpcId!);
  const inVpc = vpcIds.length ? [{ Name: 'vpc-id', Values: vpcIds }] : undefined;
  return {
    vpcs,
    subnets: mine((await client.send(new DescribeSubnetsCommand({ Filters: byStack }))).Subnets),
    igws: mine((await client.send(new DescribeInternetGatewaysCommand({ Filters: byStack }))).InternetGateways),
    // moto ignores tag filters on NAT gateways: filtered by tag here
    nats: mine((await client.send(new DescribeNatGatewaysCommand({}))).NatGateways).filter((n) => n.State !== 'deleted'),
    eips: mine((await client.send(new DescribeAddressesCommand({ Filters: byStack }))).Addresses),
    routeTables: mine((await client.send(new DescribeRouteTablesCommand({ Filters: byStack }))).RouteTables),
    acls: mine((await client.send(new DescribeNetworkAclsCommand({ Filters: byStack }))).NetworkAcls).filter((a) => !a.IsDefault),
    defaultAcls: inVpc ? ((await client.send(new DescribeNetworkAclsCommand({ Filters: [...inVpc, { Name: 'default', Values: ['true'] }] }))).NetworkAcls ?? []) : [],
    groups: mine((await client.send(new DescribeSecurityGroupsCommand({ Filters: byStack }))).SecurityGroups),
    defaultGroups: inVpc ? (await client.send(new DescribeSecurityGroupsCommand({ Filters: [...inVpc, { Name: 'group-name', Values: ['default'] }] }))).SecurityGroups ?? [] : [],
    flowLogs: mine((await client.send(new DescribeFlowLogsCommand({ Filter: byStack }))).FlowLogs),
  };
}

function expectTagged(what: string, tags: Tag[] | undefined) {
  const t = tagMap(tags);
  expect(t['wpdeploy:stack'], what).toBe(stack);
  expect(t['wpdeploy:step'], what).toBeTruthy();
  expect(t.Name, what).toMatch(new RegExp(`^${stack}-`));
  expect(t.team, what).toBe('web');
}

/** Rules that let the internet (0.0.0.0/0) reach a port. */
const opensToWorld = (acl: NetworkAcl, port: number) =>
  (acl.Entries ?? []).some((e) => !e.Egress && e.RuleAction === 'allow' && e.CidrBlock === '0.0.0.0/0' && e.RuleNumber! < 32767 &&
    (e.Protocol === '-1' || (e.PortRange && e.PortRange.From! <= port && port <= e.PortRange.To!)));

describe('network tier', () => {
  it('one up builds the whole network, every piece tagged', async () => {
    writeConfig('perAz');
    const r = await run('up');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const h = await held();

    expect(h.vpcs).toHaveLength(1);
    const vpc = h.vpcs[0]!;
    expect(vpc.CidrBlock).toBe(CIDR);
    expect(h.subnets).toHaveLength(6);
    const tiers = (tier: string) => h.subnets.filter((s) => tagMap(s.Tags)['wpdeploy:step']!.startsWith(`subnet-${tier}-`));
    for (const tier of ['public', 'app', 'data']) {
      expect(new Set(tiers(tier).map((s) => s.AvailabilityZone)).size, tier).toBe(2);
    }
    expect(h.igws).toHaveLength(1);
    expect(h.igws[0]!.Attachments?.[0]?.VpcId).toBe(vpc.VpcId);
    expect(h.nats).toHaveLength(2);
    for (const n of h.nats) expect(n.State).toBe('available');
    expect(new Set(h.nats.map((n) => n.SubnetId))).toEqual(new Set(tiers('public').map((s) => s.SubnetId)));
    expect(h.eips).toHaveLength(2);
    expect(new Set(h.nats.map((n) => n.NatGatewayAddresses?.[0]?.AllocationId))).toEqual(new Set(h.eips.map((e) => e.AllocationId)));

    // routes: public -> IGW; each app subnet -> the NAT of its own AZ; data -> no internet route
    const tableOf = (subnetId: string) => h.routeTables.find((t) => t.Associations?.some((a) => a.SubnetId === subnetId))!;
    const defaultRoute = (subnetId: string) => tableOf(subnetId).Routes?.find((x) => x.DestinationCidrBlock === '0.0.0.0/0');
    for (const s of tiers('public')) expect(defaultRoute(s.SubnetId!)?.GatewayId).toBe(h.igws[0]!.InternetGatewayId);
    for (const s of tiers('app')) {
      const nat = h.nats.find((n) => n.NatGatewayId === defaultRoute(s.SubnetId!)?.NatGatewayId);
      const natSubnet = h.subnets.find((x) => x.SubnetId === nat?.SubnetId);
      expect(natSubnet?.AvailabilityZone, 'app subnet routes to the NAT of its AZ').toBe(s.AvailabilityZone);
    }
    for (const s of tiers('data')) expect(defaultRoute(s.SubnetId!)).toBeUndefined();

    // network ACLs per tier; nothing opens 22 or 3389 to the world
    expect(h.acls).toHaveLength(3);
    const aclOf = (subnetId: string) => h.acls.find((a) => a.Associations?.some((x) => x.SubnetId === subnetId))!;
    for (const s of tiers('public')) {
      expect(opensToWorld(aclOf(s.SubnetId!), 80)).toBe(true);
      expect(opensToWorld(aclOf(s.SubnetId!), 443)).toBe(true);
    }
    for (const s of [...tiers('app'), ...tiers('data')]) {
      const served = (aclOf(s.SubnetId!).Entries ?? []).filter((e) => !e.Egress && e.RuleNumber! < 32767 && e.PortRange && e.PortRange.To! - e.PortRange.From! < 1000);
      expect(served.length).toBeGreaterThan(0);
      for (const e of served) expect(e.CidrBlock, 'served ports only from inside the VPC').toBe(CIDR);
    }
    for (const a of [...h.acls, ...h.defaultAcls]) {
      expect(opensToWorld(a, 22)).toBe(false);
      expect(opensToWorld(a, 3389)).toBe(false);
    }
    expect(h.defaultAcls).toHaveLength(1);

    // security groups chained by reference
    const group = (role: string) => h.groups.find((g) => tagMap(g.Tags)['wpdeploy:step'] === `sg-${role}`)!;
    const [alb, app, db, efs] = ['alb', 'app', 'db', 'efs'].map(group);
    const ingress = (g: typeof alb) => (g!.IpPermissions ?? []).flatMap((p) => [
      ...(p.IpRanges ?? []).map((x) => `${p.FromPort} ${x.CidrIp}`),
      ...(p.UserIdGroupPairs ?? []).map((x) => `${p.FromPort} ${x.GroupId}`),
    ]).sort();
    expect(ingress(alb)).toEqual(['443 0.0.0.0/0', '80 0.0.0.0/0']);
    expect(ingress(app)).toEqual([`80 ${alb!.GroupId}`]);
    expect(ingress(db)).toEqual([`3306 ${app!.GroupId}`]);
    expect(ingress(efs)).toEqual([`2049 ${app!.GroupId}`]);
    for (const g of [db, efs]) expect(g!.IpPermissionsEgress ?? []).toEqual([]);
    expect(h.defaultGroups).toHaveLength(1);
    expect(h.defaultGroups[0]!.IpPermissions ?? []).toEqual([]);
    expect(h.defaultGroups[0]!.IpPermissionsEgress ?? []).toEqual([]);

    expect(h.flowLogs).toHaveLength(1);
    expect(h.flowLogs[0]!.ResourceId).toBe(vpc.VpcId);

    for (const [what, list] of Object.entries({ vpc: h.vpcs, subnet: h.subnets, igw: h.igws, nat: h.nats, eip: h.eips, rt: h.routeTables, acl: h.acls, sg: h.groups, flowlog: h.flowLogs })) {
      for (const x of list) expectTagged(what, (x as { Tags?: Tag[] }).Tags);
    }
  });

  it('a second up makes zero mutating calls', async () => {
    proxy().reset();
    const r = await run('up');
    expect(r.code, r.stderr).toBe(0);
    expect(proxy().mutating().map((c) => c.operation)).toEqual([]);
    expect(r.stdout).toMatch(/No changes/);
  });

  it('perAz -> single -> perAz converges each time, with no orphaned Elastic IP', async () => {
    writeConfig('single');
    // The second NAT gateway and its address go: without a terminal, a delete needs --yes.
    let r = await run('up', '--yes');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    let h = await held();
    expect(h.nats).toHaveLength(1);
    expect(h.eips).toHaveLength(1);
    for (const t of h.routeTables.filter((x) => tagMap(x.Tags)['wpdeploy:step']!.startsWith('rt-app-'))) {
      expect(t.Routes?.find((x) => x.DestinationCidrBlock === '0.0.0.0/0')?.NatGatewayId).toBe(h.nats[0]!.NatGatewayId);
    }
    // routes moved before the extra NAT went, and its address was released after it was deleted
    const ops = proxy().calls.map((c) => c.operation);
    expect(ops.indexOf('ReplaceRoute')).toBeLessThan(ops.indexOf('DeleteNatGateway'));
    expect(ops.lastIndexOf('DescribeNatGateways')).toBeGreaterThan(ops.indexOf('DeleteNatGateway'));
    expect(ops.indexOf('ReleaseAddress')).toBeGreaterThan(ops.lastIndexOf('DescribeNatGateways'));

    writeConfig('perAz');
    r = await run('up');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    h = await held();
    expect(h.nats).toHaveLength(2);
    expect(h.eips).toHaveLength(2);
    expect(h.eips.every((e) => e.AssociationId || e.NetworkInterfaceId)).toBe(true);
    proxy().reset();
    expect((await run('up')).code).toBe(0);
    expect(proxy().mutating()).toEqual([]);
  });

  it('a rule added out of band is shown as drift and converged back by up', async () => {
    const h = await held();
    const app = h.groups.find((g) => tagMap(g.Tags)['wpdeploy:step'] === 'sg-app')!;
    await client.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: app.GroupId!, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }));
    const status = await run('status', '--check');
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/sg-app-rules .*changed: ingress .*tcp 22-22 0\.0\.0\.0\/0/);
    const r = await run('up');
    expect(r.code, r.stderr).toBe(0);
    const after = (await client.send(new DescribeSecurityGroupsCommand({ GroupIds: [app.GroupId!] }))).SecurityGroups![0]!;
    expect((after.IpPermissions ?? []).some((p) => p.FromPort === 22)).toBe(false);
    expect((await run('status', '--check')).code).toBe(0);
  });

  it('refuses to change the VPC CIDR in place, and says why and what to do', async () => {
    writeFileSync(join(cwd, 'wpdeploy.yml'), `stack: ${stack}\nnetwork: { cidr: 10.43.0.0/16 }\ntags: { team: web }\n`);
    proxy().reset();
    const r = await run('up');
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/primary CIDR block cannot change \(10\.42\.0\.0\/16 -> 10\.43\.0\.0\/16\)/);
    expect(r.stdout + r.stderr).toMatch(/wpdeploy down/);
    expect(proxy().mutating().filter((c) => /Vpc/.test(c.operation))).toEqual([]);
    writeConfig('perAz');
  });

  it('down --yes leaves no network resource behind, deleting in an order AWS accepts', async () => {
    proxy().reset();
    const r = await run('down', '--yes');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(proxy().rules.refused).toEqual([]);
    const h = await held();
    for (const [what, list] of Object.entries(h)) expect(list, what).toEqual([]);
    const ops = proxy().calls.map((c) => c.operation);
    expect(ops.indexOf('DetachInternetGateway')).toBeGreaterThan(ops.lastIndexOf('ReleaseAddress'));
    const ec2Deletes = proxy().calls.filter((c) => c.service === 'ec2' && /^(Delete|Detach|Release)/.test(c.operation)).map((c) => c.operation);
    expect(ec2Deletes.at(-1), 'the VPC goes last').toBe('DeleteVpc');
    expect(ec2Deletes.filter((o) => o === 'DeleteVpc')).toHaveLength(1);
  });
});
