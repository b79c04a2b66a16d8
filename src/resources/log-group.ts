/**
 * A CloudWatch Logs log group with a retention period (FSBP CloudWatch.16), tagged in the create call.
 * wpdeploy log group names always start with `/wpdeploy/<stack>/` (see `logGroupName`): log groups
 * have no tag filter, so without a recorded name the group is found by listing that prefix and
 * reading each group's `wpdeploy:step` tag. A log group cannot be renamed: such a change is refused.
 */
import type { LogGroup } from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogs } from '../aws/sdk.js';
import { isAlreadyExists } from '../aws/errors.js';
import { deleteOrGone, orAbsent } from '../aws/idempotent.js';
import { paged } from '../aws/reads.js';
import { addMissingTags, fromTagList, ownedBy, type TagMap, tagChanges } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { firstOwned, ownedAmong } from './find-owned.js';
import { indexedTags } from './tag-index.js';
import { defineKind } from './kinds.js';
import { changesOf, type Actual, type Diff, type ResourceContext, type ResourceKind } from './types.js';

export interface LogGroupSpec {
  name: string;
  retentionDays: number;
  tags: TagMap;
}

export interface LogGroupActual extends Actual {
  /** The log group name. */
  id: string;
  /** The ARN without the trailing `:*`. */
  arn: string;
  state: 'available';
  /** Undefined when the group never expires its events. */
  retentionDays: number | undefined;
  tags: TagMap;
}

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** The prefix every log group of a stack starts with: `/wpdeploy/<stack>/`. */
export function logGroupPrefix(stack: string): string {
  return `/wpdeploy/${stack}/`;
}

/** The name of a stack's log group for a role: `/wpdeploy/<stack>/<role>`. */
export function logGroupName(stack: string, role: string): string {
  return `${logGroupPrefix(stack)}${role}`;
}

const logs = (ctx: ResourceContext) => ctx.aws.get(CloudWatchLogs.CloudWatchLogsClient);

/** `arn:...:log-group:NAME:*` (the form DescribeLogGroups' `arn` has) without the `:*`. */
const arnOf = (g: LogGroup): string => g.logGroupArn ?? (g.arn ?? '').replace(/:\*$/, '');

/** A group's tags: from the stack's tag index, else asked for (once per run and group). */
async function tagsOf(ctx: ResourceContext, arn: string): Promise<TagMap> {
  const indexed = await indexedTags(ctx, arn);
  if (indexed) return indexed;
  const read = async () => ({ ...((await logs(ctx).send(new CloudWatchLogs.ListTagsForResourceCommand({ resourceArn: arn }))).tags ?? {}) });
  return ctx.reads ? ctx.reads.read(`logs:tags:${arn}`, 'CloudWatchLogs', read) : read();
}

/** Every log group whose name starts with `prefix`. */
const listByPrefix = (ctx: ResourceContext, prefix: string): Promise<LogGroup[]> =>
  paged((nextToken) => logs(ctx).send(new CloudWatchLogs.DescribeLogGroupsCommand({ logGroupNamePrefix: prefix, nextToken })), (r) => [r.logGroups, r.nextToken]);

/** The stack's log groups (`/wpdeploy/<stack>/...`), listed once for every log group step of the run (with the run's read cache). */
const stackGroups = (ctx: ResourceContext) => ctx.reads?.read(`logs:groups:${ctx.stack}`, 'CloudWatchLogs', () => listByPrefix(ctx, logGroupPrefix(ctx.stack)));

/** The log group with exactly this name, or undefined. */
const byName = (ctx: ResourceContext, name: string): Promise<LogGroup | undefined> =>
  orAbsent(async () => (await listByPrefix(ctx, name)).find((g) => g.logGroupName === name));

async function describe(ctx: ResourceContext, g: LogGroup, tags?: TagMap): Promise<LogGroupActual> {
  const arn = arnOf(g);
  return {
    id: g.logGroupName!,
    arn,
    state: 'available',
    retentionDays: g.retentionInDays,
    tags: tags ?? (await tagsOf(ctx, arn)),
  };
}

function assertRetention(name: string, days: number): void {
  if (!LOG_RETENTION_DAYS.includes(days)) {
    throw new WpdeployError(`log group ${name}: CloudWatch Logs does not accept a retention of ${days} days.`, {
      hint: `Use one of ${LOG_RETENTION_DAYS.join(', ')}.`,
    });
  }
}

