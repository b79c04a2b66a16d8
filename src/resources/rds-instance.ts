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
import type { DBInstance, DBSnapshot, ModifyDBInstanceMessage } from '@aws-sdk/client-rds';
import { RDS } from '../aws/sdk.js';
import { isAlreadyExists, isDependencyViolation, isNotFound } from '../aws/errors.js';
import { writeOrVerify } from '../aws/idempotent.js';
import { retrying, waitFor } from '../aws/poll.js';
import { deleteAwsLogGroups, RDS_LOG_EXPORTS, rdsLogGroups } from './aws-created.js';
import { ownedBy, TAG_NAME, TAG_STACK, type TagMap, tagsToSet, toTagList } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { rds, rdsTags } from './rds-common.js';
import type { EngineLifecycle } from './rds-engine-lifecycle.js';
import { deleteLeftGroup } from './rds-parameter-group.js';
import { deleteSnapshots, describeSnapshot, finalSnapshotId, keptSnapshots } from './rds-snapshot.js';
import { readSecretJson } from './secret.js';
import { defineKind } from './kinds.js';
import { known, type Actual, type Diff, type FieldChange, type ResourceContext, type ResourceKind } from './types.js';

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

/** Typical times on AWS: Multi-AZ about 15 minutes to create (single-AZ about 7), about 8 to delete. */
export const DB_CREATE_MS = { multiAz: 15 * 60_000, singleAz: 7 * 60_000 };
export const DB_DELETE_MS = 8 * 60_000;
/** RDS describe calls are rate limited per account; a status check every 10 s at most is plenty for minutes-long waits. */
const MIN_POLL_MS = 10_000;

const FAILED = new Set([
  'failed', 'incompatible-network', 'incompatible-option-group', 'incompatible-parameters', 'incompatible-restore',
  'inaccessible-encryption-credentials', 'restore-error', 'storage-full',
]);

