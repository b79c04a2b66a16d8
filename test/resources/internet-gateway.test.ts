import {
  AttachInternetGatewayCommand, CreateInternetGatewayCommand, CreateTagsCommand, DeleteInternetGatewayCommand, DescribeAddressesCommand,
  DescribeInternetGatewaysCommand, DescribeNetworkInterfacesCommand, DetachInternetGatewayCommand, EC2Client, type AttachmentStatus, type InternetGateway,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { stackTags, toTagList } from '../../src/aws/tags.js';
import { WpdeployError } from '../../src/errors.js';
import { internetGatewayKind, type InternetGatewayActual, type InternetGatewaySpec } from '../../src/resources/internet-gateway.js';
import { UNKNOWN } from '../../src/resources/types.js';
import { awsError } from './data-context.js';
import { INTERNET_GATEWAYS } from '../../src/resources/ec2-api.js';
import { ec2Context, type Ec2CtxOver, holding } from './ec2-context.js';

const ec2 = mockClient(EC2Client);


let aws: AwsClients;
let log: string[];

const context = (over: Ec2CtxOver = {}) => ec2Context(aws, 'igw', { log }, over);

const ownTags = stackTags({ stack: 'blog', step: 'igw', role: 'igw' });
const NOT_FOUND = 'InvalidInternetGatewayID.NotFound';
/** What AWS really reports for an attached internet gateway, outside the SDK's AttachmentStatus type. */
const AVAILABLE = 'available' as unknown as AttachmentStatus;
const igw = (id: string, over: Partial<InternetGateway> = {}): InternetGateway => ({
  InternetGatewayId: id,
  Attachments: [{ VpcId: 'vpc-1', State: AVAILABLE }],
  Tags: toTagList(ownTags),
  ...over,
});
const desired: InternetGatewaySpec = { vpcId: 'vpc-1', tags: ownTags };
const attached: InternetGatewayActual = { id: 'igw-1', state: 'attached', attachedVpcId: 'vpc-1', tags: ownTags };
const detached: InternetGatewayActual = { id: 'igw-1', state: 'detached', tags: ownTags };

/** Every EC2 call in order, by command name. */
const callNames = () => ec2.calls().map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''));

beforeEach(() => {
  ec2.reset();
  aws = new AwsClients({ region: 'us-east-1', local: true });
  log = [];
});
afterEach(() => aws.destroy());

describe('internet gateway find', () => {
  it.each<[string, InternetGateway['Attachments'], string, string | undefined]>([
    ['attached (AWS reports "available")', [{ VpcId: 'vpc-1', State: AVAILABLE }], 'attached', 'vpc-1'],
    ['attached (as moto reports it)', [{ VpcId: 'vpc-1', State: 'attached' }], 'attached', 'vpc-1'],
    ['detached', [], 'detached', undefined],
    ['detaching', [{ VpcId: 'vpc-1', State: 'detaching' }], 'detached', undefined],
  ])('by recorded id: %s', async (_what, Attachments, state, attachedVpcId) => {
    holding(INTERNET_GATEWAYS, [igw('igw-rec', { Attachments })], NOT_FOUND);
    const found = await internetGatewayKind.find(context({ recordedId: 'igw-rec' }));
    expect(found).toEqual({ id: 'igw-rec', state, attachedVpcId, tags: ownTags });
  });

  it("a recorded id that is gone falls back to the stack and step tags (another step's gateway is not taken)", async () => {
    holding(INTERNET_GATEWAYS, [igw('igw-other', { Tags: toTagList(stackTags({ stack: 'blog', step: 'igw-2', role: 'igw-2' })) }), igw('igw-tag')], NOT_FOUND);
    expect((await internetGatewayKind.find(context({ recordedId: 'igw-gone' })))?.id).toBe('igw-tag');
  });

  it('returns undefined when none exists', async () => {
    holding(INTERNET_GATEWAYS, [], NOT_FOUND);
    expect(await internetGatewayKind.find(context())).toBeUndefined();
  });
});

