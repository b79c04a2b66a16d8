import {
  CreateAccessPointCommand, DeleteAccessPointCommand, DescribeAccessPointsCommand, EFSClient, TagResourceCommand, type AccessPointDescription,
} from '@aws-sdk/client-efs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { toTagList } from '../../src/aws/tags.js';
import { accessPointKind, WWW_DATA, type AccessPointSpec } from '../../src/resources/efs-access-point.js';
import { decide } from '../../src/engine/planner.js';
import { awsError, context, newClients, tagsOf, TOKEN } from './data-context.js';

const efs = mockClient(EFSClient);
let aws: AwsClients;
beforeEach(() => {
  efs.reset();
  aws = newClients();
});
afterEach(() => aws.destroy());

const own = tagsOf('efs-ap', 'efs-wordpress');
const spec: AccessPointSpec = { fileSystemId: 'fs-1', path: '/wordpress', uid: WWW_DATA, gid: WWW_DATA, permissions: '0755', tags: own };
const ap = (over: Partial<AccessPointDescription> = {}): AccessPointDescription => ({
  AccessPointId: 'fsap-1', AccessPointArn: 'arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-1', FileSystemId: 'fs-1',
  LifeCycleState: 'available', PosixUser: { Uid: 33, Gid: 33 }, ClientToken: TOKEN,
  RootDirectory: { Path: '/wordpress', CreationInfo: { OwnerUid: 33, OwnerGid: 33, Permissions: '755' } }, Tags: toTagList(own), ...over,
});
const ctx = (over = {}) => context(aws, 'efs-ap', 'efs-wordpress', over);

describe('access point find and diff', () => {
  it('by the recorded id; 755 and 0755 are the same mode', async () => {
    efs.on(DescribeAccessPointsCommand, { AccessPointId: 'fsap-1' }).resolves({ AccessPoints: [ap()] });
    const a = await accessPointKind.find(ctx({ recordedId: 'fsap-1' }), spec);
    expect(a).toMatchObject({ id: 'fsap-1', path: '/wordpress', uid: 33, gid: 33, owner: { uid: 33, gid: 33, permissions: '0755' } });
    expect(accessPointKind.diff(spec, a!)).toEqual({ changes: [] });
    expect(accessPointKind.outputs(a!)).toEqual({ accessPointId: 'fsap-1', arn: ap().AccessPointArn, fileSystemId: 'fs-1' });
  });
  it('by tags among the file system\'s access points', async () => {
    efs.on(DescribeAccessPointsCommand, { FileSystemId: 'fs-1', NextToken: undefined }).resolves({ AccessPoints: [ap({ AccessPointId: 'fsap-x', Tags: [] }), ap()] });
    expect((await accessPointKind.find(ctx(), spec))?.id).toBe('fsap-1');
  });
  it('twins carrying the same tags (a create whose answer was lost): one kept, the others handed to the engine to delete', async () => {
    efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [ap(), ap({ AccessPointId: 'fsap-2' })] });
    const c = ctx();
    expect((await accessPointKind.find(c, spec))?.id).toBe('fsap-1');
    expect(c.duplicate).toHaveBeenCalledWith(expect.objectContaining({ id: 'fsap-2' }));
  });
  it('not found', async () => {
    efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [] });
    expect(await accessPointKind.find(ctx(), spec)).toBeUndefined();
  });
  it('a root directory of / or another user: created again (the files stay in the file system)', () => {
    const a = { id: 'fsap-1', arn: '', state: 'available', fileSystemId: 'fs-1', path: '/', uid: 0, gid: 0, owner: { uid: 0, gid: 0, permissions: '0777' }, tags: own };
    const diff = accessPointKind.diff(spec, a);
    expect(decide({ step: 'efs-ap', kind: accessPointKind.name, actual: a, diff, onReplace: accessPointKind.onReplace })).toMatchObject({
      op: 'replace', refused: false, reason: expect.stringMatching(/path, uid, gid, owner cannot change/),
    });
  });
});

describe('access point create', () => {
  it('root /wordpress created for uid/gid 33 with 0755, POSIX user 33:33, tags and ClientToken in the same call; waits', async () => {
    efs.on(CreateAccessPointCommand).resolves(ap({ LifeCycleState: 'creating' }));
    efs.on(DescribeAccessPointsCommand).resolvesOnce({ AccessPoints: [ap({ LifeCycleState: 'creating' })] }).resolves({ AccessPoints: [ap()] });
    const c = ctx();
    const a = await accessPointKind.create(c, spec);
    expect(efs.commandCalls(CreateAccessPointCommand)[0]!.args[0].input).toEqual({
      ClientToken: TOKEN, FileSystemId: 'fs-1', PosixUser: { Uid: 33, Gid: 33 },
      RootDirectory: { Path: '/wordpress', CreationInfo: { OwnerUid: 33, OwnerGid: 33, Permissions: '0755' } }, Tags: toTagList(own),
    });
    expect(c.recordId).toHaveBeenCalledWith('fsap-1', ap().AccessPointArn);
    expect(a.state).toBe('available');
  });
  it('refuses / as root directory (FSBP EFS.3) before any call', async () => {
    await expect(accessPointKind.create(ctx(), { ...spec, path: '/' })).rejects.toThrow(/other than \//);
    expect(efs.calls()).toHaveLength(0);
  });
  it('already exists for this token: adopted', async () => {
    efs.on(CreateAccessPointCommand).rejects(awsError('AccessPointAlreadyExists', 409));
    efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [ap()] });
    expect((await accessPointKind.create(ctx(), spec)).id).toBe('fsap-1');
  });
});

describe('access point update and delete', () => {
  const actual = { id: 'fsap-1', arn: 'a', state: 'available', fileSystemId: 'fs-1', path: '/wordpress', uid: 33, gid: 33, owner: { uid: 33, gid: 33, permissions: '0755' }, tags: {} };
  it('tags', async () => {
    efs.on(TagResourceCommand).resolves({});
    await accessPointKind.update!(ctx(), spec, actual, { changes: [] });
    expect(efs.commandCalls(TagResourceCommand)[0]!.args[0].input).toEqual({ ResourceId: 'fsap-1', Tags: toTagList(own) });
  });
  it('delete waits until gone; already gone is success', async () => {
    efs.on(DeleteAccessPointCommand).resolves({});
    efs.on(DescribeAccessPointsCommand).rejects(awsError('AccessPointNotFound', 404));
    await accessPointKind.delete(ctx(), actual);
    efs.reset();
    efs.on(DeleteAccessPointCommand).rejects(awsError('AccessPointNotFound', 404));
    await expect(accessPointKind.delete(ctx(), actual)).resolves.toBeUndefined();
  });
});
