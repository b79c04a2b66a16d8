/**
 * A target-tracking scaling policy on the service's scalable target: average CPU at
 * `scaling.cpuTarget` percent, or ALB requests per target at `scaling.requestsPerTarget` per minute
 * (its resource label names the load balancer and target group: `app/…/targetgroup/…`).
 * PutScalingPolicy creates and updates it by name; the policy is found by name on the target.
 * Deleting removes it (before the target is deregistered); already gone is success.
 */
import type { MetricType, ScalingPolicy } from '@aws-sdk/client-application-auto-scaling';
import { AutoScaling } from '../aws/sdk.js';
import { isNotFound } from '../aws/errors.js';
import { autoScaling, ECS_DESIRED_COUNT, ECS_NAMESPACE } from './scalable-target.js';
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

async function describe(ctx: ResourceContext, resourceId: string, name: string): Promise<ScalingPolicy | undefined> {
  try {
    if (ctx.reads) return (await servicePolicies(ctx, resourceId)).find((p) => p.PolicyName === name);
    const r = await autoScaling(ctx).send(new AutoScaling.DescribeScalingPoliciesCommand({ ServiceNamespace: ECS_NAMESPACE, ScalableDimension: ECS_DESIRED_COUNT, ResourceId: resourceId, PolicyNames: [name] }));
    return r.ScalingPolicies?.find((p) => p.PolicyName === name);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Every policy of the service's scalable target, read once for all the policy steps of the run. */
function servicePolicies(ctx: ResourceContext, resourceId: string): Promise<ScalingPolicy[]> {
  return ctx.reads!.read(`aas:policies:${resourceId}`, 'ApplicationAutoScaling', async () => {
    const out: ScalingPolicy[] = [];
    let NextToken: string | undefined;
    do {
      const r = await autoScaling(ctx).send(new AutoScaling.DescribeScalingPoliciesCommand({ ServiceNamespace: ECS_NAMESPACE, ScalableDimension: ECS_DESIRED_COUNT, ResourceId: resourceId, NextToken }));
      out.push(...(r.ScalingPolicies ?? []));
      NextToken = r.NextToken;
    } while (NextToken);
    return out;
  });
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
    PolicyName: d.name, ServiceNamespace: ECS_NAMESPACE, ScalableDimension: ECS_DESIRED_COUNT, ResourceId: d.resourceId, PolicyType: 'TargetTrackingScaling',
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

  async delete(ctx, actual) {
    try {
      await autoScaling(ctx).send(new AutoScaling.DeleteScalingPolicyCommand({ PolicyName: actual.name, ServiceNamespace: ECS_NAMESPACE, ScalableDimension: ECS_DESIRED_COUNT, ResourceId: actual.resourceId }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
  },

  outputs: (a) => ({ arn: a.id, name: a.name }),
});
