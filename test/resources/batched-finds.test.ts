/**
 * Finds with the run's read cache (as the engine runs them): the steps of one kind share one call,
 * and what the cache does not hold is still asked for alone, so recorded ids, adoption by tag and
 * twins work as without it.
 */
import { CloudWatchLogsClient, DescribeLogGroupsCommand, ListTagsForResourceCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeNetworkAclsCommand, DescribeNetworkInterfacesCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand, EC2Client,
  type SecurityGroup, type Subnet,
} from '@aws-sdk/client-ec2';
import { DescribeMountTargetsCommand, DescribeMountTargetSecurityGroupsCommand, EFSClient, type MountTargetDescription } from '@aws-sdk/client-efs';
import {
  DescribeListenersCommand, DescribeLoadBalancerAttributesCommand, DescribeLoadBalancersCommand, DescribeTagsCommand, DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ApplicationAutoScalingClient, DescribeScalingPoliciesCommand } from '@aws-sdk/client-application-auto-scaling';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { DescribeSecretCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { ReadCache, type RecordedId } from '../../src/aws/read-cache.js';
import { TAG_STACK, toTagList } from '../../src/aws/tags.js';
import { mountTargetKind } from '../../src/resources/efs-mount-target.js';
import { listenerKind } from '../../src/resources/listener.js';
import { loadBalancerKind } from '../../src/resources/load-balancer.js';
import { logGroupKind } from '../../src/resources/log-group.js';
import { defaultNetworkAclKind, networkAclKind } from '../../src/resources/network-acl.js';
import { scalingPolicyKind, type ScalingPolicySpec } from '../../src/resources/scaling-policy.js';
import { secretKind, type SecretSpec } from '../../src/resources/secret.js';
import { defaultSecurityGroupKind, securityGroupKind, securityGroupRulesKind } from '../../src/resources/security-group.js';
import { subnetKind } from '../../src/resources/subnet.js';
import { targetGroupKind } from '../../src/resources/target-group.js';
import type { ResourceContext } from '../../src/resources/types.js';
import { awsError, context, newClients, STACK, tagsOf } from './data-context.js';

const ec2 = mockClient(EC2Client);
const efs = mockClient(EFSClient);
const elb = mockClient(ElasticLoadBalancingV2Client);
const tagging = mockClient(ResourceGroupsTaggingAPIClient);
const logs = mockClient(CloudWatchLogsClient);
const sm = mockClient(SecretsManagerClient);
const aas = mockClient(ApplicationAutoScalingClient);
const mocks = [ec2, efs, elb, tagging, logs, sm, aas];

let aws: AwsClients;
let reads: ReadCache;
let recorded: RecordedId[];
beforeEach(() => {
  for (const m of mocks) m.reset();
  aws = newClients();
  recorded = [];
  reads = new ReadCache(aws, () => recorded);
});
afterEach(() => aws.destroy());

/** A step's context with the run's read cache. */
const ctx = (step: string, over: Partial<ResourceContext> = {}) => context(aws, step, step, { reads, ...over });
const STACK_FILTER = [{ Name: `tag:${TAG_STACK}`, Values: [STACK] }];

describe('EC2 kinds: one describe of the stack per kind', () => {
  const subnet = (id: string, step: string): Subnet => ({ SubnetId: id, VpcId: 'vpc-1', CidrBlock: '10.0.0.0/24', AvailabilityZone: 'us-east-1a', State: 'available', Tags: toTagList(tagsOf(step)) });

  it('every subnet step is served by one DescribeSubnets filtered by the stack tag, by recorded id or by step tag', async () => {
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [subnet('subnet-a', 'subnet-public-a'), subnet('subnet-b', 'subnet-public-b'), subnet('subnet-c', 'subnet-app-a')] });
    const [a, b, c] = await Promise.all([
      subnetKind.find(ctx('subnet-public-a', { recordedId: 'subnet-a' })),
      subnetKind.find(ctx('subnet-public-b', { recordedId: 'subnet-b' })),
      subnetKind.find(ctx('subnet-app-a')), // state lost: found by its step tag
    ]);
    expect([a?.id, b?.id, c?.id]).toEqual(['subnet-a', 'subnet-b', 'subnet-c']);
    expect(await subnetKind.find(ctx('subnet-app-b'))).toBeUndefined();
    const calls = ec2.commandCalls(DescribeSubnetsCommand).map((x) => x.args[0].input);
    expect(calls).toEqual([{ Filters: STACK_FILTER }]);
  });

  it('a recorded id missing from it (its tags changed out of band) is asked for alone, and the change shows', async () => {
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [] });
    ec2.on(DescribeSubnetsCommand, { SubnetIds: ['subnet-a'] }).resolves({ Subnets: [{ ...subnet('subnet-a', 'subnet-public-a'), Tags: [] }] });
    const a = await subnetKind.find(ctx('subnet-public-a', { recordedId: 'subnet-a' }));
    expect(a?.id).toBe('subnet-a');
    expect(subnetKind.diff({ vpcId: 'vpc-1', cidr: '10.0.0.0/24', az: 'us-east-1a', tags: tagsOf('subnet-public-a') }, a!).changes.map((c) => c.field)).toContain(`tags.${TAG_STACK}`);
    expect(ec2.commandCalls(DescribeSubnetsCommand)).toHaveLength(2);
  });

  it('twins carrying one step\'s tags (a create whose response was lost) are handed over as duplicates', async () => {
    ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [subnet('subnet-a', 'subnet-public-a'), subnet('subnet-a2', 'subnet-public-a')] });
    const c = ctx('subnet-public-a');
    expect((await subnetKind.find(c))?.id).toBe('subnet-a');
    expect(c.duplicate).toHaveBeenCalledWith(expect.objectContaining({ id: 'subnet-a2' }));
  });

  it('groups, their rules and the tagged default group share one DescribeSecurityGroups', async () => {
    const group = (id: string, step: string, over: Partial<SecurityGroup> = {}): SecurityGroup => ({
      GroupId: id, GroupName: `${STACK}-${step}`, VpcId: 'vpc-1', Description: 'd', IpPermissions: [], IpPermissionsEgress: [], Tags: toTagList(tagsOf(step)), ...over,
    });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [
      group('sg-alb', 'sg-alb', { IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }] }),
      group('sg-default', 'default-sg', { GroupName: 'default' }),
    ] });
    const [g, rules, def] = await Promise.all([
      securityGroupKind.find(ctx('sg-alb', { recordedId: 'sg-alb' })),
      securityGroupRulesKind.find(ctx('sg-alb-rules'), { groupId: 'sg-alb', ingress: [], egress: [] }),
      defaultSecurityGroupKind.find(ctx('default-sg'), { vpcId: 'vpc-1', tags: tagsOf('default-sg') }),
    ]);
    expect([g?.id, rules?.id, def?.id]).toEqual(['sg-alb', 'sg-alb', 'sg-default']);
    expect(rules?.ingress).toEqual([{ protocol: 'tcp', fromPort: 443, toPort: 443, cidr: '0.0.0.0/0', description: undefined }]);
    expect(ec2.commandCalls(DescribeSecurityGroupsCommand).map((x) => x.args[0].input)).toEqual([{ Filters: STACK_FILTER }]);
  });

  it('the default group before wpdeploy tagged it is asked for by VPC', async () => {
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
    ec2.on(DescribeSecurityGroupsCommand, { Filters: [{ Name: 'vpc-id', Values: ['vpc-1'] }, { Name: 'group-name', Values: ['default'] }] })
      .resolves({ SecurityGroups: [{ GroupId: 'sg-default', GroupName: 'default', VpcId: 'vpc-1' }] });
    expect((await defaultSecurityGroupKind.find(ctx('default-sg'), { vpcId: 'vpc-1', tags: tagsOf('default-sg') }))?.id).toBe('sg-default');
    expect(ec2.commandCalls(DescribeSecurityGroupsCommand)).toHaveLength(2);
  });

  it('the tier ACLs and the tagged default ACL share one DescribeNetworkAcls', async () => {
    ec2.on(DescribeNetworkAclsCommand).resolves({ NetworkAcls: [
      { NetworkAclId: 'acl-default', VpcId: 'vpc-1', IsDefault: true, Entries: [], Associations: [], Tags: toTagList(tagsOf('default-nacl')) },
      { NetworkAclId: 'acl-public', VpcId: 'vpc-1', IsDefault: false, Entries: [], Associations: [], Tags: toTagList(tagsOf('nacl-public')) },
    ] });
    const [def, pub] = await Promise.all([
      defaultNetworkAclKind.find(ctx('default-nacl'), { vpcId: 'vpc-1', tags: tagsOf('default-nacl') }),
      networkAclKind.find(ctx('nacl-public', { recordedId: 'acl-public' })),
    ]);
    expect([def?.id, pub?.id]).toEqual(['acl-default', 'acl-public']);
    expect(ec2.commandCalls(DescribeNetworkAclsCommand)).toHaveLength(1);
  });
});

