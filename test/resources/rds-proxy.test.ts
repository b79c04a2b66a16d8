import {
  CreateDBProxyCommand, DeleteDBProxyCommand, DescribeDBProxiesCommand, DescribeDBProxyTargetsCommand, ListTagsForResourceCommand,
  ModifyDBProxyCommand, RDSClient, RegisterDBProxyTargetsCommand, type DBProxy, type TargetHealth, type TargetState,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { toTagList } from '../../src/aws/tags.js';
import { WpdeployError } from '../../src/errors.js';
import { dbProxyKind, type DbProxyActual, type DbProxySpec } from '../../src/resources/rds-proxy.js';
import { decide } from '../../src/engine/planner.js';
import { awsError, context, newClients, tagsOf } from './data-context.js';

const rds = mockClient(RDSClient);
let aws: AwsClients;
beforeEach(() => {
  rds.reset();
  aws = newClients();
});
afterEach(() => aws.destroy());

const NAME = 'blog-db-proxy';
const ARN = `arn:aws:rds:us-east-1:123456789012:db-proxy:prx-123`;
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:wpdeploy/blog/db-AbCdEf';
const ROLE = 'arn:aws:iam::123456789012:role/wpdeploy/blog-db-proxy-us-east-1';
const own = tagsOf('db-proxy');
const spec: DbProxySpec = {
  name: NAME, engineFamily: 'MYSQL', secretArn: SECRET, roleArn: ROLE, subnetIds: ['subnet-b', 'subnet-a'], securityGroupIds: ['sg-proxy'],
  requireTls: true, idleClientTimeoutSeconds: 1800, dbInstanceIdentifier: 'blog-db', tags: own,
};
const proxy = (over: Partial<DBProxy> = {}): DBProxy => ({
  DBProxyName: NAME, DBProxyArn: ARN, Status: 'available', EngineFamily: 'MYSQL', Endpoint: 'blog-db-proxy.proxy-abc.us-east-1.rds.amazonaws.com',
  Auth: [{ AuthScheme: 'SECRETS', SecretArn: SECRET, IAMAuth: 'DISABLED' }], RoleArn: ROLE, VpcSubnetIds: ['subnet-a', 'subnet-b'],
  VpcSecurityGroupIds: ['sg-proxy'], RequireTLS: true, IdleClientTimeout: 1800, ...over,
});
const target = (state: TargetState, over: Omit<TargetHealth, 'State'> = {}) => ({ Targets: [{ Type: 'RDS_INSTANCE' as const, RdsResourceId: 'blog-db', TargetHealth: { State: state, ...over } }] });
const ctx = () => context(aws, 'db-proxy');
const actual: DbProxyActual = {
  id: NAME, arn: ARN, state: 'available', endpoint: 'e', engineFamily: 'MYSQL', secretArns: [SECRET], roleArn: ROLE, subnetIds: ['subnet-a', 'subnet-b'],
  securityGroupIds: ['sg-proxy'], requireTls: true, idleClientTimeoutSeconds: 1800, targets: ['blog-db'], tags: own,
};

describe('db proxy find and diff', () => {
  it('exists: with its registered instance', async () => {
    rds.on(DescribeDBProxiesCommand).resolves({ DBProxies: [proxy()] });
    rds.on(DescribeDBProxyTargetsCommand).resolves(target('AVAILABLE'));
    rds.on(ListTagsForResourceCommand).resolves({ TagList: toTagList(own) });
    const a = await dbProxyKind.find(ctx(), spec);
    expect(a).toMatchObject({ id: NAME, targets: ['blog-db'], secretArns: [SECRET] });
    expect(dbProxyKind.diff(spec, a!)).toEqual({ changes: [] });
    expect(dbProxyKind.outputs(a!)).toEqual({ endpoint: 'blog-db-proxy.proxy-abc.us-east-1.rds.amazonaws.com', name: NAME, arn: ARN });
  });
  it('not found', async () => {
    rds.on(DescribeDBProxiesCommand).rejects(awsError('DBProxyNotFoundFault', 404));
    expect(await dbProxyKind.find(ctx(), spec)).toBeUndefined();
  });
  it('other subnets: the plan replaces it, not refused (it holds no data)', () => {
    const diff = dbProxyKind.diff({ ...spec, subnetIds: ['subnet-c', 'subnet-d'] }, actual);
    expect(decide({ step: 'db-proxy', kind: dbProxyKind.name, actual, diff, onReplace: dbProxyKind.onReplace })).toMatchObject({
      op: 'replace', refused: false, reason: expect.stringMatching(/subnetIds cannot change in place/),
    });
  });
  it('the instance not registered: an update', () => {
    expect(dbProxyKind.diff(spec, { ...actual, targets: [] }).changes.map((c) => c.field)).toEqual(['targets']);
  });
});

describe('db proxy create', () => {
  it('creates it with the secret, the role, TLS and tags; waits; registers the instance and waits until the proxy reaches it', async () => {
    rds.on(CreateDBProxyCommand).resolves({ DBProxy: proxy({ Status: 'creating' }) });
    rds.on(DescribeDBProxiesCommand).resolvesOnce({ DBProxies: [proxy({ Status: 'creating' })] }).resolves({ DBProxies: [proxy()] });
    rds.on(RegisterDBProxyTargetsCommand).resolves({});
    rds.on(DescribeDBProxyTargetsCommand).resolvesOnce(target('REGISTERING')).resolves(target('AVAILABLE'));
    const c = ctx();
    const a = await dbProxyKind.create(c, spec);
    expect(rds.commandCalls(CreateDBProxyCommand)[0]!.args[0].input).toMatchObject({
      DBProxyName: NAME, EngineFamily: 'MYSQL', Auth: [{ AuthScheme: 'SECRETS', SecretArn: SECRET, IAMAuth: 'DISABLED' }], RoleArn: ROLE,
      VpcSubnetIds: ['subnet-b', 'subnet-a'], VpcSecurityGroupIds: ['sg-proxy'], RequireTLS: true, Tags: toTagList(own),
    });
    expect(c.recordId).toHaveBeenCalledWith(NAME, ARN);
    expect(rds.commandCalls(RegisterDBProxyTargetsCommand)[0]!.args[0].input).toEqual({ DBProxyName: NAME, TargetGroupName: 'default', DBInstanceIdentifiers: ['blog-db'] });
    expect(a.targets).toEqual(['blog-db']);
  });
  it('the new role not yet assumable: retried', async () => {
    rds.on(CreateDBProxyCommand).rejectsOnce(awsError('InvalidParameterValue', 400, 'Unable to assume the role')).resolves({ DBProxy: proxy() });
    rds.on(DescribeDBProxiesCommand).resolves({ DBProxies: [proxy()] });
    rds.on(RegisterDBProxyTargetsCommand).resolves({});
    rds.on(DescribeDBProxyTargetsCommand).resolves(target('AVAILABLE'));
    await dbProxyKind.create(ctx(), spec);
    expect(rds.commandCalls(CreateDBProxyCommand)).toHaveLength(2);
  });
  it('the proxy cannot reach the instance: says which security group rule is missing', async () => {
    rds.on(CreateDBProxyCommand).resolves({ DBProxy: proxy() });
    rds.on(DescribeDBProxiesCommand).resolves({ DBProxies: [proxy()] });
    rds.on(RegisterDBProxyTargetsCommand).resolves({});
    rds.on(DescribeDBProxyTargetsCommand).resolves(target('UNAVAILABLE', { Reason: 'CONNECTION_FAILED' }));
    const err = (await dbProxyKind.create(ctx(), spec).catch((e: unknown) => e)) as WpdeployError;
    expect(err).toBeInstanceOf(WpdeployError);
    expect(err.message).toMatch(/security group must admit the proxy/);
  });
  it('UNAVAILABLE while the proxy adds capacity (PENDING_PROXY_CAPACITY): transient, it keeps waiting until AVAILABLE', async () => {
    rds.on(CreateDBProxyCommand).resolves({ DBProxy: proxy() });
    rds.on(DescribeDBProxiesCommand).resolves({ DBProxies: [proxy()] });
    rds.on(RegisterDBProxyTargetsCommand).resolves({});
    rds.on(DescribeDBProxyTargetsCommand)
      .resolvesOnce(target('UNAVAILABLE', { Reason: 'PENDING_PROXY_CAPACITY' }))
      .resolvesOnce(target('UNAVAILABLE', { Reason: 'PENDING_PROXY_CAPACITY' }))
      .resolves(target('AVAILABLE'));
    const c = ctx();
    const a = await dbProxyKind.create(c, spec);
    expect(a.targets).toEqual(['blog-db']);
    expect(rds.commandCalls(DescribeDBProxyTargetsCommand).length).toBeGreaterThanOrEqual(3);
    expect(c.progress).toHaveBeenCalledWith(expect.stringMatching(/UNAVAILABLE \(the proxy is adding capacity\)/));
  });
  it('already exists and is not ours: refused', async () => {
    rds.on(CreateDBProxyCommand).rejects(awsError('DBProxyAlreadyExistsFault'));
    rds.on(DescribeDBProxiesCommand).resolves({ DBProxies: [proxy()] });
    rds.on(DescribeDBProxyTargetsCommand).resolves({ Targets: [] });
    rds.on(ListTagsForResourceCommand).resolves({ TagList: [] });
    await expect(dbProxyKind.create(ctx(), spec)).rejects.toThrow(/already exists and is not the one of step db-proxy/);
  });
});

describe('db proxy update and delete', () => {
  it('another secret: ModifyDBProxy with the new auth; the instance registered when missing', async () => {
    rds.on(ModifyDBProxyCommand).resolves({});
    rds.on(DescribeDBProxiesCommand).resolves({ DBProxies: [proxy()] });
    rds.on(RegisterDBProxyTargetsCommand).resolves({});
    rds.on(DescribeDBProxyTargetsCommand).resolves(target('AVAILABLE'));
    await dbProxyKind.update!(ctx(), spec, { ...actual, secretArns: ['arn:old'], targets: [] }, { changes: [] });
    expect(rds.commandCalls(ModifyDBProxyCommand)[0]!.args[0].input).toEqual({
      DBProxyName: NAME, Auth: [{ AuthScheme: 'SECRETS', SecretArn: SECRET, IAMAuth: 'DISABLED', Description: 'the WordPress database user' }],
    });
    expect(rds.commandCalls(RegisterDBProxyTargetsCommand)).toHaveLength(1);
  });
  it('delete waits until it is gone; already gone is success', async () => {
    rds.on(DeleteDBProxyCommand).resolves({});
    rds.on(DescribeDBProxiesCommand).resolvesOnce({ DBProxies: [proxy({ Status: 'deleting' })] }).rejects(awsError('DBProxyNotFoundFault', 404));
    await dbProxyKind.delete(ctx(), actual);
    expect(rds.commandCalls(DescribeDBProxiesCommand)).toHaveLength(2);
    rds.reset();
    rds.on(DeleteDBProxyCommand).rejects(awsError('DBProxyNotFoundFault', 404));
    await expect(dbProxyKind.delete(ctx(), actual)).resolves.toBeUndefined();
  });
});
