import {
  CreateLoadBalancerCommand, DeleteLoadBalancerCommand, DescribeLoadBalancerAttributesCommand, DescribeLoadBalancersCommand, DescribeTagsCommand,
  ElasticLoadBalancingV2Client, ModifyLoadBalancerAttributesCommand, type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { toTagList } from '../../src/aws/tags.js';
import { WpdeployError } from '../../src/errors.js';
import { loadBalancerArnSuffix, loadBalancerKind, type LoadBalancerActual, type LoadBalancerSpec } from '../../src/resources/load-balancer.js';
import { awsError, context, newClients, tagsOf } from './app-context.js';

const elb = mockClient(ElasticLoadBalancingV2Client);
let aws: AwsClients;
beforeEach(() => {
  elb.reset();
  aws = newClients();
});
afterEach(() => aws.destroy());

const STEP = 'alb';
const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/blog-alb/50dc6c495c0c9188';
const ATTRS = {
  'deletion_protection.enabled': 'true',
  'routing.http.drop_invalid_header_fields.enabled': 'true',
  'routing.http.desync_mitigation_mode': 'defensive',
  'access_logs.s3.enabled': 'true',
  'access_logs.s3.bucket': 'blog-alb-logs-123456789012-us-east-1',
};
const spec: LoadBalancerSpec = {
  name: 'blog-alb', subnetIds: ['subnet-a', 'subnet-b'], securityGroupIds: ['sg-alb'], scheme: 'internet-facing', ipAddressType: 'ipv4', attributes: ATTRS, tags: tagsOf(STEP),
};
const lb = (over: Partial<LoadBalancer> = {}): LoadBalancer => ({
  LoadBalancerArn: ARN, LoadBalancerName: 'blog-alb', DNSName: 'blog-alb-1.us-east-1.elb.amazonaws.com', CanonicalHostedZoneId: 'Z35SXDOTRQ7X7K',
  Scheme: 'internet-facing', Type: 'application', IpAddressType: 'ipv4', VpcId: 'vpc-1', State: { Code: 'active' },
  AvailabilityZones: [{ SubnetId: 'subnet-b', ZoneName: 'us-east-1b' }, { SubnetId: 'subnet-a', ZoneName: 'us-east-1a' }], SecurityGroups: ['sg-alb'],
  ...over,
});
const ACTUAL: LoadBalancerActual = {
  id: ARN, arn: ARN, state: 'active', name: 'blog-alb', dnsName: 'blog-alb-1.us-east-1.elb.amazonaws.com', canonicalHostedZoneId: 'Z35SXDOTRQ7X7K', vpcId: 'vpc-1',
  scheme: 'internet-facing', ipAddressType: 'ipv4', subnetIds: ['subnet-a', 'subnet-b'], securityGroupIds: ['sg-alb'], attributes: ATTRS, tags: tagsOf(STEP),
};
const attributes = (a: Record<string, string>) => ({ Attributes: Object.entries(a).map(([Key, Value]) => ({ Key, Value })) });
const tagged = (tags = tagsOf(STEP)) => ({ TagDescriptions: [{ ResourceArn: ARN, Tags: toTagList(tags) }] });

describe('loadBalancerKind', () => {
  it('finds it by name when it carries its tags, with attributes; the output has the ARN suffix', async () => {
    elb.on(DescribeLoadBalancersCommand, { Names: ['blog-alb'] }).resolves({ LoadBalancers: [lb()] });
    elb.on(DescribeTagsCommand).resolves(tagged());
    elb.on(DescribeLoadBalancerAttributesCommand).resolves(attributes(ATTRS));
    const a = await loadBalancerKind.find(context(aws, STEP), spec);
    expect(a).toMatchObject({ id: ARN, state: 'active', subnetIds: ['subnet-a', 'subnet-b'] });
    expect(loadBalancerKind.diff(spec, a!)).toEqual({ changes: [] });
    expect(loadBalancerKind.outputs(a!)).toMatchObject({ arnSuffix: 'app/blog-alb/50dc6c495c0c9188', url: 'http://blog-alb-1.us-east-1.elb.amazonaws.com' });
    expect(loadBalancerArnSuffix(ARN)).toBe('app/blog-alb/50dc6c495c0c9188');
  });

  it('not found by name is undefined; one with other tags is not adopted', async () => {
    elb.on(DescribeLoadBalancersCommand).rejects(awsError('LoadBalancerNotFoundException'));
    expect(await loadBalancerKind.find(context(aws, STEP), spec)).toBeUndefined();
    elb.reset();
    elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [lb()] });
    elb.on(DescribeTagsCommand).resolves(tagged({ 'wpdeploy:stack': 'other' }));
    expect(await loadBalancerKind.find(context(aws, STEP), spec)).toBeUndefined();
  });

  it('an attribute switched off out of band is a change', async () => {
    elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [lb()] });
    elb.on(DescribeTagsCommand).resolves(tagged());
    elb.on(DescribeLoadBalancerAttributesCommand).resolves(attributes({ ...ATTRS, 'deletion_protection.enabled': 'false' }));
    const a = await loadBalancerKind.find(context(aws, STEP), spec);
    expect(loadBalancerKind.diff(spec, a!).changes).toEqual([{ field: 'attributes.deletion_protection.enabled', from: 'false', to: 'true' }]);
  });

  it('create: tags in the call, records the ARN, waits until active, then sets the attributes', async () => {
    elb.on(CreateLoadBalancerCommand).resolves({ LoadBalancers: [lb({ State: { Code: 'provisioning' } })] });
    elb.on(DescribeLoadBalancersCommand).resolvesOnce({ LoadBalancers: [lb({ State: { Code: 'provisioning' } })] }).resolves({ LoadBalancers: [lb()] });
    // Just created, ELB may not see it yet for the attributes: retried.
    elb.on(ModifyLoadBalancerAttributesCommand).rejectsOnce(awsError('LoadBalancerNotFoundException')).resolves({});
    elb.on(DescribeLoadBalancerAttributesCommand).resolves(attributes(ATTRS));
    elb.on(DescribeTagsCommand).resolves(tagged());
    const ctx = context(aws, STEP);
    const a = await loadBalancerKind.create(ctx, spec);
    expect(a.state).toBe('active');
    expect(elb.commandCalls(CreateLoadBalancerCommand)[0]!.args[0].input).toMatchObject({ Scheme: 'internet-facing', Type: 'application', Tags: toTagList(tagsOf(STEP)) });
    expect(elb.commandCalls(ModifyLoadBalancerAttributesCommand)).toHaveLength(2);
    expect(elb.commandCalls(ModifyLoadBalancerAttributesCommand)[1]!.args[0].input.Attributes).toEqual(Object.entries(ATTRS).map(([Key, Value]) => ({ Key, Value })));
    expect(ctx.recordId).toHaveBeenCalledWith(ARN, ARN);
  });

  it('create: one of that name with this step\'s tags is adopted; another\'s is refused', async () => {
    elb.on(CreateLoadBalancerCommand).rejects(awsError('DuplicateLoadBalancerNameException'));
    elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [lb()] });
    elb.on(DescribeTagsCommand).resolves(tagged());
    elb.on(DescribeLoadBalancerAttributesCommand).resolves(attributes(ATTRS));
    elb.on(ModifyLoadBalancerAttributesCommand).resolves({});
    const ctx = context(aws, STEP);
    await loadBalancerKind.create(ctx, spec);
    expect(ctx.warn).toHaveBeenCalledWith(expect.stringContaining('adopted'));
    elb.on(DescribeTagsCommand).resolves(tagged({ 'wpdeploy:stack': 'other' }));
    await expect(loadBalancerKind.create(context(aws, STEP), spec)).rejects.toThrow(WpdeployError);
  });

  it('a load balancer that fails to provision is reported', async () => {
    elb.on(CreateLoadBalancerCommand).resolves({ LoadBalancers: [lb({ State: { Code: 'provisioning' } })] });
    elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [lb({ State: { Code: 'failed', Reason: 'subnet has no capacity' } })] });
    await expect(loadBalancerKind.create(context(aws, STEP), spec)).rejects.toThrow(/subnet has no capacity/);
  });

  it('delete lifts the deletion protection (and says so), deletes and waits until gone', async () => {
    elb.on(DescribeLoadBalancerAttributesCommand).resolves(attributes(ATTRS));
    elb.on(ModifyLoadBalancerAttributesCommand).resolves({});
    elb.on(DeleteLoadBalancerCommand).resolves({});
    elb.on(DescribeLoadBalancersCommand).resolvesOnce({ LoadBalancers: [lb()] }).rejects(awsError('LoadBalancerNotFoundException'));
    const ctx = context(aws, STEP);
    await loadBalancerKind.delete(ctx, ACTUAL);
    expect(ctx.warn).toHaveBeenCalledWith(expect.stringMatching(/lifting the deletion protection of load balancer blog-alb/));
    expect(elb.commandCalls(ModifyLoadBalancerAttributesCommand)[0]!.args[0].input.Attributes).toEqual([{ Key: 'deletion_protection.enabled', Value: 'false' }]);
    const order = elb.calls().map((c) => c.args[0].constructor.name);
    expect(order.indexOf('ModifyLoadBalancerAttributesCommand')).toBeLessThan(order.indexOf('DeleteLoadBalancerCommand'));
  });

  it('delete of one already gone is success', async () => {
    elb.on(DescribeLoadBalancerAttributesCommand).rejects(awsError('LoadBalancerNotFoundException'));
    await loadBalancerKind.delete(context(aws, STEP), ACTUAL);
    expect(elb.commandCalls(DeleteLoadBalancerCommand)).toHaveLength(0);
  });
});
