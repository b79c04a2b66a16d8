import {
  CreateServiceCommand, DeleteServiceCommand, DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand, UpdateServiceCommand,
  type Service,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { WpdeployError } from '../../src/errors.js';
import { toEcsTags } from '../../src/resources/ecs-cluster.js';
import { ecsServiceKind, parseServiceArn, type EcsServiceActual, type EcsServiceSpec } from '../../src/resources/ecs-service.js';
import { UNKNOWN } from '../../src/resources/types.js';
import { awsError, context, newClients, tagsOf } from './app-context.js';

const ecs = mockClient(ECSClient);
let aws: AwsClients;
beforeEach(() => {
  ecs.reset();
  aws = newClients();
});
afterEach(() => aws.destroy());

const STEP = 'ecs-service';
const ARN = 'arn:aws:ecs:us-east-1:123456789012:service/blog-cluster/blog-wordpress';
const TD1 = 'arn:aws:ecs:us-east-1:123456789012:task-definition/blog-wordpress:1';
const TD2 = 'arn:aws:ecs:us-east-1:123456789012:task-definition/blog-wordpress:2';
const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blog-tg/abc';

const spec = (over: Partial<EcsServiceSpec> = {}): EcsServiceSpec => ({
  cluster: 'blog-cluster',
  name: 'blog-wordpress',
  taskDefinitionArn: TD1,
  desiredCount: 2,
  subnetIds: ['subnet-b', 'subnet-a'],
  securityGroupIds: ['sg-app'],
  assignPublicIp: 'DISABLED',
  loadBalancers: [{ targetGroupArn: TG, containerName: 'wordpress', containerPort: 80 }],
  healthCheckGracePeriodSeconds: 300,
  deployment: { circuitBreaker: { enable: true, rollback: true }, minimumHealthyPercent: 100, maximumPercent: 200 },
  propagateTags: 'SERVICE',
  enableECSManagedTags: true,
  platformVersion: 'LATEST',
  tags: tagsOf(STEP, 'wordpress'),
  ...over,
});

const service = (over: Partial<Service> = {}): Service => ({
  serviceArn: ARN,
  serviceName: 'blog-wordpress',
  clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/blog-cluster',
  status: 'ACTIVE',
  launchType: 'FARGATE',
  platformVersion: 'LATEST',
  taskDefinition: TD1,
  desiredCount: 2,
  runningCount: 2,
  pendingCount: 0,
  deployments: [{ id: 'd1', status: 'PRIMARY', taskDefinition: TD1, rolloutState: 'COMPLETED', desiredCount: 2, runningCount: 2 }],
  networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-app'], assignPublicIp: 'DISABLED' } },
  loadBalancers: [{ targetGroupArn: TG, containerName: 'wordpress', containerPort: 80 }],
  healthCheckGracePeriodSeconds: 300,
  deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true }, minimumHealthyPercent: 100, maximumPercent: 200 },
  propagateTags: 'SERVICE',
  enableECSManagedTags: true,
  tags: toEcsTags(tagsOf(STEP, 'wordpress')),
  ...over,
});

async function found(s: Service): Promise<EcsServiceActual> {
  ecs.on(DescribeServicesCommand).resolves({ services: [s] });
  const a = await ecsServiceKind.find(context(aws, STEP), spec());
  ecs.reset();
  return a!;
}

describe('find', () => {
  it('finds the ACTIVE service carrying its tags', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [service()] });
    expect(await ecsServiceKind.find(context(aws, STEP), spec())).toMatchObject({ id: ARN, cluster: 'blog-cluster', name: 'blog-wordpress', runningCount: 2 });
  });
  it.each([
    ['missing', { services: [], failures: [{ arn: ARN, reason: 'MISSING' }] }],
    ['INACTIVE', { services: [service({ status: 'INACTIVE' })] }],
    ['another stack\'s', { services: [service({ tags: [{ key: 'wpdeploy:stack', value: 'other' }] })] }],
  ])('a %s service is not found', async (_what, reply) => {
    ecs.on(DescribeServicesCommand).resolves(reply);
    expect(await ecsServiceKind.find(context(aws, STEP), spec())).toBeUndefined();
  });
  it('a cluster that is gone means no service', async () => {
    ecs.on(DescribeServicesCommand).rejects(awsError('ClusterNotFoundException'));
    expect(await ecsServiceKind.find(context(aws, STEP, { recordedId: ARN }), spec())).toBeUndefined();
  });
  it('parses cluster and name from the ARN', () => {
    expect(parseServiceArn(ARN)).toEqual({ cluster: 'blog-cluster', name: 'blog-wordpress' });
  });
});

