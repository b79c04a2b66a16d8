/**
 * The preflight's AWS side with aws-sdk-client-mock: quota values (applied, else the default), what
 * counts as needed (only what does not exist yet), per-AZ scopes, Fargate vCPUs, and the database's
 * orderable check.
 */
import { DescribeAddressesCommand, DescribeNatGatewaysCommand, DescribeSubnetsCommand, EC2Client, type Address } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListClustersCommand, ListTasksCommand } from '@aws-sdk/client-ecs';
import { DescribeDBInstancesCommand, DescribeOrderableDBInstanceOptionsCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetAWSDefaultServiceQuotaCommand, GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { toTagList } from '../../src/aws/tags.js';
import { checkOrderable } from '../../src/resources/db-orderable.js';
import { runPreflight } from '../../src/resources/preflight.js';
import { checkQuota, type StepQuotaUse } from '../../src/resources/quotas.js';
import { awsError, context, REGION, tagsOf } from './app-context.js';

const sq = mockClient(ServiceQuotasClient);
const ec2 = mockClient(EC2Client);
const ecs = mockClient(ECSClient);
const rds = mockClient(RDSClient);
let aws: AwsClients;

beforeEach(() => {
  for (const m of [sq, ec2, ecs, rds]) m.reset();
  aws = new AwsClients({ region: REGION, maxAttempts: 1 });
});
afterEach(() => aws.destroy());

const ctx = () => context(aws, 'preflight');
const applied = (Value: number) => sq.on(GetServiceQuotaCommand).resolves({ Quota: { Value } });
const eips = (uses: string[]): StepQuotaUse[] => uses.map((step) => ({ quota: 'eip', amount: 1, step }));
const theirs = (n: number): Address[] => Array.from({ length: n }, (_, i) => ({ AllocationId: `eipalloc-other${i}`, Domain: 'vpc' }));

describe('quotas', () => {
  it('needs only what does not exist yet: the stack\'s own address counts as used, not as needed', async () => {
    applied(5);
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [...theirs(4), { AllocationId: 'eipalloc-own', Domain: 'vpc', Tags: toTagList(tagsOf('eip-nat-a')) }] });
    const [f, ...rest] = await checkQuota(ctx(), 'eip', eips(['eip-nat-a', 'eip-nat-b']), false);
    expect(rest).toEqual([]);
    expect(f!.message).toContain('quota "EC2-VPC Elastic IPs" (ec2 L-0263D0A3) is too low in us-east-1: this run creates 1 Elastic IPs (eip-nat-b), the account uses 5 of 5 (its applied value)');
    expect(f!.hint).toContain('--service-code ec2 --quota-code L-0263D0A3 --desired-value 6 --region us-east-1');
  });

  it('enough left: passes; nothing needed (every resource exists): the quota is not even asked for', async () => {
    applied(5);
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: theirs(3) });
    expect(await checkQuota(ctx(), 'eip', eips(['eip-nat-a', 'eip-nat-b']), false)).toEqual([]);
    sq.resetHistory();
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [...theirs(9), { AllocationId: 'eipalloc-own', Domain: 'vpc', Tags: toTagList(tagsOf('eip-nat-a')) }] });
    expect(await checkQuota(ctx(), 'eip', eips(['eip-nat-a']), false)).toEqual([]);
    expect(sq.calls()).toHaveLength(0);
  });

  it('no applied value (NoSuchResourceException): the AWS default counts', async () => {
    sq.on(GetServiceQuotaCommand).rejects(awsError('NoSuchResourceException'));
    sq.on(GetAWSDefaultServiceQuotaCommand).resolves({ Quota: { Value: 2 } });
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: theirs(1) });
    const [f] = await checkQuota(ctx(), 'eip', eips(['eip-nat-a', 'eip-nat-b']), true);
    expect(f!.message).toContain('the account uses 1 of 2 (the AWS default), so 1 is left');
    expect(sq.commandCalls(GetAWSDefaultServiceQuotaCommand)[0]!.args[0].input).toEqual({ ServiceCode: 'ec2', QuotaCode: 'L-0263D0A3' });
  });

  it('another error of Service Quotas is not taken for "no applied value"', async () => {
    sq.on(GetServiceQuotaCommand).rejects(awsError('AccessDeniedException'));
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [] });
    await expect(checkQuota(ctx(), 'eip', eips(['eip-nat-a']), true)).rejects.toThrow(/AccessDenied/);
    expect(sq.commandCalls(GetAWSDefaultServiceQuotaCommand)).toHaveLength(0);
  });

  it('NAT gateways count per Availability Zone', async () => {
    applied(5);
    ec2.on(DescribeNatGatewaysCommand).resolves({ NatGateways: Array.from({ length: 6 }, (_, i) => ({ NatGatewayId: `nat-${i}`, SubnetId: i < 5 ? 'subnet-a' : 'subnet-b' })) });
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: 'subnet-a', AvailabilityZone: 'us-east-1a' }, { SubnetId: 'subnet-b', AvailabilityZone: 'us-east-1b' }] });
    const failures = await checkQuota(ctx(), 'nat-per-az', [
      { quota: 'nat-per-az', amount: 1, scope: 'us-east-1a', step: 'nat-a' }, { quota: 'nat-per-az', amount: 1, scope: 'us-east-1b', step: 'nat-b' },
    ], true);
    expect(failures.map((f) => f.message)).toEqual([expect.stringContaining('"NAT gateways per Availability Zone" (vpc L-FE5A380F) is too low in us-east-1a: this run creates 1 NAT gateways (nat-a), the account uses 5 of 5')]);
  });

  it('a NAT gateway whose subnet was deleted since it was listed (a down meanwhile) counts in no zone, and fails nothing', async () => {
    applied(5);
    ec2.on(DescribeNatGatewaysCommand).resolves({ NatGateways: [{ NatGatewayId: 'nat-gone', SubnetId: 'subnet-gone' }] });
    // AWS answers InvalidSubnetID.NotFound to SubnetIds naming a deleted subnet; a filter leaves it out.
    ec2.on(DescribeSubnetsCommand, { SubnetIds: ['subnet-gone'] }).rejects(awsError('InvalidSubnetID.NotFound'));
    ec2.on(DescribeSubnetsCommand, { Filters: [{ Name: 'subnet-id', Values: ['subnet-gone'] }] }).resolves({ Subnets: [] });
    expect(await checkQuota(ctx(), 'nat-per-az', [{ quota: 'nat-per-az', amount: 1, scope: 'us-east-1a', step: 'nat-a' }], true)).toEqual([]);
  });

  it('Fargate: the vCPUs of running On-Demand tasks (Spot apart) against what a new service may scale to', async () => {
    applied(5);
    ecs.on(ListClustersCommand).resolves({ clusterArns: ['arn:aws:ecs:us-east-1:123456789012:cluster/other'] });
    ecs.on(ListTasksCommand).resolves({ taskArns: ['t1', 't2', 't3'] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ cpu: '1024', group: 'service:x' }, { cpu: '2048', group: 'service:x' }, { cpu: '4096', group: 'service:y', capacityProviderName: 'FARGATE_SPOT' }] });
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });
    const use: StepQuotaUse = { quota: 'fargate-vcpu', amount: 6 * 512 / 1024, step: 'ecs-service', name: 'blog/service:blog-wordpress' };
    const [f] = await checkQuota(ctx(), 'fargate-vcpu', [use], true);
    expect(f!.message).toContain('"Fargate On-Demand vCPU resource count" (fargate L-3032A538) is too low in us-east-1: this run creates 3 vCPUs (ecs-service), the account uses 3 of 5');
    // The service exists already: this run creates no tasks' room, and the account's tasks (one
    // listing per cluster) are not read.
    ecs.on(DescribeServicesCommand).resolves({ services: [{ serviceName: 'blog-wordpress', status: 'ACTIVE' }] });
    const listed = ecs.commandCalls(ListTasksCommand).length;
    expect(await checkQuota(ctx(), 'fargate-vcpu', [use], true)).toEqual([]);
    expect(ecs.commandCalls(ListTasksCommand).length).toBe(listed);
  });

  it('a check that cannot run fails the preflight (it never passes blind); the local emulator is not checked', async () => {
    ec2.on(DescribeAddressesCommand).rejects(awsError('UnauthorizedOperation'));
    sq.on(GetServiceQuotaCommand).resolves({ Quota: { Value: 5 } });
    const steps = [{ step: 'eip-nat-a', preflight: { quotas: [{ quota: 'eip' as const, amount: 1 }] }, desired: () => ({}), context: ctx }];
    const [f] = await runPreflight(ctx(), steps, () => false);
    expect(f!.message).toMatch(/could not be checked: .*UnauthorizedOperation/);
    const local = new AwsClients({ region: REGION, local: true, maxAttempts: 1 });
    expect(await runPreflight(context(local, 'preflight'), steps, () => false)).toEqual([]);
    local.destroy();
  });

  it('an endpoint override that does not implement Service Quotas (an emulator) is said in a warning, not passed in silence; on AWS the same answer fails', async () => {
    ec2.on(DescribeAddressesCommand).resolves({ Addresses: [] });
    sq.on(GetServiceQuotaCommand).rejects(awsError('UnknownOperationException'));
    const steps = [{ step: 'eip-nat-a', preflight: { quotas: [{ quota: 'eip' as const, amount: 1 }] }, desired: () => ({}), context: ctx }];
    const emulator = new AwsClients({ region: REGION, endpoint: 'http://127.0.0.1:5000', maxAttempts: 1 });
    const c = context(emulator, 'preflight');
    expect(await runPreflight(c, steps, () => false)).toEqual([]);
    expect(c.warn).toHaveBeenCalledWith(expect.stringMatching(/preflight quota eip not checked: the endpoint http:\/\/127\.0\.0\.1:5000 does not answer/));
    emulator.destroy();
    const [f] = await runPreflight(ctx(), steps, () => false);
    expect(f!.message).toMatch(/quota eip could not be checked/);
  });
});

