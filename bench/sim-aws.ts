/**
 * A simulated AWS for the benchmark: an HTTP proxy in front of moto that makes the slow resources as
 * slow as AWS typically is (bench/profile.ts), divided by the profile's time scale, and adds a latency to every call.
 *
 * moto makes every resource usable at once and removes it at once. The simulator remembers when each
 * slow resource was created or deleted (from the create and delete calls passing through) and, until
 * the scaled duration has passed, rewrites what the describe calls answer:
 *
 * | resource | while creating | while deleting |
 * |---|---|---|
 * | RDS instance (Multi-AZ 15 min, single-AZ 7; delete 8) | `creating`, no endpoint | `deleting` (synthesised: moto has dropped it) |
 * | RDS Proxy (5 min; delete 3) | `creating` | `deleting` (synthesised) |
 * | NAT gateway (2 min; delete 1) | `pending` | `deleting` (moto says `deleted`) |
 * | ALB (3 min; delete 1) | `provisioning` | still listed, as it was (synthesised) |
 * | EFS mount target (1.5 min; delete 1) | `creating` | `deleting` (synthesised) |
 * | ECS service (2.5 min after CreateService or a deploying UpdateService; drain 30 s) | 0 running, rollout IN_PROGRESS | `DRAINING` (moto says INACTIVE) |
 * | ACM certificate | `PENDING_VALIDATION` until 3 min after its validation CNAME was written to the zone | |
 * | Route 53 change (1 min) | `PENDING` | |
 *
 * A resource being deleted is answered from the last description the simulator saw of it (it also
 * reads one from moto just before forwarding the delete), so `DescribeX` keeps listing it in the
 * deleting state for the scaled time, as AWS does. Everything else is forwarded to moto unchanged.
 *
 * In front of that: the ECS shim and the account shim of the tests (moto drops some service settings,
 * and has neither Service Quotas nor the RDS catalog; without the ECS shim a second
 * `up` would always see changes), and, unless `strict: false`, the test suite's AWS ordering rules
 * (test/support/aws-rules.ts), which refuse the deletes AWS refuses; refusals are counted.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DOMParser, XMLSerializer, type Document, type Element } from '@xmldom/xmldom';
import { classify, type AwsCall, type Reply } from '../test/support/aws-proxy.js';
import { awsOrderingRules, type OrderingRules } from '../test/support/aws-rules.js';
import { accountShim } from '../test/support/account-shim.js';
import { ecsShim } from '../test/support/ecs-shim.js';
import { scaledMs, type Profile } from './profile.js';

export type { AwsCall, Reply };

// ---------------------------------------------------------------------------------------------
// When: the timeline of transitions
// ---------------------------------------------------------------------------------------------

export type Transition = 'creating' | 'deleting';

interface Entry {
  transition: Transition;
  startedAt: number;
  until: number;
}

/** When each slow resource started its transition, and when (scaled) it ends. */
export class Timeline {
  private readonly entries = new Map<string, Entry>();

  constructor(readonly profile: Profile, readonly now: () => number = Date.now) {}

  /** `kind:id` starts `transition` now; it lasts `awsMs` of AWS time (scaled by the profile). */
  begin(kind: string, id: string, transition: Transition, awsMs: number): void {
    const at = this.now();
    this.entries.set(`${kind}:${id}`, { transition, startedAt: at, until: at + scaledMs(this.profile, awsMs) });
  }

  /** The transition `kind:id` is in right now, if any. */
  phase(kind: string, id: string): Transition | undefined {
    const e = this.entries.get(`${kind}:${id}`);
    return e && this.now() < e.until ? e.transition : undefined;
  }

  /** Ids of `kind` in `transition` right now. */
  ids(kind: string, transition: Transition): string[] {
    const out: string[] = [];
    const now = this.now();
    for (const [key, e] of this.entries) {
      if (e.transition === transition && now < e.until && key.startsWith(`${kind}:`)) out.push(key.slice(kind.length + 1));
    }
    return out;
  }
}

/** What the simulator remembers between calls. */
export class SimState {
  readonly timeline: Timeline;
  /** The last description seen of each resource (`kind:id`): an XML element or a JSON object, as text. */
  readonly seen = new Map<string, string>();
  /** Certificates requested through the simulator -> the names of their validation records. */
  readonly certificates = new Map<string, string[]>();
  /** When each CNAME was last written (CREATE or UPSERT), by normalised name. */
  readonly cnames = new Map<string, number>();
  /** Describe answers the simulator rewrote or synthesised, by kind (for the report). */
  readonly rewritten: Record<string, number> = {};
  /** Errors inside the simulator (the reply then went through unchanged). */
  readonly errors: string[] = [];

