import {
  CloudWatchLogsClient, CreateLogGroupCommand, DeleteLogGroupCommand, DescribeLogGroupsCommand, ListTagsForResourceCommand,
  PutRetentionPolicyCommand, TagResourceCommand, type LogGroup,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { stackTags, TAG_STACK, TAG_STEP } from '../../src/aws/tags.js';
import { WpdeployError } from '../../src/errors.js';
import { logGroupKind, logGroupName, logGroupPrefix, type LogGroupActual, type LogGroupSpec } from '../../src/resources/log-group.js';
import type { ResourceContext } from '../../src/resources/types.js';
import { context as appContext, type Ctx } from './app-context.js';
import { awsError } from './data-context.js';

const logs = mockClient(CloudWatchLogsClient);


let aws: AwsClients;
let log: string[];

function context(over: Partial<Ctx> = {}): Ctx {
  return appContext(aws, 'app-logs', { recordId: vi.fn<ResourceContext['recordId']>(async (id) => void log.push(`recordId:${id}`)), ...over });
}

const NAME = logGroupName('blog', 'app');
const arn = (name: string) => `arn:aws:logs:us-east-1:123456789012:log-group:${name}`;
const group = (name: string, over: Partial<LogGroup> = {}): LogGroup => ({
  logGroupName: name,
  arn: `${arn(name)}:*`,
  logGroupArn: arn(name),
  retentionInDays: 30,
  ...over,
});
const ownTags = { ...stackTags({ stack: 'blog', step: 'app-logs', role: 'app-logs' }) };

beforeEach(() => {
  logs.reset();
  aws = new AwsClients({ region: 'us-east-1', local: true });
  log = [];
});
afterEach(() => aws.destroy());

describe('log group names', () => {
  it('always start with /wpdeploy/<stack>/', () => {
    expect(logGroupName('blog', 'app')).toBe('/wpdeploy/blog/app');
    expect(logGroupName('blog', 'app').startsWith(logGroupPrefix('blog'))).toBe(true);
    // the trailing slash keeps stack blog from matching stack blog2
    expect(logGroupName('blog2', 'app').startsWith(logGroupPrefix('blog'))).toBe(false);
  });
});

describe('log group find', () => {
  it('finds the group by its recorded name, an exact match among the prefix results', async () => {
    logs.on(DescribeLogGroupsCommand, { logGroupNamePrefix: NAME }).resolves({ logGroups: [group(NAME), group(`${NAME}-old`)] });
    logs.on(ListTagsForResourceCommand, { resourceArn: arn(NAME) }).resolves({ tags: { ...ownTags, team: 'web' } });
    const found = await logGroupKind.find(context({ recordedId: NAME }));
    expect(found).toEqual({ id: NAME, arn: arn(NAME), state: 'available', retentionDays: 30, tags: { ...ownTags, team: 'web' } });
    expect(logs.commandCalls(DescribeLogGroupsCommand)).toHaveLength(1);
  });

  it('an ARN with the trailing :* only (no logGroupArn) is trimmed', async () => {
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [group(NAME, { logGroupArn: undefined })] });
    logs.on(ListTagsForResourceCommand).resolves({ tags: ownTags });
    const found = await logGroupKind.find(context({ recordedId: NAME }));
    expect(found?.arn).toBe(arn(NAME));
    expect(logs.commandCalls(ListTagsForResourceCommand)[0]!.args[0].input.resourceArn).toBe(arn(NAME));
  });

  it.each([
    ['the recorded name is gone', { recordedId: '/wpdeploy/blog/gone' }],
    ['no name is recorded', {}],
  ])('when %s, picks the group under /wpdeploy/<stack>/ tagged with this stack and step', async (_what, over) => {
    logs.on(DescribeLogGroupsCommand, { logGroupNamePrefix: '/wpdeploy/blog/gone' }).resolves({ logGroups: [] });
    logs.on(DescribeLogGroupsCommand, { logGroupNamePrefix: '/wpdeploy/blog/' })
      .resolvesOnce({ logGroups: [group('/wpdeploy/blog/other')], nextToken: 'page2' })
      .resolvesOnce({ logGroups: [group(NAME, { retentionInDays: undefined })] });
    logs.on(ListTagsForResourceCommand, { resourceArn: arn('/wpdeploy/blog/other') }).resolves({ tags: { [TAG_STACK]: 'blog', [TAG_STEP]: 'other' } });
    logs.on(ListTagsForResourceCommand, { resourceArn: arn(NAME) }).resolves({ tags: ownTags });
    const found = await logGroupKind.find(context(over));
    expect(found).toMatchObject({ id: NAME, retentionDays: undefined });
    const prefixCalls = logs.commandCalls(DescribeLogGroupsCommand).map((c) => c.args[0].input).filter((i) => i.logGroupNamePrefix === '/wpdeploy/blog/');
    expect(prefixCalls.map((i) => i.nextToken)).toEqual([undefined, 'page2']);
  });

  it('returns undefined, without throwing, when no group is recorded or tagged', async () => {
    logs.on(DescribeLogGroupsCommand, { logGroupNamePrefix: NAME }).rejects(awsError('ResourceNotFoundException'));
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [group('/wpdeploy/blog/other')] });
    logs.on(ListTagsForResourceCommand).resolves({ tags: { [TAG_STACK]: 'blog', [TAG_STEP]: 'other' } });
    expect(await logGroupKind.find(context({ recordedId: NAME }))).toBeUndefined();
  });

  it('a group deleted between the listing and the tag read is skipped', async () => {
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [group(NAME)] });
    logs.on(ListTagsForResourceCommand).rejects(awsError('ResourceNotFoundException'));
    expect(await logGroupKind.find(context())).toBeUndefined();
  });

  it('does not hide an error other than not-found', async () => {
    logs.on(DescribeLogGroupsCommand).rejects(awsError('AccessDeniedException', 403));
    await expect(logGroupKind.find(context({ recordedId: NAME }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });

  it('warns when several groups carry the step tags', async () => {
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [group(NAME), group(`${NAME}2`)] });
    logs.on(ListTagsForResourceCommand).resolves({ tags: ownTags });
    const ctx = context();
    expect((await logGroupKind.find(ctx))?.id).toBe(NAME);
    expect(ctx.warn).toHaveBeenCalledTimes(1);
  });
});

