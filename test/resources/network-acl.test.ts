import {
  CreateNetworkAclCommand, CreateNetworkAclEntryCommand, CreateTagsCommand, DeleteNetworkAclCommand, DeleteNetworkAclEntryCommand,
  DescribeNetworkAclsCommand, EC2Client, ReplaceNetworkAclAssociationCommand, ReplaceNetworkAclEntryCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { stackTags, TAG_STACK, TAG_STEP, toTagList } from '../../src/aws/tags.js';
import { WpdeployError } from '../../src/errors.js';
import { networkAclKind, type AclRule, type NetworkAclActual, type NetworkAclSpec } from '../../src/resources/network-acl.js';
import { awsError } from './data-context.js';
import { ec2Context, type Ec2CtxOver } from './ec2-context.js';

const ec2 = mockClient(EC2Client);


let aws: AwsClients;
let log: string[];

const context = (over: Ec2CtxOver = {}) => ec2Context(aws, 'nacl-data', { role: 'data', log }, over);

const ownTags = stackTags({ stack: 'blog', step: 'nacl-data', role: 'data' });
const VPC = '10.20.0.0/16';
const rule = (ruleNumber: number, egress: boolean, cidr: string, port: number, toPort = port): AclRule =>
  ({ ruleNumber, egress, protocol: '6', cidr, fromPort: port, toPort, action: 'allow' });
const mysqlIn = rule(100, false, VPC, 3306);
const answersOut = rule(100, true, VPC, 1024, 65535);

/** The two deny-all entries every ACL carries (rule 32767), which wpdeploy neither reads nor touches. */
const DEFAULT_ENTRIES = [
  { RuleNumber: 32767, Egress: false, Protocol: '-1', CidrBlock: '0.0.0.0/0', RuleAction: 'deny' as const },
  { RuleNumber: 32767, Egress: true, Protocol: '-1', CidrBlock: '0.0.0.0/0', RuleAction: 'deny' as const },
];

/** Every EC2 call in order, by command name. */
const callNames = () => ec2.calls().map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''));

/** DescribeNetworkAcls by `association.subnet-id`: the ACL holding each subnet; by `default`: the default ACL. */
function describeAcls(holders: Record<string, { acl: string; association: string }>, defaultAcl = 'acl-default') {
  ec2.on(DescribeNetworkAclsCommand).callsFake(async (input: { Filters?: Array<{ Name?: string; Values?: string[] }> }) => {
    const bySubnet = input.Filters?.find((f) => f.Name === 'association.subnet-id');
    if (bySubnet) {
      const s = bySubnet.Values![0]!;
      const h = holders[s];
      return { NetworkAcls: h ? [{ NetworkAclId: h.acl, Associations: [{ NetworkAclAssociationId: h.association, NetworkAclId: h.acl, SubnetId: s }] }] : [] };
    }
    if (input.Filters?.some((f) => f.Name === 'default')) return { NetworkAcls: [{ NetworkAclId: defaultAcl, IsDefault: true }] };
    throw new Error(`unexpected DescribeNetworkAcls ${JSON.stringify(input)}`);
  });
}

const desired: NetworkAclSpec = { vpcId: 'vpc-1', rules: [mysqlIn, answersOut], subnetIds: ['subnet-data-a', 'subnet-data-b'], tags: ownTags };
const actual: NetworkAclActual = { id: 'acl-1', state: 'available', vpcId: 'vpc-1', rules: [mysqlIn, answersOut], subnetIds: ['subnet-data-a', 'subnet-data-b'], tags: ownTags };

beforeEach(() => {
  ec2.reset();
  aws = new AwsClients({ region: 'us-east-1', local: true });
  log = [];
});
afterEach(() => aws.destroy());

