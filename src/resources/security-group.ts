/**
 * Security groups, in three kinds:
 * - `ec2:security-group`: the group itself, created with no rules (its default allow-all egress is
 *   revoked at once); teardown revokes its rules first, so groups that reference each other can go;
 * - `ec2:security-group-rules`: the group's ingress and egress rules, converged as a set (authorize
 *   what is missing, revoke what is extra); separate so that groups can reference each other;
 * - `ec2:default-security-group`: the VPC's default group, stripped of every rule (FSBP EC2.2).
 */
import type { Filter, IpPermission, SecurityGroup } from '@aws-sdk/client-ec2';
import { EC2 } from '../aws/sdk.js';
import { isNotFound } from '../aws/errors.js';
import { deleteOrGone, writeOrVerify } from '../aws/idempotent.js';
import { TAG_STACK, TAG_STEP, fromTagList, tagsToSet, toTagList, type TagMap, tagChanges } from '../aws/tags.js';
import { ec2, findByIdOrTags, stackWide, tagSpec, settle } from './ec2-common.js';
import { deleteWhenReleased, interfacesWith } from './lingering.js';
import { defineKind } from './kinds.js';
import { changesOf, known, type Actual, type FieldChange, type ResourceContext, type ResourceKind } from './types.js';

export interface SgRule {
  /** 'tcp', 'udp' or '-1' (all). */
  protocol: string;
  fromPort: number;
  toPort: number;
  cidr?: string;
  cidrIpv6?: string;
  prefixListId?: string;
  sourceGroupId?: string;
  description?: string;
}

const ruleKey = (r: SgRule) => `${r.protocol} ${r.fromPort}-${r.toPort} ${r.cidr ?? r.cidrIpv6 ?? r.prefixListId ?? r.sourceGroupId}`;

function flatten(perms: IpPermission[] | undefined): SgRule[] {
  const out: SgRule[] = [];
  for (const p of perms ?? []) {
    const base = { protocol: p.IpProtocol ?? '-1', fromPort: p.FromPort ?? -1, toPort: p.ToPort ?? -1 };
    for (const r of p.IpRanges ?? []) out.push({ ...base, cidr: r.CidrIp, description: r.Description });
    for (const r of p.Ipv6Ranges ?? []) out.push({ ...base, cidrIpv6: r.CidrIpv6, description: r.Description });
    for (const r of p.PrefixListIds ?? []) out.push({ ...base, prefixListId: r.PrefixListId, description: r.Description });
    for (const g of p.UserIdGroupPairs ?? []) out.push({ ...base, sourceGroupId: g.GroupId, description: g.Description });
  }
  return out;
}

function toPermission(r: SgRule): IpPermission {
  return {
    IpProtocol: r.protocol,
    ...(r.protocol === '-1' ? {} : { FromPort: r.fromPort, ToPort: r.toPort }),
    ...(r.cidr ? { IpRanges: [{ CidrIp: r.cidr, Description: r.description }] } : {}),
    ...(r.cidrIpv6 ? { Ipv6Ranges: [{ CidrIpv6: r.cidrIpv6, Description: r.description }] } : {}),
    ...(r.prefixListId ? { PrefixListIds: [{ PrefixListId: r.prefixListId, Description: r.description }] } : {}),
    ...(r.sourceGroupId ? { UserIdGroupPairs: [{ GroupId: r.sourceGroupId, Description: r.description }] } : {}),
  };
}

const GROUPS = 'security group';
const byFilters = (ctx: ResourceContext) => async (Filters: Filter[]) => (await ec2(ctx).send(new EC2.DescribeSecurityGroupsCommand({ Filters }))).SecurityGroups ?? [];

/** The stack's security groups (the default one once tagged), read once for every group, rules and default-group step of the run. */
const stackGroups = (ctx: ResourceContext) => stackWide(ctx, GROUPS, byFilters(ctx));

