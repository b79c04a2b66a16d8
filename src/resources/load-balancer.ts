/**
 * The Application Load Balancer: internet-facing, over the public subnets (≥ 2 AZs, FSBP ELB.13),
 * with the alb security group. Its attributes drop invalid header fields (ELB.4), mitigate desync
 * (ELB.12), write access logs to the log bucket (ELB.5) and protect it from deletion (ELB.6). `up`
 * waits until it is active (about 3 minutes on AWS; it stays provisioning if the VPC has no internet
 * gateway, hence the bound). `down` lifts the deletion protection first, says so, deletes it and
 * waits until it is gone. Name, scheme and type cannot change in place: such a change is refused.
 */
import type { LoadBalancer } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ELBv2 } from '../aws/sdk.js';
import { isAlreadyExists, isEventuallyConsistentNotFound, isNotFound } from '../aws/errors.js';
import type { BatchSpec } from '../aws/read-cache.js';
import { retrying, waitFor } from '../aws/poll.js';
import { fromTagList, tagsToSet, toTagList, type TagMap, tagChanges, ownedBy } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { indexedTags } from './tag-index.js';
import { defineKind } from './kinds.js';
import { changesOf, type Actual, type Diff, type FieldChange, type ResourceContext, type ResourceKind } from './types.js';

export interface LoadBalancerSpec {
  /** At most 32 characters: `<stack>-alb`. */
  name: string;
  subnetIds: string[];
  securityGroupIds: string[];
  scheme: 'internet-facing' | 'internal';
  ipAddressType: 'ipv4' | 'dualstack';
  /** Load balancer attributes wpdeploy sets; the others are left as they are. */
  attributes: Record<string, string>;
  tags: TagMap;
}

export interface LoadBalancerActual extends Actual {
  /** The load balancer ARN. */
  id: string;
  arn: string;
  state: string;
  name: string;
  dnsName: string;
  canonicalHostedZoneId: string;
  vpcId: string;
  scheme: string;
  ipAddressType: string;
  subnetIds: string[];
  securityGroupIds: string[];
  attributes: Record<string, string>;
  tags: TagMap;
}

export const DELETION_PROTECTION = 'deletion_protection.enabled';
const CREATE_MS = 180_000;
const DELETE_MS = 60_000;

export const elbv2 = (ctx: ResourceContext) => ctx.aws.get(ELBv2.ElasticLoadBalancingV2Client);

/** `app/<name>/<id>` from the ARN: what CloudWatch dimensions and scaling resource labels use. */
export const loadBalancerArnSuffix = (arn: string) => arn.replace(/^.*?:loadbalancer\//, '');

async function describeOne(ctx: ResourceContext, by: { arn?: string; name?: string }): Promise<LoadBalancer | undefined> {
  try {
    const r = await elbv2(ctx).send(new ELBv2.DescribeLoadBalancersCommand(by.arn ? { LoadBalancerArns: [by.arn] } : { Names: [by.name!] }));
    return r.LoadBalancers?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * DescribeTags for up to 20 ELB resources at once: the load balancer, target groups and listeners
 * asked for in one tick, with those the state records read along (see read-cache.ts).
 */
const ELB_TAGS: BatchSpec<TagMap> = {
  name: 'elbv2:tags',
  dependsOn: 'ElasticLoadBalancingV2',
  max: 20,
  more: (cache) => cache.recorded('elbv2:load-balancer', 'elbv2:target-group', 'elbv2:listener').map((r) => r.arn ?? r.id ?? '').filter((a) => a.startsWith('arn:')),
  async loadMany(aws, keys) {
    const r = await aws.get(ELBv2.ElasticLoadBalancingV2Client).send(new ELBv2.DescribeTagsCommand({ ResourceArns: keys }));
    return new Map((r.TagDescriptions ?? []).map((d) => [d.ResourceArn!, fromTagList(d.Tags)]));
  },
};

/** The tags of a load balancer, target group or listener (from the stack's tag index, or batched with the others of the run). */
export async function elbTags(ctx: ResourceContext, arn: string): Promise<TagMap> {
  const indexed = await indexedTags(ctx, arn);
  if (indexed) return indexed;
  if (ctx.reads) return (await ctx.reads.batch(ELB_TAGS, arn)) ?? {};
  const r = await elbv2(ctx).send(new ELBv2.DescribeTagsCommand({ ResourceArns: [arn] }));
  return fromTagList(r.TagDescriptions?.[0]?.Tags);
}

async function attributesOf(ctx: ResourceContext, arn: string): Promise<Record<string, string>> {
  const r = await elbv2(ctx).send(new ELBv2.DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn }));
  return Object.fromEntries((r.Attributes ?? []).map((a) => [a.Key!, a.Value ?? '']));
}

async function toActual(ctx: ResourceContext, lb: LoadBalancer, tags?: TagMap): Promise<LoadBalancerActual> {
  const arn = lb.LoadBalancerArn!;
  return {
    id: arn,
    arn,
    state: lb.State?.Code ?? 'unknown',
    name: lb.LoadBalancerName ?? '',
    dnsName: lb.DNSName ?? '',
    canonicalHostedZoneId: lb.CanonicalHostedZoneId ?? '',
    vpcId: lb.VpcId ?? '',
    scheme: lb.Scheme ?? '',
    ipAddressType: lb.IpAddressType ?? 'ipv4',
    subnetIds: (lb.AvailabilityZones ?? []).map((z) => z.SubnetId!).sort(),
    securityGroupIds: [...(lb.SecurityGroups ?? [])].sort(),
    attributes: await attributesOf(ctx, arn),
    tags: tags ?? (await elbTags(ctx, arn)),
  };
}

const sorted = (xs: string[]) => [...xs].sort();

async function waitActive(ctx: ResourceContext, arn: string): Promise<LoadBalancer> {
  const lb = await waitFor({
    what: `load balancer ${loadBalancerArnSuffix(arn)} to be active`,
    expectedMs: CREATE_MS,
    minIntervalMs: 2_000,
    scale: ctx.scale,
    signal: ctx.signal,
    check: () => describeOne(ctx, { arn }),
    done: (v) => v?.State?.Code === 'active' || v?.State?.Code === 'active_impaired',
    failed: (v) => (v?.State?.Code === 'failed' ? `it failed: ${v.State.Reason ?? 'no reason given'}` : undefined),
    onProgress: (v, ms) => ctx.progress(`load balancer is ${v?.State?.Code ?? 'not visible yet'}${ms > CREATE_MS ? '; an ALB stays provisioning when its VPC has no internet gateway' : ''}`),
  });
  return lb!;
}

async function setAttributes(ctx: ResourceContext, arn: string, attrs: Record<string, string>): Promise<void> {
  const Attributes = Object.entries(attrs).map(([Key, Value]) => ({ Key, Value }));
  if (Attributes.length) await elbv2(ctx).send(new ELBv2.ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: arn, Attributes }));
}

