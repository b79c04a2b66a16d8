import {
  CreateTargetGroupCommand, DeleteTargetGroupCommand, DescribeTagsCommand, DescribeTargetGroupAttributesCommand, DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand, ElasticLoadBalancingV2Client, ModifyTargetGroupAttributesCommand, ModifyTargetGroupCommand, type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { toTagList } from '../../src/aws/tags.js';
import { HEALTH_CHECK } from '../../src/resources/stack-app.js';
import { targetGroupArnSuffix, targetGroupKind, type TargetGroupActual, type TargetGroupSpec } from '../../src/resources/target-group.js';
import { awsError, context, newClients, tagsOf } from './app-context.js';

const elb = mockClient(ElasticLoadBalancingV2Client);
let aws: AwsClients;
beforeEach(() => {
  elb.reset();
  aws = newClients();
});
afterEach(() => aws.destroy());

const STEP = 'target-group';
const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blog-tg/73e2d6bc24d8a067';
const spec: TargetGroupSpec = {
  name: 'blog-tg', vpcId: 'vpc-1', port: 80, protocol: 'HTTP', targetType: 'ip', healthCheck: HEALTH_CHECK,
  attributes: { 'deregistration_delay.timeout_seconds': '30' }, tags: tagsOf(STEP, 'tg'),
};
const tg = (over: Partial<TargetGroup> = {}): TargetGroup => ({
  TargetGroupArn: ARN, TargetGroupName: 'blog-tg', VpcId: 'vpc-1', Port: 80, Protocol: 'HTTP', TargetType: 'ip', HealthCheckPath: HEALTH_CHECK.path,
  Matcher: { HttpCode: HEALTH_CHECK.matcher }, HealthCheckIntervalSeconds: 15, HealthCheckTimeoutSeconds: 5, HealthyThresholdCount: 2, UnhealthyThresholdCount: 3,
  ...over,
});
const ACTUAL: TargetGroupActual = {
  id: ARN, arn: ARN, state: 'no targets', name: 'blog-tg', vpcId: 'vpc-1', port: 80, protocol: 'HTTP', targetType: 'ip', healthCheck: HEALTH_CHECK,
  attributes: spec.attributes, healthy: 0, targets: 0, tags: spec.tags,
};
function existing(t = tg(), delay = '30') {
  elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [t] });
  elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [{ ResourceArn: ARN, Tags: toTagList(tagsOf(STEP, 'tg')) }] });
  elb.on(DescribeTargetGroupAttributesCommand).resolves({ Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: delay }, { Key: 'stickiness.enabled', Value: 'false' }] });
  elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [{ TargetHealth: { State: 'healthy' } }, { TargetHealth: { State: 'initial' } }] });
}

describe('targetGroupKind', () => {
  it('finds it by name with its tags; what AWS describes is the same; state is the targets\' health', async () => {
    existing();
    const a = await targetGroupKind.find(context(aws, STEP), spec);
    expect(a).toMatchObject({ id: ARN, state: '1/2 healthy' });
    expect(targetGroupKind.diff(spec, a!)).toEqual({ changes: [] });
    expect(targetGroupArnSuffix(ARN)).toBe('targetgroup/blog-tg/73e2d6bc24d8a067');
  });

  it('not found is undefined', async () => {
    elb.on(DescribeTargetGroupsCommand).rejects(awsError('TargetGroupNotFoundException'));
    expect(await targetGroupKind.find(context(aws, STEP), spec)).toBeUndefined();
  });

  it('a changed health check and the default deregistration delay are converged in place', async () => {
    existing(tg({ HealthCheckPath: '/' }), '300');
    const a = await targetGroupKind.find(context(aws, STEP), spec);
    const d = targetGroupKind.diff(spec, a!);
    expect(d.replace).toBeUndefined();
    expect(d.changes.map((c) => c.field)).toEqual(['healthCheck.path', 'attributes.deregistration_delay.timeout_seconds']);
    elb.on(ModifyTargetGroupCommand).resolves({});
    elb.on(ModifyTargetGroupAttributesCommand).resolves({});
    await targetGroupKind.update!(context(aws, STEP), spec, a!, d);
    expect(elb.commandCalls(ModifyTargetGroupCommand)[0]!.args[0].input).toMatchObject({ HealthCheckPath: HEALTH_CHECK.path, Matcher: { HttpCode: '200-399' } });
    expect(elb.commandCalls(ModifyTargetGroupAttributesCommand)[0]!.args[0].input.Attributes).toEqual([{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }]);
  });

  it('a new port is a replacement, refused', async () => {
    existing(tg({ Port: 8080 }));
    const a = await targetGroupKind.find(context(aws, STEP), spec);
    expect(targetGroupKind.diff(spec, a!).replace).toMatch(/port/);
    expect(targetGroupKind.onReplace).toBe('refuse');
  });

  it('create sets tags and health check in the call, then the attributes; one already there with its tags is adopted', async () => {
    elb.on(CreateTargetGroupCommand).rejectsOnce(awsError('DuplicateTargetGroupNameException')).resolves({ TargetGroups: [tg()] });
    existing();
    elb.on(ModifyTargetGroupAttributesCommand).resolves({});
    const ctx = context(aws, STEP);
    await targetGroupKind.create(ctx, spec);
    expect(ctx.warn).toHaveBeenCalledWith(expect.stringContaining('adopted'));
    await targetGroupKind.create(ctx, spec);
    expect(elb.commandCalls(CreateTargetGroupCommand)[1]!.args[0].input).toMatchObject({ TargetType: 'ip', HealthCheckPath: HEALTH_CHECK.path, Tags: toTagList(tagsOf(STEP, 'tg')) });
    expect(ctx.recordId).toHaveBeenCalledWith(ARN, ARN);
  });

  it('delete waits while a listener still forwards to it, then deletes; gone is success', async () => {
    elb.on(DeleteTargetGroupCommand).rejectsOnce(awsError('ResourceInUseException')).resolves({});
    await targetGroupKind.delete(context(aws, STEP), ACTUAL);
    expect(elb.commandCalls(DeleteTargetGroupCommand)).toHaveLength(2);
    elb.reset();
    elb.on(DeleteTargetGroupCommand).rejects(awsError('TargetGroupNotFoundException'));
    await targetGroupKind.delete(context(aws, STEP), ACTUAL);
  });
});
