/**
 * The VPC, with DNS support and DNS hostnames on (both needed by EFS mount-target names and RDS
 * endpoints). Found by recorded id, then by the stack and step tags. Its CIDR cannot change in
 * place: such a change is refused with the reason.
 */
import type { Vpc } from '@aws-sdk/client-ec2';
import { EC2 } from '../aws/sdk.js';
import { isNotFound } from '../aws/errors.js';
import { waitFor } from '../aws/poll.js';
import { fromTagList, tagsToSet, toTagList, type TagMap } from '../aws/tags.js';
import { deleteTolerant, describeHolders, ec2, findByIdOrTags, tagSpec } from './ec2-common.js';
import { defineKind } from './kinds.js';
import { changesOf, type Actual, type Diff, type ResourceContext, type ResourceKind } from './types.js';

export interface VpcSpec {
  cidr: string;
  dnsSupport: boolean;
  dnsHostnames: boolean;
  tags: TagMap;
}

export interface VpcActual extends Actual {
  cidr: string;
  dnsSupport: boolean;
  dnsHostnames: boolean;
  tags: TagMap;
}

async function describe(ctx: ResourceContext, vpc: Vpc): Promise<VpcActual> {
  const client = ec2(ctx);
  const [support, hostnames] = await Promise.all([
    client.send(new EC2.DescribeVpcAttributeCommand({ VpcId: vpc.VpcId!, Attribute: 'enableDnsSupport' })),
    client.send(new EC2.DescribeVpcAttributeCommand({ VpcId: vpc.VpcId!, Attribute: 'enableDnsHostnames' })),
  ]);
  return {
    id: vpc.VpcId!,
    arn: `arn:aws:ec2:${ctx.region}:${vpc.OwnerId ?? ctx.account}:vpc/${vpc.VpcId}`,
    state: vpc.State,
    cidr: vpc.CidrBlock ?? '',
    dnsSupport: support.EnableDnsSupport?.Value ?? false,
    dnsHostnames: hostnames.EnableDnsHostnames?.Value ?? false,
    tags: fromTagList(vpc.Tags),
  };
}

export const vpcKind: ResourceKind<VpcSpec, VpcActual, 'vpcId' | 'cidr'> = defineKind({
  name: 'ec2:vpc',
  noun: 'vpc',
  timing: { createMs: 3_000, deleteMs: 3_000 },
  onReplace: 'refuse',

  async find(ctx) {
    const client = ec2(ctx);
    const found = await findByIdOrTags(
      ctx, 'vpc',
      async (id) => (await client.send(new EC2.DescribeVpcsCommand({ VpcIds: [id] }))).Vpcs ?? [],
      async (Filters) => (await client.send(new EC2.DescribeVpcsCommand({ Filters }))).Vpcs ?? [],
      (v) => v.VpcId!,
      (v) => describe(ctx, v),
    );
    return found;
  },

  diff(desired, actual): Diff {
    const changes = changesOf(
      ['dnsSupport', actual.dnsSupport, desired.dnsSupport],
      ['dnsHostnames', actual.dnsHostnames, desired.dnsHostnames],
    );
    const tagChanges = tagsToSet(desired.tags, actual.tags);
    for (const [k, v] of Object.entries(tagChanges)) changes.push({ field: `tags.${k}`, from: actual.tags[k], to: v });
    if (desired.cidr !== actual.cidr) {
      return {
        changes: [{ field: 'cidr', from: actual.cidr, to: desired.cidr }, ...changes],
        replace: `a VPC's primary CIDR block cannot change (${actual.cidr} -> ${desired.cidr}); it would mean a new VPC and every subnet, gateway, load balancer, database and file system in it`,
      };
    }
    return { changes };
  },

  async create(ctx, desired) {
    const client = ec2(ctx);
    const r = await client.send(new EC2.CreateVpcCommand({
      CidrBlock: desired.cidr,
      TagSpecifications: tagSpec('vpc', desired.tags),
    }));
    const id = r.Vpc!.VpcId!;
    await ctx.recordId(id, `arn:aws:ec2:${ctx.region}:${r.Vpc!.OwnerId ?? ctx.account}:vpc/${id}`);
    const vpc = await waitFor({
      what: `vpc ${id} to be available`,
      expectedMs: vpcKind.timing!.createMs,
      scale: ctx.scale,
      signal: ctx.signal,
      initial: r.Vpc,
      // Right after CreateVpc, a describe may not see it yet (eventual consistency).
      check: () => client.send(new EC2.DescribeVpcsCommand({ VpcIds: [id] })).then((x) => x.Vpcs?.[0], (err) => { if (isNotFound(err)) return undefined; throw err; }),
      done: (v) => v?.State === 'available',
    });
    // Subnets, gateways and groups need only the VPC: they go ahead while its DNS attributes are set
    // (nothing created in it needs them at creation; a new VPC has DNS support on already).
    const arn = `arn:aws:ec2:${ctx.region}:${vpc!.OwnerId ?? ctx.account}:vpc/${id}`;
    const available: VpcActual = { id, arn, state: vpc!.State, cidr: vpc!.CidrBlock ?? desired.cidr, dnsSupport: true, dnsHostnames: false, tags: desired.tags };
    ctx.usable?.(available);
    await setDns(ctx, id, desired, { dnsSupport: true, dnsHostnames: false });
    return { ...(await describe(ctx, vpc!)) };
  },

  async update(ctx, desired, actual) {
    await setDns(ctx, actual.id, desired, actual);
    const toSet = tagsToSet(desired.tags, actual.tags);
    if (Object.keys(toSet).length > 0) {
      await ec2(ctx).send(new EC2.CreateTagsCommand({ Resources: [actual.id], Tags: toTagList(toSet) }));
    }
    return { ...actual, dnsSupport: desired.dnsSupport, dnsHostnames: desired.dnsHostnames, tags: { ...actual.tags, ...toSet } };
  },

  async delete(ctx, actual) {
    await deleteTolerant(ctx, `vpc ${actual.id}`, () => ec2(ctx).send(new EC2.DeleteVpcCommand({ VpcId: actual.id })),
      () => describeHolders(ctx, { Name: 'vpc-id', Values: [actual.id] }));
  },

  outputs(actual) {
    return { vpcId: actual.id, cidr: actual.cidr };
  },
});

async function setDns(ctx: ResourceContext, id: string, desired: VpcSpec, current: { dnsSupport: boolean; dnsHostnames: boolean }): Promise<void> {
  // ModifyVpcAttribute takes one attribute per call; DNS hostnames need DNS support on first.
  const client = ec2(ctx);
  if (desired.dnsSupport !== current.dnsSupport) {
    await client.send(new EC2.ModifyVpcAttributeCommand({ VpcId: id, EnableDnsSupport: { Value: desired.dnsSupport } }));
  }
  if (desired.dnsHostnames !== current.dnsHostnames) {
    await client.send(new EC2.ModifyVpcAttributeCommand({ VpcId: id, EnableDnsHostnames: { Value: desired.dnsHostnames } }));
  }
}
