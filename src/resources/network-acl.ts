/**
 * A network ACL for one tier, with explicit numbered rules, associated with that tier's subnets.
 * Rules converge in place (created, replaced or deleted by rule number). Teardown moves the subnets
 * back to the VPC's default ACL, then deletes it.
 */
import type { NetworkAcl } from '@aws-sdk/client-ec2';
import { EC2 } from '../aws/sdk.js';
import { deleteOrGone, writeOrVerify } from '../aws/idempotent.js';
import { WpdeployError } from '../errors.js';
import { fromTagList, type TagMap, tagChanges } from '../aws/tags.js';
import { describeAll, describeOne, NETWORK_ACLS } from './ec2-api.js';
import { deleteTolerant, ec2, ec2Tagged, ec2VpcDefault, entryPlan, inVpcDiff, retag, settle, tagSpec, type VpcDefaultSpec } from './ec2-common.js';
import { type Actual, type ResourceContext, type ResourceKind } from './types.js';
import { defineKind } from './kinds.js';

export interface AclRule {
  ruleNumber: number;
  egress: boolean;
  /** IANA protocol number as a string: '6' tcp, '17' udp, '-1' all. */
  protocol: string;
  cidr: string;
  fromPort?: number;
  toPort?: number;
  action: 'allow' | 'deny';
}

export interface NetworkAclSpec {
  vpcId: string;
  rules: AclRule[];
  subnetIds: string[];
  tags: TagMap;
}

export interface NetworkAclActual extends Actual {
  vpcId: string;
  rules: AclRule[];
  subnetIds: string[];
  tags: TagMap;
}

const key = (r: AclRule) => `${r.egress ? 'egress' : 'ingress'}.${r.ruleNumber}`;
const show = (r: AclRule) => `${r.action} ${r.protocol === '6' ? 'tcp' : r.protocol === '-1' ? 'all' : r.protocol}${r.fromPort !== undefined ? ` ${r.fromPort}-${r.toPort}` : ''} ${r.cidr}`;

/** The filter that picks a VPC's default ACL. */
const IS_DEFAULT = { Name: 'default', Values: ['true'] };

function toActual(a: NetworkAcl): NetworkAclActual {
  return {
    id: a.NetworkAclId!, state: 'available', vpcId: a.VpcId ?? '',
    rules: (a.Entries ?? [])
      .filter((e) => (e.RuleNumber ?? 32767) < 32767)
      .map((e) => ({
        ruleNumber: e.RuleNumber!, egress: !!e.Egress, protocol: e.Protocol ?? '-1', cidr: e.CidrBlock ?? '',
        ...(e.PortRange ? { fromPort: e.PortRange.From, toPort: e.PortRange.To } : {}), action: (e.RuleAction ?? 'allow') as 'allow' | 'deny',
      })),
    subnetIds: (a.Associations ?? []).map((x) => x.SubnetId!).filter(Boolean),
    tags: fromTagList(a.Tags),
  };
}

function plan(desired: NetworkAclSpec, actual: NetworkAclActual) {
  return {
    rules: entryPlan(desired.rules, actual.rules, key, show),
    associate: desired.subnetIds.filter((s) => !actual.subnetIds.includes(s)),
  };
}

/** Moves a subnet to the given ACL (every subnet is associated with exactly one). */
async function moveSubnet(ctx: ResourceContext, subnetId: string, aclId: string): Promise<void> {
  const acls = await settle(ctx, () => describeAll(ctx, NETWORK_ACLS, { filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }));
  const assoc = acls.flatMap((a) => a.Associations ?? []).find((x) => x.SubnetId === subnetId);
  if (!assoc?.NetworkAclAssociationId) {
    throw new WpdeployError(`subnet ${subnetId} has no network ACL association to move (every subnet has one).`, { hint: 'Check that the subnet still exists, then run the command again.' });
  }
  if (assoc.NetworkAclId !== aclId) {
    // Idempotent by default, so a retried move gets the first one's answer
    // (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html).
    await settle(ctx, () => ec2(ctx).send(new EC2.ReplaceNetworkAclAssociationCommand({ AssociationId: assoc.NetworkAclAssociationId, NetworkAclId: aclId })));
  }
}

/** The ACL's rules as AWS holds them now. */
async function rulesOf(ctx: ResourceContext, aclId: string): Promise<AclRule[]> {
  const acl = await describeOne(ctx, NETWORK_ACLS, aclId);
  return acl ? toActual(acl).rules : [];
}

