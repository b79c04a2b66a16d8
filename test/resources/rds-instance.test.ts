import {
  AddTagsToResourceCommand, CreateDBInstanceCommand, DeleteDBInstanceCommand, DeleteDBSnapshotCommand, DescribeDBInstancesCommand,
  DeleteDBParameterGroupCommand, DescribeDBParameterGroupsCommand, DescribeDBSnapshotsCommand, ListTagsForResourceCommand, ModifyDBInstanceCommand, RDSClient,
  RestoreDBInstanceFromDBSnapshotCommand, type DBInstance, type DBSnapshot,
} from '@aws-sdk/client-rds';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CloudWatchLogsClient, DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { toTagList } from '../../src/aws/tags.js';
import { WpdeployError } from '../../src/errors.js';
import { dbInstanceKind, type DbInstanceActual, type DbInstanceSpec } from '../../src/resources/rds-instance.js';
import { compareVersions, planModification } from '../../src/resources/rds-instance-plan.js';
import { describeRds } from '../../src/resources/rds-common.js';
import { finalSnapshotId } from '../../src/resources/rds-snapshot.js';
import { UNKNOWN } from '../../src/resources/types.js';
import { decide } from '../../src/engine/planner.js';
import { awsError, context, newClients, tagsOf } from './data-context.js';

const rds = mockClient(RDSClient);
const sm = mockClient(SecretsManagerClient);
const logs = mockClient(CloudWatchLogsClient);
let aws: AwsClients;
beforeEach(() => {
  rds.reset();
  logs.reset();
  logs.on(DeleteLogGroupCommand).resolves({});
  sm.reset();
  aws = newClients();
});
afterEach(() => aws.destroy());

const ID = 'blog-db';
const ARN = `arn:aws:rds:us-east-1:123456789012:db:${ID}`;
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:wpdeploy/blog/db-AbCdEf';
const PASSWORD = 'Secret-Password-That-Must-Not-Leak-1';
const own = tagsOf('db');
const spec: DbInstanceSpec = {
  identifier: ID, engine: 'mysql', engineVersion: '8.0', instanceClass: 'db.t4g.micro', storageGb: 20, multiAz: true, backupRetentionDays: 7,
  deletionProtection: true, dbName: 'wordpress', port: 3306, subnetGroupName: 'blog-data', securityGroupIds: ['sg-db'], secretArn: SECRET,
  logExports: ['error', 'slowquery'], applyImmediately: false, tags: own,
  parameterGroupName: 'blog-db-mysql8-0', engineLifecycleSupport: 'open-source-rds-extended-support',
};
const instance = (over: Partial<DBInstance> = {}): DBInstance => ({
  DBInstanceIdentifier: ID, DBInstanceArn: ARN, DBInstanceStatus: 'available', Engine: 'mysql', EngineVersion: '8.0.39', DBInstanceClass: 'db.t4g.micro',
  AllocatedStorage: 20, StorageType: 'gp3', MultiAZ: true, StorageEncrypted: true, PubliclyAccessible: false, BackupRetentionPeriod: 7,
  DeletionProtection: true, CopyTagsToSnapshot: true, AutoMinorVersionUpgrade: true, EnabledCloudwatchLogsExports: ['error', 'slowquery'],
  DBSubnetGroup: { DBSubnetGroupName: 'blog-data' }, VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-db', Status: 'active' }],
  Endpoint: { Address: 'blog-db.abc.us-east-1.rds.amazonaws.com', Port: 3306 }, DBName: 'wordpress', PreferredMaintenanceWindow: 'sun:05:00-sun:05:30',
  DBParameterGroups: [{ DBParameterGroupName: 'blog-db-mysql8-0', ParameterApplyStatus: 'in-sync' }], EngineLifecycleSupport: 'open-source-rds-extended-support',
  TagList: toTagList(own), ...over,
});
const snapshot = (id: string, at: string, over: Partial<DBSnapshot> = {}): DBSnapshot => ({
  DBSnapshotIdentifier: id, DBSnapshotArn: `arn:aws:rds:us-east-1:123456789012:snapshot:${id}`, DBInstanceIdentifier: ID, Status: 'available',
  Engine: 'mysql', AllocatedStorage: 20, SnapshotType: 'manual', SnapshotCreateTime: new Date(at), TagList: toTagList(own), ...over,
});
let actual: DbInstanceActual;
beforeEach(async () => {
  rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance()] });
  actual = (await dbInstanceKind.find(context(aws, 'db'), spec))!;
  rds.reset();
});
const notFound = () => awsError('DBInstanceNotFound', 404);