describe('network acl find', () => {
  it('reads the numbered rules (not the deny-all defaults) and the associated subnets', async () => {
    ec2.on(DescribeNetworkAclsCommand, { NetworkAclIds: ['acl-rec'] }).resolves({
      NetworkAcls: [{
        NetworkAclId: 'acl-rec', VpcId: 'vpc-1', IsDefault: false, Tags: toTagList(ownTags),
        Entries: [
          ...DEFAULT_ENTRIES,
          { RuleNumber: 100, Egress: false, Protocol: '6', CidrBlock: VPC, PortRange: { From: 3306, To: 3306 }, RuleAction: 'allow' },
          { RuleNumber: 100, Egress: true, Protocol: '6', CidrBlock: VPC, PortRange: { From: 1024, To: 65535 }, RuleAction: 'allow' },
          { RuleNumber: 200, Egress: false, Protocol: '-1', CidrBlock: '198.51.100.0/24', RuleAction: 'deny' },
        ],
        Associations: [
          { NetworkAclAssociationId: 'aclassoc-a', NetworkAclId: 'acl-rec', SubnetId: 'subnet-data-a' },
          { NetworkAclAssociationId: 'aclassoc-b', NetworkAclId: 'acl-rec', SubnetId: 'subnet-data-b' },
        ],
      }],
    });
    expect(await networkAclKind.find(context({ recordedId: 'acl-rec' }))).toEqual({
      id: 'acl-rec', state: 'available', vpcId: 'vpc-1',
      rules: [mysqlIn, answersOut, { ruleNumber: 200, egress: false, protocol: '-1', cidr: '198.51.100.0/24', action: 'deny' }],
      subnetIds: ['subnet-data-a', 'subnet-data-b'],
      tags: ownTags,
    });
  });

  it('a recorded id that is not found falls back to the tags; none is undefined', async () => {
    ec2.on(DescribeNetworkAclsCommand).resolves({ NetworkAcls: [] });
    ec2.on(DescribeNetworkAclsCommand, { NetworkAclIds: ['acl-gone'] }).rejects(awsError('InvalidNetworkAclID.NotFound'));
    expect(await networkAclKind.find(context({ recordedId: 'acl-gone' }))).toBeUndefined();
    expect(ec2.commandCalls(DescribeNetworkAclsCommand)[1]!.args[0].input.Filters).toEqual([
      { Name: `tag:${TAG_STACK}`, Values: ['blog'] },
      { Name: `tag:${TAG_STEP}`, Values: ['nacl-data'] },
    ]);
  });
});