  constructor(readonly profile: Profile, readonly now: () => number = Date.now) {
    this.timeline = new Timeline(profile, now);
  }

  /** When the certificate becomes ISSUED: 3 min (scaled) after the last of its CNAMEs was written; undefined while one is missing. */
  certificateIssuedAt(arn: string): number | undefined {
    const names = this.certificates.get(arn);
    if (!names || names.length === 0) return undefined;
    let latest = 0;
    for (const n of names) {
      const at = this.cnames.get(normName(n));
      if (at === undefined) return undefined;
      latest = Math.max(latest, at);
    }
    return latest + scaledMs(this.profile, this.profile.durations.acmValidation);
  }

  count(kind: string): void {
    this.rewritten[kind] = (this.rewritten[kind] ?? 0) + 1;
  }
}

const normName = (n: string) => n.toLowerCase().replace(/\.$/, '');

// ---------------------------------------------------------------------------------------------
// XML and JSON helpers
// ---------------------------------------------------------------------------------------------

const parseXml = (s: string): Document => new DOMParser({ onError: () => undefined }).parseFromString(s, 'text/xml');
const serialize = (d: Document | Element): string => new XMLSerializer().serializeToString(d as never);

const elementsOf = (parent: Element | Document): Element[] =>
  Array.from(parent.childNodes as unknown as ArrayLike<Element>).filter((n) => n.nodeType === 1);
const nameOf = (e: Element) => e.localName ?? e.tagName;
const child = (e: Element, name: string): Element | undefined => elementsOf(e).find((c) => nameOf(c) === name);
const textOf = (e: Element | undefined): string | undefined => (e ? e.textContent ?? '' : undefined);

function setChild(e: Element, name: string, value: string): void {
  const c = child(e, name);
  if (c) c.textContent = value;
  else {
    const n = e.ownerDocument!.createElementNS(e.namespaceURI, name);
    n.textContent = value;
    e.appendChild(n);
  }
}

function removeChild(e: Element, name: string): void {
  const c = child(e, name);
  if (c) e.removeChild(c);
}

/** Every `element` in the document, or only the direct children `element` of every `container`. */
function members(doc: Document, element: string, container?: string): Element[] {
  const all = (name: string) => Array.from(doc.getElementsByTagName(name) as unknown as ArrayLike<Element>);
  if (!container) return all(element);
  return all(container).flatMap((c) => elementsOf(c).filter((m) => nameOf(m) === element));
}

const ok = (r: Reply) => r.status >= 200 && r.status < 300;
const query = (call: AwsCall) => new URLSearchParams(call.body);
const urlQuery = (call: AwsCall) => new URLSearchParams(call.path.split('?')[1] ?? '');
const jsonOf = (s: string): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(s) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};
/** Values of a query-protocol list parameter: `Names.member.1`, `Names.member.2`, ... */
const listParam = (q: URLSearchParams, prefix: string) => [...q.entries()].filter(([k]) => k.startsWith(`${prefix}.`)).map(([, v]) => v);

const xmlReply = (r: Reply, body: string): Reply => ({ status: 200, body, headers: { ...r.headers, 'content-type': 'text/xml' } });
const jsonReply = (r: Reply, doc: unknown): Reply => ({ status: 200, body: JSON.stringify(doc), headers: { ...r.headers, 'content-type': r.headers?.['content-type'] ?? 'application/json' } });

// ---------------------------------------------------------------------------------------------
// Query-protocol (XML) resources: NAT gateways, RDS instances and proxies, load balancers
// ---------------------------------------------------------------------------------------------

interface XmlKind {
  kind: string;
  /** Where its descriptions are in a response: the element, and optionally its list container. */
  where: Array<{ element: string; container?: string }>;
  id: string;
  /** Sets the state of a description for the transition. */
  apply: (e: Element, t: Transition) => void;
  /** For synthesised answers: the response document around the members. */
  wrap?: (op: string, members: string) => string;
}

