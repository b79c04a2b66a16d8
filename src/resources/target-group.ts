/**
 * The target group the ECS service registers its tasks in: type `ip` (Fargate tasks in awsvpc mode),
 * HTTP on port 80, a health check that passes for a healthy WordPress whether or not it is installed
 * yet, and a short deregistration delay (30 s rather than the default 300 s, so deployments and
 * `down` do not wait five minutes per task). Found by recorded ARN, then by its name when it carries
 * this step's tags. Name, port, protocol, VPC and target type cannot change in place (refused);
 * the health check, attributes and tags are converged. Deleting waits while a listener still
 * forwards to it (ResourceInUse). Its live state is the targets' health, for `status`.
 */
import type { TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ELBv2 } from '../aws/sdk.js';
import { isAlreadyExists, isEventuallyConsistentNotFound, isNotFound } from '../aws/errors.js';
import { retrying } from '../aws/poll.js';
import { tagsToSet, toTagList, type TagMap, tagChanges, ownedBy } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { deleteTolerant } from './ec2-common.js';
import { elbTags, elbv2 } from './load-balancer.js';
import { defineKind } from './kinds.js';
import { changesOf, type Actual, type Diff, type FieldChange, type ResourceContext, type ResourceKind } from './types.js';

export interface HealthCheck {
  path: string;
  /** HTTP codes that count as healthy, e.g. `200-399`. */
  matcher: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThreshold: number;
  unhealthyThreshold: number;
}

export interface TargetGroupSpec {
  /** At most 32 characters: `<stack>-tg`. */
  name: string;
  vpcId: string;
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  targetType: 'ip';
  healthCheck: HealthCheck;
  attributes: Record<string, string>;
  tags: TagMap;
}

export interface TargetGroupActual extends Actual {
  /** The target group ARN. */
  id: string;
  arn: string;
  /** The targets' health: `2/2 healthy`, `no targets`. */
  state: string;
  name: string;
  vpcId: string;
  port: number;
  protocol: string;
  targetType: string;
  healthCheck: HealthCheck;
  attributes: Record<string, string>;
  healthy: number;
  targets: number;
  tags: TagMap;
}

/** `targetgroup/<name>/<id>` from the ARN (scaling resource labels, CloudWatch dimensions). */
export const targetGroupArnSuffix = (arn: string) => arn.replace(/^.*?:(targetgroup\/)/, '$1');

async function describeOne(ctx: ResourceContext, by: { arn?: string; name?: string }): Promise<TargetGroup | undefined> {
  try {
    const r = await elbv2(ctx).send(new ELBv2.DescribeTargetGroupsCommand(by.arn ? { TargetGroupArns: [by.arn] } : { Names: [by.name!] }));
    return r.TargetGroups?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function toActual(ctx: ResourceContext, tg: TargetGroup, tags?: TagMap): Promise<TargetGroupActual> {
  const arn = tg.TargetGroupArn!;
  const c = elbv2(ctx);
  const [attrs, health, t] = await Promise.all([
    c.send(new ELBv2.DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn })),
    c.send(new ELBv2.DescribeTargetHealthCommand({ TargetGroupArn: arn })),
    tags ? Promise.resolve(tags) : elbTags(ctx, arn),
  ]);
  const targets = health.TargetHealthDescriptions ?? [];
  const healthy = targets.filter((d) => d.TargetHealth?.State === 'healthy').length;
  return {
    id: arn,
    arn,
    state: targets.length ? `${healthy}/${targets.length} healthy` : 'no targets',
    name: tg.TargetGroupName ?? '',
    vpcId: tg.VpcId ?? '',
    port: tg.Port ?? 0,
    protocol: tg.Protocol ?? '',
    targetType: tg.TargetType ?? '',
    healthCheck: {
      path: tg.HealthCheckPath ?? '',
      matcher: tg.Matcher?.HttpCode ?? '',
      intervalSeconds: tg.HealthCheckIntervalSeconds ?? 0,
      timeoutSeconds: tg.HealthCheckTimeoutSeconds ?? 0,
      healthyThreshold: tg.HealthyThresholdCount ?? 0,
      unhealthyThreshold: tg.UnhealthyThresholdCount ?? 0,
    },
    attributes: Object.fromEntries((attrs.Attributes ?? []).map((a) => [a.Key!, a.Value ?? ''])),
    healthy,
    targets: targets.length,
    tags: t,
  };
}

const attributeChanges = (desired: Record<string, string>, actual: Record<string, string>) =>
  Object.fromEntries(Object.entries(desired).filter(([k, v]) => actual[k] !== v));

function healthCheckInput(h: HealthCheck) {
  return {
    HealthCheckEnabled: true, HealthCheckProtocol: 'HTTP' as const, HealthCheckPath: h.path, HealthCheckIntervalSeconds: h.intervalSeconds,
    HealthCheckTimeoutSeconds: h.timeoutSeconds, HealthyThresholdCount: h.healthyThreshold, UnhealthyThresholdCount: h.unhealthyThreshold,
    Matcher: { HttpCode: h.matcher },
  };
}

