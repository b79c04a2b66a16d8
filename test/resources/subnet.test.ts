import {
  CreateSubnetCommand, CreateTagsCommand, DeleteSubnetCommand, DescribeNetworkInterfacesCommand, DescribeSubnetsCommand, EC2Client, type Subnet,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { stackTags, TAG_STACK, TAG_STEP, toTagList } from '../../src/aws/tags.js';
import { WpdeployError } from '../../src/errors.js';
import { subnetKind, type SubnetActual, type SubnetSpec } from '../../src/resources/subnet.js';
import { UNKNOWN } from '../../src/resources/types.js';
import { awsError } from './data-context.js';
import { ec2Context, type Ec2CtxOver } from './ec2-context.js';

const ec2 = mockClient(EC2Client);

/** Shaped like an AWS SDK v3 service exception. */

let aws: AwsClients;
let log: string[];

const context = (over: Ec2CtxOver = {}) => ec2Context(aws, 'subnet-app-a', { role: 'app-a', log }, over);

const ownTags = stackTags({ stack: 'blog', step: 'subnet-app-a', role: 'app-a' });
const ARN = (id: string) => `arn:aws:ec2:us-east-1:123456789012:subnet/${id}`;

const subnet = (id: string, over: Partial<Subnet> = {}): Subnet => ({
  SubnetId: id,
  SubnetArn: ARN(id),
  VpcId: 'vpc-1',
  CidrBlock: '10.20.32.0/20',
  AvailabilityZone: 'us-east-1a',
  State: 'available',
  Tags: toTagList(ownTags),
  ...over,
});

const desired: SubnetSpec = { vpcId: 'vpc-1', cidr: '10.20.32.0/20', az: 'us-east-1a', tags: ownTags };
const actual: SubnetActual = { id: 'subnet-1', arn: ARN('subnet-1'), state: 'available', vpcId: 'vpc-1', cidr: '10.20.32.0/20', az: 'us-east-1a', tags: ownTags };

beforeEach(() => {
  ec2.reset();
  aws = new AwsClients({ region: 'us-east-1', local: true });
  log = [];
});
afterEach(() => aws.destroy());

describe('subnet find', () => {
  it('finds the subnet by its recorded id, with its VPC, CIDR, zone and tags', async () => {
    ec2.on(DescribeSubnetsCommand, { SubnetIds: ['subnet-rec'] }).resolves({ Subnets: [subnet('subnet-rec')] });
    const found = await subnetKind.find(context({ recordedId: 'subnet-rec' }));
    expect(found).toEqual({
      id: 'subnet-rec', arn: ARN('subnet-rec'), state: 'available', vpcId: 'vpc-1', cidr: '10.20.32.0/20', az: 'us-east-1a', tags: ownTags,
    });
    expect(ec2.commandCalls(DescribeSubnetsCommand)).toHaveLength(1);
  });

  it.each([
    ['the recorded id is not found', () => ec2.on(DescribeSubnetsCommand, { SubnetIds: ['subnet-gone'] }).rejects(awsError('InvalidSubnetID.NotFound'))],
    ['the recorded id returns no subnet', () => ec2.on(DescribeSubnetsCommand, { SubnetIds: ['subnet-gone'] }).resolves({ Subnets: [] })],
  ])('when %s, falls back to the stack and step tags', async (_what, arrange) => {
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [subnet('subnet-tag')] });
    arrange();
    expect((await subnetKind.find(context({ recordedId: 'subnet-gone' })))?.id).toBe('subnet-tag');
    const calls = ec2.commandCalls(DescribeSubnetsCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.Filters).toEqual([
      { Name: `tag:${TAG_STACK}`, Values: ['blog'] },
      { Name: `tag:${TAG_STEP}`, Values: ['subnet-app-a'] },
    ]);
  });

  it('returns undefined, without throwing, when the subnet exists neither by id nor by tag', async () => {
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [] });
    ec2.on(DescribeSubnetsCommand, { SubnetIds: ['subnet-gone'] }).rejects(awsError('InvalidSubnetID.NotFound'));
    expect(await subnetKind.find(context({ recordedId: 'subnet-gone' }))).toBeUndefined();
  });

  it('ignores a subnet of another step that an endpoint returns despite the filter', async () => {
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [subnet('subnet-other', { Tags: toTagList(stackTags({ stack: 'blog', step: 'subnet-app-b', role: 'app-b' })) })] });
    expect(await subnetKind.find(context())).toBeUndefined();
  });

  it('does not hide an error other than not-found', async () => {
    ec2.on(DescribeSubnetsCommand).rejects(awsError('UnauthorizedOperation', 403));
    await expect(subnetKind.find(context({ recordedId: 'subnet-rec' }))).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
  });
});

