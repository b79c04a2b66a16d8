/**
 * The EFS file system for WordPress content (uploads, plugins, themes): encrypted (FSBP EFS.1),
 * General Purpose, Elastic throughput, files moved to Infrequent Access after 30 days, automatic
 * backups on (created with `Backup: true`; PutBackupPolicy converges drift). Created with its tags and
 * CreationToken in the same call. It holds data users cannot get back: `down` keeps it
 * (`retainOnDown`) and the next `up` reuses it; only `down --purge` deletes it, after its mount
 * targets and access points are gone.
 */
import type { FileSystemDescription, LifecyclePolicy } from '@aws-sdk/client-efs';
import { EFS } from '../aws/sdk.js';
import { isAlreadyExists, isDependencyViolation, isNotFound, isNotImplemented } from '../aws/errors.js';
import { deleteOrGone } from '../aws/idempotent.js';
import { retrying } from '../aws/poll.js';
import { fromTagList, toTagList, type TagMap, tagChanges, ownedBy } from '../aws/tags.js';
import { deleteEfsRecoveryPoints } from './aws-created.js';
import { accessPointsOf, addEfsTags, describeEfs, efs, isGone, listFileSystems, mountTargetsOf } from './efs-common.js';
import { defineKind } from './kinds.js';
import { changesOf, type Actual, type Diff, type ResourceContext, type ResourceKind } from './types.js';
import { deleteAndWait, waitUntil } from './waits.js';

export interface FileSystemSpec {
  performanceMode: 'generalPurpose' | 'maxIO';
  throughputMode: 'elastic' | 'bursting';
  encrypted: boolean;
  /** Lifecycle: move files not read for this long to Infrequent Access, e.g. `AFTER_30_DAYS`. */
  transitionToIA: string;
  backup: boolean;
  tags: TagMap;
}

export interface FileSystemActual extends Actual {
  /** The file system id, `fs-...`. */
  id: string;
  arn: string;
  state: string;
  performanceMode: string;
  throughputMode: string;
  encrypted: boolean;
  transitionToIA: string | undefined;
  /** Undefined when the endpoint cannot say (an emulator without backup policies). */
  backup: boolean | undefined;
  /** Metered size, for what keeping it costs. */
  sizeBytes: number;
  tags: TagMap;
}

export const EFS_CREATE_MS = 10_000;
export const EFS_DELETE_MS = 30_000;
/** The file system, unless it does not exist or is being deleted. */
async function describeOne(ctx: ResourceContext, id: string): Promise<FileSystemDescription | undefined> {
  const fs = await describeEfs.fileSystem(ctx, id);
  return fs && !isGone(fs) ? fs : undefined;
}

async function backupEnabled(ctx: ResourceContext, id: string): Promise<boolean | undefined> {
  try {
    return (await efs(ctx).send(new EFS.DescribeBackupPolicyCommand({ FileSystemId: id }))).BackupPolicy?.Status === 'ENABLED';
  } catch (err) {
    if (isNotImplemented(err)) return undefined;
    if (isNotFound(err)) return false; // PolicyNotFound: backups were never turned on
    throw err;
  }
}

async function toActual(ctx: ResourceContext, fs: FileSystemDescription): Promise<FileSystemActual> {
  const id = fs.FileSystemId!;
  const policies = (await efs(ctx).send(new EFS.DescribeLifecycleConfigurationCommand({ FileSystemId: id }))).LifecyclePolicies ?? [];
  return {
    id,
    arn: fs.FileSystemArn ?? '',
    state: fs.LifeCycleState ?? 'unknown',
    performanceMode: fs.PerformanceMode ?? '',
    throughputMode: fs.ThroughputMode ?? '',
    encrypted: fs.Encrypted ?? false,
    transitionToIA: policies.find((p) => p.TransitionToIA)?.TransitionToIA,
    backup: await backupEnabled(ctx, id),
    sizeBytes: fs.SizeInBytes?.Value ?? 0,
    tags: fromTagList(fs.Tags),
  };
}

const lifecycle = (spec: FileSystemSpec): LifecyclePolicy[] => [{ TransitionToIA: spec.transitionToIA as LifecyclePolicy['TransitionToIA'] }];

