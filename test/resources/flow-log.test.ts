import {
  CreateFlowLogsCommand, CreateTagsCommand, DeleteFlowLogsCommand, DescribeFlowLogsCommand, EC2Client, type FlowLog,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { isIamPropagation } from '../../src/aws/errors.js';
import { stackTags, toTagList, TAG_STACK, TAG_STEP } from '../../src/aws/tags.js';
import { WpdeployError } from '../../src/errors.js';
import { flowLogClientToken, flowLogKind, type FlowLogActual, type FlowLogSpec } from '../../src/resources/flow-log.js';
import { awsError } from './app-context.js';
import { ec2Context, type Ec2CtxOver } from './ec2-context.js';

const ec2 = mockClient(EC2Client);

let aws: AwsClients;
let log: string[];

const context = (over: Ec2CtxOver = {}) => ec2Context(aws, 'flow-log', { log }, over);

const ownTags = stackTags({ stack: 'blog', step: 'flow-log', role: 'flow-log' });
const ROLE = 'arn:aws:iam::123456789012:role/wpdeploy/blog-flow-logs-us-east-1';
const desired: FlowLogSpec = { vpcId: 'vpc-1', logGroupName: '/wpdeploy/blog/flow-logs', roleArn: ROLE, trafficType: 'ALL', tags: ownTags };
const flowLog = (id: string, over: Partial<FlowLog> = {}): FlowLog => ({
  FlowLogId: id,
  FlowLogStatus: 'ACTIVE',
  ResourceId: 'vpc-1',
  LogGroupName: '/wpdeploy/blog/flow-logs',
  DeliverLogsPermissionArn: ROLE,
  TrafficType: 'ALL',
  DeliverLogsStatus: 'SUCCESS',
  LogDestinationType: 'cloud-watch-logs',
  Tags: toTagList(ownTags),
  ...over,
});
const actual: FlowLogActual = {
  id: 'fl-1', arn: 'arn:aws:ec2:us-east-1:123456789012:vpc-flow-log/fl-1', state: 'ACTIVE', vpcId: 'vpc-1',
  logGroupName: '/wpdeploy/blog/flow-logs', roleArn: ROLE, trafficType: 'ALL', deliverLogsStatus: 'SUCCESS', deliverLogsError: undefined, tags: ownTags,
};
const notAssumable = () => awsError('InvalidParameter', `Unable to assume given IAM role: '${ROLE}'`);

beforeEach(() => {
  ec2.reset();
  aws = new AwsClients({ region: 'us-east-1', local: true });
  log = [];
});
afterEach(() => aws.destroy());

describe('isIamPropagation (src/aws/errors.ts)', () => {
  it.each<[string, Error, boolean]>([
    ['EC2 CreateFlowLogs', notAssumable(), true],
    ['ECS CreateService', awsError('InvalidParameterException', 'Unable to assume role and validate the specified targetGroupArn.'), true],
    ['CloudWatch Logs', awsError('ValidationException', 'Make sure you have given CloudWatch Logs permission to assume the provided role.'), true],
    ['another invalid parameter', awsError('InvalidParameter', 'TrafficType must be ALL, ACCEPT or REJECT'), false],
    ['access denied mentioning assume', awsError('AccessDenied', 'not authorized to perform: sts:AssumeRole; unable to assume'), false],
  ])('%s', (_what, err, expected) => {
    expect(isIamPropagation(err)).toBe(expected);
  });
});

describe('flowLogClientToken', () => {
  it('is deterministic, at most 64 characters, and differs by stack, step, VPC, settings and generation', () => {
    const t = flowLogClientToken('blog', 'flow-log', desired);
    expect(flowLogClientToken('blog', 'flow-log', { ...desired })).toBe(t);
    expect(t.length).toBeLessThanOrEqual(64);
    expect(flowLogClientToken('blog', 'flow-log', desired, 3).length).toBeLessThanOrEqual(64);
    const others = [
      flowLogClientToken('shop', 'flow-log', desired),
      flowLogClientToken('blog', 'other', desired),
      flowLogClientToken('blog', 'flow-log', { ...desired, vpcId: 'vpc-2' }),
      flowLogClientToken('blog', 'flow-log', { ...desired, trafficType: 'REJECT' }),
      flowLogClientToken('blog', 'flow-log', desired, 2),
    ];
    expect(new Set([t, ...others]).size).toBe(6);
  });
});

describe('flow log find', () => {
  it('finds the flow log by its recorded id', async () => {
    ec2.on(DescribeFlowLogsCommand, { FlowLogIds: ['fl-1'] }).resolves({ FlowLogs: [flowLog('fl-1')] });
    expect(await flowLogKind.find(context({ recordedId: 'fl-1' }))).toEqual(actual);
    expect(ec2.commandCalls(DescribeFlowLogsCommand)).toHaveLength(1);
  });

  it.each([
    ['the recorded id is not found', () => ec2.on(DescribeFlowLogsCommand, { FlowLogIds: ['fl-gone'] }).rejects(awsError('InvalidFlowLogId.NotFound'))],
    ['the recorded id returns nothing', () => ec2.on(DescribeFlowLogsCommand, { FlowLogIds: ['fl-gone'] }).resolves({ FlowLogs: [] })],
  ])('when %s, falls back to the stack and step tags', async (_what, arrange) => {
    ec2.on(DescribeFlowLogsCommand).resolves({ FlowLogs: [flowLog('fl-tag')] });
    arrange();
    expect((await flowLogKind.find(context({ recordedId: 'fl-gone' })))?.id).toBe('fl-tag');
    expect(ec2.commandCalls(DescribeFlowLogsCommand)[1]!.args[0].input.Filter).toEqual([
      { Name: `tag:${TAG_STACK}`, Values: ['blog'] },
      { Name: `tag:${TAG_STEP}`, Values: ['flow-log'] },
    ]);
  });

  it('returns undefined, without throwing, when none exists', async () => {
    ec2.on(DescribeFlowLogsCommand).resolves({ FlowLogs: [] });
    expect(await flowLogKind.find(context({ recordedId: 'fl-gone' }))).toBeUndefined();
  });

  it('warns when the flow log cannot deliver its logs', async () => {
    ec2.on(DescribeFlowLogsCommand).resolves({ FlowLogs: [flowLog('fl-1', { DeliverLogsStatus: 'FAILED', DeliverLogsErrorMessage: 'Access error' })] });
    const ctx = context({ recordedId: 'fl-1' });
    await flowLogKind.find(ctx);
    expect(ctx.warn).toHaveBeenCalledWith(expect.stringContaining('Access error'));
  });
});

describe('flow log create', () => {
  it('tags and an idempotency token in the CreateFlowLogs call, records the id before waiting', async () => {
    ec2.on(CreateFlowLogsCommand).callsFake(async () => { log.push('CreateFlowLogs'); return { FlowLogIds: ['fl-new'], Unsuccessful: [] }; });
    let describes = 0;
    ec2.on(DescribeFlowLogsCommand).callsFake(async () => {
      log.push('DescribeFlowLogs');
      return { FlowLogs: ++describes === 1 ? [] : [flowLog('fl-new')] }; // not visible at first
    });
    const ctx = context();
    const created = await flowLogKind.create(ctx, desired);
    expect(ec2.commandCalls(CreateFlowLogsCommand).map((c) => c.args[0].input)).toEqual([{
      ResourceType: 'VPC',
      ResourceIds: ['vpc-1'],
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: '/wpdeploy/blog/flow-logs',
      DeliverLogsPermissionArn: ROLE,
      TrafficType: 'ALL',
      TagSpecifications: [{ ResourceType: 'vpc-flow-log', Tags: toTagList(ownTags) }],
      ClientToken: flowLogClientToken('blog', 'flow-log', desired),
    }]);
    expect(ec2.commandCalls(CreateTagsCommand)).toHaveLength(0);
    expect(log.slice(0, 3)).toEqual(['CreateFlowLogs', 'recordId:fl-new', 'DescribeFlowLogs']);
    expect(ctx.recordId).toHaveBeenCalledWith('fl-new', 'arn:aws:ec2:us-east-1:123456789012:vpc-flow-log/fl-new');
    expect(created.id).toBe('fl-new');
  });

  const unsuccessfulAssume = { Unsuccessful: [{ ResourceId: 'vpc-1', Error: { Code: 'InvalidParameter', Message: `Unable to assume given IAM role: '${ROLE}'` } }] };
  it.each([
    ['thrown', () => ec2.on(CreateFlowLogsCommand).rejectsOnce(notAssumable()).rejectsOnce(notAssumable()).resolves({ FlowLogIds: ['fl-new'] })],
    ['in Unsuccessful[]', () => ec2.on(CreateFlowLogsCommand).resolvesOnce(unsuccessfulAssume).resolvesOnce(unsuccessfulAssume).resolves({ FlowLogIds: ['fl-new'] })],
  ])('retries while IAM has not made the new role assumable (%s), with the same token', async (_what, arrange) => {
    arrange();
    ec2.on(DescribeFlowLogsCommand).resolves({ FlowLogs: [flowLog('fl-new')] });
    const ctx = context();
    expect((await flowLogKind.create(ctx, desired)).id).toBe('fl-new');
    const creates = ec2.commandCalls(CreateFlowLogsCommand);
    expect(creates).toHaveLength(3);
    expect(new Set(creates.map((c) => c.args[0].input.ClientToken)).size).toBe(1);
    expect(ctx.progress).toHaveBeenCalledTimes(2);
    expect(ctx.recordId).toHaveBeenCalledTimes(1);
  });

  it('a role that never becomes assumable gives up with the reason and a hint', async () => {
    ec2.on(CreateFlowLogsCommand).rejects(notAssumable());
    const ctx = context();
    const err = await flowLogKind.create(ctx, desired).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    expect((err as WpdeployError).message).toContain('Unable to assume given IAM role');
    expect((err as WpdeployError).hint).toContain(ROLE);
    expect(ec2.commandCalls(CreateFlowLogsCommand).length).toBeLessThanOrEqual(6);
    expect(ctx.recordId).not.toHaveBeenCalled();
  });

  it('another Unsuccessful[] error is raised at once with its reason', async () => {
    ec2.on(CreateFlowLogsCommand).resolves({ Unsuccessful: [{ ResourceId: 'vpc-1', Error: { Code: 'InvalidParameter', Message: 'Log group /x does not exist' } }] });
    await expect(flowLogKind.create(context(), desired)).rejects.toThrow(/InvalidParameter: Log group \/x does not exist/);
    expect(ec2.commandCalls(CreateFlowLogsCommand)).toHaveLength(1);
  });

  it('already exists with this step\'s tags: adopts it', async () => {
    ec2.on(CreateFlowLogsCommand).resolves({ Unsuccessful: [{ ResourceId: 'vpc-1', Error: { Code: 'FlowLogAlreadyExists', Message: 'There is an existing Flow Log with the same configuration and log destination.' } }] });
    ec2.on(DescribeFlowLogsCommand).resolves({ FlowLogs: [flowLog('fl-old')] });
    const ctx = context();
    expect((await flowLogKind.create(ctx, desired)).id).toBe('fl-old');
    expect(ec2.commandCalls(DescribeFlowLogsCommand)[0]!.args[0].input.Filter).toEqual([
      { Name: 'resource-id', Values: ['vpc-1'] },
      { Name: 'log-group-name', Values: ['/wpdeploy/blog/flow-logs'] },
    ]);
    expect(ctx.recordId).toHaveBeenCalledWith('fl-old', expect.any(String));
    expect(ctx.warn).toHaveBeenCalledTimes(1);
  });

  it('already exists and belongs to something else: refused, naming it', async () => {
    ec2.on(CreateFlowLogsCommand).rejects(awsError('FlowLogAlreadyExists'));
    ec2.on(DescribeFlowLogsCommand).resolves({ FlowLogs: [flowLog('fl-theirs', { Tags: [] })] });
    const ctx = context();
    const err = await flowLogKind.create(ctx, desired).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    expect((err as WpdeployError).message).toContain('fl-theirs');
    expect((err as WpdeployError).hint).toContain('delete-flow-logs');
    expect(ctx.recordId).not.toHaveBeenCalled();
  });

  it('an answer naming a flow log that does not exist (token reused after a delete) asks again with a fresh token', async () => {
    ec2.on(CreateFlowLogsCommand).resolvesOnce({ FlowLogIds: ['fl-deleted'] }).resolves({ FlowLogIds: ['fl-new'] });
    ec2.on(DescribeFlowLogsCommand, { FlowLogIds: ['fl-deleted'] }).resolves({ FlowLogs: [] });
    ec2.on(DescribeFlowLogsCommand, { FlowLogIds: ['fl-new'] }).resolves({ FlowLogs: [flowLog('fl-new')] });
    const ctx = context();
    expect((await flowLogKind.create(ctx, desired)).id).toBe('fl-new');
    const tokens = ec2.commandCalls(CreateFlowLogsCommand).map((c) => c.args[0].input.ClientToken);
    expect(tokens).toEqual([flowLogClientToken('blog', 'flow-log', desired), flowLogClientToken('blog', 'flow-log', desired, 2)]);
    expect(ctx.recordId.mock.calls.map((c) => c[0])).toEqual(['fl-deleted', 'fl-new']);
    expect(ctx.warn).toHaveBeenCalledTimes(1);
  });
});

describe('flow log diff and update', () => {
  it.each<[string, Partial<FlowLogSpec>]>([
    ['vpcId', { vpcId: 'vpc-2' }],
    ['logGroupName', { logGroupName: '/wpdeploy/blog/other' }],
    ['roleArn', { roleArn: 'arn:aws:iam::123456789012:role/other' }],
    ['trafficType', { trafficType: 'REJECT' }],
  ])('a new %s means replacement, with the reason', (field, d) => {
    const diff = flowLogKind.diff({ ...desired, ...d }, actual);
    expect(diff.changes.map((c) => c.field)).toEqual([field]);
    expect(diff.replace).toContain('cannot be modified');
    expect(flowLogKind.onReplace).toBe('recreate');
  });

  it('nothing differs; tags set by others are left alone', () => {
    expect(flowLogKind.diff(desired, { ...actual, tags: { ...ownTags, other: 'x' } })).toEqual({ changes: [] });
  });

  it('a missing tag is an in-place update that sends only CreateTags with that tag', async () => {
    ec2.on(CreateTagsCommand).resolves({});
    const want = { ...desired, tags: { ...ownTags, team: 'web' } };
    const diff = flowLogKind.diff(want, actual);
    expect(diff).toEqual({ changes: [{ field: 'tags.team', from: undefined, to: 'web' }] });
    const updated = await flowLogKind.update!(context(), want, actual, diff);
    expect(ec2.calls()).toHaveLength(1);
    expect(ec2.commandCalls(CreateTagsCommand)[0]!.args[0].input).toEqual({ Resources: ['fl-1'], Tags: [{ Key: 'team', Value: 'web' }] });
    expect(updated.tags.team).toBe('web');
  });
});

describe('flow log delete', () => {
  it('deletes the flow log', async () => {
    ec2.on(DeleteFlowLogsCommand).resolves({ Unsuccessful: [] });
    await flowLogKind.delete(context(), actual);
    expect(ec2.commandCalls(DeleteFlowLogsCommand).map((c) => c.args[0].input)).toEqual([{ FlowLogIds: ['fl-1'] }]);
  });

  it.each([
    ['reported in Unsuccessful[] (AWS)', () => ec2.on(DeleteFlowLogsCommand).resolves({ Unsuccessful: [{ ResourceId: 'fl-1', Error: { Code: 'InvalidFlowLogId.NotFound', Message: 'not found' } }] })],
    ['thrown (moto)', () => ec2.on(DeleteFlowLogsCommand).rejects(awsError('InvalidFlowLogId.NotFound'))],
  ])('a flow log already gone is success, %s', async (_what, arrange) => {
    arrange();
    await expect(flowLogKind.delete(context(), actual)).resolves.toBeUndefined();
  });

  it('another Unsuccessful[] error is raised', async () => {
    ec2.on(DeleteFlowLogsCommand).resolves({ Unsuccessful: [{ ResourceId: 'fl-1', Error: { Code: 'UnauthorizedOperation', Message: 'no' } }] });
    await expect(flowLogKind.delete(context(), actual)).rejects.toMatchObject({ name: 'UnauthorizedOperation' });
  });
});

describe('flow log outputs', () => {
  it('the id', () => {
    expect(flowLogKind.outputs(actual)).toEqual({ flowLogId: 'fl-1' });
  });
});