describe('subnet create', () => {
  it('creates it in the zone with its tags in the same call, records the id before waiting, and waits until available', async () => {
    ec2.on(CreateSubnetCommand).callsFake(async () => {
      log.push('CreateSubnet');
      return { Subnet: subnet('subnet-new', { State: 'pending', Tags: undefined }) };
    });
    let describes = 0;
    ec2.on(DescribeSubnetsCommand).callsFake(async () => {
      log.push('DescribeSubnets');
      describes++;
      if (describes === 1) throw awsError('InvalidSubnetID.NotFound'); // not visible yet
      return { Subnets: [subnet('subnet-new', { State: describes === 2 ? 'pending' : 'available' })] };
    });
    const ctx = context();
    const created = await subnetKind.create(ctx, desired);
    expect(ec2.commandCalls(CreateSubnetCommand).map((c) => c.args[0].input)).toEqual([{
      VpcId: 'vpc-1', CidrBlock: '10.20.32.0/20', AvailabilityZone: 'us-east-1a',
      TagSpecifications: [{ ResourceType: 'subnet', Tags: toTagList(ownTags) }],
    }]);
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);
    expect(log.slice(0, 3)).toEqual(['CreateSubnet', 'recordId:subnet-new', 'DescribeSubnets']);
    expect(ctx.recordId).toHaveBeenCalledWith('subnet-new', ARN('subnet-new'));
    expect(describes).toBe(3);
    expect(created).toMatchObject({ id: 'subnet-new', state: 'available', az: 'us-east-1a', cidr: '10.20.32.0/20', vpcId: 'vpc-1' });
  });

  it('when the zone does not exist, the error is raised and nothing is recorded', async () => {
    ec2.on(CreateSubnetCommand).rejects(awsError('InvalidParameterValue'));
    const ctx = context();
    await expect(subnetKind.create(ctx, desired)).rejects.toMatchObject({ name: 'InvalidParameterValue' });
    expect(ctx.recordId).not.toHaveBeenCalled();
  });

  it('when the CIDR is taken by a subnet that is not this step\'s, the error names it and nothing is recorded', async () => {
    ec2.on(CreateSubnetCommand).rejects(awsError('InvalidSubnet.Conflict'));
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: 'subnet-other', VpcId: 'vpc-1', CidrBlock: desired.cidr, Tags: [] }] });
    const ctx = context();
    await expect(subnetKind.create(ctx, desired)).rejects.toThrow(/already used by subnet subnet-other/);
    expect(ctx.recordId).not.toHaveBeenCalled();
  });

  it('when a retried create meets the subnet its lost first attempt made, it takes that subnet', async () => {
    ec2.on(CreateSubnetCommand).rejects(awsError('InvalidSubnet.Conflict'));
    const mine = { SubnetId: 'subnet-mine', VpcId: 'vpc-1', CidrBlock: desired.cidr, AvailabilityZone: desired.az, State: 'available' as const, Tags: Object.entries(desired.tags).map(([Key, Value]) => ({ Key, Value })) };
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [mine] });
    const ctx = context();
    expect((await subnetKind.create(ctx, desired)).id).toBe('subnet-mine');
    expect(ctx.recordId).toHaveBeenCalledWith('subnet-mine', undefined);
    expect(ctx.warn).toHaveBeenCalledWith(expect.stringContaining('already existed'));
  });
});

describe('subnet diff', () => {
  it('nothing differs; tags set by others are left alone', () => {
    expect(subnetKind.diff(desired, { ...actual, tags: { ...ownTags, other: 'x' } })).toEqual({ changes: [] });
  });

  it('a missing tag is an in-place change', () => {
    expect(subnetKind.diff({ ...desired, tags: { ...ownTags, team: 'web' } }, actual)).toEqual({ changes: [{ field: 'tags.team', from: undefined, to: 'web' }] });
  });

  it.each<[string, Partial<SubnetSpec>, unknown, unknown]>([
    ['cidr', { cidr: '10.20.48.0/20' }, '10.20.32.0/20', '10.20.48.0/20'],
    ['az', { az: 'us-east-1b' }, 'us-east-1a', 'us-east-1b'],
    ['vpcId', { vpcId: 'vpc-2' }, 'vpc-1', 'vpc-2'],
  ])('a new %s means replacement, which says what changed', (field, d, from, to) => {
    const diff = subnetKind.diff({ ...desired, ...d }, actual);
    expect(diff.changes).toEqual([{ field, from, to }]);
    expect(diff.replace).toContain(field);
    expect(subnetKind.onReplace).toBe('refuse');
  });

  it('a VPC id not known yet is no difference', () => {
    expect(subnetKind.diff({ ...desired, vpcId: UNKNOWN }, actual)).toEqual({ changes: [] });
  });
});

