/**
 * The ECS cluster, `<stack>-cluster`, with Container Insights on (FSBP ECS.12), tagged in the create
 * call (the emulator's tagging API also crashes on untagged clusters). CreateCluster is idempotent
 * by name; an ACTIVE cluster of that name with this step's tags is the one. The Container Insights
 * setting and tags are converged. Deleting waits while services drain (ClusterContainsServices),
 * then until the cluster is INACTIVE; already gone (or INACTIVE) is success.
 */
import type { Cluster } from '@aws-sdk/client-ecs';
import { orAbsent } from '../aws/idempotent.js';
import { ECS } from '../aws/sdk.js';
import { waitFor } from '../aws/poll.js';
import { addMissingTags, ownedBy, type TagMap, tagChanges } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { containerInsightsLogGroup, deleteAwsLogGroups } from './aws-created.js';
import { deleteTolerant } from './ec2-common.js';
import { defineKind } from './kinds.js';
import { changesOf, type Actual, type Diff, type ResourceContext, type ResourceKind } from './types.js';

export const ecs = (ctx: ResourceContext) => ctx.aws.get(ECS.ECSClient);

/** ECS tags are `{key, value}`, lowercase. */
export const toEcsTags = (tags: TagMap) => Object.keys(tags).sort().map((key) => ({ key, value: tags[key]! }));
export const fromEcsTags = (list: ReadonlyArray<{ key?: string; value?: string }> | undefined): TagMap =>
  Object.fromEntries((list ?? []).filter((t) => t.key !== undefined).map((t) => [t.key!, t.value ?? '']));
/** Tags an ECS resource (cluster, service, task definition) with what is missing or differs; returns the tags it then carries. */
export const addEcsTags = (ctx: ResourceContext, resourceArn: string, desired: TagMap, actual: TagMap): Promise<TagMap> =>
  addMissingTags(desired, actual, (list) => ecs(ctx).send(new ECS.TagResourceCommand({ resourceArn, tags: list.map(({ Key, Value }) => ({ key: Key, value: Value })) })));

export interface EcsClusterSpec {
  name: string;
  /** `enabled` (or `enhanced`): Container Insights. */
  containerInsights: 'enabled' | 'enhanced';
  tags: TagMap;
}

export interface EcsClusterActual extends Actual {
  /** The cluster name. */
  id: string;
  arn: string;
  state: string;
  containerInsights: string;
  activeServices: number;
  tags: TagMap;
}

const describe = (ctx: ResourceContext, name: string): Promise<Cluster | undefined> => orAbsent(async () =>
  (await ecs(ctx).send(new ECS.DescribeClustersCommand({ clusters: [name], include: ['TAGS', 'SETTINGS'] }))).clusters?.find((c) => c.clusterName === name || c.clusterArn === name));

function toActual(c: Cluster): EcsClusterActual {
  return {
    id: c.clusterName!,
    arn: c.clusterArn!,
    state: c.status ?? 'UNKNOWN',
    containerInsights: c.settings?.find((s) => s.name === 'containerInsights')?.value ?? 'disabled',
    activeServices: c.activeServicesCount ?? 0,
    tags: fromEcsTags(c.tags),
  };
}

export const ecsClusterKind: ResourceKind<EcsClusterSpec, EcsClusterActual, 'name' | 'arn'> = defineKind({
  name: 'ecs:cluster',
  noun: 'ecs cluster',
  timing: { createMs: 2_000, deleteMs: 5_000 },
  onReplace: 'refuse',

  /** The ACTIVE cluster of the recorded (or wanted) name that carries this step's tags. */
  async find(ctx, desired) {
    for (const name of new Set([ctx.recordedId, desired?.name].filter((x): x is string => !!x))) {
      const c = await describe(ctx, name);
      if (c && c.status === 'ACTIVE' && (ownedBy(ctx, fromEcsTags(c.tags)) || name === ctx.recordedId)) return toActual(c);
    }
    return undefined;
  },

  diff(desired, actual): Diff {
    const changes = changesOf(['containerInsights', actual.containerInsights, desired.containerInsights]);
    changes.push(...tagChanges(desired.tags, actual.tags));
    if (desired.name !== actual.id) return { changes: [{ field: 'name', from: actual.id, to: desired.name }, ...changes], replace: 'an ECS cluster cannot be renamed' };
    return { changes };
  },

  /**
   * Creates the cluster with Container Insights and its tags. CreateCluster returns the existing
   * cluster of that name: one tagged for anything else is refused.
   */
  async create(ctx, desired) {
    const r = await ecs(ctx).send(new ECS.CreateClusterCommand({
      clusterName: desired.name,
      settings: [{ name: 'containerInsights', value: desired.containerInsights }],
      tags: toEcsTags(desired.tags),
    }));
    const c = r.cluster!;
    const tags = fromEcsTags(c.tags);
    if (Object.keys(tags).length && !ownedBy(ctx, tags)) {
      throw new WpdeployError(`an ECS cluster named ${desired.name} already exists and is not the one of step ${ctx.step} of stack ${ctx.stack}.`, {
        hint: 'Deploy under another stack name, or delete that cluster if nothing uses it.',
      });
    }
    await ctx.recordId(c.clusterName!, c.clusterArn!);
    const actual = toActual(c);
    const d = ecsClusterKind.diff(desired, actual);
    return d.changes.length ? ecsClusterKind.update!(ctx, desired, actual, d) : actual;
  },

  async update(ctx, desired, actual) {
    if (actual.containerInsights !== desired.containerInsights) {
      await ecs(ctx).send(new ECS.UpdateClusterSettingsCommand({ cluster: actual.id, settings: [{ name: 'containerInsights', value: desired.containerInsights }] }));
    }
    return { ...actual, containerInsights: desired.containerInsights, tags: await addEcsTags(ctx, actual.arn, desired.tags, actual.tags) };
  },

  /** Deletes the cluster once its services are gone (waiting a bounded time), waits for INACTIVE, then deletes Container Insights' log group. */
  async delete(ctx, actual) {
    await deleteTolerant(ctx, `ecs cluster ${actual.id}`, () => ecs(ctx).send(new ECS.DeleteClusterCommand({ cluster: actual.id })));
    await waitFor({
      what: `ecs cluster ${actual.id} to be inactive`, expectedMs: 5_000, scale: ctx.scale, signal: ctx.signal,
      check: () => describe(ctx, actual.id),
      done: (c) => !c || c.status === 'INACTIVE',
    });
    // Container Insights' log group: gone with the cluster, which no longer writes it
    await deleteAwsLogGroups(ctx, `ecs cluster ${actual.id}`, [containerInsightsLogGroup(actual.id)]);
  },

  outputs: (a) => ({ name: a.id, arn: a.arn }),
});
