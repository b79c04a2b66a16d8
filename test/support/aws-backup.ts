/**
 * AWS Backup as the CLI sees it, which moto 5.1.1 lacks (it has backup plans and vaults, no recovery
 * points): the recovery points EFS automatic backups make, answered through the proxy as AWS does.
 *
 * A test makes them as AWS would (`backUp(fileSystemArn)`: one more daily backup of a file system
 * whose backup policy is ENABLED, into the `aws/efs/automatic-backup-vault` vault); the CLI lists
 * them (ListRecoveryPointsByResource) and deletes them (DeleteRecoveryPoint).
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListRecoveryPointsByResource.html
 * https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteRecoveryPoint.html
 */
import { randomUUID } from 'node:crypto';
import type { AwsCall, Reply } from './aws-proxy.js';

export const EFS_VAULT = 'aws/efs/automatic-backup-vault';

export interface SimulatedRecoveryPoint {
  RecoveryPointArn: string;
  ResourceArn: string;
  BackupVaultName: string;
  Status: 'COMPLETED';
  CreationDate: number;
  BackupSizeBytes: number;
}

export interface BackupSimulation {
  readonly points: SimulatedRecoveryPoint[];
  /** One more automatic backup of the resource, as AWS Backup makes it; returns its ARN. */
  backUp(resourceArn: string, sizeBytes?: number): string;
  /** The answer to an AWS Backup call, or undefined for another service. */
  answer(call: AwsCall): Reply | undefined;
}

const LIST = /^GET \/resources\/([^/]+)\/recovery-points\/?$/;
const DELETE = /^DELETE \/backup-vaults\/([^/]+)\/recovery-points\/([^/]+)$/;

export function backupSimulation(): BackupSimulation {
  const points: SimulatedRecoveryPoint[] = [];
  const json = (status: number, body: unknown, errorType?: string): Reply => ({
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID(), ...(errorType ? { 'x-amzn-errortype': errorType } : {}) },
    body: JSON.stringify(body),
  });
  return {
    points,
    backUp(resourceArn, sizeBytes = 6144) {
      const [, , , region, account] = resourceArn.split(':');
      const RecoveryPointArn = `arn:aws:backup:${region}:${account}:recovery-point:${randomUUID()}`;
      points.push({ RecoveryPointArn, ResourceArn: resourceArn, BackupVaultName: EFS_VAULT, Status: 'COMPLETED', CreationDate: Date.now() / 1000, BackupSizeBytes: sizeBytes });
      return RecoveryPointArn;
    },
    answer(call) {
      if (call.service !== 'backup') return undefined;
      const list = LIST.exec(call.operation);
      if (list) {
        const arn = decodeURIComponent(list[1]!);
        const RecoveryPoints = points.filter((p) => p.ResourceArn === arn).map(({ ResourceArn: _r, ...p }) => p);
        return json(200, { RecoveryPoints });
      }
      const del = DELETE.exec(call.operation);
      if (del) {
        const vault = decodeURIComponent(del[1]!);
        const arn = decodeURIComponent(del[2]!);
        const i = points.findIndex((p) => p.RecoveryPointArn === arn && p.BackupVaultName === vault);
        if (i < 0) return json(400, { Code: 'ResourceNotFoundException', Message: `Recovery point ${arn} not found in ${vault}` }, 'ResourceNotFoundException');
        points.splice(i, 1);
        return json(200, {});
      }
      throw new Error(`AWS Backup ${call.operation} is not simulated`);
    },
  };
}
