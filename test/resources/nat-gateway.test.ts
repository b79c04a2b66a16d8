import {
  CreateNatGatewayCommand, CreateTagsCommand, DeleteNatGatewayCommand, DescribeNatGatewaysCommand, EC2Client, type NatGateway,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { stackTags, TAG_STACK, TAG_STEP, toTagList } from '../../src/aws/tags.js';
import { WpdeployError } from '../../src/errors.js';
import { natGatewayKind, type NatGatewayActual, type NatGatewaySpec } from '../../src/resources/nat-gateway.js';
import { UNKNOWN } from '../../src/resources/types.js';
import { awsError } from './data-context.js';
import { ec2Context, type Ec2CtxOver } from './ec2-context.js';

const ec2 = mockClient(EC2Client);


let aws: AwsClients;
let log: string[];

const TOKEN = '0123456789abcdef0123456789abcdef'; // 32 hex characters, like the deployer's

const context = (over: Ec2CtxOver = {}) => ec2Context(aws, 'nat-a', { token: TOKEN, log }, over);

const ownTags = stackTags({ stack: 'blog', step: 'nat-a', role: 'nat-a' });
const nat = (id: string, State: NatGateway['State'], over: Partial<NatGateway> = {}): NatGateway => ({
  NatGatewayId: id,
  State,
  SubnetId: 'subnet-pub-a',
  VpcId: 'vpc-1',
  ConnectivityType: 'public',
  NatGatewayAddresses: [{ AllocationId: 'eipalloc-a', PublicIp: '203.0.113.10' }],
  Tags: toTagList(ownTags),
  ...over,
});
const desired: NatGatewaySpec = { subnetId: 'subnet-pub-a', allocationId: 'eipalloc-a', tags: ownTags };
const actual: NatGatewayActual = { id: 'nat-1', state: 'available', subnetId: 'subnet-pub-a', allocationId: 'eipalloc-a', tags: ownTags };

/**
 * A small NAT gateway service: each created NAT goes through the given states, one per describe
 * (the last one stays); DeleteNatGateway makes it `deleting` for one describe, then `deleted`.
 */
function natService(lifecycles: Array<{ id: string; states: Array<NatGateway['State'] | 'invisible'>; failure?: string }>) {
  const created: string[] = [];
  const states = new Map<string, Array<NatGateway['State'] | 'invisible'>>();
  const failures = new Map<string, string | undefined>();
  ec2.on(CreateNatGatewayCommand).callsFake(async () => {
    const next = lifecycles[created.length];
    if (!next) throw new Error('more CreateNatGateway calls than the test expects');
    created.push(next.id);
    states.set(next.id, [...next.states]);
    failures.set(next.id, next.failure);
    log.push(`CreateNatGateway:${next.id}`);
    return { NatGateway: nat(next.id, 'pending') };
  });
  ec2.on(DescribeNatGatewaysCommand).callsFake(async (input: { NatGatewayIds?: string[] }) => {
    const id = input.NatGatewayIds![0]!;
    log.push(`DescribeNatGateways:${id}`);
    const list = states.get(id)!;
    const state = list.length > 1 ? list.shift()! : list[0]!;
    if (state === 'invisible') throw awsError('NatGatewayNotFound');
    const failed = state === 'failed' ? { FailureCode: 'Gateway.NotAttached', FailureMessage: failures.get(id) } : {};
    return { NatGateways: [nat(id, state, failed)] };
  });
  ec2.on(DeleteNatGatewayCommand).callsFake(async (input: { NatGatewayId: string }) => {
    log.push(`DeleteNatGateway:${input.NatGatewayId}`);
    states.set(input.NatGatewayId, ['deleting', 'deleted']);
    return { NatGatewayId: input.NatGatewayId };
  });
  return { created };
}

beforeEach(() => {
  ec2.reset();
  aws = new AwsClients({ region: 'us-east-1', local: true });
  log = [];
});
afterEach(() => aws.destroy());

describe('nat gateway find', () => {
  it('finds the NAT gateway by its recorded id, with its subnet and address', async () => {
    ec2.on(DescribeNatGatewaysCommand, { NatGatewayIds: ['nat-rec'] }).resolves({ NatGateways: [nat('nat-rec', 'available')] });
    expect(await natGatewayKind.find(context({ recordedId: 'nat-rec' }))).toEqual({
      id: 'nat-rec', state: 'available', subnetId: 'subnet-pub-a', allocationId: 'eipalloc-a', failure: undefined, tags: ownTags,
    });
  });

  it.each<[string, NatGateway['State']]>([['deleting', 'deleting'], ['deleted', 'deleted']])(
    'a recorded NAT gateway that is %s does not count: it looks by tag, by `Filter` (the NAT API\'s name for Filters)', async (_what, state) => {
      ec2.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [nat('nat-tag', 'available')] });
      ec2.on(DescribeNatGatewaysCommand, { NatGatewayIds: ['nat-rec'] }).resolves({ NatGateways: [nat('nat-rec', state)] });
      expect((await natGatewayKind.find(context({ recordedId: 'nat-rec' })))?.id).toBe('nat-tag');
      expect(ec2.commandCalls(DescribeNatGatewaysCommand)[1]!.args[0].input.Filter).toEqual([
        { Name: `tag:${TAG_STACK}`, Values: ['blog'] },
        { Name: `tag:${TAG_STEP}`, Values: ['nat-a'] },
      ]);
    });

  it('by tag, ignores the deleting and deleted NAT gateways of earlier runs', async () => {
    ec2.on(DescribeNatGatewaysCommand).resolves({
      NatGateways: [nat('nat-old1', 'deleted'), nat('nat-old2', 'deleting'), nat('nat-live', 'pending')],
    });
    const ctx = context();
    expect((await natGatewayKind.find(ctx))?.id).toBe('nat-live');
    expect(ctx.warn).not.toHaveBeenCalled(); // the dead ones are not "several matches"
  });

  it.each([
    ['only deleted ones carry the tags', () => ec2.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [nat('nat-old', 'deleted')] })],
    ['nothing carries the tags', () => ec2.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [] })],
  ])('returns undefined when %s', async (_what, arrange) => {
    arrange();
    expect(await natGatewayKind.find(context())).toBeUndefined();
  });

  it('a failed NAT gateway is found, with the reason AWS gives', async () => {
    ec2.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [nat('nat-f', 'failed', { FailureCode: 'InsufficientFreeAddressesInSubnet', FailureMessage: 'Subnet has insufficient free addresses' })] });
    expect(await natGatewayKind.find(context())).toMatchObject({ id: 'nat-f', state: 'failed', failure: 'Subnet has insufficient free addresses' });
  });
});

