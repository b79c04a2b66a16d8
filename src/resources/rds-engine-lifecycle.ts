/**
 * The RDS support calendar of the configured engine, asked of AWS at plan time: a check step that
 * `plan`, `up` (before its first change) and `status` run. DescribeDBMajorEngineVersions gives each
 * major version's SupportedEngineLifecycles: the start and end of RDS standard support and of RDS
 * Extended Support (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/extended-support-viewing-support-dates.html).
 *
 * - A version that can no longer be created (past standard support without `extendedSupport`, past
 *   Extended Support, or unknown to AWS) stops `up` before anything is created, when the stack has
 *   no instance yet.
 * - The deployed instance's major version within six months of, or past, its end of standard
 *   support: a warning, with the date and what it costs.
 *
 * The dated table in src/config/engine-lifecycle.ts is only the offline fallback (config check,
 * `cost`). Against an endpoint override (the local emulator, which has no such API) the table is
 * used instead, with a warning that says so; against AWS a failed call fails the step.
 */
import type { DBMajorEngineVersion } from '@aws-sdk/client-rds';
import { RDS } from '../aws/sdk.js';
import { isNotImplemented } from '../aws/errors.js';
import {
  LIFECYCLE_TABLE_DATE, majorOf, notCreatable, offlineLifecycle, supportPhase, type DbEngine, type MajorLifecycle,
} from '../config/engine-lifecycle.js';
import { WpdeployError } from '../errors.js';
import { rds, rdsPages } from './rds-common.js';
import { findInstance } from './rds-instance-ops.js';
import { defineKind } from './kinds.js';
import type { Actual, Diff, ResourceContext, ResourceKind } from './types.js';

export type EngineLifecycle = 'open-source-rds-extended-support' | 'open-source-rds-extended-support-disabled';

/**
 * What to send as EngineLifecycleSupport: MySQL only (the setting "applies only to RDS for MySQL and
 * RDS for PostgreSQL": https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html).
 */
export function engineLifecycle(engine: string, extendedSupport: boolean): EngineLifecycle | undefined {
  if (engine !== 'mysql') return undefined;
  return extendedSupport ? 'open-source-rds-extended-support' : 'open-source-rds-extended-support-disabled';
}

export interface EngineLifecycleSpec {
  engine: DbEngine;
  engineVersion: string;
  extendedSupport: boolean;
  /** The stack's instance (`<stack>-db`), whose deployed version is checked too. */
  instanceIdentifier: string;
}

export interface EngineLifecycleActual extends Actual {
  /** `mysql 8.4`. */
  id: string;
  /** The configured major's calendar; undefined when AWS does not offer that major. */
  configured?: MajorLifecycle;
  /** Where the calendar came from. */
  source: 'AWS' | `wpdeploy's table of ${string}`;
  /** The deployed instance, when there is one: its version and its calendar. */
  deployed?: { version: string; lifecycle?: MajorLifecycle; enrollment: string };
}

const STANDARD = 'open-source-rds-standard-support';
const EXTENDED = 'open-source-rds-extended-support';
const day = (d: Date | undefined) => (d ? new Date(d).toISOString().slice(0, 10) : undefined);

/** The calendar of a major version from AWS's answer. */
export function lifecycleFrom(v: DBMajorEngineVersion): MajorLifecycle | undefined {
  const of = (name: string) => v.SupportedEngineLifecycles?.find((l) => l.LifecycleSupportName === name);
  const standardEnd = day(of(STANDARD)?.LifecycleSupportEndDate);
  if (!standardEnd) return undefined;
  const extendedEnd = day(of(EXTENDED)?.LifecycleSupportEndDate);
  return extendedEnd ? { standardEnd, extendedEnd } : { standardEnd };
}

/** Every major version of the engine AWS offers, with its calendar. */
async function awsCalendar(ctx: ResourceContext, engine: string): Promise<Map<string, MajorLifecycle>> {
  const all = await rdsPages(async (Marker) => {
    const page = await rds(ctx).send(new RDS.DescribeDBMajorEngineVersionsCommand({ Engine: engine, Marker }));
    return { items: page.DBMajorEngineVersions, Marker: page.Marker };
  });
  return new Map(all.flatMap((v) => {
    const l = lifecycleFrom(v);
    return v.MajorEngineVersion && l ? [[v.MajorEngineVersion, l] as const] : [];
  }));
}

/** AWS's calendar; on an endpoint override without the API, the offline table (and a warning). */
async function calendar(ctx: ResourceContext, spec: EngineLifecycleSpec): Promise<{ get: (v: string) => MajorLifecycle | undefined; source: EngineLifecycleActual['source'] }> {
  try {
    const cal = await awsCalendar(ctx, spec.engine);
    return { get: (v) => cal.get(majorOf(v)), source: 'AWS' };
  } catch (err) {
    if (!ctx.aws.settings.endpoint || !isNotImplemented(err)) throw err;
    ctx.warn(`the endpoint ${ctx.aws.settings.endpoint} does not answer DescribeDBMajorEngineVersions (an emulator): the RDS support dates come from wpdeploy's own table of ${LIFECYCLE_TABLE_DATE}.`);
    return { get: (v) => offlineLifecycle(spec.engine, v), source: `wpdeploy's table of ${LIFECYCLE_TABLE_DATE}` };
  }
}

