/**
 * What AWS creates for the stack by itself, which no step creates and `down` must still remove:
 *
 * - RDS log exports write to `/aws/rds/instance/<id>/<log type>` (`error`, `slowquery`), created by
 *   RDS (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html).
 * - Container Insights writes to `/aws/ecs/containerinsights/<cluster>/performance`, created by ECS
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-view-metrics.html).
 * - EFS automatic backups keep recovery points in the `aws/efs/automatic-backup-vault` vault of AWS
 *   Backup, which outlive the file system; the vault itself cannot be deleted, its recovery points can
 *   (https://docs.aws.amazon.com/aws-backup/latest/devguide/delete-a-vault.html).
 *
 * Each goes after its owner is gone, never before: the instance and the cluster write their log
 * groups while they run (AWS would create them again), and the backup plan may take one more
 * recovery point while the file system exists. Log groups go with their owner on `down` as on
 * `down --purge`, as the stack's own do; recovery points hold the file system's data, so they stay
 * with it on `down` (counted in what it keeps) and go with it on `down --purge`.
 */
import type { RecoveryPointByResource } from '@aws-sdk/client-backup';
import { isAccessDenied, isNotFound, isNotImplemented } from '../aws/errors.js';
import { orAbsent } from '../aws/idempotent.js';
import { Backup, CloudWatchLogs } from '../aws/sdk.js';
import { paged } from '../aws/reads.js';
import type { ResourceContext } from './types.js';

/** The vault EFS automatic backups write to. */
export const EFS_BACKUP_VAULT = 'aws/efs/automatic-backup-vault';

/** The RDS logs the stack exports to CloudWatch Logs. */
export const RDS_LOG_EXPORTS: readonly string[] = ['error', 'slowquery'];

export const rdsLogGroups = (instanceId: string, logTypes: readonly string[]) => logTypes.map((t) => `/aws/rds/instance/${instanceId}/${t}`);
export const containerInsightsLogGroup = (cluster: string) => `/aws/ecs/containerinsights/${cluster}/performance`;

/** Deletes the log groups AWS created for `owner` (gone by now); one already gone is success. */
export async function deleteAwsLogGroups(ctx: ResourceContext, owner: string, names: readonly string[]): Promise<void> {
  const client = ctx.aws.get(CloudWatchLogs.CloudWatchLogsClient);
  const deleted: string[] = [];
  for (const logGroupName of names) {
    const done = await orAbsent(async () => {
      await client.send(new CloudWatchLogs.DeleteLogGroupCommand({ logGroupName }));
      return true;
    });
    if (done) deleted.push(logGroupName);
  }
  if (deleted.length) ctx.progress(`deleted the log group${deleted.length === 1 ? '' : 's'} AWS created for ${owner}: ${deleted.join(', ')}`);
}

/** The recovery points EFS automatic backups made of a file system; undefined when the endpoint has no AWS Backup. */
export async function efsRecoveryPoints(ctx: Pick<ResourceContext, 'aws'>, fileSystemArn: string): Promise<RecoveryPointByResource[] | undefined> {
  const client = ctx.aws.get(Backup.BackupClient);
  try {
    const all = await paged((NextToken) => client.send(new Backup.ListRecoveryPointsByResourceCommand({ ResourceArn: fileSystemArn, NextToken })), (r) => [r.RecoveryPoints, r.NextToken]);
    return all.filter((p) => p.BackupVaultName === EFS_BACKUP_VAULT);
  } catch (err) {
    if (isNotImplemented(err)) return undefined;
    throw err;
  }
}

/**
 * `down --purge`, once the file system is gone: deletes its automatic backups. What AWS Backup
 * refuses to delete (a vault access policy that denies it; a backup still running) is named in a
 * warning with the reason, never left unsaid.
 */
export async function deleteEfsRecoveryPoints(ctx: ResourceContext, fileSystemId: string, fileSystemArn: string): Promise<void> {
  const points = await efsRecoveryPoints(ctx, fileSystemArn);
  if (points === undefined) {
    ctx.warn(`the endpoint does not implement AWS Backup (a local emulator?): the automatic backups of ${fileSystemId} in ${EFS_BACKUP_VAULT}, if any, were not looked for.`);
    return;
  }
  const client = ctx.aws.get(Backup.BackupClient);
  const refused: string[] = [];
  for (const p of points) {
    if (p.Status === 'DELETING') continue;
    try {
      await client.send(new Backup.DeleteRecoveryPointCommand({ BackupVaultName: EFS_BACKUP_VAULT, RecoveryPointArn: p.RecoveryPointArn! }));
    } catch (err) {
      if (isNotFound(err)) continue;
      if (!isAccessDenied(err) && !['InvalidRequestException', 'InvalidResourceStateException'].includes((err as Error).name)) throw err;
      refused.push(`${p.RecoveryPointArn} (${(err as Error).name}: ${(err as Error).message})`);
    }
  }
  if (points.length > refused.length) ctx.progress(`deleted ${points.length - refused.length} automatic backup(s) of ${fileSystemId} from ${EFS_BACKUP_VAULT}`);
  if (refused.length) {
    ctx.warn(`kept ${refused.length} automatic backup(s) of ${fileSystemId} in ${EFS_BACKUP_VAULT}, which AWS Backup refused to delete: ${refused.join('; ')}. `
      + 'They cost about $0.05 per GB-month until their retention ends (35 days for EFS automatic backups): delete them in the AWS Backup console once AWS Backup allows it (the vault\'s access policy must not deny backup:DeleteRecoveryPoint).');
  }
}