function attributeChanges(desired: Record<string, string>, actual: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(desired).filter(([k, v]) => actual[k] !== v));
}

export const loadBalancerKind: ResourceKind<LoadBalancerSpec, LoadBalancerActual, 'arn' | 'name' | 'arnSuffix' | 'dnsName' | 'canonicalHostedZoneId' | 'url'> = defineKind({
  name: 'elbv2:load-balancer',
  noun: 'load balancer',
  timing: { createMs: CREATE_MS, deleteMs: DELETE_MS },
  onReplace: 'refuse',

  /** By the recorded ARN, then by its name when it carries this stack's and step's tags. */
  async find(ctx, desired) {
    if (ctx.recordedId) {
      const lb = await describeOne(ctx, { arn: ctx.recordedId });
      if (lb) return toActual(ctx, lb);
    }
    if (!desired?.name) return undefined;
    const lb = await describeOne(ctx, { name: desired.name });
    if (!lb) return undefined;
    const tags = await elbTags(ctx, lb.LoadBalancerArn!);
    return ownedBy(ctx, tags) ? toActual(ctx, lb, tags) : undefined;
  },

  diff(desired, actual): Diff {
    const changes: FieldChange[] = changesOf(
      ['subnetIds', actual.subnetIds, sorted(desired.subnetIds)],
      ['securityGroupIds', actual.securityGroupIds, sorted(desired.securityGroupIds)],
      ['ipAddressType', actual.ipAddressType, desired.ipAddressType],
    );
    for (const [k, v] of Object.entries(attributeChanges(desired.attributes, actual.attributes))) changes.push({ field: `attributes.${k}`, from: actual.attributes[k], to: v });
    changes.push(...tagChanges(desired.tags, actual.tags));
    const fixed = changesOf(['name', actual.name, desired.name], ['scheme', actual.scheme, desired.scheme]);
    if (fixed.length) return { changes: [...fixed, ...changes], replace: `a load balancer's name and scheme cannot change (${fixed.map((c) => c.field).join(', ')}); it would be a new load balancer with a new DNS name` };
    return { changes };
  },

  /**
   * Creates it with its tags, records its ARN, waits until active (bounded), then sets its
   * attributes. One of that name with this step's tags (a create that crashed) is adopted.
   */
  async create(ctx, desired) {
    let arn: string;
    try {
      const r = await elbv2(ctx).send(new ELBv2.CreateLoadBalancerCommand({
        Name: desired.name, Type: 'application', Scheme: desired.scheme, IpAddressType: desired.ipAddressType,
        Subnets: desired.subnetIds, SecurityGroups: desired.securityGroupIds, Tags: toTagList(desired.tags),
      }));
      arn = r.LoadBalancers![0]!.LoadBalancerArn!;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const lb = await describeOne(ctx, { name: desired.name });
      if (!lb || !ownedBy(ctx, await elbTags(ctx, lb.LoadBalancerArn!))) {
        throw new WpdeployError(`a load balancer named ${desired.name} already exists and is not the one of step ${ctx.step} of stack ${ctx.stack}.`, {
          hint: 'Delete it if nothing uses it, or deploy under another stack name.', cause: err,
        });
      }
      ctx.warn(`load balancer ${desired.name} already existed with this step's tags; adopted it.`);
      arn = lb.LoadBalancerArn!;
    }
    await ctx.recordId(arn, arn);
    const lb = await waitActive(ctx, arn);
    // Just created, other ELB calls may not see it for a moment.
    await retrying(() => setAttributes(ctx, arn, desired.attributes), { retryable: isEventuallyConsistentNotFound, attempts: 5, baseMs: 1_000, scale: ctx.scale });
    const actual = await toActual(ctx, lb);
    const rest = attributeChanges(desired.attributes, actual.attributes);
    if (Object.keys(rest).length) {
      throw new WpdeployError(`load balancer ${desired.name} did not take attributes ${Object.entries(rest).map(([k, v]) => `${k}=${v}`).join(', ')} (it has ${Object.keys(rest).map((k) => `${k}=${actual.attributes[k] ?? 'unset'}`).join(', ')}).`, {
        hint: 'Run `wpdeploy up` again; if it persists, the region may not support that attribute.',
      });
    }
    return actual;
  },

  /** Moves it to the wanted subnets and groups, sets the attributes and tags that differ. */
  async update(ctx, desired, actual) {
    const c = elbv2(ctx);
    const arn = actual.arn;
    if (JSON.stringify(actual.subnetIds) !== JSON.stringify(sorted(desired.subnetIds))) await c.send(new ELBv2.SetSubnetsCommand({ LoadBalancerArn: arn, Subnets: desired.subnetIds }));
    if (JSON.stringify(actual.securityGroupIds) !== JSON.stringify(sorted(desired.securityGroupIds))) await c.send(new ELBv2.SetSecurityGroupsCommand({ LoadBalancerArn: arn, SecurityGroups: desired.securityGroupIds }));
    if (actual.ipAddressType !== desired.ipAddressType) await c.send(new ELBv2.SetIpAddressTypeCommand({ LoadBalancerArn: arn, IpAddressType: desired.ipAddressType }));
    const attrs = attributeChanges(desired.attributes, actual.attributes);
    await setAttributes(ctx, arn, attrs);
    const toSet = tagsToSet(desired.tags, actual.tags);
    if (Object.keys(toSet).length) await c.send(new ELBv2.AddTagsCommand({ ResourceArns: [arn], Tags: toTagList(toSet) }));
    return {
      ...actual,
      subnetIds: sorted(desired.subnetIds), securityGroupIds: sorted(desired.securityGroupIds), ipAddressType: desired.ipAddressType,
      attributes: { ...actual.attributes, ...attrs }, tags: { ...actual.tags, ...toSet },
    };
  },

  /** Lifts the deletion protection (saying so), deletes it and waits until it is gone. Gone is success. */
  async delete(ctx, actual) {
    const c = elbv2(ctx);
    const arn = actual.arn;
    try {
      const attrs = await attributesOf(ctx, arn);
      if (attrs[DELETION_PROTECTION] === 'true') {
        ctx.warn(`lifting the deletion protection of load balancer ${actual.name} to delete it.`);
        await setAttributes(ctx, arn, { [DELETION_PROTECTION]: 'false' });
      }
      await c.send(new ELBv2.DeleteLoadBalancerCommand({ LoadBalancerArn: arn }));
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    await waitFor({
      what: `load balancer ${actual.name} to be deleted`, expectedMs: DELETE_MS, minIntervalMs: 2_000, scale: ctx.scale, signal: ctx.signal,
      check: () => describeOne(ctx, { arn }),
      done: (v) => !v,
      onProgress: (_v) => ctx.progress(`load balancer ${actual.name} is being deleted`),
    });
  },

  outputs: (a) => ({
    arn: a.arn,
    name: a.name,
    arnSuffix: loadBalancerArnSuffix(a.arn),
    dnsName: a.dnsName,
    canonicalHostedZoneId: a.canonicalHostedZoneId,
    url: `http://${a.dnsName}`,
  }),
});