function waitAvailable(ctx: ResourceContext, id: string): Promise<FileSystemDescription | undefined> {
  return waitUntil(ctx, {
    what: `file system ${id} to be available`, expectedMs: EFS_CREATE_MS, minIntervalMs: 1_000,
    check: () => describeOne(ctx, id),
    done: (fs) => fs?.LifeCycleState === 'available',
    failed: (fs) => (fs?.LifeCycleState === 'error' ? 'it is in state error' : undefined),
    progress: (fs) => `${id} is ${fs?.LifeCycleState ?? 'not visible yet'}`,
  });
}

/** Turns automatic backups on or off; an endpoint without PutBackupPolicy (an emulator) gets a warning, never a failure. */
async function putBackup(ctx: ResourceContext, id: string, enabled: boolean): Promise<boolean | undefined> {
  try {
    await efs(ctx).send(new EFS.PutBackupPolicyCommand({ FileSystemId: id, BackupPolicy: { Status: enabled ? 'ENABLED' : 'DISABLED' } }));
    return enabled;
  } catch (err) {
    if (!isNotImplemented(err)) throw err;
    ctx.warn(`the endpoint does not implement EFS PutBackupPolicy (a local emulator?): automatic backups of ${id} were not ${enabled ? 'turned on' : 'turned off'}.`);
    return undefined;
  }
}

export const fileSystemKind: ResourceKind<FileSystemSpec, FileSystemActual, 'fileSystemId' | 'arn'> = defineKind({
  name: 'efs:file-system',
  noun: 'file system',
  timing: { createMs: EFS_CREATE_MS, deleteMs: EFS_DELETE_MS },
  retainOnDown: true,
  onReplace: 'refuse',

  /** By the recorded id, then among the file systems of the region the one tagged with this stack and step. */
  async find(ctx) {
    if (ctx.recordedId) {
      const fs = await describeOne(ctx, ctx.recordedId);
      if (fs) return toActual(ctx, fs);
    }
    const mine = (await listFileSystems(ctx)).filter((fs) => ownedBy(ctx, fromTagList(fs.Tags)));
    // Never handed to the engine as duplicates: another file system may hold data. Said, and left alone.
    if (mine.length > 1) ctx.warn(`${mine.length} file systems carry the tags of step ${ctx.step}: ${mine.map((f) => f.FileSystemId).join(', ')}; using ${mine[0]!.FileSystemId}. The others are left alone (they may hold data): delete them yourself if they are not needed.`);
    return mine[0] && toActual(ctx, mine[0]);
  },

  diff(desired, actual): Diff {
    const changes = changesOf(['throughputMode', actual.throughputMode, desired.throughputMode], ['transitionToIA', actual.transitionToIA, desired.transitionToIA]);
    if (actual.backup !== undefined) changes.push(...changesOf(['backup', actual.backup, desired.backup]));
    changes.push(...tagChanges(desired.tags, actual.tags));
    const fixed = changesOf(['encrypted', actual.encrypted, desired.encrypted], ['performanceMode', actual.performanceMode, desired.performanceMode]);
    if (fixed.length) {
      return {
        changes: [...fixed, ...changes],
        replace: `a file system's ${fixed.map((c) => c.field).join(' and ')} cannot change; it would take a new file system and a copy of the WordPress files (AWS DataSync or a backup restore)`,
      };
    }
    return { changes };
  },

  /**
   * Creates the file system with its tags, backups on and ctx.clientToken() as CreationToken in the
   * same call, records its id, waits until available, then sets the lifecycle policy. A create
   * retried with the same token (FileSystemAlreadyExists) adopts the file system it made.
   */
  async create(ctx, desired) {
    const token = ctx.clientToken();
    let fs: FileSystemDescription;
    try {
      fs = await efs(ctx).send(new EFS.CreateFileSystemCommand({
        CreationToken: token,
        PerformanceMode: desired.performanceMode,
        ThroughputMode: desired.throughputMode,
        Encrypted: desired.encrypted,
        Backup: desired.backup,
        Tags: toTagList(desired.tags),
      }));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const [existing] = await listFileSystems(ctx, { CreationToken: token });
      if (!existing) throw err;
      ctx.warn(`file system ${existing.FileSystemId} was already created for this step (same creation token); adopted it.`);
      fs = existing;
    }
    const id = fs.FileSystemId!;
    await ctx.recordId(id, fs.FileSystemArn);
    await waitAvailable(ctx, id);
    await efs(ctx).send(new EFS.PutLifecycleConfigurationCommand({ FileSystemId: id, LifecyclePolicies: lifecycle(desired) }));
    const now = await describeOne(ctx, id);
    const actual = await toActual(ctx, now ?? fs);
    if (actual.backup !== undefined && actual.backup !== desired.backup) actual.backup = await putBackup(ctx, id, desired.backup);
    return actual;
  },

  /** Throughput mode, lifecycle policy, backup policy and tags, each only when it differs. */
  async update(ctx, desired, actual) {
    const client = efs(ctx);
    const a = { ...actual };
    if (desired.throughputMode !== a.throughputMode) {
      await client.send(new EFS.UpdateFileSystemCommand({ FileSystemId: a.id, ThroughputMode: desired.throughputMode }));
      a.throughputMode = desired.throughputMode;
    }
    if (desired.transitionToIA !== a.transitionToIA) {
      await client.send(new EFS.PutLifecycleConfigurationCommand({ FileSystemId: a.id, LifecyclePolicies: lifecycle(desired) }));
      a.transitionToIA = desired.transitionToIA;
    }
    if (a.backup !== undefined && a.backup !== desired.backup) a.backup = await putBackup(ctx, a.id, desired.backup);
    return { ...a, tags: await addEfsTags(ctx, a.id, desired.tags, a.tags) };
  },

  /**
   * `down --purge` (the engine keeps it otherwise): deletes what still holds it (access points, then
   * mount targets, waited for; normally their own steps already did), then the file system, retrying
   * while AWS still counts mount targets (FileSystemInUse), waits until it is gone, then deletes its
   * automatic backups (aws-created.ts).
   */
  async delete(ctx, actual) {
    const id = actual.id;
    if (!(await deleteHolders(ctx, id))) return; // gone already: the run that deleted it deleted its backups
    const del = () => retrying(() => efs(ctx).send(new EFS.DeleteFileSystemCommand({ FileSystemId: id })), {
      retryable: isDependencyViolation, attempts: 6, baseMs: 2_000, scale: ctx.scale,
      onRetry: () => ctx.progress(`file system ${id} is still in use; waiting for its mount targets to go`),
    });
    const wait = { what: `file system ${id} to be deleted`, expectedMs: EFS_DELETE_MS, minIntervalMs: 2_000, check: () => describeOne(ctx, id), done: (fs?: FileSystemDescription) => !fs };
    if (!(await deleteAndWait(ctx, del, wait))) return;
    // its automatic backups outlive it in AWS Backup: once no new one can start, they go too
    await deleteEfsRecoveryPoints(ctx, id, actual.arn || `arn:aws:elasticfilesystem:${ctx.region}:${ctx.account}:file-system/${id}`);
  },

  outputs: (a) => ({ fileSystemId: a.id, arn: a.arn }),
});

