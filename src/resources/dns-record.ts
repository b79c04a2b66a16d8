/**
 * A record wpdeploy adds to the user's hosted zone: the certificate's validation CNAME, the site's
 * alias A (and AAAA) record to the load balancer.
 *
 * Route 53 records carry no tags, so wpdeploy marks the records it makes with an ownership TXT record
 * beside each (`_wpdeploy-<type>.<name>`, value `"heritage=wpdeploy,stack=…,step=…"`), written in the
 * same atomic change batch (the TXT registry external-dns uses). Only records with that mark are
 * changed or deleted. A record of the same name and type that wpdeploy did not make is left alone:
 * when it already has the wanted value (whatever its TTL) it is used as is (and kept on `down`);
 * otherwise `up` stops and says so rather than overwrite it. Every change waits until Route 53
 * reports it INSYNC.
 */
import type { Change, ResourceRecordSet, RRType } from '@aws-sdk/client-route-53';
import { Route53 } from '../aws/sdk.js';
import { isNotFound, isRecordConflict, isRecordGone } from '../aws/errors.js';
import { deleteOrGone, orAbsent } from '../aws/idempotent.js';
import { waitFor } from '../aws/poll.js';
import { WpdeployError } from '../errors.js';
import { fqdn, publicZonesNamed, route53, zoneIdOf } from './hosted-zone.js';
import { defineKind } from './kinds.js';
import { known, type Actual, type Diff, type FieldChange, type ResourceContext, type ResourceKind } from './types.js';

export type RecordType = 'A' | 'AAAA' | 'CNAME';

export interface AliasTarget {
  dnsName: string;
  hostedZoneId: string;
  evaluateTargetHealth: boolean;
}

/** A record set as wpdeploy writes it, and as `find` reads it back. */
export interface RecordValue {
  zoneId: string;
  name: string;
  type: RecordType;
  /** Plain records: TTL and values. */
  ttl?: number;
  values?: string[];
  /** Alias records. */
  alias?: AliasTarget;
}

export interface DnsRecordSpec extends RecordValue {
  /** The hosted zone's name (from the config, so known even when the zone id is not). */
  zoneName: string;
}

export interface DnsRecordActual extends Actual, RecordValue {
  /** `<zoneId>|<name.>|<type>` */
  id: string;
  state: 'INSYNC';
  /** True when wpdeploy's ownership record for this stack and step stands beside it. */
  owned: boolean;
  /** The ownership record as Route 53 holds it (needed to delete it). */
  owner?: ResourceRecordSet;
}

const CHANGE_MS = 60_000;

export const recordId = (zoneId: string, name: string, type: string) => `${zoneId}|${fqdn(name)}|${type}`;
export const ownerName = (name: string, type: string) => `_wpdeploy-${type.toLowerCase()}.${fqdn(name)}`;
export const ownerValue = (stack: string, step: string) => `"heritage=wpdeploy,stack=${stack},step=${step}"`;

/** DNS names compare lowercased, without the trailing dot; ELB alias targets without `dualstack.`. */
const normName = (n: string) => n.toLowerCase().replace(/\.$/, '');
const normAlias = (n: string) => normName(n).replace(/^dualstack\./, '');

/** The record set with exactly this name and type, or undefined. */
async function getRecord(ctx: ResourceContext, zoneId: string, name: string, type: string): Promise<ResourceRecordSet | undefined> {
  const r = await route53(ctx).send(new Route53.ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: fqdn(name), StartRecordType: type as RRType, MaxItems: 2 }));
  return (r.ResourceRecordSets ?? []).find((s) => fqdn(s.Name ?? '') === fqdn(name) && s.Type === type && !s.SetIdentifier);
}

