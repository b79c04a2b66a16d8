/**
 * What the EC2 resource kinds share: lookup by id then tags, a VPC's default resources, tag updates,
 * diffs with fields that cannot change in place, and deletes that wait out dependencies. The calls
 * go through the thin layer of `ec2-api.ts`.
 */
import type { Filter, ResourceType } from '@aws-sdk/client-ec2';
import { EC2 } from '../aws/sdk.js';
import { isDependencyViolation, isNotFound } from '../aws/errors.js';
import { retrying } from '../aws/poll.js';
import { TAG_STACK, ec2TagFilters, fromTagList, ownedBy, tagChanges, type TagMap, tagsToSet, toTagList } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { describeAll, describeOne, ec2, type Ec2Type, settle } from './ec2-api.js';
import { changesOf, known, type Actual, type Diff, type FieldChange, type ResourceContext } from './types.js';

export { ec2, settle } from './ec2-api.js';

type Tagged = { Tags?: Array<{ Key?: string; Value?: string }> };

/** The `TagSpecifications` of a create: the resource is tagged in the same call. */
export function tagSpec(resourceType: ResourceType, tags: TagMap) {
  return [{ ResourceType: resourceType, Tags: toTagList(tags) }];
}

/**
 * Every resource of one EC2 type that carries the stack's tag, read once for all the steps of the
 * run (one DescribeSubnets for every subnet step, say) and read again after an EC2 change.
 * Undefined without the run's read cache (a kind tested alone).
 */
export function stackWide<T>(ctx: ResourceContext, type: Ec2Type<T>): Promise<T[]> | undefined {
  return ctx.reads?.read(`ec2:${type.noun}:${ctx.stack}`, 'EC2', () => describeAll(ctx, type, { filters: [{ Name: `tag:${TAG_STACK}`, Values: [ctx.stack] }] }));
}

/**
 * Finds one resource: by the recorded id when there is one (a not-found error means gone), else by
 * the stack and step tags. The tags of what comes back are checked here too, so a filter the
 * endpoint ignores cannot hand over another step's resource. When the tags match several (a create
 * whose response was lost, then retried), the first is kept and the others are handed to the
 * engine as duplicates, which removes them. `live` leaves out what is as good as gone (a NAT
 * gateway being deleted).
 *
 * With the run's read cache, one describe of the type filtered by the stack's tag (`stackWide`)
 * serves every step: the recorded id is looked up in it, and asked for alone only when it is not
 * there (a resource whose tags were changed, or one that is gone).
 */
export async function findTagged<T extends Tagged, A extends Actual>(
  ctx: ResourceContext,
  type: Ec2Type<T>,
  toActual: (t: T) => A | Promise<A>,
  live: (t: T) => boolean = () => true,
): Promise<A | undefined> {
  const all = (await stackWide(ctx, type))?.filter(live);
  if (ctx.recordedId) {
    const byId = all?.find((t) => type.idOf(t) === ctx.recordedId) ?? (await describeOne(ctx, type, ctx.recordedId));
    if (byId && live(byId)) return toActual(byId);
  }
  const found = (all ?? (await describeAll(ctx, type, { filters: ec2TagFilters(ctx.stack, ctx.step) })).filter(live))
    .filter((t) => ownedBy(ctx, fromTagList(t.Tags)));
  if (found.length === 0) return undefined;
  if (found.length > 1) {
    ctx.warn(`${found.length} ${type.noun}s carry the tags of step ${ctx.step} (${found.map(type.idOf).join(', ')}): one is kept, the others removed.`);
    for (const extra of found.slice(1)) ctx.duplicate(await toActual(extra));
  }
  return toActual(found[0]!);
}

/**
 * What every EC2 kind found by its stack and step tags shares: its noun, its `find`, and an update
 * that sets its tags (a kind that changes more in place gives its own). `toActual` reads one
 * resource as the kind reports it; `live` as in `findTagged`.
 */
