/**
 * A thin layer over the EC2 client for the EC2 resource kinds: each resource type's describe call
 * once (every page read, a not-found id read as undefined), and waits on a resource's state.
 *
 * Describes follow `NextToken` until the last page: a describe by filters may come back in pages
 * (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-pagination.html).
 */
import type { Address, Filter, FlowLog, InternetGateway, NatGateway, NetworkAcl, RouteTable, SecurityGroup, Subnet, Vpc } from '@aws-sdk/client-ec2';
import { EC2 } from '../aws/sdk.js';
import { isEventuallyConsistentNotFound, isNotFound } from '../aws/errors.js';
import { retrying } from '../aws/poll.js';
import type { ResourceContext } from './types.js';
import { type StepWait, waitUntil } from './waits.js';

export const ec2 = (ctx: ResourceContext) => ctx.aws.get(EC2.EC2Client);

/** What one describe call asks for: these ids, or what matches these filters; `token` is the page. */
export interface Query {
  ids?: string[];
  filters?: Filter[];
  token?: string;
}

/** One EC2 resource type as its describe call sees it. */
export interface Ec2Type<T> {
  /** For messages and for the run's read cache: `vpc`, `security group`. */
  readonly noun: string;
  idOf(t: T): string;
  /** One page of the describe call. */
  page(ctx: ResourceContext, q: Query): Promise<{ items?: T[]; next?: string }>;
}

/** A type from its describe call (`send`, one page) and where the answer lists the resources. */
function ec2Type<T, R extends { $metadata: unknown; NextToken?: string }>(noun: string, idOf: (t: T) => string, send: (ctx: ResourceContext, q: Query) => Promise<R>, items: (r: R) => T[] | undefined): Ec2Type<T> {
  return { noun, idOf, page: async (ctx, q) => { const r = await send(ctx, q); return { items: items(r), next: r.NextToken }; } };
}

// NAT gateways and flow logs name their filters `Filter`; DescribeAddresses answers in one page.
export const VPCS = ec2Type('vpc', (v: Vpc) => v.VpcId!, (ctx, q) => ec2(ctx).send(new EC2.DescribeVpcsCommand({ VpcIds: q.ids, Filters: q.filters, NextToken: q.token })), (r) => r.Vpcs);
export const SUBNETS = ec2Type('subnet', (s: Subnet) => s.SubnetId!, (ctx, q) => ec2(ctx).send(new EC2.DescribeSubnetsCommand({ SubnetIds: q.ids, Filters: q.filters, NextToken: q.token })), (r) => r.Subnets);
export const INTERNET_GATEWAYS = ec2Type('internet gateway', (g: InternetGateway) => g.InternetGatewayId!,
  (ctx, q) => ec2(ctx).send(new EC2.DescribeInternetGatewaysCommand({ InternetGatewayIds: q.ids, Filters: q.filters, NextToken: q.token })), (r) => r.InternetGateways);
export const ADDRESSES = ec2Type('elastic ip', (a: Address) => a.AllocationId!, (ctx, q) => ec2(ctx).send(new EC2.DescribeAddressesCommand({ AllocationIds: q.ids, Filters: q.filters })), (r) => r.Addresses);
export const ROUTE_TABLES = ec2Type('route table', (t: RouteTable) => t.RouteTableId!,
  (ctx, q) => ec2(ctx).send(new EC2.DescribeRouteTablesCommand({ RouteTableIds: q.ids, Filters: q.filters, NextToken: q.token })), (r) => r.RouteTables);
export const NETWORK_ACLS = ec2Type('network acl', (a: NetworkAcl) => a.NetworkAclId!,
  (ctx, q) => ec2(ctx).send(new EC2.DescribeNetworkAclsCommand({ NetworkAclIds: q.ids, Filters: q.filters, NextToken: q.token })), (r) => r.NetworkAcls);
export const SECURITY_GROUPS = ec2Type('security group', (g: SecurityGroup) => g.GroupId!,
  (ctx, q) => ec2(ctx).send(new EC2.DescribeSecurityGroupsCommand({ GroupIds: q.ids, Filters: q.filters, NextToken: q.token })), (r) => r.SecurityGroups);
export const NAT_GATEWAYS = ec2Type('nat gateway', (n: NatGateway) => n.NatGatewayId!,
  (ctx, q) => ec2(ctx).send(new EC2.DescribeNatGatewaysCommand({ NatGatewayIds: q.ids, Filter: q.filters, NextToken: q.token })), (r) => r.NatGateways);
export const FLOW_LOGS = ec2Type('flow log', (f: FlowLog) => f.FlowLogId!, (ctx, q) => ec2(ctx).send(new EC2.DescribeFlowLogsCommand({ FlowLogIds: q.ids, Filter: q.filters, NextToken: q.token })), (r) => r.FlowLogs);

/** Every resource of the type that the query names, all pages read. */
export async function describeAll<T>(ctx: ResourceContext, type: Ec2Type<T>, q: Omit<Query, 'token'>): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const page = await type.page(ctx, { ...q, token });
    out.push(...(page.items ?? []));
    token = page.next;
  } while (token);
  return out;
}

/** One resource by id; undefined when EC2 says it does not exist (only a not-found error means that). */
export async function describeOne<T>(ctx: ResourceContext, type: Ec2Type<T>, id: string): Promise<T | undefined> {
  try {
    return (await describeAll(ctx, type, { ids: [id] })).find((t) => type.idOf(t) === id);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Polls one resource by id (undefined while EC2 does not show it: just created, or gone) until `done`. */
export function waitForId<T>(ctx: ResourceContext, type: Ec2Type<T>, id: string, wait: Omit<StepWait<T | undefined>, 'check'>): Promise<T | undefined> {
  return waitUntil(ctx, { ...wait, check: () => describeOne(ctx, type, id) });
}

/**
 * One call right after a create: EC2 is eventually consistent, so a resource just created may not be
 * visible to the next call for a moment (`InvalidGroup.NotFound`, `InvalidNatGatewayID.NotFound`,
 * ...). Such errors are retried briefly; any other is thrown at once.
 */
export function settle<T>(ctx: ResourceContext, call: () => Promise<T>): Promise<T> {
  return retrying(call, { retryable: isEventuallyConsistentNotFound, attempts: 6, baseMs: 500, scale: ctx.scale });
}