describe('internet gateway create', () => {
  it('creates it tagged, records the id, then attaches it to the VPC', async () => {
    ec2.on(CreateInternetGatewayCommand).callsFake(async () => { log.push('CreateInternetGateway'); return { InternetGateway: igw('igw-new', { Attachments: [] }) }; });
    ec2.on(AttachInternetGatewayCommand).callsFake(async () => { log.push('AttachInternetGateway'); return {}; });
    const ctx = context();
    const created = await internetGatewayKind.create(ctx, desired);
    expect(ec2.commandCalls(CreateInternetGatewayCommand)[0]!.args[0].input).toEqual({
      TagSpecifications: [{ ResourceType: 'internet-gateway', Tags: toTagList(ownTags) }],
    });
    expect(ec2.commandCalls(AttachInternetGatewayCommand).map((c) => c.args[0].input)).toEqual([{ InternetGatewayId: 'igw-new', VpcId: 'vpc-1' }]);
    expect(log).toEqual(['CreateInternetGateway', 'recordId:igw-new', 'AttachInternetGateway']);
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);
    expect(created).toEqual({ id: 'igw-new', state: 'attached', attachedVpcId: 'vpc-1', tags: ownTags });
  });

  it('an attach that fails leaves the gateway recorded, so the next run finds it', async () => {
    ec2.on(CreateInternetGatewayCommand).resolves({ InternetGateway: igw('igw-new', { Attachments: [] }) });
    ec2.on(AttachInternetGatewayCommand).rejects(awsError('Resource.AlreadyAssociated'));
    // "already associated", but not with this VPC: not a retried attach
    ec2.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [igw('igw-new', { Attachments: [{ VpcId: 'vpc-other', State: 'available' as AttachmentStatus }] })] });
    const ctx = context();
    await expect(internetGatewayKind.create(ctx, desired)).rejects.toMatchObject({ name: 'Resource.AlreadyAssociated' });
    expect(ctx.recordId).toHaveBeenCalledWith('igw-new');
  });
});

describe('internet gateway diff', () => {
  it.each<[string, InternetGatewayActual, InternetGatewaySpec, Array<{ field: string; from: unknown; to: unknown }>]>([
    ['attached to the VPC, same tags', attached, desired, []],
    ['detached', detached, desired, [{ field: 'attachedVpcId', from: undefined, to: 'vpc-1' }]],
    ['attached to another VPC', { ...attached, attachedVpcId: 'vpc-9' }, desired, [{ field: 'attachedVpcId', from: 'vpc-9', to: 'vpc-1' }]],
    ['a tag missing', attached, { ...desired, tags: { ...ownTags, team: 'web' } }, [{ field: 'tags.team', from: undefined, to: 'web' }]],
    ['the VPC not known yet', attached, { ...desired, vpcId: UNKNOWN }, []],
  ])('%s', (_what, a, d, changes) => {
    const diff = internetGatewayKind.diff(d, a);
    expect(diff.changes).toEqual(changes);
    expect(diff.replace).toBeUndefined();
  });
});

describe('internet gateway update', () => {
  it('attaches a detached gateway, without a detach', async () => {
    ec2.on(AttachInternetGatewayCommand).resolves({});
    const updated = await internetGatewayKind.update!(context(), desired, detached, internetGatewayKind.diff(desired, detached));
    expect(callNames()).toEqual(['AttachInternetGateway']);
    expect(ec2.commandCalls(AttachInternetGatewayCommand)[0]!.args[0].input).toEqual({ InternetGatewayId: 'igw-1', VpcId: 'vpc-1' });
    expect(updated).toMatchObject({ state: 'attached', attachedVpcId: 'vpc-1' });
  });

  it('moves a gateway attached to another VPC: detach from it, then attach', async () => {
    ec2.on(DetachInternetGatewayCommand).resolves({});
    ec2.on(AttachInternetGatewayCommand).resolves({});
    const other = { ...attached, attachedVpcId: 'vpc-9' };
    await internetGatewayKind.update!(context(), desired, other, internetGatewayKind.diff(desired, other));
    expect(callNames()).toEqual(['DetachInternetGateway', 'AttachInternetGateway']);
    expect(ec2.commandCalls(DetachInternetGatewayCommand)[0]!.args[0].input).toEqual({ InternetGatewayId: 'igw-1', VpcId: 'vpc-9' });
  });

  it('sets only the missing tags', async () => {
    ec2.on(CreateTagsCommand).resolves({});
    const want = { ...desired, tags: { ...ownTags, team: 'web' } };
    await internetGatewayKind.update!(context(), want, attached, internetGatewayKind.diff(want, attached));
    expect(callNames()).toEqual(['CreateTags']);
    expect(ec2.commandCalls(CreateTagsCommand)[0]!.args[0].input).toEqual({ Resources: ['igw-1'], Tags: [{ Key: 'team', Value: 'web' }] });
  });
});