export function ec2Tagged<T extends Tagged, A extends Actual & { tags: TagMap }>(
  type: Ec2Type<T>,
  toActual: (t: T, ctx: ResourceContext) => A | Promise<A>,
  live?: (t: T) => boolean,
) {
  return {
    noun: type.noun,
    find: (ctx: ResourceContext) => findTagged(ctx, type, (t) => toActual(t, ctx), live),
    update: (ctx: ResourceContext, desired: { tags: TagMap }, actual: A) => updateTags(ctx, desired, actual),
  };
}

/** The spec of a VPC's default resource: which VPC, and the tags wpdeploy puts on it. */
export interface VpcDefaultSpec {
  vpcId: string;
  tags: TagMap;
}

/**
 * A VPC's default resource (its network ACL, its security group), which AWS creates and deletes
 * with the VPC: among the stack's once wpdeploy has tagged it, else asked for by VPC (`isDefault`
 * and `filter` say which one is the default); without a known VPC (teardown with a lost state), by
 * the recorded id.
 */
export async function findDefault<T extends Tagged & { VpcId?: string }, A extends Actual>(
  ctx: ResourceContext,
  type: Ec2Type<T>,
  vpcId: string | undefined,
  def: { isDefault: (t: T) => boolean; filter: Filter },
  toActual: (t: T) => A,
): Promise<A | undefined> {
  const listed = await stackWide(ctx, type);
  let found: T | undefined;
  if (known(vpcId)) {
    found = listed?.find((t) => t.VpcId === vpcId && def.isDefault(t))
      ?? (await describeAll(ctx, type, { filters: [{ Name: 'vpc-id', Values: [vpcId] }, def.filter] }))[0];
  } else if (ctx.recordedId) {
    found = listed?.find((t) => type.idOf(t) === ctx.recordedId) ?? (await describeOne(ctx, type, ctx.recordedId));
  }
  return found && toActual(found);
}

/**
 * What a VPC's default resource kind shares (AWS creates it with the VPC and deletes it with the
 * VPC): it is found through the spec's VPC (`findDefault`); its create finds it, records it and
 * converges it; its update `strip`s it (of its rules) and sets its tags; its delete does nothing
 * (and takes no time).
 */
export function ec2VpcDefault<T extends Tagged & { VpcId?: string }, A extends Actual & { tags: TagMap }>(
  type: Ec2Type<T>,
  def: { isDefault: (t: T) => boolean; filter: Filter },
  toActual: (t: T) => A,
  strip: (ctx: ResourceContext, actual: A) => Promise<A>,
) {
  const find = (ctx: ResourceContext, desired?: VpcDefaultSpec) => findDefault(ctx, type, desired?.vpcId, def, toActual);
  const update = async (ctx: ResourceContext, desired: VpcDefaultSpec, actual: A): Promise<A> =>
    ({ ...(await strip(ctx, actual)), tags: await retag(ctx, actual.id, desired.tags, actual.tags) });
  return {
    noun: `default ${type.noun}`,
    foundBySpec: true,
    timing: { createMs: 1_000, deleteMs: 0 },
    find,
    update,
    async create(ctx: ResourceContext, desired: VpcDefaultSpec): Promise<A> {
      const found = await find(ctx, desired);
      if (!found) throw new WpdeployError(`the default ${type.noun} of ${desired.vpcId} was not found.`, { hint: 'Check that the VPC still exists, then run `wpdeploy up` again.' });
      await ctx.recordId(found.id);
      return update(ctx, desired, found);
    },
    /** Goes with its VPC: nothing to do. */
    async delete() {},
  };
}

/** Sets the tags that `desired` adds or changes (tags set by others stay); returns the tags after. */
export async function retag(ctx: ResourceContext, id: string, desired: TagMap, actual: TagMap): Promise<TagMap> {
  const toSet = tagsToSet(desired, actual);
  if (Object.keys(toSet).length) await settle(ctx, () => ec2(ctx).send(new EC2.CreateTagsCommand({ Resources: [id], Tags: toTagList(toSet) })));
  return { ...actual, ...toSet };
}

/** The update of a kind whose tags are all that can change in place. */
export async function updateTags<A extends Actual & { tags: TagMap }>(ctx: ResourceContext, desired: { tags: TagMap }, actual: A): Promise<A> {
  return { ...actual, tags: await retag(ctx, actual.id, desired.tags, actual.tags) };
}

