import {
  CreateMountTargetCommand, DeleteMountTargetCommand, DescribeMountTargetsCommand, DescribeMountTargetSecurityGroupsCommand, EFSClient,
  ModifyMountTargetSecurityGroupsCommand, type MountTargetDescription,
} from '@aws-sdk/client-efs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { mountTargetKind, type MountTargetActual, type MountTargetSpec } from '../../src/resources/efs-mount-target.js';
import { UNKNOWN } from '../../src/resources/types.js';
import { awsError, context, newClients } from './data-context.js';

const efs = mockClient(EFSClient);
let aws: AwsClients;
beforeEach(() => {
  efs.reset();
  aws = newClients();
});
afterEach(() => aws.destroy());

const spec: MountTargetSpec = { fileSystemId: 'fs-1', subnetId: 'subnet-app-a', securityGroupIds: ['sg-efs'] };
const mt = (over: Partial<MountTargetDescription> = {}): MountTargetDescription => ({
  MountTargetId: 'fsmt-1', FileSystemId: 'fs-1', SubnetId: 'subnet-app-a', LifeCycleState: 'available', AvailabilityZoneName: 'us-east-1a',
  IpAddress: '10.20.3.10', ...over,
});
const ctx = (over = {}) => context(aws, 'efs-mount-a', 'efs-a', over);
const actual: MountTargetActual = { id: 'fsmt-1', state: 'available', fileSystemId: 'fs-1', subnetId: 'subnet-app-a', az: 'us-east-1a', ipAddress: '10.20.3.10', securityGroupIds: ['sg-efs'] };

describe('mount target find', () => {
  it('by the recorded id', async () => {
    efs.on(DescribeMountTargetsCommand, { MountTargetId: 'fsmt-1' }).resolves({ MountTargets: [mt()] });
    efs.on(DescribeMountTargetSecurityGroupsCommand).resolves({ SecurityGroups: ['sg-efs'] });
    expect(await mountTargetKind.find(ctx({ recordedId: 'fsmt-1' }), spec)).toEqual(actual);
  });
  it('through the spec: the file system\'s mount target in that subnet (it carries no tags)', async () => {
    efs.on(DescribeMountTargetsCommand, { FileSystemId: 'fs-1' }).resolves({ MountTargets: [mt({ MountTargetId: 'fsmt-b', SubnetId: 'subnet-app-b' }), mt()] });
    efs.on(DescribeMountTargetSecurityGroupsCommand).resolves({ SecurityGroups: ['sg-efs'] });
    expect((await mountTargetKind.find(ctx(), spec))?.id).toBe('fsmt-1');
  });
  it.each([
    ['none in that subnet', () => efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [] })],
    ['the file system is gone', () => efs.on(DescribeMountTargetsCommand).rejects(awsError('FileSystemNotFound', 404))],
    ['being deleted', () => efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [mt({ LifeCycleState: 'deleting' })] })],
  ])('not found: %s', async (_, arrange) => {
    arrange();
    expect(await mountTargetKind.find(ctx(), spec)).toBeUndefined();
  });
  it('the file system not created yet (plan): not found, no call', async () => {
    expect(await mountTargetKind.find(ctx(), { ...spec, fileSystemId: UNKNOWN })).toBeUndefined();
    expect(efs.calls()).toHaveLength(0);
  });
});

describe('mount target diff', () => {
  it('security groups change in place', () => expect(mountTargetKind.diff({ ...spec, securityGroupIds: ['sg-x'] }, actual).replace).toBeUndefined());
  it('another subnet: created again', () => expect(mountTargetKind.diff({ ...spec, subnetId: 'subnet-x' }, actual).replace).toMatch(/subnetId cannot change/));
});

describe('mount target create', () => {
  it('creates it with the efs security group, records its id, waits until available', async () => {
    efs.on(CreateMountTargetCommand).resolves(mt({ LifeCycleState: 'creating' }));
    efs.on(DescribeMountTargetsCommand).resolvesOnce({ MountTargets: [mt({ LifeCycleState: 'creating' })] }).resolves({ MountTargets: [mt()] });
    efs.on(DescribeMountTargetSecurityGroupsCommand).resolves({ SecurityGroups: ['sg-efs'] });
    const c = ctx();
    const a = await mountTargetKind.create(c, spec);
    expect(efs.commandCalls(CreateMountTargetCommand)[0]!.args[0].input).toEqual({ FileSystemId: 'fs-1', SubnetId: 'subnet-app-a', SecurityGroups: ['sg-efs'] });
    expect(c.recordId).toHaveBeenCalledWith('fsmt-1');
    expect(a.state).toBe('available');
    expect(efs.commandCalls(DescribeMountTargetsCommand)).toHaveLength(2);
  });
  it('one already in that AZ (MountTargetConflict, a crashed create): adopted', async () => {
    efs.on(CreateMountTargetCommand).rejects(awsError('MountTargetConflict', 409));
    efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [mt()] });
    efs.on(DescribeMountTargetSecurityGroupsCommand).resolves({ SecurityGroups: ['sg-efs'] });
    expect((await mountTargetKind.create(ctx(), spec)).id).toBe('fsmt-1');
  });
  it('a conflict with nothing to adopt (another VPC) is reported', async () => {
    efs.on(CreateMountTargetCommand).rejects(awsError('MountTargetConflict', 409));
    efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [] });
    await expect(mountTargetKind.create(ctx(), spec)).rejects.toThrow(/MountTargetConflict/);
  });
});

describe('mount target update and delete', () => {
  it('sets the security groups', async () => {
    efs.on(ModifyMountTargetSecurityGroupsCommand).resolves({});
    await mountTargetKind.update!(ctx(), { ...spec, securityGroupIds: ['sg-x'] }, actual, { changes: [] });
    expect(efs.commandCalls(ModifyMountTargetSecurityGroupsCommand)[0]!.args[0].input).toEqual({ MountTargetId: 'fsmt-1', SecurityGroups: ['sg-x'] });
  });
  it('deletes and waits until it is gone', async () => {
    efs.on(DeleteMountTargetCommand).resolves({});
    efs.on(DescribeMountTargetsCommand).resolvesOnce({ MountTargets: [mt({ LifeCycleState: 'deleting' })] }).rejects(awsError('MountTargetNotFound', 404));
    await mountTargetKind.delete(ctx(), actual);
    expect(efs.commandCalls(DescribeMountTargetsCommand)).toHaveLength(2);
  });
  it('already gone is success', async () => {
    efs.on(DeleteMountTargetCommand).rejects(awsError('MountTargetNotFound', 404));
    await expect(mountTargetKind.delete(ctx(), actual)).resolves.toBeUndefined();
  });
});