const minutes = (ms: number) => (ms >= 90_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`);

export async function describeInstance(ctx: Pick<ResourceContext, 'aws'>, id: string): Promise<DBInstance | undefined> {
  try {
    return (await rds(ctx).send(new RDS.DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * The instance, for a find: one DescribeDBInstances per run serves every step that looks at it (the
 * instance step and the engine version check), until a mutating RDS call.
 */
export function findInstance(ctx: Pick<ResourceContext, 'aws' | 'reads'>, id: string): Promise<DBInstance | undefined> {
  return ctx.reads ? ctx.reads.read(`rds:instance:${id}`, 'RDS', () => describeInstance(ctx, id)) : describeInstance(ctx, id);
}

async function toActual(ctx: ResourceContext, d: DBInstance): Promise<DbInstanceActual> {
  const p = d.PendingModifiedValues ?? {};
  const pending: DbInstanceActual['pending'] = {};
  if (p.DBInstanceClass) pending.instanceClass = p.DBInstanceClass;
  if (p.AllocatedStorage !== undefined) pending.storageGb = p.AllocatedStorage;
  if (p.StorageType) pending.storageType = p.StorageType;
  if (p.MultiAZ !== undefined) pending.multiAz = p.MultiAZ;
  if (p.EngineVersion) pending.engineVersion = p.EngineVersion;
  if (p.BackupRetentionPeriod !== undefined) pending.backupRetentionDays = p.BackupRetentionPeriod;
  const enable = p.PendingCloudwatchLogsExports?.LogTypesToEnable ?? [];
  const disable = p.PendingCloudwatchLogsExports?.LogTypesToDisable ?? [];
  const logs = [...new Set([...(d.EnabledCloudwatchLogsExports ?? []), ...enable])].filter((l) => !disable.includes(l)).sort();
  return {
    id: d.DBInstanceIdentifier!,
    arn: d.DBInstanceArn ?? '',
    state: d.DBInstanceStatus ?? 'unknown',
    engine: d.Engine ?? '',
    engineVersion: d.EngineVersion ?? '',
    instanceClass: d.DBInstanceClass ?? '',
    storageGb: d.AllocatedStorage ?? 0,
    storageType: d.StorageType ?? '',
    multiAz: d.MultiAZ ?? false,
    encrypted: d.StorageEncrypted ?? false,
    publiclyAccessible: d.PubliclyAccessible ?? false,
    backupRetentionDays: d.BackupRetentionPeriod ?? 0,
    deletionProtection: d.DeletionProtection ?? false,
    copyTagsToSnapshot: d.CopyTagsToSnapshot ?? false,
    autoMinorVersionUpgrade: d.AutoMinorVersionUpgrade ?? false,
    logExports: logs,
    subnetGroupName: d.DBSubnetGroup?.DBSubnetGroupName ?? '',
    securityGroupIds: (d.VpcSecurityGroups ?? []).map((g) => g.VpcSecurityGroupId!).sort(),
    endpoint: d.Endpoint?.Address ?? '',
    port: d.Endpoint?.Port ?? d.DbInstancePort ?? 0,
    dbName: d.DBName ?? '',
    maintenanceWindow: d.PreferredMaintenanceWindow ?? '',
    parameterGroupName: d.DBParameterGroups?.[0]?.DBParameterGroupName ?? '',
    parameterApplyStatus: d.DBParameterGroups?.[0]?.ParameterApplyStatus ?? '',
    engineLifecycleSupport: d.EngineLifecycleSupport ?? '',
    pending,
    tags: await rdsTags(ctx, d.DBInstanceArn ?? '', d.TagList),
  };
}

function snapshotsActual(ids: string[]): DbInstanceActual {
  return {
    id: ids[0]!, arn: '', state: 'snapshot kept', engine: '', engineVersion: '', instanceClass: '', storageGb: 0, storageType: '', multiAz: false,
    encrypted: true, publiclyAccessible: false, backupRetentionDays: 0, deletionProtection: false, copyTagsToSnapshot: false,
    autoMinorVersionUpgrade: false, logExports: [], subnetGroupName: '', securityGroupIds: [], endpoint: '', port: 0, dbName: '',
    maintenanceWindow: '', parameterGroupName: '', parameterApplyStatus: '', engineLifecycleSupport: '', pending: {}, tags: {}, snapshotsOnly: ids,
  };
}

// ---------------------------------------------------------------------------------------------
// Versions

const parts = (v: string) => v.split('.').map((x) => Number.parseInt(x, 10) || 0);
/** The major version as RDS counts it for MySQL and MariaDB: `8.0`, `8.4`, `10.11`. */
const major = (v: string) => parts(v).slice(0, 2).join('.');

/**
 * Compares the wanted version with the running one at the wanted precision (`8.0` matches `8.0.39`):
 * 0 when they match, 1 when an upgrade is wanted, -1 when the running version is newer.
 */
export function compareVersions(wanted: string, running: string): number {
  const w = parts(wanted);
  const r = parts(running).slice(0, w.length);
  for (let i = 0; i < w.length; i++) {
    const d = (w[i] ?? 0) - (r[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Plan: what ModifyDBInstance would change, and when

interface Modification {
  /** ModifyDBInstance parameters for what differs. */
  params: Partial<ModifyDBInstanceMessage>;
  changes: FieldChange[];
  /** Fields AWS applies in the maintenance window unless ApplyImmediately. */
  windowed: string[];
  tags: TagMap;
  /** Why the instance cannot be changed in place. */
  refuse: string[];
}

const sameSet = (a: string[], b: string[]) => JSON.stringify([...new Set(a)].sort()) === JSON.stringify([...new Set(b)].sort());

/** Pure: the modifications from `actual` to `desired`, the refused ones, and the tags to set. */
export function planModification(desired: DbInstanceSpec, actual: DbInstanceActual): Modification {
  const m: Modification = { params: {}, changes: [], windowed: [], tags: tagsToSet(desired.tags, actual.tags), refuse: [] };
  const when = desired.applyImmediately ? 'now' : `in the maintenance window${actual.maintenanceWindow ? ` ${actual.maintenanceWindow}` : ''}`;
  const windowed = (field: string, from: unknown, to: unknown, param: Partial<ModifyDBInstanceMessage>) => {
    m.changes.push({ field: `${field} (applies ${when})`, from, to });
    m.windowed.push(field);
    Object.assign(m.params, param);
  };
  const immediate = (field: string, from: unknown, to: unknown, param: Partial<ModifyDBInstanceMessage>) => {
    m.changes.push({ field, from, to });
    Object.assign(m.params, param);
  };
  const eff = { ...actual, ...actual.pending };

  if (actual.engine && actual.engine !== desired.engine) {
    m.changes.push({ field: 'engine', from: actual.engine, to: desired.engine });
    m.refuse.push(`the engine cannot change (${actual.engine} -> ${desired.engine}): that takes a new instance and a dump and reload of the data`);
  }
  if (!actual.encrypted) {
    m.changes.push({ field: 'storageEncrypted', from: false, to: true });
    m.refuse.push('an unencrypted instance cannot be encrypted in place: restore an encrypted copy of a snapshot instead');
  }
  if (known(desired.subnetGroupName) && actual.subnetGroupName && actual.subnetGroupName.toLowerCase() !== desired.subnetGroupName.toLowerCase()) {
    m.changes.push({ field: 'subnetGroupName', from: actual.subnetGroupName, to: desired.subnetGroupName });
    m.refuse.push(`moving the instance to another DB subnet group (${actual.subnetGroupName} -> ${desired.subnetGroupName}) is not done in place`);
  }
  if (desired.storageGb < eff.storageGb) {
    m.changes.push({ field: 'storageGb', from: eff.storageGb, to: desired.storageGb });
    m.refuse.push(`RDS storage cannot shrink (${eff.storageGb} -> ${desired.storageGb} GiB); keep ${eff.storageGb} or more`);
  } else if (desired.storageGb > eff.storageGb) {
    windowed('storageGb', eff.storageGb, desired.storageGb, { AllocatedStorage: desired.storageGb });
  }
  const version = compareVersions(desired.engineVersion, eff.engineVersion);
  if (version > 0) {
    windowed('engineVersion', eff.engineVersion, desired.engineVersion, {
      EngineVersion: desired.engineVersion, ...(major(desired.engineVersion) !== major(eff.engineVersion) ? { AllowMajorVersionUpgrade: true } : {}),
    });
  } else if (version < 0 && major(desired.engineVersion) !== major(eff.engineVersion)) {
    m.changes.push({ field: 'engineVersion', from: eff.engineVersion, to: desired.engineVersion });
    m.refuse.push(`RDS cannot downgrade ${actual.engine} ${eff.engineVersion} to ${desired.engineVersion}; set database.engineVersion to ${major(eff.engineVersion)}`);
  } // a lower minor within the same major: automatic minor upgrades went past it, which is fine

  // The group's name changes at once; its parameters are in force after the next reboot (a major
  // version upgrade reboots). AWS requires a group of the target family with a major upgrade.
  if (known(desired.parameterGroupName) && actual.parameterGroupName && actual.parameterGroupName !== desired.parameterGroupName) {
    immediate('parameterGroupName', actual.parameterGroupName, desired.parameterGroupName, { DBParameterGroupName: desired.parameterGroupName });
  }
  // AWS reports the instance's lifecycle type (open-source-rds-extended-support when it enrolled it
  // by default). An endpoint that does not report it (a local emulator) cannot show a change either:
  // not compared, and `find` says so. Creates and restores always send it.
  if (desired.engineLifecycleSupport && actual.engineLifecycleSupport && actual.engineLifecycleSupport !== desired.engineLifecycleSupport) {
    immediate('engineLifecycleSupport', actual.engineLifecycleSupport, desired.engineLifecycleSupport, { EngineLifecycleSupport: desired.engineLifecycleSupport });
  }
  if (desired.instanceClass !== eff.instanceClass) windowed('instanceClass', eff.instanceClass, desired.instanceClass, { DBInstanceClass: desired.instanceClass });
  if (eff.storageType !== 'gp3') windowed('storageType', eff.storageType, 'gp3', { StorageType: 'gp3' });
  if (desired.multiAz !== eff.multiAz) windowed('multiAz', eff.multiAz, desired.multiAz, { MultiAZ: desired.multiAz });

  if (desired.backupRetentionDays !== eff.backupRetentionDays) immediate('backupRetentionDays', eff.backupRetentionDays, desired.backupRetentionDays, { BackupRetentionPeriod: desired.backupRetentionDays });
  if (desired.deletionProtection !== actual.deletionProtection) immediate('deletionProtection', actual.deletionProtection, desired.deletionProtection, { DeletionProtection: desired.deletionProtection });
  if (!actual.copyTagsToSnapshot) immediate('copyTagsToSnapshot', false, true, { CopyTagsToSnapshot: true });
  if (!actual.autoMinorVersionUpgrade) immediate('autoMinorVersionUpgrade', false, true, { AutoMinorVersionUpgrade: true });
  if (actual.publiclyAccessible) immediate('publiclyAccessible', true, false, { PubliclyAccessible: false });
  if (desired.securityGroupIds.every(known) && !sameSet(desired.securityGroupIds, actual.securityGroupIds)) {
    immediate('securityGroupIds', actual.securityGroupIds, [...desired.securityGroupIds].sort(), { VpcSecurityGroupIds: desired.securityGroupIds });
  }
  if (!sameSet(desired.logExports, actual.logExports)) {
    immediate('logExports', actual.logExports, [...desired.logExports].sort(), {
      CloudwatchLogsExportConfiguration: {
        EnableLogTypes: desired.logExports.filter((l) => !actual.logExports.includes(l)),
        DisableLogTypes: actual.logExports.filter((l) => !desired.logExports.includes(l)),
      },
    });
  }
  for (const [k, v] of Object.entries(m.tags)) m.changes.push({ field: `tags.${k}`, from: actual.tags[k], to: v });
  return m;
}

// ---------------------------------------------------------------------------------------------
// Waits

function waitAvailable(ctx: ResourceContext, id: string, expectedMs: number, doing: string): Promise<DBInstance | undefined> {
  return waitFor({
    what: `db instance ${id} to be available`, expectedMs, timeoutMs: expectedMs * 3, minIntervalMs: MIN_POLL_MS, scale: ctx.scale, signal: ctx.signal,
    check: () => describeInstance(ctx, id),
    done: (d) => d?.DBInstanceStatus === 'available',
    failed: (d) => (d && FAILED.has(d.DBInstanceStatus ?? '') ? `it is ${d.DBInstanceStatus}; see the events in the RDS console (\`aws rds describe-events --source-identifier ${id} --source-type db-instance\`)` : undefined),
    onProgress: (d) => ctx.progress(`${doing}: ${id} is ${d?.DBInstanceStatus ?? 'not visible yet'} (usually about ${minutes(expectedMs)} in all)`),
  });
}