describe('subnet update', () => {
  it('sends only the tags that differ', async () => {
    ec2.on(CreateTagsCommand).resolves({});
    const want = { ...desired, tags: { ...ownTags, team: 'web' } };
    const updated = await subnetKind.update!(context(), want, actual, subnetKind.diff(want, actual));
    expect(ec2.commandCalls(CreateTagsCommand).map((c) => c.args[0].input)).toEqual([{ Resources: ['subnet-1'], Tags: [{ Key: 'team', Value: 'web' }] }]);
    expect(updated.tags.team).toBe('web');
  });

  it('makes no call when no tag differs', async () => {
    await subnetKind.update!(context(), desired, actual, { changes: [] });
    expect(ec2.calls()).toHaveLength(0);
  });
});

describe('subnet delete', () => {
  it.each([
    ['deletes the subnet', () => ec2.on(DeleteSubnetCommand).resolves({}), 1, 0],
    ['a subnet already gone is success', () => ec2.on(DeleteSubnetCommand).rejects(awsError('InvalidSubnetID.NotFound')), 1, 0],
    ['retries a DependencyViolation while network interfaces drain, then succeeds', () => ec2.on(DeleteSubnetCommand).rejectsOnce(awsError('DependencyViolation')).rejectsOnce(awsError('DependencyViolation')).resolves({}), 3, 2],
    ['gone after a DependencyViolation is success', () => ec2.on(DeleteSubnetCommand).rejectsOnce(awsError('DependencyViolation')).rejects(awsError('InvalidSubnetID.NotFound')), 2, 1],
  ])('%s', async (_what, arrange, attempts, progress) => {
    ec2.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [] }); // nothing in sight: retried a few times
    arrange();
    const ctx = context();
    await expect(subnetKind.delete(ctx, actual)).resolves.toBeUndefined();
    const calls = ec2.commandCalls(DeleteSubnetCommand);
    expect(calls).toHaveLength(attempts);
    expect(calls.every((c) => c.args[0].input.SubnetId === 'subnet-1')).toBe(true);
    expect(ctx.progress).toHaveBeenCalledTimes(progress);
  });

  it('held by an interface AWS does not delete by itself (the user\'s own): fails at once, naming it', async () => {
    ec2.on(DeleteSubnetCommand).rejects(awsError('DependencyViolation'));
    ec2.on(DescribeNetworkInterfacesCommand).resolves({
      NetworkInterfaces: [{ NetworkInterfaceId: 'eni-0aaa', Description: 'my bastion', InterfaceType: 'interface', RequesterManaged: false }],
    });
    const err = await subnetKind.delete(context(), actual).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    expect((err as WpdeployError).message).toContain('subnet-1');
    expect((err as WpdeployError).message).toContain('eni-0aaa (my bastion)');
    expect((err as WpdeployError).hint).toContain('wpdeploy down');
    expect(ec2.commandCalls(DeleteSubnetCommand)).toHaveLength(1);
    expect(ec2.commandCalls(DescribeNetworkInterfacesCommand).map((c) => c.args[0].input)).toEqual([{ Filters: [{ Name: 'subnet-id', Values: ['subnet-1'] }] }]);
  });

  it('held by the load balancer\'s lingering interfaces: waits for them by name, then deletes', async () => {
    const alb = (id: string) => ({ NetworkInterfaceId: id, Description: 'ELB app/blog-alb/50dc6c495c0c9188', RequesterId: 'amazon-elb', RequesterManaged: true, InterfaceType: 'interface' as const });
    ec2.on(DeleteSubnetCommand).rejectsOnce(awsError('DependencyViolation')).resolves({});
    ec2.on(DescribeNetworkInterfacesCommand)
      .resolvesOnce({ NetworkInterfaces: [alb('eni-1'), alb('eni-2')] })
      .resolvesOnce({ NetworkInterfaces: [alb('eni-1'), alb('eni-2')] })
      .resolves({ NetworkInterfaces: [] });
    const ctx = context();
    await subnetKind.delete(ctx, actual);
    expect(ec2.commandCalls(DeleteSubnetCommand)).toHaveLength(2);
    expect(ctx.progress).toHaveBeenCalledWith('waiting for 2 network interfaces of the load balancer to go');
  });

  it('does not retry or swallow another error', async () => {
    ec2.on(DeleteSubnetCommand).rejects(awsError('UnauthorizedOperation', 403));
    await expect(subnetKind.delete(context(), actual)).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    expect(ec2.commandCalls(DeleteSubnetCommand)).toHaveLength(1);
  });
});

describe('subnet outputs', () => {
  it('the id, zone and CIDR', () => {
    expect(subnetKind.outputs(actual)).toEqual({ subnetId: 'subnet-1', az: 'us-east-1a', cidr: '10.20.32.0/20' });
  });
});
