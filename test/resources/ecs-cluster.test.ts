import { CreateClusterCommand, DeleteClusterCommand, DescribeClustersCommand, ECSClient, UpdateClusterSettingsCommand, type Cluster } from '@aws-sdk/client-ecs';
import { CloudWatchLogsClient, DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { WpdeployError } from '../../src/errors.js';
import { ecsClusterKind, toEcsTags, type EcsClusterActual } from '../../src/resources/ecs-cluster.js';
import { awsError, context, newClients, tagsOf } from './app-context.js';

const ecs = mockClient(ECSClient);
const logs = mockClient(CloudWatchLogsClient);
let aws: AwsClients;
beforeEach(() => {
  ecs.reset();
  logs.reset();
  logs.on(DeleteLogGroupCommand).resolves({});
  aws = newClients();
});
afterEach(() => aws.destroy());

const STEP = 'ecs-cluster';
const ARN = 'arn:aws:ecs:us-east-1:123456789012:cluster/blog-cluster';
const spec = { name: 'blog-cluster', containerInsights: 'enabled' as const, tags: tagsOf(STEP, 'cluster') };
const CLUSTER: EcsClusterActual = { id: 'blog-cluster', arn: ARN, state: 'ACTIVE', containerInsights: 'enabled', activeServices: 0, tags: tagsOf(STEP, 'cluster') };
const cluster = (over: Partial<Cluster> = {}): Cluster => ({
  clusterArn: ARN, clusterName: 'blog-cluster', status: 'ACTIVE', settings: [{ name: 'containerInsights', value: 'enabled' }], tags: toEcsTags(tagsOf(STEP, 'cluster')), ...over,
});

describe('ecsClusterKind', () => {
  it('finds the ACTIVE cluster with its tags: same', async () => {
    ecs.on(DescribeClustersCommand).resolves({ clusters: [cluster()] });
    const a = await ecsClusterKind.find(context(aws, STEP), spec);
    expect(a).toMatchObject({ id: 'blog-cluster', containerInsights: 'enabled' });
    expect(ecsClusterKind.diff(spec, a!)).toEqual({ changes: [] });
  });

  it.each([
    ['missing', { clusters: [], failures: [{ arn: ARN, reason: 'MISSING' }] }],
    ['INACTIVE', { clusters: [cluster({ status: 'INACTIVE' })] }],
    ['untagged and not recorded', { clusters: [cluster({ tags: [] })] }],
  ])('a %s cluster is not found', async (_what, reply) => {
    ecs.on(DescribeClustersCommand).resolves(reply);
    expect(await ecsClusterKind.find(context(aws, STEP), spec)).toBeUndefined();
  });

  it('create turns Container Insights on and tags it in the same call', async () => {
    ecs.on(CreateClusterCommand).resolves({ cluster: cluster() });
    const ctx = context(aws, STEP);
    await ecsClusterKind.create(ctx, spec);
    expect(ecs.commandCalls(CreateClusterCommand)[0]!.args[0].input).toEqual({
      clusterName: 'blog-cluster', settings: [{ name: 'containerInsights', value: 'enabled' }], tags: toEcsTags(tagsOf(STEP, 'cluster')),
    });
    expect(ctx.recordId).toHaveBeenCalledWith('blog-cluster', ARN);
  });

  it('create returning another stack\'s cluster of that name is refused', async () => {
    ecs.on(CreateClusterCommand).resolves({ cluster: cluster({ tags: [{ key: 'wpdeploy:stack', value: 'other' }] }) });
    await expect(ecsClusterKind.create(context(aws, STEP), spec)).rejects.toThrow(WpdeployError);
  });

  it('Container Insights switched off is turned back on', async () => {
    ecs.on(UpdateClusterSettingsCommand).resolves({});
    const a = { id: 'blog-cluster', arn: ARN, state: 'ACTIVE', containerInsights: 'disabled', activeServices: 0, tags: tagsOf(STEP, 'cluster') };
    const d = ecsClusterKind.diff(spec, a);
    expect(d.changes).toEqual([{ field: 'containerInsights', from: 'disabled', to: 'enabled' }]);
    await ecsClusterKind.update!(context(aws, STEP), spec, a, d);
    expect(ecs.commandCalls(UpdateClusterSettingsCommand)).toHaveLength(1);
  });

  it('delete waits while services drain, then until INACTIVE; gone is success', async () => {
    ecs.on(DeleteClusterCommand).rejectsOnce(awsError('ClusterContainsServicesException')).resolves({});
    ecs.on(DescribeClustersCommand).resolves({ clusters: [cluster({ status: 'INACTIVE' })] });
    await ecsClusterKind.delete(context(aws, STEP), CLUSTER);
    expect(ecs.commandCalls(DeleteClusterCommand)).toHaveLength(2);
    // Container Insights' log group, once the cluster no longer writes it
    expect(logs.commandCalls(DeleteLogGroupCommand).map((c) => c.args[0].input)).toEqual([{ logGroupName: '/aws/ecs/containerinsights/blog-cluster/performance' }]);
    expect(logs.commandCalls(DeleteLogGroupCommand)[0]!.calledAfter(ecs.commandCalls(DescribeClustersCommand).at(-1)!)).toBe(true);
    ecs.reset();
    ecs.on(DeleteClusterCommand).rejects(awsError('ClusterNotFoundException'));
    ecs.on(DescribeClustersCommand).resolves({ clusters: [], failures: [{ reason: 'MISSING' }] });
    await ecsClusterKind.delete(context(aws, STEP), CLUSTER);
  });
});
