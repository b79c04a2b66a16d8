/**
 * A write whose first attempt took effect and whose answer was lost is sent again by the SDK: the
 * retry meets the result. "Already exists" with the wanted content, and "not found" on a delete, are
 * success (the content read back, not assumed); anything else stays an error. One case per write
 * path the e2e run with lost answers (reliability.test.ts) goes through, answered here by mocks.
 */
import { CloudWatchLogsClient, DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  AttachInternetGatewayCommand, AuthorizeSecurityGroupIngressCommand, CreateNetworkAclEntryCommand, CreateRouteCommand, CreateSecurityGroupCommand, DescribeInternetGatewaysCommand,
  DescribeNetworkAclsCommand, DescribeRouteTablesCommand, DescribeSecurityGroupsCommand, EC2Client, RevokeSecurityGroupEgressCommand, type AttachmentStatus,
} from '@aws-sdk/client-ec2';
import {
  DeleteDBInstanceCommand, DeleteDBProxyCommand, DescribeDBInstancesCommand, DescribeDBProxiesCommand, DescribeDBProxyTargetsCommand, DescribeDBSnapshotsCommand, RDSClient,
  RegisterDBProxyTargetsCommand,
} from '@aws-sdk/client-rds';
import { DeleteSecretCommand, DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { deleteOrGone, writeOrVerify } from '../../src/aws/idempotent.js';
import { toTagList } from '../../src/aws/tags.js';
import { internetGatewayKind } from '../../src/resources/internet-gateway.js';
import { networkAclKind, type NetworkAclActual } from '../../src/resources/network-acl.js';
import { dbInstanceKind, type DbInstanceActual } from '../../src/resources/rds-instance.js';
import { dbProxyKind, type DbProxyActual, type DbProxySpec } from '../../src/resources/rds-proxy.js';
import { routeTableKind, type RouteTableActual } from '../../src/resources/route-table.js';
import { secretKind, type SecretActual } from '../../src/resources/secret.js';
import { securityGroupKind, securityGroupRulesKind } from '../../src/resources/security-group.js';
import { awsError, context, newClients, tagsOf } from './data-context.js';

const ec2 = mockClient(EC2Client);
const rds = mockClient(RDSClient);
const sm = mockClient(SecretsManagerClient);
const logs = mockClient(CloudWatchLogsClient);
let aws: AwsClients;
beforeEach(() => {
  aws = newClients();
  logs.on(DeleteLogGroupCommand).resolves({}); // the instance's log groups go after it
});
afterEach(() => {
  ec2.reset();
  rds.reset();
  sm.reset();
  logs.reset();
  aws.destroy();
});

describe('the shared helpers', () => {
  it('writeOrVerify: "already exists" with the wanted content is success; without it, AWS\'s error stands; other errors pass', async () => {
    const exists = awsError('InvalidPermission.Duplicate');
    expect(await writeOrVerify(async () => { throw exists; }, async () => 'there')).toBe('there');
    await expect(writeOrVerify(async () => { throw exists; }, async () => undefined)).rejects.toBe(exists);
    const other = awsError('InvalidParameterValue');
    await expect(writeOrVerify(async () => { throw other; }, async () => 'there')).rejects.toBe(other);
  });

  it('deleteOrGone: not found is done; any other error is thrown', async () => {
    await expect(deleteOrGone(async () => { throw awsError('InvalidRoute.NotFound'); })).resolves.toBeUndefined();
    const busy = awsError('DependencyViolation');
    await expect(deleteOrGone(async () => { throw busy; })).rejects.toBe(busy);
  });
});

describe('EC2', () => {
  const table: RouteTableActual = { id: 'rtb-1', state: 'available', vpcId: 'vpc-1', routes: [], associations: [], tags: tagsOf('rt-app-a') };
  const want = { vpcId: 'vpc-1', routes: [{ destination: '0.0.0.0/0', natGatewayId: 'nat-a' }], subnetIds: [], tags: tagsOf('rt-app-a') };

  it.each([
    ['to the same NAT gateway: success', 'nat-a', true],
    ['to another target: the error stands', 'nat-b', false],
  ])('a retried CreateRoute meets its route %s', async (_what, there, ok) => {
    ec2.on(CreateRouteCommand).rejects(awsError('RouteAlreadyExists'));
    ec2.on(DescribeRouteTablesCommand).resolves({ RouteTables: [{ RouteTableId: 'rtb-1', VpcId: 'vpc-1', Routes: [{ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: there }] }] });
    const run = routeTableKind.update!(context(aws, 'rt-app-a'), want, table, { changes: [] });
    if (ok) await expect(run).resolves.toMatchObject({ routes: want.routes });
    else await expect(run).rejects.toMatchObject({ name: 'RouteAlreadyExists' });
  });

  it('a retried CreateSecurityGroup meets its group (InvalidGroup.Duplicate, this step\'s tags): it is taken and its default egress revoked', async () => {
    ec2.on(CreateSecurityGroupCommand).rejects(awsError('InvalidGroup.Duplicate'));
    const group = { GroupId: 'sg-app', GroupName: 'blog-app', VpcId: 'vpc-1', Tags: toTagList(tagsOf('sg-app')), IpPermissions: [], IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] };
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [group] });
    ec2.on(RevokeSecurityGroupEgressCommand).resolves({});
    const ctx = context(aws, 'sg-app');
    await expect(securityGroupKind.create(ctx, { vpcId: 'vpc-1', name: 'blog-app', description: 'x', tags: tagsOf('sg-app') })).resolves.toMatchObject({ id: 'sg-app', egress: [] });
    expect(ctx.recordId).toHaveBeenCalledWith('sg-app', undefined);
    expect(ec2.commandCalls(RevokeSecurityGroupEgressCommand)).toHaveLength(1);
  });

  it('a retried authorize meets its rule (success); a retried revoke meets it gone (success)', async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [{ GroupId: 'sg-app', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: 'sg-alb' }] }], IpPermissionsEgress: [] }],
    });
    ec2.on(AuthorizeSecurityGroupIngressCommand).rejects(awsError('InvalidPermission.Duplicate'));
    ec2.on(RevokeSecurityGroupEgressCommand).rejects(awsError('InvalidPermission.NotFound'));
    const rule = { protocol: 'tcp', fromPort: 80, toPort: 80, sourceGroupId: 'sg-alb' };
    const old = { protocol: '-1', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' };
    await expect(securityGroupRulesKind.update!(context(aws, 'sg-app-rules'), { groupId: 'sg-app', ingress: [rule], egress: [] }, { id: 'sg-app', state: 'available', ingress: [], egress: [old] }, { changes: [] }))
      .resolves.toMatchObject({ ingress: [rule], egress: [] });
  });

  it('an authorize meeting "duplicate" while the rule is not there is an error', async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-app', IpPermissions: [], IpPermissionsEgress: [] }] });
    ec2.on(AuthorizeSecurityGroupIngressCommand).rejects(awsError('InvalidPermission.Duplicate'));
    const rule = { protocol: 'tcp', fromPort: 80, toPort: 80, sourceGroupId: 'sg-alb' };
    await expect(securityGroupRulesKind.update!(context(aws, 'sg-app-rules'), { groupId: 'sg-app', ingress: [rule], egress: [] }, { id: 'sg-app', state: 'available', ingress: [], egress: [] }, { changes: [] }))
      .rejects.toMatchObject({ name: 'InvalidPermission.Duplicate' });
  });

  it.each([
    ['attached to this VPC: success', 'vpc-1', true],
    ['attached to another VPC: the error stands', 'vpc-2', false],
  ])('a retried AttachInternetGateway meets the gateway %s', async (_what, vpc, ok) => {
    ec2.on(AttachInternetGatewayCommand).rejects(awsError('Resource.AlreadyAssociated'));
    ec2.on(DescribeInternetGatewaysCommand).resolves({ InternetGateways: [{ InternetGatewayId: 'igw-1', Attachments: [{ VpcId: vpc, State: 'available' as AttachmentStatus }] }] });
    const run = internetGatewayKind.update!(context(aws, 'igw'), { vpcId: 'vpc-1', tags: tagsOf('igw') }, { id: 'igw-1', state: 'detached', tags: tagsOf('igw') }, { changes: [] });
    if (ok) await expect(run).resolves.toMatchObject({ attachedVpcId: 'vpc-1' });
    else await expect(run).rejects.toMatchObject({ name: 'Resource.AlreadyAssociated' });
  });

  it.each([
    ['the same rule: success', 'allow', true],
    ['another rule under that number: the error stands', 'deny', false],
  ])('a retried CreateNetworkAclEntry meets its entry with %s', async (_what, action, ok) => {
    ec2.on(CreateNetworkAclEntryCommand).rejects(awsError('NetworkAclEntryAlreadyExists'));
    ec2.on(DescribeNetworkAclsCommand).resolves({
      NetworkAcls: [{ NetworkAclId: 'acl-1', Entries: [{ RuleNumber: 100, Egress: false, Protocol: '6', CidrBlock: '0.0.0.0/0', PortRange: { From: 443, To: 443 }, RuleAction: action as 'allow' }] }],
    });
    const acl: NetworkAclActual = { id: 'acl-1', state: 'available', vpcId: 'vpc-1', rules: [], subnetIds: [], tags: tagsOf('nacl-public') };
    const rule = { ruleNumber: 100, egress: false, protocol: '6', cidr: '0.0.0.0/0', fromPort: 443, toPort: 443, action: 'allow' as const };
    const run = networkAclKind.update!(context(aws, 'nacl-public'), { vpcId: 'vpc-1', rules: [rule], subnetIds: [], tags: tagsOf('nacl-public') }, acl, { changes: [] });
    if (ok) await expect(run).resolves.toMatchObject({ rules: [rule] });
    else await expect(run).rejects.toMatchObject({ name: 'NetworkAclEntryAlreadyExists' });
  });
});