describe('TLS parameter group and Extended Support', () => {
  it('an instance on another parameter group (AWS\'s default): moved to the stack\'s at once, with the version upgrade it must go with', () => {
    const onDefault = { ...actual, parameterGroupName: 'default.mysql8.0' };
    expect(planModification(spec, onDefault)).toMatchObject({ params: { DBParameterGroupName: 'blog-db-mysql8-0' }, windowed: [] });
    const upgrade = planModification({ ...spec, engineVersion: '8.4', parameterGroupName: 'blog-db-mysql8-4' }, actual).params;
    expect(upgrade).toEqual({ EngineVersion: '8.4', AllowMajorVersionUpgrade: true, DBParameterGroupName: 'blog-db-mysql8-4' });
  });
  it('an instance AWS enrolled in Extended Support by default, with extendedSupport off: opted out with EngineLifecycleSupport', () => {
    const m = planModification({ ...spec, engineVersion: '8.4', parameterGroupName: 'blog-db-mysql8-0', engineLifecycleSupport: 'open-source-rds-extended-support-disabled' }, { ...actual, engineLifecycleSupport: 'open-source-rds-extended-support' });
    expect(m.params).toMatchObject({ EngineLifecycleSupport: 'open-source-rds-extended-support-disabled' });
    expect(m.changes).toContainEqual({ field: 'engineLifecycleSupport', from: 'open-source-rds-extended-support', to: 'open-source-rds-extended-support-disabled' });
  });
  it('an endpoint that does not report the lifecycle type (an emulator): not compared, since no modification could show it', () => {
    const m = planModification({ ...spec, engineLifecycleSupport: 'open-source-rds-extended-support-disabled' }, { ...actual, engineLifecycleSupport: '' });
    expect(m.changes.map((c) => c.field)).not.toContain('engineLifecycleSupport');
    expect(m.params).not.toHaveProperty('EngineLifecycleSupport');
  });
  it('MariaDB (no EngineLifecycleSupport at AWS): nothing sent', () => {
    expect(planModification({ ...spec, engineLifecycleSupport: undefined }, { ...actual, engineLifecycleSupport: '' }).params).toEqual({});
  });
  it('moving to the new group: a pending reboot is said, with the command, and the stack\'s old group is deleted', async () => {
    rds.on(ModifyDBInstanceCommand).resolves({});
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance({ DBParameterGroups: [{ DBParameterGroupName: 'blog-db-mysql8-0', ParameterApplyStatus: 'pending-reboot' }] })] });
    rds.on(DescribeDBParameterGroupsCommand).resolves({ DBParameterGroups: [{ DBParameterGroupName: 'blog-db-mysql5-7', DBParameterGroupArn: 'arn:pg:old' }] });
    rds.on(ListTagsForResourceCommand).resolves({ TagList: toTagList(tagsOf('db-params')) });
    rds.on(DeleteDBParameterGroupCommand).resolves({});
    const ctx = context(aws, 'db');
    await dbInstanceKind.update!(ctx, spec, { ...actual, parameterGroupName: 'blog-db-mysql5-7' }, { changes: [] });
    expect(rds.commandCalls(ModifyDBInstanceCommand)[0]!.args[0].input).toMatchObject({ DBParameterGroupName: 'blog-db-mysql8-0' });
    expect(ctx.warn.mock.calls.join('\n')).toMatch(/takes effect at the next reboot: `aws rds reboot-db-instance --db-instance-identifier blog-db`/);
    expect(rds.commandCalls(DeleteDBParameterGroupCommand)[0]!.args[0].input).toEqual({ DBParameterGroupName: 'blog-db-mysql5-7' });
  });
  it('the group it left is not the stack\'s (AWS\'s default, the user\'s): left alone', async () => {
    rds.on(ModifyDBInstanceCommand).resolves({});
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance()] });
    rds.on(DescribeDBParameterGroupsCommand).resolves({ DBParameterGroups: [{ DBParameterGroupName: 'default.mysql8.0', DBParameterGroupArn: 'arn:pg:default' }] });
    rds.on(ListTagsForResourceCommand).resolves({ TagList: [] });
    await dbInstanceKind.update!(context(aws, 'db'), spec, { ...actual, parameterGroupName: 'default.mysql8.0' }, { changes: [] });
    expect(rds.commandCalls(DeleteDBParameterGroupCommand)).toHaveLength(0);
  });
});

