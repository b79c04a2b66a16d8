import {
  AssociateRouteTableCommand, CreateRouteCommand, CreateRouteTableCommand, CreateTagsCommand, DeleteRouteCommand, DeleteRouteTableCommand,
  DescribeRouteTablesCommand, DisassociateRouteTableCommand, EC2Client, ReplaceRouteCommand, ReplaceRouteTableAssociationCommand, type RouteTable,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { stackTags, TAG_STACK, TAG_STEP, toTagList } from '../../src/aws/tags.js';
import { WpdeployError } from '../../src/errors.js';
import { routeTableKind, type RouteTableActual, type RouteTableSpec } from '../../src/resources/route-table.js';
import { awsError } from './data-context.js';
import { ec2Context, type Ec2CtxOver } from './ec2-context.js';

const ec2 = mockClient(EC2Client);


let aws: AwsClients;
let log: string[];

const context = (over: Ec2CtxOver = {}) => ec2Context(aws, 'rt-app-a', { role: 'app-a', log }, over);

const ownTags = stackTags({ stack: 'blog', step: 'rt-app-a', role: 'app-a' });
const LOCAL = { DestinationCidrBlock: '10.20.0.0/16', GatewayId: 'local', Origin: 'CreateRouteTable' as const, State: 'active' as const };

/** As DescribeRouteTables returns it: the local route, the given routes, the given associations. */
const table = (id: string, over: Partial<RouteTable> = {}): RouteTable => ({
  RouteTableId: id,
  VpcId: 'vpc-1',
  Routes: [LOCAL],
  Associations: [],
  Tags: toTagList(ownTags),
  ...over,
});

/** Every EC2 call in order, by command name. */
const callNames = () => ec2.calls().map((c) => (c.args[0] as object).constructor.name.replace(/Command$/, ''));

/**
 * DescribeRouteTables: by filter `association.subnet-id`, the table holding each subnet (from `holders`),
 * by id, the table as converged (`after`).
 */
function describeTables(holders: Record<string, { table: string; association: string }>, after: RouteTable) {
  ec2.on(DescribeRouteTablesCommand).callsFake(async (input: { Filters?: Array<{ Name?: string; Values?: string[] }>; RouteTableIds?: string[] }) => {
    const bySubnet = input.Filters?.find((f) => f.Name === 'association.subnet-id');
    if (bySubnet) {
      const s = bySubnet.Values![0]!;
      const h = holders[s];
      return { RouteTables: h ? [table(h.table, { Associations: [{ RouteTableAssociationId: h.association, RouteTableId: h.table, SubnetId: s, Main: false }] })] : [] };
    }
    if (input.RouteTableIds) return { RouteTables: [after] };
    throw new Error(`unexpected DescribeRouteTables ${JSON.stringify(input)}`);
  });
}

const desired: RouteTableSpec = { vpcId: 'vpc-1', routes: [{ destination: '0.0.0.0/0', natGatewayId: 'nat-a' }], subnetIds: ['subnet-app-a'], tags: ownTags };
const actual: RouteTableActual = {
  id: 'rtb-1', state: 'available', vpcId: 'vpc-1', routes: [{ destination: '0.0.0.0/0', natGatewayId: 'nat-a' }],
  associations: [{ id: 'rtbassoc-1', subnetId: 'subnet-app-a' }], tags: ownTags,
};

beforeEach(() => {
  ec2.reset();
  aws = new AwsClients({ region: 'us-east-1', local: true });
  log = [];
});
afterEach(() => aws.destroy());

describe('route table find', () => {
  it('reads routes and explicit associations, leaving out the local route and the main association', async () => {
    ec2.on(DescribeRouteTablesCommand, { RouteTableIds: ['rtb-rec'] }).resolves({
      RouteTables: [table('rtb-rec', {
        Routes: [
          LOCAL,
          { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-a', Origin: 'CreateRoute', State: 'active' },
          { DestinationCidrBlock: '192.168.0.0/16', GatewayId: 'igw-1', Origin: 'CreateRoute', State: 'active' },
          { DestinationPrefixListId: 'pl-s3', GatewayId: 'vpce-1', Origin: 'CreateRoute', State: 'active' },
        ],
        Associations: [
          { RouteTableAssociationId: 'rtbassoc-main', Main: true },
          { RouteTableAssociationId: 'rtbassoc-1', SubnetId: 'subnet-app-a', Main: false },
        ],
      })],
    });
    expect(await routeTableKind.find(context({ recordedId: 'rtb-rec' }))).toEqual({
      id: 'rtb-rec', state: 'available', vpcId: 'vpc-1',
      routes: [{ destination: '0.0.0.0/0', natGatewayId: 'nat-a' }, { destination: '192.168.0.0/16', gatewayId: 'igw-1' }],
      associations: [{ id: 'rtbassoc-1', subnetId: 'subnet-app-a' }],
      tags: ownTags,
    });
  });

  it.each([
    ['not found', () => ec2.on(DescribeRouteTablesCommand, { RouteTableIds: ['rtb-gone'] }).rejects(awsError('InvalidRouteTableID.NotFound'))],
    ['empty', () => ec2.on(DescribeRouteTablesCommand, { RouteTableIds: ['rtb-gone'] }).resolves({ RouteTables: [] })],
  ])('a recorded id that is %s falls back to the tags', async (_what, arrange) => {
    ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: [table('rtb-tag')] });
    arrange();
    expect((await routeTableKind.find(context({ recordedId: 'rtb-gone' })))?.id).toBe('rtb-tag');
    expect(ec2.commandCalls(DescribeRouteTablesCommand)[1]!.args[0].input.Filters).toEqual([
      { Name: `tag:${TAG_STACK}`, Values: ['blog'] },
      { Name: `tag:${TAG_STEP}`, Values: ['rt-app-a'] },
    ]);
  });

  it('returns undefined when none exists', async () => {
    ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: [] });
    expect(await routeTableKind.find(context())).toBeUndefined();
  });
});