describe('RDS and Secrets Manager', () => {
  const db = { id: 'blog-db', arn: 'arn:aws:rds:us-east-1:123456789012:db:blog-db', state: 'available', deletionProtection: false, logExports: [] } as unknown as DbInstanceActual;
  const kept = (id: string) => ({ DBSnapshots: [{ DBSnapshotIdentifier: id, DBSnapshotArn: `arn:snap:${id}`, Status: 'available', TagList: toTagList(tagsOf('db')) }] });

  it.each([
    ['deleting (InvalidDBInstanceState): success', () => rds.on(DescribeDBInstancesCommand).resolvesOnce({ DBInstances: [{ DBInstanceIdentifier: 'blog-db', DBInstanceStatus: 'deleting' }] }).rejects(awsError('DBInstanceNotFound', 404)), 'InvalidDBInstanceStateFault'],
    ['gone already (DBInstanceNotFound), its final snapshot there: success', () => rds.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFound', 404)), 'DBInstanceNotFound'],
  ])('a retried DeleteDBInstance meets the instance %s, and the final snapshot is reported kept', async (_what, arrange, error) => {
    rds.on(DeleteDBInstanceCommand).rejects(awsError(error, error === 'DBInstanceNotFound' ? 404 : 400));
    arrange();
    rds.on(DescribeDBSnapshotsCommand).callsFake((input: { DBSnapshotIdentifier?: string }) => kept(input.DBSnapshotIdentifier ?? 'none'));
    const ctx = context(aws, 'db');
    await expect(dbInstanceKind.delete(ctx, db)).resolves.toBeUndefined();
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(1);
    expect(ctx.warn.mock.calls.join('\n')).toMatch(/kept the final snapshot blog-final-/);
  });

  it('a retried RegisterDBProxyTargets meets the instance registered: success', async () => {
    rds.on(RegisterDBProxyTargetsCommand).rejects(awsError('DBProxyTargetAlreadyRegisteredFault'));
    rds.on(DescribeDBProxyTargetsCommand).resolves({ Targets: [{ Type: 'RDS_INSTANCE', RdsResourceId: 'blog-db', TargetHealth: { State: 'AVAILABLE' } }] });
    rds.on(DescribeDBProxiesCommand).resolves({ DBProxies: [] });
    const desired: DbProxySpec = {
      name: 'blog-db-proxy', engineFamily: 'MYSQL', secretArn: 'arn:secret', roleArn: 'arn:role', subnetIds: ['subnet-a'], securityGroupIds: ['sg-db'],
      requireTls: true, idleClientTimeoutSeconds: 1800, dbInstanceIdentifier: 'blog-db', tags: tagsOf('db-proxy'),
    };
    const actual: DbProxyActual = {
      id: 'blog-db-proxy', arn: 'arn:proxy', state: 'available', endpoint: 'proxy.example', engineFamily: 'MYSQL', secretArns: ['arn:secret'], roleArn: 'arn:role',
      subnetIds: ['subnet-a'], securityGroupIds: ['sg-db'], requireTls: true, idleClientTimeoutSeconds: 1800, targets: [], tags: tagsOf('db-proxy'),
    };
    await expect(dbProxyKind.update!(context(aws, 'db-proxy'), desired, actual, { changes: [] })).resolves.toBeDefined();
    expect(rds.commandCalls(RegisterDBProxyTargetsCommand)).toHaveLength(1);
  });

  it.each([
    ['deleting: success (then it waits for it to go)', 'deleting', true],
    ['available: the error stands', 'available', false],
  ])('a retried DeleteDBProxy meets InvalidDBProxyStateFault with the proxy %s', async (_what, status, ok) => {
    rds.on(DeleteDBProxyCommand).rejects(awsError('InvalidDBProxyStateFault'));
    rds.on(DescribeDBProxiesCommand).resolvesOnce({ DBProxies: [{ DBProxyName: 'blog-db-proxy', Status: status as 'deleting' }] }).rejects(awsError('DBProxyNotFoundFault', 404));
    const run = dbProxyKind.delete(context(aws, 'db-proxy'), { id: 'blog-db-proxy' } as DbProxyActual);
    if (ok) await expect(run).resolves.toBeUndefined();
    else await expect(run).rejects.toMatchObject({ name: 'InvalidDBProxyStateFault' });
  });

  it.each([
    ['scheduled for deletion already: success', new Date(), true],
    ['not scheduled: the error stands', undefined, false],
  ])('a retried DeleteSecret meets InvalidRequestException with the secret %s', async (_what, deleted, ok) => {
    sm.on(DeleteSecretCommand).rejects(awsError('InvalidRequestException'));
    sm.on(DescribeSecretCommand).resolves({ ARN: 'arn:secret', Name: 'wpdeploy/blog/db', DeletedDate: deleted, Tags: [] });
    const run = secretKind.delete(context(aws, 'db-secret'), { id: 'arn:secret', arn: 'arn:secret', name: 'wpdeploy/blog/db', state: 'available' } as SecretActual);
    if (ok) await expect(run).resolves.toBeUndefined();
    else await expect(run).rejects.toMatchObject({ name: 'InvalidRequestException' });
  });
});
