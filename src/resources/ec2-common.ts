/** What the EC2 resource kinds share: lookup by id then tags, deletes that wait out dependencies. */
import type { Filter } from '@aws-sdk/client-ec2';
import { EC2 } from '../aws/sdk.js';
import { isDependencyViolation, isEventuallyConsistentNotFound, isNotFound } from '../aws/errors.js';
import { retrying } from '../aws/poll.js';
import { TAG_STACK, TAG_STEP, ec2TagFilters, fromTagList, type TagMap, toTagList } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import type { Actual, ResourceContext } from './types.js';

export const ec2 = (ctx: ResourceContext) => ctx.aws.get(EC2.EC2Client);

export function tagSpec(resourceType: string, tags: TagMap) {
  return [{ ResourceType: resourceType as never, Tags: toTagList(tags) }];
}

/**
 * Every resource of one EC2 kind that carries the stack's tag, read once for all the steps of the
 * run (one DescribeSubnets for every subnet step, say) and read again after an EC2 change.
 * `kind` names the read (the same for every caller of one describe). Undefined without the run's
 * read cache (a kind tested alone).
 */
export function stackWide<T>(ctx: ResourceContext, kind: string, byFilters: (filters: Filter[]) => Promise<T[]>): Promise<T[]> | undefined {
  return ctx.reads?.read(`ec2:${kind}:${ctx.stack}`, 'EC2', () => byFilters([{ Name: `tag:${TAG_STACK}`, Values: [ctx.stack] }]));
}

/**
 * Finds one resource: by the recorded id when there is one (a not-found error means gone), else by
 * the stack and step tags. The tags of what comes back are checked here too, so a filter the
 * endpoint ignores cannot hand over another step's resource. When the tags match several (a create
 * whose response was lost, then retried), the first is kept and the others are handed to the
 * engine as duplicates, which removes them.
 *
 * With the run's read cache, one describe of the kind filtered by the stack's tag (`stackWide`, keyed
 * by `noun`) serves every step: the recorded id is looked up in it, and asked for alone only when it
 * is not there (a resource whose tags were changed, or one that is gone).
 */
export async function findByIdOrTags<T extends { Tags?: Array<{ Key?: string; Value?: string }> }, A extends Actual>(
  ctx: ResourceContext,
  noun: string,
  byId: (id: string) => Promise<T[]>,
  byFilters: (filters: Filter[]) => Promise<T[]>,
  idOf: (t: T) => string,
  toActual: (t: T) => A | Promise<A>,
): Promise<A | undefined> {
  const all = await stackWide(ctx, noun, byFilters);
  if (ctx.recordedId) {
    const listed = all?.find((t) => idOf(t) === ctx.recordedId);
    if (listed) return toActual(listed);
    try {
      const found = await byId(ctx.recordedId);
      if (found[0]) return toActual(found[0]);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  const found = (all ?? (await byFilters(ec2TagFilters(ctx.stack, ctx.step)))).filter((t) => {
    const tags = fromTagList(t.Tags);
    return tags[TAG_STACK] === ctx.stack && tags[TAG_STEP] === ctx.step;
  });
  if (found.length === 0) return undefined;
  if (found.length > 1) {
    ctx.warn(`${found.length} ${noun}s carry the tags of step ${ctx.step} (${found.map(idOf).join(', ')}): one is kept, the others removed.`);
    for (const extra of found.slice(1)) ctx.duplicate(await toActual(extra));
  }
  return toActual(found[0]!);
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

/**
 * One call right after a create: EC2 is eventually consistent, so a resource just created may not be
 * visible to the next call for a moment (`InvalidGroup.NotFound`, `InvalidNatGatewayID.NotFound`,
 * ...). Such errors are retried briefly; any other is thrown at once.
 */
export function settle<T>(ctx: ResourceContext, call: () => Promise<T>): Promise<T> {
  return retrying(call, { retryable: isEventuallyConsistentNotFound, attempts: 6, baseMs: 500, scale: ctx.scale });
}
