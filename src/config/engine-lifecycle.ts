/**
 * The RDS support calendar of the engine versions wpdeploy offers: the OFFLINE FALLBACK only, for
 * the config check and `wpdeploy cost`, which run without credentials. At plan time (`plan`, `up`,
 * `status`) the dates come from AWS itself (DescribeDBMajorEngineVersions, SupportedEngineLifecycles:
 * src/resources/rds-engine-lifecycle.ts); where the two differ, AWS wins.
 *
 * Sources, read 2026-12-07:
 * - RDS for MySQL, "Supported MySQL major versions on Amazon RDS":
 *   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/MySQL.Concepts.VersionMgmt.html#MySQL.Concepts.VersionMgmt.ReleaseCalendar
 *   (8.0: end of standard support 2026-07-31, of Extended Support 2029-07-31; 8.4: 2029-07-31 and 2032-07-31).
 * - RDS for MariaDB, "Supported MariaDB major versions on Amazon RDS" (MariaDB has no Extended Support):
 *   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/MariaDB.Concepts.VersionMgmt.html#MariaDB.Concepts.VersionMgmt.ReleaseCalendar
 *   (as mirrored by https://endoflife.date/api/v1/products/amazon-rds-mariadb: 10.6 2026-08-31,
 *   10.11 2028-02-29, 11.4 2029-05-31, 11.8 2030-06-30; 10.5 ended before 10.6: February 2026).
 * - Extended Support: up to 3 years past the end of standard support; a new instance created with
 *   `open-source-rds-extended-support-disabled` past the end of standard support is refused, and
 *   one created without the setting is enrolled and billed
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/extended-support-overview.html,
 *   https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html, EngineLifecycleSupport).
 */

export type DbEngine = 'mysql' | 'mariadb';

export interface MajorLifecycle {
  /** Last day of RDS standard support (ISO date). */
  standardEnd: string;
  /** Last day of RDS Extended Support (ISO date); none for MariaDB. */
  extendedEnd?: string;
}

/** The date of the table, shown with its figures so a reader knows how old they are. */
export const LIFECYCLE_TABLE_DATE = '2026-12-07';

export const ENGINE_LIFECYCLE: Readonly<Record<DbEngine, Readonly<Record<string, MajorLifecycle>>>> = {
  mysql: {
    '8.0': { standardEnd: '2026-07-31', extendedEnd: '2029-07-31' },
    '8.4': { standardEnd: '2029-07-31', extendedEnd: '2032-07-31' },
  },
  mariadb: {
    '10.5': { standardEnd: '2026-02-15' },
    '10.6': { standardEnd: '2026-08-31' },
    '10.11': { standardEnd: '2028-02-29' },
    '11.4': { standardEnd: '2029-05-31' },
    '11.8': { standardEnd: '2030-06-30' },
  },
};

/** The default of `database.engineVersion` per engine: majors in standard support for years yet. */
export const DEFAULT_ENGINE_VERSION: Readonly<Record<DbEngine, string>> = { mysql: '8.4', mariadb: '10.11' };

/** `8.4` from `8.4.3`. */
export const majorOf = (version: string) => version.split('.').slice(0, 2).join('.');

/** How many days before the end of standard support the CLI starts warning (about 6 months). */
const WARN_DAYS_BEFORE_END = 183;

export type SupportPhase = 'standard' | 'ending' | 'extended' | 'ended';

const DAY = 86_400_000;

/**
 * Where a major version stands on `now`: `standard` support, `ending` (standard support ends within
 * six months), `extended` (past standard support, within Extended Support), or `ended` (past both).
 */
export function supportPhase(l: MajorLifecycle, now: Date): SupportPhase {
  const end = Date.parse(`${l.standardEnd}T23:59:59Z`);
  if (now.getTime() <= end) return end - now.getTime() <= WARN_DAYS_BEFORE_END * DAY ? 'ending' : 'standard';
  if (l.extendedEnd && now.getTime() <= Date.parse(`${l.extendedEnd}T23:59:59Z`)) return 'extended';
  return 'ended';
}

/**
 * Why a new instance of this version cannot be created, or undefined when it can: past standard
 * support without `extendedSupport` (AWS refuses the create with Extended Support disabled), past
 * Extended Support, or past standard support of an engine without Extended Support (MariaDB).
 */
export function notCreatable(engine: DbEngine, major: string, l: MajorLifecycle, extendedSupport: boolean, now: Date): string | undefined {
  const phase = supportPhase(l, now);
  if (phase === 'standard' || phase === 'ending') return undefined;
  if (phase === 'ended' || !l.extendedEnd) {
    return `RDS support for ${engine} ${major} ended on ${l.extendedEnd ?? l.standardEnd}: a new instance of it cannot be created`;
  }
  if (!extendedSupport) {
    return `RDS standard support for ${engine} ${major} ended on ${l.standardEnd}: a new instance runs only in paid RDS Extended Support (until ${l.extendedEnd})`;
  }
  return undefined;
}

/** The offline entry of an engine's major version, if the table has it. */
export function offlineLifecycle(engine: DbEngine, version: string): MajorLifecycle | undefined {
  return ENGINE_LIFECYCLE[engine]?.[majorOf(version)];
}
