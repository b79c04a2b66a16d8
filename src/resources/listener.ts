/**
 * A listener of the load balancer, identified by its port: HTTPS :443 with the ACM certificate and
 * the TLS policy `ELBSecurityPolicy-TLS13-1-2-2021-06` (FSBP ELB.17) forwarding to the target group;
 * HTTP :80 answering a 301 redirect to HTTPS (ELB.1) — or, without a domain, forwarding to the target
 * group, in which case wpdeploy warns that traffic is unencrypted. Found by recorded ARN, then by
 * port on the load balancer. Protocol, certificate, TLS policy and default action are converged in
 * place (ModifyListener); a new port is a new listener. Already gone is success on delete.
 */
import type { Action, Listener } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ELBv2 } from '../aws/sdk.js';
import { isAlreadyExists } from '../aws/errors.js';
import { deleteOrGone, orAbsent } from '../aws/idempotent.js';
import { paged } from '../aws/reads.js';
import { toTagList, type TagMap, tagChanges } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { addElbTags, elbTags, elbv2, onceVisible } from './elb-common.js';
import { defineKind } from './kinds.js';
import { changesOf, known, type Actual, type Diff, type ResourceContext, type ResourceKind } from './types.js';

export const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

export type ListenerAction =
  | { type: 'forward'; targetGroupArn: string }
  | { type: 'redirect'; protocol: 'HTTPS'; port: string; statusCode: 'HTTP_301' | 'HTTP_302' };

export interface ListenerSpec {
  loadBalancerArn: string;
  port: number;
  protocol: 'HTTP' | 'HTTPS';
  /** HTTPS only. */
  sslPolicy?: string;
  /** HTTPS only. */
  certificateArn?: string;
  defaultAction: ListenerAction;
  tags: TagMap;
}

export interface ListenerActual extends Actual {
  /** The listener ARN. */
  id: string;
  arn: string;
  state: 'active';
  loadBalancerArn: string;
  port: number;
  protocol: string;
  sslPolicy?: string;
  certificateArn?: string;
  defaultAction?: ListenerAction;
  tags: TagMap;
}

/** The default action as wpdeploy writes it; host, path and query are kept as the request had them. */
function toAwsAction(a: ListenerAction): Action {
  if (a.type === 'forward') return { Type: 'forward', TargetGroupArn: a.targetGroupArn };
  return { Type: 'redirect', RedirectConfig: { Protocol: a.protocol, Port: a.port, Host: '#{host}', Path: '/#{path}', Query: '#{query}', StatusCode: a.statusCode } };
}

function fromAwsAction(actions: Action[] | undefined): ListenerAction | undefined {
  const a = [...(actions ?? [])].sort((x, y) => (x.Order ?? 0) - (y.Order ?? 0))[0];
  if (!a) return undefined;
  if (a.Type === 'forward') {
    const arn = a.TargetGroupArn ?? a.ForwardConfig?.TargetGroups?.[0]?.TargetGroupArn ?? '';
    return { type: 'forward', targetGroupArn: arn };
  }
  if (a.Type === 'redirect' && a.RedirectConfig) {
    const r = a.RedirectConfig;
    // A redirect that changes host, path or query is not the one wpdeploy writes: show it as such.
    const plain = (r.Host ?? '#{host}') === '#{host}' && (r.Path ?? '/#{path}') === '/#{path}' && (r.Query ?? '#{query}') === '#{query}';
    return { type: 'redirect', protocol: (r.Protocol ?? '#{protocol}') as 'HTTPS', port: plain ? r.Port ?? '#{port}' : `${r.Port} via ${r.Host}${r.Path}?${r.Query}`, statusCode: r.StatusCode as 'HTTP_301' };
  }
  return { type: a.Type as 'forward', targetGroupArn: `(${a.Type})` };
}

function toActual(l: Listener, tags: TagMap): ListenerActual {
  return {
    id: l.ListenerArn!,
    arn: l.ListenerArn!,
    state: 'active',
    loadBalancerArn: l.LoadBalancerArn ?? '',
    port: l.Port ?? 0,
    protocol: l.Protocol ?? '',
    sslPolicy: l.Protocol === 'HTTPS' ? l.SslPolicy : undefined,
    certificateArn: l.Certificates?.find((c) => c.IsDefault !== false)?.CertificateArn ?? l.Certificates?.[0]?.CertificateArn,
    defaultAction: fromAwsAction(l.DefaultActions),
    tags,
  };
}

const byArn = (ctx: ResourceContext, arn: string): Promise<Listener | undefined> =>
  orAbsent(async () => (await elbv2(ctx).send(new ELBv2.DescribeListenersCommand({ ListenerArns: [arn] }))).Listeners?.[0]);

/** The load balancer's listener on `port`; undefined when there is none, or the load balancer is gone (and its listeners with it). */
async function byPort(ctx: ResourceContext, loadBalancerArn: string, port: number): Promise<Listener | undefined> {
  const all = await orAbsent(() => paged((Marker) => elbv2(ctx).send(new ELBv2.DescribeListenersCommand({ LoadBalancerArn: loadBalancerArn, Marker })), (r) => [r.Listeners, r.NextMarker]));
  return all?.find((l) => l.Port === port);
}