describe('route table create', () => {
  const want: RouteTableSpec = {
    vpcId: 'vpc-1',
    routes: [{ destination: '0.0.0.0/0', gatewayId: 'igw-1' }],
    subnetIds: ['subnet-pub-a', 'subnet-pub-b'],
    tags: ownTags,
  };

  it('creates the table tagged, records its id, then makes its routes and associations', async () => {
    ec2.on(CreateRouteTableCommand).callsFake(async () => { log.push('CreateRouteTable'); return { RouteTable: table('rtb-new') }; });
    ec2.on(CreateRouteCommand).callsFake(async () => { log.push('CreateRoute'); return { Return: true }; });
    ec2.on(AssociateRouteTableCommand).callsFake(async (i: { SubnetId: string }) => ({ AssociationId: `rtbassoc-${i.SubnetId}` }));
    ec2.on(ReplaceRouteTableAssociationCommand).resolves({ NewAssociationId: 'rtbassoc-moved' });
    const after = table('rtb-new', {
      Routes: [LOCAL, { DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-1', Origin: 'CreateRoute', State: 'active' }],
      Associations: [
        { RouteTableAssociationId: 'rtbassoc-subnet-pub-a', SubnetId: 'subnet-pub-a' },
        { RouteTableAssociationId: 'rtbassoc-moved', SubnetId: 'subnet-pub-b' },
      ],
    });
    // subnet-pub-a uses the main table (no explicit association); subnet-pub-b is held by a table of an older run
    describeTables({ 'subnet-pub-b': { table: 'rtb-old', association: 'rtbassoc-old' } }, after);

    const ctx = context();
    const created = await routeTableKind.create(ctx, want);

    expect(ec2.commandCalls(CreateRouteTableCommand).map((c) => c.args[0].input)).toEqual([
      { VpcId: 'vpc-1', TagSpecifications: [{ ResourceType: 'route-table', Tags: toTagList(ownTags) }], ClientToken: 'token-rt-app-a' },
    ]);
    expect(log.slice(0, 3)).toEqual(['CreateRouteTable', 'recordId:rtb-new', 'CreateRoute']);
    expect(ec2.commandCalls(CreateRouteCommand).map((c) => c.args[0].input)).toEqual([
      { RouteTableId: 'rtb-new', DestinationCidrBlock: '0.0.0.0/0', GatewayId: 'igw-1', NatGatewayId: undefined },
    ]);
    expect(ec2.commandCalls(AssociateRouteTableCommand).map((c) => c.args[0].input)).toEqual([{ RouteTableId: 'rtb-new', SubnetId: 'subnet-pub-a' }]);
    expect(ec2.commandCalls(ReplaceRouteTableAssociationCommand).map((c) => c.args[0].input)).toEqual([{ AssociationId: 'rtbassoc-old', RouteTableId: 'rtb-new' }]);
    // subnets move in only once the table has its default route
    expect(callNames().indexOf('CreateRoute')).toBeLessThan(callNames().indexOf('AssociateRouteTable'));
    expect(callNames().indexOf('CreateRoute')).toBeLessThan(callNames().indexOf('ReplaceRouteTableAssociation'));
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);
    expect(created).toEqual({
      id: 'rtb-new', state: 'available', vpcId: 'vpc-1', routes: [{ destination: '0.0.0.0/0', gatewayId: 'igw-1' }],
      associations: [{ id: 'rtbassoc-subnet-pub-a', subnetId: 'subnet-pub-a' }, { id: 'rtbassoc-moved', subnetId: 'subnet-pub-b' }],
      tags: ownTags,
    });
  });

  it('a table with no routes (the data tier) only gets its associations', async () => {
    ec2.on(CreateRouteTableCommand).resolves({ RouteTable: table('rtb-new') });
    ec2.on(AssociateRouteTableCommand).resolves({ AssociationId: 'rtbassoc-x' });
    describeTables({}, table('rtb-new'));
    await routeTableKind.create(context(), { ...want, routes: [], subnetIds: ['subnet-data-a'] });
    expect(ec2.commandCalls(CreateRouteCommand)).toHaveLength(0);
    expect(ec2.commandCalls(AssociateRouteTableCommand)).toHaveLength(1);
  });
});

describe('route table diff', () => {
  it.each<[string, Partial<RouteTableSpec>, Partial<RouteTableActual>, Array<{ field: string; from: unknown; to: unknown }>]>([
    ['nothing differs', {}, {}, []],
    ['the NAT gateway target changed', { routes: [{ destination: '0.0.0.0/0', natGatewayId: 'nat-b' }] }, {}, [{ field: 'routes.0.0.0.0/0', from: 'nat-a', to: 'nat-b' }]],
    ['a route from a NAT to the internet gateway', { routes: [{ destination: '0.0.0.0/0', gatewayId: 'igw-1' }] }, {}, [{ field: 'routes.0.0.0.0/0', from: 'nat-a', to: 'igw-1' }]],
    ['a route missing', {}, { routes: [] }, [{ field: 'routes.0.0.0.0/0', from: undefined, to: 'nat-a' }]],
    ['an extra route', {}, { routes: [{ destination: '0.0.0.0/0', natGatewayId: 'nat-a' }, { destination: '172.16.0.0/12', gatewayId: 'pcx-1' }] }, [{ field: 'routes.172.16.0.0/12', from: 'pcx-1', to: undefined }]],
    ['a subnet to associate', { subnetIds: ['subnet-app-a', 'subnet-app-b'] }, {}, [{ field: 'subnets', from: ['subnet-app-a'], to: ['subnet-app-a', 'subnet-app-b'] }]],
    ['a subnet to let go', { subnetIds: [] }, {}, [{ field: 'subnets', from: ['subnet-app-a'], to: [] }]],
    ['a tag missing', { tags: { ...ownTags, team: 'web' } }, {}, [{ field: 'tags.team', from: undefined, to: 'web' }]],
  ])('%s', (_what, d, a, changes) => {
    const diff = routeTableKind.diff({ ...desired, ...d }, { ...actual, ...a });
    expect(diff.changes).toEqual(changes);
    expect(diff.replace).toBeUndefined();
  });

  it('another VPC means replacement', () => {
    const diff = routeTableKind.diff({ ...desired, vpcId: 'vpc-2' }, actual);
    expect(diff.replace).toBeTruthy();
    expect(diff.changes[0]).toEqual({ field: 'vpcId', from: 'vpc-1', to: 'vpc-2' });
  });
});

describe('route table update', () => {
  it('replaces a changed target in place (never delete then create), creates missing routes, deletes extra ones', async () => {
    for (const C of [CreateRouteCommand, ReplaceRouteCommand, DeleteRouteCommand]) ec2.on(C).resolves({});
    describeTables({}, table('rtb-1'));
    const have: RouteTableActual = {
      ...actual,
      routes: [{ destination: '0.0.0.0/0', natGatewayId: 'nat-a' }, { destination: '172.16.0.0/12', gatewayId: 'pcx-1' }],
    };
    const want: RouteTableSpec = {
      ...desired,
      routes: [{ destination: '0.0.0.0/0', natGatewayId: 'nat-b' }, { destination: '192.168.0.0/16', gatewayId: 'igw-1' }],
    };
    await routeTableKind.update!(context(), want, have, routeTableKind.diff(want, have));
    expect(ec2.commandCalls(ReplaceRouteCommand).map((c) => c.args[0].input)).toEqual([
      { RouteTableId: 'rtb-1', DestinationCidrBlock: '0.0.0.0/0', GatewayId: undefined, NatGatewayId: 'nat-b' },
    ]);
    expect(ec2.commandCalls(CreateRouteCommand).map((c) => c.args[0].input)).toEqual([
      { RouteTableId: 'rtb-1', DestinationCidrBlock: '192.168.0.0/16', GatewayId: 'igw-1', NatGatewayId: undefined },
    ]);
    expect(ec2.commandCalls(DeleteRouteCommand).map((c) => c.args[0].input)).toEqual([{ RouteTableId: 'rtb-1', DestinationCidrBlock: '172.16.0.0/12' }]);
    // the default route is never without a target
    expect(ec2.commandCalls(DeleteRouteCommand).some((c) => c.args[0].input.DestinationCidrBlock === '0.0.0.0/0')).toBe(false);
    expect(ec2.commandCalls(AssociateRouteTableCommand)).toHaveLength(0);
  });

  it('moves a subnet over from another table with ReplaceRouteTableAssociation, and lets go of a subnet no longer wanted', async () => {
    ec2.on(ReplaceRouteTableAssociationCommand).resolves({ NewAssociationId: 'rtbassoc-new' });
    ec2.on(DisassociateRouteTableCommand).resolves({});
    describeTables({ 'subnet-app-b': { table: 'rtb-other', association: 'rtbassoc-other' } }, table('rtb-1'));
    const want: RouteTableSpec = { ...desired, subnetIds: ['subnet-app-b'] };
    await routeTableKind.update!(context(), want, actual, routeTableKind.diff(want, actual));
    expect(ec2.commandCalls(ReplaceRouteTableAssociationCommand).map((c) => c.args[0].input)).toEqual([{ AssociationId: 'rtbassoc-other', RouteTableId: 'rtb-1' }]);
    expect(ec2.commandCalls(AssociateRouteTableCommand)).toHaveLength(0);
    expect(ec2.commandCalls(DisassociateRouteTableCommand).map((c) => c.args[0].input)).toEqual([{ AssociationId: 'rtbassoc-1' }]);
    expect(ec2.commandCalls(CreateRouteCommand)).toHaveLength(0);
    expect(ec2.commandCalls(ReplaceRouteCommand)).toHaveLength(0);
  });

  it('sets missing tags, and returns the table as AWS now reports it', async () => {
    ec2.on(CreateTagsCommand).resolves({});
    const after = table('rtb-1', {
      Routes: [LOCAL, { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-a', Origin: 'CreateRoute', State: 'active' }],
      Associations: [{ RouteTableAssociationId: 'rtbassoc-1', SubnetId: 'subnet-app-a' }],
      Tags: toTagList({ ...ownTags, team: 'web' }),
    });
    describeTables({}, after);
    const want = { ...desired, tags: { ...ownTags, team: 'web' } };
    const updated = await routeTableKind.update!(context(), want, actual, routeTableKind.diff(want, actual));
    expect(callNames()).toEqual(['CreateTags', 'DescribeRouteTables']);
    expect(ec2.commandCalls(CreateTagsCommand)[0]!.args[0].input).toEqual({ Resources: ['rtb-1'], Tags: [{ Key: 'team', Value: 'web' }] });
    expect(updated.tags.team).toBe('web');
    expect(routeTableKind.diff(want, updated)).toEqual({ changes: [] });
  });
});

describe('route table delete', () => {
  const two: RouteTableActual = { ...actual, associations: [{ id: 'rtbassoc-1', subnetId: 'subnet-a' }, { id: 'rtbassoc-2', subnetId: 'subnet-b' }] };

  it('disassociates every subnet, then deletes the table', async () => {
    ec2.on(DisassociateRouteTableCommand).resolves({});
    ec2.on(DeleteRouteTableCommand).resolves({});
    await routeTableKind.delete(context(), two);
    expect(callNames()).toEqual(['DisassociateRouteTable', 'DisassociateRouteTable', 'DeleteRouteTable']);
    expect(ec2.commandCalls(DisassociateRouteTableCommand).map((c) => c.args[0].input.AssociationId)).toEqual(['rtbassoc-1', 'rtbassoc-2']);
    expect(ec2.commandCalls(DeleteRouteTableCommand)[0]!.args[0].input).toEqual({ RouteTableId: 'rtb-1' });
  });

  it.each([
    ['an association already gone', () => {
      ec2.on(DisassociateRouteTableCommand).rejectsOnce(awsError('InvalidAssociationID.NotFound')).resolves({});
      ec2.on(DeleteRouteTableCommand).resolves({});
    }, 1],
    ['the table already gone', () => {
      ec2.on(DisassociateRouteTableCommand).rejects(awsError('InvalidAssociationID.NotFound'));
      ec2.on(DeleteRouteTableCommand).rejects(awsError('InvalidRouteTableID.NotFound'));
    }, 1],
    ['a DependencyViolation then success', () => {
      ec2.on(DisassociateRouteTableCommand).resolves({});
      ec2.on(DeleteRouteTableCommand).rejectsOnce(awsError('DependencyViolation')).resolves({});
    }, 2],
  ])('%s is success', async (_what, arrange, deletes) => {
    arrange();
    await expect(routeTableKind.delete(context(), two)).resolves.toBeUndefined();
    expect(ec2.commandCalls(DisassociateRouteTableCommand)).toHaveLength(2);
    expect(ec2.commandCalls(DeleteRouteTableCommand)).toHaveLength(deletes);
  });

  it('a DependencyViolation that never clears is reported naming the table', async () => {
    ec2.on(DeleteRouteTableCommand).rejects(awsError('DependencyViolation'));
    const err = await routeTableKind.delete(context(), { ...actual, associations: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    expect((err as WpdeployError).message).toContain('rtb-1');
  });

  it('a disassociate refused for another reason stops before the delete', async () => {
    ec2.on(DisassociateRouteTableCommand).rejects(awsError('UnauthorizedOperation', 403));
    await expect(routeTableKind.delete(context(), two)).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
    expect(ec2.commandCalls(DeleteRouteTableCommand)).toHaveLength(0);
  });
});

describe('route table outputs', () => {
  it('the id', () => {
    expect(routeTableKind.outputs(actual)).toEqual({ routeTableId: 'rtb-1' });
  });
});