describe('names and versions', () => {
  it('final snapshots are <stack>-final-<UTC timestamp>', () => {
    expect(finalSnapshotId('blog', new Date('2026-03-04T05:06:07.890Z'))).toBe('blog-final-20260304050607');
  });
  it.each([
    ['8.0', '8.0.39', 0], ['8.0.40', '8.0.39', 1], ['8.0.35', '8.0.39', -1], ['8.4', '8.0.39', 1], ['5.7', '8.0.39', -1], ['10.11', '10.6.14', 1],
  ])('compareVersions(%s, %s) = %i', (w, r, want) => expect(compareVersions(w, r)).toBe(want));
});

describe('db instance find', () => {
  it('exists: every property read, tags from TagList', () => {
    expect(actual).toMatchObject({
      id: ID, arn: ARN, state: 'available', engine: 'mysql', instanceClass: 'db.t4g.micro', storageGb: 20, storageType: 'gp3', multiAz: true,
      encrypted: true, publiclyAccessible: false, backupRetentionDays: 7, deletionProtection: true, copyTagsToSnapshot: true,
      autoMinorVersionUpgrade: true, logExports: ['error', 'slowquery'], subnetGroupName: 'blog-data', securityGroupIds: ['sg-db'],
      endpoint: 'blog-db.abc.us-east-1.rds.amazonaws.com', port: 3306, dbName: 'wordpress', tags: own,
    });
    expect(dbInstanceKind.outputs(actual)).toEqual({ endpoint: 'blog-db.abc.us-east-1.rds.amazonaws.com', port: '3306', identifier: ID, arn: ARN, dbName: 'wordpress' });
  });
  // Above the RDS layer: what the instance read answers, not how AWS says it (data-layer.test.ts checks that).
  const described = (d: DBInstance | undefined) => vi.spyOn(describeRds, 'instance').mockResolvedValue(d);
  afterEach(() => vi.restoreAllMocks());
  it('not found', async () => {
    described(undefined);
    expect(await dbInstanceKind.find(context(aws, 'db'), spec)).toBeUndefined();
  });
  it('being deleted counts as gone', async () => {
    described(instance({ DBInstanceStatus: 'deleting' }));
    expect(await dbInstanceKind.find(context(aws, 'db'), spec)).toBeUndefined();
  });
  it('an instance of that name with another stack\'s tags is not ours; with another step\'s of this stack, it is (one instance per stack)', async () => {
    described(instance({ TagList: toTagList({ 'wpdeploy:stack': 'other' }) }));
    expect(await dbInstanceKind.find(context(aws, 'db'), spec)).toBeUndefined();
    described(instance({ TagList: toTagList(tagsOf('database')) }));
    expect((await dbInstanceKind.find(context(aws, 'db'), spec))?.id).toBe(ID);
  });
  it('--purge with no instance: the kept final snapshots, to delete', async () => {
    described(undefined);
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [snapshot('blog-final-20260101000000', '2026-01-01'), snapshot('manual-by-hand', '2026-02-01')] });
    const a = await dbInstanceKind.find(context(aws, 'db', 'db', { purge: true }), spec);
    expect(a?.snapshotsOnly).toEqual(['blog-final-20260101000000']);
  });
});