function warnIfPlain(ctx: ResourceContext, spec: ListenerSpec): void {
  if (spec.protocol === 'HTTP' && spec.defaultAction.type === 'forward') {
    ctx.warn('the site is served over plain HTTP: traffic between visitors and the load balancer is unencrypted. Set `domain` in the config to serve HTTPS.');
  }
}

/** ELB may not see a certificate ACM has just issued: CreateListener and ModifyListener retry for about a minute. */
const CERTIFICATE_VISIBLE = { attempts: 6, baseMs: 2_000 };

const tlsFields = (s: ListenerSpec) => (s.protocol === 'HTTPS' ? { SslPolicy: s.sslPolicy, Certificates: [{ CertificateArn: s.certificateArn! }] } : {});

export const listenerKind: ResourceKind<ListenerSpec, ListenerActual, 'arn' | 'port' | 'protocol'> = defineKind({
  name: 'elbv2:listener',
  noun: 'listener',
  timing: { createMs: 2_000, deleteMs: 2_000 },
  foundBySpec: true,
  onReplace: 'recreate',

  /** By the recorded ARN, then the load balancer's listener on the wanted port. */
  async find(ctx, desired) {
    let l: Listener | undefined;
    if (ctx.recordedId) l = await byArn(ctx, ctx.recordedId);
    if (!l && desired && known(desired.loadBalancerArn)) l = await byPort(ctx, desired.loadBalancerArn, desired.port);
    return l && toActual(l, await elbTags(ctx, l.ListenerArn!));
  },

  diff(desired, actual): Diff {
    const changes = changesOf(
      ['protocol', actual.protocol, desired.protocol],
      ['sslPolicy', actual.sslPolicy, desired.protocol === 'HTTPS' ? desired.sslPolicy : undefined],
      ['certificateArn', actual.certificateArn, desired.protocol === 'HTTPS' ? desired.certificateArn : undefined],
    );
    const act = desired.defaultAction;
    if (!(act.type === 'forward' && !known(act.targetGroupArn))) changes.push(...changesOf(['defaultAction', actual.defaultAction, act]));
    changes.push(...tagChanges(desired.tags, actual.tags));
    if (actual.port !== desired.port || (known(desired.loadBalancerArn) && actual.loadBalancerArn !== desired.loadBalancerArn)) {
      return { changes: [...changesOf(['port', actual.port, desired.port], ['loadBalancerArn', actual.loadBalancerArn, desired.loadBalancerArn]), ...changes], replace: 'a listener\'s port and load balancer cannot change' };
    }
    return { changes };
  },

  /** Creates the listener with its tags (retrying briefly while ELB does not see a just-issued certificate). */
  async create(ctx, desired) {
    warnIfPlain(ctx, desired);
    let arn: string;
    try {
      const r = await onceVisible(ctx, () => elbv2(ctx).send(new ELBv2.CreateListenerCommand({
        LoadBalancerArn: desired.loadBalancerArn, Port: desired.port, Protocol: desired.protocol, ...tlsFields(desired),
        DefaultActions: [toAwsAction(desired.defaultAction)], Tags: toTagList(desired.tags),
      })), { ...CERTIFICATE_VISIBLE, onRetry: () => ctx.progress('the load balancer does not see the certificate yet; retrying') });
      arn = r.Listeners![0]!.ListenerArn!;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const l = await byPort(ctx, desired.loadBalancerArn, desired.port);
      if (!l) throw err;
      ctx.warn(`the load balancer already had a listener on port ${desired.port}; adopted it.`);
      await ctx.recordId(l.ListenerArn!, l.ListenerArn!);
      const actual = toActual(l, await elbTags(ctx, l.ListenerArn!));
      return listenerKind.update!(ctx, desired, actual, listenerKind.diff(desired, actual));
    }
    await ctx.recordId(arn, arn);
    const l = await byArn(ctx, arn);
    if (!l) throw new WpdeployError(`listener ${arn} disappeared right after it was created.`, { hint: 'Run `wpdeploy up` again.' });
    return toActual(l, { ...desired.tags });
  },

  async update(ctx, desired, actual) {
    warnIfPlain(ctx, desired);
    const d = listenerKind.diff(desired, actual).changes.map((x) => x.field);
    if (d.some((f) => !f.startsWith('tags.'))) {
      await onceVisible(ctx, () => elbv2(ctx).send(new ELBv2.ModifyListenerCommand({
        ListenerArn: actual.arn, Port: desired.port, Protocol: desired.protocol, ...tlsFields(desired), DefaultActions: [toAwsAction(desired.defaultAction)],
      })), CERTIFICATE_VISIBLE);
    }
    return {
      ...actual, protocol: desired.protocol, sslPolicy: desired.protocol === 'HTTPS' ? desired.sslPolicy : undefined,
      certificateArn: desired.protocol === 'HTTPS' ? desired.certificateArn : undefined, defaultAction: desired.defaultAction,
      tags: await addElbTags(ctx, actual.arn, desired.tags, actual.tags),
    };
  },

  /** Deletes it; already gone is success. */
  delete: (ctx, actual) => deleteOrGone(() => elbv2(ctx).send(new ELBv2.DeleteListenerCommand({ ListenerArn: actual.arn }))),

  outputs: (a) => ({ arn: a.arn, port: String(a.port), protocol: a.protocol }),
});
