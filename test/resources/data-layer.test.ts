/**
 * The service layers of the data tier (rds-common, efs-common, secrets-common) and the step waits:
 * here the request shapes are the point (paging, not-found), so AWS is mocked at the SDK; the kind
 * tests mock above them where the request is not what they check.
 */
import { DescribeAccessPointsCommand, DescribeFileSystemsCommand, DescribeMountTargetsCommand, EFSClient } from '@aws-sdk/client-efs';
import { AddTagsToResourceCommand, CreateDBSubnetGroupCommand, DescribeDBInstancesCommand, DescribeDBParametersCommand, RDSClient } from '@aws-sdk/client-rds';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { toTagList } from '../../src/aws/tags.js';
import { WpdeployError } from '../../src/errors.js';
import { accessPointsOf, listFileSystems, mountTargetsOf } from '../../src/resources/efs-common.js';
import { addRdsTags, createOrAdopt, describeRds, findByName, rds as rdsClient, rdsPages } from '../../src/resources/rds-common.js';
import { stackSecrets } from '../../src/resources/secrets-common.js';
import { deleteAndWait } from '../../src/resources/waits.js';
import { awsError, context, newClients, STACK, tagsOf } from './data-context.js';

const rds = mockClient(RDSClient);
const efs = mockClient(EFSClient);
const sm = mockClient(SecretsManagerClient);
let aws: AwsClients;
beforeEach(() => {
  rds.reset();
  efs.reset();
  sm.reset();
  aws = newClients();
});
afterEach(() => aws.destroy());

describe('reads: only not-found means absent', () => {
  it('an instance AWS does not know is undefined; any other error stands', async () => {
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'gone' }).rejects(awsError('DBInstanceNotFound', 404));
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'denied' }).rejects(awsError('AccessDenied', 403));
    expect(await describeRds.instance({ aws }, 'gone')).toBeUndefined();
    await expect(describeRds.instance({ aws }, 'denied')).rejects.toMatchObject({ name: 'AccessDenied' });
  });
  it('the access points of a file system that is gone: undefined, not an empty list; a throttle stands', async () => {
    efs.on(DescribeAccessPointsCommand, { FileSystemId: 'fs-gone' }).rejects(awsError('FileSystemNotFound', 404));
    efs.on(DescribeAccessPointsCommand, { FileSystemId: 'fs-busy' }).rejects(awsError('ThrottlingException', 400));
    expect(await accessPointsOf({ aws }, 'fs-gone')).toBeUndefined();
    await expect(accessPointsOf({ aws }, 'fs-busy')).rejects.toMatchObject({ name: 'ThrottlingException' });
  });
});

describe('listings: every page', () => {
  it('RDS pages with Marker', async () => {
    rds.on(DescribeDBParametersCommand)
      .resolvesOnce({ Parameters: [{ ParameterName: 'a' }], Marker: 'm1' })
      .resolvesOnce({ Parameters: [{ ParameterName: 'b' }] });
    const all = await rdsPages(async (Marker) => {
      const r = await rdsClient({ aws }).send(new DescribeDBParametersCommand({ DBParameterGroupName: 'g', Marker }));
      return { items: r.Parameters, Marker: r.Marker };
    });
    expect(all.map((p) => p.ParameterName)).toEqual(['a', 'b']);
    expect(rds.commandCalls(DescribeDBParametersCommand).map((c) => c.args[0].input.Marker)).toEqual([undefined, 'm1']);
  });
  it('file systems page with NextMarker; those being deleted are left out', async () => {
    efs.on(DescribeFileSystemsCommand)
      .resolvesOnce({ FileSystems: [fs('fs-1', 'available')], NextMarker: 'n1' })
      .resolvesOnce({ FileSystems: [fs('fs-2', 'deleting'), fs('fs-3', 'creating')] });
    expect((await listFileSystems({ aws })).map((f) => f.FileSystemId)).toEqual(['fs-1', 'fs-3']);
  });
  it('mount targets page with NextMarker; a file system that is gone has none', async () => {
    efs.on(DescribeMountTargetsCommand, { FileSystemId: 'fs-1' })
      .resolvesOnce({ MountTargets: [{ MountTargetId: 'fsmt-1', FileSystemId: 'fs-1', SubnetId: 's-1', LifeCycleState: 'available', OwnerId: '1' }], NextMarker: 'n1' })
      .resolvesOnce({ MountTargets: [{ MountTargetId: 'fsmt-2', FileSystemId: 'fs-1', SubnetId: 's-2', LifeCycleState: 'available', OwnerId: '1' }] });
    efs.on(DescribeMountTargetsCommand, { FileSystemId: 'fs-gone' }).rejects(awsError('FileSystemNotFound', 404));
    expect((await mountTargetsOf({ aws }, 'fs-1')).map((m) => m.MountTargetId)).toEqual(['fsmt-1', 'fsmt-2']);
    expect(await mountTargetsOf({ aws }, 'fs-gone')).toEqual([]);
  });
  it('the stack\'s secrets page with NextToken; a secret whose stack tag only partly matches the filter is not the stack\'s', async () => {
    sm.on(ListSecretsCommand)
      .resolvesOnce({ SecretList: [{ ARN: 'arn:1', Name: 'wpdeploy/blog/db', Tags: toTagList({ 'wpdeploy:stack': STACK }) }], NextToken: 't1' })
      .resolvesOnce({ SecretList: [{ ARN: 'arn:2', Name: 'other', Tags: toTagList({ 'wpdeploy:stack': 'blog2', owner: STACK }) }] });
    expect((await stackSecrets({ aws }, STACK)).map((s) => s.arn)).toEqual(['arn:1']);
  });
});