/** Deletes entries; one already gone is success. */
async function deleteRules(ctx: ResourceContext, aclId: string, rules: AclRule[]): Promise<void> {
  for (const r of rules) {
    await deleteOrGone(() => settle(ctx, () => ec2(ctx).send(new EC2.DeleteNetworkAclEntryCommand({ NetworkAclId: aclId, RuleNumber: r.ruleNumber, Egress: r.egress }))));
  }
}

async function converge(ctx: ResourceContext, desired: NetworkAclSpec, actual: NetworkAclActual): Promise<NetworkAclActual> {
  const client = ec2(ctx);
  const p = plan(desired, actual);
  const args = (r: AclRule) => ({
    NetworkAclId: actual.id, RuleNumber: r.ruleNumber, Egress: r.egress, Protocol: r.protocol, CidrBlock: r.cidr, RuleAction: r.action,
    PortRange: r.fromPort !== undefined ? { From: r.fromPort, To: r.toPort } : undefined,
  });
  for (const r of p.rules.create) {
    // A retried create meets its entry: success when the entry of that number is this rule.
    await writeOrVerify(() => settle(ctx, () => client.send(new EC2.CreateNetworkAclEntryCommand(args(r)))),
      async () => ((await rulesOf(ctx, actual.id)).some((x) => key(x) === key(r) && show(x) === show(r)) ? true : undefined));
  }
  for (const r of p.rules.replace) await settle(ctx, () => client.send(new EC2.ReplaceNetworkAclEntryCommand(args(r))));
  await deleteRules(ctx, actual.id, p.rules.remove);
  for (const s of p.associate) await moveSubnet(ctx, s, actual.id);
  const tags = await retag(ctx, actual.id, desired.tags, actual.tags);
  return { ...actual, rules: desired.rules, subnetIds: [...new Set([...actual.subnetIds, ...desired.subnetIds])], tags };
}

export const networkAclKind: ResourceKind<NetworkAclSpec, NetworkAclActual, 'networkAclId'> = defineKind({
  name: 'ec2:network-acl',
  ...ec2Tagged(NETWORK_ACLS, toActual),
  timing: { createMs: 2_000, deleteMs: 2_000 },

  diff(desired, actual) {
    const p = plan(desired, actual);
    return inVpcDiff('network ACL', desired, actual, p.rules.changes('rules'), p.associate.length ? actual.subnetIds : undefined);
  },

  async create(ctx, desired) {
    const r = await ec2(ctx).send(new EC2.CreateNetworkAclCommand({ VpcId: desired.vpcId, TagSpecifications: tagSpec('network-acl', desired.tags), ClientToken: ctx.clientToken() }));
    const id = r.NetworkAcl!.NetworkAclId!;
    await ctx.recordId(id);
    return converge(ctx, desired, { id, state: 'available', vpcId: desired.vpcId, rules: [], subnetIds: [], tags: desired.tags });
  },

  update: (ctx, desired, actual) => converge(ctx, desired, actual),

  async delete(ctx, actual) {
    if (actual.subnetIds.length) {
      const defaultAcl = (await describeAll(ctx, NETWORK_ACLS, { filters: [{ Name: 'vpc-id', Values: [actual.vpcId] }, IS_DEFAULT] }))[0]?.NetworkAclId;
      if (defaultAcl) for (const s of actual.subnetIds) await moveSubnet(ctx, s, defaultAcl);
    }
    await deleteTolerant(ctx, `network acl ${actual.id}`, () => ec2(ctx).send(new EC2.DeleteNetworkAclCommand({ NetworkAclId: actual.id })));
  },

  outputs: (a) => ({ networkAclId: a.id }),
});

export type DefaultNetworkAclSpec = VpcDefaultSpec;

/**
 * The VPC's default network ACL: AWS creates it (allowing everything) and deletes it with the VPC.
 * No subnet of the stack uses it, but it still admits the world, 22 and 3389 included (FSBP EC2.21
 * checks every ACL): wpdeploy removes its rules, leaving AWS's final deny.
 */
export const defaultNetworkAclKind: ResourceKind<DefaultNetworkAclSpec, NetworkAclActual, 'networkAclId'> = defineKind({
  name: 'ec2:default-network-acl',
  ...ec2VpcDefault(NETWORK_ACLS, { isDefault: (a) => !!a.IsDefault, filter: IS_DEFAULT }, toActual, async (ctx, actual) => {
    await deleteRules(ctx, actual.id, actual.rules);
    return { ...actual, rules: [] };
  }),

  diff: (desired, actual) => ({ changes: [...entryPlan([], actual.rules, key, show).changes('rules'), ...tagChanges(desired.tags, actual.tags)] }),

  outputs: (a) => ({ networkAclId: a.id }),
});
