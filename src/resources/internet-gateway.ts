/**
 * The internet gateway, attached to the VPC. Teardown detaches it first; AWS refuses while public
 * addresses are mapped in the VPC (the load balancer's interfaces, which linger minutes after it is
 * deleted; NAT gateways' Elastic IPs), so the detach waits for those interfaces to go (lingering.ts).
 */
import type { InternetGateway } from '@aws-sdk/client-ec2';
import { deleteOrGone, writeOrVerify } from '../aws/idempotent.js';
import { EC2 } from '../aws/sdk.js';
import { fromTagList, tagsToSet, toTagList, type TagMap, tagChanges } from '../aws/tags.js';
import { deleteTolerant, ec2, findByIdOrTags, tagSpec, settle } from './ec2-common.js';
import { deleteWhenReleased, interfacesWith } from './lingering.js';
import { defineKind } from './kinds.js';
import { changesOf, type Actual, type ResourceContext, type ResourceKind } from './types.js';

export interface InternetGatewaySpec {
  vpcId: string;
  tags: TagMap;
}

export interface InternetGatewayActual extends Actual {
  attachedVpcId?: string;
  tags: TagMap;
}

function toActual(g: InternetGateway): InternetGatewayActual {
  // The API reports an attached gateway as "available" (typed as an attachment status).
  const att = (g.Attachments ?? []).find((a) => ['available', 'attached', 'attaching'].includes(String(a.State)));
  return { id: g.InternetGatewayId!, state: att ? 'attached' : 'detached', attachedVpcId: att?.VpcId, tags: fromTagList(g.Tags) };
}

/** Network interfaces in the VPC with a public address mapped: what keeps AWS from detaching the gateway. */
async function mappedInterfaces(ctx: ResourceContext, vpcId: string) {
  return (await interfacesWith(ctx, [{ Name: 'vpc-id', Values: [vpcId] }])).filter((n) => n.Association?.PublicIp);
}

/** Attaches the gateway; "already associated" is success when it is attached to this VPC (a retried attach). */
async function attach(ctx: ResourceContext, id: string, vpcId: string): Promise<void> {
  const client = ec2(ctx);
  await writeOrVerify(() => settle(ctx, () => client.send(new EC2.AttachInternetGatewayCommand({ InternetGatewayId: id, VpcId: vpcId }))),
    async () => {
      const g = (await client.send(new EC2.DescribeInternetGatewaysCommand({ InternetGatewayIds: [id] }))).InternetGateways?.[0];
      return g && toActual(g).attachedVpcId === vpcId ? true : undefined;
    });
}

export const internetGatewayKind: ResourceKind<InternetGatewaySpec, InternetGatewayActual, 'internetGatewayId'> = defineKind({
  name: 'ec2:internet-gateway',
  noun: 'internet gateway',
  timing: { createMs: 2_000, deleteMs: 2_000 },

  async find(ctx) {
    const client = ec2(ctx);
    const found = await findByIdOrTags(
      ctx, 'internet gateway',
      async (id) => (await client.send(new EC2.DescribeInternetGatewaysCommand({ InternetGatewayIds: [id] }))).InternetGateways ?? [],
      async (Filters) => (await client.send(new EC2.DescribeInternetGatewaysCommand({ Filters }))).InternetGateways ?? [],
      (g) => g.InternetGatewayId!,
      toActual,
    );
    return found;
  },

  diff(desired, actual) {
    const changes = changesOf(['attachedVpcId', actual.attachedVpcId, desired.vpcId]);
    changes.push(...tagChanges(desired.tags, actual.tags));
    return { changes };
  },

  async create(ctx, desired) {
    const client = ec2(ctx);
    const r = await client.send(new EC2.CreateInternetGatewayCommand({ TagSpecifications: tagSpec('internet-gateway', desired.tags) }));
    const id = r.InternetGateway!.InternetGatewayId!;
    await ctx.recordId(id);
    await attach(ctx, id, desired.vpcId);
    return { id, state: 'attached', attachedVpcId: desired.vpcId, tags: desired.tags };
  },

  async update(ctx, desired, actual) {
    const client = ec2(ctx);
    if (actual.attachedVpcId !== desired.vpcId) {
      const from = actual.attachedVpcId;
      if (from) await deleteOrGone(() => client.send(new EC2.DetachInternetGatewayCommand({ InternetGatewayId: actual.id, VpcId: from })));
      await attach(ctx, actual.id, desired.vpcId);
    }
    const toSet = tagsToSet(desired.tags, actual.tags);
    if (Object.keys(toSet).length) await client.send(new EC2.CreateTagsCommand({ Resources: [actual.id], Tags: toTagList(toSet) }));
    return { ...actual, state: 'attached', attachedVpcId: desired.vpcId, tags: { ...actual.tags, ...toSet } };
  },

  async delete(ctx, actual) {
    const client = ec2(ctx);
    const vpcId = actual.attachedVpcId;
    if (vpcId) {
      await deleteWhenReleased(ctx, `internet gateway ${actual.id} (to detach it from ${vpcId})`,
        () => client.send(new EC2.DetachInternetGatewayCommand({ InternetGatewayId: actual.id, VpcId: vpcId })),
        () => mappedInterfaces(ctx, vpcId));
    }
    await deleteTolerant(ctx, `internet gateway ${actual.id}`, () => client.send(new EC2.DeleteInternetGatewayCommand({ InternetGatewayId: actual.id })));
  },

  outputs: (a) => ({ internetGatewayId: a.id }),
});
