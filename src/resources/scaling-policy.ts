/**
 * A target-tracking scaling policy on the service's scalable target: average CPU at
 * `scaling.cpuTarget` percent, or ALB requests per target at `scaling.requestsPerTarget` per minute
 * (its resource label names the load balancer and target group: `app/…/targetgroup/…`).
 * PutScalingPolicy creates and updates it by name; the policy is found by name on the target.
 * Deleting removes it (before the target is deregistered); already gone is success.
 */
import type { MetricType, ScalingPolicy } from '@aws-sdk/client-application-auto-scaling';
import { AutoScaling } from '../aws/sdk.js';
import { deleteOrGone, orAbsent } from '../aws/idempotent.js';
import { paged } from '../aws/reads.js';
import { autoScaling, serviceTarget } from './scalable-target.js';
import { defineKind } from './kinds.js';
import { changesOf, known, type Actual, type Diff, type ResourceContext, type ResourceKind } from './types.js';

export interface ScalingPolicySpec {
  name: string;
  resourceId: string;
  metric: 'ECSServiceAverageCPUUtilization' | 'ALBRequestCountPerTarget' | 'ECSServiceAverageMemoryUtilization';
  /** ALBRequestCountPerTarget only: `app/<lb>/<id>/targetgroup/<tg>/<id>`. */
  resourceLabel?: string;
  targetValue: number;
  scaleInCooldown: number;
  scaleOutCooldown: number;
}

export interface ScalingPolicyActual extends Actual {
  /** The policy ARN. */
  id: string;
  state: 'active';
  name: string;
  resourceId: string;
  policyType: string;
  metric?: string;
  resourceLabel?: string;
  targetValue?: number;
  scaleInCooldown?: number;
  scaleOutCooldown?: number;
  alarms: string[];
}

/** `app/<lb name>/<id>/targetgroup/<tg name>/<id>` from the two ARN suffixes. */
export const requestCountLabel = (loadBalancerArnSuffix: string, targetGroupArnSuffix: string) => `${loadBalancerArnSuffix}/${targetGroupArnSuffix}`;

/**
 * The policy of that name on the service's target. With the run's read cache, every policy of the
 * target is read once for all the policy steps of the run.
 */
async function describe(ctx: ResourceContext, resourceId: string, name: string): Promise<ScalingPolicy | undefined> {
  const policies = (input: { PolicyNames?: string[] }) => paged((NextToken) =>
    autoScaling(ctx).send(new AutoScaling.DescribeScalingPoliciesCommand({ ...serviceTarget(resourceId), ...input, NextToken })), (r) => [r.ScalingPolicies, r.NextToken]);
  const all = await orAbsent(() => (ctx.reads ? ctx.reads.read(`aas:policies:${resourceId}`, 'ApplicationAutoScaling', () => policies({})) : policies({ PolicyNames: [name] })));
  return all?.find((p) => p.PolicyName === name);
}

function toActual(p: ScalingPolicy): ScalingPolicyActual {
  const c = p.TargetTrackingScalingPolicyConfiguration;
  return {
    id: p.PolicyARN!, arn: p.PolicyARN, state: 'active', name: p.PolicyName!, resourceId: p.ResourceId!, policyType: p.PolicyType ?? '',
    metric: c?.PredefinedMetricSpecification?.PredefinedMetricType, resourceLabel: c?.PredefinedMetricSpecification?.ResourceLabel,
    targetValue: c?.TargetValue, scaleInCooldown: c?.ScaleInCooldown, scaleOutCooldown: c?.ScaleOutCooldown,
    alarms: (p.Alarms ?? []).map((a) => a.AlarmName!),
  };
}

async function put(ctx: ResourceContext, d: ScalingPolicySpec): Promise<ScalingPolicyActual> {
  const r = await autoScaling(ctx).send(new AutoScaling.PutScalingPolicyCommand({
    PolicyName: d.name, ...serviceTarget(d.resourceId), PolicyType: 'TargetTrackingScaling',
    TargetTrackingScalingPolicyConfiguration: {
      TargetValue: d.targetValue,
      PredefinedMetricSpecification: { PredefinedMetricType: d.metric as MetricType, ResourceLabel: d.resourceLabel },
      ScaleInCooldown: d.scaleInCooldown,
      ScaleOutCooldown: d.scaleOutCooldown,
    },
  }));
  await ctx.recordId(r.PolicyARN!, r.PolicyARN);
  return {
    id: r.PolicyARN!, arn: r.PolicyARN, state: 'active', name: d.name, resourceId: d.resourceId, policyType: 'TargetTrackingScaling', metric: d.metric,
    resourceLabel: d.resourceLabel, targetValue: d.targetValue, scaleInCooldown: d.scaleInCooldown, scaleOutCooldown: d.scaleOutCooldown,
    alarms: (r.Alarms ?? []).map((a) => a.AlarmName!),
  };
}

export const scalingPolicyKind: ResourceKind<ScalingPolicySpec, ScalingPolicyActual, 'arn' | 'name'> = defineKind({
  name: 'application-autoscaling:scaling-policy',
  noun: 'scaling policy',
  timing: { createMs: 2_000, deleteMs: 2_000 },
  foundBySpec: true,
  onReplace: 'recreate',

  /** The policy of that name on the service's target. */
  async find(ctx, desired) {
    const [resourceId, name] = desired && known(desired.resourceId)
      ? [desired.resourceId, desired.name]
      : ctx.recordedId ? [/resource\/ecs\/(.+):policyName\//.exec(ctx.recordedId)?.[1], /:policyName\/(.+)$/.exec(ctx.recordedId)?.[1]] : [];
    if (!resourceId || !name) return undefined;
    const p = await describe(ctx, resourceId, name);
    return p && toActual(p);
  },

  diff(desired, actual): Diff {
    const changes = changesOf(
      ['policyType', actual.policyType, 'TargetTrackingScaling'],
      ['metric', actual.metric, desired.metric],
      ['resourceLabel', actual.resourceLabel, desired.resourceLabel],
      ['targetValue', actual.targetValue, desired.targetValue],
      ['scaleInCooldown', actual.scaleInCooldown, desired.scaleInCooldown],
      ['scaleOutCooldown', actual.scaleOutCooldown, desired.scaleOutCooldown],
    );
    if (known(desired.resourceId) && desired.resourceId !== actual.resourceId) return { changes, replace: 'it scales another service' };
    return { changes };
  },

  create: (ctx, desired) => put(ctx, desired),
  update: (ctx, desired) => put(ctx, desired),

  /** Deletes it; already gone is success. */
  delete: (ctx, actual) => deleteOrGone(() => autoScaling(ctx).send(new AutoScaling.DeleteScalingPolicyCommand({ PolicyName: actual.name, ...serviceTarget(actual.resourceId) }))),

  outputs: (a) => ({ arn: a.id, name: a.name }),
});
