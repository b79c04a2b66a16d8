/**
 * What the EC2 kinds share (src/resources/ec2-api.ts, ec2-common.ts). The describe layer is tested
 * against the raw requests (pages, not-found); the lookups above it against EC2 as holding given
 * resources (`holding`), since what they do depends on what exists, not on request shapes.
 */
import { DescribeSubnetsCommand, EC2Client, type NatGateway, type NetworkAcl, type Subnet } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { stackTags, toTagList } from '../../src/aws/tags.js';
import { WpdeployError } from '../../src/errors.js';
import { describeAll, describeOne, NAT_GATEWAYS, NETWORK_ACLS, SUBNETS } from '../../src/resources/ec2-api.js';
import { diffFixed, ec2VpcDefault, entryPlan, findDefault, findTagged } from '../../src/resources/ec2-common.js';
import { UNKNOWN } from '../../src/resources/types.js';
import { awsError } from './data-context.js';
import { ec2Context, holding } from './ec2-context.js';

const ec2 = mockClient(EC2Client);
let aws: AwsClients;
beforeEach(() => {
  ec2.reset();
  aws = new AwsClients({ region: 'us-east-1', local: true, maxAttempts: 1 });
});
afterEach(() => aws.destroy());

const ctx = (step = 'subnet-app-a', over = {}) => ec2Context(aws, step, {}, over);
const tagged = (step: string, stack = 'blog') => toTagList(stackTags({ stack, step, role: step }));
const subnet = (id: string, step: string, stack = 'blog'): Subnet => ({ SubnetId: id, State: 'available', Tags: tagged(step, stack) });
const idOf = (s: Subnet) => ({ id: s.SubnetId! });

describe('the describe layer', () => {
  it('reads every page of a describe (NextToken), not only the first', async () => {
    ec2.on(DescribeSubnetsCommand).resolvesOnce({ Subnets: [subnet('subnet-1', 'a')], NextToken: 'page-2' }).resolvesOnce({ Subnets: [subnet('subnet-2', 'b')] });
    const all = await describeAll(ctx(), SUBNETS, { filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }] });
    expect(all.map((s) => s.SubnetId)).toEqual(['subnet-1', 'subnet-2']);
    const inputs = ec2.commandCalls(DescribeSubnetsCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => i.NextToken)).toEqual([undefined, 'page-2']);
    expect(inputs.every((i) => i.Filters?.[0]?.Name === 'vpc-id')).toBe(true);
  });

  it('reads an id EC2 does not know as undefined, and throws any other error', async () => {
    ec2.on(DescribeSubnetsCommand, { SubnetIds: ['subnet-gone'] }).rejects(awsError('InvalidSubnetID.NotFound'));
    ec2.on(DescribeSubnetsCommand, { SubnetIds: ['subnet-denied'] }).rejects(awsError('UnauthorizedOperation', 403));
    ec2.on(DescribeSubnetsCommand, { SubnetIds: ['subnet-1'] }).resolves({ Subnets: [subnet('subnet-1', 'a')] });
    expect(await describeOne(ctx(), SUBNETS, 'subnet-gone')).toBeUndefined();
    expect((await describeOne(ctx(), SUBNETS, 'subnet-1'))?.SubnetId).toBe('subnet-1');
    await expect(describeOne(ctx(), SUBNETS, 'subnet-denied')).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
  });
});

describe('findTagged', () => {
  it('takes the recorded id while it exists, even when its tags name another step', async () => {
    holding(SUBNETS, [subnet('subnet-rec', 'renamed'), subnet('subnet-tag', 'subnet-app-a')], 'InvalidSubnetID.NotFound');
    expect((await findTagged(ctx('subnet-app-a', { recordedId: 'subnet-rec' }), SUBNETS, idOf))?.id).toBe('subnet-rec');
  });

  it('falls back to the stack and step tags when the recorded id is gone, and ignores other steps and stacks', async () => {
    holding(SUBNETS, [subnet('subnet-b', 'subnet-app-b'), subnet('subnet-other-stack', 'subnet-app-a', 'shop'), subnet('subnet-a', 'subnet-app-a')], 'InvalidSubnetID.NotFound');
    expect((await findTagged(ctx('subnet-app-a', { recordedId: 'subnet-gone' }), SUBNETS, idOf))?.id).toBe('subnet-a');
    expect(await findTagged(ctx('subnet-app-c'), SUBNETS, idOf)).toBeUndefined();
  });

  it('keeps the first of two carrying the step tags and hands the other to the engine as a duplicate', async () => {
    holding(SUBNETS, [subnet('subnet-1', 'subnet-app-a'), subnet('subnet-2', 'subnet-app-a')], 'InvalidSubnetID.NotFound');
    const c = ctx();
    expect((await findTagged(c, SUBNETS, idOf))?.id).toBe('subnet-1');
    expect(c.duplicate.mock.calls.map(([d]) => d.id)).toEqual(['subnet-2']);
    expect(c.warn.mock.calls[0]![0]).toContain('subnet-2');
  });

  it('leaves out what `live` rejects, by recorded id and by tags (a NAT gateway being deleted)', async () => {
    const nat = (id: string, State: NatGateway['State']): NatGateway => ({ NatGatewayId: id, State, Tags: tagged('nat-a') });
    holding(NAT_GATEWAYS, [nat('nat-deleting', 'deleting'), nat('nat-live', 'available')], 'NatGatewayNotFound');
    const live = (n: NatGateway) => n.State !== 'deleting';
    expect((await findTagged(ctx('nat-a', { recordedId: 'nat-deleting' }), NAT_GATEWAYS, (n) => ({ id: n.NatGatewayId! }), live))?.id).toBe('nat-live');
  });
});

