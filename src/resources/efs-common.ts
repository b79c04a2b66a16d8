/**
 * The EFS layer the EFS kinds share: the client, each resource read by its id (undefined when AWS
 * says it does not exist), the listings page by page, tags.
 */
import type { AccessPointDescription, FileSystemDescription, MountTargetDescription } from '@aws-sdk/client-efs';
import { orAbsent } from '../aws/idempotent.js';
import { EFS } from '../aws/sdk.js';
import { addMissingTags, type TagMap } from '../aws/tags.js';
import { paged } from '../aws/reads.js';
import type { ResourceContext } from './types.js';

export const efs = (ctx: Pick<ResourceContext, 'aws'>) => ctx.aws.get(EFS.EFSClient);

type Aws = Pick<ResourceContext, 'aws'>;

/** A file system, mount target or access point on its way out. */
export const GONE = new Set(['deleting', 'deleted']);
export const isGone = (r: { LifeCycleState?: string } | undefined) => GONE.has(r?.LifeCycleState ?? '');

/** One EFS resource by its id; undefined when it does not exist. */
export const describeEfs = {
  fileSystem: (ctx: Aws, id: string): Promise<FileSystemDescription | undefined> =>
    orAbsent(async () => (await efs(ctx).send(new EFS.DescribeFileSystemsCommand({ FileSystemId: id }))).FileSystems?.[0]),
  mountTarget: (ctx: Aws, id: string): Promise<MountTargetDescription | undefined> =>
    orAbsent(async () => (await efs(ctx).send(new EFS.DescribeMountTargetsCommand({ MountTargetId: id }))).MountTargets?.[0]),
  accessPoint: (ctx: Aws, id: string): Promise<AccessPointDescription | undefined> =>
    orAbsent(async () => (await efs(ctx).send(new EFS.DescribeAccessPointsCommand({ AccessPointId: id }))).AccessPoints?.[0]),
};

/** Every file system of the account and region (or the one of a creation token), those being deleted left out. */
export async function listFileSystems(ctx: Aws, query: { CreationToken?: string } = {}): Promise<FileSystemDescription[]> {
  const all = await paged((Marker) => efs(ctx).send(new EFS.DescribeFileSystemsCommand({ ...query, Marker })), (r) => [r.FileSystems, r.NextMarker]);
  return all.filter((fs) => !isGone(fs));
}

/** The mount targets of a file system; none when the file system is gone. */
export async function mountTargetsOf(ctx: Aws, fileSystemId: string): Promise<MountTargetDescription[]> {
  const all = await orAbsent(() => paged((Marker) => efs(ctx).send(new EFS.DescribeMountTargetsCommand({ FileSystemId: fileSystemId, Marker })), (r) => [r.MountTargets, r.NextMarker]));
  return all ?? [];
}

/** The access points of a file system, or of the whole region when it is not known; undefined when the file system is gone. */
export function accessPointsOf(ctx: Aws, fileSystemId?: string): Promise<AccessPointDescription[] | undefined> {
  return orAbsent(() => paged((NextToken) => efs(ctx).send(new EFS.DescribeAccessPointsCommand({ FileSystemId: fileSystemId, NextToken })), (r) => [r.AccessPoints, r.NextToken]));
}

/** Adds the tags of `desired` the resource lacks (TagResource); the tags it carries after. */
export function addEfsTags(ctx: Aws, id: string, desired: TagMap, actual: TagMap): Promise<TagMap> {
  return addMissingTags(desired, actual, (Tags) => efs(ctx).send(new EFS.TagResourceCommand({ ResourceId: id, Tags })));
}