describe('db instance diff and plan', () => {
  it('nothing differs: no change (8.0 matches 8.0.39)', () => expect(dbInstanceKind.diff(spec, actual)).toEqual({ changes: [] }));
  it('dependencies not created yet (plan) are no change', () => {
    expect(dbInstanceKind.diff({ ...spec, subnetGroupName: UNKNOWN, securityGroupIds: [UNKNOWN], secretArn: UNKNOWN }, actual)).toEqual({ changes: [] });
  });
  it.each([
    ['instanceClass', { instanceClass: 'db.t4g.small' }, 'instanceClass (applies in the maintenance window sun:05:00-sun:05:30)'],
    ['storage increase', { storageGb: 40 }, 'storageGb (applies in the maintenance window sun:05:00-sun:05:30)'],
    ['multiAz', { multiAz: false }, 'multiAz (applies in the maintenance window sun:05:00-sun:05:30)'],
    ['applyImmediately', { instanceClass: 'db.t4g.small', applyImmediately: true }, 'instanceClass (applies now)'],
    ['backups', { backupRetentionDays: 14 }, 'backupRetentionDays'],
  ] as const)('%s: an update that says when it applies', (_, over, field) => {
    const d = dbInstanceKind.diff({ ...spec, ...over }, actual);
    expect(d.replace).toBeUndefined();
    expect(d.changes.map((c) => c.field)).toEqual([field]);
  });
  it.each([
    ['storage decrease', { storageGb: 10 }, /cannot shrink/],
    ['engine change', { engine: 'mariadb' as const }, /engine cannot change/],
    ['major downgrade', { engineVersion: '5.7' }, /cannot downgrade/],
  ])('%s: refused with the reason, by the plan and by update, with no call to AWS', async (_, over, reason) => {
    const diff = dbInstanceKind.diff({ ...spec, ...over }, actual);
    expect(decide({ step: 'db', kind: dbInstanceKind.name, actual, diff, onReplace: dbInstanceKind.onReplace })).toMatchObject({ op: 'replace', refused: true, reason: expect.stringMatching(reason) });
    await expect(dbInstanceKind.update!(context(aws, 'db'), { ...spec, ...over }, actual, diff)).rejects.toThrow(reason);
    expect(rds.calls()).toHaveLength(0);
  });
  it('a pending change equal to the config is no change (it waits for the window)', () => {
    const a = { ...actual, pending: { instanceClass: 'db.t4g.small' } };
    expect(dbInstanceKind.diff({ ...spec, instanceClass: 'db.t4g.small' }, a)).toEqual({ changes: [] });
  });
  it('a major upgrade allows it explicitly', () => {
    expect(planModification({ ...spec, engineVersion: '8.4' }, actual).params).toEqual({ EngineVersion: '8.4', AllowMajorVersionUpgrade: true });
  });
  it('settings that always apply at once', () => {
    const a = { ...actual, publiclyAccessible: true, copyTagsToSnapshot: false, logExports: ['error'], securityGroupIds: ['sg-old'] };
    expect(planModification(spec, a).params).toEqual({
      PubliclyAccessible: false, CopyTagsToSnapshot: true, VpcSecurityGroupIds: ['sg-db'],
      CloudwatchLogsExportConfiguration: { EnableLogTypes: ['slowquery'], DisableLogTypes: [] },
    });
  });
});

