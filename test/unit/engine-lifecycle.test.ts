import { describe, expect, it } from 'vitest';
import { ENGINE_LIFECYCLE, notCreatable, supportPhase } from '../../src/config/engine-lifecycle.js';
import { crossFieldIssues } from '../../src/config/cross-field.js';
import { validateConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';

type DatabaseSection = NonNullable<Parameters<typeof crossFieldIssues>[0]['database']>;
const issues = (database: DatabaseSection, now: string) => crossFieldIssues({ database: { engine: 'mysql', extendedSupport: false, ...database } }, new Date(now));

describe('the offline RDS calendar (config check and cost)', () => {
  it('MySQL 8.0 is past RDS standard support since 2026-07-31; 8.4 is in it until 2029-07-31', () => {
    expect(supportPhase(ENGINE_LIFECYCLE.mysql['8.0']!, new Date('2026-07-31T12:00:00Z'))).toBe('ending');
    expect(supportPhase(ENGINE_LIFECYCLE.mysql['8.0']!, new Date('2026-08-01T00:00:01Z'))).toBe('extended');
    expect(supportPhase(ENGINE_LIFECYCLE.mysql['8.0']!, new Date('2029-08-01T00:00:01Z'))).toBe('ended');
    expect(supportPhase(ENGINE_LIFECYCLE.mysql['8.4']!, new Date('2026-12-07T00:00:00Z'))).toBe('standard');
    expect(supportPhase(ENGINE_LIFECYCLE.mysql['8.4']!, new Date('2029-03-01T00:00:00Z'))).toBe('ending');
  });

  it('a version past standard support is creatable only with Extended Support, and never past it; MariaDB has none', () => {
    const l = ENGINE_LIFECYCLE.mysql['8.0']!;
    expect(notCreatable('mysql', '8.0', l, false, new Date('2026-12-07'))).toMatch(/paid RDS Extended Support/);
    expect(notCreatable('mysql', '8.0', l, true, new Date('2026-12-07'))).toBeUndefined();
    expect(notCreatable('mysql', '8.0', l, true, new Date('2029-12-07'))).toMatch(/ended on 2029-07-31/);
    expect(notCreatable('mariadb', '10.6', ENGINE_LIFECYCLE.mariadb['10.6']!, true, new Date('2026-12-07'))).toMatch(/ended on 2026-08-31/);
  });
});

describe('the config check refuses a version that can no longer be created, before any AWS call', () => {
  it('mysql 8.0 without extendedSupport: refused at database.extendedSupport, naming 8.4 and the charge', () => {
    const [issue, ...rest] = issues({ engineVersion: '8.0' }, '2026-12-07T00:00:00Z');
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({ path: 'database.extendedSupport', message: expect.stringMatching(/standard support for mysql 8.0 ended on 2026-07-31/) });
    expect(issue!.fix).toMatch(/"8.4".*extendedSupport: true/);
  });

  it('mysql 8.0 with extendedSupport: accepted (until its Extended Support ends)', () => {
    expect(issues({ engineVersion: '8.0', extendedSupport: true }, '2026-12-07T00:00:00Z')).toEqual([]);
    expect(issues({ engineVersion: '8.0.39', extendedSupport: true }, '2029-08-02T00:00:00Z')[0]).toMatchObject({ path: 'database.engineVersion' });
  });

  it('mariadb 10.6 (standard support ended 2026-08-31, no Extended Support): refused at database.engineVersion', () => {
    const [issue] = crossFieldIssues({ database: { engine: 'mariadb', engineVersion: '10.6', extendedSupport: true } }, new Date('2026-12-07'));
    expect(issue).toMatchObject({ path: 'database.engineVersion', message: expect.stringMatching(/ended on 2026-08-31/) });
    expect(issue!.fix).toMatch(/"10.11"/);
  });

  it('the default is MySQL 8.4 with Extended Support off, and it validates today', () => {
    const c = validateConfig({});
    expect(c.database).toMatchObject({ engine: 'mysql', engineVersion: '8.4', extendedSupport: false });
    expect(() => validateConfig({ database: { engineVersion: '8.0' } })).toThrow(ConfigError);
  });
});
