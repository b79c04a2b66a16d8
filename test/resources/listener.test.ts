import {
  CreateListenerCommand, DeleteListenerCommand, DescribeListenersCommand, DescribeTagsCommand, ElasticLoadBalancingV2Client, ModifyListenerCommand,
  type Listener,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { TLS_POLICY, listenerKind, type ListenerSpec } from '../../src/resources/listener.js';
import { awsError, context, newClients, tagsOf } from './app-context.js';

const elb = mockClient(ElasticLoadBalancingV2Client);
let aws: AwsClients;
beforeEach(() => {
  elb.reset();
  aws = newClients();
  elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [{ Tags: [] }] });
});
afterEach(() => aws.destroy());

const LB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/blog-alb/1';
const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blog-tg/2';
const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/abc';
const L443 = `${LB.replace(':loadbalancer/', ':listener/')}/443`;
const L80 = `${LB.replace(':loadbalancer/', ':listener/')}/80`;

const https: ListenerSpec = { loadBalancerArn: LB, port: 443, protocol: 'HTTPS', sslPolicy: TLS_POLICY, certificateArn: CERT, defaultAction: { type: 'forward', targetGroupArn: TG }, tags: {} };
const redirect: ListenerSpec = { loadBalancerArn: LB, port: 80, protocol: 'HTTP', defaultAction: { type: 'redirect', protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' }, tags: {} };
const plain: ListenerSpec = { loadBalancerArn: LB, port: 80, protocol: 'HTTP', defaultAction: { type: 'forward', targetGroupArn: TG }, tags: tagsOf('listener-http', 'http') };

const l443: Listener = {
  ListenerArn: L443, LoadBalancerArn: LB, Port: 443, Protocol: 'HTTPS', SslPolicy: TLS_POLICY, Certificates: [{ CertificateArn: CERT }],
  DefaultActions: [{ Type: 'forward', TargetGroupArn: TG, ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG, Weight: 1 }] } }],
};
const l80: Listener = {
  ListenerArn: L80, LoadBalancerArn: LB, Port: 80, Protocol: 'HTTP', SslPolicy: 'ELBSecurityPolicy-2016-08',
  DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', Host: '#{host}', Path: '/#{path}', Query: '#{query}', StatusCode: 'HTTP_301' } }],
};

describe('listenerKind', () => {
  it('finds listeners by port on the load balancer; what AWS describes is the same', async () => {
    elb.on(DescribeListenersCommand, { LoadBalancerArn: LB }).resolves({ Listeners: [l80, l443] });
    const a = await listenerKind.find(context(aws, 'listener-https'), https);
    expect(a?.id).toBe(L443);
    expect(listenerKind.diff(https, a!)).toEqual({ changes: [] });
    const b = await listenerKind.find(context(aws, 'listener-http'), redirect);
    expect(b?.id).toBe(L80);
    expect(listenerKind.diff(redirect, b!)).toEqual({ changes: [] });
  });

  it('none on the port, or the load balancer gone, is undefined', async () => {
    elb.on(DescribeListenersCommand).resolvesOnce({ Listeners: [l80] }).rejects(awsError('LoadBalancerNotFoundException'));
    expect(await listenerKind.find(context(aws, 'listener-https'), https)).toBeUndefined();
    expect(await listenerKind.find(context(aws, 'listener-https'), https)).toBeUndefined();
  });

  it('an old TLS policy or a forward instead of the redirect is converged with ModifyListener', async () => {
    elb.on(DescribeListenersCommand).resolves({ Listeners: [{ ...l80, DefaultActions: [{ Type: 'forward', TargetGroupArn: TG }] }] });
    const a = await listenerKind.find(context(aws, 'listener-http'), redirect);
    const d = listenerKind.diff(redirect, a!);
    expect(d.changes.map((c) => c.field)).toEqual(['defaultAction']);
    elb.on(ModifyListenerCommand).resolves({});
    await listenerKind.update!(context(aws, 'listener-http'), redirect, a!, d);
    expect(elb.commandCalls(ModifyListenerCommand)[0]!.args[0].input.DefaultActions).toEqual([
      { Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', Host: '#{host}', Path: '/#{path}', Query: '#{query}', StatusCode: 'HTTP_301' } },
    ]);
  });

  it('create retries while ELB does not see the just-issued certificate', async () => {
    elb.on(CreateListenerCommand).rejectsOnce(awsError('CertificateNotFoundException')).resolves({ Listeners: [l443] });
    elb.on(DescribeListenersCommand).resolves({ Listeners: [l443] });
    const ctx = context(aws, 'listener-https');
    const a = await listenerKind.create(ctx, https);
    expect(a.id).toBe(L443);
    expect(elb.commandCalls(CreateListenerCommand)).toHaveLength(2);
    expect(elb.commandCalls(CreateListenerCommand)[1]!.args[0].input).toMatchObject({ Protocol: 'HTTPS', SslPolicy: TLS_POLICY, Certificates: [{ CertificateArn: CERT }] });
    expect(ctx.recordId).toHaveBeenCalledWith(L443, L443);
  });

  it('a listener already on the port is adopted', async () => {
    elb.on(CreateListenerCommand).rejects(awsError('DuplicateListenerException'));
    elb.on(DescribeListenersCommand).resolves({ Listeners: [l80] });
    const ctx = context(aws, 'listener-http');
    const a = await listenerKind.create(ctx, redirect);
    expect(a.id).toBe(L80);
    expect(ctx.warn).toHaveBeenCalledWith(expect.stringContaining('adopted'));
  });

  it('a plain HTTP listener that forwards says that traffic is unencrypted', async () => {
    elb.on(CreateListenerCommand).resolves({ Listeners: [{ ...l80, DefaultActions: [{ Type: 'forward', TargetGroupArn: TG }] }] });
    elb.on(DescribeListenersCommand).resolves({ Listeners: [{ ...l80, DefaultActions: [{ Type: 'forward', TargetGroupArn: TG }] }] });
    const ctx = context(aws, 'listener-http');
    await listenerKind.create(ctx, plain);
    expect(ctx.warn).toHaveBeenCalledWith(expect.stringMatching(/unencrypted/));
  });

  it('delete: gone is success', async () => {
    elb.on(DeleteListenerCommand).rejects(awsError('ListenerNotFoundException'));
    await listenerKind.delete(context(aws, 'listener-http'), { id: L80, arn: L80, state: 'active', loadBalancerArn: LB, port: 80, protocol: 'HTTP', defaultAction: redirect.defaultAction, tags: {} });
  });
});
