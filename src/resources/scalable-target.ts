/**
 * The Application Auto Scaling target of the ECS service's desired count, between `scaling.min` and
 * `scaling.max`. It is identified by the service's resource id (`service/<cluster>/<service>`), so it
 * is found through the spec; RegisterScalableTarget both creates and updates it (tags are taken at
 * creation only). After this exists, the desired count is auto scaling's: the service step never
 * touches it. Deleting deregisters it; already gone is success.
 */
import type { ScalableTarget } from '@aws-sdk/client-application-auto-scaling';
import { AutoScaling } from '../aws/sdk.js';
import { deleteOrGone, orAbsent } from '../aws/idempotent.js';
import type { TagMap } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { defineKind } from './kinds.js';
import { changesOf, known, type Actual, type Diff, type ResourceContext, type ResourceKind } from './types.js';

const ECS_NAMESPACE = 'ecs';
const ECS_DESIRED_COUNT = 'ecs:service:DesiredCount';

export const autoScaling = (ctx: ResourceContext) => ctx.aws.get(AutoScaling.ApplicationAutoScalingClient);

/** What names the scalable target of a service's desired count in every Application Auto Scaling call. */
export const serviceTarget = (ResourceId: string) => ({ ServiceNamespace: ECS_NAMESPACE, ScalableDimension: ECS_DESIRED_COUNT, ResourceId } as const);

export interface ScalableTargetSpec {
  /** `service/<cluster>/<service>` */
  resourceId: string;
  min: number;
  max: number;
  tags: TagMap;
}

export interface ScalableTargetActual extends Actual {
  /** The resource id. */
  id: string;
  state: string;
  min: number;
  max: number;
}

const describe = (ctx: ResourceContext, resourceId: string): Promise<ScalableTarget | undefined> => orAbsent(async () =>
  (await autoScaling(ctx).send(new AutoScaling.DescribeScalableTargetsCommand({ ServiceNamespace: ECS_NAMESPACE, ScalableDimension: ECS_DESIRED_COUNT, ResourceIds: [resourceId] })))
    .ScalableTargets?.find((t) => t.ResourceId === resourceId));

function toActual(t: ScalableTarget): ScalableTargetActual {
  const suspended = t.SuspendedState && (t.SuspendedState.DynamicScalingInSuspended || t.SuspendedState.DynamicScalingOutSuspended);
  return { id: t.ResourceId!, arn: t.ScalableTargetARN, state: suspended ? 'suspended' : 'active', min: t.MinCapacity ?? 0, max: t.MaxCapacity ?? 0 };
}

async function register(ctx: ResourceContext, desired: ScalableTargetSpec, withTags: boolean): Promise<ScalableTargetActual> {
  if (desired.min > desired.max) throw new WpdeployError(`scaling.min (${desired.min}) is greater than scaling.max (${desired.max}).`, { hint: 'Set scaling.min <= scaling.max.' });
  const r = await autoScaling(ctx).send(new AutoScaling.RegisterScalableTargetCommand({
    ...serviceTarget(desired.resourceId),
    MinCapacity: desired.min, MaxCapacity: desired.max,
    ...(withTags ? { Tags: desired.tags } : {}),
  }));
  await ctx.recordId(desired.resourceId, r.ScalableTargetARN);
  return { id: desired.resourceId, arn: r.ScalableTargetARN, state: 'active', min: desired.min, max: desired.max };
}

export const scalableTargetKind: ResourceKind<ScalableTargetSpec, ScalableTargetActual, 'resourceId' | 'min' | 'max'> = defineKind({
  name: 'application-autoscaling:scalable-target',
  noun: 'scalable target',
  timing: { createMs: 2_000, deleteMs: 2_000 },
  foundBySpec: true,
  onReplace: 'recreate',

  async find(ctx, desired) {
    const id = desired && known(desired.resourceId) ? desired.resourceId : ctx.recordedId;
    if (!id) return undefined;
    const t = await describe(ctx, id);
    return t && toActual(t);
  },

  diff(desired, actual): Diff {
    const changes = changesOf(['min', actual.min, desired.min], ['max', actual.max, desired.max]);
    if (known(desired.resourceId) && desired.resourceId !== actual.id) return { changes: [{ field: 'resourceId', from: actual.id, to: desired.resourceId }, ...changes], replace: 'it scales another service' };
    return { changes };
  },

  create: (ctx, desired) => register(ctx, desired, true),
  update: (ctx, desired) => register(ctx, desired, false),

  /** Deregisters the target; already gone is success. */
  delete: (ctx, actual) => deleteOrGone(() => autoScaling(ctx).send(new AutoScaling.DeregisterScalableTargetCommand(serviceTarget(actual.id)))),

  outputs: (a) => ({ resourceId: a.id, min: String(a.min), max: String(a.max) }),
});