/**
 * Deletes what still holds the file system (its access points, then its mount targets, waited
 * for); normally their own steps already did, so each one found is said. False when the file
 * system is gone.
 */
async function deleteHolders(ctx: ResourceContext, id: string): Promise<boolean> {
  const aps = await accessPointsOf(ctx, id);
  if (!aps) return false;
  for (const ap of aps) {
    ctx.warn(`access point ${ap.AccessPointId} still uses file system ${id}; deleting it first.`);
    await deleteOrGone(() => efs(ctx).send(new EFS.DeleteAccessPointCommand({ AccessPointId: ap.AccessPointId! })));
  }
  const left = async () => (await mountTargetsOf(ctx, id)).filter((m) => m.LifeCycleState !== 'deleted');
  const mts = await left();
  for (const mt of mts.filter((m) => m.LifeCycleState !== 'deleting')) {
    ctx.warn(`mount target ${mt.MountTargetId} still uses file system ${id}; deleting it first.`);
    await deleteOrGone(() => efs(ctx).send(new EFS.DeleteMountTargetCommand({ MountTargetId: mt.MountTargetId! })));
  }
  if (!mts.length) return true;
  await waitUntil(ctx, {
    what: `the mount targets of ${id} to be deleted`, expectedMs: 60_000, minIntervalMs: 2_000,
    check: async () => (await left()).length,
    done: (n) => n === 0,
    progress: (n) => `${n} mount target(s) of ${id} still being deleted`,
  });
  return true;
}
