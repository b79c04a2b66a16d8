import {
  ApplicationAutoScalingClient, DeleteScalingPolicyCommand, DeregisterScalableTargetCommand, DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand, RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { scalableTargetKind } from '../../src/resources/scalable-target.js';
import { requestCountLabel, scalingPolicyKind, type ScalingPolicySpec } from '../../src/resources/scaling-policy.js';
import { UNKNOWN } from '../../src/resources/types.js';
import { awsError, context, newClients, tagsOf } from './app-context.js';

const aas = mockClient(ApplicationAutoScalingClient);
let aws: AwsClients;
beforeEach(() => {
  aas.reset();
  aws = newClients();
});
afterEach(() => aws.destroy());

const RID = 'service/blog-cluster/blog-wordpress';
const target = { resourceId: RID, min: 2, max: 6, tags: tagsOf('scaling-target', 'scaling') };
const POLICY_ARN = `arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:uuid:resource/ecs/${RID}:policyName/blog-requests`;
const LABEL = requestCountLabel('app/blog-alb/50dc6c495c0c9188', 'targetgroup/blog-tg/73e2d6bc24d8a067');
const requests: ScalingPolicySpec = { name: 'blog-requests', resourceId: RID, metric: 'ALBRequestCountPerTarget', resourceLabel: LABEL, targetValue: 500, scaleInCooldown: 300, scaleOutCooldown: 60 };

describe('scalableTargetKind', () => {
  it('finds the service\'s target; min/max changes are re-registered without tags', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [{ ServiceNamespace: 'ecs', ResourceId: RID, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 2, MaxCapacity: 4, RoleARN: 'r', CreationTime: new Date() }] });
    const a = await scalableTargetKind.find(context(aws, 'scaling-target'), target);
    const d = scalableTargetKind.diff(target, a!);
    expect(d.changes).toEqual([{ field: 'max', from: 4, to: 6 }]);
    aas.on(RegisterScalableTargetCommand).resolves({});
    await scalableTargetKind.update!(context(aws, 'scaling-target'), target, a!, d);
    expect(aas.commandCalls(RegisterScalableTargetCommand)[0]!.args[0].input).toEqual({
      ServiceNamespace: 'ecs', ScalableDimension: 'ecs:service:DesiredCount', ResourceId: RID, MinCapacity: 2, MaxCapacity: 6,
    });
  });
  it('none is undefined; create registers min, max and tags', async () => {
    aas.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
    expect(await scalableTargetKind.find(context(aws, 'scaling-target'), target)).toBeUndefined();
    aas.on(RegisterScalableTargetCommand).resolves({ ScalableTargetARN: 'arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/x' });
    const ctx = context(aws, 'scaling-target');
    await scalableTargetKind.create(ctx, target);
    expect(aas.commandCalls(RegisterScalableTargetCommand)[0]!.args[0].input).toMatchObject({ MinCapacity: 2, MaxCapacity: 6, Tags: target.tags });
    expect(ctx.recordId).toHaveBeenCalledWith(RID, 'arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/x');
  });
  it('delete: gone is success', async () => {
    aas.on(DeregisterScalableTargetCommand).rejects(awsError('ObjectNotFoundException'));
    await scalableTargetKind.delete(context(aws, 'scaling-target'), { id: RID, state: 'active', min: 2, max: 6 });
  });
});

describe('scalingPolicyKind', () => {
  it('the request-count label joins the load balancer and target group suffixes', () => {
    expect(LABEL).toBe('app/blog-alb/50dc6c495c0c9188/targetgroup/blog-tg/73e2d6bc24d8a067');
  });
  it('finds the policy by name: same; a new target value is put again', async () => {
    aas.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [{
      PolicyARN: POLICY_ARN, PolicyName: 'blog-requests', ServiceNamespace: 'ecs', ResourceId: RID, ScalableDimension: 'ecs:service:DesiredCount', PolicyType: 'TargetTrackingScaling', CreationTime: new Date(),
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 500, PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel: LABEL }, ScaleInCooldown: 300, ScaleOutCooldown: 60 },
    }] });
    const a = await scalingPolicyKind.find(context(aws, 'scaling-requests'), requests);
    expect(scalingPolicyKind.diff(requests, a!)).toEqual({ changes: [] });
    expect(scalingPolicyKind.diff({ ...requests, resourceLabel: UNKNOWN }, a!)).toEqual({ changes: [] });
    const want = { ...requests, targetValue: 800 };
    aas.on(PutScalingPolicyCommand).resolves({ PolicyARN: POLICY_ARN });
    await scalingPolicyKind.update!(context(aws, 'scaling-requests'), want, a!, scalingPolicyKind.diff(want, a!));
    expect(aas.commandCalls(PutScalingPolicyCommand)[0]!.args[0].input).toMatchObject({
      PolicyName: 'blog-requests', PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 800, PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel: LABEL } },
    });
  });
  it('with a lost state the recorded ARN names it', async () => {
    aas.on(DescribeScalingPoliciesCommand, { ResourceId: RID, PolicyNames: ['blog-requests'] }).resolves({ ScalingPolicies: [] });
    expect(await scalingPolicyKind.find(context(aws, 'scaling-requests', { recordedId: POLICY_ARN }))).toBeUndefined();
    expect(aas.commandCalls(DescribeScalingPoliciesCommand)).toHaveLength(1);
  });
  it('delete: gone is success', async () => {
    aas.on(DeleteScalingPolicyCommand).rejects(awsError('ObjectNotFoundException'));
    await scalingPolicyKind.delete(context(aws, 'scaling-requests'), { id: POLICY_ARN, arn: POLICY_ARN, state: 'active', name: 'blog-requests', resourceId: RID, policyType: 'TargetTrackingScaling', alarms: [] });
  });
});
