/**
 * An Elastic IP for a NAT gateway. Releasing it waits while a NAT gateway being deleted still holds
 * it (deleting a NAT gateway does not release its address).
 */
import type { Address } from '@aws-sdk/client-ec2';
import { EC2 } from '../aws/sdk.js';
import { isDependencyViolation, isNotFound } from '../aws/errors.js';
import { retrying } from '../aws/poll.js';
import { fromTagList, tagsToSet, toTagList, type TagMap, tagChanges } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { ec2, findByIdOrTags, tagSpec } from './ec2-common.js';
import { defineKind } from './kinds.js';
import type { Actual, ResourceKind } from './types.js';

export interface ElasticIpSpec {
  tags: TagMap;
}

export interface ElasticIpActual extends Actual {
  publicIp: string;
  associationId?: string;
  tags: TagMap;
}

function toActual(a: Address): ElasticIpActual {
  return {
    id: a.AllocationId!, publicIp: a.PublicIp ?? '', associationId: a.AssociationId,
    state: a.AssociationId || a.NetworkInterfaceId ? 'associated' : 'unassociated', tags: fromTagList(a.Tags),
  };
}

export const elasticIpKind: ResourceKind<ElasticIpSpec, ElasticIpActual, 'allocationId' | 'publicIp'> = defineKind({
  name: 'ec2:elastic-ip',
  noun: 'elastic ip',
  timing: { createMs: 1_000, deleteMs: 1_000 },

  async find(ctx) {
    const client = ec2(ctx);
    const found = await findByIdOrTags(
      ctx, 'elastic ip',
      async (id) => (await client.send(new EC2.DescribeAddressesCommand({ AllocationIds: [id] }))).Addresses ?? [],
      async (Filters) => (await client.send(new EC2.DescribeAddressesCommand({ Filters }))).Addresses ?? [],
      (a) => a.AllocationId!,
      toActual,
    );
    return found;
  },

  diff(desired, actual) {
    return { changes: tagChanges(desired.tags, actual.tags) };
  },

  async create(ctx, desired) {
    const r = await ec2(ctx).send(new EC2.AllocateAddressCommand({ Domain: 'vpc', TagSpecifications: tagSpec('elastic-ip', desired.tags) }));
    await ctx.recordId(r.AllocationId!);
    return { id: r.AllocationId!, publicIp: r.PublicIp ?? '', state: 'unassociated', tags: desired.tags };
  },

  async update(ctx, desired, actual) {
    const toSet = tagsToSet(desired.tags, actual.tags);
    await ec2(ctx).send(new EC2.CreateTagsCommand({ Resources: [actual.id], Tags: toTagList(toSet) }));
    return { ...actual, tags: { ...actual.tags, ...toSet } };
  },

  async delete(ctx, actual) {
    try {
      await retrying(() => ec2(ctx).send(new EC2.ReleaseAddressCommand({ AllocationId: actual.id })), {
        retryable: (err) => isDependencyViolation(err),
        attempts: 7, baseMs: 2_000, scale: ctx.scale,
        onRetry: () => ctx.progress(`${actual.publicIp} is still associated; waiting for its NAT gateway to go`),
      });
    } catch (err) {
      if (isNotFound(err)) return;
      if (isDependencyViolation(err)) {
        throw new WpdeployError(`elastic ip ${actual.publicIp} (${actual.id}) is still associated${actual.associationId ? ` (${actual.associationId})` : ''}.`, {
          hint: 'Delete what uses it (a NAT gateway or an instance) and run `wpdeploy down` again.', cause: err,
        });
      }
      throw err;
    }
  },

  outputs: (a) => ({ allocationId: a.id, publicIp: a.publicIp }),
});