describe('internet gateway delete', () => {
  it('detaches it from the VPC, then deletes it', async () => {
    ec2.on(DetachInternetGatewayCommand).resolves({});
    ec2.on(DeleteInternetGatewayCommand).resolves({});
    await internetGatewayKind.delete(context(), attached);
    expect(callNames()).toEqual(['DetachInternetGateway', 'DeleteInternetGateway']);
    expect(ec2.commandCalls(DetachInternetGatewayCommand)[0]!.args[0].input).toEqual({ InternetGatewayId: 'igw-1', VpcId: 'vpc-1' });
    expect(ec2.commandCalls(DeleteInternetGatewayCommand)[0]!.args[0].input).toEqual({ InternetGatewayId: 'igw-1' });
  });

  it('a detached gateway is only deleted', async () => {
    ec2.on(DeleteInternetGatewayCommand).resolves({});
    await internetGatewayKind.delete(context(), detached);
    expect(callNames()).toEqual(['DeleteInternetGateway']);
  });

  it.each([
    ['gone before the detach', () => {
      ec2.on(DetachInternetGatewayCommand).rejects(awsError('InvalidInternetGatewayID.NotFound'));
      ec2.on(DeleteInternetGatewayCommand).rejects(awsError('InvalidInternetGatewayID.NotFound'));
    }],
    ['gone between detach and delete', () => {
      ec2.on(DetachInternetGatewayCommand).resolves({});
      ec2.on(DeleteInternetGatewayCommand).rejects(awsError('InvalidInternetGatewayID.NotFound'));
    }],
  ])('already %s is success', async (_what, arrange) => {
    arrange();
    await expect(internetGatewayKind.delete(context(), attached)).resolves.toBeUndefined();
  });

  it('retries the detach while public addresses are still mapped in the VPC, then deletes', async () => {
    ec2.on(DetachInternetGatewayCommand).rejectsOnce(awsError('DependencyViolation')).rejectsOnce(awsError('DependencyViolation')).resolves({});
    ec2.on(DeleteInternetGatewayCommand).resolves({});
    const alb = { NetworkInterfaceId: 'eni-alb', Description: 'ELB app/blog-alb/1', RequesterId: 'amazon-elb', RequesterManaged: true, Association: { PublicIp: '203.0.113.9' } };
    ec2.on(DescribeNetworkInterfacesCommand).resolvesOnce({ NetworkInterfaces: [alb] }).resolves({ NetworkInterfaces: [] });
    const ctx = context();
    await internetGatewayKind.delete(ctx, attached);
    expect(callNames().filter((n) => n !== 'DescribeNetworkInterfaces')).toEqual(['DetachInternetGateway', 'DetachInternetGateway', 'DetachInternetGateway', 'DeleteInternetGateway']);
    expect(ctx.progress).toHaveBeenCalledWith('waiting for 1 network interface of the load balancer to go');
    expect(ec2.commandCalls(DescribeAddressesCommand)).toHaveLength(0);
  });

  it('a detach refused for a public address of the user\'s own fails, naming the mapped interfaces of the VPC (and only those), and never deletes', async () => {
    ec2.on(DetachInternetGatewayCommand).rejects(awsError('DependencyViolation'));
    ec2.on(DescribeNetworkInterfacesCommand).resolves({
      NetworkInterfaces: [{ NetworkInterfaceId: 'eni-web', Description: 'my web server', Association: { PublicIp: '203.0.113.10' } }, { NetworkInterfaceId: 'eni-private' }],
    });
    const err = await internetGatewayKind.delete(context(), attached).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    const e = err as WpdeployError;
    expect(e.message).toContain('igw-1');
    expect(e.message).toContain('vpc-1');
    expect(e.message).toContain('eni-web (my web server, 203.0.113.10)');
    expect(e.message).not.toContain('eni-private');
    expect(e.hint).toContain('wpdeploy down');
    expect((e.cause as Error).name).toBe('DependencyViolation');
    expect(ec2.commandCalls(DescribeNetworkInterfacesCommand)[0]!.args[0].input).toEqual({ Filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }] });
    expect(ec2.commandCalls(DetachInternetGatewayCommand)).toHaveLength(1);
    expect(ec2.commandCalls(DeleteInternetGatewayCommand)).toHaveLength(0);
  });

  it('retries a DependencyViolation on the delete itself', async () => {
    ec2.on(DeleteInternetGatewayCommand).rejectsOnce(awsError('DependencyViolation')).resolves({});
    await internetGatewayKind.delete(context(), detached);
    expect(ec2.commandCalls(DeleteInternetGatewayCommand)).toHaveLength(2);
  });

  it('does not swallow another error on the detach', async () => {
    ec2.on(DetachInternetGatewayCommand).rejects(awsError('UnauthorizedOperation', 403));
    await expect(internetGatewayKind.delete(context(), attached)).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    expect(ec2.commandCalls(DetachInternetGatewayCommand)).toHaveLength(1);
    expect(ec2.commandCalls(DeleteInternetGatewayCommand)).toHaveLength(0);
  });
});

describe('internet gateway outputs', () => {
  it('the id', () => {
    expect(internetGatewayKind.outputs(attached)).toEqual({ internetGatewayId: 'igw-1' });
  });
});
