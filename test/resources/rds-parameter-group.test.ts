import {
  AddTagsToResourceCommand, CreateDBParameterGroupCommand, DeleteDBParameterGroupCommand, DescribeDBParameterGroupsCommand, DescribeDBParametersCommand,
  ListTagsForResourceCommand, ModifyDBParameterGroupCommand, RDSClient, type DBParameterGroup,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { toTagList } from '../../src/aws/tags.js';
import {
  dbParameterGroupKind, parameterGroupFamily, parameterGroupName, TLS_PARAMETERS, type DbParameterGroupActual, type DbParameterGroupSpec,
} from '../../src/resources/rds-parameter-group.js';
import { awsError, context, newClients, tagsOf } from './data-context.js';

const rds = mockClient(RDSClient);
let aws: AwsClients;
beforeEach(() => {
  rds.reset();
  aws = newClients();
});
afterEach(() => aws.destroy());

const own = tagsOf('db-params');
const NAME = 'blog-db-mysql8-4';
const ARN = `arn:aws:rds:us-east-1:123456789012:pg:${NAME}`;
const spec: DbParameterGroupSpec = { name: NAME, family: 'mysql8.4', description: 'wpdeploy blog: TLS required', parameters: { ...TLS_PARAMETERS }, tags: own };
const group = (over: Partial<DBParameterGroup> = {}): DBParameterGroup => ({
  DBParameterGroupName: NAME, DBParameterGroupArn: ARN, DBParameterGroupFamily: 'mysql8.4', Description: spec.description, ...over,
});
const actual: DbParameterGroupActual = { id: NAME, arn: ARN, state: 'available', family: 'mysql8.4', description: spec.description, parameters: { require_secure_transport: '1' }, tags: own };
const ctx = () => context(aws, 'db-params');

describe('names', () => {
  it('the family is the engine and its major version; the name carries it without dots', () => {
    expect(parameterGroupFamily('mysql', '8.4.3')).toBe('mysql8.4');
    expect(parameterGroupFamily('mariadb', '10.11')).toBe('mariadb10.11');
    expect(parameterGroupName('blog', 'mariadb10.11')).toBe('blog-db-mariadb10-11');
  });
});

describe('find and diff', () => {
  it('exists with TLS required: no change', async () => {
    rds.on(DescribeDBParameterGroupsCommand).resolves({ DBParameterGroups: [group()] });
    rds.on(DescribeDBParametersCommand).resolves({ Parameters: [{ ParameterName: 'require_secure_transport', ParameterValue: '1', Source: 'user' }] });
    rds.on(ListTagsForResourceCommand).resolves({ TagList: toTagList(own) });
    const a = await dbParameterGroupKind.find(ctx(), spec);
    expect(rds.commandCalls(DescribeDBParametersCommand)[0]!.args[0].input).toMatchObject({ DBParameterGroupName: NAME, Source: 'user' });
    expect(dbParameterGroupKind.diff(spec, a!)).toEqual({ changes: [] });
  });
  it('not found', async () => {
    rds.on(DescribeDBParameterGroupsCommand).rejects(awsError('DBParameterGroupNotFound', 404));
    expect(await dbParameterGroupKind.find(ctx(), spec)).toBeUndefined();
  });
  it('TLS not required (someone set it to 0): a change', () => {
    expect(dbParameterGroupKind.diff(spec, { ...actual, parameters: { require_secure_transport: '0' } }).changes).toEqual([{ field: 'parameters.require_secure_transport', from: '0', to: '1' }]);
  });
});

describe('create, update, delete', () => {
  it('creates the group of the family with its tags, records it, and sets require_secure_transport=1 at once', async () => {
    rds.on(CreateDBParameterGroupCommand).resolves({ DBParameterGroup: group() });
    rds.on(ModifyDBParameterGroupCommand).resolves({ DBParameterGroupName: NAME });
    rds.on(DescribeDBParametersCommand).resolves({ Parameters: [] });
    const c = ctx();
    const a = await dbParameterGroupKind.create(c, spec);
    expect(rds.commandCalls(CreateDBParameterGroupCommand)[0]!.args[0].input).toEqual({ DBParameterGroupName: NAME, DBParameterGroupFamily: 'mysql8.4', Description: spec.description, Tags: toTagList(own) });
    expect(c.recordId).toHaveBeenCalledWith(NAME, ARN);
    expect(rds.commandCalls(ModifyDBParameterGroupCommand)[0]!.args[0].input).toEqual({
      DBParameterGroupName: NAME, Parameters: [{ ParameterName: 'require_secure_transport', ParameterValue: '1', ApplyMethod: 'immediate' }],
    });
    expect(a.parameters).toEqual({ require_secure_transport: '1' });
  });
  it('already exists and is not ours: refused with the fix', async () => {
    rds.on(CreateDBParameterGroupCommand).rejects(awsError('DBParameterGroupAlreadyExists'));
    rds.on(DescribeDBParameterGroupsCommand).resolves({ DBParameterGroups: [group()] });
    rds.on(DescribeDBParametersCommand).resolves({ Parameters: [] });
    rds.on(ListTagsForResourceCommand).resolves({ TagList: [] });
    await expect(dbParameterGroupKind.create(ctx(), spec)).rejects.toThrow(/already exists and is not the one of step db-params/);
  });
  it('a parameter set back: ModifyDBParameterGroup with it alone; missing tags added', async () => {
    rds.on(ModifyDBParameterGroupCommand).resolves({});
    rds.on(AddTagsToResourceCommand).resolves({});
    const a = await dbParameterGroupKind.update!(ctx(), spec, { ...actual, parameters: {}, tags: {} }, { changes: [] });
    expect(rds.commandCalls(ModifyDBParameterGroupCommand)).toHaveLength(1);
    expect(rds.commandCalls(AddTagsToResourceCommand)).toHaveLength(1);
    expect(a.parameters).toEqual({ require_secure_transport: '1' });
  });
  it('a new family (major upgrade): the group of the new family is created beside the old one, which the instance still uses', async () => {
    rds.on(CreateDBParameterGroupCommand).resolves({ DBParameterGroup: group() });
    rds.on(ModifyDBParameterGroupCommand).resolves({});
    rds.on(DescribeDBParametersCommand).resolves({ Parameters: [] });
    const c = ctx();
    const a = await dbParameterGroupKind.update!(c, spec, { ...actual, id: 'blog-db-mysql8-0', family: 'mysql8.0' }, { changes: [] });
    expect(a.id).toBe(NAME);
    expect(c.recordId).toHaveBeenCalledWith(NAME, ARN);
    expect(rds.commandCalls(DeleteDBParameterGroupCommand)).toHaveLength(0);
  });
  it('delete: retried while the instance being deleted still uses it; already gone is success', async () => {
    rds.on(DeleteDBParameterGroupCommand).rejectsOnce(awsError('InvalidDBParameterGroupState')).resolves({});
    await dbParameterGroupKind.delete(ctx(), actual);
    expect(rds.commandCalls(DeleteDBParameterGroupCommand)).toHaveLength(2);
    rds.reset();
    rds.on(DeleteDBParameterGroupCommand).rejects(awsError('DBParameterGroupNotFound', 404));
    await expect(dbParameterGroupKind.delete(ctx(), actual)).resolves.toBeUndefined();
  });
});