/** A group by id: from the stack's groups when the run's cache has it there, else asked alone. */
async function findGroup(ctx: ResourceContext, id: string): Promise<SecurityGroup | undefined> {
  return (await stackGroups(ctx))?.find((g) => g.GroupId === id) ?? describeGroup(ctx, id);
}

async function describeGroup(ctx: ResourceContext, id: string): Promise<SecurityGroup | undefined> {
  try {
    return (await ec2(ctx).send(new EC2.DescribeSecurityGroupsCommand({ GroupIds: [id] }))).SecurityGroups?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Authorizes the missing rules and revokes the extra ones, ingress and egress. */
async function convergeRules(ctx: ResourceContext, groupId: string, want: { ingress: SgRule[]; egress: SgRule[] }, have: { ingress: SgRule[]; egress: SgRule[] }, fresh = true): Promise<void> {
  const client = ec2(ctx);
  // Right after a create the groups named may not be visible yet; on teardown, not-found is final.
  const send = <T>(call: () => Promise<T>) => (fresh ? settle(ctx, call) : call());
  const missing = (a: SgRule[], b: SgRule[]) => a.filter((r) => !b.some((x) => ruleKey(x) === ruleKey(r)));
  const addIn = missing(want.ingress, have.ingress);
  const addOut = missing(want.egress, have.egress);
  const delIn = missing(have.ingress, want.ingress);
  const delOut = missing(have.egress, want.egress);
  // A retried authorize that took effect meets its rules ("already exists"): success once they are all
  // there. A retried revoke meets them gone: success.
  const present = (dir: 'ingress' | 'egress', rules: SgRule[]) => async () => {
    const g = await describeGroup(ctx, groupId);
    const have = flatten(dir === 'ingress' ? g?.IpPermissions : g?.IpPermissionsEgress);
    return missing(rules, have).length === 0 ? true : undefined;
  };
  if (addIn.length) {
    await writeOrVerify(() => send(() => client.send(new EC2.AuthorizeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: addIn.map(toPermission) }))), present('ingress', addIn));
  }
  if (addOut.length) {
    await writeOrVerify(() => send(() => client.send(new EC2.AuthorizeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: addOut.map(toPermission) }))), present('egress', addOut));
  }
  if (delIn.length) await deleteOrGone(() => send(() => client.send(new EC2.RevokeSecurityGroupIngressCommand({ GroupId: groupId, IpPermissions: delIn.map(toPermission) }))));
  if (delOut.length) await deleteOrGone(() => send(() => client.send(new EC2.RevokeSecurityGroupEgressCommand({ GroupId: groupId, IpPermissions: delOut.map(toPermission) }))));
}

function ruleChanges(want: { ingress: SgRule[]; egress: SgRule[] }, have: { ingress: SgRule[]; egress: SgRule[] }): FieldChange[] {
  const keys = (rs: SgRule[]) => rs.map(ruleKey).sort();
  return changesOf(['ingress', keys(have.ingress), keys(want.ingress)], ['egress', keys(have.egress), keys(want.egress)]);
}

// ---------------------------------------------------------------------------------------------
export interface SecurityGroupSpec {
  vpcId: string;
  name: string;
  description: string;
  tags: TagMap;
}

export interface SecurityGroupActual extends Actual {
  vpcId: string;
  name: string;
  description: string;
  ingress: SgRule[];
  egress: SgRule[];
  tags: TagMap;
}

function toGroup(g: SecurityGroup): SecurityGroupActual {
  return {
    id: g.GroupId!, arn: g.SecurityGroupArn, state: 'available', vpcId: g.VpcId ?? '', name: g.GroupName ?? '', description: g.Description ?? '',
    ingress: flatten(g.IpPermissions), egress: flatten(g.IpPermissionsEgress), tags: fromTagList(g.Tags),
  };
}

