/**
 * A VPC flow log delivered to a CloudWatch Logs log group through an IAM role the flow-log service
 * assumes. Found by recorded id, then by the stack and step tags. A flow log cannot be modified:
 * any change but its tags means deleting it and creating a new one (`onReplace: 'recreate'`; the
 * log group and the logs already delivered stay).
 */
import { createHash } from 'node:crypto';
import type { FlowLog, UnsuccessfulItem } from '@aws-sdk/client-ec2';
import { EC2 } from '../aws/sdk.js';
import { isAlreadyExists, isIamPropagation, isNotFound } from '../aws/errors.js';
import { retrying, waitFor } from '../aws/poll.js';
import { findByIdOrTags } from './ec2-common.js';
import { fromTagList, tagsToSet, toTagList, TAG_STACK, TAG_STEP, type TagMap, tagChanges } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { defineKind } from './kinds.js';
import { changesOf, type Actual, type Diff, type ResourceContext, type ResourceKind } from './types.js';

export type FlowLogTrafficType = 'ALL' | 'ACCEPT' | 'REJECT';

export interface FlowLogSpec {
  vpcId: string;
  logGroupName: string;
  /** The role the flow-log service assumes to write to the log group. */
  roleArn: string;
  trafficType: FlowLogTrafficType;
  tags: TagMap;
}

export interface FlowLogActual extends Actual {
  id: string;
  arn: string;
  /** FlowLogStatus: ACTIVE. */
  state: string;
  vpcId: string;
  logGroupName: string;
  roleArn: string;
  trafficType: string;
  /** SUCCESS or FAILED (then `deliverLogsError` says why: access error, rate limited). */
  deliverLogsStatus?: string;
  deliverLogsError?: string;
  tags: TagMap;
}

const ec2 = (ctx: ResourceContext) => ctx.aws.get(EC2.EC2Client);
const arnOf = (ctx: ResourceContext, id: string) => `arn:aws:ec2:${ctx.region}:${ctx.account}:vpc-flow-log/${id}`;

function toActual(ctx: ResourceContext, f: FlowLog): FlowLogActual {
  return {
    id: f.FlowLogId!,
    arn: arnOf(ctx, f.FlowLogId!),
    state: f.FlowLogStatus ?? 'ACTIVE',
    vpcId: f.ResourceId ?? '',
    logGroupName: f.LogGroupName ?? '',
    roleArn: f.DeliverLogsPermissionArn ?? '',
    trafficType: f.TrafficType ?? '',
    deliverLogsStatus: f.DeliverLogsStatus,
    deliverLogsError: f.DeliverLogsErrorMessage,
    tags: fromTagList(f.Tags),
  };
}

/**
 * The idempotency token of a create: the same stack, step, VPC and settings give the same token, so
 * a create retried after a lost response returns the flow log made the first time instead of a
 * second one. The settings are part of it so a replacement with new settings is a new request.
 * `generation` > 1 gives a fresh token when an old one points at a flow log deleted since.
 */
export function flowLogClientToken(stack: string, step: string, spec: Pick<FlowLogSpec, 'vpcId' | 'logGroupName' | 'roleArn' | 'trafficType'>, generation = 1): string {
  const h = createHash('sha256').update(JSON.stringify([stack, step, spec.vpcId, spec.logGroupName, spec.roleArn, spec.trafficType])).digest('hex');
  return `wpdeploy-${h.slice(0, 48)}${generation > 1 ? `-${generation}` : ''}`; // at most 64 characters
}

/** An Unsuccessful[] entry, shaped like the AWS error it stands for (so src/aws/errors.ts classifies it). */
function unsuccessful(item: UnsuccessfulItem): Error {
  const code = item.Error?.Code ?? 'Unsuccessful';
  return Object.assign(new Error(item.Error?.Message ?? code), { name: code, resourceId: item.ResourceId });
}

