/**
 * An EFS mount target: the file system's NFS endpoint in one app subnet, behind the efs security
 * group. Mount targets carry no tags, so one is found through its spec (file system and subnet), as
 * part of the file system (`foundBySpec`). `up` waits until it is available (about 1.5 minutes on AWS);
 * a change of subnet or file system deletes and creates it again (it holds no data); its security
 * groups change in place. Deleting waits until it is gone, so the subnet and the file system can go.
 */
import type { MountTargetDescription } from '@aws-sdk/client-efs';
import { EC2, EFS } from '../aws/sdk.js';
import { isAlreadyExists } from '../aws/errors.js';
import { orAbsent } from '../aws/idempotent.js';
import { describeEfs, efs, isGone, mountTargetsOf } from './efs-common.js';
import { deleteAndWait, waitUntil } from './waits.js';
import { defineKind } from './kinds.js';
import { changesOf, known, type Actual, type ResourceContext, type ResourceKind } from './types.js';

export interface MountTargetSpec {
  fileSystemId: string;
  subnetId: string;
  securityGroupIds: string[];
}

export interface MountTargetActual extends Actual {
  /** `fsmt-...`. */
  id: string;
  state: string;
  fileSystemId: string;
  subnetId: string;
  az: string;
  ipAddress: string;
  securityGroupIds: string[];
}

export const MOUNT_TARGET_CREATE_MS = 90_000;
export const MOUNT_TARGET_DELETE_MS = 60_000;

async function inSubnet(ctx: ResourceContext, fileSystemId: string, subnetId: string): Promise<MountTargetDescription | undefined> {
  return (await mountTargetsOf(ctx, fileSystemId)).find((m) => m.SubnetId === subnetId && !isGone(m));
}

/**
 * The security groups of mount targets, from their network interfaces (a mount target's groups are
 * its interface's: ModifyMountTargetSecurityGroups changes them there): one DescribeNetworkInterfaces
 * for every mount target of the file system, where DescribeMountTargetSecurityGroups takes one call
 * each. Undefined when an interface is not known or not found: then asked of EFS, one by one.
 */
async function groupsByInterface(ctx: ResourceContext, fileSystemId: string, all: MountTargetDescription[]): Promise<Map<string, string[]> | undefined> {
  const enis = all.map((m) => m.NetworkInterfaceId).filter((x): x is string => !!x).sort();
  if (!ctx.reads || enis.length === 0) return undefined;
  const reads = ctx.reads;
  return orAbsent(() => reads.read(`efs:mount-target-groups:${fileSystemId}:${enis.join(',')}`, ['EC2', 'EFS'], async () => {
    const r = await ctx.aws.get(EC2.EC2Client).send(new EC2.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: enis }));
    return new Map((r.NetworkInterfaces ?? []).map((n) => [n.NetworkInterfaceId!, (n.Groups ?? []).map((g) => g.GroupId!)]));
  }));
}

async function toActual(ctx: ResourceContext, m: MountTargetDescription, all?: MountTargetDescription[]): Promise<MountTargetActual> {
  const viaInterface = all && m.NetworkInterfaceId ? (await groupsByInterface(ctx, m.FileSystemId ?? '', all))?.get(m.NetworkInterfaceId) : undefined;
  const groups = viaInterface ?? (await efs(ctx).send(new EFS.DescribeMountTargetSecurityGroupsCommand({ MountTargetId: m.MountTargetId! }))).SecurityGroups ?? [];
  return {
    id: m.MountTargetId!,
    state: m.LifeCycleState ?? 'unknown',
    fileSystemId: m.FileSystemId ?? '',
    subnetId: m.SubnetId ?? '',
    az: m.AvailabilityZoneName ?? '',
    ipAddress: m.IpAddress ?? '',
    securityGroupIds: [...groups].sort(),
  };
}

/** The file system's mount targets, listed once for every mount target step of the run (with the run's read cache). */
function fileSystemTargets(ctx: ResourceContext, fileSystemId: string): Promise<MountTargetDescription[]> | undefined {
  return ctx.reads?.read(`efs:mount-targets:${fileSystemId}`, 'EFS', () => mountTargetsOf(ctx, fileSystemId));
}

