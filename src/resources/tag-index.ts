/**
 * The stack's tags from the Resource Groups Tagging API, for the kinds whose describe does not
 * return tags (log groups, the S3 bucket, RDS subnet groups, ELB load balancers, target groups and
 * listeners): one GetResources call, filtered by the stack's tag, answers the tag reads of all of
 * them.
 *
 * Read at most once per run, and only while the run has changed nothing (`plan`, `status`, an `up`
 * with nothing to do): the index is eventually consistent, and in a run that changes things each
 * resource's tags are read from its own service. A resource missing from the index (a type the
 * endpoint does not index, its stack tag removed by someone, just created) is read from its own
 * service, so the index only ever saves calls; a tag changed out of band shows as drift once the
 * index has caught up (seconds on AWS). An endpoint or a policy without the Tagging API gives an
 * empty index.
 */
import { Tagging } from '../aws/sdk.js';
import { isAccessDenied, isNotImplemented } from '../aws/errors.js';
import { fromTagList, TAG_STACK, type TagMap } from '../aws/tags.js';
import type { ResourceContext } from './types.js';

/** The services whose resources are looked up here (service-level type filters, which every endpoint understands). */
const TYPES = ['logs', 's3', 'rds', 'elasticloadbalancing'];

/** Log group ARNs come with and without a trailing `:*`. */
const normal = (arn: string) => arn.replace(/:\*$/, '');

async function load(ctx: Pick<ResourceContext, 'aws' | 'stack'>): Promise<Map<string, TagMap>> {
  const client = ctx.aws.get(Tagging.ResourceGroupsTaggingAPIClient);
  const out = new Map<string, TagMap>();
  let PaginationToken: string | undefined;
  try {
    do {
      const r = await client.send(new Tagging.GetResourcesCommand({ TagFilters: [{ Key: TAG_STACK, Values: [ctx.stack] }], ResourceTypeFilters: TYPES, PaginationToken }));
      for (const m of r.ResourceTagMappingList ?? []) if (m.ResourceARN) out.set(normal(m.ResourceARN), fromTagList(m.Tags));
      PaginationToken = r.PaginationToken || undefined;
    } while (PaginationToken);
  } catch (err) {
    if (isAccessDenied(err) || isNotImplemented(err)) return new Map(); // read per resource instead
    throw err;
  }
  return out;
}

/**
 * The tags of `arn` from the stack's tag index, when the run's read cache has one (see above);
 * undefined means: read them from the resource's own service.
 */
export async function indexedTags(ctx: Pick<ResourceContext, 'aws' | 'stack' | 'reads'>, arn: string): Promise<TagMap | undefined> {
  // A stack with nothing recorded yet (a first `up`) has nothing to look up in bulk.
  if (!ctx.reads || ctx.reads.recorded().length === 0) return undefined;
  const index = await ctx.reads.readWhileUnchanged(`tagging:${ctx.stack}`, () => load(ctx));
  return index?.get(normal(arn));
}
