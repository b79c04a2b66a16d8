/**
 * Can a WordPress task open a TCP connection to X? Evaluated over what the emulator holds (route
 * tables, network ACLs both ways, security groups, the load balancer and its listeners), the way
 * VPC evaluates them, since moto forwards no packet:
 *
 * - a network ACL is stateless: the first rule by number that matches (protocol, address, port)
 *   decides, none is deny, and the answer needs its own rule the other way
 *   (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html);
 * - a security group is stateful: an allowed request's answer is allowed
 *   (https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html);
 * - a route table sends an address by its longest matching prefix
 *   (https://docs.aws.amazon.com/vpc/latest/userguide/route-tables-priority.html);
 * - a NAT gateway answers from its public address on a port of 1024-65535, and a Linux task's
 *   client ports are 32768-60999 (https://docs.aws.amazon.com/vpc/latest/userguide/nacl-ephemeral-ports.html).
 *
 * `wordpress -> load balancer` is the path of WordPress calling itself by the site's address
 * (wp-cron's spawn request, Site Health's loopback): the name resolves to the load balancer's public
 * addresses, so the request leaves through the NAT gateway, comes back in through the internet
 * gateway, and reaches the load balancer from the NAT gateway's public address. Representative
 * addresses and ports stand for the ranges: the first rule set that refuses one of them is reported.
 */
import {
  DescribeNatGatewaysCommand, DescribeNetworkAclsCommand, DescribeRouteTablesCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand,
  type IpPermission, type NetworkAcl, type RouteTable, type SecurityGroup, type Subnet,
} from '@aws-sdk/client-ec2';
import { DescribeListenersCommand, DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ec2, elbv2 } from './aws.js';

/** A public address of the load balancer (AWS picks them; a documentation address stands for any). */
export const ALB_PUBLIC_IP = '198.51.100.20';
/** An address on the internet (ECR Public, wordpress.org). */
export const INTERNET_IP = '203.0.113.30';
const TASK_PORT = 40000; // Linux ephemeral 32768-60999
const NAT_PORT = 50000; // NAT gateway 1024-65535

type Target = { to: 'load balancer' | 'internet'; port: number };

const ipToInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipToInt(base!) / size) * size;
  return ipToInt(ip) >= start && ipToInt(ip) < start + size;
}
const prefix = (cidr: string) => Number(cidr.split('/')[1]);
/** An address inside a subnet (its tenth). */
const hostIn = (cidr: string) => {
  const n = ipToInt(cidr.split('/')[0]!) + 10;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
};

/** The verdict of a network ACL on one TCP packet. */
export function aclAllows(acl: NetworkAcl, egress: boolean, peer: string, port: number): boolean {
  const entries = (acl.Entries ?? []).filter((e) => !!e.Egress === egress && !!e.CidrBlock).sort((a, b) => a.RuleNumber! - b.RuleNumber!);
  for (const e of entries) {
    const proto = e.Protocol === '-1' || e.Protocol === '6';
    const ports = e.Protocol === '-1' || (e.PortRange && port >= e.PortRange.From! && port <= e.PortRange.To!);
    if (proto && ports && inCidr(peer, e.CidrBlock!)) return e.RuleAction === 'allow';
  }
  return false;
}

/** Does a security group rule list admit TCP `port` with `peer` (an address, or a group id)? */
export function sgAllows(perms: IpPermission[] | undefined, port: number, peer: { ip?: string; groupId?: string }): boolean {
  return (perms ?? []).some((p) => {
    const tcp = p.IpProtocol === '-1' || p.IpProtocol === 'tcp' || p.IpProtocol === '6';
    const ports = p.IpProtocol === '-1' || (port >= (p.FromPort ?? 0) && port <= (p.ToPort ?? 65535));
    const who = (peer.ip && (p.IpRanges ?? []).some((r) => inCidr(peer.ip!, r.CidrIp!))) || (peer.groupId && (p.UserIdGroupPairs ?? []).some((g) => g.GroupId === peer.groupId));
    return tcp && ports && !!who;
  });
}

/** Where a route table sends an address: the target of the longest matching route. */
export function nextHop(table: RouteTable | undefined, ip: string): string | undefined {
  const routes = (table?.Routes ?? []).filter((r) => r.DestinationCidrBlock && inCidr(ip, r.DestinationCidrBlock) && r.State !== 'blackhole');
  routes.sort((a, b) => prefix(b.DestinationCidrBlock!) - prefix(a.DestinationCidrBlock!));
  const r = routes[0];
  return r && (r.NatGatewayId ?? r.GatewayId ?? r.NetworkInterfaceId);
}

interface View {
  subnets: Subnet[];
  acls: NetworkAcl[];
  tables: RouteTable[];
  groups: SecurityGroup[];
  nats: Array<{ id: string; subnetId: string; publicIp: string }>;
}

async function view(endpoint: string, vpcId: string): Promise<View> {
  const c = ec2(endpoint);
  const inVpc = [{ Name: 'vpc-id', Values: [vpcId] }];
  const [subnets, acls, tables, groups, nats] = await Promise.all([
    c.send(new DescribeSubnetsCommand({ Filters: inVpc })).then((r) => r.Subnets ?? []),
    c.send(new DescribeNetworkAclsCommand({ Filters: inVpc })).then((r) => r.NetworkAcls ?? []),
    c.send(new DescribeRouteTablesCommand({ Filters: inVpc })).then((r) => r.RouteTables ?? []),
    c.send(new DescribeSecurityGroupsCommand({ Filters: inVpc })).then((r) => r.SecurityGroups ?? []),
    c.send(new DescribeNatGatewaysCommand({ Filter: inVpc })).then((r) => r.NatGateways ?? []),
  ]);
  return {
    subnets, acls, tables, groups,
    nats: nats.filter((n) => n.State === 'available').map((n) => ({ id: n.NatGatewayId!, subnetId: n.SubnetId!, publicIp: n.NatGatewayAddresses?.[0]?.PublicIp ?? '' })),
  };
}

