/**
 * A NAT gateway in a public subnet, with its Elastic IP. `up` waits until it is available (about
 * 2 minutes on AWS). One that ends in `failed` is deleted and created again, once, and the reason AWS
 * gives is shown. Teardown deletes it and waits until `deleted`, so that its address can be released
 * and the internet gateway detached.
 */
import type { NatGateway } from '@aws-sdk/client-ec2';
import { EC2 } from '../aws/sdk.js';
import { isNotFound } from '../aws/errors.js';
import { waitFor } from '../aws/poll.js';
import { fromTagList, tagsToSet, toTagList, type TagMap, tagChanges } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { ec2, findByIdOrTags, tagSpec } from './ec2-common.js';
import { defineKind } from './kinds.js';
import { changesOf, type Actual, type ResourceContext, type ResourceKind } from './types.js';

export interface NatGatewaySpec {
  subnetId: string;
  allocationId: string;
  tags: TagMap;
}

export interface NatGatewayActual extends Actual {
  subnetId: string;
  allocationId: string;
  failure?: string;
  tags: TagMap;
}

const GONE = new Set(['deleting', 'deleted']);
const CREATE_MS = 120_000;
const DELETE_MS = 60_000;

function toActual(n: NatGateway): NatGatewayActual {
  const address = n.NatGatewayAddresses?.[0];
  return {
    id: n.NatGatewayId!, state: n.State, subnetId: n.SubnetId ?? '', allocationId: address?.AllocationId ?? '',
    failure: n.FailureMessage ?? n.FailureCode, tags: fromTagList(n.Tags),
  };
}

async function describe(ctx: ResourceContext, id: string): Promise<NatGateway | undefined> {
  try {
    return (await ec2(ctx).send(new EC2.DescribeNatGatewaysCommand({ NatGatewayIds: [id] }))).NatGateways?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined; // right after create, or long gone
    throw err;
  }
}

async function createOnce(ctx: ResourceContext, desired: NatGatewaySpec, token: string): Promise<NatGatewayActual> {
  const client = ec2(ctx);
  const r = await client.send(new EC2.CreateNatGatewayCommand({
    SubnetId: desired.subnetId, AllocationId: desired.allocationId, ConnectivityType: 'public',
    ClientToken: token, TagSpecifications: tagSpec('natgateway', desired.tags),
  }));
  const id = r.NatGateway!.NatGatewayId!;
  await ctx.recordId(id);
  const n = await waitFor({
    what: `nat gateway ${id} to be available`, expectedMs: CREATE_MS, minIntervalMs: 1_000, scale: ctx.scale, signal: ctx.signal,
    check: () => describe(ctx, id),
    done: (v) => v?.State === 'available' || v?.State === 'failed',
    onProgress: (v) => ctx.progress(`${id} is ${v?.State ?? 'not visible yet'}`),
  });
  return toActual(n!);
}

async function deleteAndWait(ctx: ResourceContext, id: string): Promise<void> {
  try {
    await ec2(ctx).send(new EC2.DeleteNatGatewayCommand({ NatGatewayId: id }));
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  await waitFor({
    what: `nat gateway ${id} to be deleted`, expectedMs: DELETE_MS, minIntervalMs: 1_000, scale: ctx.scale, signal: ctx.signal,
    check: () => describe(ctx, id),
    done: (v) => !v || v.State === 'deleted',
    onProgress: (v) => ctx.progress(`${id} is ${v?.State}`),
  });
}

export const natGatewayKind: ResourceKind<NatGatewaySpec, NatGatewayActual, 'natGatewayId' | 'subnetId'> = defineKind({
  name: 'ec2:nat-gateway',
  noun: 'nat gateway',
  timing: { createMs: CREATE_MS, deleteMs: DELETE_MS },
  onReplace: 'recreate',

  async find(ctx) {
    const client = ec2(ctx);
    const live = (list: NatGateway[] | undefined) => (list ?? []).filter((n) => !GONE.has(n.State ?? ''));
    const found = await findByIdOrTags(
      ctx, 'nat gateway',
      async (id) => live((await client.send(new EC2.DescribeNatGatewaysCommand({ NatGatewayIds: [id] }))).NatGateways),
      async (Filter) => live((await client.send(new EC2.DescribeNatGatewaysCommand({ Filter }))).NatGateways),
      (n) => n.NatGatewayId!,
      toActual,
    );
    return found;
  },

  diff(desired, actual) {
    const changes = changesOf(['subnetId', actual.subnetId, desired.subnetId], ['allocationId', actual.allocationId, desired.allocationId]);
    const tags = tagChanges(desired.tags, actual.tags);
    if (actual.state === 'failed') return { changes: [{ field: 'state', from: 'failed', to: 'available' }], replace: `it failed: ${actual.failure ?? 'no reason given'}` };
    if (changes.length) return { changes: [...changes, ...tags], replace: 'a NAT gateway\'s subnet and address cannot change' };
    return { changes: tags };
  },

  async create(ctx, desired) {
    let nat = await createOnce(ctx, desired, ctx.clientToken());
    if (nat.state === 'failed') {
      ctx.warn(`nat gateway ${nat.id} failed (${nat.failure ?? 'no reason given'}); deleting it and trying once more.`);
      await deleteAndWait(ctx, nat.id);
      nat = await createOnce(ctx, desired, `${ctx.clientToken().slice(0, 28)}try2`);
      if (nat.state === 'failed') {
        throw new WpdeployError(`nat gateway ${nat.id} failed twice: ${nat.failure ?? 'no reason given'}.`, {
          hint: 'Check the Elastic IP quota and the subnet (AWS gives the reason above), then run `wpdeploy up` again.',
        });
      }
    }
    return nat;
  },

  async update(ctx, desired, actual) {
    const toSet = tagsToSet(desired.tags, actual.tags);
    await ec2(ctx).send(new EC2.CreateTagsCommand({ Resources: [actual.id], Tags: toTagList(toSet) }));
    return { ...actual, tags: { ...actual.tags, ...toSet } };
  },

  delete: (ctx, actual) => deleteAndWait(ctx, actual.id),

  outputs: (a) => ({ natGatewayId: a.id, subnetId: a.subnetId }),
});
