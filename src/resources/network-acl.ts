/**
 * A network ACL for one tier, with explicit numbered rules, associated with that tier's subnets.
 * Rules converge in place (created, replaced or deleted by rule number). Teardown moves the subnets
 * back to the VPC's default ACL, then deletes it.
 */
import type { Filter, NetworkAcl } from '@aws-sdk/client-ec2';
import { EC2 } from '../aws/sdk.js';
import { isNotFound } from '../aws/errors.js';
import { deleteOrGone, writeOrVerify } from '../aws/idempotent.js';
import { WpdeployError } from '../errors.js';
import { fromTagList, tagsToSet, toTagList, type TagMap, tagChanges } from '../aws/tags.js';
import { deleteTolerant, ec2, findByIdOrTags, stackWide, tagSpec, settle } from './ec2-common.js';
import { defineKind } from './kinds.js';
import { known, type Actual, type FieldChange, type ResourceContext, type ResourceKind } from './types.js';

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

const ACLS = 'network acl';
const byFilters = (ctx: ResourceContext) => async (Filters: Filter[]) => (await ec2(ctx).send(new EC2.DescribeNetworkAclsCommand({ Filters }))).NetworkAcls ?? [];

function plan(desired: NetworkAclSpec, actual: NetworkAclActual) {
  const have = new Map(actual.rules.map((r) => [key(r), r]));
  const want = new Map(desired.rules.map((r) => [key(r), r]));
  return {
    create: desired.rules.filter((r) => !have.has(key(r))),
    replace: desired.rules.filter((r) => have.has(key(r)) && show(have.get(key(r))!) !== show(r)),
    remove: actual.rules.filter((r) => !want.has(key(r))),
    associate: desired.subnetIds.filter((s) => !actual.subnetIds.includes(s)),
    tags: tagsToSet(desired.tags, actual.tags),
  };
}

/** Moves a subnet to the given ACL (every subnet is associated with exactly one). */
async function moveSubnet(ctx: ResourceContext, subnetId: string, aclId: string): Promise<void> {
  const client = ec2(ctx);
  const r = await settle(ctx, () => client.send(new EC2.DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] })));
  const assoc = r.NetworkAcls?.flatMap((a) => a.Associations ?? []).find((x) => x.SubnetId === subnetId);
  if (!assoc?.NetworkAclAssociationId) {
    throw new WpdeployError(`subnet ${subnetId} has no network ACL association to move (every subnet has one).`, { hint: 'Check that the subnet still exists, then run the command again.' });
  }
  if (assoc.NetworkAclId !== aclId) {
    // Idempotent by default, so a retried move gets the first one's answer
    // (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html).
    await settle(ctx, () => client.send(new EC2.ReplaceNetworkAclAssociationCommand({ AssociationId: assoc.NetworkAclAssociationId, NetworkAclId: aclId })));
  }
}

/** The ACL's rules as AWS holds them now. */
async function rulesOf(ctx: ResourceContext, aclId: string): Promise<AclRule[]> {
  const r = await ec2(ctx).send(new EC2.DescribeNetworkAclsCommand({ NetworkAclIds: [aclId] }));
  return r.NetworkAcls?.[0] ? toActual(r.NetworkAcls[0]).rules : [];
}

async function converge(ctx: ResourceContext, desired: NetworkAclSpec, actual: NetworkAclActual): Promise<NetworkAclActual> {
  const client = ec2(ctx);
  const p = plan(desired, actual);
  const args = (r: AclRule) => ({
    NetworkAclId: actual.id, RuleNumber: r.ruleNumber, Egress: r.egress, Protocol: r.protocol, CidrBlock: r.cidr, RuleAction: r.action,
    PortRange: r.fromPort !== undefined ? { From: r.fromPort, To: r.toPort } : undefined,
  });
  for (const r of p.create) {
    // A retried create meets its entry: success when the entry of that number is this rule.
    await writeOrVerify(() => settle(ctx, () => client.send(new EC2.CreateNetworkAclEntryCommand(args(r)))),
      async () => ((await rulesOf(ctx, actual.id)).some((x) => key(x) === key(r) && show(x) === show(r)) ? true : undefined));
  }
  for (const r of p.replace) await settle(ctx, () => client.send(new EC2.ReplaceNetworkAclEntryCommand(args(r))));
  for (const r of p.remove) await deleteOrGone(() => settle(ctx, () => client.send(new EC2.DeleteNetworkAclEntryCommand({ NetworkAclId: actual.id, RuleNumber: r.ruleNumber, Egress: r.egress }))));
  for (const s of p.associate) await moveSubnet(ctx, s, actual.id);
  if (Object.keys(p.tags).length) await settle(ctx, () => client.send(new EC2.CreateTagsCommand({ Resources: [actual.id], Tags: toTagList(p.tags) })));
  return { ...actual, rules: desired.rules, subnetIds: [...new Set([...actual.subnetIds, ...desired.subnetIds])], tags: { ...actual.tags, ...p.tags } };
}

