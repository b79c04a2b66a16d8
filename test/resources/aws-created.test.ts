/**
 * What AWS creates for the stack by itself (aws-created.ts): the recovery points of EFS automatic
 * backups, deleted after the file system on `down --purge` (or named, with the reason, when AWS
 * Backup refuses), and counted in what plain `down` keeps.
 */
import { BackupClient, DeleteRecoveryPointCommand, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import { DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { toTagList } from '../../src/aws/tags.js';
import { deleteEfsRecoveryPoints, EFS_BACKUP_VAULT } from '../../src/resources/aws-created.js';
import { describeKeptData } from '../../src/resources/kept-data.js';
import { awsError, context, newClients, tagsOf } from './data-context.js';

const backup = mockClient(BackupClient);
let aws: AwsClients;
beforeEach(() => {
  backup.reset();
  aws = newClients();
});
afterEach(() => aws.destroy());

const FS = 'fs-12345678';
const FS_ARN = `arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/${FS}`;
const point = (n: number, vault = EFS_BACKUP_VAULT) => ({ RecoveryPointArn: `arn:aws:backup:us-east-1:123456789012:recovery-point:${n}`, BackupVaultName: vault, Status: 'COMPLETED' as const, BackupSizeBytes: 2e9 });

describe('EFS automatic backups on down --purge', () => {
  it('deletes every recovery point of the file system in the EFS automatic backup vault, and only those', async () => {
    backup.on(ListRecoveryPointsByResourceCommand).resolvesOnce({ RecoveryPoints: [point(1), point(2, 'my-own-vault')], NextToken: 't' }).resolves({ RecoveryPoints: [point(3)] });
    backup.on(DeleteRecoveryPointCommand).resolves({});
    const ctx = context(aws, 'efs');
    await deleteEfsRecoveryPoints(ctx, FS, FS_ARN);
    expect(backup.commandCalls(ListRecoveryPointsByResourceCommand).map((c) => c.args[0].input)).toEqual([{ ResourceArn: FS_ARN }, { ResourceArn: FS_ARN, NextToken: 't' }]);
    expect(backup.commandCalls(DeleteRecoveryPointCommand).map((c) => c.args[0].input)).toEqual([
      { BackupVaultName: EFS_BACKUP_VAULT, RecoveryPointArn: point(1).RecoveryPointArn },
      { BackupVaultName: EFS_BACKUP_VAULT, RecoveryPointArn: point(3).RecoveryPointArn },
    ]);
    expect(ctx.warn).not.toHaveBeenCalled();
  });

  it('what AWS Backup refuses to delete (a vault policy that denies it) is named with the reason and what it costs', async () => {
    backup.on(ListRecoveryPointsByResourceCommand).resolves({ RecoveryPoints: [point(1), point(2)] });
    backup.on(DeleteRecoveryPointCommand).rejectsOnce(awsError('AccessDeniedException', 403, 'denied by the backup vault access policy')).resolves({});
    const ctx = context(aws, 'efs');
    await deleteEfsRecoveryPoints(ctx, FS, FS_ARN);
    const warning = ctx.warn.mock.calls.join('\n');
    expect(warning).toContain(`kept 1 automatic backup(s) of ${FS} in ${EFS_BACKUP_VAULT}`);
    expect(warning).toContain(`${point(1).RecoveryPointArn} (AccessDeniedException: denied by the backup vault access policy)`);
    expect(warning).toMatch(/\$0\.05 per GB-month/);
  });

  it('another error is not swallowed; an endpoint without AWS Backup gets a warning', async () => {
    backup.on(ListRecoveryPointsByResourceCommand).resolves({ RecoveryPoints: [point(1)] });
    backup.on(DeleteRecoveryPointCommand).rejects(awsError('ServiceUnavailableException', 503));
    await expect(deleteEfsRecoveryPoints(context(aws, 'efs'), FS, FS_ARN)).rejects.toMatchObject({ name: 'ServiceUnavailableException' });
    backup.reset();
    backup.on(ListRecoveryPointsByResourceCommand).rejects(awsError('NotImplemented', 501));
    const ctx = context(aws, 'efs');
    await deleteEfsRecoveryPoints(ctx, FS, FS_ARN);
    expect(ctx.warn.mock.calls.join('\n')).toMatch(/does not implement AWS Backup/);
  });
});

describe('plain down keeps the backups with the file system and counts them', () => {
  it('lists them as kept, with their size', async () => {
    const efs = mockClient(EFSClient);
    const rds = mockClient(RDSClient);
    const sm = mockClient(SecretsManagerClient);
    efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [{
      FileSystemId: FS, FileSystemArn: FS_ARN, SizeInBytes: { Value: 1e9 }, Tags: toTagList(tagsOf('efs')),
      CreationToken: 't', OwnerId: '123456789012', CreationTime: new Date(), LifeCycleState: 'available', NumberOfMountTargets: 0, PerformanceMode: 'generalPurpose',
    }] });
    rds.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [] });
    sm.on(ListSecretsCommand).resolves({ SecretList: [] });
    backup.on(ListRecoveryPointsByResourceCommand).resolves({ RecoveryPoints: [point(1), point(2)] });
    const kept = await describeKeptData({ aws, stack: 'blog' });
    expect(kept).toEqual([
      { kind: 'file-system', id: FS, sizeGb: 1 },
      { kind: 'efs-backups', id: `2 recovery points of ${FS} in ${EFS_BACKUP_VAULT}`, sizeGb: 4 },
    ]);
    efs.restore();
    rds.restore();
    sm.restore();
  });
});
