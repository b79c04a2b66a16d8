import {
  AuthorizeSecurityGroupEgressCommand, AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, CreateTagsCommand,
  DeleteSecurityGroupCommand, DescribeNetworkInterfacesCommand, DescribeSecurityGroupsCommand, EC2Client, RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand, type IpPermission, type SecurityGroup, type ServiceOutputTypes,
} from '@aws-sdk/client-ec2';
import { mockClient, type AwsCommand } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { stackTags, TAG_STACK, TAG_STEP, toTagList } from '../../src/aws/tags.js';
import { WpdeployError } from '../../src/errors.js';
import {
  defaultSecurityGroupKind, securityGroupKind, securityGroupRulesKind, type SecurityGroupActual, type SecurityGroupRulesActual,
  type SecurityGroupRulesSpec, type SecurityGroupSpec, type SgRule,
} from '../../src/resources/security-group.js';
import { UNKNOWN } from '../../src/resources/types.js';
import { awsError } from './data-context.js';
import { ec2Context, type Ec2CtxOver } from './ec2-context.js';

const ec2 = mockClient(EC2Client);


let aws: AwsClients;
let log: string[];

const context = (step: string, over: Ec2CtxOver = {}) => ec2Context(aws, step, { log }, over);

/** Every EC2 call in order, by command name. */
const callNames = () => ec2.calls().map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''));
const inputs = <I extends object, O extends ServiceOutputTypes>(C: new (input: I) => AwsCommand<I, O>) => ec2.commandCalls(C).map((c) => c.args[0].input);

const ALL_OUT: IpPermission = { IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] };
const tcp = (port: number, src: { cidr?: string; sourceGroupId?: string }, description?: string): SgRule =>
  ({ protocol: 'tcp', fromPort: port, toPort: port, ...src, ...(description ? { description } : {}) });

beforeEach(() => {
  ec2.reset();
  aws = new AwsClients({ region: 'us-east-1', local: true });
  log = [];
});
afterEach(() => aws.destroy());

