/**
 * What the Elastic Load Balancing kinds share (load balancer, target group, listener): the client,
 * describes with not-found as undefined, tags read in batches across the three kinds, attribute
 * maps, and the find and create skeletons of the two that have a name of their own.
 */
import type { LoadBalancer, TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import { orAbsent } from '../aws/idempotent.js';
import { ELBv2 } from '../aws/sdk.js';
import { isAlreadyExists, isEventuallyConsistentNotFound } from '../aws/errors.js';
import { retrying } from '../aws/poll.js';
import type { BatchSpec } from '../aws/read-cache.js';
import { addMissingTags, fromTagList, ownedBy, type TagMap } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { indexedTags } from './tag-index.js';
import type { FieldChange, ResourceContext } from './types.js';

export const elbv2 = (ctx: ResourceContext) => ctx.aws.get(ELBv2.ElasticLoadBalancingV2Client);

/** One resource by ARN or by name. */
type ElbRef = { arn: string } | { name: string };

export const describeLoadBalancer = (ctx: ResourceContext, by: ElbRef): Promise<LoadBalancer | undefined> =>
  orAbsent(async () => (await elbv2(ctx).send(new ELBv2.DescribeLoadBalancersCommand('arn' in by ? { LoadBalancerArns: [by.arn] } : { Names: [by.name] }))).LoadBalancers?.[0]);

export const describeTargetGroup = (ctx: ResourceContext, by: ElbRef): Promise<TargetGroup | undefined> =>
  orAbsent(async () => (await elbv2(ctx).send(new ELBv2.DescribeTargetGroupsCommand('arn' in by ? { TargetGroupArns: [by.arn] } : { Names: [by.name] }))).TargetGroups?.[0]);

/**
 * DescribeTags for up to 20 ELB resources at once: the load balancer, target groups and listeners
 * asked for in one tick, with those the state records read along (see read-cache.ts).
 */
const ELB_TAGS: BatchSpec<TagMap> = {
  name: 'elbv2:tags',
  dependsOn: 'ElasticLoadBalancingV2',
  max: 20,
  more: (cache) => cache.recorded('elbv2:load-balancer', 'elbv2:target-group', 'elbv2:listener').map((r) => r.arn ?? r.id ?? '').filter((a) => a.startsWith('arn:')),
  async loadMany(aws, keys) {
    const r = await aws.get(ELBv2.ElasticLoadBalancingV2Client).send(new ELBv2.DescribeTagsCommand({ ResourceArns: keys }));
    return new Map((r.TagDescriptions ?? []).map((d) => [d.ResourceArn!, fromTagList(d.Tags)]));
  },
};

/** The tags of a load balancer, target group or listener (from the stack's tag index, or batched with the others of the run). */
export async function elbTags(ctx: ResourceContext, arn: string): Promise<TagMap> {
  const indexed = await indexedTags(ctx, arn);
  if (indexed) return indexed;
  if (ctx.reads) return (await ctx.reads.batch(ELB_TAGS, arn)) ?? {};
  const r = await elbv2(ctx).send(new ELBv2.DescribeTagsCommand({ ResourceArns: [arn] }));
  return fromTagList(r.TagDescriptions?.[0]?.Tags);
}

/** Adds the tags that are missing or differ; returns the tags it then carries. */
export const addElbTags = (ctx: ResourceContext, arn: string, desired: TagMap, actual: TagMap): Promise<TagMap> =>
  addMissingTags(desired, actual, (Tags) => elbv2(ctx).send(new ELBv2.AddTagsCommand({ ResourceArns: [arn], Tags })));

/** `[{Key, Value}]` as ELB describes attributes, as a map. */
export const attributeMap = (list: ReadonlyArray<{ Key?: string; Value?: string }> | undefined): Record<string, string> =>
  Object.fromEntries((list ?? []).map((a) => [a.Key!, a.Value ?? '']));

/** A map of attributes as ELB takes them. */
export const attributeList = (attrs: Record<string, string>) => Object.entries(attrs).map(([Key, Value]) => ({ Key, Value }));

/** The wanted attributes whose value differs; attributes wpdeploy does not set are left as they are. */
export const attributesToSet = (desired: Record<string, string>, actual: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(desired).filter(([k, v]) => actual[k] !== v));

/** One `attributes.<key>` change per attribute to set. */
export const attributeChanges = (desired: Record<string, string>, actual: Record<string, string>): FieldChange[] =>
  Object.entries(attributesToSet(desired, actual)).map(([k, v]) => ({ field: `attributes.${k}`, from: actual[k], to: v }));

/** Runs a call on a resource just created, which other ELB calls may not see for a moment. */
export const onceVisible = <T>(ctx: ResourceContext, call: () => Promise<T>, opts: { attempts?: number; baseMs?: number; onRetry?: () => void } = {}): Promise<T> =>
  retrying(call, { retryable: isEventuallyConsistentNotFound, attempts: opts.attempts ?? 5, baseMs: opts.baseMs ?? 1_000, scale: ctx.scale, onRetry: opts.onRetry });

/** A kind of ELB resource with a name of its own (load balancer, target group). */
export interface NamedElb<R> {
  noun: string;
  describe(ctx: ResourceContext, by: ElbRef): Promise<R | undefined>;
  arnOf(r: R): string;
}

/**
 * By the recorded ARN, then by the wanted name when the resource carries this stack's and step's
 * tags; undefined when neither finds one. `toActual` gets the tags when they were read already.
 */
export async function findNamed<R, A>(ctx: ResourceContext, name: string | undefined, elb: NamedElb<R>, toActual: (r: R, tags?: TagMap) => Promise<A>): Promise<A | undefined> {
  if (ctx.recordedId) {
    const r = await elb.describe(ctx, { arn: ctx.recordedId });
    if (r) return toActual(r);
  }
  if (!name) return undefined;
  const r = await elb.describe(ctx, { name });
  if (!r) return undefined;
  const tags = await elbTags(ctx, elb.arnOf(r));
  return ownedBy(ctx, tags) ? toActual(r, tags) : undefined;
}

/**
 * Runs the create (`create` returns the new ARN) and records the ARN. When the name is taken by one
 * with this step's tags (a create whose answer was lost), that one is adopted; any other is refused.
 */
export async function createNamed<R>(ctx: ResourceContext, name: string, elb: NamedElb<R>, create: () => Promise<string>): Promise<string> {
  let arn: string;
  try {
    arn = await create();
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const r = await elb.describe(ctx, { name });
    if (!r || !ownedBy(ctx, await elbTags(ctx, elb.arnOf(r)))) {
      throw new WpdeployError(`a ${elb.noun} named ${name} already exists and is not the one of step ${ctx.step} of stack ${ctx.stack}.`, {
        hint: 'Delete it if nothing uses it, or deploy under another stack name.', cause: err,
      });
    }
    ctx.warn(`${elb.noun} ${name} already existed with this step's tags; adopted it.`);
    arn = elb.arnOf(r);
  }
  await ctx.recordId(arn, arn);
  return arn;
}