const NAT: XmlKind = {
  kind: 'nat',
  where: [{ element: 'item', container: 'natGatewaySet' }, { element: 'natGateway' }],
  id: 'natGatewayId',
  apply: (e, t) => setChild(e, 'state', t === 'creating' ? 'pending' : 'deleting'),
};

const RDS_NS = 'http://rds.amazonaws.com/doc/2014-10-31/';
const DB: XmlKind = {
  kind: 'rds',
  where: [{ element: 'DBInstance' }],
  id: 'DBInstanceIdentifier',
  apply: (e, t) => {
    setChild(e, 'DBInstanceStatus', t);
    if (t === 'creating') removeChild(e, 'Endpoint'); // AWS gives the endpoint once the instance is up
  },
  wrap: (op, m) => `<${op}Response xmlns="${RDS_NS}"><${op}Result><DBInstances>${m}</DBInstances></${op}Result><ResponseMetadata><RequestId>sim-aws</RequestId></ResponseMetadata></${op}Response>`,
};

const DB_PROXY: XmlKind = {
  kind: 'rds-proxy',
  where: [{ element: 'member', container: 'DBProxies' }, { element: 'DBProxy' }],
  id: 'DBProxyName',
  apply: (e, t) => setChild(e, 'Status', t),
  wrap: (op, m) => `<${op}Response xmlns="${RDS_NS}"><${op}Result><DBProxies>${m}</DBProxies></${op}Result><ResponseMetadata><RequestId>sim-aws</RequestId></ResponseMetadata></${op}Response>`,
};

const ELB_NS = 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/';
const ALB: XmlKind = {
  kind: 'alb',
  where: [{ element: 'member', container: 'LoadBalancers' }],
  id: 'LoadBalancerArn',
  apply: (e, t) => {
    // While deleting, AWS keeps listing it as it was.
    if (t !== 'creating') return;
    const state = child(e, 'State');
    if (state) setChild(state, 'Code', 'provisioning');
  },
  wrap: (op, m) => `<${op}Response xmlns="${ELB_NS}"><${op}Result><LoadBalancers>${m}</LoadBalancers></${op}Result><ResponseMetadata><RequestId>sim-aws</RequestId></ResponseMetadata></${op}Response>`,
};

function descriptions(doc: Document, k: XmlKind): Array<{ e: Element; id: string }> {
  const out: Array<{ e: Element; id: string }> = [];
  for (const w of k.where) {
    for (const e of members(doc, w.element, w.container)) {
      const id = textOf(child(e, k.id));
      if (id) out.push({ e, id });
    }
  }
  return out;
}

/** Remembers the descriptions in an XML answer, and sets the state of those in a transition. */
function rewriteXml(s: SimState, k: XmlKind, body: string, opts: { remember?: boolean; inject?: { op: string; container: string; element: string; filter?: (e: Element) => boolean } } = {}): string {
  const doc = parseXml(body);
  const found = descriptions(doc, k);
  let changed = false;
  for (const { e, id } of found) {
    if (opts.remember !== false) s.seen.set(`${k.kind}:${id}`, serialize(e));
    const t = s.timeline.phase(k.kind, id);
    if (t) {
      k.apply(e, t);
      changed = true;
    }
  }
  if (opts.inject) {
    // A listing without filters: add what is being deleted (moto has dropped it already).
    const have = new Set(found.map((f) => f.id));
    const container = doc.getElementsByTagName(opts.inject.container)[0];
    if (container) {
      for (const id of s.timeline.ids(k.kind, 'deleting')) {
        const xml = s.seen.get(`${k.kind}:${id}`);
        if (have.has(id) || !xml) continue;
        const e = parseXml(xml).documentElement as unknown as Element;
        if (opts.inject.filter && !opts.inject.filter(e)) continue;
        k.apply(e, 'deleting');
        container.appendChild(doc.importNode(e as never, true));
        changed = true;
      }
    }
  }
  if (!changed) return body;
  s.count(k.kind);
  return serialize(doc);
}

/** A describe of resources moto has dropped but that are still being deleted: answered from what was seen. */
function synthesise(s: SimState, k: XmlKind, op: string, ids: string[]): string | undefined {
  if (!k.wrap || ids.length === 0) return undefined;
  const parts: string[] = [];
  for (const id of ids) {
    if (s.timeline.phase(k.kind, id) !== 'deleting') return undefined;
    const xml = s.seen.get(`${k.kind}:${id}`);
    if (!xml) return undefined;
    const e = parseXml(xml).documentElement as unknown as Element;
    k.apply(e, 'deleting');
    parts.push(serialize(e));
  }
  s.count(k.kind);
  return k.wrap(op, parts.join(''));
}