const aclOf = (v: View, subnetId: string) => v.acls.find((a) => (a.Associations ?? []).some((x) => x.SubnetId === subnetId));
const tableOf = (v: View, subnetId: string) =>
  v.tables.find((t) => (t.Associations ?? []).some((a) => a.SubnetId === subnetId)) ?? v.tables.find((t) => (t.Associations ?? []).some((a) => a.Main));

/**
 * Every reason a task in one of `appSubnetIds`, in security group `appGroupId`, cannot reach the
 * target; [] when the path exists from every app subnet.
 */
export async function pathProblems(endpoint: string, o: { stack: string; appSubnetIds: string[]; appGroupId: string } & Target): Promise<string[]> {
  const lb = (await elbv2(endpoint).send(new DescribeLoadBalancersCommand({ Names: [`${o.stack}-alb`] }))).LoadBalancers![0]!;
  const v = await view(endpoint, lb.VpcId!);
  const problems: string[] = [];
  const need = (ok: boolean, what: string) => { if (!ok) problems.push(what); };
  const dest = o.to === 'load balancer' ? ALB_PUBLIC_IP : INTERNET_IP;
  const appGroup = v.groups.find((g) => g.GroupId === o.appGroupId);
  need(sgAllows(appGroup?.IpPermissionsEgress, o.port, { ip: dest }), `security group ${o.appGroupId} sends no TCP ${o.port} to ${dest}`);
  if (o.to === 'load balancer') {
    const listeners = (await elbv2(endpoint).send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? [];
    need(lb.Scheme === 'internet-facing', `load balancer ${lb.LoadBalancerName} is ${lb.Scheme}`);
    need(listeners.some((l) => l.Port === o.port), `load balancer ${lb.LoadBalancerName} has no listener on ${o.port}`);
  }
  for (const subnetId of o.appSubnetIds) {
    const task = hostIn(v.subnets.find((s) => s.SubnetId === subnetId)!.CidrBlock!);
    const appAcl = aclOf(v, subnetId)!;
    need(aclAllows(appAcl, true, dest, o.port), `network ACL ${appAcl.NetworkAclId} of ${subnetId} lets no TCP ${o.port} out to ${dest}`);
    need(aclAllows(appAcl, false, dest, TASK_PORT), `network ACL ${appAcl.NetworkAclId} of ${subnetId} lets no answer in from ${dest} to port ${TASK_PORT}`);
    const hop = nextHop(tableOf(v, subnetId), dest);
    const nat = v.nats.find((n) => n.id === hop);
    if (!nat) {
      problems.push(`${subnetId} routes ${dest} to ${hop ?? 'nowhere'}, not to an available NAT gateway`);
      continue;
    }
    const natAcl = aclOf(v, nat.subnetId)!;
    const at = `network ACL ${natAcl.NetworkAclId} of NAT gateway ${nat.id}'s subnet`;
    need(aclAllows(natAcl, false, task, o.port), `${at} lets no TCP ${o.port} in from the task ${task}`);
    need(aclAllows(natAcl, true, dest, o.port), `${at} lets no TCP ${o.port} out to ${dest}`);
    need(aclAllows(natAcl, false, dest, NAT_PORT), `${at} lets no answer in from ${dest} to port ${NAT_PORT}`);
    need(aclAllows(natAcl, true, task, TASK_PORT), `${at} lets no answer out to the task ${task}:${TASK_PORT}`);
    need((nextHop(tableOf(v, nat.subnetId), dest) ?? '').startsWith('igw-'), `NAT gateway ${nat.id}'s subnet routes ${dest} to no internet gateway`);
    if (o.to === 'load balancer') problems.push(...albAdmits(v, lb.AvailabilityZones!.map((z) => z.SubnetId!), lb.SecurityGroups ?? [], nat.publicIp, o.port));
  }
  return [...new Set(problems)];
}

/** The load balancer's side: every one of its subnets and its groups admit the NAT gateway's address, and answer it. */
function albAdmits(v: View, subnetIds: string[], groupIds: string[], natIp: string, port: number): string[] {
  const problems: string[] = [];
  for (const subnetId of subnetIds) {
    const acl = aclOf(v, subnetId)!;
    if (!aclAllows(acl, false, natIp, port)) problems.push(`network ACL ${acl.NetworkAclId} of load balancer subnet ${subnetId} lets no TCP ${port} in from ${natIp}`);
    if (!aclAllows(acl, true, natIp, NAT_PORT)) problems.push(`network ACL ${acl.NetworkAclId} of load balancer subnet ${subnetId} lets no answer out to ${natIp}:${NAT_PORT}`);
    if (!(nextHop(tableOf(v, subnetId), natIp) ?? '').startsWith('igw-')) problems.push(`load balancer subnet ${subnetId} routes ${natIp} to no internet gateway`);
  }
  const admits = groupIds.some((id) => sgAllows(v.groups.find((g) => g.GroupId === id)?.IpPermissions, port, { ip: natIp }));
  if (!admits) problems.push(`no security group of the load balancer (${groupIds.join(', ')}) admits TCP ${port} from ${natIp}`);
  return problems;
}
