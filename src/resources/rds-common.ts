/** What the RDS kinds share: the client, tags by ARN, ownership. */
import { RDS } from '../aws/sdk.js';
import { fromTagList, ownedBy, TAG_STACK, type TagMap } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
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