/** The ownership records of this stack and step in a zone (when neither state nor config names the record). */
async function ownedByStep(ctx: ResourceContext, zoneId: string): Promise<Array<{ name: string; type: RecordType }>> {
  const out: Array<{ name: string; type: RecordType }> = [];
  const want = ownerValue(ctx.stack, ctx.step);
  let start: { StartRecordName?: string; StartRecordType?: RRType; StartRecordIdentifier?: string } = {};
  for (;;) {
    const r = await route53(ctx).send(new Route53.ListResourceRecordSetsCommand({ HostedZoneId: zoneId, ...start }));
    for (const s of r.ResourceRecordSets ?? []) {
      const m = /^_wpdeploy-(a|aaaa|cname)\.(.+)$/.exec(fqdn(s.Name ?? ''));
      if (m && s.Type === 'TXT' && (s.ResourceRecords ?? []).some((v) => v.Value === want)) out.push({ name: m[2]!, type: m[1]!.toUpperCase() as RecordType });
    }
    if (!r.IsTruncated) return out;
    start = { StartRecordName: r.NextRecordName, StartRecordType: r.NextRecordType, StartRecordIdentifier: r.NextRecordIdentifier };
  }
}

function toActual(zoneId: string, set: ResourceRecordSet, owner: ResourceRecordSet | undefined, ctx: ResourceContext): DnsRecordActual {
  const owned = !!owner && (owner.ResourceRecords ?? []).some((v) => v.Value === ownerValue(ctx.stack, ctx.step));
  return {
    id: recordId(zoneId, set.Name!, set.Type!),
    state: 'INSYNC',
    zoneId,
    name: fqdn(set.Name!),
    type: set.Type as RecordType,
    ttl: set.TTL,
    values: set.ResourceRecords?.map((v) => v.Value!),
    alias: set.AliasTarget && { dnsName: set.AliasTarget.DNSName!, hostedZoneId: set.AliasTarget.HostedZoneId!, evaluateTargetHealth: !!set.AliasTarget.EvaluateTargetHealth },
    owned,
    owner: owned ? owner : undefined,
  };
}

function recordSet(spec: Omit<RecordValue, 'zoneId'>): ResourceRecordSet {
  if (spec.alias) {
    return { Name: fqdn(spec.name), Type: spec.type, AliasTarget: { DNSName: spec.alias.dnsName, HostedZoneId: spec.alias.hostedZoneId, EvaluateTargetHealth: spec.alias.evaluateTargetHealth } };
  }
  return { Name: fqdn(spec.name), Type: spec.type, TTL: spec.ttl ?? 300, ResourceRecords: (spec.values ?? []).map((Value) => ({ Value })) };
}

const ownerSet = (ctx: ResourceContext, name: string, type: string): ResourceRecordSet =>
  ({ Name: ownerName(name, type), Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: ownerValue(ctx.stack, ctx.step) }] });

/** Sends one atomic change batch and waits until Route 53 reports it INSYNC. */
async function change(ctx: ResourceContext, zoneId: string, changes: Change[], comment: string): Promise<void> {
  const r = await route53(ctx).send(new Route53.ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Comment: comment, Changes: changes } }));
  const id = r.ChangeInfo!.Id!;
  if (r.ChangeInfo?.Status === 'INSYNC') return;
  await waitFor({
    what: `route 53 change ${id} to be in sync`, expectedMs: CHANGE_MS, minIntervalMs: 2_000, scale: ctx.scale, signal: ctx.signal,
    check: () => route53(ctx).send(new Route53.GetChangeCommand({ Id: id })).then((x) => x.ChangeInfo?.Status),
    done: (s) => s === 'INSYNC',
    onProgress: (s) => ctx.progress(`route 53 change ${id} is ${s}`),
  });
}

async function zoneIdFor(ctx: ResourceContext, desired?: DnsRecordSpec): Promise<string | undefined> {
  if (known(desired?.zoneId)) return zoneIdOf(desired.zoneId);
  if (ctx.recordedId) return ctx.recordedId.split('|')[0];
  if (!desired?.zoneName) return undefined;
  const zones = await publicZonesNamed(ctx, desired.zoneName);
  return zones.length === 1 ? zoneIdOf(zones[0]!.Id!) : undefined;
}

