/**
 * The config checks that span fields (Fargate CPU and memory pairs, scaling bounds, AZs of the region,
 * subnet room in the CIDR, the domain inside its zone, the engine version and its support calendar, and
 * the names AWS refuses). Each runs only when the fields it reads are valid on their own.
 */
import type { ConfigIssue } from '../errors.js';
import { planSubnets } from './cidr.js';
import { ENGINE_LIFECYCLE, LIFECYCLE_TABLE_DATE, notCreatable, supportPhase, type DbEngine } from './engine-lifecycle.js';
import { nameIssues, tagIssues } from './names.js';
import { REGION_AZ_COUNT } from './regions.js';
import type { Config } from './schema.js';

/** Valid Fargate task sizes: CPU units -> allowed memory (MiB). */
const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16384, 1024),
  4096: range(8192, 30720, 1024),
  8192: range(16384, 61440, 4096),
  16384: range(32768, 122880, 8192),
};

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

const ENGINE_VERSIONS: Record<string, string[]> = Object.fromEntries(Object.entries(ENGINE_LIFECYCLE).map(([e, majors]) => [e, Object.keys(majors)]));

type Section<K extends keyof Config> = Partial<NonNullable<Config[K]>>;
export interface PartialConfig {
  stack?: string;
  region?: string;
  accountId?: string;
  tags?: Record<string, string>;
  network?: Section<'network'>;
  domain?: Section<'domain'>;
  database?: Section<'database'>;
  wordpress?: Section<'wordpress'>;
  scaling?: Section<'scaling'>;
}


/** Checks that span fields, each only when the fields it reads are valid. */
export function crossFieldIssues(c: PartialConfig, now = new Date()): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const { wordpress: wp, scaling, network, region, domain, database } = c;
  // Names AWS refuses (src/config/names.ts has the limits and their sources).
  if (c.stack !== undefined && region) issues.push(...nameIssues(c.stack, region, c.accountId));
  if (c.tags) issues.push(...tagIssues(c.tags));
  if (wp?.cpu !== undefined) {
    const allowed = FARGATE_SIZES[wp.cpu];
    if (!allowed) {
      issues.push({ path: 'wordpress.cpu', message: `${wp.cpu} is not a Fargate CPU size.`, fix: `Use one of ${Object.keys(FARGATE_SIZES).join(', ')}.` });
    } else if (wp.memory !== undefined && !allowed.includes(wp.memory)) {
      issues.push({
        path: 'wordpress.memory',
        message: `${wp.memory} MiB does not pair with cpu ${wp.cpu} on Fargate.`,
        fix: `With cpu ${wp.cpu} use ${allowed[0]} to ${allowed[allowed.length - 1]} MiB (${allowed.length <= 4 ? allowed.join(', ') : `steps of ${allowed[1]! - allowed[0]!}`}).`,
      });
    }
  }
  if (scaling?.min !== undefined && scaling.max !== undefined) {
    if (scaling.min > scaling.max) {
      issues.push({ path: 'scaling.min', message: `min (${scaling.min}) is greater than max (${scaling.max}).`, fix: 'Set scaling.min <= scaling.max.' });
    } else if (wp?.desiredCount !== undefined && (wp.desiredCount < scaling.min || wp.desiredCount > scaling.max)) {
      issues.push({
        path: 'wordpress.desiredCount',
        message: `${wp.desiredCount} is outside scaling.min..scaling.max (${scaling.min}..${scaling.max}).`,
        fix: `Use a desiredCount from ${scaling.min} to ${scaling.max}, or widen the scaling bounds.`,
      });
    }
  }
  if (network?.azCount !== undefined && region) {
    const available = REGION_AZ_COUNT[region] ?? 0;
    if (network.azCount > available) {
      issues.push({ path: 'network.azCount', message: `${region} has ${available} Availability Zones usable by new accounts; ${network.azCount} asked.`, fix: `Use 2 to ${available}.` });
    }
  }
  if (network?.cidr !== undefined && network.azCount !== undefined && !planSubnets(network.cidr, network.azCount)) {
    issues.push({
      path: 'network.cidr',
      message: `${network.cidr} is too small for ${3 * network.azCount} subnets (3 tiers x ${network.azCount} AZs) of at least /28.`,
      fix: 'Use a larger block (a smaller prefix, e.g. /16) or fewer AZs.',
    });
  }
  if (domain?.name !== undefined && domain.hostedZone !== undefined) {
    const zone = domain.hostedZone.replace(/\.$/, '');
    if (domain.name !== zone && !domain.name.endsWith(`.${zone}`)) {
      issues.push({ path: 'domain.name', message: `${domain.name} is not inside the hosted zone ${zone}.`, fix: `Use a name ending in .${zone}, or the zone that contains ${domain.name}.` });
    }
  }
  if (database?.engine !== undefined && database.engineVersion !== undefined) {
    const major = database.engineVersion.split('.').slice(0, 2).join('.');
    const known = ENGINE_VERSIONS[database.engine] ?? [];
    if (!known.includes(major)) {
      issues.push({ path: 'database.engineVersion', message: `${database.engineVersion} is not a supported ${database.engine} version.`, fix: `Use one of ${known.map((v) => `"${v}"`).join(', ')}.` });
    } else {
      issues.push(...lifecycleIssues(database.engine, major, database.extendedSupport ?? false, now));
    }
  }
  return issues;
}

/** A version the offline calendar says can no longer be created (engine-lifecycle.ts), with the fix. */
function lifecycleIssues(engine: DbEngine, major: string, extendedSupport: boolean, now: Date): ConfigIssue[] {
  const l = ENGINE_LIFECYCLE[engine][major]!;
  const why = notCreatable(engine, major, l, extendedSupport, now);
  if (!why) return [];
  const newer = Object.entries(ENGINE_LIFECYCLE[engine]).filter(([m, x]) => !notCreatable(engine, m, x, false, now)).map(([m]) => `"${m}"`);
  const paid = !!l.extendedEnd && supportPhase(l, now) === 'extended';
  return [{
    path: paid ? 'database.extendedSupport' : 'database.engineVersion',
    message: `${why} (RDS calendar as of ${LIFECYCLE_TABLE_DATE}).`,
    fix: `Set database.engineVersion to ${newer.join(' or ') || 'a newer major version'}${paid ? ', or set database.extendedSupport: true to accept the Extended Support charge (\`wpdeploy cost\` shows it)' : ''}.`,
  }];
}
