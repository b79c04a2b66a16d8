/**
 * The creation-side rules of test/support/aws-rules-create.ts and the RDS shim of
 * test/support/rds-shim.ts, each proved through the strict proxy against the emulator: what AWS
 * refuses (or what would break the site) is refused with a reason, and what is fine goes through.
 */
import { DeregisterTaskDefinitionCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import {
  CreateDBInstanceCommand, CreateDBParameterGroupCommand, DeleteDBInstanceCommand, DeleteDBParameterGroupCommand, DescribeDBInstancesCommand,
  DescribeDBMajorEngineVersionsCommand, ModifyDBParameterGroupCommand,
} from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startStrictProxy } from '../support/aws-rules.js';
import { ecs, rds, unlessNotFound } from '../support/aws.js';

const moto = inject('motoEndpoint');
let proxy: Awaited<ReturnType<typeof startStrictProxy>>;
const direct = { rds: rds(moto), ecs: ecs(moto) };
let via: typeof direct;
const cleanup: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  proxy = await startStrictProxy(moto);
  via = { rds: rds(proxy.url), ecs: ecs(proxy.url) };
});
afterAll(async () => {
  // A test that failed before its create leaves nothing to remove: only not-found is passed over.
  for (const f of cleanup.reverse()) await unlessNotFound(f(), 'DBInstanceNotFoundFault', 'DBParameterGroupNotFoundFault');
  await proxy.close();
});

const uid = () => Math.random().toString(36).slice(2, 8);
const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error & { $metadata: { httpStatusCode?: number } });

function createDb(id: string, version: string, lifecycle?: string, group?: string) {
  return new CreateDBInstanceCommand({
    DBInstanceIdentifier: id, Engine: 'mysql', EngineVersion: version, DBInstanceClass: 'db.t4g.micro', AllocatedStorage: 20,
    MasterUsername: 'admin', MasterUserPassword: 'password-123456', ...(lifecycle ? { EngineLifecycleSupport: lifecycle } : {}),
    ...(group ? { DBParameterGroupName: group } : {}),
  });
}
const dropDb = (id: string) => () => direct.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true }));

describe('CreateDBInstance and the RDS support calendar', () => {
  it('MySQL 8.0 (past standard support) without EngineLifecycleSupport: refused, AWS would enroll it in paid Extended Support', async () => {
    const id = `rules-${uid()}`;
    const e = await errorOf(via.rds.send(createDb(id, '8.0')));
    expect(e?.name).toBe('WpdeployRules.PaidExtendedSupport');
    expect(proxy.createRules.refused.at(-1)).toMatchObject({ rule: 'engine lifecycle' });
  });

  it('MySQL 8.0 with Extended Support disabled: refused as AWS refuses it', async () => {
    const e = await errorOf(via.rds.send(createDb(`rules-${uid()}`, '8.0.39', 'open-source-rds-extended-support-disabled')));
    expect(e?.name).toBe('InvalidParameterCombination');
  });

  it('MySQL 8.0 opted into Extended Support, and 8.4 with it disabled: let through, and the setting is kept as AWS keeps it', async () => {
    const a = `rules-${uid()}`;
    const b = `rules-${uid()}`;
    cleanup.push(dropDb(a), dropDb(b));
    await via.rds.send(createDb(a, '8.0', 'open-source-rds-extended-support'));
    await via.rds.send(createDb(b, '8.4', 'open-source-rds-extended-support-disabled'));
    const seen = async (id: string) => (await via.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0]!.EngineLifecycleSupport;
    expect(await seen(a)).toBe('open-source-rds-extended-support');
    expect(await seen(b)).toBe('open-source-rds-extended-support-disabled');
  });

  it('DescribeDBMajorEngineVersions is answered as AWS does: standard and Extended Support dates for MySQL, standard only for MariaDB', async () => {
    const mysql = (await via.rds.send(new DescribeDBMajorEngineVersionsCommand({ Engine: 'mysql', MajorEngineVersion: '8.0' }))).DBMajorEngineVersions!;
    expect(mysql).toHaveLength(1);
    expect(mysql[0]!.SupportedEngineLifecycles!.map((l) => [l.LifecycleSupportName, l.LifecycleSupportEndDate!.toISOString().slice(0, 10)])).toEqual([
      ['open-source-rds-standard-support', '2026-07-31'], ['open-source-rds-extended-support', '2029-07-31'],
    ]);
    const mariadb = (await via.rds.send(new DescribeDBMajorEngineVersionsCommand({ Engine: 'mariadb' }))).DBMajorEngineVersions!;
    expect(mariadb.flatMap((v) => v.SupportedEngineLifecycles!.map((l) => l.LifecycleSupportName))).not.toContain('open-source-rds-extended-support');
  });
});

