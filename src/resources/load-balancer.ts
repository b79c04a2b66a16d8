/**
 * The Application Load Balancer: internet-facing, over the public subnets (≥ 2 AZs, FSBP ELB.13),
 * with the alb security group. Its attributes drop invalid header fields (ELB.4), mitigate desync
 * (ELB.12), write access logs to the log bucket (ELB.5) and protect it from deletion (ELB.6). `up`
 * waits until it is active (about 3 minutes on AWS; it stays provisioning if the VPC has no internet
 * gateway, hence the bound). `down` lifts the deletion protection first, says so, deletes it and
 * waits until it is gone. Name, scheme and type cannot change in place: such a change is refused.
 */
import type { LoadBalancer } from '@aws-sdk/client-elastic-load-balancing-v2';
import { orAbsent } from '../aws/idempotent.js';
import { ELBv2 } from '../aws/sdk.js';
import { waitFor } from '../aws/poll.js';
import { toTagList, type TagMap, tagChanges } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import {
  addElbTags, attributeChanges, attributeList, attributeMap, attributesToSet, createNamed, describeLoadBalancer, elbTags, elbv2, findNamed, onceVisible, type NamedElb,
} from './elb-common.js';
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

/** `app/<name>/<id>` from the ARN: what CloudWatch dimensions and scaling resource labels use. */
export const loadBalancerArnSuffix = (arn: string) => arn.replace(/^.*?:loadbalancer\//, '');

const LOAD_BALANCER: NamedElb<LoadBalancer> = { noun: 'load balancer', describe: describeLoadBalancer, arnOf: (lb) => lb.LoadBalancerArn! };

async function attributesOf(ctx: ResourceContext, arn: string): Promise<Record<string, string>> {
  return attributeMap((await elbv2(ctx).send(new ELBv2.DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn }))).Attributes);
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
    check: () => describeLoadBalancer(ctx, { arn }),
    done: (v) => v?.State?.Code === 'active' || v?.State?.Code === 'active_impaired',
    failed: (v) => (v?.State?.Code === 'failed' ? `it failed: ${v.State.Reason ?? 'no reason given'}` : undefined),
    onProgress: (v, ms) => ctx.progress(`load balancer is ${v?.State?.Code ?? 'not visible yet'}${ms > CREATE_MS ? '; an ALB stays provisioning when its VPC has no internet gateway' : ''}`),
  });
  return lb!;
}

async function setAttributes(ctx: ResourceContext, arn: string, attrs: Record<string, string>): Promise<void> {
  const Attributes = attributeList(attrs);
  if (Attributes.length) await elbv2(ctx).send(new ELBv2.ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: arn, Attributes }));
}

export const loadBalancerKind: ResourceKind<LoadBalancerSpec, LoadBalancerActual, 'arn' | 'name' | 'arnSuffix' | 'dnsName' | 'canonicalHostedZoneId' | 'url'> = defineKind({
  name: 'elbv2:load-balancer',
  noun: 'load balancer',
  timing: { createMs: CREATE_MS, deleteMs: DELETE_MS },
  onReplace: 'refuse',

  /** By the recorded ARN, then by its name when it carries this stack's and step's tags. */
  find: (ctx, desired) => findNamed(ctx, desired?.name, LOAD_BALANCER, (lb, tags) => toActual(ctx, lb, tags)),

  diff(desired, actual): Diff {
    const changes: FieldChange[] = changesOf(
      ['subnetIds', actual.subnetIds, sorted(desired.subnetIds)],
      ['securityGroupIds', actual.securityGroupIds, sorted(desired.securityGroupIds)],
      ['ipAddressType', actual.ipAddressType, desired.ipAddressType],
    );
    changes.push(...attributeChanges(desired.attributes, actual.attributes), ...tagChanges(desired.tags, actual.tags));
    const fixed = changesOf(['name', actual.name, desired.name], ['scheme', actual.scheme, desired.scheme]);
    if (fixed.length) return { changes: [...fixed, ...changes], replace: `a load balancer's name and scheme cannot change (${fixed.map((c) => c.field).join(', ')}); it would be a new load balancer with a new DNS name` };
    return { changes };
  },

  /**
   * Creates it with its tags, records its ARN, waits until active (bounded), then sets its
   * attributes. One of that name with this step's tags (a create that crashed) is adopted.
   */
  async create(ctx, desired) {
    const arn = await createNamed(ctx, desired.name, LOAD_BALANCER, async () => (await elbv2(ctx).send(new ELBv2.CreateLoadBalancerCommand({
      Name: desired.name, Type: 'application', Scheme: desired.scheme, IpAddressType: desired.ipAddressType,
      Subnets: desired.subnetIds, SecurityGroups: desired.securityGroupIds, Tags: toTagList(desired.tags),
    }))).LoadBalancers![0]!.LoadBalancerArn!);
    const lb = await waitActive(ctx, arn);
    await onceVisible(ctx, () => setAttributes(ctx, arn, desired.attributes));
    const actual = await toActual(ctx, lb);
    const rest = attributesToSet(desired.attributes, actual.attributes);
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
    const attrs = attributesToSet(desired.attributes, actual.attributes);
    await setAttributes(ctx, arn, attrs);
    return {
      ...actual,
      subnetIds: sorted(desired.subnetIds), securityGroupIds: sorted(desired.securityGroupIds), ipAddressType: desired.ipAddressType,
      attributes: { ...actual.attributes, ...attrs }, tags: await addElbTags(ctx, arn, desired.tags, actual.tags),
    };
  },

  /** Lifts the deletion protection (saying so), deletes it and waits until it is gone. Gone is success. */
  async delete(ctx, actual) {
    const arn = actual.arn;
    const deleting = await orAbsent(async () => {
      if ((await attributesOf(ctx, arn))[DELETION_PROTECTION] === 'true') {
        ctx.warn(`lifting the deletion protection of load balancer ${actual.name} to delete it.`);
        await setAttributes(ctx, arn, { [DELETION_PROTECTION]: 'false' });
      }
      await elbv2(ctx).send(new ELBv2.DeleteLoadBalancerCommand({ LoadBalancerArn: arn }));
      return true;
    });
    if (!deleting) return; // gone already
    await waitFor({
      what: `load balancer ${actual.name} to be deleted`, expectedMs: DELETE_MS, minIntervalMs: 2_000, scale: ctx.scale, signal: ctx.signal,
      check: () => describeLoadBalancer(ctx, { arn }),
      done: (v) => !v,
      onProgress: () => ctx.progress(`load balancer ${actual.name} is being deleted`),
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