/** The warning for a deployed instance near or past its end of standard support, if any. */
export function deployedWarning(id: string, engine: string, d: NonNullable<EngineLifecycleActual['deployed']>, now: Date): string | undefined {
  const l = d.lifecycle;
  if (!l) return undefined;
  const major = majorOf(d.version);
  switch (supportPhase(l, now)) {
    case 'ending':
      return `db instance ${id} runs ${engine} ${d.version}: RDS standard support for ${major} ends on ${l.standardEnd}. Upgrade before then (set database.engineVersion to a newer major)${engine === 'mysql' ? ', or it goes into paid RDS Extended Support' : ''}.`;
    case 'extended':
      return `db instance ${id} runs ${engine} ${d.version}, past the end of RDS standard support (${l.standardEnd})${d.enrollment === EXTENDED ? `: it is in paid RDS Extended Support until ${l.extendedEnd} (\`wpdeploy cost\` prices it)` : ''}. Upgrade it: set database.engineVersion to a newer major.`;
    case 'ended':
      return `db instance ${id} runs ${engine} ${d.version}, past the end of RDS support (${l.extendedEnd ?? l.standardEnd}): AWS upgrades it on its own. Upgrade it yourself first: set database.engineVersion to a newer major.`;
    default:
      return undefined;
  }
}

/** Why the configured version cannot be created now, or undefined. Pure. */
function refusal(desired: EngineLifecycleSpec, actual: EngineLifecycleActual, now: Date): string | undefined {
  if (actual.deployed) return undefined; // nothing is created; the deployed instance gets a warning
  const major = majorOf(desired.engineVersion);
  if (!actual.configured) return `RDS does not offer ${desired.engine} ${major} in this region (${actual.source})`;
  return notCreatable(desired.engine, major, actual.configured, desired.extendedSupport, now);
}

export function makeEngineLifecycleKind(clock: () => Date = () => new Date()): ResourceKind<EngineLifecycleSpec, EngineLifecycleActual, 'major' | 'standardEnd' | 'source'> {
  return {
    name: 'rds:engine-lifecycle',
    noun: 'engine version support',
    timing: { createMs: 1_000, deleteMs: 0 },
    foundBySpec: true,
    lookup: true,

    /** The calendar of the configured major (and of the deployed instance's): always found. */
    async find(ctx, desired) {
      if (!desired) return undefined;
      const [cal, instance] = await Promise.all([calendar(ctx, desired), findInstance(ctx, desired.instanceIdentifier)]);
      const deployed = instance?.EngineVersion
        ? { version: instance.EngineVersion, lifecycle: cal.get(instance.EngineVersion), enrollment: instance.EngineLifecycleSupport ?? '' }
        : undefined;
      const actual: EngineLifecycleActual = { id: `${desired.engine} ${majorOf(desired.engineVersion)}`, state: 'checked', configured: cal.get(desired.engineVersion), source: cal.source, deployed };
      const warning = deployed && deployedWarning(desired.instanceIdentifier, desired.engine, deployed, clock());
      if (warning) ctx.warn(warning);
      return actual;
    },

    /** A version that cannot be created (and no instance yet) is a change wpdeploy cannot make: `update` says why. */
    diff(desired, actual): Diff {
      const why = refusal(desired, actual, clock());
      return why ? { changes: [{ field: 'engineVersion', from: `${actual.id} (${why})`, to: 'a version RDS can create' }] } : { changes: [] };
    },

    async create() {
      throw new WpdeployError('internal: the engine version check is always found.');
    },

    async update(_ctx, desired, actual) {
      const why = refusal(desired, actual, clock()) ?? 'it cannot be created';
      throw new WpdeployError(`database.engineVersion ${desired.engineVersion}: ${why} (dates from ${actual.source}). Nothing was created.`, {
        hint: desired.engine === 'mysql' && actual.configured?.extendedEnd && !desired.extendedSupport && supportPhase(actual.configured, clock()) === 'extended'
          ? 'Set database.engineVersion to "8.4", or set database.extendedSupport: true to accept the Extended Support charge (`wpdeploy cost` shows it).'
          : 'Set database.engineVersion to a major version in RDS standard support.',
      });
    },

    /** Nothing to delete: a lookup. */
    async delete() {},

    outputs: (a) => ({ major: a.id, standardEnd: a.configured?.standardEnd ?? '', source: a.source }),
  };
}

export const engineLifecycleKind: ReturnType<typeof makeEngineLifecycleKind> = defineKind(makeEngineLifecycleKind());