describe('diff', () => {
  it('what AWS describes is the same (subnet order aside)', async () => {
    expect(ecsServiceKind.diff(spec(), await found(service()))).toEqual({ changes: [] });
  });
  it('never compares the desired count: auto scaling owns it', async () => {
    expect(ecsServiceKind.diff(spec({ desiredCount: 2 }), await found(service({ desiredCount: 5, runningCount: 5 }))).changes).toEqual([]);
  });
  it('a new task definition and a lost circuit breaker are changes', async () => {
    const a = await found(service({ deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 } }));
    expect(ecsServiceKind.diff(spec({ taskDefinitionArn: TD2 }), a).changes.map((c) => c.field)).toEqual(['taskDefinition', 'deployment']);
  });
  it('a setting the endpoint does not report is not compared, and find says so; one it reports differently is a change', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [service({ healthCheckGracePeriodSeconds: undefined, deploymentConfiguration: undefined, enableECSManagedTags: undefined })] });
    const ctx = context(aws, STEP);
    const a = (await ecsServiceKind.find(ctx, spec()))!;
    expect(ctx.warn).toHaveBeenCalledWith(expect.stringMatching(/does not report the service's healthCheckGracePeriodSeconds, deployment, enableECSManagedTags/));
    expect(ecsServiceKind.diff(spec(), a).changes).toEqual([]);
    const reported = await found(service({ healthCheckGracePeriodSeconds: 0, enableECSManagedTags: false }));
    expect(ecsServiceKind.diff(spec(), reported).changes.map((c) => c.field)).toEqual(['healthCheckGracePeriodSeconds', 'enableECSManagedTags']);
  });
  it('values not known yet never differ', async () => {
    const a = await found(service());
    expect(ecsServiceKind.diff(spec({ taskDefinitionArn: UNKNOWN, subnetIds: [UNKNOWN, UNKNOWN], loadBalancers: [{ targetGroupArn: UNKNOWN, containerName: 'wordpress', containerPort: 80 }] }), a).changes).toEqual([]);
  });
});

describe('create', () => {
  it('retries while ECS cannot assume the new role or does not see the target group attached yet, records the ARN and waits until steady', async () => {
    ecs.on(CreateServiceCommand)
      .rejectsOnce(awsError('InvalidParameterException', 'Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.'))
      .rejectsOnce(awsError('InvalidParameterException', `The target group with targetGroupArn ${TG} does not have an associated load balancer.`))
      .resolves({ service: service({ runningCount: 0, pendingCount: 2 }) });
    ecs.on(DescribeServicesCommand)
      .resolvesOnce({ services: [] })
      .resolvesOnce({ services: [service({ runningCount: 1, deployments: [{ status: 'PRIMARY', taskDefinition: TD1, rolloutState: 'IN_PROGRESS' }] })] })
      .resolves({ services: [service()] });
    const ctx = { ...context(aws, STEP), usable: vi.fn() };
    const a = await ecsServiceKind.create(ctx, spec());
    expect(a).toMatchObject({ id: ARN, runningCount: 2 });
    // Auto scaling went ahead once the service existed, before the wait: with the counts CreateService gave.
    expect(ctx.usable).toHaveBeenCalledTimes(1);
    expect(ctx.usable.mock.calls[0]![0]).toMatchObject({ id: ARN, cluster: 'blog-cluster', taskDefinitionArn: TD1, runningCount: 0 });
    expect(ctx.usable.mock.invocationCallOrder[0]).toBeGreaterThan(ctx.recordId.mock.invocationCallOrder[0]!);
    expect(ecs.commandCalls(CreateServiceCommand)).toHaveLength(3);
    const input = ecs.commandCalls(CreateServiceCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      launchType: 'FARGATE', desiredCount: 2, propagateTags: 'SERVICE', enableECSManagedTags: true, healthCheckGracePeriodSeconds: 300, clientToken: expect.any(String),
      networkConfiguration: { awsvpcConfiguration: { assignPublicIp: 'DISABLED', securityGroups: ['sg-app'] } },
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    });
    expect(ctx.recordId).toHaveBeenCalledWith(ARN, ARN);
  });

  it('a failed rollout names why the tasks stopped', async () => {
    ecs.on(CreateServiceCommand).resolves({ service: service() });
    ecs.on(DescribeServicesCommand).resolves({
      services: [service({
        runningCount: 0,
        deployments: [{ status: 'PRIMARY', taskDefinition: TD1, rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' }],
        events: [{ message: '(service blog-wordpress) has started 2 tasks' }],
      })],
    });
    ecs.on(ListTasksCommand).resolves({ taskArns: ['t1', 't2'] });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        { taskArn: 't1', stoppedAt: new Date(2), stoppedReason: 'ResourceInitializationError: unable to pull secrets', containers: [{ name: 'wordpress' }] },
        { taskArn: 't2', stoppedAt: new Date(1), stoppedReason: 'Essential container in task exited', containers: [{ name: 'wordpress', exitCode: 1 }] },
      ],
    });
    const err = await ecsServiceKind.create(context(aws, STEP), spec()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    const message = (err as Error).message;
    expect(message).toContain('deployment circuit breaker');
    expect(message).toContain('ResourceInitializationError: unable to pull secrets');
    expect(message).toContain('wordpress: exit code 1');
    expect(message.indexOf('unable to pull secrets')).toBeLessThan(message.indexOf('exit code 1'));
  });
});