async function byId(ctx: ResourceContext, id: string): Promise<FlowLog | undefined> {
  try {
    return (await ec2(ctx).send(new EC2.DescribeFlowLogsCommand({ FlowLogIds: [id] }))).FlowLogs?.find((f) => f.FlowLogId === id);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** After FlowLogAlreadyExists: the VPC's flow log to the same log group, if it is this step's. */
async function adopt(ctx: ResourceContext, desired: FlowLogSpec, cause: unknown): Promise<FlowLogActual> {
  const r = await ec2(ctx).send(new EC2.DescribeFlowLogsCommand({
    Filter: [{ Name: 'resource-id', Values: [desired.vpcId] }, { Name: 'log-group-name', Values: [desired.logGroupName] }],
  }));
  const existing = (r.FlowLogs ?? []).map((f) => toActual(ctx, f));
  const mine = existing.find((f) => f.tags[TAG_STACK] === ctx.stack && f.tags[TAG_STEP] === ctx.step);
  if (!mine) {
    const ids = existing.map((f) => f.id);
    throw new WpdeployError(`vpc ${desired.vpcId} already has a flow log to ${desired.logGroupName}${ids.length ? ` (${ids.join(', ')})` : ''} that is not the one of step ${ctx.step} of stack ${ctx.stack}.`, {
      hint: ids.length ? `Delete it if nothing needs it (\`aws ec2 delete-flow-logs --flow-log-ids ${ids.join(' ')}\`) and run \`wpdeploy up\` again.` : 'Run `wpdeploy up` again.',
      cause,
    });
  }
  ctx.warn(`flow log ${mine.id} already existed with this step's tags; adopted it.`);
  await ctx.recordId(mine.id, mine.arn);
  return flowLogKind.update!(ctx, desired, mine, flowLogKind.diff(desired, mine));
}

export const flowLogKind: ResourceKind<FlowLogSpec, FlowLogActual, 'flowLogId'> = defineKind({
  name: 'ec2:flow-log',
  noun: 'flow log',
  timing: { createMs: 2_000, deleteMs: 2_000 },
  onReplace: 'recreate',

  /** By recorded id, then by the stack and step tags; undefined when neither finds one. Warns when delivery fails. */
  async find(ctx) {
    const found = await findByIdOrTags(
      ctx, 'flow log',
      async (id) => { const f = await byId(ctx, id); return f ? [f] : []; },
      async (Filter) => (await ec2(ctx).send(new EC2.DescribeFlowLogsCommand({ Filter }))).FlowLogs ?? [],
      (f) => f.FlowLogId!,
      (f) => toActual(ctx, f),
    );
    if (!found) return undefined;
    const actual = found;
    if (actual.deliverLogsStatus === 'FAILED') {
      ctx.warn(`flow log ${actual.id} cannot deliver to ${actual.logGroupName}: ${actual.deliverLogsError ?? 'no reason given'}; check that role ${actual.roleArn} may write to it.`);
    }
    return actual;
  },

  diff(desired, actual): Diff {
    const fixed = changesOf(
      ['vpcId', actual.vpcId, desired.vpcId],
      ['logGroupName', actual.logGroupName, desired.logGroupName],
      ['roleArn', actual.roleArn, desired.roleArn],
      ['trafficType', actual.trafficType, desired.trafficType],
    );
    const tags = tagChanges(desired.tags, actual.tags);
    if (fixed.length > 0) {
      return {
        changes: [...fixed, ...tags],
        replace: `a flow log cannot be modified (${fixed.map((c) => c.field).join(', ')}); a new one replaces it, and the logs already delivered stay in the log group`,
      };
    }
    return { changes: tags };
  },

  /**
   * Creates the flow log, tagged in the same call with an idempotency token, and records its id at
   * once. While IAM has not yet made a new role assumable (~10 s after it is created) the create is
   * retried briefly. An error in Unsuccessful[] is raised with its reason. When the VPC already has
   * a flow log to this log group (FlowLogAlreadyExists) carrying this step's tags, it is adopted; one
   * that belongs to anything else is refused, naming it.
   */
  async create(ctx, desired) {
    const client = ec2(ctx);
    for (let generation = 1; generation <= 3; generation++) {
      const input = {
        ResourceType: 'VPC' as const,
        ResourceIds: [desired.vpcId],
        LogDestinationType: 'cloud-watch-logs' as const,
        LogGroupName: desired.logGroupName,
        DeliverLogsPermissionArn: desired.roleArn,
        TrafficType: desired.trafficType,
        TagSpecifications: [{ ResourceType: 'vpc-flow-log' as const, Tags: toTagList(desired.tags) }],
        ClientToken: flowLogClientToken(ctx.stack, ctx.step, desired, generation),
      };
      let id: string;
      try {
        id = await retrying(async () => {
          const r = await client.send(new EC2.CreateFlowLogsCommand(input));
          const failed = r.Unsuccessful?.[0];
          if (failed) throw unsuccessful(failed);
          const got = r.FlowLogIds?.[0];
          if (!got) throw new WpdeployError(`CreateFlowLogs for ${desired.vpcId} returned no flow log id.`);
          return got;
        }, {
          retryable: isIamPropagation,
          attempts: 6,
          baseMs: 1_500,
          scale: ctx.scale,
          onRetry: () => ctx.progress(`waiting for IAM to let the flow-log service assume ${desired.roleArn}`),
        });
      } catch (err) {
        if (err instanceof WpdeployError) throw err;
        if (isAlreadyExists(err)) return adopt(ctx, desired, err);
        throw new WpdeployError(`create flow log for ${desired.vpcId}: ${(err as Error).name}: ${(err as Error).message}`, {
          hint: isIamPropagation(err)
            ? `IAM may not have propagated role ${desired.roleArn} yet, or its trust policy does not allow vpc-flow-logs.amazonaws.com: check it, then run \`wpdeploy up\` again.`
            : undefined,
          cause: err,
        });
      }
      await ctx.recordId(id, arnOf(ctx, id));
      const made = await waitFor({
        what: `flow log ${id} to be visible`,
        expectedMs: flowLogKind.timing!.createMs,
        timeoutMs: 15_000,
        scale: ctx.scale,
        signal: ctx.signal,
        check: () => byId(ctx, id),
        done: (f) => f !== undefined,
      }).catch((err: unknown) => {
        if (err instanceof WpdeployError && !ctx.signal.aborted) return undefined;
        throw err;
      });
      if (made) return toActual(ctx, made);
      // The token matched an earlier request whose flow log has been deleted since: ask again anew.
      ctx.warn(`CreateFlowLogs answered with flow log ${id}, which does not exist (an idempotency token reused after a delete); creating it again.`);
    }
    throw new WpdeployError(`create flow log for ${desired.vpcId}: AWS keeps answering with flow logs that do not exist.`, {
      hint: 'Run `wpdeploy up` again in a few minutes.',
    });
  },

  /** Only tags can change in place. */
  async update(ctx, desired, actual) {
    const toSet = tagsToSet(desired.tags, actual.tags);
    if (Object.keys(toSet).length > 0) await ec2(ctx).send(new EC2.CreateTagsCommand({ Resources: [actual.id], Tags: toTagList(toSet) }));
    return { ...actual, tags: { ...actual.tags, ...toSet } };
  },

  /** Deletes the flow log (the log group and its logs stay). A flow log already gone is success. */
  async delete(ctx, actual) {
    try {
      const r = await ec2(ctx).send(new EC2.DeleteFlowLogsCommand({ FlowLogIds: [actual.id] }));
      const failed = r.Unsuccessful?.[0];
      if (failed) throw unsuccessful(failed);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  },

  outputs(actual) {
    return { flowLogId: actual.id };
  },
});