describe('tags of kinds whose describe has none', () => {
  const LB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/blog-alb/1';
  const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blog-tg/2';
  const L80 = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/blog-alb/1/3';

  function elbStack() {
    recorded = [{ kind: 'elbv2:load-balancer', id: LB, arn: LB }, { kind: 'elbv2:target-group', id: TG, arn: TG }, { kind: 'elbv2:listener', id: L80, arn: L80 }];
    elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [{ LoadBalancerArn: LB, LoadBalancerName: 'blog-alb', State: { Code: 'active' } }] });
    elb.on(DescribeLoadBalancerAttributesCommand).resolves({ Attributes: [] });
    elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [{ TargetGroupArn: TG, TargetGroupName: 'blog-tg' }] });
    elb.on(DescribeTargetGroupAttributesCommand).resolves({ Attributes: [] });
    elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
    elb.on(DescribeListenersCommand).resolves({ Listeners: [{ ListenerArn: L80, LoadBalancerArn: LB, Port: 80, Protocol: 'HTTP', DefaultActions: [] }] });
  }
  const findAll = async () => {
    const lb = await loadBalancerKind.find(ctx('alb', { recordedId: LB }));
    const tg = await targetGroupKind.find(ctx('target-group', { recordedId: TG }));
    const l = await listenerKind.find(ctx('listener-http', { recordedId: L80 }));
    return [lb?.tags, tg?.tags, l?.tags];
  };

  it('come from one GetResources of the stack; what it lacks from one DescribeTags, read ahead for the ARNs in state', async () => {
    elbStack();
    tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [{ ResourceARN: LB, Tags: toTagList(tagsOf('alb')) }, { ResourceARN: TG, Tags: toTagList(tagsOf('target-group')) }] });
    elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [{ ResourceArn: L80, Tags: toTagList(tagsOf('listener-http')) }] });
    expect(await findAll()).toEqual([tagsOf('alb'), tagsOf('target-group'), tagsOf('listener-http')]);
    expect(tagging.commandCalls(GetResourcesCommand).map((c) => c.args[0].input)).toEqual([
      { TagFilters: [{ Key: TAG_STACK, Values: [STACK] }], ResourceTypeFilters: ['logs', 's3', 'rds', 'elasticloadbalancing'], PaginationToken: undefined },
    ]);
    expect(elb.commandCalls(DescribeTagsCommand).map((c) => c.args[0].input.ResourceArns)).toEqual([[L80, LB, TG]]);
  });

  it('without the Tagging API (denied by the policy), the first DescribeTags reads the tags of every ELB resource in state', async () => {
    elbStack();
    tagging.on(GetResourcesCommand).rejects(awsError('AccessDeniedException', 403));
    elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [LB, TG, L80].map((ResourceArn, i) => ({ ResourceArn, Tags: toTagList(tagsOf(['alb', 'target-group', 'listener-http'][i]!)) })) });
    expect(await findAll()).toEqual([tagsOf('alb'), tagsOf('target-group'), tagsOf('listener-http')]);
    expect(elb.commandCalls(DescribeTagsCommand).map((c) => c.args[0].input.ResourceArns)).toEqual([[LB, TG, L80]]);
    expect(tagging.commandCalls(GetResourcesCommand)).toHaveLength(1);
  });

  it('once the run has changed something, the index is not read (it lags): each kind reads its own', async () => {
    elbStack();
    vi.spyOn(aws, 'mutations').mockReturnValue(1);
    elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [{ ResourceArn: LB, Tags: toTagList(tagsOf('alb')) }] });
    expect((await loadBalancerKind.find(ctx('alb', { recordedId: LB })))?.tags).toEqual(tagsOf('alb'));
    expect(tagging.calls()).toHaveLength(0);
  });

  it('log groups: one listing of the stack\'s prefix, tags from the index or, missing there, asked once per group', async () => {
    recorded = [{ kind: 'logs:log-group', id: '/wpdeploy/blog/a' }];
    const arn = (n: string) => `arn:aws:logs:us-east-1:123456789012:log-group:${n}`;
    logs.on(DescribeLogGroupsCommand).resolves({ logGroups: ['/wpdeploy/blog/a', '/wpdeploy/blog/b'].map((n) => ({ logGroupName: n, arn: `${arn(n)}:*`, retentionInDays: 30 })) });
    tagging.on(GetResourcesCommand).resolves({ ResourceTagMappingList: [{ ResourceARN: arn('/wpdeploy/blog/a'), Tags: toTagList(tagsOf('log-a')) }] });
    logs.on(ListTagsForResourceCommand).resolves({ tags: tagsOf('log-b') });
    const [a, b] = await Promise.all([
      logGroupKind.find(ctx('log-a', { recordedId: '/wpdeploy/blog/a' })),
      logGroupKind.find(ctx('log-b')), // state lost: found among the stack's groups by its tags
    ]);
    expect([a?.tags, b?.id]).toEqual([tagsOf('log-a'), '/wpdeploy/blog/b']);
    expect(logs.commandCalls(DescribeLogGroupsCommand).map((c) => c.args[0].input.logGroupNamePrefix)).toEqual(['/wpdeploy/blog/']);
    expect(logs.commandCalls(ListTagsForResourceCommand).map((c) => c.args[0].input.resourceArn)).toEqual([arn('/wpdeploy/blog/b')]);
  });
});

