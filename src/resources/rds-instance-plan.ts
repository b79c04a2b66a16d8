/**
 * What ModifyDBInstance would change on the instance, and when: pure, from the spec and what AWS
 * reports. Class, storage, storage type, Multi-AZ and engine version apply in the next maintenance
 * window unless the spec says `applyImmediately`; the other settings apply at once. A storage
 * decrease, an engine change, an unencrypted instance, an engine downgrade or another subnet group
 * cannot be made in place: refused with the reason.
 */
import type { ModifyDBInstanceMessage } from '@aws-sdk/client-rds';
import { type TagMap, tagsToSet } from '../aws/tags.js';
import type { DbInstanceActual, DbInstanceSpec } from './rds-instance.js';
import { known, type FieldChange } from './types.js';

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
