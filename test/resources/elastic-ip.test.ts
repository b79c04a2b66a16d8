import { AllocateAddressCommand, CreateTagsCommand, EC2Client, ReleaseAddressCommand, type Address } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { stackTags, toTagList } from '../../src/aws/tags.js';
import { WpdeployError } from '../../src/errors.js';
import { elasticIpKind, type ElasticIpActual } from '../../src/resources/elastic-ip.js';
import { awsError } from './data-context.js';
import { ADDRESSES } from '../../src/resources/ec2-api.js';
import { ec2Context, type Ec2CtxOver, holding } from './ec2-context.js';

const ec2 = mockClient(EC2Client);


let aws: AwsClients;
let log: string[];

const context = (over: Ec2CtxOver = {}) => ec2Context(aws, 'eip-nat-a', { role: 'nat-a', log }, over);

const ownTags = stackTags({ stack: 'blog', step: 'eip-nat-a', role: 'nat-a' });
const NOT_FOUND = 'InvalidAllocationID.NotFound';
const address = (id: string, over: Partial<Address> = {}): Address => ({
  AllocationId: id, PublicIp: '203.0.113.10', Domain: 'vpc', Tags: toTagList(ownTags), ...over,
});
const actual: ElasticIpActual = { id: 'eipalloc-1', publicIp: '203.0.113.10', state: 'unassociated', tags: ownTags };
const held: ElasticIpActual = { ...actual, state: 'associated', associationId: 'eipassoc-1' };

beforeEach(() => {
  ec2.reset();
  aws = new AwsClients({ region: 'us-east-1', local: true });
  log = [];
});
afterEach(() => aws.destroy());

describe('elastic ip find', () => {
  it.each<[string, Partial<Address>, Partial<ElasticIpActual>]>([
    ['unassociated', {}, { state: 'unassociated', associationId: undefined }],
    ['associated with a NAT gateway', { AssociationId: 'eipassoc-1', NetworkInterfaceId: 'eni-nat' }, { state: 'associated', associationId: 'eipassoc-1' }],
    ['on a network interface without an association id', { NetworkInterfaceId: 'eni-nat' }, { state: 'associated' }],
  ])('by recorded id: %s', async (_what, over, expected) => {
    holding(ADDRESSES, [address('eipalloc-rec', over)], NOT_FOUND);
    const found = await elasticIpKind.find(context({ recordedId: 'eipalloc-rec' }));
    expect(found).toMatchObject({ id: 'eipalloc-rec', publicIp: '203.0.113.10', tags: ownTags, ...expected });
  });

  it('a recorded id that is gone falls back to the stack and step tags', async () => {
    holding(ADDRESSES, [address('eipalloc-b', { Tags: toTagList(stackTags({ stack: 'blog', step: 'eip-nat-b', role: 'nat-b' })) }), address('eipalloc-tag')], NOT_FOUND);
    expect((await elasticIpKind.find(context({ recordedId: 'eipalloc-gone' })))?.id).toBe('eipalloc-tag');
  });

  it('returns undefined when none exists', async () => {
    holding(ADDRESSES, [], NOT_FOUND);
    expect(await elasticIpKind.find(context())).toBeUndefined();
  });
});

describe('elastic ip create', () => {
  it('allocates a VPC address tagged in the same call and records its allocation id', async () => {
    ec2.on(AllocateAddressCommand).resolves({ AllocationId: 'eipalloc-new', PublicIp: '203.0.113.20', Domain: 'vpc' });
    const ctx = context();
    const created = await elasticIpKind.create(ctx, { tags: ownTags });
    expect(ec2.commandCalls(AllocateAddressCommand).map((c) => c.args[0].input)).toEqual([
      { Domain: 'vpc', TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: toTagList(ownTags) }] },
    ]);
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);
    expect(ctx.recordId).toHaveBeenCalledWith('eipalloc-new');
    expect(created).toEqual({ id: 'eipalloc-new', publicIp: '203.0.113.20', state: 'unassociated', tags: ownTags });
  });

  it('an address limit reached is raised and nothing recorded', async () => {
    ec2.on(AllocateAddressCommand).rejects(awsError('AddressLimitExceeded'));
    const ctx = context();
    await expect(elasticIpKind.create(ctx, { tags: ownTags })).rejects.toMatchObject({ name: 'AddressLimitExceeded' });
    expect(ctx.recordId).not.toHaveBeenCalled();
  });
});