describe('network acl create', () => {
  it('creates it tagged, records the id, creates every entry, and moves each subnet over from the ACL holding it', async () => {
    ec2.on(CreateNetworkAclCommand).callsFake(async () => { log.push('CreateNetworkAcl'); return { NetworkAcl: { NetworkAclId: 'acl-new', VpcId: 'vpc-1' } }; });
    ec2.on(CreateNetworkAclEntryCommand).callsFake(async () => { log.push('CreateNetworkAclEntry'); return {}; });
    ec2.on(ReplaceNetworkAclAssociationCommand).callsFake(async () => ({ NewAssociationId: 'aclassoc-new' }));
    describeAcls({
      'subnet-data-a': { acl: 'acl-default', association: 'aclassoc-a' },
      'subnet-data-b': { acl: 'acl-default', association: 'aclassoc-b' },
    });
    const ctx = context();
    const created = await networkAclKind.create(ctx, desired);
    expect(ec2.commandCalls(CreateNetworkAclCommand).map((c) => c.args[0].input)).toEqual([
      { VpcId: 'vpc-1', TagSpecifications: [{ ResourceType: 'network-acl', Tags: toTagList(ownTags) }], ClientToken: 'token-nacl-data' },
    ]);
    expect(log.slice(0, 3)).toEqual(['CreateNetworkAcl', 'recordId:acl-new', 'CreateNetworkAclEntry']);
    expect(ec2.commandCalls(CreateNetworkAclEntryCommand).map((c) => c.args[0].input)).toEqual([
      { NetworkAclId: 'acl-new', RuleNumber: 100, Egress: false, Protocol: '6', CidrBlock: VPC, RuleAction: 'allow', PortRange: { From: 3306, To: 3306 } },
      { NetworkAclId: 'acl-new', RuleNumber: 100, Egress: true, Protocol: '6', CidrBlock: VPC, RuleAction: 'allow', PortRange: { From: 1024, To: 65535 } },
    ]);
    expect(ec2.commandCalls(ReplaceNetworkAclAssociationCommand).map((c) => c.args[0].input)).toEqual([
      { AssociationId: 'aclassoc-a', NetworkAclId: 'acl-new' },
      { AssociationId: 'aclassoc-b', NetworkAclId: 'acl-new' },
    ]);
    // a new ACL denies everything: its entries exist before any subnet is moved into it
    expect(callNames().lastIndexOf('CreateNetworkAclEntry')).toBeLessThan(callNames().indexOf('ReplaceNetworkAclAssociation'));
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);
    expect(created).toMatchObject({ id: 'acl-new', vpcId: 'vpc-1', rules: desired.rules, subnetIds: ['subnet-data-a', 'subnet-data-b'] });
  });

  it('an entry for all protocols is sent without a port range', async () => {
    ec2.on(CreateNetworkAclCommand).resolves({ NetworkAcl: { NetworkAclId: 'acl-new' } });
    ec2.on(CreateNetworkAclEntryCommand).resolves({});
    await networkAclKind.create(context(), { ...desired, subnetIds: [], rules: [{ ruleNumber: 90, egress: false, protocol: '-1', cidr: '198.51.100.0/24', action: 'deny' }] });
    expect(ec2.commandCalls(CreateNetworkAclEntryCommand)[0]!.args[0].input).toEqual({
      NetworkAclId: 'acl-new', RuleNumber: 90, Egress: false, Protocol: '-1', CidrBlock: '198.51.100.0/24', RuleAction: 'deny', PortRange: undefined,
    });
  });
});

describe('network acl diff', () => {
  it.each<[string, Partial<NetworkAclSpec>, Partial<NetworkAclActual>, Array<{ field: string; from: unknown; to: unknown }>]>([
    ['nothing differs', {}, {}, []],
    ['a rule missing', {}, { rules: [answersOut] }, [{ field: 'rules.ingress.100', from: undefined, to: 'allow tcp 3306-3306 10.20.0.0/16' }]],
    ['a rule with another CIDR', { rules: [{ ...mysqlIn, cidr: '10.20.64.0/20' }, answersOut] }, {},
      [{ field: 'rules.ingress.100', from: 'allow tcp 3306-3306 10.20.0.0/16', to: 'allow tcp 3306-3306 10.20.64.0/20' }]],
    ['a rule with another action', { rules: [mysqlIn, { ...answersOut, action: 'deny' }] }, {},
      [{ field: 'rules.egress.100', from: 'allow tcp 1024-65535 10.20.0.0/16', to: 'deny tcp 1024-65535 10.20.0.0/16' }]],
    ['an extra rule', {}, { rules: [mysqlIn, answersOut, rule(110, false, '0.0.0.0/0', 22)] }, [{ field: 'rules.ingress.110', from: 'allow tcp 22-22 0.0.0.0/0', to: undefined }]],
    ['a subnet to associate', { subnetIds: ['subnet-data-a', 'subnet-data-b', 'subnet-data-c'] }, {},
      [{ field: 'subnets', from: ['subnet-data-a', 'subnet-data-b'], to: ['subnet-data-a', 'subnet-data-b', 'subnet-data-c'] }]],
    ['a tag missing', { tags: { ...ownTags, team: 'web' } }, {}, [{ field: 'tags.team', from: undefined, to: 'web' }]],
  ])('%s', (_what, d, a, changes) => {
    const diff = networkAclKind.diff({ ...desired, ...d }, { ...actual, ...a });
    expect(diff.changes).toEqual(changes);
    expect(diff.replace).toBeUndefined();
  });

  it('ingress and egress rules of the same number are different rules', () => {
    const diff = networkAclKind.diff({ ...desired, rules: [mysqlIn] }, actual);
    expect(diff.changes).toEqual([{ field: 'rules.egress.100', from: 'allow tcp 1024-65535 10.20.0.0/16', to: undefined }]);
  });

  it('another VPC means replacement', () => {
    expect(networkAclKind.diff({ ...desired, vpcId: 'vpc-2' }, actual).replace).toBeTruthy();
  });
});