describe('the default resources of a VPC', () => {
  const acl = (id: string, vpc: string, isDefault: boolean): NetworkAcl => ({ NetworkAclId: id, VpcId: vpc, IsDefault: isDefault, Tags: [] });
  const byField = (a: NetworkAcl, name: string) => (name === 'vpc-id' ? a.VpcId : name === 'default' ? String(a.IsDefault) : undefined);
  const def = { isDefault: (a: NetworkAcl) => !!a.IsDefault, filter: { Name: 'default', Values: ['true'] } };
  const aclId = (a: NetworkAcl) => ({ id: a.NetworkAclId!, tags: {} });

  it("finds the default of the spec's VPC, not another VPC's nor a non-default one", async () => {
    holding(NETWORK_ACLS, [acl('acl-other-vpc', 'vpc-2', true), acl('acl-tier', 'vpc-1', false), acl('acl-default', 'vpc-1', true)], 'InvalidNetworkAclID.NotFound', byField);
    expect((await findDefault(ctx('default-nacl'), NETWORK_ACLS, 'vpc-1', def, aclId))?.id).toBe('acl-default');
  });

  it('without a known VPC (teardown with a lost state) uses the recorded id, and finds nothing without one', async () => {
    const spy = holding(NETWORK_ACLS, [acl('acl-default', 'vpc-1', true)], 'InvalidNetworkAclID.NotFound', byField);
    expect((await findDefault(ctx('default-nacl', { recordedId: 'acl-default' }), NETWORK_ACLS, UNKNOWN, def, aclId))?.id).toBe('acl-default');
    expect(await findDefault(ctx('default-nacl', { recordedId: 'acl-gone' }), NETWORK_ACLS, UNKNOWN, def, aclId)).toBeUndefined();
    spy.mockClear();
    expect(await findDefault(ctx('default-nacl'), NETWORK_ACLS, undefined, def, aclId)).toBeUndefined();
    expect(spy).not.toHaveBeenCalled();
  });

  it('refuses to create one that AWS did not make with the VPC, naming the VPC', async () => {
    holding(NETWORK_ACLS, [], 'InvalidNetworkAclID.NotFound', byField);
    const kind = ec2VpcDefault(NETWORK_ACLS, def, aclId, async (_ctx, a) => a);
    const err = await kind.create(ctx('default-nacl'), { vpcId: 'vpc-1', tags: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    expect((err as Error).message).toContain('default network acl of vpc-1');
  });
});

describe('diffs', () => {
  it('plans entries by key: create the new, replace the changed, remove the extra, and reports each', () => {
    type E = { k: string; v: string };
    const p = entryPlan<E>([{ k: 'a', v: '1' }, { k: 'b', v: '2' }], [{ k: 'b', v: '1' }, { k: 'c', v: '3' }], (e) => e.k, (e) => e.v);
    expect([p.create, p.replace, p.remove]).toEqual([[{ k: 'a', v: '1' }], [{ k: 'b', v: '2' }], [{ k: 'c', v: '3' }]]);
    expect(p.changes('x')).toEqual([
      { field: 'x.a', from: undefined, to: '1' },
      { field: 'x.b', from: '1', to: '2' },
      { field: 'x.c', from: '3', to: undefined },
    ]);
  });

  it('asks for a replacement only when a field that cannot change in place changes, naming the fields', () => {
    const tag = { field: 'tags.team', from: undefined, to: 'web' };
    expect(diffFixed([], [tag], () => 'never')).toEqual({ changes: [tag] });
    const cidr = { field: 'cidr', from: 'a', to: 'b' };
    expect(diffFixed([cidr], [tag], (f) => `cannot change ${f}`)).toEqual({ changes: [cidr, tag], replace: 'cannot change cidr' });
  });
});