/**
 * Entries converged by key (a route table's routes by destination, an ACL's rules by number and
 * direction): which to create, which to replace (`show` differs), which to remove, and the
 * changes a diff reports for them, `<field>.<key>` each.
 */
export function entryPlan<E>(want: E[], have: E[], key: (e: E) => string, show: (e: E) => string) {
  const had = new Map(have.map((e) => [key(e), e]));
  const wanted = new Set(want.map(key));
  const create = want.filter((e) => !had.has(key(e)));
  const replace = want.filter((e) => had.has(key(e)) && show(had.get(key(e))!) !== show(e));
  const remove = have.filter((e) => !wanted.has(key(e)));
  const changes = (field: string): FieldChange[] => [
    ...[...create, ...replace].map((e) => ({ field: `${field}.${key(e)}`, from: had.has(key(e)) ? show(had.get(key(e))!) : undefined, to: show(e) })),
    ...remove.map((e) => ({ field: `${field}.${key(e)}`, from: show(e), to: undefined })),
  ];
  return { create, replace, remove, changes };
}

/**
 * A diff where the `fixed` changes cannot be made in place (`why` says so, given their fields) and
 * the `inPlace` ones can.
 */
export function diffFixed(fixed: FieldChange[], inPlace: FieldChange[], why: (fields: string) => string): Diff {
  if (fixed.length === 0) return { changes: inPlace };
  return { changes: [...fixed, ...inPlace], replace: why(fixed.map((c) => c.field).join(', ')) };
}

/**
 * The diff of what lives in one VPC and holds entries and subnets (a route table, a network ACL):
 * its entries' changes, its subnets when they differ (`subnetsDiffer`, the subnets it has), its
 * tags; its VPC cannot change.
 */
export function inVpcDiff(
  noun: string,
  desired: { vpcId: string; subnetIds: string[]; tags: TagMap },
  actual: { vpcId: string; tags: TagMap },
  entries: FieldChange[],
  subnetsDiffer: string[] | undefined,
): Diff {
  const subnets = subnetsDiffer ? [{ field: 'subnets', from: [...subnetsDiffer].sort(), to: [...desired.subnetIds].sort() }] : [];
  return diffFixed(changesOf(['vpcId', actual.vpcId, desired.vpcId]), [...entries, ...subnets, ...tagChanges(desired.tags, actual.tags)],
    () => `a ${noun} cannot move to another VPC`);
}

/** Network interfaces matching a filter, as `eni-… (description)`, to name what holds a resource. */
export async function describeHolders(ctx: ResourceContext, filter: Filter): Promise<string[]> {
  const r = await ec2(ctx).send(new EC2.DescribeNetworkInterfacesCommand({ Filters: [filter] }));
  return (r.NetworkInterfaces ?? []).map((n) => `${n.NetworkInterfaceId} (${n.Description || n.InterfaceType || 'no description'})`);
}

/**
 * Runs a delete: not-found is success; a DependencyViolation is retried for a bounded time while
 * whatever holds the resource drains, and then reported naming the holders.
 */
export async function deleteTolerant(
  ctx: ResourceContext,
  what: string,
  del: () => Promise<unknown>,
  holders?: () => Promise<string[]>,
  opts: { attempts?: number; baseMs?: number } = {},
): Promise<void> {
  try {
    await retrying(del, {
      retryable: isDependencyViolation,
      attempts: opts.attempts ?? 7,
      baseMs: opts.baseMs ?? 2_000,
      scale: ctx.scale,
      onRetry: () => ctx.progress(`${what} is still in use; waiting for it to be released`),
    });
  } catch (err) {
    if (isNotFound(err)) return;
    if (isDependencyViolation(err)) {
      const held = holders ? await holders() : [];
      throw new WpdeployError(`${what} is still in use${held.length ? ` by ${held.join(', ')}` : ''}.`, {
        hint: 'Remove what still uses it (or wait for AWS to release it) and run `wpdeploy down` again.',
        cause: err,
      });
    }
    throw err;
  }
}