describe('network acl update', () => {
  it('creates, replaces and deletes entries by rule number, leaving equal ones alone', async () => {
    ec2.on(CreateNetworkAclEntryCommand).resolves({});
    ec2.on(ReplaceNetworkAclEntryCommand).resolves({});
    ec2.on(DeleteNetworkAclEntryCommand).resolves({});
    const have: NetworkAclActual = { ...actual, rules: [mysqlIn, answersOut, rule(110, false, '0.0.0.0/0', 22), rule(120, false, VPC, 8080)] };
    const want: NetworkAclSpec = { ...desired, rules: [mysqlIn, { ...answersOut, cidr: '10.20.64.0/20' }, rule(120, false, VPC, 8443), rule(130, false, VPC, 5432)] };
    const updated = await networkAclKind.update!(context(), want, have, networkAclKind.diff(want, have));
    expect(ec2.commandCalls(CreateNetworkAclEntryCommand).map((c) => c.args[0].input)).toEqual([
      { NetworkAclId: 'acl-1', RuleNumber: 130, Egress: false, Protocol: '6', CidrBlock: VPC, RuleAction: 'allow', PortRange: { From: 5432, To: 5432 } },
    ]);
    expect(ec2.commandCalls(ReplaceNetworkAclEntryCommand).map((c) => c.args[0].input)).toEqual([
      { NetworkAclId: 'acl-1', RuleNumber: 100, Egress: true, Protocol: '6', CidrBlock: '10.20.64.0/20', RuleAction: 'allow', PortRange: { From: 1024, To: 65535 } },
      { NetworkAclId: 'acl-1', RuleNumber: 120, Egress: false, Protocol: '6', CidrBlock: VPC, RuleAction: 'allow', PortRange: { From: 8443, To: 8443 } },
    ]);
    expect(ec2.commandCalls(DeleteNetworkAclEntryCommand).map((c) => c.args[0].input)).toEqual([{ NetworkAclId: 'acl-1', RuleNumber: 110, Egress: false }]);
    expect(ec2.commandCalls(DescribeNetworkAclsCommand)).toHaveLength(0); // no subnet to move
    expect(updated.rules).toEqual(want.rules);
  });

  it('moves a new subnet over from the ACL holding it with ReplaceNetworkAclAssociation', async () => {
    ec2.on(ReplaceNetworkAclAssociationCommand).resolves({ NewAssociationId: 'aclassoc-new' });
    describeAcls({ 'subnet-data-c': { acl: 'acl-other', association: 'aclassoc-c' } });
    const want = { ...desired, subnetIds: [...desired.subnetIds, 'subnet-data-c'] };
    const updated = await networkAclKind.update!(context(), want, actual, networkAclKind.diff(want, actual));
    expect(callNames()).toEqual(['DescribeNetworkAcls', 'ReplaceNetworkAclAssociation']);
    expect(ec2.commandCalls(DescribeNetworkAclsCommand)[0]!.args[0].input).toEqual({ Filters: [{ Name: 'association.subnet-id', Values: ['subnet-data-c'] }] });
    expect(ec2.commandCalls(ReplaceNetworkAclAssociationCommand)[0]!.args[0].input).toEqual({ AssociationId: 'aclassoc-c', NetworkAclId: 'acl-1' });
    expect(updated.subnetIds).toEqual(['subnet-data-a', 'subnet-data-b', 'subnet-data-c']);
  });

  it('a subnet already in this ACL is not moved again', async () => {
    describeAcls({ 'subnet-data-c': { acl: 'acl-1', association: 'aclassoc-c' } });
    const want = { ...desired, subnetIds: [...desired.subnetIds, 'subnet-data-c'] };
    await networkAclKind.update!(context(), want, actual, networkAclKind.diff(want, actual));
    expect(ec2.commandCalls(ReplaceNetworkAclAssociationCommand)).toHaveLength(0);
  });

  it('sets only the missing tags', async () => {
    ec2.on(CreateTagsCommand).resolves({});
    const want = { ...desired, tags: { ...ownTags, team: 'web' } };
    await networkAclKind.update!(context(), want, actual, networkAclKind.diff(want, actual));
    expect(callNames()).toEqual(['CreateTags']);
    expect(ec2.commandCalls(CreateTagsCommand)[0]!.args[0].input).toEqual({ Resources: ['acl-1'], Tags: [{ Key: 'team', Value: 'web' }] });
  });
});