describe('TLS pairing: a task definition whose WordPress does not use TLS to a database that requires it', () => {
  let tlsHost = '';
  let plainHost = '';
  beforeAll(async () => {
    const group = `rules-tls-${uid()}`;
    // Through the proxy, as the CLI sets it (the RDS shim keeps what moto's DescribeDBParameters loses).
    await via.rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: group, DBParameterGroupFamily: 'mysql8.4', Description: 'aws-rules-create' }));
    await via.rds.send(new ModifyDBParameterGroupCommand({ DBParameterGroupName: group, Parameters: [{ ParameterName: 'require_secure_transport', ParameterValue: '1', ApplyMethod: 'immediate' }] }));
    const tls = `rules-${uid()}`;
    const plain = `rules-${uid()}`;
    cleanup.push(() => direct.rds.send(new DeleteDBParameterGroupCommand({ DBParameterGroupName: group })), dropDb(tls), dropDb(plain));
    tlsHost = (await direct.rds.send(createDb(tls, '8.4', undefined, group))).DBInstance!.Endpoint?.Address
      ?? (await direct.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: tls }))).DBInstances![0]!.Endpoint!.Address!;
    await direct.rds.send(createDb(plain, '8.4'));
    plainHost = (await direct.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: plain }))).DBInstances![0]!.Endpoint!.Address!;
  });

  const register = async (host: string, extra: string) => {
    const family = `rules-${uid()}`;
    const registered = await via.ecs.send(new RegisterTaskDefinitionCommand({
      family,
      containerDefinitions: [{ name: 'wordpress', image: 'wordpress', memory: 512, environment: [{ name: 'WORDPRESS_DB_HOST', value: `${host}:3306` }, { name: 'WORDPRESS_CONFIG_EXTRA', value: extra }] }],
    }));
    cleanup.push(() => direct.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: `${family}:1` })));
    return registered;
  };
  const SSL = "define('MYSQL_CLIENT_FLAGS', MYSQLI_CLIENT_SSL | MYSQLI_CLIENT_SSL_DONT_VERIFY_SERVER_CERT);";
  const VERIFY = "define('MYSQL_CLIENT_FLAGS', MYSQLI_CLIENT_SSL | MYSQLI_CLIENT_SSL_VERIFY_SERVER_CERT);";

  it('no MYSQLI_CLIENT_SSL to an instance whose parameter group requires secure transport: refused, naming the group', async () => {
    const e = await errorOf(register(tlsHost, '// no flags'));
    expect(e?.name).toBe('ClientException');
    expect(e?.message).toMatch(/without TLS .* require_secure_transport=1/);
  });

  it('with MYSQLI_CLIENT_SSL: let through', async () => {
    await expect(register(tlsHost, SSL)).resolves.toBeDefined();
  });

  it('verifying the certificate of an RDS instance (an RDS CA the image does not trust): refused', async () => {
    expect((await errorOf(register(tlsHost, VERIFY)))?.message).toMatch(/RDS CA the image does not trust/);
  });

  it('an instance that does not require TLS: a plaintext client is let through (the rule pairs, it does not guess)', async () => {
    await expect(register(plainHost, '// no flags')).resolves.toBeDefined();
  });

  it('no lookup failed', () => expect(proxy.createRules.refused.filter((r) => r.code === 'RulesLookupFailed')).toEqual([]));
});