function waitGone(ctx: ResourceContext, id: string, doing: string): Promise<unknown> {
  return waitFor({
    what: `db instance ${id} to be deleted`, expectedMs: DB_DELETE_MS, timeoutMs: DB_DELETE_MS * 4, minIntervalMs: MIN_POLL_MS, scale: ctx.scale, signal: ctx.signal,
    check: () => describeInstance(ctx, id),
    done: (d) => !d,
    onProgress: (d) => ctx.progress(`${doing}: ${id} is ${d?.DBInstanceStatus ?? 'going'} (usually about ${minutes(DB_DELETE_MS)} in all)`),
  });
}


// ---------------------------------------------------------------------------------------------
// Create / restore

async function credentials(ctx: ResourceContext, secretArn: string): Promise<{ username: string; password: string }> {
  const v = await readSecretJson(ctx, secretArn);
  if (typeof v.username !== 'string' || !v.username || typeof v.password !== 'string' || !v.password) {
    throw new WpdeployError(`the database secret ${secretArn} has no username or password.`, {
      hint: 'Put them back (`aws secretsmanager put-secret-value`), or remove the stack with `wpdeploy down --purge` and deploy again.',
    });
  }
  return { username: v.username, password: v.password };
}

async function restoreFrom(ctx: ResourceContext, desired: DbInstanceSpec, snap: DBSnapshot): Promise<DbInstanceActual> {
  const id = desired.identifier;
  const snapId = snap.DBSnapshotIdentifier!;
  if (snap.Status !== 'available') {
    await waitFor({
      what: `snapshot ${snapId} to be available`, expectedMs: 5 * 60_000, minIntervalMs: MIN_POLL_MS, scale: ctx.scale, signal: ctx.signal,
      check: () => describeSnapshot(ctx, snapId),
      done: (s) => s?.Status === 'available',
      failed: (s) => (!s ? 'it was deleted' : s.Status === 'failed' ? 'it failed' : undefined),
      onProgress: (s) => ctx.progress(`snapshot ${snapId} is ${s?.Status}`),
    });
  }
  const storage = Math.max(desired.storageGb, snap.AllocatedStorage ?? 0);
  if (storage > desired.storageGb) ctx.warn(`snapshot ${snapId} holds ${snap.AllocatedStorage} GiB, more than database.storageGb ${desired.storageGb}: restoring with ${storage} GiB (storage cannot shrink).`);
  ctx.warn(`no instance ${id}, but the final snapshot ${snapId} (taken ${snap.SnapshotCreateTime ? new Date(snap.SnapshotCreateTime).toISOString() : 'at the last down'}) was kept: restoring from it, with its data.`);
  const r = await rds(ctx).send(new RDS.RestoreDBInstanceFromDBSnapshotCommand({
    DBInstanceIdentifier: id,
    DBSnapshotIdentifier: snapId,
    DBInstanceClass: desired.instanceClass,
    Port: desired.port,
    DBSubnetGroupName: desired.subnetGroupName,
    VpcSecurityGroupIds: desired.securityGroupIds,
    MultiAZ: desired.multiAz,
    PubliclyAccessible: false,
    AutoMinorVersionUpgrade: true,
    StorageType: 'gp3',
    AllocatedStorage: storage,
    BackupRetentionPeriod: desired.backupRetentionDays,
    CopyTagsToSnapshot: true,
    DeletionProtection: desired.deletionProtection,
    EnableCloudwatchLogsExports: desired.logExports,
    DBParameterGroupName: desired.parameterGroupName,
    ...(desired.engineLifecycleSupport ? { EngineLifecycleSupport: desired.engineLifecycleSupport } : {}),
    Tags: toTagList(desired.tags),
  }));
  await ctx.recordId(id, r.DBInstance?.DBInstanceArn);
  const expected = desired.multiAz ? DB_CREATE_MS.multiAz : DB_CREATE_MS.singleAz;
  await waitAvailable(ctx, id, expected, `restoring from ${snapId}`);
  // The snapshot keeps the password it was taken with; the kept secret is the truth WordPress reads.
  const { password } = await credentials(ctx, desired.secretArn);
  await rds(ctx).send(new RDS.ModifyDBInstanceCommand({ DBInstanceIdentifier: id, MasterUserPassword: password, ApplyImmediately: true }));
  const d = await waitAvailable(ctx, id, 2 * 60_000, 'setting the master password from the secret');
  const actual = await toActual(ctx, d!);
  const m = planModification(desired, actual);
  return m.changes.length && !m.refuse.length ? dbInstanceKind.update!(ctx, desired, actual, { changes: m.changes }) : actual;
}