describe('other kinds read once per run', () => {
  it('mount targets: one DescribeMountTargets of the file system, their groups from one DescribeNetworkInterfaces', async () => {
    const mt = (id: string, subnet: string, eni: string): MountTargetDescription => ({ MountTargetId: id, FileSystemId: 'fs-1', SubnetId: subnet, LifeCycleState: 'available', NetworkInterfaceId: eni });
    efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [mt('fsmt-a', 'subnet-a', 'eni-a'), mt('fsmt-b', 'subnet-b', 'eni-b')] });
    ec2.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [
      { NetworkInterfaceId: 'eni-a', Groups: [{ GroupId: 'sg-efs' }] }, { NetworkInterfaceId: 'eni-b', Groups: [{ GroupId: 'sg-other' }, { GroupId: 'sg-efs' }] },
    ] });
    const [a, b] = await Promise.all([
      mountTargetKind.find(ctx('efs-mount-a', { recordedId: 'fsmt-a' }), { fileSystemId: 'fs-1', subnetId: 'subnet-a', securityGroupIds: ['sg-efs'] }),
      mountTargetKind.find(ctx('efs-mount-b'), { fileSystemId: 'fs-1', subnetId: 'subnet-b', securityGroupIds: ['sg-efs'] }),
    ]);
    expect([a?.securityGroupIds, b?.securityGroupIds]).toEqual([['sg-efs'], ['sg-efs', 'sg-other']]);
    expect(efs.commandCalls(DescribeMountTargetsCommand).map((c) => c.args[0].input)).toEqual([{ FileSystemId: 'fs-1' }]);
    expect(ec2.commandCalls(DescribeNetworkInterfacesCommand).map((c) => c.args[0].input)).toEqual([{ NetworkInterfaceIds: ['eni-a', 'eni-b'] }]);
    expect(efs.commandCalls(DescribeMountTargetSecurityGroupsCommand)).toHaveLength(0);
  });

  it('mount targets whose interfaces cannot be read are asked of EFS, one by one', async () => {
    efs.on(DescribeMountTargetsCommand).resolves({ MountTargets: [{ MountTargetId: 'fsmt-a', FileSystemId: 'fs-1', SubnetId: 'subnet-a', LifeCycleState: 'available', NetworkInterfaceId: 'eni-a' }] });
    ec2.on(DescribeNetworkInterfacesCommand).rejects(awsError('InvalidNetworkInterfaceID.NotFound'));
    efs.on(DescribeMountTargetSecurityGroupsCommand).resolves({ SecurityGroups: ['sg-efs'] });
    const a = await mountTargetKind.find(ctx('efs-mount-a'), { fileSystemId: 'fs-1', subnetId: 'subnet-a', securityGroupIds: ['sg-efs'] });
    expect(a?.securityGroupIds).toEqual(['sg-efs']);
  });

  it('scaling policies: one DescribeScalingPolicies of the service for both', async () => {
    const RID = 'service/blog/blog-wordpress';
    aas.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: ['blog-cpu', 'blog-requests'].map((PolicyName) => ({
      PolicyName, PolicyARN: `arn:p/${PolicyName}`, ServiceNamespace: 'ecs', ResourceId: RID, ScalableDimension: 'ecs:service:DesiredCount', PolicyType: 'TargetTrackingScaling', CreationTime: new Date(),
    })) });
    const policy = (name: string): ScalingPolicySpec => ({ name, resourceId: RID, metric: 'ECSServiceAverageCPUUtilization', targetValue: 50, scaleInCooldown: 300, scaleOutCooldown: 60 });
    const [cpu, req] = await Promise.all([
      scalingPolicyKind.find(ctx('scaling-cpu'), policy('blog-cpu')),
      scalingPolicyKind.find(ctx('scaling-requests'), policy('blog-requests')),
    ]);
    expect([cpu?.id, req?.id]).toEqual(['arn:p/blog-cpu', 'arn:p/blog-requests']);
    expect(aas.commandCalls(DescribeScalingPoliciesCommand)).toHaveLength(1);
  });

  it('secrets: one ListSecrets of the stack for both, no DescribeSecret', async () => {
    const entry = (step: string) => ({ ARN: `arn:secret:${step}`, Name: `wpdeploy/blog/${step}`, Description: 'd', Tags: toTagList(tagsOf(step)) });
    const secretSpec = (step: string): SecretSpec => ({ name: `wpdeploy/blog/${step}`, description: 'd', content: { type: 'wordpress-salts' }, tags: tagsOf(step) });
    sm.on(ListSecretsCommand).resolves({ SecretList: [entry('db-secret'), entry('wp-salts-secret')] });
    const [db, salts] = await Promise.all([
      secretKind.find(ctx('db-secret', { recordedId: 'arn:secret:db-secret' }), secretSpec('db-secret')),
      secretKind.find(ctx('wp-salts-secret'), secretSpec('wp-salts-secret')),
    ]);
    expect([db?.arn, salts?.arn]).toEqual(['arn:secret:db-secret', 'arn:secret:wp-salts-secret']);
    expect(sm.commandCalls(ListSecretsCommand)).toHaveLength(1);
    expect(sm.commandCalls(DescribeSecretCommand)).toHaveLength(0);
  });
});
