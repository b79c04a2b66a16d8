/** What the RDS kinds share: the client, tags by ARN, ownership. */
import { RDS } from '../aws/sdk.js';
import { fromTagList, TAG_STACK, TAG_STEP, type TagMap } from '../aws/tags.js';
import { indexedTags } from './tag-index.js';
import type { ResourceContext } from './types.js';

export const rds = (ctx: Pick<ResourceContext, 'aws'>) => ctx.aws.get(RDS.RDSClient);

/**
 * The tags of an RDS resource; `list` when the describe call already returned them (TagList), else
 * from the stack's tag index when the run has one, else asked for.
 */
export async function rdsTags(ctx: Pick<ResourceContext, 'aws'> & Partial<Pick<ResourceContext, 'reads' | 'stack'>>, arn: string, list?: ReadonlyArray<{ Key?: string; Value?: string }>): Promise<TagMap> {
  if (list) return fromTagList(list);
  const indexed = ctx.reads && ctx.stack ? await indexedTags({ aws: ctx.aws, reads: ctx.reads, stack: ctx.stack }, arn) : undefined;
  if (indexed) return indexed;
  return fromTagList((await rds(ctx).send(new RDS.ListTagsForResourceCommand({ ResourceName: arn }))).TagList);
}

/** Carries this stack's and this step's tags. */
export const ownedBy = (ctx: Pick<ResourceContext, 'stack' | 'step'>, tags: TagMap) => tags[TAG_STACK] === ctx.stack && tags[TAG_STEP] === ctx.step;