async function createFresh(ctx: ResourceContext, desired: DbInstanceSpec, secret: ReturnType<typeof credentials>): Promise<DbInstanceActual> {
  const id = desired.identifier;
  const { username, password } = await secret;
  let created: DBInstance;
  try {
    created = (await rds(ctx).send(new RDS.CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      Engine: desired.engine,
      EngineVersion: desired.engineVersion,
      DBInstanceClass: desired.instanceClass,
      AllocatedStorage: desired.storageGb,
      StorageType: 'gp3',
      StorageEncrypted: true,
      MultiAZ: desired.multiAz,
      PubliclyAccessible: false,
      DBSubnetGroupName: desired.subnetGroupName,
      VpcSecurityGroupIds: desired.securityGroupIds,
      DBName: desired.dbName,
      Port: desired.port,
      MasterUsername: username,
      MasterUserPassword: password,
      BackupRetentionPeriod: desired.backupRetentionDays,
      DeletionProtection: desired.deletionProtection,
      CopyTagsToSnapshot: true,
      AutoMinorVersionUpgrade: true,
      EnableCloudwatchLogsExports: desired.logExports,
      DBParameterGroupName: desired.parameterGroupName,
      ...(desired.engineLifecycleSupport ? { EngineLifecycleSupport: desired.engineLifecycleSupport } : {}),
      Tags: toTagList(desired.tags),
    }))).DBInstance!;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const existing = await describeInstance(ctx, id);
    const actual = existing && (await toActual(ctx, existing));
    if (!actual || !ownedBy(ctx, actual.tags)) {
      throw new WpdeployError(`a DB instance named ${id} already exists and is not the one of step ${ctx.step} of stack ${ctx.stack}${actual?.tags[TAG_STACK] ? ` (it belongs to stack ${actual.tags[TAG_STACK]})` : ''}.`, {
        hint: 'Deploy under another stack name, or remove that instance if it is no longer used.',
        cause: err,
      });
    }
    ctx.warn(`db instance ${id} already existed with this step's tags; adopted it.`);
    await ctx.recordId(actual.id, actual.arn);
    const d = await waitAvailable(ctx, id, desired.multiAz ? DB_CREATE_MS.multiAz : DB_CREATE_MS.singleAz, 'creating');
    const now = await toActual(ctx, d!);
    return dbInstanceKind.update!(ctx, desired, now, dbInstanceKind.diff(desired, now));
  }
  await ctx.recordId(id, created.DBInstanceArn);
  const d = await waitAvailable(ctx, id, desired.multiAz ? DB_CREATE_MS.multiAz : DB_CREATE_MS.singleAz, 'creating');
  return toActual(ctx, d!);
}