function rememberXml(s: SimState, k: XmlKind, body: string): string[] {
  const ids: string[] = [];
  for (const { e, id } of descriptions(parseXml(body), k)) {
    s.seen.set(`${k.kind}:${id}`, serialize(e));
    ids.push(id);
  }
  return ids;
}

function ec2(call: AwsCall, r: Reply, s: SimState): Reply {
  const d = s.profile.durations;
  switch (call.operation) {
    case 'CreateNatGateway': {
      if (!ok(r)) return r;
      for (const id of rememberXml(s, NAT, r.body)) s.timeline.begin('nat', id, 'creating', d.natCreate);
      return { ...r, body: rewriteXml(s, NAT, r.body) };
    }
    case 'DescribeNatGateways':
      return ok(r) ? { ...r, body: rewriteXml(s, NAT, r.body) } : r;
    case 'DeleteNatGateway': {
      const id = query(call).get('NatGatewayId');
      if (ok(r) && id) s.timeline.begin('nat', id, 'deleting', d.natDelete);
      return r;
    }
    default:
      return r;
  }
}

function rds(call: AwsCall, r: Reply, s: SimState): Reply {
  const d = s.profile.durations;
  const q = query(call);
  switch (call.operation) {
    case 'CreateDBInstance':
    case 'RestoreDBInstanceFromDBSnapshot': {
      if (!ok(r)) return r;
      const multiAz = /<MultiAZ>true<\/MultiAZ>/.test(r.body) || q.get('MultiAZ') === 'true';
      for (const id of rememberXml(s, DB, r.body)) s.timeline.begin('rds', id, 'creating', multiAz ? d.rdsCreateMultiAz : d.rdsCreateSingleAz);
      return { ...r, body: rewriteXml(s, DB, r.body) };
    }
    case 'DescribeDBInstances': {
      const id = q.get('DBInstanceIdentifier');
      if (ok(r)) return { ...r, body: rewriteXml(s, DB, r.body, id ? {} : { inject: { op: 'DescribeDBInstances', container: 'DBInstances', element: 'DBInstance' } }) };
      const synth = id ? synthesise(s, DB, 'DescribeDBInstances', [id]) : undefined;
      return synth ? xmlReply(r, synth) : r;
    }
    case 'DeleteDBInstance': {
      const id = q.get('DBInstanceIdentifier');
      if (!ok(r) || !id) return r;
      rememberXml(s, DB, r.body);
      s.timeline.begin('rds', id, 'deleting', d.rdsDelete);
      return { ...r, body: rewriteXml(s, DB, r.body, { remember: false }) };
    }
    case 'CreateDBProxy': {
      if (!ok(r)) return r;
      for (const id of rememberXml(s, DB_PROXY, r.body)) s.timeline.begin('rds-proxy', id, 'creating', d.rdsProxyCreate);
      return { ...r, body: rewriteXml(s, DB_PROXY, r.body) };
    }
    case 'DescribeDBProxies': {
      const id = q.get('DBProxyName');
      if (ok(r)) return { ...r, body: rewriteXml(s, DB_PROXY, r.body, id ? {} : { inject: { op: 'DescribeDBProxies', container: 'DBProxies', element: 'member' } }) };
      const synth = id ? synthesise(s, DB_PROXY, 'DescribeDBProxies', [id]) : undefined;
      return synth ? xmlReply(r, synth) : r;
    }
    case 'DeleteDBProxy': {
      const id = q.get('DBProxyName');
      if (!ok(r) || !id) return r;
      rememberXml(s, DB_PROXY, r.body);
      s.timeline.begin('rds-proxy', id, 'deleting', d.rdsProxyDelete);
      return { ...r, body: rewriteXml(s, DB_PROXY, r.body, { remember: false }) };
    }
    default:
      return r;
  }
}

