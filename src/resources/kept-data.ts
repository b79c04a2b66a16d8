/**
 * What `down` keeps of the data tier (the final DB snapshot, the EFS file system, the secrets) and what
 * keeping it costs per month, for the down summary. `keptMonthlyCost` is pure; `describeKeptData`
 * reads what AWS holds for the stack (sizes included).
 *
 * Price assumptions (AWS list prices, us-east-1, USD, checked 2025; other regions cost up to ~30% more):
 * - Secrets Manager: 0.40 per secret per month (API calls aside).
 * - RDS snapshot storage after the instance is deleted (no free allowance left): 0.095 per GiB-month.
 *   The snapshot is billed for the data it holds, at most the allocated storage, which is what is
 *   used here: an upper bound.
 * - EFS Standard storage: 0.30 per GB-month of metered size; EFS backups (AWS Backup, warm): 0.05 per
 *   GB-month of the recovery points' size. Files moved to Infrequent Access cost less (0.016), so this
 *   is an upper bound too.
 */
import { fromTagList, TAG_STACK } from '../aws/tags.js';
import { EFS_BACKUP_VAULT, efsRecoveryPoints } from './aws-created.js';
import { listFileSystems } from './efs-common.js';
import { keptSnapshots } from './rds-snapshot.js';
import { stackSecrets } from './secrets-common.js';
import type { ResourceContext } from './types.js';

export interface KeptItem {
  kind: 'secret' | 'file-system' | 'efs-backups' | 'db-snapshot';
  /** ARN, file system id, snapshot identifier; for backups, where they are. */
  id: string;
  /** GB (GiB for snapshots): metered size of a file system, allocated storage of a snapshot, size of the backups. */
  sizeGb?: number;
}

export interface KeptPrices {
  secretPerMonth: number;
  snapshotPerGbMonth: number;
  efsStandardPerGbMonth: number;
  efsBackupPerGbMonth: number;
}

/** us-east-1 list prices in USD (see the file comment). */
export const KEPT_PRICES_US_EAST_1: KeptPrices = {
  secretPerMonth: 0.4,
  snapshotPerGbMonth: 0.095,
  efsStandardPerGbMonth: 0.3,
  efsBackupPerGbMonth: 0.05,
};

export interface KeptCost {
  items: Array<KeptItem & { monthlyUsd: number; basis: string }>;
  totalUsd: number;
  /** The assumptions to print under the total. */
  assumptions: string[];
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const gb = (n: number | undefined) => (n === undefined ? 'size unknown' : `${n < 10 ? n.toFixed(2) : Math.round(n)} GB`);

/** Pure: the monthly cost of what `down` kept, item by item, with the basis of each figure. */
export function keptMonthlyCost(items: readonly KeptItem[], prices: KeptPrices = KEPT_PRICES_US_EAST_1): KeptCost {
  const out = items.map((item) => {
    switch (item.kind) {
      case 'secret':
        return { ...item, monthlyUsd: prices.secretPerMonth, basis: `$${prices.secretPerMonth.toFixed(2)} per secret` };
      case 'db-snapshot': {
        const size = item.sizeGb ?? 0;
        return { ...item, monthlyUsd: round2(size * prices.snapshotPerGbMonth), basis: `at most ${gb(item.sizeGb)} x $${prices.snapshotPerGbMonth}/GB` };
      }
      case 'file-system': {
        const size = item.sizeGb ?? 0;
        return { ...item, monthlyUsd: round2(size * prices.efsStandardPerGbMonth), basis: `${gb(item.sizeGb)} x $${prices.efsStandardPerGbMonth}/GB` };
      }
      case 'efs-backups': {
        const size = item.sizeGb ?? 0;
        return { ...item, monthlyUsd: round2(size * prices.efsBackupPerGbMonth), basis: `${gb(item.sizeGb)} x $${prices.efsBackupPerGbMonth}/GB of backup storage` };
      }
    }
  });
  return {
    items: out,
    totalUsd: round2(out.reduce((s, i) => s + i.monthlyUsd, 0)),
    assumptions: [
      'us-east-1 list prices; other regions cost up to ~30% more',
      'snapshots at their allocated size and files in EFS Standard: upper bounds',
    ],
  };
}

/**
 * What AWS holds of a stack's data: its secrets (scheduled for deletion or not), its file systems
 * with their metered size and their automatic backups (aws-created.ts), and the final snapshots
 * `down` kept of `<stack>-db` with their size.
 */
export async function describeKeptData(ctx: Pick<ResourceContext, 'aws' | 'stack'>): Promise<KeptItem[]> {
  const [secretList, fileSystems, snapshots] = await Promise.all([
    stackSecrets(ctx, ctx.stack),
    listFileSystems(ctx),
    keptSnapshots(ctx, `${ctx.stack}-db`),
  ]);
  const mine = fileSystems.filter((fs) => fromTagList(fs.Tags)[TAG_STACK] === ctx.stack);
  const backups = await Promise.all(mine.map(async (fs): Promise<KeptItem[]> => {
    const points = fs.FileSystemArn ? await efsRecoveryPoints(ctx, fs.FileSystemArn) : undefined;
    if (!points?.length) return [];
    const sizeGb = points.reduce((s, p) => s + (p.BackupSizeBytes ?? 0), 0) / 1e9;
    return [{ kind: 'efs-backups', id: `${points.length} recovery point${points.length === 1 ? '' : 's'} of ${fs.FileSystemId} in ${EFS_BACKUP_VAULT}`, sizeGb }];
  }));
  return [
    ...snapshots.map((s): KeptItem => ({ kind: 'db-snapshot', id: s.DBSnapshotIdentifier!, sizeGb: s.AllocatedStorage })),
    ...mine.map((fs): KeptItem => ({ kind: 'file-system', id: fs.FileSystemId!, sizeGb: (fs.SizeInBytes?.Value ?? 0) / 1e9 })),
    ...backups.flat(),
    // In one order from run to run (ListSecrets has none).
    ...secretList.map((s): KeptItem => ({ kind: 'secret', id: s.arn })).sort((a, b) => a.id.localeCompare(b.id)),
  ];
}