export const mountTargetKind: ResourceKind<MountTargetSpec, MountTargetActual, 'mountTargetId' | 'az' | 'ipAddress'> = defineKind({
  name: 'efs:mount-target',
  noun: 'mount target',
  foundBySpec: true,
  timing: { createMs: MOUNT_TARGET_CREATE_MS, deleteMs: MOUNT_TARGET_DELETE_MS },
  onReplace: 'recreate',

  /** By the recorded id, then the file system's mount target in the spec's subnet. */
  async find(ctx, desired) {
    const all = desired && known(desired.fileSystemId) ? await fileSystemTargets(ctx, desired.fileSystemId) : undefined;
    if (ctx.recordedId) {
      const m = all?.find((x) => x.MountTargetId === ctx.recordedId) ?? (await describeEfs.mountTarget(ctx, ctx.recordedId));
      if (m && !isGone(m)) return toActual(ctx, m, all);
    }
    if (!desired || !known(desired.fileSystemId) || !known(desired.subnetId)) return undefined;
    const m = all ? all.find((x) => x.SubnetId === desired.subnetId && !isGone(x)) : await inSubnet(ctx, desired.fileSystemId, desired.subnetId);
    return m && toActual(ctx, m, all);
  },

  diff(desired, actual) {
    const changes = desired.securityGroupIds.every((g) => known(g)) ? changesOf(['securityGroupIds', actual.securityGroupIds, [...desired.securityGroupIds].sort()]) : [];
    const fixed = changesOf(['fileSystemId', actual.fileSystemId, desired.fileSystemId], ['subnetId', actual.subnetId, desired.subnetId]);
    if (fixed.length) return { changes: [...fixed, ...changes], replace: `a mount target's ${fixed.map((c) => c.field).join(' and ')} cannot change; it holds no data, so it is created again` };
    return { changes };
  },

  /**
   * Creates the mount target (EFS takes no token here; one per AZ is the limit, so a retried create
   * finds the first one through MountTargetConflict and adopts it), records its id, waits until available.
   */
  async create(ctx, desired) {
    let m: MountTargetDescription;
    try {
      m = await efs(ctx).send(new EFS.CreateMountTargetCommand({ FileSystemId: desired.fileSystemId, SubnetId: desired.subnetId, SecurityGroups: desired.securityGroupIds }));
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await inSubnet(ctx, desired.fileSystemId, desired.subnetId);
      if (!existing) throw err;
      m = existing;
    }
    const id = m.MountTargetId!;
    await ctx.recordId(id);
    const ready = await waitUntil(ctx, {
      what: `mount target ${id} to be available`, expectedMs: MOUNT_TARGET_CREATE_MS, minIntervalMs: 3_000,
      check: () => describeEfs.mountTarget(ctx, id),
      done: (x) => x?.LifeCycleState === 'available',
      failed: (x) => (x?.LifeCycleState === 'error' ? 'it is in state error' : undefined),
      progress: (x) => `${id} in ${desired.subnetId} is ${x?.LifeCycleState ?? 'not visible yet'} (usually about 1.5 min)`,
    });
    const actual = await toActual(ctx, ready ?? m);
    return changesOf(['securityGroupIds', actual.securityGroupIds, [...desired.securityGroupIds].sort()]).length ? mountTargetKind.update!(ctx, desired, actual, { changes: [] }) : actual;
  },

  /** Sets the security groups (ModifyMountTargetSecurityGroups). */
  async update(ctx, desired, actual) {
    await efs(ctx).send(new EFS.ModifyMountTargetSecurityGroupsCommand({ MountTargetId: actual.id, SecurityGroups: desired.securityGroupIds }));
    return { ...actual, securityGroupIds: [...desired.securityGroupIds].sort() };
  },

  /** Deletes it and waits until it is gone (its network interface goes with it). Already gone is success. */
  async delete(ctx, actual) {
    await deleteAndWait(ctx, () => efs(ctx).send(new EFS.DeleteMountTargetCommand({ MountTargetId: actual.id })), {
      what: `mount target ${actual.id} to be deleted`, expectedMs: MOUNT_TARGET_DELETE_MS, minIntervalMs: 3_000,
      check: () => describeEfs.mountTarget(ctx, actual.id),
      done: (x) => !x || x.LifeCycleState === 'deleted',
      progress: (x) => `${actual.id} is ${x?.LifeCycleState}`,
    });
  },

  outputs: (a) => ({ mountTargetId: a.id, az: a.az, ipAddress: a.ipAddress }),
});