function elbv2(call: AwsCall, r: Reply, s: SimState): Reply {
  const d = s.profile.durations;
  const q = query(call);
  switch (call.operation) {
    case 'CreateLoadBalancer': {
      if (!ok(r)) return r;
      for (const id of rememberXml(s, ALB, r.body)) s.timeline.begin('alb', id, 'creating', d.albCreate);
      return { ...r, body: rewriteXml(s, ALB, r.body) };
    }
    case 'DescribeLoadBalancers': {
      const arns = listParam(q, 'LoadBalancerArns.member');
      const names = listParam(q, 'Names.member');
      const filtered = arns.length > 0 || names.length > 0;
      if (ok(r)) return { ...r, body: rewriteXml(s, ALB, r.body, filtered ? {} : { inject: { op: 'DescribeLoadBalancers', container: 'LoadBalancers', element: 'member' } }) };
      if (!filtered) return r;
      // By name: the ARN of the one being deleted that had this name.
      const byName = names.map((n) => s.timeline.ids('alb', 'deleting').find((arn) => /<LoadBalancerName>([^<]*)</.exec(s.seen.get(`alb:${arn}`) ?? '')?.[1] === n));
      if (byName.some((x) => !x)) return r;
      const synth = synthesise(s, ALB, 'DescribeLoadBalancers', [...arns, ...(byName as string[])]);
      return synth ? xmlReply(r, synth) : r;
    }
    case 'DeleteLoadBalancer': {
      const arn = q.get('LoadBalancerArn');
      if (ok(r) && arn && s.seen.has(`alb:${arn}`)) s.timeline.begin('alb', arn, 'deleting', d.albDelete);
      return r;
    }
    default:
      return r;
  }
}

// ---------------------------------------------------------------------------------------------
// JSON resources: ECS services, EFS mount targets, ACM certificates
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;

function ecsService(s: SimState, svc: Json): boolean {
  const arn = String(svc.serviceArn ?? '');
  const t = s.timeline.phase('ecs', arn);
  if (!t) return false;
  if (t === 'deleting') {
    svc.status = 'DRAINING';
    return true;
  }
  const desired = Number(svc.desiredCount ?? 0);
  svc.runningCount = 0;
  svc.pendingCount = desired;
  for (const dep of (svc.deployments as Json[] | undefined) ?? []) {
    if (dep.status !== 'PRIMARY') continue;
    dep.runningCount = 0;
    dep.pendingCount = desired;
    dep.rolloutState = 'IN_PROGRESS';
    dep.rolloutStateReason = 'ECS deployment in progress (simulated)';
  }
  return true;
}

/** UpdateService fields that start a new deployment (a desired count alone does not). */
const DEPLOYING = ['taskDefinition', 'forceNewDeployment', 'networkConfiguration', 'loadBalancers', 'platformVersion', 'serviceRegistries', 'capacityProviderStrategy'];

function ecs(call: AwsCall, r: Reply, s: SimState): Reply {
  if (!ok(r)) return r;
  const d = s.profile.durations;
  const doc = jsonOf(r.body);
  if (!doc) return r;
  const one = doc.service as Json | undefined;
  const arn = String(one?.serviceArn ?? '');
  switch (call.operation) {
    case 'CreateService':
      if (arn) s.timeline.begin('ecs', arn, 'creating', d.ecsSteady);
      break;
    case 'UpdateService': {
      const req = jsonOf(call.body) ?? {};
      if (arn && DEPLOYING.some((f) => req[f] !== undefined && req[f] !== false)) s.timeline.begin('ecs', arn, 'creating', d.ecsSteady);
      break;
    }
    case 'DeleteService':
      if (arn) s.timeline.begin('ecs', arn, 'deleting', d.ecsDrain);
      break;
    case 'DescribeServices':
      break;
    default:
      return r;
  }
  let changed = false;
  for (const svc of [...(one ? [one] : []), ...((doc.services as Json[] | undefined) ?? [])]) changed = ecsService(s, svc) || changed;
  if (!changed) return r;
  s.count('ecs');
  return jsonReply(r, doc);
}

const MOUNT_TARGETS = '/2015-02-01/mount-targets';

function efsMountTarget(s: SimState, m: Json): boolean {
  const t = s.timeline.phase('efs-mt', String(m.MountTargetId ?? ''));
  if (!t) return false;
  m.LifeCycleState = t;
  return true;
}

