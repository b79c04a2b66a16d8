import {
  CreateTagsCommand, CreateVpcCommand, DeleteVpcCommand, DescribeNetworkInterfacesCommand, DescribeVpcAttributeCommand,
  DescribeVpcsCommand, EC2Client, ModifyVpcAttributeCommand, type Vpc,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { stackTags, TAG_STACK, TAG_STEP } from '../../src/aws/tags.js';
import { WpdeployError } from '../../src/errors.js';
import { vpcKind, type VpcActual, type VpcSpec } from '../../src/resources/vpc.js';
import { awsError } from './data-context.js';
import { ec2Context, type Ec2CtxOver } from './ec2-context.js';

const ec2 = mockClient(EC2Client);

/** Shaped like an AWS SDK v3 service exception. */

let aws: AwsClients;
let log: string[];

const context = (over: Ec2CtxOver = {}) => ec2Context(aws, 'vpc', { log }, over);

const vpc = (id: string, over: Partial<Vpc> = {}): Vpc => ({
  VpcId: id,
  CidrBlock: '10.20.0.0/16',
  State: 'available',
  OwnerId: '123456789012',
  Tags: [
    { Key: TAG_STACK, Value: 'blog' },
    { Key: TAG_STEP, Value: 'vpc' },
    { Key: 'Name', Value: 'blog-vpc' },
  ],
  ...over,
});

/** DescribeVpcAttribute answers for every VPC. */
function dnsAttributes(support: boolean, hostnames: boolean) {
  ec2.on(DescribeVpcAttributeCommand, { Attribute: 'enableDnsSupport' }).resolves({ EnableDnsSupport: { Value: support } });
  ec2.on(DescribeVpcAttributeCommand, { Attribute: 'enableDnsHostnames' }).resolves({ EnableDnsHostnames: { Value: hostnames } });
}

beforeEach(() => {
  ec2.reset();
  aws = new AwsClients({ region: 'us-east-1', local: true });
  log = [];
});
afterEach(() => {
  aws.destroy();
});

describe('vpc find', () => {
  it('finds the VPC by its recorded id, with its DNS attributes and tags', async () => {
    ec2.on(DescribeVpcsCommand, { VpcIds: ['vpc-0rec'] }).resolves({ Vpcs: [vpc('vpc-0rec', { Tags: [{ Key: 'team', Value: 'web' }] })] });
    dnsAttributes(true, false);
    const found = await vpcKind.find(context({ recordedId: 'vpc-0rec' }));
    expect(found).toMatchObject({
      id: 'vpc-0rec',
      cidr: '10.20.0.0/16',
      state: 'available',
      dnsSupport: true,
      dnsHostnames: false,
      tags: { team: 'web' },
      arn: 'arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0rec',
    });
    // the id was enough: no lookup by tag
    expect(ec2.commandCalls(DescribeVpcsCommand)).toHaveLength(1);
    expect(ec2.commandCalls(DescribeVpcsCommand)[0]!.args[0].input.Filters).toBeUndefined();
    const attrs = ec2.commandCalls(DescribeVpcAttributeCommand).map((c) => c.args[0].input);
    expect(attrs.every((a) => a.VpcId === 'vpc-0rec')).toBe(true);
  });

  it.each([
    ['the recorded id is not found', () => ec2.on(DescribeVpcsCommand, { VpcIds: ['vpc-0gone'] }).rejects(awsError('InvalidVpcID.NotFound'))],
    ['the recorded id returns no VPC', () => ec2.on(DescribeVpcsCommand, { VpcIds: ['vpc-0gone'] }).resolves({ Vpcs: [] })],
  ])('when %s, falls back to the stack and step tags', async (_what, arrange) => {
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [vpc('vpc-0tag')] });
    arrange();
    dnsAttributes(true, true);
    const found = await vpcKind.find(context({ recordedId: 'vpc-0gone' }));
    expect(found?.id).toBe('vpc-0tag');
    const calls = ec2.commandCalls(DescribeVpcsCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[0]!.VpcIds).toEqual(['vpc-0gone']);
    expect(calls[1]!.VpcIds).toBeUndefined();
    expect(calls[1]!.Filters).toEqual(
      expect.arrayContaining([
        { Name: `tag:${TAG_STACK}`, Values: ['blog'] },
        { Name: `tag:${TAG_STEP}`, Values: ['vpc'] },
      ]),
    );
  });

  it('without a recorded id goes straight to the tags', async () => {
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [vpc('vpc-0tag')] });
    dnsAttributes(true, true);
    expect((await vpcKind.find(context()))?.id).toBe('vpc-0tag');
    const calls = ec2.commandCalls(DescribeVpcsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input.Filters).toHaveLength(2);
  });

  it('returns undefined, without throwing, when the VPC exists neither by id nor by tag', async () => {
    ec2.on(DescribeVpcsCommand, { VpcIds: ['vpc-0gone'] }).rejects(awsError('InvalidVpcID.NotFound'));
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [] });
    const found = await vpcKind.find(context({ recordedId: 'vpc-0gone' }));
    expect(found).toBeUndefined();
    expect(ec2.commandCalls(DescribeVpcAttributeCommand)).toHaveLength(0);
  });

  it('does not hide an error other than not-found', async () => {
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [vpc('vpc-0tag')] });
    ec2.on(DescribeVpcsCommand, { VpcIds: ['vpc-0rec'] }).rejects(awsError('UnauthorizedOperation', 403));
    dnsAttributes(true, true);
    await expect(vpcKind.find(context({ recordedId: 'vpc-0rec' }))).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    // it must not quietly adopt another VPC found by tag
    expect(ec2.commandCalls(DescribeVpcsCommand)).toHaveLength(1);
  });

  it('when several VPCs carry the step tags, keeps the first and hands the others over as duplicates', async () => {
    ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [vpc('vpc-0one'), vpc('vpc-0two')] });
    dnsAttributes(true, true);
    const ctx = context();
    expect((await vpcKind.find(ctx))?.id).toBe('vpc-0one');
    expect(ctx.warn).toHaveBeenCalledTimes(1);
    expect(ctx.warn.mock.calls[0]![0]).toContain('vpc-0two');
    expect(ctx.duplicate.mock.calls.map(([d]) => d.id)).toEqual(['vpc-0two']);
  });
});

