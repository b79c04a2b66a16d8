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
import { toTagList, type TagMap, tagChanges } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { deleteTolerant } from './ec2-common.js';
import {
  addElbTags, attributeChanges, attributeList, attributeMap, attributesToSet, createNamed, describeTargetGroup, elbTags, elbv2, findNamed, onceVisible, type NamedElb,
} from './elb-common.js';
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

const TARGET_GROUP: NamedElb<TargetGroup> = { noun: 'target group', describe: describeTargetGroup, arnOf: (tg) => tg.TargetGroupArn! };

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
    attributes: attributeMap(attrs.Attributes),
    healthy,
    targets: targets.length,
    tags: t,
  };
}

/** Sets attributes (on a target group just created, once ELB sees it). */
async function setAttributes(ctx: ResourceContext, arn: string, attrs: Record<string, string>): Promise<void> {
  const Attributes = attributeList(attrs);
  if (Attributes.length) await onceVisible(ctx, () => elbv2(ctx).send(new ELBv2.ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes })));
}

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

  find: (ctx, desired) => findNamed(ctx, desired?.name, TARGET_GROUP, (tg, tags) => toActual(ctx, tg, tags)),

  diff(desired, actual): Diff {
    const changes: FieldChange[] = [];
    for (const k of Object.keys(desired.healthCheck) as Array<keyof HealthCheck>) {
      const c = changesOf([`healthCheck.${k}`, actual.healthCheck[k], desired.healthCheck[k]]);
      changes.push(...c);
    }
    changes.push(...attributeChanges(desired.attributes, actual.attributes), ...tagChanges(desired.tags, actual.tags));
    const fixed = changesOf(['name', actual.name, desired.name], ['vpcId', actual.vpcId, desired.vpcId], ['port', actual.port, desired.port],
      ['protocol', actual.protocol, desired.protocol], ['targetType', actual.targetType, desired.targetType]);
    if (fixed.length) return { changes: [...fixed, ...changes], replace: `a target group's ${fixed.map((c) => c.field).join(', ')} cannot change; the service and listeners would need a new one` };
    return { changes };
  },

  /** Creates it with its tags and health check, records its ARN, then sets its attributes. */
  async create(ctx, desired) {
    const arn = await createNamed(ctx, desired.name, TARGET_GROUP, async () => (await elbv2(ctx).send(new ELBv2.CreateTargetGroupCommand({
      Name: desired.name, VpcId: desired.vpcId, Port: desired.port, Protocol: desired.protocol, TargetType: desired.targetType,
      ...healthCheckInput(desired.healthCheck), Tags: toTagList(desired.tags),
    }))).TargetGroups![0]!.TargetGroupArn!);
    await setAttributes(ctx, arn, desired.attributes);
    const tg = await describeTargetGroup(ctx, { arn });
    if (!tg) throw new WpdeployError(`target group ${desired.name} disappeared right after it was created.`, { hint: 'Run `wpdeploy up` again.' });
    return toActual(ctx, tg);
  },

  async update(ctx, desired, actual) {
    const c = elbv2(ctx);
    if (JSON.stringify(actual.healthCheck) !== JSON.stringify({ ...actual.healthCheck, ...desired.healthCheck })) {
      await c.send(new ELBv2.ModifyTargetGroupCommand({ TargetGroupArn: actual.arn, ...healthCheckInput(desired.healthCheck) }));
    }
    const attrs = attributesToSet(desired.attributes, actual.attributes);
    await setAttributes(ctx, actual.arn, attrs);
    return { ...actual, healthCheck: { ...desired.healthCheck }, attributes: { ...actual.attributes, ...attrs }, tags: await addElbTags(ctx, actual.arn, desired.tags, actual.tags) };
  },

  /** Deletes it, waiting while a listener still forwards to it; already gone is success. */
  async delete(ctx, actual) {
    await deleteTolerant(ctx, `target group ${actual.name}`, () => elbv2(ctx).send(new ELBv2.DeleteTargetGroupCommand({ TargetGroupArn: actual.arn })));
  },

  outputs: (a) => ({ arn: a.arn, name: a.name, arnSuffix: targetGroupArnSuffix(a.arn), health: a.state }),
});
