/**
 * The user's existing Route 53 public hosted zone (`domain.hostedZone`), looked up, never changed:
 * wpdeploy adds records to it (dns-record.ts) and never creates, modifies or deletes the zone itself.
 *
 * The lookup also checks the delegation: the name servers the public DNS gives for the zone must be
 * the zone's own (its delegation set). A missing zone makes `create` fail and a zone that is not
 * delegated makes `update` fail, each with what to do; the app tier makes every other step wait for
 * this one, so `up` stops before anything is created. Against an endpoint override (the local
 * emulator) the public DNS knows nothing of the zone, so the delegation is not checked there.
 */
import { Resolver } from 'node:dns/promises';
import type { HostedZone, ListHostedZonesByNameCommandOutput } from '@aws-sdk/client-route-53';
import { orAbsent } from '../aws/idempotent.js';
import { Route53 } from '../aws/sdk.js';
import { WpdeployError } from '../errors.js';
import { defineKind } from './kinds.js';
import type { Actual, Diff, ResourceContext, ResourceKind } from './types.js';

export interface HostedZoneSpec {
  /** The zone's name, with or without the trailing dot. */
  name: string;
}

export type Delegation = 'delegated' | 'not delegated' | 'not checked';

export interface HostedZoneActual extends Actual {
  /** The zone id without the `/hostedzone/` prefix. */
  id: string;
  name: string;
  /** `delegated`, `not delegated` or `not checked` (emulator, or the public DNS did not answer). */
  state: Delegation;
  /** The zone's own name servers (its delegation set). */
  nameServers: string[];
  /** The name servers the public DNS gives for the zone name (empty when none or not checked). */
  publicNameServers: string[];
  /** Why the delegation is what it is, for messages. */
  detail: string;
}

export const route53 = (ctx: ResourceContext) => ctx.aws.get(Route53.Route53Client);

/** `example.com.` from `example.com` or `Example.com.`. */
export const fqdn = (name: string) => `${name.toLowerCase().replace(/\.$/, '')}.`;
/** `Z123` from `/hostedzone/Z123`. */
export const zoneIdOf = (id: string) => id.replace(/^\/hostedzone\//, '');
const bare = (ns: string) => ns.toLowerCase().replace(/\.$/, '');

/** The public hosted zones named exactly `name` (ListHostedZonesByName starts at the name, in order). */
export async function publicZonesNamed(ctx: ResourceContext, name: string): Promise<HostedZone[]> {
  const want = fqdn(name);
  const out: HostedZone[] = [];
  let DNSName: string | undefined = want;
  let HostedZoneId: string | undefined;
  for (;;) {
    const r: ListHostedZonesByNameCommandOutput = await route53(ctx).send(new Route53.ListHostedZonesByNameCommand({ DNSName, HostedZoneId, MaxItems: 100 }));
    const zones = r.HostedZones ?? [];
    out.push(...zones.filter((z) => fqdn(z.Name ?? '') === want && !z.Config?.PrivateZone));
    // Zones come sorted by name: once past `want`, there are no more.
    if (!r.IsTruncated || zones.some((z) => fqdn(z.Name ?? '') !== want)) return out;
    DNSName = r.NextDNSName;
    HostedZoneId = r.NextHostedZoneId;
  }
}

/** The name servers the public DNS has for `name`: [] when it has none (not delegated). */
export type NsResolver = (name: string) => Promise<string[]>;

const NO_SUCH_NAME = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);

async function publicNameServers(name: string, resolve: NsResolver): Promise<{ servers: string[] } | { error: string }> {
  try {
    return { servers: (await resolve(bare(name))).map(bare).sort() };
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (NO_SUCH_NAME.has(code)) return { servers: [] };
    return { error: `${code || 'error'}: ${(err as Error).message}` };
  }
}

const defaultResolver: NsResolver = (name) => {
  const r = new Resolver({ timeout: 3_000, tries: 2 });
  return r.resolveNs(name);
};

/** What the public DNS says about a zone's delegation, compared with the zone's own name servers. */
export async function checkDelegation(zoneName: string, own: string[], resolve: NsResolver = defaultResolver): Promise<Pick<HostedZoneActual, 'state' | 'publicNameServers' | 'detail'>> {
  const mine = new Set(own.map(bare));
  const found = await publicNameServers(zoneName, resolve);
  if ('error' in found) {
    return { state: 'not checked', publicNameServers: [], detail: `the public DNS did not answer for ${bare(zoneName)} (${found.error})` };
  }
  if (found.servers.length === 0) {
    return { state: 'not delegated', publicNameServers: [], detail: `the public DNS has no name servers for ${bare(zoneName)}` };
  }
  const foreign = found.servers.filter((s) => !mine.has(s));
  if (foreign.length > 0) {
    return { state: 'not delegated', publicNameServers: found.servers, detail: `the public DNS sends ${bare(zoneName)} to ${found.servers.join(', ')}, not to this zone's name servers` };
  }
  return { state: 'delegated', publicNameServers: found.servers, detail: `delegated to ${found.servers.join(', ')}` };
}