describe('database orderable', () => {
  const spec = { identifier: 'blog-db', engine: 'mysql' as const, engineVersion: '8.4', instanceClass: 'db.t4g.micro', multiAz: true };
  const option = (over = {}) => ({ Engine: 'mysql', EngineVersion: '8.4.5', DBInstanceClass: 'db.t4g.micro', StorageType: 'gp3', MultiAZCapable: true, ...over });

  it('a new instance whose class RDS offers for the major version passes (a minor of it matches)', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFoundFault'));
    rds.on(DescribeOrderableDBInstanceOptionsCommand).resolves({ OrderableDBInstanceOptions: [option({ EngineVersion: '8.0.40' }), option()] });
    expect(await checkOrderable(ctx(), spec)).toBeUndefined();
    expect(rds.commandCalls(DescribeOrderableDBInstanceOptionsCommand)[0]!.args[0].input).toMatchObject({ Engine: 'mysql', DBInstanceClass: 'db.t4g.micro', Vpc: true });
  });

  it('refused: no such class for the version, not Multi-AZ capable, no gp3', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFoundFault'));
    rds.on(DescribeOrderableDBInstanceOptionsCommand).resolves({ OrderableDBInstanceOptions: [option({ EngineVersion: '8.0.40' })] });
    expect((await checkOrderable(ctx(), spec))!.message).toBe('database.instanceClass: RDS does not offer db.t4g.micro with mysql 8.4 in us-east-1. Nothing was changed.');
    rds.on(DescribeOrderableDBInstanceOptionsCommand).resolves({ OrderableDBInstanceOptions: [option({ MultiAZCapable: false })] });
    expect((await checkOrderable(ctx(), spec))!.message).toContain('db.t4g.micro with mysql 8.4 as Multi-AZ');
    expect(await checkOrderable(ctx(), { ...spec, multiAz: false })).toBeUndefined();
    rds.on(DescribeOrderableDBInstanceOptionsCommand).resolves({ OrderableDBInstanceOptions: [option({ StorageType: 'gp2' })] });
    expect((await checkOrderable(ctx(), spec))!.message).toContain('on gp3 storage');
  });

  it('an endpoint override with no catalog at all for the engine (an emulator): a warning, no failure; on AWS an empty answer fails', async () => {
    rds.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFoundFault'));
    rds.on(DescribeOrderableDBInstanceOptionsCommand).resolves({ OrderableDBInstanceOptions: [] });
    const emulator = new AwsClients({ region: REGION, endpoint: 'http://127.0.0.1:5000', maxAttempts: 1 });
    const c = context(emulator, 'db');
    expect(await checkOrderable(c, spec)).toBeUndefined();
    expect(c.warn).toHaveBeenCalledWith(expect.stringContaining('offers no mysql instance at all'));
    emulator.destroy();
    expect((await checkOrderable(ctx(), spec))!.message).toContain('RDS does not offer db.t4g.micro with mysql 8.4');
    // A catalog that has the engine but not the class is a refusal on any endpoint.
    rds.on(DescribeOrderableDBInstanceOptionsCommand, { DBInstanceClass: 'db.t4g.micro' }).resolves({ OrderableDBInstanceOptions: [] });
    rds.on(DescribeOrderableDBInstanceOptionsCommand, { Engine: 'mysql', MaxRecords: 20 }).resolves({ OrderableDBInstanceOptions: [option({ DBInstanceClass: 'db.r6g.large' })] });
    const emulator2 = new AwsClients({ region: REGION, endpoint: 'http://127.0.0.1:5000', maxAttempts: 1 });
    expect((await checkOrderable(context(emulator2, 'db'), spec))!.message).toContain('RDS does not offer');
    emulator2.destroy();
  });

  it('an instance that already has the class, version and Multi-AZ is not checked again; a class change is', async () => {
    const ctx = () => context(aws, 'db', { recordedId: 'blog-db' });
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: 'blog-db', DBInstanceClass: 'db.t4g.micro', EngineVersion: '8.4.5', MultiAZ: true }] });
    expect(await checkOrderable(ctx(), spec)).toBeUndefined();
    expect(rds.commandCalls(DescribeOrderableDBInstanceOptionsCommand)).toHaveLength(0);
    rds.on(DescribeOrderableDBInstanceOptionsCommand).resolves({ OrderableDBInstanceOptions: [] });
    expect((await checkOrderable(ctx(), { ...spec, instanceClass: 'db.m1.small' }))!.message).toContain('does not offer db.m1.small');
  });
});