describe('vpc create', () => {
  const desired: VpcSpec = {
    cidr: '10.20.0.0/16',
    dnsSupport: true,
    dnsHostnames: true,
    tags: { ...stackTags({ stack: 'blog', step: 'vpc', role: 'vpc' }), team: 'web' },
  };

  it('tags in the CreateVpc call, records the id before waiting, and turns DNS hostnames on', async () => {
    ec2.on(CreateVpcCommand).callsFake(async () => {
      log.push('CreateVpc');
      return { Vpc: vpc('vpc-0new', { State: 'pending', Tags: undefined }) };
    });
    let describes = 0;
    ec2.on(DescribeVpcsCommand).callsFake(async () => {
      log.push('DescribeVpcs');
      describes++;
      // eventual consistency first, then pending, then available
      if (describes === 1) throw awsError('InvalidVpcID.NotFound');
      return { Vpcs: [vpc('vpc-0new', { State: describes === 2 ? 'pending' : 'available' })] };
    });
    ec2.on(ModifyVpcAttributeCommand).resolves({});
    dnsAttributes(true, true);

    const ctx = context();
    const created = await vpcKind.create(ctx, desired);

    const create = ec2.commandCalls(CreateVpcCommand);
    expect(create).toHaveLength(1);
    const input = create[0]!.args[0].input;
    expect(input.CidrBlock).toBe('10.20.0.0/16');
    expect(input.TagSpecifications).toEqual([
      {
        ResourceType: 'vpc',
        Tags: expect.arrayContaining([
          { Key: TAG_STACK, Value: 'blog' },
          { Key: TAG_STEP, Value: 'vpc' },
          { Key: 'Name', Value: 'blog-vpc' },
          { Key: 'team', Value: 'web' },
        ]),
      },
    ]);
    expect(input.TagSpecifications![0]!.Tags).toHaveLength(4);
    // tags are not added afterwards in a separate call
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);

    expect(ctx.recordId).toHaveBeenCalledTimes(1);
    expect(ctx.recordId.mock.calls[0]![0]).toBe('vpc-0new');
    expect(ctx.recordId.mock.calls[0]![1]).toBe('arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0new');
    expect(log.slice(0, 3)).toEqual(['CreateVpc', 'recordId:vpc-0new', 'DescribeVpcs']);
    expect(describes).toBe(3);

    // A new VPC has DNS support on and hostnames off: one call turns hostnames on.
    const modify = ec2.commandCalls(ModifyVpcAttributeCommand).map((c) => c.args[0].input);
    expect(modify).toEqual([{ VpcId: 'vpc-0new', EnableDnsHostnames: { Value: true } }]);

    expect(created).toMatchObject({ id: 'vpc-0new', cidr: '10.20.0.0/16', state: 'available', dnsSupport: true, dnsHostnames: true });
  });

  it('a failed CreateVpc records nothing', async () => {
    ec2.on(CreateVpcCommand).rejects(awsError('VpcLimitExceeded'));
    const ctx = context();
    await expect(vpcKind.create(ctx, desired)).rejects.toMatchObject({ name: 'VpcLimitExceeded' });
    expect(ctx.recordId).not.toHaveBeenCalled();
  });
});