describe('db instance create', () => {
  const secretValue = () => sm.on(GetSecretValueCommand, { SecretId: SECRET }).resolves({ Name: 'wpdeploy/blog/db', SecretString: JSON.stringify({ username: 'wpadmin', password: PASSWORD }) });

  it('no kept snapshot: creates with every property, the credentials from the secret, records, waits until available', async () => {
    secretValue();
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [] });
    rds.on(CreateDBInstanceCommand).resolves({ DBInstance: instance({ DBInstanceStatus: 'creating' }) });
    rds.on(DescribeDBInstancesCommand)
      .rejectsOnce(notFound()) // nothing is being deleted
      .resolvesOnce({ DBInstances: [instance({ DBInstanceStatus: 'creating' })] })
      .resolvesOnce({ DBInstances: [instance({ DBInstanceStatus: 'backing-up' })] })
      .resolves({ DBInstances: [instance()] });
    const ctx = context(aws, 'db');
    const a = await dbInstanceKind.create(ctx, spec);
    expect(a.state).toBe('available');
    expect(rds.commandCalls(CreateDBInstanceCommand)[0]!.args[0].input).toEqual({
      DBInstanceIdentifier: ID, Engine: 'mysql', EngineVersion: '8.0', DBInstanceClass: 'db.t4g.micro', AllocatedStorage: 20, StorageType: 'gp3',
      StorageEncrypted: true, MultiAZ: true, PubliclyAccessible: false, DBSubnetGroupName: 'blog-data', VpcSecurityGroupIds: ['sg-db'],
      DBName: 'wordpress', Port: 3306, MasterUsername: 'wpadmin', MasterUserPassword: PASSWORD, BackupRetentionPeriod: 7, DeletionProtection: true,
      CopyTagsToSnapshot: true, AutoMinorVersionUpgrade: true, EnableCloudwatchLogsExports: ['error', 'slowquery'], Tags: toTagList(own),
      DBParameterGroupName: 'blog-db-mysql8-0', EngineLifecycleSupport: 'open-source-rds-extended-support',
    });
    expect(ctx.recordId).toHaveBeenCalledWith(ID, ARN);
    expect(ctx.progress.mock.calls.join('\n')).toMatch(/blog-db is creating.*usually about 15 min/);
    expect(ctx.messages.join('\n')).not.toContain(PASSWORD);
    expect(JSON.stringify(a)).not.toContain(PASSWORD);
  });

  it('a kept final snapshot: restores from the newest one with the same settings, then sets the password from the secret', async () => {
    secretValue();
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [snapshot('blog-final-20260101000000', '2026-01-01'), snapshot('blog-final-20260301000000', '2026-03-01'), snapshot('blog-final-20260201000000', '2026-02-01')],
    });
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({ DBInstance: instance({ DBInstanceStatus: 'creating' }) });
    rds.on(ModifyDBInstanceCommand).resolves({});
    rds.on(DescribeDBInstancesCommand).rejectsOnce(notFound()).resolves({ DBInstances: [instance()] });
    const ctx = context(aws, 'db');
    await dbInstanceKind.create(ctx, spec);
    expect(rds.commandCalls(CreateDBInstanceCommand)).toHaveLength(0);
    expect(rds.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)[0]!.args[0].input).toEqual({
      DBInstanceIdentifier: ID, DBSnapshotIdentifier: 'blog-final-20260301000000', DBInstanceClass: 'db.t4g.micro', Port: 3306,
      DBSubnetGroupName: 'blog-data', VpcSecurityGroupIds: ['sg-db'], MultiAZ: true, PubliclyAccessible: false, AutoMinorVersionUpgrade: true,
      StorageType: 'gp3', AllocatedStorage: 20, BackupRetentionPeriod: 7, CopyTagsToSnapshot: true, DeletionProtection: true,
      EnableCloudwatchLogsExports: ['error', 'slowquery'], Tags: toTagList(own),
      DBParameterGroupName: 'blog-db-mysql8-0', EngineLifecycleSupport: 'open-source-rds-extended-support',
    });
    expect(rds.commandCalls(ModifyDBInstanceCommand)[0]!.args[0].input).toEqual({ DBInstanceIdentifier: ID, MasterUserPassword: PASSWORD, ApplyImmediately: true });
    expect(ctx.warn.mock.calls.join('\n')).toMatch(/restoring from it/);
    expect(ctx.messages.join('\n')).not.toContain(PASSWORD);
  });

  it('a kept snapshot of another engine: refused, saying how to restore it or remove it', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(notFound());
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [snapshot('blog-final-20260101000000', '2026-01-01', { Engine: 'mariadb' })] });
    const err = (await dbInstanceKind.create(context(aws, 'db'), spec).catch((e: unknown) => e)) as WpdeployError;
    expect(err).toBeInstanceOf(WpdeployError);
    expect(err.hint).toMatch(/database.engine to mariadb/);
  });

  it('already exists with this stack\'s tags (a crashed create): adopted', async () => {
    secretValue();
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [] });
    rds.on(CreateDBInstanceCommand).rejects(awsError('DBInstanceAlreadyExists'));
    rds.on(DescribeDBInstancesCommand).rejectsOnce(notFound()).resolves({ DBInstances: [instance()] });
    const ctx = context(aws, 'db');
    const a = await dbInstanceKind.create(ctx, spec);
    expect(a.id).toBe(ID);
    expect(ctx.recordId).toHaveBeenCalledWith(ID, ARN);
    expect(rds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
  });

  it('already exists and belongs to another stack: refused', async () => {
    secretValue();
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [] });
    rds.on(CreateDBInstanceCommand).rejects(awsError('DBInstanceAlreadyExists'));
    rds.on(DescribeDBInstancesCommand).rejectsOnce(notFound()).resolves({ DBInstances: [instance({ TagList: toTagList({ 'wpdeploy:stack': 'shop' }) })] });
    await expect(dbInstanceKind.create(context(aws, 'db'), spec)).rejects.toThrow(/belongs to stack shop/);
  });

  it('an instance of that name still being deleted (an earlier down) is waited out first', async () => {
    secretValue();
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [] });
    rds.on(CreateDBInstanceCommand).resolves({ DBInstance: instance({ DBInstanceStatus: 'creating' }) });
    rds.on(DescribeDBInstancesCommand)
      .resolvesOnce({ DBInstances: [instance({ DBInstanceStatus: 'deleting' })] })
      .resolvesOnce({ DBInstances: [instance({ DBInstanceStatus: 'deleting' })] })
      .rejectsOnce(notFound())
      .resolves({ DBInstances: [instance()] });
    await dbInstanceKind.create(context(aws, 'db'), spec);
    expect(rds.commandCalls(CreateDBInstanceCommand)).toHaveLength(1);
  });
});