export const securityGroupKind: ResourceKind<SecurityGroupSpec, SecurityGroupActual, 'groupId'> = defineKind({
  name: 'ec2:security-group',
  noun: 'security group',
  timing: { createMs: 2_000, deleteMs: 2_000 },
  onReplace: 'refuse',

  async find(ctx) {
    const client = ec2(ctx);
    const found = await findByIdOrTags(
      ctx, GROUPS,
      async (id) => (await client.send(new EC2.DescribeSecurityGroupsCommand({ GroupIds: [id] }))).SecurityGroups ?? [],
      byFilters(ctx),
      (g) => g.GroupId!,
      toGroup,
    );
    return found;
  },

  diff(desired, actual) {
    const fixed = changesOf(['vpcId', actual.vpcId, desired.vpcId], ['name', actual.name, desired.name], ['description', actual.description, desired.description]);
    const tags = tagChanges(desired.tags, actual.tags);
    if (fixed.length) return { changes: [...fixed, ...tags], replace: 'a security group\'s VPC, name and description cannot change' };
    return { changes: tags };
  },

  async create(ctx, desired) {
    const client = ec2(ctx);
    // The name is unique in the VPC: a retried create meets the group it made, taken when it carries this step's tags.
    const r = await writeOrVerify(() => client.send(new EC2.CreateSecurityGroupCommand({
        VpcId: desired.vpcId, GroupName: desired.name, Description: desired.description, TagSpecifications: tagSpec('security-group', desired.tags),
      })),
      async () => {
        const g = (await byFilters(ctx)([{ Name: 'vpc-id', Values: [desired.vpcId] }, { Name: 'group-name', Values: [desired.name] }]))[0];
        const tags = fromTagList(g?.Tags);
        if (!g || tags[TAG_STACK] !== ctx.stack || tags[TAG_STEP] !== ctx.step) return undefined;
        ctx.warn(`security group ${g.GroupId} already existed with this step's tags (a create whose answer was lost); using it.`);
        return { GroupId: g.GroupId, SecurityGroupArn: g.SecurityGroupArn };
      });
    const id = r.GroupId!;
    await ctx.recordId(id, r.SecurityGroupArn);
    // A new group allows all egress: revoke it now; the rules step adds exactly what the tier needs.
    const g = await describeGroup(ctx, id);
    const egress = flatten(g?.IpPermissionsEgress);
    if (egress.length) await convergeRules(ctx, id, { ingress: [], egress: [] }, { ingress: [], egress });
    return { id, arn: r.SecurityGroupArn, state: 'available', vpcId: desired.vpcId, name: desired.name, description: desired.description, ingress: [], egress: [], tags: desired.tags };
  },

  async update(ctx, desired, actual) {
    const toSet = tagsToSet(desired.tags, actual.tags);
    await ec2(ctx).send(new EC2.CreateTagsCommand({ Resources: [actual.id], Tags: toTagList(toSet) }));
    return { ...actual, tags: { ...actual.tags, ...toSet } };
  },

  async delete(ctx, actual) {
    // Its own rules may reference other groups (and theirs it): revoke them so each can be deleted.
    // A rule naming a group that is already gone cannot be revoked by name: the delete takes it.
    const current = await describeGroup(ctx, actual.id);
    if (!current) return;
    try {
      await convergeRules(ctx, actual.id, { ingress: [], egress: [] }, { ingress: flatten(current.IpPermissions), egress: flatten(current.IpPermissionsEgress) }, false);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    await deleteWhenReleased(ctx, `security group ${actual.id}`, () => ec2(ctx).send(new EC2.DeleteSecurityGroupCommand({ GroupId: actual.id })),
      () => interfacesWith(ctx, [{ Name: 'group-id', Values: [actual.id] }]));
  },

  outputs: (a) => ({ groupId: a.id }),
});

// ---------------------------------------------------------------------------------------------
export interface SecurityGroupRulesSpec {
  groupId: string;
  ingress: SgRule[];
  egress: SgRule[];
}

export interface SecurityGroupRulesActual extends Actual {
  ingress: SgRule[];
  egress: SgRule[];
}

export const securityGroupRulesKind: ResourceKind<SecurityGroupRulesSpec, SecurityGroupRulesActual, 'groupId'> = defineKind({
  name: 'ec2:security-group-rules',
  noun: 'security group rules',
  foundBySpec: true,
  timing: { createMs: 1_000, deleteMs: 1_000 },

  /** The rules live in their group: found through the group id the spec names (or the one recorded). */
  async find(ctx, desired) {
    const id = desired && known(desired.groupId) ? desired.groupId : ctx.recordedId;
    const g = id ? await findGroup(ctx, id) : undefined;
    return g && { id: g.GroupId!, state: 'available', ingress: flatten(g.IpPermissions), egress: flatten(g.IpPermissionsEgress) };
  },

  diff: (desired, actual) => ({ changes: ruleChanges(desired, actual) }),

  async create(ctx, desired) {
    const g = await describeGroup(ctx, desired.groupId);
    const have = { ingress: flatten(g?.IpPermissions), egress: flatten(g?.IpPermissionsEgress) };
    await ctx.recordId(desired.groupId);
    await convergeRules(ctx, desired.groupId, desired, have);
    return { id: desired.groupId, state: 'available', ingress: desired.ingress, egress: desired.egress };
  },

  async update(ctx, desired, actual) {
    await convergeRules(ctx, actual.id, desired, actual);
    return { ...actual, ingress: desired.ingress, egress: desired.egress };
  },

  async delete(ctx, actual) {
    try {
      await convergeRules(ctx, actual.id, { ingress: [], egress: [] }, actual, false);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  },

  outputs: (a) => ({ groupId: a.id }),
});

// ---------------------------------------------------------------------------------------------
export interface DefaultSecurityGroupSpec {
  vpcId: string;
  tags: TagMap;
}

/** The VPC's default security group: AWS creates and deletes it with the VPC; wpdeploy empties it. */
export const defaultSecurityGroupKind: ResourceKind<DefaultSecurityGroupSpec, SecurityGroupActual, 'groupId'> = defineKind({
  name: 'ec2:default-security-group',
  noun: 'default security group',
  foundBySpec: true,
  timing: { createMs: 1_000, deleteMs: 0 },

  async find(ctx, desired) {
    const client = ec2(ctx);
    if (desired && known(desired.vpcId)) {
      // Among the stack's groups once wpdeploy has tagged it; before that, asked for by VPC.
      const listed = (await stackGroups(ctx))?.find((g) => g.VpcId === desired.vpcId && g.GroupName === 'default');
      if (listed) return toGroup(listed);
      const r = await client.send(new EC2.DescribeSecurityGroupsCommand({
        Filters: [{ Name: 'vpc-id', Values: [desired.vpcId] }, { Name: 'group-name', Values: ['default'] }],
      }));
      const g = r.SecurityGroups?.[0];
      return g && toGroup(g);
    }
    const g = ctx.recordedId ? await findGroup(ctx, ctx.recordedId) : undefined;
    return g && toGroup(g);
  },

  diff(desired, actual) {
    const changes = ruleChanges({ ingress: [], egress: [] }, actual);
    changes.push(...tagChanges(desired.tags, actual.tags));
    return { changes };
  },

  async create(ctx, desired) {
    const found = await defaultSecurityGroupKind.find(ctx, desired);
    if (!found) throw new Error(`the default security group of ${desired.vpcId} was not found`);
    await ctx.recordId(found.id);
    return defaultSecurityGroupKind.update!(ctx, desired, found, { changes: [] });
  },

  async update(ctx, desired, actual) {
    await convergeRules(ctx, actual.id, { ingress: [], egress: [] }, actual);
    const toSet = tagsToSet(desired.tags, actual.tags);
    if (Object.keys(toSet).length) await ec2(ctx).send(new EC2.CreateTagsCommand({ Resources: [actual.id], Tags: toTagList(toSet) }));
    return { ...actual, ingress: [], egress: [], tags: { ...actual.tags, ...toSet } };
  },

  /** Goes with its VPC: nothing to do. */
  async delete() {},

  outputs: (a) => ({ groupId: a.id }),
});