describe('vpc diff', () => {
  const tags = stackTags({ stack: 'blog', step: 'vpc', role: 'vpc' });
  const actual: VpcActual = { id: 'vpc-1', cidr: '10.20.0.0/16', dnsSupport: true, dnsHostnames: true, tags: { ...tags, 'owner-set': 'x' } };
  const desired: VpcSpec = { cidr: '10.20.0.0/16', dnsSupport: true, dnsHostnames: true, tags };

  it('no difference when everything matches; tags set by others are left alone', () => {
    expect(vpcKind.diff(desired, actual)).toEqual({ changes: [] });
  });

  it('reports DNS settings that differ', () => {
    const d = vpcKind.diff(desired, { ...actual, dnsSupport: false, dnsHostnames: false });
    expect(d.replace).toBeUndefined();
    expect(d.changes).toEqual(
      expect.arrayContaining([
        { field: 'dnsSupport', from: false, to: true },
        { field: 'dnsHostnames', from: false, to: true },
      ]),
    );
    expect(d.changes).toHaveLength(2);
  });

  it('reports missing and changed tags', () => {
    const d = vpcKind.diff({ ...desired, tags: { ...tags, team: 'web', Name: 'blog-main' } }, actual);
    expect(d.replace).toBeUndefined();
    expect(d.changes).toEqual(
      expect.arrayContaining([
        { field: 'tags.team', from: undefined, to: 'web' },
        { field: 'tags.Name', from: 'blog-vpc', to: 'blog-main' },
      ]),
    );
    expect(d.changes).toHaveLength(2);
  });

  it('a CIDR change means replacement, and says why', () => {
    const d = vpcKind.diff({ ...desired, cidr: '10.30.0.0/16' }, actual);
    expect(d.replace).toBeTruthy();
    expect(d.replace).toContain('10.20.0.0/16');
    expect(d.replace).toContain('10.30.0.0/16');
    expect(d.changes[0]).toEqual({ field: 'cidr', from: '10.20.0.0/16', to: '10.30.0.0/16' });
  });
});

describe('vpc update', () => {
  it('sets only the DNS attributes and tags that differ', async () => {
    ec2.on(ModifyVpcAttributeCommand).resolves({});
    ec2.on(CreateTagsCommand).resolves({});
    const tags = stackTags({ stack: 'blog', step: 'vpc', role: 'vpc' });
    const actual: VpcActual = { id: 'vpc-1', cidr: '10.20.0.0/16', dnsSupport: true, dnsHostnames: false, tags };
    const desired: VpcSpec = { cidr: '10.20.0.0/16', dnsSupport: true, dnsHostnames: true, tags: { ...tags, team: 'web' } };
    const updated = await vpcKind.update!(context(), desired, actual, vpcKind.diff(desired, actual));
    expect(ec2.commandCalls(ModifyVpcAttributeCommand).map((c) => c.args[0].input)).toEqual([{ VpcId: 'vpc-1', EnableDnsHostnames: { Value: true } }]);
    expect(ec2.commandCalls(CreateTagsCommand).map((c) => c.args[0].input)).toEqual([{ Resources: ['vpc-1'], Tags: [{ Key: 'team', Value: 'web' }] }]);
    expect(updated.dnsHostnames).toBe(true);
    expect(updated.tags.team).toBe('web');
  });
});