describe('nat gateway create', () => {
  it('passes the idempotency token and the tags in the create call, records the id before waiting, waits until available', async () => {
    natService([{ id: 'nat-new', states: ['invisible', 'pending', 'available'] }]);
    const ctx = context();
    const created = await natGatewayKind.create(ctx, desired);
    expect(ec2.commandCalls(CreateNatGatewayCommand).map((c) => c.args[0].input)).toEqual([{
      SubnetId: 'subnet-pub-a', AllocationId: 'eipalloc-a', ConnectivityType: 'public', ClientToken: TOKEN,
      TagSpecifications: [{ ResourceType: 'natgateway', Tags: toTagList(ownTags) }],
    }]);
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);
    expect(log.slice(0, 3)).toEqual(['CreateNatGateway:nat-new', 'recordId:nat-new', 'DescribeNatGateways:nat-new']);
    expect(ec2.commandCalls(DescribeNatGatewaysCommand)).toHaveLength(3);
    expect(ctx.progress).toHaveBeenCalled();
    expect(ctx.warn).not.toHaveBeenCalled();
    expect(created).toMatchObject({ id: 'nat-new', state: 'available', subnetId: 'subnet-pub-a', allocationId: 'eipalloc-a' });
  });

  it('a NAT gateway that ends failed is deleted, waited for until deleted, and created once more with another token; the warning says why', async () => {
    natService([
      { id: 'nat-1st', states: ['pending', 'failed'], failure: 'Network vpc-1 has no Internet gateway attached' },
      { id: 'nat-2nd', states: ['pending', 'available'] },
    ]);
    const ctx = context();
    const created = await natGatewayKind.create(ctx, desired);
    expect(created).toMatchObject({ id: 'nat-2nd', state: 'available' });

    expect(ctx.warn).toHaveBeenCalledTimes(1);
    expect(ctx.warn.mock.calls[0]![0]).toContain('nat-1st');
    expect(ctx.warn.mock.calls[0]![0]).toContain('Network vpc-1 has no Internet gateway attached');

    const tokens = ec2.commandCalls(CreateNatGatewayCommand).map((c) => c.args[0].input.ClientToken!);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).toBe(TOKEN);
    expect(tokens[1]).not.toBe(tokens[0]);
    expect(tokens[1]!.length).toBeLessThanOrEqual(64); // the API's limit
    expect(ec2.commandCalls(CreateNatGatewayCommand)[1]!.args[0].input).toMatchObject({ SubnetId: 'subnet-pub-a', AllocationId: 'eipalloc-a' });

    expect(ec2.commandCalls(DeleteNatGatewayCommand).map((c) => c.args[0].input)).toEqual([{ NatGatewayId: 'nat-1st' }]);
    // the second create starts only once the failed one is deleted
    expect(log).toEqual([
      'CreateNatGateway:nat-1st', 'recordId:nat-1st', 'DescribeNatGateways:nat-1st', 'DescribeNatGateways:nat-1st',
      'DeleteNatGateway:nat-1st', 'DescribeNatGateways:nat-1st', 'DescribeNatGateways:nat-1st',
      'CreateNatGateway:nat-2nd', 'recordId:nat-2nd', 'DescribeNatGateways:nat-2nd', 'DescribeNatGateways:nat-2nd',
    ]);
    expect(ctx.recordId.mock.calls.map((c) => c[0])).toEqual(['nat-1st', 'nat-2nd']);
  });

  it('failing twice gives up with the reason and a hint, after one retry only', async () => {
    natService([
      { id: 'nat-1st', states: ['failed'], failure: 'Elastic IP address eipalloc-a could not be associated' },
      { id: 'nat-2nd', states: ['pending', 'failed'], failure: 'Elastic IP address eipalloc-a could not be associated' },
    ]);
    const ctx = context();
    const err = await natGatewayKind.create(ctx, desired).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    const e = err as WpdeployError;
    expect(e.message).toContain('nat-2nd');
    expect(e.message).toContain('failed twice');
    expect(e.message).toContain('Elastic IP address eipalloc-a could not be associated');
    expect(e.hint).toContain('wpdeploy up');
    expect(ec2.commandCalls(CreateNatGatewayCommand)).toHaveLength(2);
  });

  it('the reason falls back to the failure code when AWS gives no message', async () => {
    natService([{ id: 'nat-1st', states: ['failed'] }, { id: 'nat-2nd', states: ['failed'] }]);
    const ctx = context();
    await expect(natGatewayKind.create(ctx, desired)).rejects.toThrow(/Gateway\.NotAttached/);
    expect(ctx.warn.mock.calls[0]![0]).toContain('Gateway.NotAttached');
  });

  it('a create refused by AWS records nothing', async () => {
    ec2.on(CreateNatGatewayCommand).rejects(awsError('InvalidElasticIpID.Malformed'));
    const ctx = context();
    await expect(natGatewayKind.create(ctx, desired)).rejects.toMatchObject({ name: 'InvalidElasticIpID.Malformed' });
    expect(ctx.recordId).not.toHaveBeenCalled();
  });
});