describe('tags', () => {
  it('only the missing or different tags are sent, and the result is what the resource carries after', async () => {
    rds.on(AddTagsToResourceCommand).resolves({});
    const after = await addRdsTags({ aws }, 'arn:x', { a: '1', b: '2' }, { a: '1', b: 'old', c: 'theirs' });
    expect(rds.commandCalls(AddTagsToResourceCommand).map((c) => c.args[0].input)).toEqual([{ ResourceName: 'arn:x', Tags: [{ Key: 'b', Value: '2' }] }]);
    expect(after).toEqual({ a: '1', b: '2', c: 'theirs' });
  });
  it('nothing missing: no call', async () => {
    await addRdsTags({ aws }, 'arn:x', { a: '1' }, { a: '1' });
    expect(rds.calls()).toHaveLength(0);
  });
});

describe('find by name and create or adopt', () => {
  const own = tagsOf('db-subnets');
  const read = (groups: Record<string, { tags: Record<string, string>; state?: string }>) => ({
    describe: async (name: string) => groups[name] && { name, ...groups[name] },
    toActual: async (g: { name: string; tags: Record<string, string> }) => ({ id: g.name, arn: `arn:${g.name}`, tags: g.tags }),
    gone: (g: { state?: string }) => g.state === 'deleting',
  });
  it('the recorded name is the step\'s whatever its tags; the fixed name only with the step\'s tags; one being deleted is not found', async () => {
    const ctx = context(aws, 'db-subnets', 'data', { recordedId: 'recorded' });
    expect((await findByName(ctx, 'fixed', read({ recorded: { tags: {} }, fixed: { tags: own } })))?.id).toBe('recorded');
    expect((await findByName(ctx, 'fixed', read({ fixed: { tags: own } })))?.id).toBe('fixed');
    expect(await findByName(ctx, 'fixed', read({ fixed: { tags: tagsOf('other-step') } }))).toBeUndefined();
    expect(await findByName(ctx, 'fixed', read({ recorded: { tags: own, state: 'deleting' } }))).toBeUndefined();
  });
  const attempt = (ctx: ReturnType<typeof context>, groups: Parameters<typeof read>[0], adopted = vi.fn(async (a: { id: string; arn: string; tags: Record<string, string> }) => a)) =>
    createOrAdopt(ctx, {
      noun: 'DB subnet group', name: 'fixed', freeIt: 'aws rds delete-db-subnet-group --db-subnet-group-name fixed',
      create: () => rdsClient(ctx).send(new CreateDBSubnetGroupCommand({ DBSubnetGroupName: 'fixed', DBSubnetGroupDescription: 'd', SubnetIds: [] })),
      recorded: () => ['fixed', 'arn:fixed'],
      read: read(groups),
      created: async () => ({ id: 'fixed', arn: 'arn:fixed', tags: own }),
      adopted,
    });
  it('created: the id recorded before anything else', async () => {
    rds.on(CreateDBSubnetGroupCommand).resolves({});
    const ctx = context(aws, 'db-subnets', 'data');
    expect((await attempt(ctx, {})).id).toBe('fixed');
    expect(ctx.recordId).toHaveBeenCalledWith('fixed', 'arn:fixed');
  });
  it('"already exists" with this step\'s tags: adopted, recorded, said, and converged', async () => {
    rds.on(CreateDBSubnetGroupCommand).rejects(awsError('DBSubnetGroupAlreadyExistsFault'));
    const ctx = context(aws, 'db-subnets', 'data');
    const adopted = vi.fn(async (a: { id: string; arn: string; tags: Record<string, string> }) => a);
    await attempt(ctx, { fixed: { tags: own } }, adopted);
    expect(adopted).toHaveBeenCalledWith({ id: 'fixed', arn: 'arn:fixed', tags: own });
    expect(ctx.recordId).toHaveBeenCalledWith('fixed', 'arn:fixed');
    expect(ctx.warn.mock.calls.join('\n')).toMatch(/DB subnet group fixed already existed with this step's tags; adopted it/);
  });
  it('"already exists" and another stack\'s: refused, naming that stack and the command that frees the name; nothing recorded', async () => {
    rds.on(CreateDBSubnetGroupCommand).rejects(awsError('DBSubnetGroupAlreadyExistsFault'));
    const ctx = context(aws, 'db-subnets', 'data');
    const err = await attempt(ctx, { fixed: { tags: { 'wpdeploy:stack': 'shop', 'wpdeploy:step': 'db-subnets' } } }).then(() => undefined, (e: unknown) => e as WpdeployError);
    expect(err).toBeInstanceOf(WpdeployError);
    expect(err!.message).toMatch(/belongs to stack shop/);
    expect(err!.hint).toContain('aws rds delete-db-subnet-group --db-subnet-group-name fixed');
    expect(ctx.recordId).not.toHaveBeenCalled();
  });
  it('any other create error stands as AWS gave it', async () => {
    rds.on(CreateDBSubnetGroupCommand).rejects(awsError('InvalidSubnet'));
    await expect(attempt(context(aws, 'db-subnets', 'data'), { fixed: { tags: own } })).rejects.toMatchObject({ name: 'InvalidSubnet' });
  });
});

describe('delete and wait', () => {
  it('gone already (not found): no wait, false', async () => {
    const check = vi.fn(async () => 'still there');
    const ctx = context(aws, 'x');
    expect(await deleteAndWait(ctx, async () => { throw awsError('ResourceNotFoundException', 404); }, { what: 'x', expectedMs: 1_000, check, done: () => false })).toBe(false);
    expect(check).not.toHaveBeenCalled();
  });
  it('deleted: waits until the check says gone, saying progress, true; another delete error stands', async () => {
    const ctx = context(aws, 'x');
    const check = vi.fn<() => Promise<string | undefined>>().mockResolvedValueOnce('deleting').mockResolvedValue(undefined);
    expect(await deleteAndWait(ctx, async () => ({}), { what: 'x', expectedMs: 1_000, minIntervalMs: 10, check, done: (v) => !v, progress: (v) => `x is ${v}` })).toBe(true);
    expect(check).toHaveBeenCalledTimes(2);
    expect(ctx.progress).toHaveBeenCalledWith('x is deleting');
    await expect(deleteAndWait(ctx, async () => { throw awsError('DependencyViolation'); }, { what: 'x', expectedMs: 1_000, check, done: () => true })).rejects.toMatchObject({ name: 'DependencyViolation' });
  });
});

function fs(id: string, state: 'available' | 'creating' | 'deleting') {
  return { FileSystemId: id, LifeCycleState: state, CreationToken: id, OwnerId: '123456789012', CreationTime: new Date(), NumberOfMountTargets: 0, SizeInBytes: { Value: 0 }, PerformanceMode: 'generalPurpose' as const, Tags: [] };
}
