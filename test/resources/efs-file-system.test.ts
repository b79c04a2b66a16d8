import {
  CreateFileSystemCommand, DeleteAccessPointCommand, DeleteFileSystemCommand, DeleteMountTargetCommand, DescribeAccessPointsCommand,
  DescribeBackupPolicyCommand, DescribeFileSystemsCommand, DescribeLifecycleConfigurationCommand, DescribeMountTargetsCommand, EFSClient,
  PutBackupPolicyCommand, PutLifecycleConfigurationCommand, TagResourceCommand, type FileSystemDescription,
} from '@aws-sdk/client-efs';
import { BackupClient, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { isNotImplemented } from '../../src/aws/errors.js';
import { toTagList } from '../../src/aws/tags.js';
import { fileSystemKind, type FileSystemActual, type FileSystemSpec } from '../../src/resources/efs-file-system.js';
import { awsError, context, newClients, tagsOf, TOKEN } from './data-context.js';

const efs = mockClient(EFSClient);
const backup = mockClient(BackupClient);
let aws: AwsClients;
beforeEach(() => {
  efs.reset();
  backup.reset();
  backup.on(ListRecoveryPointsByResourceCommand).resolves({ RecoveryPoints: [] }); // aws-created.test.ts covers them
  aws = newClients();
});
afterEach(() => aws.destroy());

const ID = 'fs-12345678';
const own = tagsOf('efs');
const spec: FileSystemSpec = { performanceMode: 'generalPurpose', throughputMode: 'elastic', encrypted: true, transitionToIA: 'AFTER_30_DAYS', backup: true, tags: own };
const fsd = (over: Partial<FileSystemDescription> = {}): FileSystemDescription => ({
  FileSystemId: ID, FileSystemArn: `arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/${ID}`, CreationToken: TOKEN, OwnerId: '123456789012',
  CreationTime: new Date(), LifeCycleState: 'available', NumberOfMountTargets: 0, SizeInBytes: { Value: 6144 }, PerformanceMode: 'generalPurpose',
  ThroughputMode: 'elastic', Encrypted: true, Tags: toTagList(own), ...over,
});
const described = () => {
  efs.on(DescribeLifecycleConfigurationCommand).resolves({ LifecyclePolicies: [{ TransitionToIA: 'AFTER_30_DAYS' }] });
  efs.on(DescribeBackupPolicyCommand).resolves({ BackupPolicy: { Status: 'ENABLED' } });
};
/** What moto 5.1.1 answers to PutBackupPolicy: an HTML error page, which the SDK cannot parse. */
const htmlPage = (status: number) => Object.assign(new SyntaxError('Unexpected token \'<\', "<!doctype "... is not valid JSON'), {
  $metadata: { httpStatusCode: status }, $response: { statusCode: status, headers: { 'content-type': 'text/html; charset=utf-8' } },
});
const ctx = (over = {}) => context(aws, 'efs', 'efs', over);
const actual: FileSystemActual = {
  id: ID, arn: 'arn', state: 'available', performanceMode: 'generalPurpose', throughputMode: 'elastic', encrypted: true, transitionToIA: 'AFTER_30_DAYS',
  backup: true, sizeBytes: 6144, tags: own,
};

describe('isNotImplemented', () => {
  it.each([[htmlPage(404), true], [htmlPage(500), true], [awsError('NotImplemented', 501), true], [awsError('InternalFailure', 500), false], [awsError('FileSystemNotFound', 404), false]])(
    '%s -> %s', (err, want) => expect(isNotImplemented(err)).toBe(want),
  );
});

describe('file system find', () => {
  it('by the recorded id, with lifecycle and backup policy', async () => {
    efs.on(DescribeFileSystemsCommand, { FileSystemId: ID }).resolves({ FileSystems: [fsd()] });
    described();
    const a = await fileSystemKind.find(ctx({ recordedId: ID }));
    expect(a).toMatchObject({ id: ID, encrypted: true, transitionToIA: 'AFTER_30_DAYS', backup: true, sizeBytes: 6144 });
    expect(fileSystemKind.diff(spec, a!)).toEqual({ changes: [] });
    expect(fileSystemKind.outputs(a!)).toEqual({ fileSystemId: ID, arn: fsd().FileSystemArn });
  });
  it('recorded id gone, then by tags among all file systems (paged)', async () => {
    efs.on(DescribeFileSystemsCommand).callsFake((input: { FileSystemId?: string; Marker?: string }) => {
      if (input.FileSystemId) throw awsError('FileSystemNotFound', 404);
      return input.Marker === 'm2' ? { FileSystems: [fsd()] } : { FileSystems: [fsd({ FileSystemId: 'fs-other', Tags: [] })], NextMarker: 'm2' };
    });
    described();
    expect((await fileSystemKind.find(ctx({ recordedId: 'fs-gone' })))?.id).toBe(ID);
  });
  it('two with this step\'s tags: the first used, the other left alone (it may hold data), never handed over as a duplicate', async () => {
    efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fsd(), fsd({ FileSystemId: 'fs-twin' })] });
    described();
    const c = ctx();
    expect((await fileSystemKind.find(c))?.id).toBe(ID);
    expect(c.duplicate).not.toHaveBeenCalled();
    expect(c.warn.mock.calls.join('\n')).toMatch(/left alone/);
  });
  it('not found', async () => {
    efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [] });
    expect(await fileSystemKind.find(ctx())).toBeUndefined();
  });
  it('backups never turned on (PolicyNotFound): a change', async () => {
    efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fsd()] });
    efs.on(DescribeLifecycleConfigurationCommand).resolves({ LifecyclePolicies: [] });
    efs.on(DescribeBackupPolicyCommand).rejects(awsError('PolicyNotFound', 404));
    const a = await fileSystemKind.find(ctx());
    expect(fileSystemKind.diff(spec, a!).changes.map((c) => c.field)).toEqual(['transitionToIA', 'backup']);
  });
  it('unencrypted: refused, a file system cannot be encrypted in place', () => {
    expect(fileSystemKind.diff(spec, { ...actual, encrypted: false }).replace).toMatch(/encrypted cannot change/);
  });
});