describe('elastic ip diff and update', () => {
  it('nothing differs; tags set by others are left alone', () => {
    expect(elasticIpKind.diff({ tags: ownTags }, { ...actual, tags: { ...ownTags, other: 'x' } })).toEqual({ changes: [] });
  });

  it('a missing tag is set in place with only that tag', async () => {
    ec2.on(CreateTagsCommand).resolves({});
    const want = { tags: { ...ownTags, team: 'web' } };
    const diff = elasticIpKind.diff(want, actual);
    expect(diff).toEqual({ changes: [{ field: 'tags.team', from: undefined, to: 'web' }] });
    const updated = await elasticIpKind.update!(context(), want, actual, diff);
    expect(ec2.commandCalls(CreateTagsCommand).map((c) => c.args[0].input)).toEqual([{ Resources: ['eipalloc-1'], Tags: [{ Key: 'team', Value: 'web' }] }]);
    expect(updated.tags.team).toBe('web');
  });
});

describe('elastic ip delete', () => {
  it.each([
    ['releases the address', () => ec2.on(ReleaseAddressCommand).resolves({}), 1, 0],
    ['an address already released is success', () => ec2.on(ReleaseAddressCommand).rejects(awsError('InvalidAllocationID.NotFound')), 1, 0],
    ['retries while its NAT gateway still holds it (InvalidIPAddress.InUse), then releases',
      () => ec2.on(ReleaseAddressCommand).rejectsOnce(awsError('InvalidIPAddress.InUse')).rejectsOnce(awsError('InvalidIPAddress.InUse')).resolves({}), 3, 2],
    ['retries AuthFailure.AddressInUse the same way',
      () => ec2.on(ReleaseAddressCommand).rejectsOnce(awsError('AuthFailure.AddressInUse')).resolves({}), 2, 1],
    ['released by someone else while it waited is success',
      () => ec2.on(ReleaseAddressCommand).rejectsOnce(awsError('InvalidIPAddress.InUse')).rejects(awsError('InvalidAllocationID.NotFound')), 2, 1],
  ])('%s', async (_what, arrange, attempts, progress) => {
    arrange();
    const ctx = context();
    await expect(elasticIpKind.delete(ctx, held)).resolves.toBeUndefined();
    const calls = ec2.commandCalls(ReleaseAddressCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(attempts);
    expect(calls.every((i) => i.AllocationId === 'eipalloc-1')).toBe(true);
    expect(ctx.progress).toHaveBeenCalledTimes(progress);
    if (progress) expect(ctx.progress.mock.calls[0]![0]).toContain('203.0.113.10');
  });

  it('an address that stays in use gives up, naming the address, its allocation and its association', async () => {
    ec2.on(ReleaseAddressCommand).rejects(awsError('InvalidIPAddress.InUse'));
    const err = await elasticIpKind.delete(context(), held).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    const e = err as WpdeployError;
    expect(e.message).toContain('203.0.113.10');
    expect(e.message).toContain('eipalloc-1');
    expect(e.message).toContain('eipassoc-1');
    expect(e.hint).toContain('NAT gateway');
    expect((e.cause as Error).name).toBe('InvalidIPAddress.InUse');
    const attempts = ec2.commandCalls(ReleaseAddressCommand).length;
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThanOrEqual(10);
  });

  it('does not retry or swallow another error', async () => {
    ec2.on(ReleaseAddressCommand).rejects(awsError('UnauthorizedOperation', 403));
    await expect(elasticIpKind.delete(context(), actual)).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    expect(ec2.commandCalls(ReleaseAddressCommand)).toHaveLength(1);
  });
});

describe('elastic ip outputs', () => {
  it('the allocation id and the public address', () => {
    expect(elasticIpKind.outputs(actual)).toEqual({ allocationId: 'eipalloc-1', publicIp: '203.0.113.10' });
  });
});
