/**
 * A subnet in one Availability Zone. Its CIDR block and zone cannot change in place: such a change is
 * refused with the reason. Deleting waits while network interfaces (Fargate, ALB, EFS, RDS, NAT) drain,
 * then names what still holds it.
 */
import type { Subnet } from '@aws-sdk/client-ec2';
import { EC2 } from '../aws/sdk.js';
import { isAlreadyExists, isNotFound } from '../aws/errors.js';
import { waitFor } from '../aws/poll.js';
import { TAG_STACK, TAG_STEP, fromTagList, tagsToSet, toTagList, type TagMap, tagChanges } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { ec2, findByIdOrTags, tagSpec } from './ec2-common.js';
import { deleteWhenReleased, interfacesWith } from './lingering.js';
import { defineKind } from './kinds.js';
import { changesOf, type Actual, type ResourceKind } from './types.js';

export interface SubnetSpec {
  vpcId: string;
  cidr: string;
  az: string;
  tags: TagMap;
}

export interface SubnetActual extends Actual {
  vpcId: string;
  cidr: string;
  az: string;
  tags: TagMap;
}

function toActual(s: Subnet): SubnetActual {
  return { id: s.SubnetId!, arn: s.SubnetArn, state: s.State, vpcId: s.VpcId ?? '', cidr: s.CidrBlock ?? '', az: s.AvailabilityZone ?? '', tags: fromTagList(s.Tags) };
}

export const subnetKind: ResourceKind<SubnetSpec, SubnetActual, 'subnetId' | 'az' | 'cidr'> = defineKind({
  name: 'ec2:subnet',
  noun: 'subnet',
  timing: { createMs: 2_000, deleteMs: 2_000 },
  onReplace: 'refuse',

  async find(ctx) {
    const client = ec2(ctx);
    const found = await findByIdOrTags(
      ctx, 'subnet',
      async (id) => (await client.send(new EC2.DescribeSubnetsCommand({ SubnetIds: [id] }))).Subnets ?? [],
      async (Filters) => (await client.send(new EC2.DescribeSubnetsCommand({ Filters }))).Subnets ?? [],
      (s) => s.SubnetId!,
      toActual,
    );
    return found;
  },

  diff(desired, actual) {
    const changes = changesOf(['vpcId', actual.vpcId, desired.vpcId], ['cidr', actual.cidr, desired.cidr], ['az', actual.az, desired.az]);
    const tags = tagChanges(desired.tags, actual.tags);
    if (changes.length) {
      return {
        changes: [...changes, ...tags],
        replace: `a subnet's VPC, CIDR block and Availability Zone cannot change (${changes.map((c) => c.field).join(', ')}); it would be a new subnet, and everything in it would move`,
      };
    }
    return { changes: tags };
  },

  async create(ctx, desired) {
    const client = ec2(ctx);
    let created: Subnet;
    try {
      const r = await client.send(new EC2.CreateSubnetCommand({
        VpcId: desired.vpcId, CidrBlock: desired.cidr, AvailabilityZone: desired.az, TagSpecifications: tagSpec('subnet', desired.tags),
      }));
      created = r.Subnet!;
    } catch (err) {
      // A retried create whose first response was lost meets the subnet it made: take it if it is ours.
      if (!isAlreadyExists(err)) throw err;
      const r = await client.send(new EC2.DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [desired.vpcId] }, { Name: 'cidr-block', Values: [desired.cidr] }] }));
      const same = r.Subnets?.[0];
      const tags = fromTagList(same?.Tags);
      if (!same || tags[TAG_STACK] !== ctx.stack || tags[TAG_STEP] !== ctx.step) {
        throw new WpdeployError(`${desired.cidr} is already used by subnet ${same?.SubnetId ?? '(unknown)'} in ${desired.vpcId}, which wpdeploy did not create for this step.`, {
          hint: 'Remove that subnet, or choose another network.cidr.', cause: err,
        });
      }
      ctx.warn(`subnet ${same.SubnetId} already existed with this step's tags (a create whose answer was lost); using it.`);
      created = same;
    }
    const id = created.SubnetId!;
    await ctx.recordId(id, created.SubnetArn);
    const s = await waitFor({
      what: `subnet ${id} to be available`, expectedMs: 2_000, scale: ctx.scale, signal: ctx.signal, initial: created,
      check: () => client.send(new EC2.DescribeSubnetsCommand({ SubnetIds: [id] })).then((x) => x.Subnets?.[0], (err) => { if (isNotFound(err)) return undefined; throw err; }),
      done: (v) => v?.State === 'available',
    });
    return toActual(s!);
  },

  async update(ctx, desired, actual) {
    const toSet = tagsToSet(desired.tags, actual.tags);
    if (Object.keys(toSet).length) await ec2(ctx).send(new EC2.CreateTagsCommand({ Resources: [actual.id], Tags: toTagList(toSet) }));
    return { ...actual, tags: { ...actual.tags, ...toSet } };
  },

  async delete(ctx, actual) {
    await deleteWhenReleased(ctx, `subnet ${actual.id}`, () => ec2(ctx).send(new EC2.DeleteSubnetCommand({ SubnetId: actual.id })),
      () => interfacesWith(ctx, [{ Name: 'subnet-id', Values: [actual.id] }]));
  },

  outputs: (a) => ({ subnetId: a.id, az: a.az, cidr: a.cidr }),
});
