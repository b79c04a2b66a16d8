/**
 * What the emulator holds for a stack, per step (from the `wpdeploy:step` tag), read independently of
 * the CLI and its state file: EC2 describes (tags checked here, since moto ignores some tag filters),
 * the Resource Groups Tagging API for the other services, and IAM (which that API does not cover).
 */
import {
  DescribeAddressesCommand, DescribeFlowLogsCommand, DescribeInternetGatewaysCommand, DescribeNatGatewaysCommand, DescribeNetworkAclsCommand,
  DescribeRouteTablesCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand, type Tag,
} from '@aws-sdk/client-ec2';
import { DescribeClustersCommand, DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { IAMClient, ListRoleTagsCommand, ListRolesCommand } from '@aws-sdk/client-iam';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { ec2 } from './aws.js';

const base = (endpoint: string) => ({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const tagMap = (tags: Array<{ Key?: string; Value?: string }> | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]));

/** Step id -> ids of the resources carrying that step's tags (more than one is a duplicate). */
export async function inventory(endpoint: string, stack: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const add = (tags: Array<{ Key?: string; Value?: string }> | undefined, id: string) => {
    const t = tagMap(tags);
    if (t['wpdeploy:stack'] !== stack) return;
    const step = t['wpdeploy:step'] ?? '(no step tag)';
    out.set(step, [...(out.get(step) ?? []), id]);
  };
  const c = ec2(endpoint);
  const Filters = [{ Name: 'tag:wpdeploy:stack', Values: [stack] }];
  const each = <T extends { Tags?: Tag[] }>(list: T[] | undefined, id: (x: T) => string | undefined) => {
    for (const x of list ?? []) add(x.Tags, id(x) ?? '?');
  };
  each((await c.send(new DescribeVpcsCommand({ Filters }))).Vpcs, (x) => x.VpcId);
  each((await c.send(new DescribeSubnetsCommand({ Filters }))).Subnets, (x) => x.SubnetId);
  each((await c.send(new DescribeInternetGatewaysCommand({ Filters }))).InternetGateways, (x) => x.InternetGatewayId);
  each(((await c.send(new DescribeNatGatewaysCommand({}))).NatGateways ?? []).filter((n) => n.State !== 'deleted' && n.State !== 'deleting'), (x) => x.NatGatewayId);
  each((await c.send(new DescribeAddressesCommand({ Filters }))).Addresses, (x) => x.AllocationId);
  each((await c.send(new DescribeRouteTablesCommand({ Filters }))).RouteTables, (x) => x.RouteTableId);
  // AWS deletes a VPC's default ACL with the VPC; moto keeps it: such an orphan is not counted.
  const liveVpcs = new Set(((await c.send(new DescribeVpcsCommand({}))).Vpcs ?? []).map((v) => v.VpcId));
  each(((await c.send(new DescribeNetworkAclsCommand({ Filters }))).NetworkAcls ?? []).filter((a) => !a.IsDefault || liveVpcs.has(a.VpcId)), (x) => x.NetworkAclId);
  each((await c.send(new DescribeSecurityGroupsCommand({ Filters }))).SecurityGroups, (x) => x.GroupId);
  each((await c.send(new DescribeFlowLogsCommand({ Filter: Filters }))).FlowLogs, (x) => x.FlowLogId);

  const tagging = new ResourceGroupsTaggingAPIClient(base(endpoint));
  let token: string | undefined;
  do {
    const r = await tagging.send(new GetResourcesCommand({ TagFilters: [{ Key: 'wpdeploy:stack', Values: [stack] }], PaginationToken: token }));
    for (const m of r.ResourceTagMappingList ?? []) {
      const arn = m.ResourceARN ?? '';
      // EC2 is counted above; task definition revisions and kept snapshots are many by design;
      // moto keeps deleted (INACTIVE) ECS clusters and services in this API.
      if (/:ec2:|:task-definition\/|:snapshot:/.test(arn)) continue;
      if (/:ecs:.*:(cluster|service)\//.test(arn) && !(await ecsActive(endpoint, arn))) continue;
      add(m.Tags, arn);
    }
    token = r.PaginationToken || undefined;
  } while (token);

  const iam = new IAMClient(base(endpoint));
  const roles = (await iam.send(new ListRolesCommand({ PathPrefix: '/wpdeploy/' }))).Roles ?? [];
  // Roles are named `<stack>-<role>-<region>`: another stack's roles are not read (another test may
  // delete them between the listing and the read); ours must be readable, and their tags decide.
  for (const role of roles.filter((r) => r.RoleName!.startsWith(`${stack}-`))) add((await iam.send(new ListRoleTagsCommand({ RoleName: role.RoleName! }))).Tags, role.Arn!);
  return out;
}

async function ecsActive(endpoint: string, arn: string): Promise<boolean> {
  const ecs = new ECSClient(base(endpoint));
  if (arn.includes(':cluster/')) {
    const r = await ecs.send(new DescribeClustersCommand({ clusters: [arn] }));
    return r.clusters?.[0]?.status === 'ACTIVE';
  }
  const cluster = arn.split('/').slice(-2, -1)[0];
  const r = await ecs.send(new DescribeServicesCommand({ cluster, services: [arn] }));
  return ['ACTIVE', 'DRAINING'].includes(r.services?.[0]?.status ?? '');
}

/** The steps that hold more than one resource. */
export function duplicates(inv: Map<string, string[]>): Record<string, string[]> {
  return Object.fromEntries([...inv].filter(([, ids]) => ids.length > 1));
}