describe('vpc delete', () => {
  const actual: VpcActual = { id: 'vpc-0del', cidr: '10.20.0.0/16', dnsSupport: true, dnsHostnames: true, tags: {} };

  it('deletes the VPC', async () => {
    ec2.on(DeleteVpcCommand).resolves({});
    await vpcKind.delete(context(), actual);
    expect(ec2.commandCalls(DeleteVpcCommand).map((c) => c.args[0].input)).toEqual([{ VpcId: 'vpc-0del' }]);
  });

  it('a VPC already gone is success', async () => {
    ec2.on(DeleteVpcCommand).rejects(awsError('InvalidVpcID.NotFound'));
    await expect(vpcKind.delete(context(), actual)).resolves.toBeUndefined();
    expect(ec2.commandCalls(DeleteVpcCommand)).toHaveLength(1);
  });

  it('retries a DependencyViolation while what holds the VPC drains, then succeeds', async () => {
    ec2.on(DeleteVpcCommand).rejectsOnce(awsError('DependencyViolation')).rejectsOnce(awsError('DependencyViolation')).resolves({});
    const ctx = context();
    await vpcKind.delete(ctx, actual);
    expect(ec2.commandCalls(DeleteVpcCommand)).toHaveLength(3);
    expect(ctx.progress).toHaveBeenCalledTimes(2);
    expect(ec2.commandCalls(DescribeNetworkInterfacesCommand)).toHaveLength(0);
  });

  it('gone after a DependencyViolation retry (deleted meanwhile) is success', async () => {
    ec2.on(DeleteVpcCommand).rejectsOnce(awsError('DependencyViolation')).rejects(awsError('InvalidVpcID.NotFound'));
    await expect(vpcKind.delete(context(), actual)).resolves.toBeUndefined();
    expect(ec2.commandCalls(DeleteVpcCommand)).toHaveLength(2);
  });

  it('a DependencyViolation that never clears gives up, naming the network interfaces still in the VPC', async () => {
    ec2.on(DeleteVpcCommand).rejects(awsError('DependencyViolation'));
    ec2.on(DescribeNetworkInterfacesCommand).resolves({
      NetworkInterfaces: [
        { NetworkInterfaceId: 'eni-0aaa', Description: 'ELB app/blog-alb/123', InterfaceType: 'interface' },
        { NetworkInterfaceId: 'eni-0bbb', Description: '', InterfaceType: 'natGateway' },
      ],
    });
    const err = await vpcKind.delete(context(), actual).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WpdeployError);
    const e = err as WpdeployError;
    expect(e.message).toContain('vpc-0del');
    expect(e.message).toContain('eni-0aaa');
    expect(e.message).toContain('eni-0bbb');
    expect(e.message).toContain('ELB app/blog-alb/123');
    expect(e.hint).toContain('wpdeploy down');
    expect((e.cause as Error).name).toBe('DependencyViolation');
    // bounded: a handful of attempts, then the ENIs of this VPC are looked up
    const attempts = ec2.commandCalls(DeleteVpcCommand).length;
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThanOrEqual(10);
    expect(ec2.commandCalls(DescribeNetworkInterfacesCommand).map((c) => c.args[0].input)).toEqual([
      { Filters: [{ Name: 'vpc-id', Values: ['vpc-0del'] }] },
    ]);
  });

  it('does not retry or swallow an error that is neither not-found nor a dependency', async () => {
    ec2.on(DeleteVpcCommand).rejects(awsError('UnauthorizedOperation', 403));
    await expect(vpcKind.delete(context(), actual)).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    expect(ec2.commandCalls(DeleteVpcCommand)).toHaveLength(1);
  });
});

describe('vpc outputs', () => {
  it('exposes the id and CIDR for dependents', () => {
    expect(vpcKind.outputs({ id: 'vpc-1', cidr: '10.20.0.0/16', dnsSupport: true, dnsHostnames: true, tags: {} })).toEqual({ vpcId: 'vpc-1', cidr: '10.20.0.0/16' });
  });
});