/** The zones named so (or the recorded one): id, name and their own name servers. */
async function zonesOf(ctx: ResourceContext, name: string | undefined): Promise<Array<Pick<HostedZoneActual, 'id' | 'name' | 'nameServers'>>> {
  let zones: HostedZone[] = [];
  if (name) zones = await publicZonesNamed(ctx, name);
  else if (ctx.recordedId) {
    const z = await orAbsent(async () => (await route53(ctx).send(new Route53.GetHostedZoneCommand({ Id: ctx.recordedId }))).HostedZone);
    zones = z ? [z] : [];
  }
  return Promise.all(zones.map(async (z) => {
    const id = zoneIdOf(z.Id!);
    const r = await route53(ctx).send(new Route53.GetHostedZoneCommand({ Id: id }));
    return { id, name: fqdn(z.Name!), nameServers: (r.DelegationSet?.NameServers ?? []).map(bare).sort() };
  }));
}

/**
 * The public zone of that name, with its delegation checked. Undefined when there is none.
 * Several public zones with the name: the one the public DNS delegates to, else an error.
 */
async function findZone(ctx: ResourceContext, name: string | undefined, resolve: NsResolver): Promise<HostedZoneActual | undefined> {
  const described = await zonesOf(ctx, name);
  if (described.length === 0) return undefined;
  const local = !!ctx.aws.settings.endpoint;
  const checked = await Promise.all(described.map(async (z): Promise<HostedZoneActual> => ({
    ...z,
    ...(local
      ? { state: 'not checked' as const, publicNameServers: [], detail: 'an endpoint override (emulator) has no public DNS' }
      : await checkDelegation(z.name, z.nameServers, resolve)),
  })));
  if (checked.length === 1) return checked[0];
  const delegated = checked.filter((z) => z.state === 'delegated');
  if (delegated.length === 1) return delegated[0];
  throw new WpdeployError(`${checked.length} public hosted zones are named ${checked[0]!.name} (${checked.map((z) => z.id).join(', ')}), and the public DNS does not single one out.`, {
    hint: 'Delete the zones you do not use (`aws route53 delete-hosted-zone --id ID`), keeping the one your registrar delegates to, then run `wpdeploy up` again.',
  });
}

export interface HostedZoneKindOptions {
  /** How to ask the public DNS for a name's NS records (tests replace it). */
  resolveNs?: NsResolver;
}

export function makeHostedZoneKind(opts: HostedZoneKindOptions = {}): ResourceKind<HostedZoneSpec, HostedZoneActual, 'zoneId' | 'name' | 'delegation'> {
  const resolve = opts.resolveNs ?? defaultResolver;
  return {
    name: 'route53:hosted-zone',
    noun: 'hosted zone',
    timing: { createMs: 1_000, deleteMs: 0 },
    foundBySpec: true,
    lookup: true,

    find: (ctx, desired) => findZone(ctx, desired?.name, resolve),

    /** A zone that is not delegated is a change wpdeploy cannot make: `update` explains it. */
    diff(_desired, actual): Diff {
      if (actual.state !== 'not delegated') return { changes: [] };
      return { changes: [{ field: 'delegation', from: actual.publicNameServers.length ? actual.publicNameServers : 'none', to: actual.nameServers }] };
    },

    /** The zone does not exist: wpdeploy never creates the user's zone, so no create is planned either. */
    missing(desired) {
      const name = desired.name.replace(/\.$/, '');
      return new WpdeployError(`hosted zone ${name} was not found: domain.hostedZone must name an existing Route 53 public hosted zone. Nothing was created.`, {
        hint: `Create it (\`aws route53 create-hosted-zone --name ${name} --caller-reference $(date +%s)\`), point your registrar at its name servers, then run \`wpdeploy up\` again; or fix domain.hostedZone in the config.`,
      });
    },

    async create(_ctx, desired) {
      throw this.missing!(desired);
    },

    /** The zone is not delegated: certificate validation and the site's name would never resolve. */
    async update(_ctx, _desired, actual) {
      const zone = actual.name.replace(/\.$/, '');
      throw new WpdeployError(`hosted zone ${zone} (${actual.id}) is not delegated: ${actual.detail}. Nothing was created.`, {
        hint: `Set the name servers of ${zone} at your registrar (or in the parent zone) to ${actual.nameServers.join(', ')}, wait for the change to show (\`dig NS ${zone} +short\`), then run \`wpdeploy up\` again.`,
      });
    },

    /** The zone is the user's: never deleted (the records wpdeploy made are removed by their own steps). */
    async delete(ctx, actual) {
      ctx.progress(`left hosted zone ${actual.name.replace(/\.$/, '')} (${actual.id}) in place: it is yours; only the records wpdeploy made were removed`);
    },

    outputs: (a) => ({ zoneId: a.id, name: a.name.replace(/\.$/, ''), delegation: a.state }),
  };
}

export const hostedZoneKind: ReturnType<typeof makeHostedZoneKind> = defineKind(makeHostedZoneKind());
