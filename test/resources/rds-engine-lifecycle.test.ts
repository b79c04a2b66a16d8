import { DescribeDBInstancesCommand, DescribeDBMajorEngineVersionsCommand, RDSClient, type DBMajorEngineVersion } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { engineLifecycle, lifecycleFrom, makeEngineLifecycleKind, type EngineLifecycleSpec } from '../../src/resources/rds-engine-lifecycle.js';
import { awsError, context } from './data-context.js';

const rds = mockClient(RDSClient);
let aws: AwsClients;
beforeEach(() => {
  rds.reset();
  aws = new AwsClients({ region: 'us-east-1', maxAttempts: 1 });
});
afterEach(() => aws.destroy());

const NOW = new Date('2026-12-07T00:00:00Z');
const kind = makeEngineLifecycleKind(() => NOW);
const major = (v: string, standardEnd: string, extendedEnd?: string): DBMajorEngineVersion => ({
  Engine: 'mysql', MajorEngineVersion: v,
  SupportedEngineLifecycles: [
    { LifecycleSupportName: 'open-source-rds-standard-support', LifecycleSupportStartDate: new Date('2020-01-01'), LifecycleSupportEndDate: new Date(`${standardEnd}T00:00:00Z`) },
    ...(extendedEnd ? [{ LifecycleSupportName: 'open-source-rds-extended-support' as const, LifecycleSupportStartDate: new Date(`${standardEnd}T00:00:00Z`), LifecycleSupportEndDate: new Date(`${extendedEnd}T00:00:00Z`) }] : []),
  ],
});
const CALENDAR = { DBMajorEngineVersions: [major('8.0', '2026-07-31', '2029-07-31'), major('8.4', '2029-07-31', '2032-07-31')] };
const spec = (over: Partial<EngineLifecycleSpec> = {}): EngineLifecycleSpec => ({ engine: 'mysql', engineVersion: '8.4', extendedSupport: false, instanceIdentifier: 'blog-db', ...over });
const noInstance = () => rds.on(DescribeDBInstancesCommand).rejects(awsError('DBInstanceNotFound', 404));
const ctx = () => context(aws, 'db-engine-version');

describe('EngineLifecycleSupport', () => {
  it('always sent for MySQL, disabled unless the config opts in; never for MariaDB (AWS applies it to MySQL and PostgreSQL)', () => {
    expect(engineLifecycle('mysql', false)).toBe('open-source-rds-extended-support-disabled');
    expect(engineLifecycle('mysql', true)).toBe('open-source-rds-extended-support');
    expect(engineLifecycle('mariadb', true)).toBeUndefined();
  });
});

describe('the RDS support calendar, asked of AWS at plan time', () => {
  it('reads SupportedEngineLifecycles', () => {
    expect(lifecycleFrom(major('8.0', '2026-07-31', '2029-07-31'))).toEqual({ standardEnd: '2026-07-31', extendedEnd: '2029-07-31' });
  });

  it('8.4, no instance yet: creatable, no change; the dates are AWS\'s', async () => {
    rds.on(DescribeDBMajorEngineVersionsCommand).resolves(CALENDAR);
    noInstance();
    const a = (await kind.find(ctx(), spec()))!;
    expect(rds.commandCalls(DescribeDBMajorEngineVersionsCommand)[0]!.args[0].input).toMatchObject({ Engine: 'mysql' });
    expect(a).toMatchObject({ source: 'AWS', configured: { standardEnd: '2029-07-31' } });
    expect(kind.diff(spec(), a)).toEqual({ changes: [] });
  });

  it('8.0 without extendedSupport and no instance: refused before anything is created, saying why and how', async () => {
    rds.on(DescribeDBMajorEngineVersionsCommand).resolves(CALENDAR);
    noInstance();
    const s = spec({ engineVersion: '8.0' });
    const a = (await kind.find(ctx(), s))!;
    expect(kind.diff(s, a).changes).toHaveLength(1);
    await expect(kind.update!(ctx(), s, a, kind.diff(s, a))).rejects.toThrow(/standard support for mysql 8.0 ended on 2026-07-31.*Nothing was created/);
    expect(kind.diff({ ...s, extendedSupport: true }, a)).toEqual({ changes: [] });
  });

  it('AWS dates win over the offline table: a major AWS no longer lists is refused', async () => {
    rds.on(DescribeDBMajorEngineVersionsCommand).resolves({ DBMajorEngineVersions: [major('8.4', '2029-07-31', '2032-07-31')] });
    noInstance();
    const s = spec({ engineVersion: '8.0', extendedSupport: true });
    const a = (await kind.find(ctx(), s))!;
    expect(kind.diff(s, a).changes[0]!.from).toMatch(/does not offer mysql 8.0/);
  });

  it('a deployed 8.0 instance in Extended Support: a warning with the date and the charge, and no refusal (nothing is created)', async () => {
    rds.on(DescribeDBMajorEngineVersionsCommand).resolves(CALENDAR);
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: 'blog-db', EngineVersion: '8.0.39', EngineLifecycleSupport: 'open-source-rds-extended-support' }] });
    const c = ctx();
    const s = spec({ engineVersion: '8.0' });
    const a = (await kind.find(c, s))!;
    expect(c.warn.mock.calls.join('\n')).toMatch(/runs mysql 8.0.39, past the end of RDS standard support \(2026-07-31\): it is in paid RDS Extended Support until 2029-07-31/);
    expect(kind.diff(s, a)).toEqual({ changes: [] });
  });

  it('a deployed instance within six months of its end of standard support: warned', async () => {
    rds.on(DescribeDBMajorEngineVersionsCommand).resolves({ DBMajorEngineVersions: [major('8.4', '2027-03-31', '2030-03-31')] });
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceIdentifier: 'blog-db', EngineVersion: '8.4.3' }] });
    const c = ctx();
    await kind.find(c, spec());
    expect(c.warn.mock.calls.join('\n')).toMatch(/standard support for 8.4 ends on 2027-03-31/);
  });

  it('on AWS, a failing call fails the check (never a silent pass)', async () => {
    rds.on(DescribeDBMajorEngineVersionsCommand).rejects(awsError('AccessDenied', 403));
    noInstance();
    await expect(kind.find(ctx(), spec())).rejects.toThrow(/AccessDenied/);
  });

  it('an emulator endpoint without the API: the offline table, and a warning that says so', async () => {
    const local = new AwsClients({ region: 'us-east-1', local: true, endpoint: 'http://127.0.0.1:1', maxAttempts: 1 });
    rds.on(DescribeDBMajorEngineVersionsCommand).rejects(awsError('InvalidAction', 400));
    noInstance();
    const c = context(local, 'db-engine-version');
    const a = (await kind.find(c, spec({ engineVersion: '8.0' })))!;
    expect(a.source).toMatch(/wpdeploy's table/);
    expect(c.warn.mock.calls.join('\n')).toMatch(/does not answer DescribeDBMajorEngineVersions/);
    expect(kind.diff(spec({ engineVersion: '8.0' }), a).changes).toHaveLength(1);
    local.destroy();
  });
});