describe('log group create', () => {
  const desired: LogGroupSpec = { name: NAME, retentionDays: 30, tags: { ...ownTags, team: 'web' } };

  it('tags in the CreateLogGroup call, records the name before anything else, then sets the retention', async () => {
    logs.on(CreateLogGroupCommand).callsFake(async () => void log.push('CreateLogGroup'));
    logs.on(PutRetentionPolicyCommand).callsFake(async () => void log.push('PutRetentionPolicy'));
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [group(NAME)] });
    const ctx = context();
    const created = await logGroupKind.create(ctx, desired);
    expect(logs.commandCalls(CreateLogGroupCommand).map((c) => c.args[0].input)).toEqual([{ logGroupName: NAME, tags: desired.tags }]);
    expect(logs.commandCalls(TagResourceCommand)).toHaveLength(0);
    expect(logs.commandCalls(PutRetentionPolicyCommand).map((c) => c.args[0].input)).toEqual([{ logGroupName: NAME, retentionInDays: 30 }]);
    expect(log).toEqual(['CreateLogGroup', `recordId:${NAME}`, 'PutRetentionPolicy']);
    expect(ctx.recordId).toHaveBeenCalledWith(NAME, arn(NAME));
    expect(created).toEqual({ id: NAME, arn: arn(NAME), state: 'available', retentionDays: 30, tags: desired.tags });
  });

  it('already exists with this step\'s tags (a crash before the record): adopts it and converges', async () => {
    logs.on(CreateLogGroupCommand).rejects(awsError('ResourceAlreadyExistsException'));
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [group(NAME, { retentionInDays: undefined })] });
    logs.on(ListTagsForResourceCommand).resolves({ tags: ownTags });
    logs.on(PutRetentionPolicyCommand).resolves({});
    logs.on(TagResourceCommand).resolves({});
    const ctx = context();
    const created = await logGroupKind.create(ctx, desired);
    expect(ctx.recordId).toHaveBeenCalledWith(NAME, arn(NAME));
    expect(ctx.warn).toHaveBeenCalledTimes(1);
    expect(logs.commandCalls(PutRetentionPolicyCommand)).toHaveLength(1);
    expect(logs.commandCalls(TagResourceCommand).map((c) => c.args[0].input)).toEqual([{ resourceArn: arn(NAME), tags: { team: 'web' } }]);
    expect(created).toMatchObject({ id: NAME, retentionDays: 30, tags: desired.tags });
  });

  it('already exists and belongs to something else: refused, naming the group', async () => {
    logs.on(CreateLogGroupCommand).rejects(awsError('ResourceAlreadyExistsException'));
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [group(NAME)] });
    logs.on(ListTagsForResourceCommand).resolves({ tags: { owner: 'someone' } });
    const ctx = context();
    const err = await logGroupKind.create(ctx, desired).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    expect((err as WpdeployError).message).toContain(NAME);
    expect((err as WpdeployError).hint).toContain('delete-log-group');
    expect(ctx.recordId).not.toHaveBeenCalled();
    expect(logs.commandCalls(PutRetentionPolicyCommand)).toHaveLength(0);
  });

  it.each([
    ['a name outside /wpdeploy/<stack>/', { name: '/ecs/blog' }],
    ['a retention CloudWatch Logs does not accept', { retentionDays: 10 }],
  ])('refuses %s before any call', async (_what, over) => {
    await expect(logGroupKind.create(context(), { ...desired, ...over })).rejects.toBeInstanceOf(WpdeployError);
    expect(logs.calls()).toHaveLength(0);
  });
});

