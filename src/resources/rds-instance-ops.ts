/**
 * What the db instance kind does with AWS: reads the instance, waits for it, creates it fresh or
 * from the newest kept final snapshot, modifies it, deletes it (rds-instance.ts says when each applies).
 */
import type { DBInstance, DBSnapshot } from '@aws-sdk/client-rds';
import { isAlreadyExists, isDependencyViolation, isNotFound } from '../aws/errors.js';
import { orAbsent, writeOrVerify } from '../aws/idempotent.js';
import { retrying } from '../aws/poll.js';
import { RDS } from '../aws/sdk.js';
import { toTagList } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { deleteAwsLogGroups, RDS_LOG_EXPORTS, rdsLogGroups } from './aws-created.js';
import { addRdsTags, createOrAdopt, describeRds, rds, rdsTags } from './rds-common.js';
import type { DbInstanceActual, DbInstanceSpec } from './rds-instance.js';
import { planModification } from './rds-instance-plan.js';
import { deleteLeftGroup } from './rds-parameter-group.js';
import { deleteSnapshots, finalSnapshotId, keptSnapshots } from './rds-snapshot.js';
import { dbCredentials } from './secrets-common.js';
import type { ResourceContext } from './types.js';
import { waitUntil } from './waits.js';

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

/**
 * The instance, for a find: one DescribeDBInstances per run serves every step that looks at it (the
 * instance step and the engine version check), until a mutating RDS call.
 */
export function findInstance(ctx: Pick<ResourceContext, 'aws' | 'reads'>, id: string): Promise<DBInstance | undefined> {
  return ctx.reads ? ctx.reads.read(`rds:instance:${id}`, 'RDS', () => describeRds.instance(ctx, id)) : describeRds.instance(ctx, id);
}