export const targetGroupKind: ResourceKind<TargetGroupSpec, TargetGroupActual, 'arn' | 'name' | 'arnSuffix' | 'health'> = defineKind({
  name: 'elbv2:target-group',
  noun: 'target group',
  timing: { createMs: 2_000, deleteMs: 2_000 },
  onReplace: 'refuse',

  async find(ctx, desired) {
    if (ctx.recordedId) {
      const tg = await describeOne(ctx, { arn: ctx.recordedId });
      if (tg) return toActual(ctx, tg);
    }
    if (!desired?.name) return undefined;
    const tg = await describeOne(ctx, { name: desired.name });
    if (!tg) return undefined;
    const tags = await elbTags(ctx, tg.TargetGroupArn!);
    return ownedBy(ctx, tags) ? toActual(ctx, tg, tags) : undefined;
  },

  diff(desired, actual): Diff {
    const changes: FieldChange[] = [];
    for (const k of Object.keys(desired.healthCheck) as Array<keyof HealthCheck>) {
      const c = changesOf([`healthCheck.${k}`, actual.healthCheck[k], desired.healthCheck[k]]);
      changes.push(...c);
    }
    for (const [k, v] of Object.entries(attributeChanges(desired.attributes, actual.attributes))) changes.push({ field: `attributes.${k}`, from: actual.attributes[k], to: v });
    changes.push(...tagChanges(desired.tags, actual.tags));
    const fixed = changesOf(['name', actual.name, desired.name], ['vpcId', actual.vpcId, desired.vpcId], ['port', actual.port, desired.port],
      ['protocol', actual.protocol, desired.protocol], ['targetType', actual.targetType, desired.targetType]);
    if (fixed.length) return { changes: [...fixed, ...changes], replace: `a target group's ${fixed.map((c) => c.field).join(', ')} cannot change; the service and listeners would need a new one` };
    return { changes };
  },

  /** Creates it with its tags and health check, records its ARN, then sets its attributes. */
  async create(ctx, desired) {
    const c = elbv2(ctx);
    let arn: string;
    try {
      const r = await c.send(new ELBv2.CreateTargetGroupCommand({
        Name: desired.name, VpcId: desired.vpcId, Port: desired.port, Protocol: desired.protocol, TargetType: desired.targetType,
        ...healthCheckInput(desired.healthCheck), Tags: toTagList(desired.tags),
      }));
      arn = r.TargetGroups![0]!.TargetGroupArn!;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const tg = await describeOne(ctx, { name: desired.name });
      if (!tg || !ownedBy(ctx, await elbTags(ctx, tg.TargetGroupArn!))) {
        throw new WpdeployError(`a target group named ${desired.name} already exists and is not the one of step ${ctx.step} of stack ${ctx.stack}.`, {
          hint: 'Delete it if nothing uses it, or deploy under another stack name.', cause: err,
        });
      }
      ctx.warn(`target group ${desired.name} already existed with this step's tags; adopted it.`);
      arn = tg.TargetGroupArn!;
    }
    await ctx.recordId(arn, arn);
    const Attributes = Object.entries(desired.attributes).map(([Key, Value]) => ({ Key, Value }));
    if (Attributes.length) {
      await retrying(() => c.send(new ELBv2.ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes })), { retryable: isEventuallyConsistentNotFound, attempts: 5, baseMs: 1_000, scale: ctx.scale });
    }
    const tg = await describeOne(ctx, { arn });
    if (!tg) throw new WpdeployError(`target group ${desired.name} disappeared right after it was created.`, { hint: 'Run `wpdeploy up` again.' });
    return toActual(ctx, tg);
  },

  async update(ctx, desired, actual) {
    const c = elbv2(ctx);
    if (JSON.stringify(actual.healthCheck) !== JSON.stringify({ ...actual.healthCheck, ...desired.healthCheck })) {
      await c.send(new ELBv2.ModifyTargetGroupCommand({ TargetGroupArn: actual.arn, ...healthCheckInput(desired.healthCheck) }));
    }
    const attrs = attributeChanges(desired.attributes, actual.attributes);
    if (Object.keys(attrs).length) {
      await c.send(new ELBv2.ModifyTargetGroupAttributesCommand({ TargetGroupArn: actual.arn, Attributes: Object.entries(attrs).map(([Key, Value]) => ({ Key, Value })) }));
    }
    const toSet = tagsToSet(desired.tags, actual.tags);
    if (Object.keys(toSet).length) await c.send(new ELBv2.AddTagsCommand({ ResourceArns: [actual.arn], Tags: toTagList(toSet) }));
    return { ...actual, healthCheck: { ...desired.healthCheck }, attributes: { ...actual.attributes, ...attrs }, tags: { ...actual.tags, ...toSet } };
  },

  /** Deletes it, waiting while a listener still forwards to it; already gone is success. */
  async delete(ctx, actual) {
    await deleteTolerant(ctx, `target group ${actual.name}`, () => elbv2(ctx).send(new ELBv2.DeleteTargetGroupCommand({ TargetGroupArn: actual.arn })));
  },

  outputs: (a) => ({ arn: a.arn, name: a.name, arnSuffix: targetGroupArnSuffix(a.arn), health: a.state }),
});