// ---------------------------------------------------------------------------------------------

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
    const ids = [...new Set([ctx.recordedId, fallback].filter((x): x is string => !!x))];
    for (const id of ids) {
      const d = await findInstance(ctx, id);
      if (!d || d.DBInstanceStatus === 'deleting') continue;
      const a = await toActual(ctx, d);
      if (id === ctx.recordedId || a.tags[TAG_STACK] === ctx.stack) {
        if (desired?.engineLifecycleSupport && !a.engineLifecycleSupport) ctx.warn('the endpoint does not report the instance\'s EngineLifecycleSupport, so it is not compared (a local emulator drops it; AWS reports it)');
        return a;
      }
    }
    if (ctx.purge) {
      const snaps = (await Promise.all(ids.map((id) => keptSnapshots(ctx, id)))).flat();
      if (snaps.length) return snapshotsActual([...new Set(snaps.map((s) => s.DBSnapshotIdentifier!))]);
    }
    return undefined;
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
  async create(ctx, desired) {
    const id = desired.identifier;
    // The reads before the create call go out together (this is the long chain of \`up\`): the
    // credentials (only a fresh create uses them; a restore reads them after), an instance of that
    // name still being deleted, and the kept snapshots.
    const secret = credentials(ctx, desired.secretArn);
    secret.catch(() => undefined); // awaited by createFresh; a restore reads the secret again
    const [existing, found] = await Promise.all([describeInstance(ctx, id), keptSnapshots(ctx, id)]);
    let snaps = found;
    if (existing?.DBInstanceStatus === 'deleting') {
      // An earlier \`down\` holds the name, and its final snapshot appears as it finishes.
      await waitGone(ctx, id, 'an earlier deletion is finishing');
      snaps = await keptSnapshots(ctx, id);
    }
    const usable = snaps.filter((s) => !s.Engine || s.Engine === desired.engine);
    if (snaps.length && !usable.length) {
      throw new WpdeployError(`the kept snapshot ${snaps[0]!.DBSnapshotIdentifier} holds a ${snaps[0]!.Engine} database, but the config asks for ${desired.engine}.`, {
        hint: `Set database.engine to ${snaps[0]!.Engine} to restore it, or delete the kept snapshots (\`wpdeploy down --purge\`, which also deletes the file system and secrets).`,
      });
    }
    if (usable[0]) return restoreFrom(ctx, desired, usable[0]);
    return createFresh(ctx, desired, secret);
  },

  /**
   * One ModifyDBInstance for every setting that differs, then the tags. Class, storage, storage
   * type, Multi-AZ and version apply in the next maintenance window unless `applyImmediately`:
   * a warning says which and when. Waits until the instance is available again.
   */
  async update(ctx, desired, actual) {
    const m = planModification(desired, actual);
    if (m.refuse.length) throw new WpdeployError(`cannot change db instance ${actual.id} in place: ${m.refuse.join('; ')}.`);
    if (Object.keys(m.params).length) {
      if (m.windowed.length) {
        ctx.warn(desired.applyImmediately
          ? `db instance ${actual.id}: applying ${m.windowed.join(', ')} now${actual.multiAz ? ' (Multi-AZ: a failover of about a minute)' : ' (the instance restarts)'}.`
          : `db instance ${actual.id}: ${m.windowed.join(', ')} will change in the next maintenance window (${actual.maintenanceWindow || 'AWS picks it'}), not now; until then AWS lists it as pending.`);
      }
      await rds(ctx).send(new RDS.ModifyDBInstanceCommand({ DBInstanceIdentifier: actual.id, ApplyImmediately: desired.applyImmediately, ...m.params }));
    }
    if (Object.keys(m.tags).length) await rds(ctx).send(new RDS.AddTagsToResourceCommand({ ResourceName: actual.arn, Tags: toTagList(m.tags) }));
    const d = Object.keys(m.params).length ? await waitAvailable(ctx, actual.id, 5 * 60_000, 'modifying') : await describeInstance(ctx, actual.id);
    const now = d ? await toActual(ctx, d) : { ...actual, tags: { ...actual.tags, ...m.tags } };
    if (m.params.DBParameterGroupName) {
      if (now.parameterApplyStatus === 'pending-reboot') {
        ctx.warn(`db instance ${now.id} now uses parameter group ${now.parameterGroupName} (TLS required); it takes effect at the next reboot: \`aws rds reboot-db-instance --db-instance-identifier ${now.id}\` (a minute or so of downtime).`);
      }
      await deleteLeftGroup(ctx, actual.parameterGroupName, now.id);
    }
    return now;
  },

  /**
   * Lifts deletion protection (and says so), then deletes: with a final snapshot
   * `<stack>-final-<timestamp>` tagged with the stack's tags (`down`), or without one, the kept
   * snapshots deleted too (`down --purge`). Waits until the instance is gone. Already gone is success.
   */
  async delete(ctx, actual) {
    if (actual.snapshotsOnly) {
      await deleteSnapshots(ctx, actual.snapshotsOnly);
      return;
    }
    const id = actual.id;
    const client = rds(ctx);
    if (actual.deletionProtection) {
      ctx.warn(`lifting the deletion protection of db instance ${id} to delete it${ctx.purge ? ', with no final snapshot (--purge)' : ', keeping a final snapshot'}.`);
      try {
        // DeletionProtection takes effect at once whatever ApplyImmediately says ("The change occurs
        // immediately. This setting ignores the apply immediately setting":
        // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ModifyInstance.Settings.html), while
        // ApplyImmediately:true would also apply every modification queued for the maintenance window
        // (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html): the
        // instance would go `modifying` and refuse the delete for as long as they take.
        await client.send(new RDS.ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DeletionProtection: false, ApplyImmediately: false }));
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
    }
    let snapshot: string | undefined;
    let tried: string | undefined;
    // A retried delete whose first attempt took effect meets the instance `deleting`
    // (InvalidDBInstanceState, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html),
    // or gone: either is success.
    const deleting = async () => ((await describeInstance(ctx, id))?.DBInstanceStatus === 'deleting' ? true : undefined);
    const attempt = async (finalId: string | undefined) => retrying(
      () => writeOrVerify(() => client.send(new RDS.DeleteDBInstanceCommand(finalId
        ? { DBInstanceIdentifier: id, FinalDBSnapshotIdentifier: (tried = finalId), DeleteAutomatedBackups: true }
        : { DBInstanceIdentifier: id, SkipFinalSnapshot: true, DeleteAutomatedBackups: true })), deleting, isDependencyViolation),
      { retryable: isDependencyViolation, attempts: 8, baseMs: 5_000, scale: ctx.scale, onRetry: () => ctx.progress(`${id} is busy (modifying or backing up); waiting to delete it`) },
    );
    try {
      if (ctx.purge) {
        await attempt(undefined);
      } else {
        const base = finalSnapshotId(ctx.stack);
        for (let n = 1; ; n++) {
          const candidate = n === 1 ? base : `${base}-${n}`;
          try {
            await attempt(candidate);
            snapshot = candidate;
            break;
          } catch (err) {
            if (!isAlreadyExists(err) || n >= 5) throw err; // a second down in the same second
          }
        }
      }
    } catch (err) {
      if (!isNotFound(err)) throw err;
      // Gone: by an earlier run, or by this one's delete whose answer was lost (then its final snapshot is there).
      if (!tried || !(await describeSnapshot(ctx, tried))) return;
      snapshot = tried;
    }
    await waitGone(ctx, id, snapshot ? `deleting after the final snapshot ${snapshot}` : 'deleting');
    ctx.gone?.(); // the subnet group and the security group may go; the snapshot's bookkeeping follows
    // the log groups of its log exports: gone with the instance, which no longer writes them
    await deleteAwsLogGroups(ctx, `db instance ${id}`, rdsLogGroups(id, [...new Set([...actual.logExports, ...RDS_LOG_EXPORTS])]));
    if (snapshot) {
      const s = await describeSnapshot(ctx, snapshot);
      if (s?.DBSnapshotArn) {
        const tags = await rdsTags(ctx, s.DBSnapshotArn, s.TagList);
        const missing = tagsToSet(ctx.tags, tags);
        if (Object.keys(missing).length) await client.send(new RDS.AddTagsToResourceCommand({ ResourceName: s.DBSnapshotArn, Tags: toTagList(missing) }));
      }
      ctx.warn(`kept the final snapshot ${snapshot} of db instance ${id}${s?.AllocatedStorage ? ` (${s.AllocatedStorage} GiB)` : ''}: the next \`wpdeploy up\` restores from it; \`wpdeploy down --purge\` deletes it.`);
    } else {
      const kept = (await keptSnapshots(ctx, id)).map((s) => s.DBSnapshotIdentifier!);
      if (kept.length) await deleteSnapshots(ctx, kept);
    }
  },

  outputs: (a) => ({ endpoint: a.endpoint, port: String(a.port), identifier: a.id, arn: a.arn, dbName: a.dbName }),
});
