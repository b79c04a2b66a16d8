/**
 * The EFS access point WordPress mounts: root directory `/wordpress` (never `/`, FSBP EFS.3),
 * created by EFS on first use owned by uid/gid 33 with mode 0755, and every access made as POSIX user
 * 33:33 (FSBP EFS.4), `www-data` in the official `wordpress` image. Created with its tags and a
 * ClientToken in the same call. It holds no data (the directory stays in the file system), so a
 * change to its path or user deletes and creates it again.
 */
import type { AccessPointDescription } from '@aws-sdk/client-efs';
import { EFS } from '../aws/sdk.js';
import { isAlreadyExists } from '../aws/errors.js';
import { fromTagList, ownedBy, toTagList, type TagMap, tagChanges } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { accessPointsOf, addEfsTags, describeEfs, efs, isGone } from './efs-common.js';
import { deleteAndWait, waitUntil } from './waits.js';
import { defineKind } from './kinds.js';
import { changesOf, known, type Actual, type Diff, type ResourceKind } from './types.js';

/** `www-data` in the official `wordpress` image (Debian). */
export const WWW_DATA = 33;

export interface AccessPointSpec {
  fileSystemId: string;
  /** Absolute, not `/`. */
  path: string;
  uid: number;
  gid: number;
  /** Octal mode of the root directory when EFS creates it, e.g. `0755`. */
  permissions: string;
  tags: TagMap;
}

export interface AccessPointActual extends Actual {
  /** `fsap-...`. */
  id: string;
  arn: string;
  state: string;
  fileSystemId: string;
  path: string;
  uid: number | undefined;
  gid: number | undefined;
  owner: { uid: number | undefined; gid: number | undefined; permissions: string | undefined };
  tags: TagMap;
}

/** `755` and `0755` are the same mode. */
const mode = (p: string | undefined) => (p === undefined ? undefined : p.replace(/^0+(?=\d{3})/, '').padStart(4, '0'));

function toActual(ap: AccessPointDescription): AccessPointActual {
  const ci = ap.RootDirectory?.CreationInfo;
  return {
    id: ap.AccessPointId!,
    arn: ap.AccessPointArn ?? '',
    state: ap.LifeCycleState ?? 'unknown',
    fileSystemId: ap.FileSystemId ?? '',
    path: ap.RootDirectory?.Path ?? '/',
    uid: ap.PosixUser?.Uid,
    gid: ap.PosixUser?.Gid,
    owner: { uid: ci?.OwnerUid, gid: ci?.OwnerGid, permissions: mode(ci?.Permissions) },
    tags: fromTagList(ap.Tags),
  };
}

export const accessPointKind: ResourceKind<AccessPointSpec, AccessPointActual, 'accessPointId' | 'arn' | 'fileSystemId'> = defineKind({
  name: 'efs:access-point',
  noun: 'access point',
  timing: { createMs: 2_000, deleteMs: 2_000 },
  onReplace: 'recreate',

  /** By the recorded id, then among the file system's access points the one tagged with this stack and step. */
  async find(ctx, desired) {
    if (ctx.recordedId) {
      const ap = await describeEfs.accessPoint(ctx, ctx.recordedId);
      if (ap && !isGone(ap)) return toActual(ap);
    }
    const fs = desired && known(desired.fileSystemId) ? desired.fileSystemId : undefined;
    const mine = ((await accessPointsOf(ctx, fs)) ?? []).filter((ap) => !isGone(ap) && ownedBy(ctx, fromTagList(ap.Tags)));
    if (mine.length > 1) {
      // Twins hold no data (the files are in the file system): the engine deletes them.
      ctx.warn(`${mine.length} access points carry the tags of step ${ctx.step} (${mine.map((a) => a.AccessPointId).join(', ')}): one is kept, the others removed.`);
      for (const extra of mine.slice(1)) ctx.duplicate(toActual(extra));
    }
    return mine[0] && toActual(mine[0]);
  },

  diff(desired, actual): Diff {
    const fixed = changesOf(
      ['fileSystemId', actual.fileSystemId, desired.fileSystemId], ['path', actual.path, desired.path],
      ['uid', actual.uid, desired.uid], ['gid', actual.gid, desired.gid],
      ['owner', actual.owner, { uid: desired.uid, gid: desired.gid, permissions: mode(desired.permissions) }],
    );
    const tags = tagChanges(desired.tags, actual.tags);
    if (fixed.length) return { changes: [...fixed, ...tags], replace: `an access point's ${fixed.map((c) => c.field).join(', ')} cannot change; it holds no data (the files stay in the file system), so it is created again` };
    return { changes: tags };
  },

  /** Creates it with its tags and ctx.clientToken() in the same call, records its id, waits until available. */
  async create(ctx, desired) {
    if (desired.path === '/' || !desired.path.startsWith('/')) {
      throw new WpdeployError(`internal: the access point root directory must be an absolute path other than / (FSBP EFS.3), not ${desired.path}.`);
    }
    let ap: AccessPointDescription;
    try {
      ap = await efs(ctx).send(new EFS.CreateAccessPointCommand({
        ClientToken: ctx.clientToken(),
        FileSystemId: desired.fileSystemId,
        PosixUser: { Uid: desired.uid, Gid: desired.gid },
        RootDirectory: { Path: desired.path, CreationInfo: { OwnerUid: desired.uid, OwnerGid: desired.gid, Permissions: desired.permissions } },
        Tags: toTagList(desired.tags),
      }));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = (await accessPointsOf(ctx, desired.fileSystemId))?.find((a) => a.ClientToken === ctx.clientToken() || ownedBy(ctx, fromTagList(a.Tags)));
      if (!existing) throw err;
      ctx.warn(`access point ${existing.AccessPointId} was already created for this step; adopted it.`);
      ap = existing;
    }
    const id = ap.AccessPointId!;
    await ctx.recordId(id, ap.AccessPointArn);
    const ready = await waitUntil(ctx, {
      what: `access point ${id} to be available`, expectedMs: 2_000, minIntervalMs: 500,
      check: () => describeEfs.accessPoint(ctx, id),
      done: (x) => x?.LifeCycleState === 'available',
      failed: (x) => (x?.LifeCycleState === 'error' ? 'it is in state error' : undefined),
    });
    return toActual(ready ?? ap);
  },

  async update(ctx, desired, actual) {
    return { ...actual, tags: await addEfsTags(ctx, actual.id, desired.tags, actual.tags) };
  },

  /** Deletes it and waits until it is gone; the directory and its files stay in the file system. Already gone is success. */
  async delete(ctx, actual) {
    await deleteAndWait(ctx, () => efs(ctx).send(new EFS.DeleteAccessPointCommand({ AccessPointId: actual.id })), {
      what: `access point ${actual.id} to be deleted`, expectedMs: 2_000, minIntervalMs: 500,
      check: () => describeEfs.accessPoint(ctx, actual.id),
      done: (x) => !x || isGone(x),
    });
  },

  outputs: (a) => ({ accessPointId: a.id, arn: a.arn, fileSystemId: a.fileSystemId }),
});