// ---------------------------------------------------------------------------------------------
describe('security group (ec2:security-group)', () => {
  const ownTags = stackTags({ stack: 'blog', step: 'sg-app', role: 'app' });
  const desired: SecurityGroupSpec = { vpcId: 'vpc-1', name: 'blog-app', description: 'wpdeploy blog WordPress tasks', tags: ownTags };
  const actual: SecurityGroupActual = { id: 'sg-app', state: 'available', vpcId: 'vpc-1', name: 'blog-app', description: 'wpdeploy blog WordPress tasks', ingress: [], egress: [], tags: ownTags };
  const group = (id: string, over: Partial<SecurityGroup> = {}): SecurityGroup => ({
    GroupId: id, GroupName: 'blog-app', Description: 'wpdeploy blog WordPress tasks', VpcId: 'vpc-1',
    SecurityGroupArn: `arn:aws:ec2:us-east-1:123456789012:security-group/${id}`, IpPermissions: [], IpPermissionsEgress: [], Tags: toTagList(ownTags), ...over,
  });

  describe('find', () => {
    it('reads the group and flattens its rules (one per source)', async () => {
      ec2.on(DescribeSecurityGroupsCommand, { GroupIds: ['sg-rec'] }).resolves({
        SecurityGroups: [group('sg-rec', {
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: 'sg-alb', Description: 'from the ALB' }], IpRanges: [{ CidrIp: '10.20.0.0/16' }] }],
          IpPermissionsEgress: [ALL_OUT],
        })],
      });
      const found = await securityGroupKind.find(context('sg-app', { recordedId: 'sg-rec' }));
      expect(found).toMatchObject({ id: 'sg-rec', vpcId: 'vpc-1', name: 'blog-app', tags: ownTags });
      expect(found!.ingress).toEqual([
        { protocol: 'tcp', fromPort: 80, toPort: 80, cidr: '10.20.0.0/16', description: undefined },
        { protocol: 'tcp', fromPort: 80, toPort: 80, sourceGroupId: 'sg-alb', description: 'from the ALB' },
      ]);
      expect(found!.egress).toEqual([{ protocol: '-1', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0', description: undefined }]);
    });

    it('a recorded id that is not found falls back to the tags; none is undefined', async () => {
      ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
      ec2.on(DescribeSecurityGroupsCommand, { GroupIds: ['sg-gone'] }).rejects(awsError('InvalidGroup.NotFound'));
      expect(await securityGroupKind.find(context('sg-app', { recordedId: 'sg-gone' }))).toBeUndefined();
      expect(ec2.commandCalls(DescribeSecurityGroupsCommand)[1]!.args[0].input.Filters).toEqual([
        { Name: `tag:${TAG_STACK}`, Values: ['blog'] },
        { Name: `tag:${TAG_STEP}`, Values: ['sg-app'] },
      ]);
    });
  });

  describe('create', () => {
    it('creates it tagged, records the id, and revokes the default allow-all egress at once', async () => {
      ec2.on(CreateSecurityGroupCommand).callsFake(async () => { log.push('CreateSecurityGroup'); return { GroupId: 'sg-new', SecurityGroupArn: 'arn:sg-new' }; });
      ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [group('sg-new', { IpPermissionsEgress: [ALL_OUT] })] });
      ec2.on(RevokeSecurityGroupEgressCommand).resolves({ Return: true });
      const ctx = context('sg-app');
      const created = await securityGroupKind.create(ctx, desired);
      expect(inputs(CreateSecurityGroupCommand)).toEqual([{
        VpcId: 'vpc-1', GroupName: 'blog-app', Description: 'wpdeploy blog WordPress tasks',
        TagSpecifications: [{ ResourceType: 'security-group', Tags: toTagList(ownTags) }],
      }]);
      expect(ctx.recordId).toHaveBeenCalledWith('sg-new', 'arn:sg-new');
      expect(log[1]).toBe('recordId:sg-new');
      expect(inputs(RevokeSecurityGroupEgressCommand)).toEqual([
        { GroupId: 'sg-new', IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0', Description: undefined }] }] },
      ]);
      expect(ec2.commandCalls(AuthorizeSecurityGroupEgressCommand)).toHaveLength(0);
      expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)).toHaveLength(0);
      expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);
      expect(created).toMatchObject({ id: 'sg-new', arn: 'arn:sg-new', ingress: [], egress: [], vpcId: 'vpc-1', name: 'blog-app' });
    });

    it('revokes nothing when the new group has no egress rule (an endpoint that does not add one)', async () => {
      ec2.on(CreateSecurityGroupCommand).resolves({ GroupId: 'sg-new' });
      ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [group('sg-new')] });
      await securityGroupKind.create(context('sg-app'), desired);
      expect(callNames()).toEqual(['CreateSecurityGroup', 'DescribeSecurityGroups']);
    });

    it('a name already taken in the VPC (by a group without this step\'s tags) is raised and nothing is recorded', async () => {
      ec2.on(CreateSecurityGroupCommand).rejects(awsError('InvalidGroup.Duplicate'));
      ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-other', GroupName: desired.name, VpcId: 'vpc-1', Tags: [] }] });
      const ctx = context('sg-app');
      await expect(securityGroupKind.create(ctx, desired)).rejects.toMatchObject({ name: 'InvalidGroup.Duplicate' });
      expect(ctx.recordId).not.toHaveBeenCalled();
    });
  });

  describe('diff and update', () => {
    it('nothing differs; the rules are the rules step\'s business', () => {
      expect(securityGroupKind.diff(desired, { ...actual, ingress: [tcp(80, { sourceGroupId: 'sg-alb' })] })).toEqual({ changes: [] });
    });

    it.each<[string, Partial<SecurityGroupSpec>]>([
      ['name', { name: 'blog-web' }],
      ['description', { description: 'other' }],
      ['vpcId', { vpcId: 'vpc-2' }],
    ])('a new %s means replacement, refused', (field, d) => {
      const diff = securityGroupKind.diff({ ...desired, ...d }, actual);
      expect(diff.changes.map((c) => c.field)).toEqual([field]);
      expect(diff.replace).toBeTruthy();
      expect(securityGroupKind.onReplace).toBe('refuse');
    });

    it('a missing tag is set in place, with only that tag', async () => {
      ec2.on(CreateTagsCommand).resolves({});
      const want = { ...desired, tags: { ...ownTags, team: 'web' } };
      const diff = securityGroupKind.diff(want, actual);
      expect(diff).toEqual({ changes: [{ field: 'tags.team', from: undefined, to: 'web' }] });
      await securityGroupKind.update!(context('sg-app'), want, actual, diff);
      expect(inputs(CreateTagsCommand)).toEqual([{ Resources: ['sg-app'], Tags: [{ Key: 'team', Value: 'web' }] }]);
    });
  });

  describe('delete', () => {
    const withRules = group('sg-app', {
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: 'sg-alb' }] }],
      IpPermissionsEgress: [{ IpProtocol: 'tcp', FromPort: 3306, ToPort: 3306, UserIdGroupPairs: [{ GroupId: 'sg-db' }] }],
    });

    it('revokes its own rules (which reference other groups), then deletes it', async () => {
      ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [withRules] });
      ec2.on(RevokeSecurityGroupIngressCommand).resolves({});
      ec2.on(RevokeSecurityGroupEgressCommand).resolves({});
      ec2.on(DeleteSecurityGroupCommand).resolves({});
      await securityGroupKind.delete(context('sg-app'), actual);
      expect(callNames()).toEqual(['DescribeSecurityGroups', 'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress', 'DeleteSecurityGroup']);
      expect(inputs(RevokeSecurityGroupIngressCommand)).toEqual([
        { GroupId: 'sg-app', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: 'sg-alb', Description: undefined }] }] },
      ]);
      expect(inputs(RevokeSecurityGroupEgressCommand)).toEqual([
        { GroupId: 'sg-app', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 3306, ToPort: 3306, UserIdGroupPairs: [{ GroupId: 'sg-db', Description: undefined }] }] },
      ]);
      expect(inputs(DeleteSecurityGroupCommand)).toEqual([{ GroupId: 'sg-app' }]);
    });

    it('a group with no rules is deleted without revokes', async () => {
      ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [group('sg-app')] });
      ec2.on(DeleteSecurityGroupCommand).resolves({});
      await securityGroupKind.delete(context('sg-app'), actual);
      expect(callNames()).toEqual(['DescribeSecurityGroups', 'DeleteSecurityGroup']);
    });

    it.each([
      ['already gone when described', () => ec2.on(DescribeSecurityGroupsCommand).rejects(awsError('InvalidGroup.NotFound')), 0],
      ['gone by the time of the delete', () => {
        ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [group('sg-app')] });
        ec2.on(DeleteSecurityGroupCommand).rejects(awsError('InvalidGroup.NotFound'));
      }, 1],
      ['a DependencyViolation while network interfaces drain, then success', () => {
        ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [group('sg-app')] });
        ec2.on(DeleteSecurityGroupCommand).rejectsOnce(awsError('DependencyViolation')).rejectsOnce(awsError('DependencyViolation')).resolves({});
        const task = { NetworkInterfaceId: 'eni-task', Description: 'arn:aws:ecs:us-east-1:123456789012:attachment/abc', RequesterManaged: true };
        ec2.on(DescribeNetworkInterfacesCommand).resolvesOnce({ NetworkInterfaces: [task] }).resolves({ NetworkInterfaces: [] });
      }, 3],
    ])('%s is success', async (_what, arrange, deletes) => {
      arrange();
      await expect(securityGroupKind.delete(context('sg-app'), actual)).resolves.toBeUndefined();
      expect(ec2.commandCalls(DeleteSecurityGroupCommand)).toHaveLength(deletes);
    });

    it('a group an interface of the user\'s own holds: fails at once, naming the interface', async () => {
      ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [group('sg-app')] });
      ec2.on(DeleteSecurityGroupCommand).rejects(awsError('DependencyViolation'));
      ec2.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [{ NetworkInterfaceId: 'eni-own', Description: 'an instance of mine', RequesterManaged: false }] });
      const err = await securityGroupKind.delete(context('sg-app'), actual).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WpdeployError);
      expect((err as WpdeployError).message).toContain('sg-app');
      expect((err as WpdeployError).message).toContain('eni-own (an instance of mine)');
      expect(inputs(DescribeNetworkInterfacesCommand)).toEqual([{ Filters: [{ Name: 'group-id', Values: ['sg-app'] }] }]);
      expect(ec2.commandCalls(DeleteSecurityGroupCommand)).toHaveLength(1);
    });
  });

  it('outputs the group id', () => {
    expect(securityGroupKind.outputs(actual)).toEqual({ groupId: 'sg-app' });
  });
});