export const networkAclKind: ResourceKind<NetworkAclSpec, NetworkAclActual, 'networkAclId'> = defineKind({
  name: 'ec2:network-acl',
  noun: 'network acl',
  timing: { createMs: 2_000, deleteMs: 2_000 },

  async find(ctx) {
    const client = ec2(ctx);
    const found = await findByIdOrTags(
      ctx, ACLS,
      async (id) => (await client.send(new EC2.DescribeNetworkAclsCommand({ NetworkAclIds: [id] }))).NetworkAcls ?? [],
      byFilters(ctx),
      (a) => a.NetworkAclId!,
      toActual,
    );
    return found;
  },

  diff(desired, actual) {
    const p = plan(desired, actual);
    const have = new Map(actual.rules.map((r) => [key(r), r]));
    const changes: FieldChange[] = [
      ...[...p.create, ...p.replace].map((r) => ({ field: `rules.${key(r)}`, from: have.has(key(r)) ? show(have.get(key(r))!) : undefined, to: show(r) })),
      ...p.remove.map((r) => ({ field: `rules.${key(r)}`, from: show(r), to: undefined })),
      ...Object.entries(p.tags).map(([k, v]) => ({ field: `tags.${k}`, from: actual.tags[k], to: v })),
    ];
    if (p.associate.length) changes.push({ field: 'subnets', from: [...actual.subnetIds].sort(), to: [...desired.subnetIds].sort() });
    if (known(desired.vpcId) && actual.vpcId !== desired.vpcId) return { changes, replace: 'a network ACL cannot move to another VPC' };
    return { changes };
  },

  async create(ctx, desired) {
    const r = await ec2(ctx).send(new EC2.CreateNetworkAclCommand({ VpcId: desired.vpcId, TagSpecifications: tagSpec('network-acl', desired.tags), ClientToken: ctx.clientToken() }));
    const id = r.NetworkAcl!.NetworkAclId!;
    await ctx.recordId(id);
    return converge(ctx, desired, { id, state: 'available', vpcId: desired.vpcId, rules: [], subnetIds: [], tags: desired.tags });
  },

  update: (ctx, desired, actual) => converge(ctx, desired, actual),

  async delete(ctx, actual) {
    const client = ec2(ctx);
    if (actual.subnetIds.length) {
      const d = await client.send(new EC2.DescribeNetworkAclsCommand({ Filters: [{ Name: 'vpc-id', Values: [actual.vpcId] }, { Name: 'default', Values: ['true'] }] }));
      const defaultAcl = d.NetworkAcls?.[0]?.NetworkAclId;
      if (defaultAcl) for (const s of actual.subnetIds) await moveSubnet(ctx, s, defaultAcl);
    }
    await deleteTolerant(ctx, `network acl ${actual.id}`, () => client.send(new EC2.DeleteNetworkAclCommand({ NetworkAclId: actual.id })));
  },

  outputs: (a) => ({ networkAclId: a.id }),
});

export interface DefaultNetworkAclSpec {
  vpcId: string;
  tags: TagMap;
}

/**
 * The VPC's default network ACL: AWS creates it (allowing everything) and deletes it with the VPC.
 * No subnet of the stack uses it, but it still admits the world, 22 and 3389 included (FSBP EC2.21
 * checks every ACL): wpdeploy removes its rules, leaving AWS's final deny.
 */
export const defaultNetworkAclKind: ResourceKind<DefaultNetworkAclSpec, NetworkAclActual, 'networkAclId'> = defineKind({
  name: 'ec2:default-network-acl',
  noun: 'default network acl',
  foundBySpec: true,
  timing: { createMs: 1_000, deleteMs: 0 },

  async find(ctx, desired) {
    // Among the stack's ACLs once wpdeploy has tagged it; before that (or gone from there), asked for alone.
    const listed = (await stackWide(ctx, ACLS, byFilters(ctx)))?.find((a) =>
      desired && known(desired.vpcId) ? a.VpcId === desired.vpcId && a.IsDefault : a.NetworkAclId === ctx.recordedId);
    if (listed) return toActual(listed);
    if (!desired || !known(desired.vpcId)) {
      if (!ctx.recordedId) return undefined;
      const r = await ec2(ctx).send(new EC2.DescribeNetworkAclsCommand({ NetworkAclIds: [ctx.recordedId] })).catch((err) => { if (isNotFound(err)) return { NetworkAcls: [] }; throw err; });
      return r.NetworkAcls?.[0] && toActual(r.NetworkAcls[0]);
    }
    const r = await ec2(ctx).send(new EC2.DescribeNetworkAclsCommand({ Filters: [{ Name: 'vpc-id', Values: [desired.vpcId] }, { Name: 'default', Values: ['true'] }] }));
    return r.NetworkAcls?.[0] && toActual(r.NetworkAcls[0]);
  },

  diff(desired, actual) {
    const changes: FieldChange[] = actual.rules.map((r) => ({ field: `rules.${key(r)}`, from: show(r), to: undefined }));
    changes.push(...tagChanges(desired.tags, actual.tags));
    return { changes };
  },

  async create(ctx, desired) {
    const found = await defaultNetworkAclKind.find(ctx, desired);
    if (!found) throw new WpdeployError(`the default network ACL of ${desired.vpcId} was not found.`);
    await ctx.recordId(found.id);
    return defaultNetworkAclKind.update!(ctx, desired, found, { changes: [] });
  },

  async update(ctx, desired, actual) {
    const client = ec2(ctx);
    for (const r of actual.rules) await deleteOrGone(() => settle(ctx, () => client.send(new EC2.DeleteNetworkAclEntryCommand({ NetworkAclId: actual.id, RuleNumber: r.ruleNumber, Egress: r.egress }))));
    const toSet = tagsToSet(desired.tags, actual.tags);
    if (Object.keys(toSet).length) await client.send(new EC2.CreateTagsCommand({ Resources: [actual.id], Tags: toTagList(toSet) }));
    return { ...actual, rules: [], tags: { ...actual.tags, ...toSet } };
  },

  /** Goes with its VPC: nothing to do. */
  async delete() {},

  outputs: (a) => ({ networkAclId: a.id }),
});
