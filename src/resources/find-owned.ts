/**
 * The second half of a find for kinds with no tag filter in their list call (log groups, IAM roles,
 * ACM certificates): among what a wider listing returned (a name prefix, a path, a domain), the
 * resources whose tags name this stack and step.
 */
import { orAbsent } from '../aws/idempotent.js';
import { ownedBy, type TagMap } from '../aws/tags.js';
import type { ResourceContext } from './types.js';

/** The listed items whose tags (read one by one) name this stack and step; one deleted since the listing is passed over. */
export async function ownedAmong<T>(ctx: ResourceContext, listed: readonly T[], tagsOf: (item: T) => Promise<TagMap>): Promise<Array<{ item: T; tags: TagMap }>> {
  const mine: Array<{ item: T; tags: TagMap }> = [];
  for (const item of listed) {
    const tags = await orAbsent(() => tagsOf(item));
    if (tags && ownedBy(ctx, tags)) mine.push({ item, tags });
  }
  return mine;
}

/**
 * The first of the step's resources; when there are several (a create whose answer was lost, then
 * made again), a warning names them all. Undefined when there is none.
 */
export function firstOwned<T>(ctx: ResourceContext, nouns: string, mine: readonly T[], label: (item: T) => string): T | undefined {
  if (mine.length > 1) ctx.warn(`${mine.length} ${nouns} carry the tags of step ${ctx.step}: ${mine.map(label).join(', ')}; using ${label(mine[0]!)}.`);
  return mine[0];
}