// ---------------------------------------------------------------------------------------------
describe('security group rules (ec2:security-group-rules)', () => {
  const desired: SecurityGroupRulesSpec = {
    groupId: 'sg-app',
    ingress: [tcp(80, { sourceGroupId: 'sg-alb' }, 'HTTP from the load balancer')],
    egress: [tcp(443, { cidr: '0.0.0.0/0' }, 'HTTPS out'), tcp(3306, { sourceGroupId: 'sg-db' }, 'MySQL to the database')],
  };

  it('is attached to its group: found through desired.groupId, not its own tags', async () => {
    expect(securityGroupRulesKind.foundBySpec).toBe(true);
    ec2.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [{ GroupId: 'sg-app', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: 'sg-alb' }] }], IpPermissionsEgress: [] }],
    });
    const found = await securityGroupRulesKind.find(context('sg-app-rules', { recordedId: 'sg-recorded' }), desired);
    expect(inputs(DescribeSecurityGroupsCommand)).toEqual([{ GroupIds: ['sg-app'] }]);
    expect(found).toEqual({ id: 'sg-app', state: 'available', ingress: [{ protocol: 'tcp', fromPort: 80, toPort: 80, sourceGroupId: 'sg-alb', description: undefined }], egress: [] });
  });

  it.each<[string, SecurityGroupRulesSpec | undefined]>([
    ['the group id is not known yet', { ...desired, groupId: UNKNOWN }],
    ['there is no desired spec (teardown with a lost config)', undefined],
  ])('when %s, uses the recorded id', async (_what, d) => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-recorded', IpPermissions: [], IpPermissionsEgress: [] }] });
    expect((await securityGroupRulesKind.find(context('sg-app-rules', { recordedId: 'sg-recorded' }), d))?.id).toBe('sg-recorded');
    expect(inputs(DescribeSecurityGroupsCommand)).toEqual([{ GroupIds: ['sg-recorded'] }]);
  });

  it.each<[string, () => void, SecurityGroupRulesSpec, number]>([
    ['the group is gone', () => ec2.on(DescribeSecurityGroupsCommand).rejects(awsError('InvalidGroup.NotFound')), desired, 1],
    ['nothing names a group (id not known, none recorded)', () => undefined, { ...desired, groupId: UNKNOWN }, 0],
  ])('returns undefined when %s', async (_what, arrange, d, describes) => {
    arrange();
    expect(await securityGroupRulesKind.find(context('sg-app-rules'), d)).toBeUndefined();
    expect(ec2.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(describes);
  });

  it('create authorizes what is missing and revokes what is extra, as sets, and records the group id', async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [{
        GroupId: 'sg-app',
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
        // the allow-all egress (put back by hand) and one wanted rule already there
        IpPermissionsEgress: [ALL_OUT, { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'old words' }] }],
      }],
    });
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({});
    ec2.on(AuthorizeSecurityGroupEgressCommand).resolves({});
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({});
    ec2.on(RevokeSecurityGroupEgressCommand).resolves({});
    const ctx = context('sg-app-rules');
    const created = await securityGroupRulesKind.create(ctx, desired);
    expect(ctx.recordId).toHaveBeenCalledWith('sg-app');
    expect(inputs(AuthorizeSecurityGroupIngressCommand)).toEqual([{
      GroupId: 'sg-app',
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: 'sg-alb', Description: 'HTTP from the load balancer' }] }],
    }]);
    // 443 is there already (a different description is the same rule): only 3306 is authorized
    expect(inputs(AuthorizeSecurityGroupEgressCommand)).toEqual([{
      GroupId: 'sg-app',
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 3306, ToPort: 3306, UserIdGroupPairs: [{ GroupId: 'sg-db', Description: 'MySQL to the database' }] }],
    }]);
    expect(inputs(RevokeSecurityGroupIngressCommand)).toEqual([{
      GroupId: 'sg-app', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: undefined }] }],
    }]);
    expect(inputs(RevokeSecurityGroupEgressCommand)).toEqual([{
      GroupId: 'sg-app', IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0', Description: undefined }] }],
    }]);
    // what is wanted is authorized before what is extra is revoked
    expect(callNames().indexOf('AuthorizeSecurityGroupEgress')).toBeLessThan(callNames().indexOf('RevokeSecurityGroupEgress'));
    expect(created).toEqual({ id: 'sg-app', state: 'available', ingress: desired.ingress, egress: desired.egress });
  });

  it('the same source port and protocol from a CIDR and from a group are different rules', async () => {
    const have: SecurityGroupRulesActual = { id: 'sg-db', state: 'available', ingress: [tcp(3306, { cidr: '10.20.0.0/16' })], egress: [] };
    const want: SecurityGroupRulesSpec = { groupId: 'sg-db', ingress: [tcp(3306, { sourceGroupId: 'sg-app' })], egress: [] };
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({});
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({});
    await securityGroupRulesKind.update!(context('sg-db-rules'), want, have, securityGroupRulesKind.diff(want, have));
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)[0]!.args[0].input.IpPermissions![0]!.UserIdGroupPairs).toEqual([{ GroupId: 'sg-app', Description: undefined }]);
    expect(ec2.commandCalls(RevokeSecurityGroupIngressCommand)[0]!.args[0].input.IpPermissions![0]!.IpRanges).toEqual([{ CidrIp: '10.20.0.0/16', Description: undefined }]);
  });

  it('update with the rules as wanted makes no call', async () => {
    const have: SecurityGroupRulesActual = { id: 'sg-app', state: 'available', ingress: desired.ingress, egress: [...desired.egress].reverse() };
    expect(securityGroupRulesKind.diff(desired, have)).toEqual({ changes: [] });
    await securityGroupRulesKind.update!(context('sg-app-rules'), desired, have, { changes: [] });
    expect(ec2.calls()).toHaveLength(0);
  });

  it('diff names the ingress and egress rule sets that differ', () => {
    const have: SecurityGroupRulesActual = { id: 'sg-app', state: 'available', ingress: [], egress: desired.egress };
    expect(securityGroupRulesKind.diff(desired, have)).toEqual({ changes: [{ field: 'ingress', from: [], to: ['tcp 80-80 sg-alb'] }] });
  });

  it.each([
    ['revokes every rule', () => { ec2.on(RevokeSecurityGroupIngressCommand).resolves({}); ec2.on(RevokeSecurityGroupEgressCommand).resolves({}); }],
    ['a group already gone is success', () => ec2.on(RevokeSecurityGroupIngressCommand).rejects(awsError('InvalidGroup.NotFound'))],
  ])('delete %s', async (_what, arrange) => {
    arrange();
    const have: SecurityGroupRulesActual = { id: 'sg-app', state: 'available', ingress: desired.ingress, egress: desired.egress };
    await expect(securityGroupRulesKind.delete(context('sg-app-rules'), have)).resolves.toBeUndefined();
    expect(inputs(RevokeSecurityGroupIngressCommand)[0]).toMatchObject({ GroupId: 'sg-app' });
    expect(ec2.commandCalls(DeleteSecurityGroupCommand)).toHaveLength(0); // the group is its own step's
  });

  it('delete does not swallow another error', async () => {
    ec2.on(RevokeSecurityGroupIngressCommand).rejects(awsError('UnauthorizedOperation', 403));
    const have: SecurityGroupRulesActual = { id: 'sg-app', state: 'available', ingress: desired.ingress, egress: [] };
    await expect(securityGroupRulesKind.delete(context('sg-app-rules'), have)).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
  });
});

