/**
 * A NAT gateway in a public subnet, with its Elastic IP. `up` waits until it is available (about
 * 2 minutes on AWS). One that ends in `failed` is deleted and created again, once, and the reason AWS
 * gives is shown. Teardown deletes it and waits until `deleted`, so that its address can be released
 * and the internet gateway detached.
 */
import type { NatGateway } from '@aws-sdk/client-ec2';
import { EC2 } from '../aws/sdk.js';
import { fromTagList, type TagMap, tagChanges } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { describeOne, NAT_GATEWAYS, waitForId } from './ec2-api.js';
import { diffFixed, ec2, ec2Tagged, tagSpec } from './ec2-common.js';
import { defineKind } from './kinds.js';
import { changesOf, type Actual, type ResourceContext, type ResourceKind } from './types.js';
import { deleteAndWait } from './waits.js';

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

async function createOnce(ctx: ResourceContext, desired: NatGatewaySpec, token: string): Promise<NatGatewayActual> {
  const r = await ec2(ctx).send(new EC2.CreateNatGatewayCommand({
    SubnetId: desired.subnetId, AllocationId: desired.allocationId, ConnectivityType: 'public',
    ClientToken: token, TagSpecifications: tagSpec('natgateway', desired.tags),
  }));
  const id = r.NatGateway!.NatGatewayId!;
  await ctx.recordId(id);
  const n = await waitForId(ctx, NAT_GATEWAYS, id, {
    what: `nat gateway ${id} to be available`, expectedMs: CREATE_MS, minIntervalMs: 1_000,
    done: (v) => v?.State === 'available' || v?.State === 'failed',
    progress: (v) => `${id} is ${v?.State ?? 'not visible yet'}`,
  });
  return toActual(n!);
}

async function deleteNat(ctx: ResourceContext, id: string): Promise<void> {
  await deleteAndWait(ctx, () => ec2(ctx).send(new EC2.DeleteNatGatewayCommand({ NatGatewayId: id })), {
    what: `nat gateway ${id} to be deleted`, expectedMs: DELETE_MS, minIntervalMs: 1_000,
    check: () => describeOne(ctx, NAT_GATEWAYS, id),
    done: (v) => !v || v.State === 'deleted',
    progress: (v) => `${id} is ${v?.State}`,
  });
}

export const natGatewayKind: ResourceKind<NatGatewaySpec, NatGatewayActual, 'natGatewayId' | 'subnetId'> = defineKind({
  name: 'ec2:nat-gateway',
  // One being deleted is as good as gone.
  ...ec2Tagged(NAT_GATEWAYS, toActual, (n) => !GONE.has(n.State ?? '')),
  timing: { createMs: CREATE_MS, deleteMs: DELETE_MS },
  onReplace: 'recreate',

  diff(desired, actual) {
    if (actual.state === 'failed') return { changes: [{ field: 'state', from: 'failed', to: 'available' }], replace: `it failed: ${actual.failure ?? 'no reason given'}` };
    return diffFixed(changesOf(['subnetId', actual.subnetId, desired.subnetId], ['allocationId', actual.allocationId, desired.allocationId]),
      tagChanges(desired.tags, actual.tags), () => 'a NAT gateway\'s subnet and address cannot change');
  },

  async create(ctx, desired) {
    let nat = await createOnce(ctx, desired, ctx.clientToken());
    if (nat.state === 'failed') {
      ctx.warn(`nat gateway ${nat.id} failed (${nat.failure ?? 'no reason given'}); deleting it and trying once more.`);
      await deleteNat(ctx, nat.id);
      nat = await createOnce(ctx, desired, `${ctx.clientToken().slice(0, 28)}try2`);
      if (nat.state === 'failed') {
        throw new WpdeployError(`nat gateway ${nat.id} failed twice: ${nat.failure ?? 'no reason given'}.`, {
          hint: 'Check the Elastic IP quota and the subnet (AWS gives the reason above), then run `wpdeploy up` again.',
        });
      }
    }
    return nat;
  },

  delete: (ctx, actual) => deleteNat(ctx, actual.id),

  outputs: (a) => ({ natGatewayId: a.id, subnetId: a.subnetId }),
});