describe('db instance update', () => {
  it('class change: ModifyDBInstance in the maintenance window, and says so', async () => {
    rds.on(ModifyDBInstanceCommand).resolves({});
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance({ PendingModifiedValues: { DBInstanceClass: 'db.t4g.small' } })] });
    const ctx = context(aws, 'db');
    const want = { ...spec, instanceClass: 'db.t4g.small' };
    const a = await dbInstanceKind.update!(ctx, want, actual, dbInstanceKind.diff(want, actual));
    expect(rds.commandCalls(ModifyDBInstanceCommand)[0]!.args[0].input).toEqual({ DBInstanceIdentifier: ID, ApplyImmediately: false, DBInstanceClass: 'db.t4g.small' });
    expect(ctx.warn.mock.calls.join('\n')).toMatch(/instanceClass will change in the next maintenance window \(sun:05:00-sun:05:30\), not now/);
    expect(dbInstanceKind.diff(want, a)).toEqual({ changes: [] });
  });
  it('tags only: AddTagsToResource, no modify', async () => {
    rds.on(AddTagsToResourceCommand).resolves({});
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [instance()] });
    const want = { ...spec, tags: { ...own, team: 'web' } };
    await dbInstanceKind.update!(context(aws, 'db'), want, actual, dbInstanceKind.diff(want, actual));
    expect(rds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
    expect(rds.commandCalls(AddTagsToResourceCommand)[0]!.args[0].input).toEqual({ ResourceName: ARN, Tags: [{ Key: 'team', Value: 'web' }] });
  });
});

