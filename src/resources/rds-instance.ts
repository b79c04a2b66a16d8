/**
 * The RDS MySQL/MariaDB instance: gp3 storage, Multi-AZ, encrypted, not public, in the data subnets
 * behind the db security group, backups kept, deletion protection, tags copied to snapshots, minor
 * upgrades, error and slow-query logs exported (FSBP RDS.2, .3, .5, .8, .11, .13, .17). The master
 * user and password are read from the database secret at create time and never stored.
 *
 * - `up` when no instance exists but a final snapshot `down` kept for this stack does: restores the
 *   newest one (RestoreDBInstanceFromDBSnapshot, same settings), so the site comes back with its data.
 * - Class, storage, storage type, Multi-AZ and engine version changes are made with ModifyDBInstance
 *   in the next maintenance window unless the spec says `applyImmediately` (the plan says which);
 *   the other settings apply at once. A storage decrease, an engine change, an unencrypted instance,
 *   an engine downgrade or another subnet group cannot be made in place: refused with the reason.
 * - `down` lifts deletion protection (and says so), deletes with a uniquely named final snapshot
 *   `<stack>-final-<UTC timestamp>` carrying the stack's tags, and waits until the instance is gone.
 * - `down --purge` deletes without a final snapshot, then deletes the final snapshots `down` kept.
 */
import { TAG_NAME, TAG_STACK, type TagMap } from '../aws/tags.js';
import { findByName } from './rds-common.js';
import type { EngineLifecycle } from './rds-engine-lifecycle.js';
import { createInstance, DB_CREATE_MS, DB_DELETE_MS, deleteInstance, findInstance, snapshotsActual, toActual, updateInstance } from './rds-instance-ops.js';
import { planModification } from './rds-instance-plan.js';
import { keptSnapshots } from './rds-snapshot.js';
import { defineKind } from './kinds.js';
import { known, type Actual, type Diff, type ResourceKind } from './types.js';

export interface DbInstanceSpec {
  /** `<stack>-db`: fixed, so that a crash between the create call and the state write leaves it findable. */
  identifier: string;
  engine: 'mysql' | 'mariadb';
  /** `8.0` (AWS picks the minor) or `8.0.39`. */
  engineVersion: string;
  instanceClass: string;
  storageGb: number;
  multiAz: boolean;
  backupRetentionDays: number;
  deletionProtection: boolean;
  dbName: string;
  port: number;
  subnetGroupName: string;
  securityGroupIds: string[];
  /** The database secret (username, password): read at create time, never stored. */
  secretArn: string;
  logExports: string[];
  /** The stack's DB parameter group (TLS required), of the family of engineVersion. */
  parameterGroupName: string;
  /**
   * MySQL only (AWS applies it to RDS for MySQL and PostgreSQL, not MariaDB): sent on every create,
   * restore and, when it differs, modify, so that AWS never enrolls the instance in paid Extended
   * Support by default (its default is `open-source-rds-extended-support`).
   */
  engineLifecycleSupport?: EngineLifecycle;
  /** Make class/storage/Multi-AZ/version changes now rather than in the maintenance window (default false). */
  applyImmediately: boolean;
  tags: TagMap;
}