describe('file system create', () => {
  it('encrypted, elastic, backups on, tags and CreationToken in the same call; records, waits, sets the lifecycle', async () => {
    efs.on(CreateFileSystemCommand).resolves(fsd({ LifeCycleState: 'creating' }));
    efs.on(DescribeFileSystemsCommand).resolvesOnce({ FileSystems: [fsd({ LifeCycleState: 'creating' })] }).resolves({ FileSystems: [fsd()] });
    efs.on(PutLifecycleConfigurationCommand).resolves({});
    described();
    const c = ctx();
    const a = await fileSystemKind.create(c, spec);
    expect(efs.commandCalls(CreateFileSystemCommand)[0]!.args[0].input).toEqual({
      CreationToken: TOKEN, PerformanceMode: 'generalPurpose', ThroughputMode: 'elastic', Encrypted: true, Backup: true, Tags: toTagList(own),
    });
    expect(c.recordId).toHaveBeenCalledWith(ID, fsd().FileSystemArn);
    expect(efs.commandCalls(PutLifecycleConfigurationCommand)[0]!.args[0].input).toEqual({ FileSystemId: ID, LifecyclePolicies: [{ TransitionToIA: 'AFTER_30_DAYS' }] });
    expect(efs.commandCalls(PutBackupPolicyCommand)).toHaveLength(0);
    expect(a.state).toBe('available');
  });
  it('the same creation token again (a crashed create): FileSystemAlreadyExists, the file system adopted', async () => {
    efs.on(CreateFileSystemCommand).rejects(awsError('FileSystemAlreadyExists', 409));
    efs.on(DescribeFileSystemsCommand).resolves({ FileSystems: [fsd()] });
    efs.on(PutLifecycleConfigurationCommand).resolves({});
    described();
    const c = ctx();
    expect((await fileSystemKind.create(c, spec)).id).toBe(ID);
    expect(efs.commandCalls(DescribeFileSystemsCommand)[0]!.args[0].input).toMatchObject({ CreationToken: TOKEN });
    expect(c.recordId).toHaveBeenCalledWith(ID, expect.any(String));
  });
});