function efs(call: AwsCall, r: Reply, s: SimState): Reply {
  const d = s.profile.durations;
  const path = call.path.split('?')[0]!.replace(/\/$/, '');
  if (call.method === 'POST' && path === MOUNT_TARGETS) {
    const m = ok(r) ? jsonOf(r.body) : undefined;
    if (!m?.MountTargetId) return r;
    s.seen.set(`efs-mt:${String(m.MountTargetId)}`, JSON.stringify(m));
    s.timeline.begin('efs-mt', String(m.MountTargetId), 'creating', d.mountTargetCreate);
    efsMountTarget(s, m);
    return jsonReply(r, m);
  }
  if (call.method === 'DELETE' && path.startsWith(`${MOUNT_TARGETS}/`)) {
    const id = decodeURIComponent(path.slice(MOUNT_TARGETS.length + 1));
    if (ok(r) && s.seen.has(`efs-mt:${id}`)) s.timeline.begin('efs-mt', id, 'deleting', d.mountTargetDelete);
    return r;
  }
  if (call.method === 'GET' && path === MOUNT_TARGETS) {
    const q = urlQuery(call);
    const byId = q.get('MountTargetId');
    const fs = q.get('FileSystemId');
    if (!ok(r)) {
      // moto has dropped a mount target that AWS would still be deleting.
      if (!byId || s.timeline.phase('efs-mt', byId) !== 'deleting') return r;
      const seen = jsonOf(s.seen.get(`efs-mt:${byId}`) ?? '');
      if (!seen) return r;
      efsMountTarget(s, seen);
      s.count('efs-mt');
      return jsonReply(r, { MountTargets: [seen] });
    }
    const doc = jsonOf(r.body);
    const list = (doc?.MountTargets as Json[] | undefined) ?? [];
    if (!doc) return r;
    let changed = false;
    for (const m of list) {
      s.seen.set(`efs-mt:${String(m.MountTargetId)}`, JSON.stringify(m));
      changed = efsMountTarget(s, m) || changed;
    }
    if (fs && !byId) {
      const have = new Set(list.map((m) => String(m.MountTargetId)));
      for (const id of s.timeline.ids('efs-mt', 'deleting')) {
        const seen = jsonOf(s.seen.get(`efs-mt:${id}`) ?? '');
        if (have.has(id) || !seen || seen.FileSystemId !== fs) continue;
        efsMountTarget(s, seen);
        list.push(seen);
        changed = true;
      }
      doc.MountTargets = list;
    }
    if (!changed) return r;
    s.count('efs-mt');
    return jsonReply(r, doc);
  }
  return r;
}

function acm(call: AwsCall, r: Reply, s: SimState): Reply {
  if (!ok(r)) return r;
  const doc = jsonOf(r.body);
  if (!doc) return r;
  const pending = (arn: string) => {
    if (!s.certificates.has(arn)) return false; // not requested through the simulator
    const at = s.certificateIssuedAt(arn);
    return at === undefined || s.now() < at;
  };
  switch (call.operation) {
    case 'RequestCertificate': {
      const arn = String(doc.CertificateArn ?? '');
      if (arn && !s.certificates.has(arn)) s.certificates.set(arn, []);
      return r;
    }
    case 'DescribeCertificate': {
      const c = doc.Certificate as Json | undefined;
      const arn = String(c?.CertificateArn ?? '');
      if (!c || !s.certificates.has(arn)) return r;
      const options = (c.DomainValidationOptions as Json[] | undefined) ?? [];
      const names = options.map((o) => (o.ResourceRecord as Json | undefined)?.Name).filter((n): n is string => typeof n === 'string');
      if (names.length) s.certificates.set(arn, [...new Set(names)]);
      if (!pending(arn)) return r;
      c.Status = 'PENDING_VALIDATION';
      delete c.IssuedAt;
      delete c.NotBefore;
      delete c.NotAfter;
      for (const o of options) o.ValidationStatus = 'PENDING_VALIDATION';
      s.count('acm');
      return jsonReply(r, doc);
    }
    case 'ListCertificates': {
      let changed = false;
      for (const c of (doc.CertificateSummaryList as Json[] | undefined) ?? []) {
        if (pending(String(c.CertificateArn ?? ''))) {
          c.Status = 'PENDING_VALIDATION';
          changed = true;
        }
      }
      if (!changed) return r;
      s.count('acm');
      return jsonReply(r, doc);
    }
    default:
      return r;
  }
}

// ---------------------------------------------------------------------------------------------
// Route 53 (REST XML)
// ---------------------------------------------------------------------------------------------