function describeValue(a: { values?: string[]; alias?: AliasTarget }): string {
  return a.alias ? `alias ${normAlias(a.alias.dnsName)}` : (a.values ?? []).join(', ');
}

export const dnsRecordKind: ResourceKind<DnsRecordSpec, DnsRecordActual, 'name' | 'type' | 'zoneId' | 'value'> = defineKind({
  name: 'route53:record',
  noun: 'dns record',
  timing: { createMs: CHANGE_MS, deleteMs: CHANGE_MS },
  foundBySpec: true,
  onReplace: 'recreate',

  /**
   * The record of the wanted name and type (from the config or state; else the one this step's
   * ownership record names), with whether wpdeploy owns it. Undefined when it does not exist.
   */
  async find(ctx, desired) {
    const zoneId = await zoneIdFor(ctx, desired);
    if (!zoneId) return undefined;
    let targets: Array<{ name: string; type: RecordType }>;
    if (desired && known(desired.name)) targets = [{ name: desired.name, type: desired.type }];
    else if (ctx.recordedId) {
      const [, name, type] = ctx.recordedId.split('|');
      targets = [{ name: name!, type: type as RecordType }];
    } else targets = await ownedByStep(ctx, zoneId);
    // undefined too when the zone itself is gone
    return orAbsent(async () => {
      for (const t of targets) {
        const set = await getRecord(ctx, zoneId, t.name, t.type);
        if (set) return toActual(zoneId, set, await getRecord(ctx, zoneId, ownerName(t.name, t.type), 'TXT'), ctx);
      }
      return undefined;
    });
  },

  diff(desired, actual): Diff {
    const changes: FieldChange[] = [];
    if (known(desired.name) && fqdn(desired.name) !== actual.name) {
      return { changes: [{ field: 'name', from: actual.name, to: fqdn(desired.name) }], replace: 'a DNS record cannot be renamed; the old one is removed and the new one added' };
    }
    if (desired.alias) {
      const want = desired.alias;
      if (known(want.dnsName) && (!actual.alias || normAlias(actual.alias.dnsName) !== normAlias(want.dnsName) || actual.alias.hostedZoneId !== want.hostedZoneId)) {
        changes.push({ field: 'alias', from: actual.alias ? `${normAlias(actual.alias.dnsName)} (${actual.alias.hostedZoneId})` : describeValue(actual), to: `${normAlias(want.dnsName)} (${want.hostedZoneId})` });
      }
      if (actual.alias && actual.alias.evaluateTargetHealth !== want.evaluateTargetHealth) changes.push({ field: 'alias.evaluateTargetHealth', from: actual.alias.evaluateTargetHealth, to: want.evaluateTargetHealth });
    } else {
      const wantValues = (desired.values ?? []).filter(known).map(normName).sort();
      const haveValues = (actual.values ?? []).map(normName).sort();
      if ((desired.values ?? []).every(known) && JSON.stringify(wantValues) !== JSON.stringify(haveValues)) changes.push({ field: 'values', from: actual.alias ? describeValue(actual) : haveValues, to: wantValues });
      // A record wpdeploy did not make is used when its value is the wanted one, whatever its TTL:
      // the validation CNAME is the same for the same account and domain, so an earlier certificate
      // (the console, another tool, a lost state) leaves one, often with another TTL; it is never rewritten.
      if ((desired.ttl ?? 300) !== actual.ttl && !actual.alias && actual.owned) changes.push({ field: 'ttl', from: actual.ttl, to: desired.ttl ?? 300 });
    }
    return { changes };
  },

  /**
   * Adds the record and its ownership record in one atomic batch. A record of that name and type
   * that appeared meanwhile is used when it already has the wanted value, else reported.
   */
  async create(ctx, desired) {
    const zoneId = zoneIdOf(desired.zoneId);
    const name = fqdn(desired.name);
    const existingOwner = await getRecord(ctx, zoneId, ownerName(name, desired.type), 'TXT');
    const oursAlready = (existingOwner?.ResourceRecords ?? []).some((v) => v.Value === ownerValue(ctx.stack, ctx.step));
    if (existingOwner && !oursAlready) {
      throw new WpdeployError(`dns record ${name} ${desired.type} is claimed by another wpdeploy stack (${(existingOwner.ResourceRecords ?? []).map((v) => v.Value).join(', ')}).`, {
        hint: 'Use another domain.name, or remove that stack first (wpdeploy down, run with that stack\'s own config and options).',
      });
    }
    const changes: Change[] = [
      { Action: 'CREATE', ResourceRecordSet: recordSet(desired) },
      { Action: oursAlready ? 'UPSERT' : 'CREATE', ResourceRecordSet: ownerSet(ctx, name, desired.type) },
    ];
    try {
      await change(ctx, zoneId, changes, `wpdeploy ${ctx.stack}: ${ctx.step}`);
    } catch (err) {
      if (!isRecordConflict(err)) throw err;
      const set = await getRecord(ctx, zoneId, name, desired.type);
      if (set) {
        const actual = toActual(zoneId, set, await getRecord(ctx, zoneId, ownerName(name, desired.type), 'TXT'), ctx);
        if (actual.owned || dnsRecordKind.diff(desired, actual).changes.length === 0) {
          if (!actual.owned) ctx.warn(`dns record ${name} ${desired.type} already exists with the wanted value; using it, and leaving it in place on \`down\` (wpdeploy did not make it).`);
          await ctx.recordId(actual.id);
          return actual;
        }
        throw conflictError(name, desired.type, actual, err);
      }
      throw err;
    }
    await ctx.recordId(recordId(zoneId, name, desired.type));
    const set = recordSet(desired);
    return toActual(zoneId, set, ownerSet(ctx, name, desired.type), ctx);
  },

  /** Points the record at the wanted value; a record wpdeploy did not make is never overwritten. */
  async update(ctx, desired, actual) {
    if (!actual.owned) throw conflictError(actual.name, actual.type, actual);
    await change(ctx, actual.zoneId, [{ Action: 'UPSERT', ResourceRecordSet: recordSet(desired) }], `wpdeploy ${ctx.stack}: ${ctx.step}`);
    return toActual(actual.zoneId, recordSet(desired), actual.owner, ctx);
  },

  /** Removes the record and its ownership record; a record wpdeploy did not make stays. Gone is success. */
  async delete(ctx, actual) {
    if (!actual.owned) {
      ctx.progress(`left dns record ${actual.name} ${actual.type} in place: wpdeploy did not make it`);
      return;
    }
    const changes: Change[] = [{ Action: 'DELETE', ResourceRecordSet: recordSet(actual) }];
    if (actual.owner) changes.push({ Action: 'DELETE', ResourceRecordSet: actual.owner });
    await deleteOrGone(() => change(ctx, actual.zoneId, changes, `wpdeploy ${ctx.stack}: remove ${ctx.step}`), (err) => isNotFound(err) || isRecordGone(err));
  },

  outputs: (a) => ({ name: normName(a.name), type: a.type, zoneId: a.zoneId, value: describeValue(a) }),
});

function conflictError(name: string, type: string, actual: DnsRecordActual, cause?: unknown): WpdeployError {
  return new WpdeployError(`a ${type} record ${normName(name)} already exists in the hosted zone (${describeValue(actual)}) and wpdeploy did not make it; wpdeploy does not overwrite records it did not make.`, {
    hint: `If nothing needs it, delete it (Route 53 console, or \`aws route53 change-resource-record-sets\` with a DELETE), then run \`wpdeploy up\` again; or choose another domain.name.`,
    cause,
  });
}
