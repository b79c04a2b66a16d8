import {
  AddTagsToResourceCommand, CreateDBSubnetGroupCommand, DeleteDBSubnetGroupCommand, DescribeDBSubnetGroupsCommand, ListTagsForResourceCommand,
  ModifyDBSubnetGroupCommand, RDSClient, type DBSubnetGroup,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { toTagList } from '../../src/aws/tags.js';
import { WpdeployError } from '../../src/errors.js';
import { dbSubnetGroupKind, type DbSubnetGroupActual, type DbSubnetGroupSpec } from '../../src/resources/db-subnet-group.js';
import { UNKNOWN } from '../../src/resources/types.js';
import { awsError, context, newClients, tagsOf } from './data-context.js';

const rds = mockClient(RDSClient);
let aws: AwsClients;
beforeEach(() => {
  rds.reset();
  aws = newClients();
});
afterEach(() => aws.destroy());

const NAME = 'blog-data';
const ARN = `arn:aws:rds:us-east-1:123456789012:subgrp:${NAME}`;
const own = tagsOf('db-subnet-group', 'data');
const spec: DbSubnetGroupSpec = { name: NAME, description: 'data subnets', subnetIds: ['subnet-b', 'subnet-a'], tags: own };
const group = (over: Partial<DBSubnetGroup> = {}): DBSubnetGroup => ({
  DBSubnetGroupName: NAME, DBSubnetGroupArn: ARN, DBSubnetGroupDescription: 'data subnets', VpcId: 'vpc-1', SubnetGroupStatus: 'Complete',
  Subnets: [{ SubnetIdentifier: 'subnet-a' }, { SubnetIdentifier: 'subnet-b' }], ...over,
});
const ctx = () => context(aws, 'db-subnet-group', 'data');

describe('db subnet group find', () => {
  it.each([
    ['exists with this step\'s tags', () => {
      rds.on(DescribeDBSubnetGroupsCommand).resolves({ DBSubnetGroups: [group()] });
      rds.on(ListTagsForResourceCommand).resolves({ TagList: toTagList(own) });
    }, NAME],
    ['not found', () => rds.on(DescribeDBSubnetGroupsCommand).rejects(awsError('DBSubnetGroupNotFoundFault', 404)), undefined],
    ['a group of that name owned by another stack', () => {
      rds.on(DescribeDBSubnetGroupsCommand).resolves({ DBSubnetGroups: [group()] });
      rds.on(ListTagsForResourceCommand).resolves({ TagList: toTagList(tagsOf('other')) });
    }, undefined],
  ])('%s', async (_, arrange, id) => {
    arrange();
    expect((await dbSubnetGroupKind.find(ctx(), spec))?.id).toBe(id);
  });
});

describe('db subnet group diff', () => {
  const actual: DbSubnetGroupActual = { id: NAME, arn: ARN, state: 'Complete', description: 'data subnets', vpcId: 'vpc-1', subnetIds: ['subnet-a', 'subnet-b'], tags: own };
  it('same subnets in another order: no change', () => expect(dbSubnetGroupKind.diff(spec, actual)).toEqual({ changes: [] }));
  it('subnets not created yet (plan): no change', () => expect(dbSubnetGroupKind.diff({ ...spec, subnetIds: [UNKNOWN, UNKNOWN] }, actual)).toEqual({ changes: [] }));
  it('another subnet: an update', () => expect(dbSubnetGroupKind.diff({ ...spec, subnetIds: ['subnet-a', 'subnet-c'] }, actual).changes[0]!.field).toBe('subnetIds'));
  it('a rename is refused', () => expect(dbSubnetGroupKind.diff({ ...spec, name: 'x' }, actual).replace).toMatch(/cannot be renamed/));
});

describe('db subnet group create', () => {
  it('creates it with its tags in the same call and records its name', async () => {
    rds.on(CreateDBSubnetGroupCommand).resolves({ DBSubnetGroup: group() });
    const c = ctx();
    const a = await dbSubnetGroupKind.create(c, spec);
    expect(rds.commandCalls(CreateDBSubnetGroupCommand)[0]!.args[0].input).toEqual({
      DBSubnetGroupName: NAME, DBSubnetGroupDescription: 'data subnets', SubnetIds: ['subnet-b', 'subnet-a'], Tags: toTagList(own),
    });
    expect(c.recordId).toHaveBeenCalledWith(NAME, ARN);
    expect(dbSubnetGroupKind.outputs(a)).toEqual({ name: NAME, arn: ARN });
  });
  it('already exists with this step\'s tags: adopted and converged', async () => {
    rds.on(CreateDBSubnetGroupCommand).rejects(awsError('DBSubnetGroupAlreadyExists'));
    rds.on(DescribeDBSubnetGroupsCommand).resolves({ DBSubnetGroups: [group({ Subnets: [{ SubnetIdentifier: 'subnet-a' }] })] });
    rds.on(ListTagsForResourceCommand).resolves({ TagList: toTagList(own) });
    rds.on(ModifyDBSubnetGroupCommand).resolves({ DBSubnetGroup: group() });
    const a = await dbSubnetGroupKind.create(ctx(), spec);
    expect(a.subnetIds).toEqual(['subnet-a', 'subnet-b']);
    expect(rds.commandCalls(ModifyDBSubnetGroupCommand)).toHaveLength(1);
  });
  it('already exists and is not ours: refused with the fix', async () => {
    rds.on(CreateDBSubnetGroupCommand).rejects(awsError('DBSubnetGroupAlreadyExists'));
    rds.on(DescribeDBSubnetGroupsCommand).resolves({ DBSubnetGroups: [group()] });
    rds.on(ListTagsForResourceCommand).resolves({ TagList: [] });
    const err = (await dbSubnetGroupKind.create(ctx(), spec).catch((e: unknown) => e)) as WpdeployError;
    expect(err).toBeInstanceOf(WpdeployError);
    expect(err.hint).toContain('aws rds delete-db-subnet-group --db-subnet-group-name blog-data');
  });
});

describe('db subnet group update and delete', () => {
  const actual: DbSubnetGroupActual = { id: NAME, arn: ARN, state: 'Complete', description: 'data subnets', vpcId: 'vpc-1', subnetIds: ['subnet-a', 'subnet-b'], tags: {} };
  it('tags only: AddTagsToResource, no modify', async () => {
    rds.on(AddTagsToResourceCommand).resolves({});
    await dbSubnetGroupKind.update!(ctx(), spec, actual, { changes: [] });
    expect(rds.commandCalls(ModifyDBSubnetGroupCommand)).toHaveLength(0);
    expect(rds.commandCalls(AddTagsToResourceCommand)[0]!.args[0].input.Tags).toEqual(toTagList(own));
  });
  it('in use while the instance finishes deleting, then deleted', async () => {
    rds.on(DeleteDBSubnetGroupCommand).rejectsOnce(awsError('InvalidDBSubnetGroupStateFault')).resolves({});
    await dbSubnetGroupKind.delete(ctx(), actual);
    expect(rds.commandCalls(DeleteDBSubnetGroupCommand)).toHaveLength(2);
  });
  it('already gone is success', async () => {
    rds.on(DeleteDBSubnetGroupCommand).rejects(awsError('DBSubnetGroupNotFoundFault', 404));
    await expect(dbSubnetGroupKind.delete(ctx(), actual)).resolves.toBeUndefined();
  });
});