describe('nat gateway diff', () => {
  it('nothing differs', () => {
    expect(natGatewayKind.diff(desired, actual)).toEqual({ changes: [] });
  });

  it('a failed NAT gateway asks for replacement, with the reason', () => {
    const d = natGatewayKind.diff(desired, { ...actual, state: 'failed', failure: 'Subnet has insufficient free addresses' });
    expect(d.replace).toContain('Subnet has insufficient free addresses');
    expect(d.changes).toEqual([{ field: 'state', from: 'failed', to: 'available' }]);
    expect(natGatewayKind.onReplace).toBe('recreate');
  });

  it.each<[string, Partial<NatGatewaySpec>]>([
    ['subnetId', { subnetId: 'subnet-pub-b' }],
    ['allocationId', { allocationId: 'eipalloc-b' }],
  ])('a new %s means replacement', (field, d) => {
    const diff = natGatewayKind.diff({ ...desired, ...d }, actual);
    expect(diff.changes.map((c) => c.field)).toEqual([field]);
    expect(diff.replace).toBeTruthy();
  });

  it('values not known yet (an address being replaced) are no difference', () => {
    expect(natGatewayKind.diff({ ...desired, allocationId: UNKNOWN }, actual)).toEqual({ changes: [] });
  });

  it('a missing tag is set in place, with only that tag', async () => {
    ec2.on(CreateTagsCommand).resolves({});
    const want = { ...desired, tags: { ...ownTags, team: 'web' } };
    const diff = natGatewayKind.diff(want, actual);
    expect(diff).toEqual({ changes: [{ field: 'tags.team', from: undefined, to: 'web' }] });
    await natGatewayKind.update!(context(), want, actual, diff);
    expect(ec2.commandCalls(CreateTagsCommand).map((c) => c.args[0].input)).toEqual([{ Resources: ['nat-1'], Tags: [{ Key: 'team', Value: 'web' }] }]);
  });
});