// ---------------------------------------------------------------------------------------------
describe('default security group (ec2:default-security-group)', () => {
  const ownTags = stackTags({ stack: 'blog', step: 'default-sg', role: 'default-sg' });
  const defaultGroup = (over: Partial<SecurityGroup> = {}): SecurityGroup => ({
    GroupId: 'sg-default', GroupName: 'default', Description: 'default VPC security group', VpcId: 'vpc-1',
    // as AWS makes it: all traffic from members of the group, all traffic out
    IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-default', UserId: '123456789012' }] }],
    IpPermissionsEgress: [ALL_OUT],
    Tags: [],
    ...over,
  });

  it('finds the VPC\'s default group by VPC and name', async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [defaultGroup()] });
    const found = await defaultSecurityGroupKind.find(context('default-sg'), { vpcId: 'vpc-1', tags: ownTags });
    expect(found?.id).toBe('sg-default');
    expect(inputs(DescribeSecurityGroupsCommand)).toEqual([{ Filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }, { Name: 'group-name', Values: ['default'] }] }]);
  });

  it('without a known VPC, finds it by the recorded id', async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [defaultGroup()] });
    expect((await defaultSecurityGroupKind.find(context('default-sg', { recordedId: 'sg-default' }), { vpcId: UNKNOWN, tags: ownTags }))?.id).toBe('sg-default');
    expect(inputs(DescribeSecurityGroupsCommand)).toEqual([{ GroupIds: ['sg-default'] }]);
  });

  it('"create" strips every rule (the self-reference in, the allow-all out), tags it, and records its id', async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [defaultGroup()] });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({});
    ec2.on(RevokeSecurityGroupEgressCommand).resolves({});
    ec2.on(CreateTagsCommand).resolves({});
    const ctx = context('default-sg');
    const result = await defaultSecurityGroupKind.create(ctx, { vpcId: 'vpc-1', tags: ownTags });
    expect(ctx.recordId).toHaveBeenCalledWith('sg-default');
    expect(inputs(RevokeSecurityGroupIngressCommand)).toEqual([{ GroupId: 'sg-default', IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-default', Description: undefined }] }] }]);
    expect(inputs(RevokeSecurityGroupEgressCommand)).toEqual([{ GroupId: 'sg-default', IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0', Description: undefined }] }] }]);
    expect(inputs(CreateTagsCommand)).toEqual([{ Resources: ['sg-default'], Tags: toTagList(ownTags) }]);
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)).toHaveLength(0);
    expect(ec2.commandCalls(AuthorizeSecurityGroupEgressCommand)).toHaveLength(0);
    expect(result).toMatchObject({ id: 'sg-default', ingress: [], egress: [], tags: ownTags });
    expect(defaultSecurityGroupKind.diff({ vpcId: 'vpc-1', tags: ownTags }, result)).toEqual({ changes: [] });
  });

  it('"create" fails with the VPC named when the default group cannot be found', async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    const ctx = context('default-sg');
    await expect(defaultSecurityGroupKind.create(ctx, { vpcId: 'vpc-1', tags: ownTags })).rejects.toThrow(/vpc-1/);
    expect(ctx.recordId).not.toHaveBeenCalled();
  });

  it('diff reports the rules still there and the tags missing', () => {
    const actual: SecurityGroupActual = {
      id: 'sg-default', vpcId: 'vpc-1', name: 'default', description: '', tags: {},
      ingress: [{ protocol: '-1', fromPort: -1, toPort: -1, sourceGroupId: 'sg-default' }], egress: [{ protocol: '-1', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' }],
    };
    const diff = defaultSecurityGroupKind.diff({ vpcId: 'vpc-1', tags: ownTags }, actual);
    expect(diff.changes.filter((c) => !c.field.startsWith('tags.'))).toEqual([
      { field: 'ingress', from: ['-1 -1--1 sg-default'], to: [] },
      { field: 'egress', from: ['-1 -1--1 0.0.0.0/0'], to: [] },
    ]);
    expect(diff.changes.filter((c) => c.field.startsWith('tags.')).map((c) => c.field).sort()).toEqual(Object.keys(ownTags).map((k) => `tags.${k}`).sort());
  });

  it('an already empty and tagged group needs no call', async () => {
    const actual: SecurityGroupActual = { id: 'sg-default', vpcId: 'vpc-1', name: 'default', description: '', tags: ownTags, ingress: [], egress: [] };
    await defaultSecurityGroupKind.update!(context('default-sg'), { vpcId: 'vpc-1', tags: ownTags }, actual, { changes: [] });
    expect(ec2.calls()).toHaveLength(0);
  });

  it('delete leaves it to go with its VPC: no call', async () => {
    await defaultSecurityGroupKind.delete(context('default-sg'), { id: 'sg-default', vpcId: 'vpc-1', name: 'default', description: '', tags: {}, ingress: [], egress: [] });
    expect(ec2.calls()).toHaveLength(0);
  });
});