describe('db instance delete', () => {
  it('down: lifts deletion protection and says so, deletes with a final snapshot tagged for the stack, waits until gone', async () => {
    rds.on(ModifyDBInstanceCommand).resolves({});
    rds.on(DeleteDBInstanceCommand).resolves({});
    rds.on(DescribeDBInstancesCommand).resolvesOnce({ DBInstances: [instance({ DBInstanceStatus: 'deleting' })] }).rejects(notFound());
    rds.on(DescribeDBSnapshotsCommand).callsFake((input: { DBSnapshotIdentifier?: string }) => ({ DBSnapshots: [snapshot(input.DBSnapshotIdentifier!, '2026-01-01')] }));
    const ctx = context(aws, 'db');
    await dbInstanceKind.delete(ctx, actual);
    expect(rds.commandCalls(ModifyDBInstanceCommand)[0]!.args[0].input).toEqual({ DBInstanceIdentifier: ID, DeletionProtection: false, ApplyImmediately: false });
    const del = rds.commandCalls(DeleteDBInstanceCommand)[0]!.args[0].input;
    expect(del.FinalDBSnapshotIdentifier).toMatch(/^blog-final-\d{14}$/);
    expect(del.SkipFinalSnapshot).toBeUndefined();
    expect(ctx.warn.mock.calls.join('\n')).toMatch(/lifting the deletion protection of db instance blog-db/);
    expect(ctx.warn.mock.calls.join('\n')).toMatch(/kept the final snapshot blog-final-/);
    expect(rds.commandCalls(AddTagsToResourceCommand)).toHaveLength(0); // CopyTagsToSnapshot tagged it
    // the log groups RDS made for its log exports, once the instance is gone
    const deleted = logs.commandCalls(DeleteLogGroupCommand);
    expect(deleted.map((c) => c.args[0].input.logGroupName)).toEqual(['/aws/rds/instance/blog-db/error', '/aws/rds/instance/blog-db/slowquery']);
    expect(deleted[0]!.calledAfter(rds.commandCalls(DescribeDBInstancesCommand).at(-1)!)).toBe(true);
  });

  it('lifting deletion protection leaves the modifications queued for the maintenance window queued (ApplyImmediately false, nothing else sent)', async () => {
    rds.on(ModifyDBInstanceCommand).resolves({});
    rds.on(DeleteDBInstanceCommand).resolves({});
    rds.on(DescribeDBInstancesCommand).rejects(notFound());
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [] });
    const queued: DbInstanceActual = { ...actual, pending: { instanceClass: 'db.t4g.large' } };
    await dbInstanceKind.delete(context(aws, 'db', 'db', { purge: true }), queued);
    const calls = rds.commandCalls(ModifyDBInstanceCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([{ DBInstanceIdentifier: ID, DeletionProtection: false, ApplyImmediately: false }]);
  });

  it('down: a final snapshot without the stack tags (copy-tags turned off outside wpdeploy) gets them', async () => {
    rds.on(DeleteDBInstanceCommand).resolves({});
    rds.on(AddTagsToResourceCommand).resolves({});
    rds.on(DescribeDBInstancesCommand).rejects(notFound());
    rds.on(DescribeDBSnapshotsCommand).callsFake((input: { DBSnapshotIdentifier?: string }) => ({ DBSnapshots: [snapshot(input.DBSnapshotIdentifier!, '2026-01-01', { TagList: [] })] }));
    await dbInstanceKind.delete(context(aws, 'db'), { ...actual, deletionProtection: false });
    expect(rds.commandCalls(AddTagsToResourceCommand)[0]!.args[0].input.Tags).toEqual(toTagList(own));
  });

  it('--purge: no final snapshot, and the snapshots an earlier down kept are deleted', async () => {
    rds.on(ModifyDBInstanceCommand).resolves({});
    rds.on(DeleteDBInstanceCommand).resolves({});
    rds.on(DeleteDBSnapshotCommand).resolves({});
    rds.on(DescribeDBInstancesCommand).rejects(notFound());
    rds.on(DescribeDBSnapshotsCommand, { DBInstanceIdentifier: ID, SnapshotType: 'manual' }).resolves({ DBSnapshots: [snapshot('blog-final-20260101000000', '2026-01-01')] });
    rds.on(DescribeDBSnapshotsCommand, { DBSnapshotIdentifier: 'blog-final-20260101000000' }).rejects(awsError('DBSnapshotNotFound', 404));
    await dbInstanceKind.delete(context(aws, 'db', 'db', { purge: true }), actual);
    expect(rds.commandCalls(DeleteDBInstanceCommand)[0]!.args[0].input).toEqual({ DBInstanceIdentifier: ID, SkipFinalSnapshot: true, DeleteAutomatedBackups: true });
    expect(rds.commandCalls(DeleteDBSnapshotCommand).map((c) => c.args[0].input.DBSnapshotIdentifier)).toEqual(['blog-final-20260101000000']);
  });

  it('--purge after a down: only snapshots left, deleted', async () => {
    rds.on(DeleteDBSnapshotCommand).resolves({});
    rds.on(DescribeDBSnapshotsCommand).rejects(awsError('DBSnapshotNotFound', 404));
    await dbInstanceKind.delete(context(aws, 'db', 'db', { purge: true }), { ...actual, snapshotsOnly: ['blog-final-1', 'blog-final-2'] });
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(0);
    expect(rds.commandCalls(DeleteDBSnapshotCommand)).toHaveLength(2);
  });

  it('busy (InvalidDBInstanceState) then deleted: retried', async () => {
    rds.on(DeleteDBInstanceCommand).rejectsOnce(awsError('InvalidDBInstanceStateFault')).resolves({});
    rds.on(DescribeDBInstancesCommand).rejects(notFound());
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [] });
    await dbInstanceKind.delete(context(aws, 'db', 'db', { purge: true }), { ...actual, deletionProtection: false });
    expect(rds.commandCalls(DeleteDBInstanceCommand)).toHaveLength(2);
  });

  it('already gone is success', async () => {
    rds.on(DeleteDBInstanceCommand).rejects(notFound());
    rds.on(DescribeDBSnapshotsCommand).rejects(awsError('DBSnapshotNotFound', 404));
    await expect(dbInstanceKind.delete(context(aws, 'db'), { ...actual, deletionProtection: false })).resolves.toBeUndefined();
  });

  it('a second down in the same second: the snapshot name gets a suffix', async () => {
    rds.on(DeleteDBInstanceCommand).rejectsOnce(awsError('DBSnapshotAlreadyExists')).resolves({});
    rds.on(DescribeDBInstancesCommand).rejects(notFound());
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [] });
    await dbInstanceKind.delete(context(aws, 'db'), { ...actual, deletionProtection: false });
    const ids = rds.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input.FinalDBSnapshotIdentifier);
    expect(ids[1]).toBe(`${ids[0]}-2`);
  });
});