describe('update', () => {
  it('a new task definition is one UpdateService without the desired count, then a wait until steady on it', async () => {
    const actual = await found(service({ desiredCount: 4, runningCount: 4 }));
    ecs.on(UpdateServiceCommand).resolves({ service: service() });
    ecs.on(DescribeServicesCommand)
      .resolvesOnce({ services: [service({ taskDefinition: TD2, deployments: [{ status: 'PRIMARY', taskDefinition: TD2, rolloutState: 'IN_PROGRESS' }, { status: 'ACTIVE', taskDefinition: TD1 }] })] })
      .resolves({ services: [service({ taskDefinition: TD2, desiredCount: 4, runningCount: 4, deployments: [{ status: 'PRIMARY', taskDefinition: TD2, rolloutState: 'COMPLETED' }] })] });
    const want = spec({ taskDefinitionArn: TD2 });
    const next = await ecsServiceKind.update!(context(aws, STEP), want, actual, ecsServiceKind.diff(want, actual));
    expect(next.taskDefinitionArn).toBe(TD2);
    const calls = ecs.commandCalls(UpdateServiceCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({ cluster: 'blog-cluster', service: 'blog-wordpress', taskDefinition: TD2 });
  });

  it('a rollback by the circuit breaker is reported, not taken for success', async () => {
    const actual = await found(service());
    ecs.on(UpdateServiceCommand).resolves({ service: service() });
    ecs.on(DescribeServicesCommand).resolves({ services: [service({ deployments: [{ status: 'PRIMARY', taskDefinition: TD1, rolloutState: 'IN_PROGRESS' }, { status: 'ACTIVE', taskDefinition: TD2, rolloutState: 'FAILED', rolloutStateReason: 'circuit breaker: rolled back' }] })] });
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
    const want = spec({ taskDefinitionArn: TD2 });
    await expect(ecsServiceKind.update!(context(aws, STEP), want, actual, ecsServiceKind.diff(want, actual))).rejects.toThrow(/rolled back/);
  });
});

describe('delete', () => {
  it('scales to 0, deletes with force and waits until INACTIVE', async () => {
    const actual = await found(service());
    ecs.on(UpdateServiceCommand).resolves({});
    ecs.on(DeleteServiceCommand).resolves({});
    ecs.on(DescribeServicesCommand).resolvesOnce({ services: [service({ status: 'DRAINING' })] }).resolves({ services: [service({ status: 'INACTIVE' })] });
    await ecsServiceKind.delete(context(aws, STEP), actual);
    expect(ecs.commandCalls(UpdateServiceCommand)[0]!.args[0].input).toEqual({ cluster: 'blog-cluster', service: 'blog-wordpress', desiredCount: 0 });
    expect(ecs.commandCalls(DeleteServiceCommand)[0]!.args[0].input).toEqual({ cluster: 'blog-cluster', service: 'blog-wordpress', force: true });
  });
  it('a service already gone is success', async () => {
    const actual = await found(service());
    ecs.on(UpdateServiceCommand).rejects(awsError('ServiceNotActiveException'));
    await ecsServiceKind.delete(context(aws, STEP), actual);
    expect(ecs.commandCalls(DeleteServiceCommand)).toHaveLength(0);
  });
});