describe('network acl delete', () => {
  it('moves its subnets back to the VPC\'s default ACL first, then deletes it', async () => {
    ec2.on(ReplaceNetworkAclAssociationCommand).resolves({ NewAssociationId: 'aclassoc-back' });
    ec2.on(DeleteNetworkAclCommand).resolves({});
    describeAcls({
      'subnet-data-a': { acl: 'acl-1', association: 'aclassoc-a' },
      'subnet-data-b': { acl: 'acl-1', association: 'aclassoc-b' },
    });
    await networkAclKind.delete(context(), actual);
    expect(ec2.commandCalls(DescribeNetworkAclsCommand)[0]!.args[0].input).toEqual({
      Filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }, { Name: 'default', Values: ['true'] }],
    });
    expect(ec2.commandCalls(ReplaceNetworkAclAssociationCommand).map((c) => c.args[0].input)).toEqual([
      { AssociationId: 'aclassoc-a', NetworkAclId: 'acl-default' },
      { AssociationId: 'aclassoc-b', NetworkAclId: 'acl-default' },
    ]);
    expect(callNames().at(-1)).toBe('DeleteNetworkAcl');
    expect(callNames().filter((n) => n === 'DeleteNetworkAcl')).toHaveLength(1);
    expect(ec2.commandCalls(DeleteNetworkAclCommand)[0]!.args[0].input).toEqual({ NetworkAclId: 'acl-1' });
  });

  it('an ACL with no subnets is only deleted', async () => {
    ec2.on(DeleteNetworkAclCommand).resolves({});
    await networkAclKind.delete(context(), { ...actual, subnetIds: [] });
    expect(callNames()).toEqual(['DeleteNetworkAcl']);
  });

  it.each([
    ['already gone', () => ec2.on(DeleteNetworkAclCommand).rejects(awsError('InvalidNetworkAclID.NotFound')), 1],
    ['a DependencyViolation, then success', () => ec2.on(DeleteNetworkAclCommand).rejectsOnce(awsError('DependencyViolation')).resolves({}), 2],
  ])('%s is success', async (_what, arrange, attempts) => {
    arrange();
    await expect(networkAclKind.delete(context(), { ...actual, subnetIds: [] })).resolves.toBeUndefined();
    expect(ec2.commandCalls(DeleteNetworkAclCommand)).toHaveLength(attempts);
  });

  it('a DependencyViolation that never clears is reported naming the ACL', async () => {
    ec2.on(DeleteNetworkAclCommand).rejects(awsError('DependencyViolation'));
    const err = await networkAclKind.delete(context(), { ...actual, subnetIds: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    expect((err as WpdeployError).message).toContain('acl-1');
  });
});

describe('network acl outputs', () => {
  it('the id', () => {
    expect(networkAclKind.outputs(actual)).toEqual({ networkAclId: 'acl-1' });
  });
});