const changeId = (id: string) => id.replace(/^\/?change\//, '');

function route53(call: AwsCall, r: Reply, s: SimState): Reply {
  const path = call.path.split('?')[0]!.replace(/\/$/, '');
  if (call.method === 'POST' && /\/hostedzone\/[^/]+\/rrset$/.test(path)) {
    if (!ok(r)) return r;
    for (const c of members(parseXml(call.body), 'Change')) {
      const action = textOf(child(c, 'Action'));
      const set = child(c, 'ResourceRecordSet');
      const name = set && textOf(child(set, 'Name'));
      if (!name || !set || textOf(child(set, 'Type')) !== 'CNAME') continue;
      if (action === 'DELETE') s.cnames.delete(normName(name));
      else s.cnames.set(normName(name), s.now());
    }
    const doc = parseXml(r.body);
    const info = doc.getElementsByTagName('ChangeInfo')[0];
    const id = info && textOf(child(info, 'Id'));
    if (!info || !id) return r;
    s.timeline.begin('r53-change', changeId(id), 'creating', s.profile.durations.route53Change);
    setChild(info, 'Status', 'PENDING');
    s.count('r53-change');
    return { ...r, body: serialize(doc) };
  }
  const get = /\/change\/([^/]+)$/.exec(path);
  if (call.method === 'GET' && get && ok(r)) {
    if (s.timeline.phase('r53-change', changeId(decodeURIComponent(get[1]!))) !== 'creating') return r;
    const doc = parseXml(r.body);
    const info = doc.getElementsByTagName('ChangeInfo')[0];
    if (!info) return r;
    setChild(info, 'Status', 'PENDING');
    s.count('r53-change');
    return { ...r, body: serialize(doc) };
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// The simulation, call by call
// ---------------------------------------------------------------------------------------------

const BY_SERVICE: Record<string, (call: AwsCall, r: Reply, s: SimState) => Reply> = {
  ec2, rds, elasticloadbalancing: elbv2, ecs, elasticfilesystem: efs, acm, route53,
};

/**
 * What the simulated AWS answers to `call`, given moto's answer `upstream`: the same, or with the
 * states of resources in a transition rewritten (or synthesised, for one moto has already dropped).
 * Records the creates and deletes it sees. Never throws: a failure is recorded and moto's answer kept.
 */
export function simulate(call: AwsCall, upstream: Reply, s: SimState): Reply {
  const fn = BY_SERVICE[call.service];
  if (!fn) return upstream;
  try {
    return fn(call, upstream, s);
  } catch (err) {
    s.errors.push(`${call.service} ${call.operation}: ${err instanceof Error ? err.message : String(err)}`);
    return upstream;
  }
}

/**
 * For deletes of resources moto drops at once: a describe to send moto just before, so that the
 * simulator holds a description to keep answering with while the resource is being deleted.
 */
export function describeBeforeDelete(call: AwsCall): { method: string; path: string; body: string; contentType: string; as: AwsCall } | undefined {
  const form = 'application/x-www-form-urlencoded; charset=utf-8';
  const q = query(call);
  const make = (method: string, path: string, body: string, contentType: string, operation: string) =>
    ({ method, path, body, contentType, as: { ...call, method, path, body, operation, mutating: false } });
  if (call.service === 'elasticloadbalancing' && call.operation === 'DeleteLoadBalancer' && q.get('LoadBalancerArn')) {
    const body = new URLSearchParams({ Action: 'DescribeLoadBalancers', Version: '2015-12-01', 'LoadBalancerArns.member.1': q.get('LoadBalancerArn')! }).toString();
    return make('POST', '/', body, form, 'DescribeLoadBalancers');
  }
  if (call.service === 'rds' && call.operation === 'DeleteDBInstance' && q.get('DBInstanceIdentifier')) {
    const body = new URLSearchParams({ Action: 'DescribeDBInstances', Version: '2014-10-31', DBInstanceIdentifier: q.get('DBInstanceIdentifier')! }).toString();
    return make('POST', '/', body, form, 'DescribeDBInstances');
  }
  if (call.service === 'rds' && call.operation === 'DeleteDBProxy' && q.get('DBProxyName')) {
    const body = new URLSearchParams({ Action: 'DescribeDBProxies', Version: '2014-10-31', DBProxyName: q.get('DBProxyName')! }).toString();
    return make('POST', '/', body, form, 'DescribeDBProxies');
  }
  const mt = /^\/2015-02-01\/mount-targets\/([^/?]+)$/.exec(call.path.split('?')[0]!);
  if (call.service === 'elasticfilesystem' && call.method === 'DELETE' && mt) {
    return make('GET', `${MOUNT_TARGETS}?MountTargetId=${mt[1]}`, '', 'application/json', `GET ${MOUNT_TARGETS}`);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

export interface SimCall {
  service: string;
  operation: string;
  mutating: boolean;
  at: number;
}

export interface CallCounts {
  read: number;
  mutating: number;
  byOperation: Record<string, number>;
}

export interface SimAws {
  url: string;
  state: SimState;
  /** Every call the CLI made, in order. */
  calls: SimCall[];
  counts(): CallCounts;
  /** Forget the calls counted so far (between two CLI runs). */
  resetCalls(): void;
  /** Calls the AWS ordering rules refused (strict mode). */
  refused(): Array<{ rule: string; code: string; reason: string }>;
  close(): Promise<void>;
}

export interface SimOptions {
  /** moto's endpoint. */
  upstream: string;
  profile: Profile;
  /** Refuse the deletes AWS refuses (test/support/aws-rules.ts). Default true. */
  strict?: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function send(upstream: URL, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer | string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const h: IncomingHttpHeaders = { ...headers, host: upstream.host };
    delete h['content-length'];
    delete h['transfer-encoding'];
    const req = request({ host: upstream.hostname, port: upstream.port, method, path, headers: { ...h, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') out[k] = v;
        resolve({ status: res.statusCode ?? 502, body: Buffer.concat(parts).toString('utf8'), headers: out });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function startSimAws(o: SimOptions): Promise<SimAws> {
  const upstream = new URL(o.upstream);
  const state = new SimState(o.profile);
  const calls: SimCall[] = [];
  const shim = ecsShim(o.upstream);
  const account = accountShim(); // Service Quotas and the RDS catalog, which moto lacks
  // lingerMs 0: the interfaces AWS keeps after their owner (minutes, not simulated here) would add AWS's wait, not wpdeploy's
  const rules: OrderingRules | undefined = o.strict === false ? undefined : awsOrderingRules(o.upstream, { lingerMs: 0 });

  const handle = async (method: string, path: string, headers: IncomingHttpHeaders, raw: Buffer): Promise<Reply> => {
    const body = raw.toString('utf8');
    const call: AwsCall = { ...classify(method, path, headers, body), body, method, path, headers };
    calls.push({ service: call.service, operation: call.operation, mutating: call.mutating, at: Date.now() });
    if (o.profile.latencyMs > 0) await sleep(o.profile.latencyMs);
    const answered = (await shim(call)) ?? account(call) ?? (rules ? await rules(call) : undefined);
    if (answered) return simulate(call, answered, state);
    const before = describeBeforeDelete(call);
    if (before) {
      try {
        const seen = await send(upstream, before.method, before.path, { ...headers, 'content-type': before.contentType }, before.body);
        simulate(before.as, seen, state);
      } catch (err) {
        state.errors.push(`describe before ${call.operation}: ${String(err)}`);
      }
    }
    const reply = await send(upstream, method, path, headers, raw);
    return simulate(call, reply, state);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req.method ?? 'GET', req.url ?? '/', req.headers, Buffer.concat(chunks)).then(
        (reply) => {
          const headers: Record<string, string> = { ...reply.headers };
          delete headers['content-length'];
          delete headers['transfer-encoding'];
          delete headers['connection'];
          res.writeHead(reply.status, { ...headers, 'content-length': String(Buffer.byteLength(reply.body)) });
          res.end(reply.body);
        },
        (err: unknown) => {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(String(err));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    calls,
    counts() {
      const c: CallCounts = { read: 0, mutating: 0, byOperation: {} };
      for (const x of calls) {
        if (x.mutating) c.mutating++;
        else c.read++;
        const op = `${x.service}:${x.operation}`;
        c.byOperation[op] = (c.byOperation[op] ?? 0) + 1;
      }
      return c;
    },
    resetCalls: () => void calls.splice(0),
    refused: () => (rules?.refused ?? []).map((r) => ({ rule: r.rule, code: r.code, reason: r.reason })),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