export async function toActual(ctx: ResourceContext, d: DBInstance): Promise<DbInstanceActual> {
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

export function snapshotsActual(ids: string[]): DbInstanceActual {
  return {
    id: ids[0]!, arn: '', state: 'snapshot kept', engine: '', engineVersion: '', instanceClass: '', storageGb: 0, storageType: '', multiAz: false,
    encrypted: true, publiclyAccessible: false, backupRetentionDays: 0, deletionProtection: false, copyTagsToSnapshot: false,
    autoMinorVersionUpgrade: false, logExports: [], subnetGroupName: '', securityGroupIds: [], endpoint: '', port: 0, dbName: '',
    maintenanceWindow: '', parameterGroupName: '', parameterApplyStatus: '', engineLifecycleSupport: '', pending: {}, tags: {}, snapshotsOnly: ids,
  };
}

export function waitAvailable(ctx: ResourceContext, id: string, expectedMs: number, doing: string): Promise<DBInstance | undefined> {
  return waitUntil(ctx, {
    what: `db instance ${id} to be available`, expectedMs, timeoutMs: expectedMs * 3, minIntervalMs: MIN_POLL_MS,
    check: () => describeRds.instance(ctx, id),
    done: (d) => d?.DBInstanceStatus === 'available',
    failed: (d) => (d && FAILED.has(d.DBInstanceStatus ?? '') ? `it is ${d.DBInstanceStatus}; see the events in the RDS console (\`aws rds describe-events --source-identifier ${id} --source-type db-instance\`)` : undefined),
    progress: (d) => `${doing}: ${id} is ${d?.DBInstanceStatus ?? 'not visible yet'} (usually about ${minutes(expectedMs)} in all)`,
  });
}

export function waitGone(ctx: ResourceContext, id: string, doing: string): Promise<unknown> {
  return waitUntil(ctx, {
    what: `db instance ${id} to be deleted`, expectedMs: DB_DELETE_MS, timeoutMs: DB_DELETE_MS * 4, minIntervalMs: MIN_POLL_MS,
    check: () => describeRds.instance(ctx, id),
    done: (d) => !d,
    progress: (d) => `${doing}: ${id} is ${d?.DBInstanceStatus ?? 'going'} (usually about ${minutes(DB_DELETE_MS)} in all)`,
  });
}

/** What a create and a restore both set, as the spec says and as the stack always has it. */
function settings(desired: DbInstanceSpec) {
  return {
    DBInstanceIdentifier: desired.identifier,
    DBInstanceClass: desired.instanceClass,
    Port: desired.port,
    DBSubnetGroupName: desired.subnetGroupName,
    VpcSecurityGroupIds: desired.securityGroupIds,
    MultiAZ: desired.multiAz,
    PubliclyAccessible: false,
    AutoMinorVersionUpgrade: true,
    StorageType: 'gp3',
    BackupRetentionPeriod: desired.backupRetentionDays,
    CopyTagsToSnapshot: true,
    DeletionProtection: desired.deletionProtection,
    EnableCloudwatchLogsExports: desired.logExports,
    DBParameterGroupName: desired.parameterGroupName,
    ...(desired.engineLifecycleSupport ? { EngineLifecycleSupport: desired.engineLifecycleSupport } : {}),
    Tags: toTagList(desired.tags),
  };
}

const createMs = (desired: DbInstanceSpec) => (desired.multiAz ? DB_CREATE_MS.multiAz : DB_CREATE_MS.singleAz);

async function restoreFrom(ctx: ResourceContext, desired: DbInstanceSpec, snap: DBSnapshot): Promise<DbInstanceActual> {
  const id = desired.identifier;
  const snapId = snap.DBSnapshotIdentifier!;
  if (snap.Status !== 'available') {
    await waitUntil(ctx, {
      what: `snapshot ${snapId} to be available`, expectedMs: 5 * 60_000, minIntervalMs: MIN_POLL_MS,
      check: () => describeRds.snapshot(ctx, snapId),
      done: (s) => s?.Status === 'available',
      failed: (s) => (!s ? 'it was deleted' : s.Status === 'failed' ? 'it failed' : undefined),
      progress: (s) => `snapshot ${snapId} is ${s?.Status}`,
    });
  }
  const storage = Math.max(desired.storageGb, snap.AllocatedStorage ?? 0);
  if (storage > desired.storageGb) ctx.warn(`snapshot ${snapId} holds ${snap.AllocatedStorage} GiB, more than database.storageGb ${desired.storageGb}: restoring with ${storage} GiB (storage cannot shrink).`);
  ctx.warn(`no instance ${id}, but the final snapshot ${snapId} (taken ${snap.SnapshotCreateTime ? new Date(snap.SnapshotCreateTime).toISOString() : 'at the last down'}) was kept: restoring from it, with its data.`);
  const r = await rds(ctx).send(new RDS.RestoreDBInstanceFromDBSnapshotCommand({ ...settings(desired), DBSnapshotIdentifier: snapId, AllocatedStorage: storage }));
  await ctx.recordId(id, r.DBInstance?.DBInstanceArn);
  await waitAvailable(ctx, id, createMs(desired), `restoring from ${snapId}`);
  // The snapshot keeps the password it was taken with; the kept secret is the truth WordPress reads.
  const { password } = await dbCredentials(ctx, desired.secretArn);
  await rds(ctx).send(new RDS.ModifyDBInstanceCommand({ DBInstanceIdentifier: id, MasterUserPassword: password, ApplyImmediately: true }));
  const d = await waitAvailable(ctx, id, 2 * 60_000, 'setting the master password from the secret');
  const actual = await toActual(ctx, d!);
  const m = planModification(desired, actual);
  return m.changes.length && !m.refuse.length ? updateInstance(ctx, desired, actual) : actual;
}

async function createFresh(ctx: ResourceContext, desired: DbInstanceSpec, secret: ReturnType<typeof dbCredentials>): Promise<DbInstanceActual> {
  const id = desired.identifier;
  const { username, password } = await secret;
  return createOrAdopt(ctx, {
    noun: 'DB instance', name: id, freeIt: `aws rds delete-db-instance --db-instance-identifier ${id} --final-db-snapshot-identifier ${id}-last`,
    create: async () => (await rds(ctx).send(new RDS.CreateDBInstanceCommand({
      ...settings(desired),
      Engine: desired.engine,
      EngineVersion: desired.engineVersion,
      AllocatedStorage: desired.storageGb,
      StorageEncrypted: true,
      DBName: desired.dbName,
      MasterUsername: username,
      MasterUserPassword: password,
    }))).DBInstance!,
    recorded: (created) => [id, created.DBInstanceArn],
    read: { describe: (name) => describeRds.instance(ctx, name), toActual: (d) => toActual(ctx, d) },
    created: async () => toActual(ctx, (await waitAvailable(ctx, id, createMs(desired), 'creating'))!),
    adopted: async () => updateInstance(ctx, desired, await toActual(ctx, (await waitAvailable(ctx, id, createMs(desired), 'creating'))!)),
  });
}

/**
 * Restores from the newest final snapshot this stack kept, when there is one (and of the engine the
 * spec asks for); otherwise creates the instance fresh. An instance of that identifier still being
 * deleted (an earlier `down`) is waited out first: its final snapshot appears as it finishes.
 */
export async function createInstance(ctx: ResourceContext, desired: DbInstanceSpec): Promise<DbInstanceActual> {
  const id = desired.identifier;
  // The reads before the create call go out together (this is the long chain of `up`): the
  // credentials (only a fresh create uses them; a restore reads them after), an instance of that
  // name still being deleted, and the kept snapshots.
  const secret = dbCredentials(ctx, desired.secretArn);
  secret.catch(() => undefined); // awaited by createFresh; a restore reads the secret again
  const [existing, found] = await Promise.all([describeRds.instance(ctx, id), keptSnapshots(ctx, id)]);
  let snaps = found;
  if (existing?.DBInstanceStatus === 'deleting') {
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
}

/**
 * One ModifyDBInstance for every setting that differs, then the tags; waits until the instance is
 * available again. A warning says which settings wait for the maintenance window, and when.
 */
export async function updateInstance(ctx: ResourceContext, desired: DbInstanceSpec, actual: DbInstanceActual): Promise<DbInstanceActual> {
  const m = planModification(desired, actual);
  if (m.refuse.length) throw new WpdeployError(`cannot change db instance ${actual.id} in place: ${m.refuse.join('; ')}.`);
  const modify = Object.keys(m.params).length > 0;
  if (modify) {
    if (m.windowed.length) {
      ctx.warn(desired.applyImmediately
        ? `db instance ${actual.id}: applying ${m.windowed.join(', ')} now${actual.multiAz ? ' (Multi-AZ: a failover of about a minute)' : ' (the instance restarts)'}.`
        : `db instance ${actual.id}: ${m.windowed.join(', ')} will change in the next maintenance window (${actual.maintenanceWindow || 'AWS picks it'}), not now; until then AWS lists it as pending.`);
    }
    await rds(ctx).send(new RDS.ModifyDBInstanceCommand({ DBInstanceIdentifier: actual.id, ApplyImmediately: desired.applyImmediately, ...m.params }));
  }
  const tags = await addRdsTags(ctx, actual.arn, desired.tags, actual.tags);
  const d = modify ? await waitAvailable(ctx, actual.id, 5 * 60_000, 'modifying') : await describeRds.instance(ctx, actual.id);
  const now = d ? await toActual(ctx, d) : { ...actual, tags };
  if (m.params.DBParameterGroupName) {
    if (now.parameterApplyStatus === 'pending-reboot') {
      ctx.warn(`db instance ${now.id} uses parameter group ${now.parameterGroupName} (TLS required); it takes effect at the next reboot: \`aws rds reboot-db-instance --db-instance-identifier ${now.id}\` (a minute or so of downtime).`);
    }
    await deleteLeftGroup(ctx, actual.parameterGroupName, now.id);
  }
  return now;
}

/**
 * The DeleteDBInstance of `down` (`finalId`: with that final snapshot) or `down --purge` (none),
 * retried while the instance is busy (modifying, backing up). A retried delete whose first attempt
 * took effect meets the instance `deleting` (InvalidDBInstanceState,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html), or gone:
 * either is success.
 */
function deleteCall(ctx: ResourceContext, id: string, finalId: string | undefined): Promise<unknown> {
  const deleting = async () => ((await describeRds.instance(ctx, id))?.DBInstanceStatus === 'deleting' ? true : undefined);
  return retrying(
    () => writeOrVerify(() => rds(ctx).send(new RDS.DeleteDBInstanceCommand(finalId
      ? { DBInstanceIdentifier: id, FinalDBSnapshotIdentifier: finalId, DeleteAutomatedBackups: true }
      : { DBInstanceIdentifier: id, SkipFinalSnapshot: true, DeleteAutomatedBackups: true })), deleting, isDependencyViolation),
    { retryable: isDependencyViolation, attempts: 8, baseMs: 5_000, scale: ctx.scale, onRetry: () => ctx.progress(`${id} is busy (modifying or backing up); waiting to delete it`) },
  );
}

/**
 * Deletes the instance, with a final snapshot `<stack>-final-<timestamp>` unless `--purge`: the
 * snapshot it keeps (none with --purge); undefined when the instance was gone already, by an earlier
 * run (nothing left to do). A delete whose answer was lost meets it gone too: then its final snapshot is there.
 */
async function deleteKeepingSnapshot(ctx: ResourceContext, id: string): Promise<{ snapshot?: string } | undefined> {
  let tried: string | undefined;
  try {
    if (ctx.purge) {
      await deleteCall(ctx, id, undefined);
      return {};
    }
    const base = finalSnapshotId(ctx.stack);
    for (let n = 1; ; n++) {
      tried = n === 1 ? base : `${base}-${n}`;
      try {
        await deleteCall(ctx, id, tried);
        return { snapshot: tried };
      } catch (err) {
        if (!isAlreadyExists(err) || n >= 5) throw err; // a second down in the same second
      }
    }
  } catch (err) {
    if (!isNotFound(err)) throw err;
    return tried && (await describeRds.snapshot(ctx, tried)) ? { snapshot: tried } : undefined;
  }
}

/**
 * `down`: lifts deletion protection (and says so), deletes, waits until gone, then deletes the log
 * groups of its log exports and makes sure the final snapshot carries the stack's tags; `--purge`
 * deletes the snapshots an earlier `down` kept.
 */
export async function deleteInstance(ctx: ResourceContext, actual: DbInstanceActual): Promise<void> {
  if (actual.snapshotsOnly) return deleteSnapshots(ctx, actual.snapshotsOnly);
  const id = actual.id;
  if (actual.deletionProtection) {
    ctx.warn(`lifting the deletion protection of db instance ${id} to delete it${ctx.purge ? ', with no final snapshot (--purge)' : ', keeping a final snapshot'}.`);
    // DeletionProtection takes effect at once whatever ApplyImmediately says ("The change occurs
    // immediately. This setting ignores the apply immediately setting":
    // https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ModifyInstance.Settings.html), while
    // ApplyImmediately:true would also apply every modification queued for the maintenance window
    // (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html): the
    // instance would go `modifying` and refuse the delete for as long as they take.
    const lifted = await orAbsent(() => rds(ctx).send(new RDS.ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DeletionProtection: false, ApplyImmediately: false })));
    if (!lifted) return;
  }
  const deleted = await deleteKeepingSnapshot(ctx, id);
  if (!deleted) return;
  const { snapshot } = deleted;
  await waitGone(ctx, id, snapshot ? `deleting after the final snapshot ${snapshot}` : 'deleting');
  ctx.gone?.(); // the subnet group and the security group may go; the snapshot's bookkeeping follows
  // the log groups of its log exports: gone with the instance, which no longer writes them
  await deleteAwsLogGroups(ctx, `db instance ${id}`, rdsLogGroups(id, [...new Set([...actual.logExports, ...RDS_LOG_EXPORTS])]));
  if (!snapshot) {
    const kept = (await keptSnapshots(ctx, id)).map((s) => s.DBSnapshotIdentifier!);
    if (kept.length) await deleteSnapshots(ctx, kept);
    return;
  }
  const s = await describeRds.snapshot(ctx, snapshot);
  if (s?.DBSnapshotArn) await addRdsTags(ctx, s.DBSnapshotArn, ctx.tags, await rdsTags(ctx, s.DBSnapshotArn, s.TagList));
  ctx.warn(`kept the final snapshot ${snapshot} of db instance ${id}${s?.AllocatedStorage ? ` (${s.AllocatedStorage} GiB)` : ''}: the next \`wpdeploy up\` restores from it; \`wpdeploy down --purge\` deletes it.`);
}