describe('log group diff and update', () => {
  const actual: LogGroupActual = { id: NAME, arn: arn(NAME), state: 'available', retentionDays: 30, tags: { ...ownTags, other: 'x' } };
  const desired: LogGroupSpec = { name: NAME, retentionDays: 30, tags: ownTags };

  it.each<[string, Partial<LogGroupSpec>, Partial<LogGroupActual>, string[]]>([
    ['nothing differs (tags set by others are left alone)', {}, {}, []],
    ['the retention differs', { retentionDays: 90 }, {}, ['retentionDays']],
    ['the group never expires', {}, { retentionDays: undefined }, ['retentionDays']],
    ['a tag is missing', { tags: { ...ownTags, team: 'web' } }, {}, ['tags.team']],
  ])('%s', (_what, d, a, fields) => {
    const diff = logGroupKind.diff({ ...desired, ...d }, { ...actual, ...a });
    expect(diff.changes.map((c) => c.field)).toEqual(fields);
    expect(diff.replace).toBeUndefined();
  });

  it('a new name means replacement, and says why', () => {
    const diff = logGroupKind.diff({ ...desired, name: '/wpdeploy/blog/web' }, actual);
    expect(diff.replace).toContain('renamed');
    expect(diff.changes[0]).toEqual({ field: 'name', from: NAME, to: '/wpdeploy/blog/web' });
  });

  it.each<[string, Partial<LogGroupSpec>, { retention: number; tag: number }]>([
    ['only the retention', { retentionDays: 90 }, { retention: 1, tag: 0 }],
    ['only the tags', { tags: { ...ownTags, team: 'web' } }, { retention: 0, tag: 1 }],
    ['both', { retentionDays: 7, tags: { team: 'web' } }, { retention: 1, tag: 1 }],
  ])('update sends %s', async (_what, d, expected) => {
    logs.on(PutRetentionPolicyCommand).resolves({});
    logs.on(TagResourceCommand).resolves({});
    const want = { ...desired, ...d };
    const updated = await logGroupKind.update!(context(), want, actual, logGroupKind.diff(want, actual));
    expect(logs.commandCalls(PutRetentionPolicyCommand)).toHaveLength(expected.retention);
    expect(logs.commandCalls(TagResourceCommand)).toHaveLength(expected.tag);
    if (expected.tag) expect(logs.commandCalls(TagResourceCommand)[0]!.args[0].input).toEqual({ resourceArn: arn(NAME), tags: { team: 'web' } });
    expect(updated.retentionDays).toBe(want.retentionDays);
    expect(updated.tags.other).toBe('x');
  });
});

describe('log group delete', () => {
  const actual: LogGroupActual = { id: NAME, arn: arn(NAME), state: 'available', retentionDays: 30, tags: {} };

  it('deletes the group', async () => {
    logs.on(DeleteLogGroupCommand).resolves({});
    await logGroupKind.delete(context(), actual);
    expect(logs.commandCalls(DeleteLogGroupCommand).map((c) => c.args[0].input)).toEqual([{ logGroupName: NAME }]);
  });

  it('a group already gone is success', async () => {
    logs.on(DeleteLogGroupCommand).rejects(awsError('ResourceNotFoundException'));
    await expect(logGroupKind.delete(context(), actual)).resolves.toBeUndefined();
  });

  it('does not swallow another error', async () => {
    logs.on(DeleteLogGroupCommand).rejects(awsError('OperationAbortedException'));
    await expect(logGroupKind.delete(context(), actual)).rejects.toMatchObject({ name: 'OperationAbortedException' });
  });
});

describe('log group outputs', () => {
  it('the name and the ARN without :*', () => {
    expect(logGroupKind.outputs({ id: NAME, arn: arn(NAME), state: 'available', retentionDays: 30, tags: {} })).toEqual({ name: NAME, arn: arn(NAME) });
  });
});