export const logGroupKind: ResourceKind<LogGroupSpec, LogGroupActual, 'name' | 'arn'> = defineKind({
  name: 'logs:log-group',
  noun: 'log group',
  timing: { createMs: 1_000, deleteMs: 1_000 },
  onReplace: 'refuse',

  /**
   * By the recorded name (exact match), then among the groups named `/wpdeploy/<stack>/...` the one
   * whose tags name this stack and step. Undefined when there is none; never throws on not-found.
   */
  async find(ctx) {
    const listed = await stackGroups(ctx);
    if (ctx.recordedId) {
      const g = listed?.find((x) => x.logGroupName === ctx.recordedId) ?? (await byName(ctx, ctx.recordedId));
      if (g) return describe(ctx, g);
    }
    const candidates = listed ?? (await listByPrefix(ctx, logGroupPrefix(ctx.stack)));
    const mine = firstOwned(ctx, 'log groups', await ownedAmong(ctx, candidates, (g) => tagsOf(ctx, arnOf(g))), (g) => g.item.logGroupName!);
    return mine && describe(ctx, mine.item, mine.tags);
  },

  diff(desired, actual): Diff {
    const changes = changesOf(['retentionDays', actual.retentionDays, desired.retentionDays]);
    changes.push(...tagChanges(desired.tags, actual.tags));
    if (desired.name !== actual.id) {
      return {
        changes: [{ field: 'name', from: actual.id, to: desired.name }, ...changes],
        replace: `a log group cannot be renamed (${actual.id} -> ${desired.name}); replacing it would delete the logs it holds`,
      };
    }
    return { changes };
  },

  /**
   * Creates the group with its tags in the same call, records its name, then sets the retention.
   * When a group of that name already exists and carries this step's tags (a create that crashed
   * before its name was recorded), it is adopted and converged; any other owner is refused.
   */
  async create(ctx, desired) {
    const prefix = logGroupPrefix(ctx.stack);
    if (!desired.name.startsWith(prefix)) {
      throw new WpdeployError(`internal: log group ${desired.name} does not start with ${prefix}, so a later run could not find it by its tags.`);
    }
    assertRetention(desired.name, desired.retentionDays);
    const client = logs(ctx);
    try {
      await client.send(new CloudWatchLogs.CreateLogGroupCommand({ logGroupName: desired.name, tags: desired.tags }));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await byName(ctx, desired.name);
      const tags = existing ? await tagsOf(ctx, arnOf(existing)) : {};
      if (!existing || !ownedBy(ctx, tags)) {
        throw new WpdeployError(`a log group named ${desired.name} already exists and is not the one of step ${ctx.step} of stack ${ctx.stack}.`, {
          hint: `Delete it if nothing uses it (\`aws logs delete-log-group --log-group-name ${desired.name}\`), or deploy under another stack name.`,
          cause: err,
        });
      }
      ctx.warn(`log group ${desired.name} already existed with this step's tags; adopted it.`);
      const actual = await describe(ctx, existing, tags);
      await ctx.recordId(actual.id, actual.arn);
      return logGroupKind.update!(ctx, desired, actual, logGroupKind.diff(desired, actual));
    }
    const arn = `arn:aws:logs:${ctx.region}:${ctx.account}:log-group:${desired.name}`;
    await ctx.recordId(desired.name, arn);
    await client.send(new CloudWatchLogs.PutRetentionPolicyCommand({ logGroupName: desired.name, retentionInDays: desired.retentionDays }));
    const g = await byName(ctx, desired.name);
    return {
      id: desired.name,
      arn: g ? arnOf(g) : arn,
      state: 'available',
      retentionDays: g?.retentionInDays ?? desired.retentionDays,
      tags: { ...desired.tags },
    };
  },

  /** Sets the retention and the tags that differ; tags set by others are left alone. */
  async update(ctx, desired, actual) {
    const client = logs(ctx);
    if (desired.retentionDays !== actual.retentionDays) {
      assertRetention(actual.id, desired.retentionDays);
      await client.send(new CloudWatchLogs.PutRetentionPolicyCommand({ logGroupName: actual.id, retentionInDays: desired.retentionDays }));
    }
    const tags = await addMissingTags(desired.tags, actual.tags, (list) => client.send(new CloudWatchLogs.TagResourceCommand({ resourceArn: actual.arn, tags: fromTagList(list) })));
    return { ...actual, retentionDays: desired.retentionDays, tags };
  },

  /** Deletes the group and the events in it. A group already gone is success. */
  delete: (ctx, actual) => deleteOrGone(() => logs(ctx).send(new CloudWatchLogs.DeleteLogGroupCommand({ logGroupName: actual.id }))),

  outputs(actual) {
    return { name: actual.id, arn: actual.arn };
  },
});