export interface DbInstanceActual extends Actual {
  /** The instance identifier; with `snapshotsOnly`, the newest kept snapshot. */
  id: string;
  arn: string;
  state: string;
  engine: string;
  engineVersion: string;
  instanceClass: string;
  storageGb: number;
  storageType: string;
  multiAz: boolean;
  encrypted: boolean;
  publiclyAccessible: boolean;
  backupRetentionDays: number;
  deletionProtection: boolean;
  copyTagsToSnapshot: boolean;
  autoMinorVersionUpgrade: boolean;
  logExports: string[];
  subnetGroupName: string;
  securityGroupIds: string[];
  endpoint: string;
  port: number;
  dbName: string;
  maintenanceWindow: string;
  parameterGroupName: string;
  /** `in-sync`, `pending-reboot`, `applying`: whether the group's parameters are in force. */
  parameterApplyStatus: string;
  /** `open-source-rds-extended-support` or `-disabled` (MySQL); empty when AWS does not say. */
  engineLifecycleSupport: string;
  /** Changes AWS will make in the next maintenance window, by field of this interface. */
  pending: Partial<Pick<DbInstanceActual, 'instanceClass' | 'storageGb' | 'storageType' | 'multiAz' | 'engineVersion' | 'backupRetentionDays'>>;
  tags: TagMap;
  /** `down --purge` only: no instance, but these kept final snapshots of the stack (to delete). */
  snapshotsOnly?: string[];
}

export const dbInstanceKind: ResourceKind<DbInstanceSpec, DbInstanceActual, 'endpoint' | 'port' | 'identifier' | 'arn' | 'dbName'> = defineKind({
  name: 'rds:db-instance',
  noun: 'db instance',
  timing: { createMs: DB_CREATE_MS.multiAz, deleteMs: DB_DELETE_MS },
  onReplace: 'refuse',

  /**
   * By the recorded identifier, then the one the spec fixes (`<stack>-db`) when it carries this
   * stack's tags. An instance being deleted counts as gone. With `down --purge` and no instance, the
   * kept final snapshots of the stack are returned (`snapshotsOnly`), so that they get deleted too.
   */
  async find(ctx, desired) {
    const fallback = desired && known(desired.identifier) ? desired.identifier : ctx.tags[TAG_NAME]?.toLowerCase();
    const found = await findByName(ctx, fallback, {
      describe: (id) => findInstance(ctx, id), toActual: (d) => toActual(ctx, d),
      gone: (d) => d.DBInstanceStatus === 'deleting', owns: (tags) => tags[TAG_STACK] === ctx.stack,
    });
    if (found) {
      if (desired?.engineLifecycleSupport && !found.engineLifecycleSupport) ctx.warn('the endpoint does not report the instance\'s EngineLifecycleSupport, so it is not compared (a local emulator drops it; AWS reports it)');
      return found;
    }
    if (!ctx.purge) return undefined;
    const ids = [...new Set([ctx.recordedId, fallback].filter((x): x is string => !!x))];
    const snaps = (await Promise.all(ids.map((id) => keptSnapshots(ctx, id)))).flat();
    return snaps.length ? snapshotsActual([...new Set(snaps.map((s) => s.DBSnapshotIdentifier!))]) : undefined;
  },

  diff(desired, actual): Diff {
    const m = planModification(desired, actual);
    return m.refuse.length ? { changes: m.changes, replace: m.refuse.join('; ') } : { changes: m.changes };
  },

  /**
   * Restores from the newest final snapshot this stack kept, when there is one; otherwise creates the
   * instance with its tags in the same call, the master credentials read from the secret. Records the
   * identifier at once, then waits until `available` (about 15 minutes Multi-AZ), with progress.
   * An instance of that identifier with this stack's tags (a create that crashed) is adopted.
   */
  create: createInstance,

  /**
   * One ModifyDBInstance for every setting that differs, then the tags. Class, storage, storage
   * type, Multi-AZ and version apply in the next maintenance window unless `applyImmediately`:
   * a warning says which and when. Waits until the instance is available again.
   */
  update: (ctx, desired, actual) => updateInstance(ctx, desired, actual),

  /**
   * Lifts deletion protection (and says so), then deletes: with a final snapshot
   * `<stack>-final-<timestamp>` tagged with the stack's tags (`down`), or without one, the kept
   * snapshots deleted too (`down --purge`). Waits until the instance is gone. Already gone is success.
   */
  delete: deleteInstance,

  outputs: (a) => ({ endpoint: a.endpoint, port: String(a.port), identifier: a.id, arn: a.arn, dbName: a.dbName }),
});
