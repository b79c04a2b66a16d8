/**
 * The RDS layer the RDS kinds share: the client, each resource read by its name (undefined when
 * AWS says it does not exist), every page of a listing, tags by ARN, and the two shapes of a kind
 * named by its spec: find by the recorded name then the fixed one, and create or adopt.
 */
import type { DBInstance, DBParameterGroup, DBProxy, DBSnapshot, DBSubnetGroup } from '@aws-sdk/client-rds';
import { isAlreadyExists } from '../aws/errors.js';
import { orAbsent } from '../aws/idempotent.js';
import { RDS } from '../aws/sdk.js';
import { addMissingTags, fromTagList, ownedBy, TAG_STACK, type TagMap } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { paged } from '../aws/reads.js';
import { indexedTags } from './tag-index.js';
import type { Actual, ResourceContext, ResourceKind } from './types.js';

export const rds = (ctx: Pick<ResourceContext, 'aws'>) => ctx.aws.get(RDS.RDSClient);

type Aws = Pick<ResourceContext, 'aws'>;

/** One RDS resource by its name or identifier; undefined when it does not exist. */
export const describeRds = {
  instance: (ctx: Aws, id: string): Promise<DBInstance | undefined> =>
    orAbsent(async () => (await rds(ctx).send(new RDS.DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0]),
  subnetGroup: (ctx: Aws, name: string): Promise<DBSubnetGroup | undefined> =>
    orAbsent(async () => (await rds(ctx).send(new RDS.DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: name }))).DBSubnetGroups?.[0]),
  parameterGroup: (ctx: Aws, name: string): Promise<DBParameterGroup | undefined> =>
    orAbsent(async () => (await rds(ctx).send(new RDS.DescribeDBParameterGroupsCommand({ DBParameterGroupName: name }))).DBParameterGroups?.[0]),
  proxy: (ctx: Aws, name: string): Promise<DBProxy | undefined> =>
    orAbsent(async () => (await rds(ctx).send(new RDS.DescribeDBProxiesCommand({ DBProxyName: name }))).DBProxies?.[0]),
  snapshot: (ctx: Aws, id: string): Promise<DBSnapshot | undefined> =>
    orAbsent(async () => (await rds(ctx).send(new RDS.DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }))).DBSnapshots?.[0]),
};

/** Every item of an RDS listing, page by page (RDS pages with `Marker`). */
export function rdsPages<T>(page: (Marker: string | undefined) => Promise<{ items?: T[]; Marker?: string }>): Promise<T[]> {
  return paged(page, (r) => [r.items, r.Marker]);
}

/**
 * The tags of an RDS resource; `list` when the describe call already returned them (TagList), else
 * from the stack's tag index when the run has one, else asked for.
 */
export async function rdsTags(ctx: Aws & Partial<Pick<ResourceContext, 'reads' | 'stack'>>, arn: string, list?: ReadonlyArray<{ Key?: string; Value?: string }>): Promise<TagMap> {
  if (list) return fromTagList(list);
  const indexed = ctx.reads && ctx.stack ? await indexedTags({ aws: ctx.aws, reads: ctx.reads, stack: ctx.stack }, arn) : undefined;
  if (indexed) return indexed;
  return fromTagList((await rds(ctx).send(new RDS.ListTagsForResourceCommand({ ResourceName: arn }))).TagList);
}

/** Adds the tags of `desired` the resource lacks (AddTagsToResource); the tags it carries after. */
export function addRdsTags(ctx: Aws, arn: string, desired: TagMap, actual: TagMap): Promise<TagMap> {
  return addMissingTags(desired, actual, (Tags) => rds(ctx).send(new RDS.AddTagsToResourceCommand({ ResourceName: arn, Tags })));
}

/** How a kind named by its spec reads its resource: by name (undefined when it does not exist), and as its Actual. */
export interface ByName<R, A> {
  describe: (name: string) => Promise<R | undefined>;
  toActual: (r: R) => Promise<A>;
}

/**
 * The resource of a step whose name the spec fixes: by the recorded name, then by `fixed` when it
 * carries this step's tags (`owns`: by default the stack's and the step's). `gone` skips one being
 * deleted.
 */
export async function findByName<R, A extends { tags: TagMap }>(
  ctx: ResourceContext,
  fixed: string | undefined,
  read: ByName<R, A> & { gone?: (r: R) => boolean; owns?: (tags: TagMap) => boolean },
): Promise<A | undefined> {
  const owns = read.owns ?? ((tags: TagMap) => ownedBy(ctx, tags));
  for (const name of [...new Set([ctx.recordedId, fixed].filter((n): n is string => !!n))]) {
    const r = await read.describe(name);
    if (!r || read.gone?.(r)) continue;
    const a = await read.toActual(r);
    if (name === ctx.recordedId || owns(a.tags)) return a;
  }
  return undefined;
}

/**
 * A create that AWS answered "already exists": the resource of that name (`found`) is adopted, with a
 * warning and its id recorded, when it carries this step's tags (a create that stopped before the
 * id was recorded); anything else is refused, naming its stack and `freeIt`, the command that frees the name.
 */
export async function adoptOwned<A extends { id: string; arn: string; tags: TagMap }>(
  ctx: Pick<ResourceContext, 'stack' | 'step' | 'warn' | 'recordId'>, noun: string, name: string, found: A | undefined, cause: unknown, freeIt: string,
): Promise<A> {
  if (!found || !ownedBy(ctx, found.tags)) {
    throw new WpdeployError(`a ${noun} named ${name} already exists and is not the one of step ${ctx.step} of stack ${ctx.stack}${found?.tags[TAG_STACK] ? ` (it belongs to stack ${found.tags[TAG_STACK]})` : ''}.`, {
      hint: `Delete it if nothing uses it (\`${freeIt}\`), or deploy under another stack name.`,
      cause,
    });
  }
  ctx.warn(`${noun} ${name} already existed with this step's tags; adopted it.`);
  await ctx.recordId(found.id, found.arn);
  return found;
}

/**
 * Runs the create call of a resource named by its spec, records the id and ARN its answer gives
 * (`recorded`), then `created` with it. When AWS answers "already exists", the resource of that name
 * is adopted (adoptOwned) and handed to `adopted` to converge; one that is not this step's is refused.
 */
export async function createOrAdopt<R, D, A extends { id: string; arn: string; tags: TagMap }>(ctx: ResourceContext, o: {
  noun: string;
  name: string;
  /** The command that frees the name, for the refusal. */
  freeIt: string;
  create: () => Promise<R>;
  recorded: (r: R) => [id: string, arn: string | undefined];
  read: ByName<D, A>;
  created: (r: R) => Promise<A>;
  adopted: (a: A) => Promise<A>;
}): Promise<A> {
  let r: R;
  try {
    r = await o.create();
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const found = await o.read.describe(o.name);
    return o.adopted(await adoptOwned(ctx, o.noun, o.name, found && (await o.read.toActual(found)), err, o.freeIt));
  }
  await ctx.recordId(...o.recorded(r));
  return o.created(r);
}

/** What an adopted resource is handed to: the kind's update, with its diff from the spec. */
export function converge<S, A extends Actual>(ctx: ResourceContext, kind: ResourceKind<S, A>, desired: S): (a: A) => Promise<A> {
  return (a) => kind.update!(ctx, desired, a, kind.diff(desired, a));
}