describe('nat gateway delete', () => {
  it('deletes it and waits until it is deleted (not just deleting), so its address can be released', async () => {
    ec2.on(DeleteNatGatewayCommand).callsFake(async () => { log.push('DeleteNatGateway'); return { NatGatewayId: 'nat-1' }; });
    const states: Array<NatGateway['State']> = ['deleting', 'deleting', 'deleted'];
    ec2.on(DescribeNatGatewaysCommand).callsFake(async () => { const s = states.shift()!; log.push(s); return { NatGateways: [nat('nat-1', s)] }; });
    const ctx = context();
    await natGatewayKind.delete(ctx, actual);
    expect(ec2.commandCalls(DeleteNatGatewayCommand).map((c) => c.args[0].input)).toEqual([{ NatGatewayId: 'nat-1' }]);
    expect(log).toEqual(['DeleteNatGateway', 'deleting', 'deleting', 'deleted']);
    expect(ctx.progress).toHaveBeenCalledTimes(2);
  });

  it('a NAT gateway that disappears from describe while deleting is gone', async () => {
    ec2.on(DeleteNatGatewayCommand).resolves({ NatGatewayId: 'nat-1' });
    ec2.on(DescribeNatGatewaysCommand).resolvesOnce({ NatGateways: [nat('nat-1', 'deleting')] }).rejects(awsError('NatGatewayNotFound'));
    await expect(natGatewayKind.delete(context(), actual)).resolves.toBeUndefined();
    expect(ec2.commandCalls(DescribeNatGatewaysCommand)).toHaveLength(2);
  });

  it.each(['NatGatewayNotFound', 'InvalidNatGatewayID.NotFound'])('already gone (%s) is success, without waiting', async (name) => {
    ec2.on(DeleteNatGatewayCommand).rejects(awsError(name));
    await expect(natGatewayKind.delete(context(), actual)).resolves.toBeUndefined();
    expect(ec2.commandCalls(DescribeNatGatewaysCommand)).toHaveLength(0);
  });

  it('does not swallow another error', async () => {
    ec2.on(DeleteNatGatewayCommand).rejects(awsError('UnauthorizedOperation', 403));
    await expect(natGatewayKind.delete(context(), actual)).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
  });
});

describe('nat gateway outputs', () => {
  it('the id and its subnet', () => {
    expect(natGatewayKind.outputs(actual)).toEqual({ natGatewayId: 'nat-1', subnetId: 'subnet-pub-a' });
  });
});