describe('file system update', () => {
  it('backups off outside wpdeploy: PutBackupPolicy', async () => {
    efs.on(PutBackupPolicyCommand).resolves({});
    const a = await fileSystemKind.update!(ctx(), spec, { ...actual, backup: false }, { changes: [] });
    expect(efs.commandCalls(PutBackupPolicyCommand)[0]!.args[0].input).toEqual({ FileSystemId: ID, BackupPolicy: { Status: 'ENABLED' } });
    expect(a.backup).toBe(true);
  });
  it('an endpoint without PutBackupPolicy (moto answers an HTML page): a warning, never a failure', async () => {
    efs.on(PutBackupPolicyCommand).rejects(htmlPage(500));
    const c = ctx();
    const a = await fileSystemKind.update!(c, spec, { ...actual, backup: false }, { changes: [] });
    expect(a.backup).toBeUndefined();
    expect(c.warn.mock.calls.join('\n')).toMatch(/does not implement EFS PutBackupPolicy/);
  });
  it('a real PutBackupPolicy failure still fails', async () => {
    efs.on(PutBackupPolicyCommand).rejects(awsError('AccessDeniedException', 403));
    await expect(fileSystemKind.update!(ctx(), spec, { ...actual, backup: false }, { changes: [] })).rejects.toThrow(/AccessDenied/);
  });
  it('lifecycle and tags', async () => {
    efs.on(PutLifecycleConfigurationCommand).resolves({});
    efs.on(TagResourceCommand).resolves({});
    await fileSystemKind.update!(ctx(), { ...spec, tags: { ...own, team: 'web' } }, { ...actual, transitionToIA: undefined }, { changes: [] });
    expect(efs.commandCalls(PutLifecycleConfigurationCommand)).toHaveLength(1);
    expect(efs.commandCalls(TagResourceCommand)[0]!.args[0].input).toEqual({ ResourceId: ID, Tags: [{ Key: 'team', Value: 'web' }] });
  });
});

describe('file system delete (--purge)', () => {
  it('nothing holds it: deleted, waited for', async () => {
    efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [] });
    efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [] });
    efs.on(DeleteFileSystemCommand).resolves({});
    efs.on(DescribeFileSystemsCommand).resolvesOnce({ FileSystems: [fsd({ LifeCycleState: 'deleting' })] }).rejects(awsError('FileSystemNotFound', 404));
    await fileSystemKind.delete(ctx({ purge: true }), actual);
    expect(efs.commandCalls(DeleteFileSystemCommand)).toHaveLength(1);
  });
  it('lingering access points and mount targets are deleted first, the mount targets waited for', async () => {
    efs.on(DescribeAccessPointsCommand).resolves({ AccessPoints: [{ AccessPointId: 'fsap-1' }] });
    efs.on(DeleteAccessPointCommand).resolves({});
    efs.on(DescribeMountTargetsCommand)
      .resolvesOnce({ MountTargets: [{ MountTargetId: 'fsmt-1', FileSystemId: ID, SubnetId: 's', LifeCycleState: 'available' }] })
      .resolvesOnce({ MountTargets: [{ MountTargetId: 'fsmt-1', FileSystemId: ID, SubnetId: 's', LifeCycleState: 'deleting' }] })
      .resolves({ MountTargets: [] });
    efs.on(DeleteMountTargetCommand).resolves({});
    efs.on(DeleteFileSystemCommand).rejectsOnce(awsError('FileSystemInUse', 409)).resolves({});
    efs.on(DescribeFileSystemsCommand).rejects(awsError('FileSystemNotFound', 404));
    const c = ctx({ purge: true });
    await fileSystemKind.delete(c, actual);
    expect(efs.commandCalls(DeleteAccessPointCommand)).toHaveLength(1);
    expect(efs.commandCalls(DeleteMountTargetCommand)).toHaveLength(1);
    expect(efs.commandCalls(DeleteFileSystemCommand)).toHaveLength(2);
  });
  it('already gone is success', async () => {
    efs.on(DescribeAccessPointsCommand).rejects(awsError('FileSystemNotFound', 404));
    await expect(fileSystemKind.delete(ctx({ purge: true }), actual)).resolves.toBeUndefined();
  });
});
