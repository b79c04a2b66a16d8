/**
 * The data tier end to end: the built CLI against the emulator through the strict proxy (deletes in
 * an order AWS accepts). What exists is read from the emulator, not from the state file. The secret
 * values are read from Secrets Manager and searched for in the state directory and in every output.
 */
import { readdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeNatGatewaysCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand, type Tag } from '@aws-sdk/client-ec2';
import { DescribeClustersCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import {
  DescribeAccessPointsCommand, DescribeBackupPolicyCommand, DescribeFileSystemsCommand, DescribeLifecycleConfigurationCommand,
  DescribeMountTargetsCommand, DescribeMountTargetSecurityGroupsCommand, type FileSystemDescription,
} from '@aws-sdk/client-efs';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import {
  DescribeDBInstancesCommand, DescribeDBParameterGroupsCommand, DescribeDBParametersCommand, DescribeDBProxiesCommand, DescribeDBProxyTargetsCommand, DescribeDBSnapshotsCommand, DescribeDBSubnetGroupsCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { DeleteSecretCommand, DescribeSecretCommand, GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, inject, it } from 'vitest';
import { strictProxyForFile } from '../support/strict-proxy.js';
import { ec2, ecs, efs, rds, unlessNotFound } from '../support/aws.js';
import { runCli, uniqueStack, workdir } from '../support/cli.js';

const moto = inject('motoEndpoint');
const base = { endpoint: moto, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const sm = new SecretsManagerClient(base);
const tagging = new ResourceGroupsTaggingAPIClient(base);
const iam = new IAMClient(base);
const ec2c = ec2(moto);
const efsc = efs(moto);
const rdsc = rds(moto);
const ecsc = ecs(moto);

/**
 * Services only the app tier calls: its own e2e test holds it to zero mutating calls on a converged
 * stack. This file checks the network and data tiers (and IAM, logs, which both use).
 */
const APP_TIER_SERVICES = new Set(['ecs', 'elasticloadbalancing', 'application-autoscaling', 's3', 'acm', 'route53']);
const notAppTier = (c: { service: string }) => !APP_TIER_SERVICES.has(c.service);

const proxy = strictProxyForFile(moto);

const tagMap = (tags: Array<{ Key?: string; Value?: string }> | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]));
const byStack = (stack: string) => [{ Name: 'tag:wpdeploy:stack', Values: [stack] }];

/**
 * Every resource the Tagging API knows for the stack, less what AWS has let go of and moto keeps:
 * NAT gateways in state `deleted`, ECS clusters and services marked INACTIVE.
 */
async function tagged(stack: string): Promise<string[]> {
  const arns: string[] = [];
  let PaginationToken: string | undefined;
  do {
    const r = await tagging.send(new GetResourcesCommand({ TagFilters: [{ Key: 'wpdeploy:stack', Values: [stack] }], PaginationToken }));
    arns.push(...(r.ResourceTagMappingList ?? []).map((m) => m.ResourceARN!));
    PaginationToken = r.PaginationToken || undefined;
  } while (PaginationToken);
  const live: string[] = [];
  for (const arn of arns) {
    const nat = /natgateway\/(nat-[0-9a-f]+)$/.exec(arn)?.[1];
    if (nat) {
      const n = (await ec2c.send(new DescribeNatGatewaysCommand({ NatGatewayIds: [nat] }))).NatGateways?.[0];
      if (!n || n.State === 'deleted') continue;
    }
    const cluster = /:cluster\/([^/]+)$/.exec(arn)?.[1];
    if (cluster && arn.startsWith('arn:aws:ecs:')) {
      const c = (await ecsc.send(new DescribeClustersCommand({ clusters: [cluster] }))).clusters?.[0];
      if (!c || c.status === 'INACTIVE') continue;
    }
    const service = /:service\/([^/]+)\/([^/]+)$/.exec(arn);
    if (service && arn.startsWith('arn:aws:ecs:')) {
      const sv = (await ecsc.send(new DescribeServicesCommand({ cluster: service[1], services: [service[2]!] }))).services?.[0];
      if (!sv || sv.status === 'INACTIVE') continue;
    }
    live.push(arn);
  }
  return live.sort();
}

async function stackFileSystems(stack: string): Promise<FileSystemDescription[]> {
  const out: FileSystemDescription[] = [];
  let Marker: string | undefined;
  do {
    const r = await efsc.send(new DescribeFileSystemsCommand({ Marker }));
    out.push(...(r.FileSystems ?? []).filter((f) => tagMap(f.Tags)['wpdeploy:stack'] === stack));
    Marker = r.NextMarker;
  } while (Marker);
  return out;
}

/** What the CLI sent in its CreateDBInstance for the stack, as query parameters. */
function createDbCall(stack: string): URLSearchParams {
  const call = proxy().calls.find((c) => c.operation === 'CreateDBInstance' && new URLSearchParams(c.body).get('DBInstanceIdentifier') === `${stack}-db`);
  return new URLSearchParams(call?.body ?? '');
}

/** The WordPress container's WORDPRESS_CONFIG_EXTRA, from the registered task definition. */
async function configExtra(stack: string): Promise<string> {
  const td = (await ecsc.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${stack}-wordpress` }))).taskDefinition!;
  return td.containerDefinitions![0]!.environment!.find((e) => e.name === 'WORDPRESS_CONFIG_EXTRA')!.value!;
}

/** Read through the proxy: moto's own DescribeDBParameters answers with its first group's (test/support/rds-shim.ts). */
async function requireSecureTransport(group: string): Promise<string | undefined> {
  const params = (await rds(proxy().url).send(new DescribeDBParametersCommand({ DBParameterGroupName: group, Source: 'user' }))).Parameters ?? [];
  return params.find((x) => x.ParameterName === 'require_secure_transport')?.ParameterValue;
}

/** The instance, or undefined when RDS says there is none (any other error fails the test). */
async function instance(id: string): Promise<DBInstance | undefined> {
  const r = await unlessNotFound(rdsc.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })), 'DBInstanceNotFoundFault');
  return r?.DBInstances?.[0];
}

async function stackSecrets(stack: string) {
  const r = await sm.send(new ListSecretsCommand({ IncludePlannedDeletion: true, Filters: [{ Key: 'name', Values: [`wpdeploy/${stack}/`] }] }));
  return (r.SecretList ?? []).filter((s) => s.Name?.startsWith(`wpdeploy/${stack}/`));
}

async function finalSnapshots(stack: string) {
  const r = await rdsc.send(new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: `${stack}-db`, SnapshotType: 'manual' }));
  return r.DBSnapshots ?? [];
}

async function stepGroup(stack: string, step: string) {
  const groups = (await ec2c.send(new DescribeSecurityGroupsCommand({ Filters: byStack(stack) }))).SecurityGroups ?? [];
  return groups.find((g) => tagMap(g.Tags)['wpdeploy:step'] === step)!.GroupId!;
}

async function tierSubnets(stack: string, tier: string): Promise<string[]> {
  const subnets = (await ec2c.send(new DescribeSubnetsCommand({ Filters: byStack(stack) }))).Subnets ?? [];
  return subnets.filter((s) => tagMap(s.Tags as Tag[])['wpdeploy:step']!.startsWith(`subnet-${tier}-`)).map((s) => s.SubnetId!).sort();
}

/** Every file under a directory, as text. */
function filesUnder(dir: string): Array<[string, string]> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name): Array<[string, string]> => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [[p, readFileSync(p, 'utf8')]];
  });
}

describe('data tier', () => {
  const stack = uniqueStack('data');
  const cwd = workdir();
  const outputs: string[] = [];
  /** The secret values, read from Secrets Manager once they exist. */
  const secretValues = new Set<string>();
  let fileSystemId = '';
  let secretArns: string[] = [];
  writeFileSync(join(cwd, 'wpdeploy.yml'), `stack: ${stack}\nnetwork: { natGateways: single }\ntags: { team: web }\n`);
  const run = async (...args: string[]) => {
    const r = await runCli(args, { cwd, endpoint: proxy().url });
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const expectNoSecretLeaked = () => {
    expect(secretValues.size).toBeGreaterThanOrEqual(9);
    const places: Array<[string, string]> = [...filesUnder(cwd), ...outputs.map((o, i): [string, string] => [`output ${i}`, o])];
    for (const value of secretValues) {
      for (const [where, text] of places) expect(text.includes(value), `a secret value appears in ${where}`).toBe(false);
    }
  };

  it('up builds the instance, the subnet group, the secrets and the file system as the issue asks', async () => {
    const r = await run('up');
    expect(r.code, r.stderr + r.stdout).toBe(0);

    const db = (await instance(`${stack}-db`))!;
    const dbGroup = await stepGroup(stack, 'sg-db');
    expect(db).toMatchObject({
      DBInstanceStatus: 'available', Engine: 'mysql', DBInstanceClass: 'db.t4g.micro', AllocatedStorage: 20, StorageType: 'gp3', MultiAZ: true,
      StorageEncrypted: true, PubliclyAccessible: false, BackupRetentionPeriod: 7, DeletionProtection: true, CopyTagsToSnapshot: true,
      AutoMinorVersionUpgrade: true, DBName: 'wordpress', MasterUsername: 'wpadmin',
    });
    // MySQL 8.4 by default, Extended Support disabled; TLS required by its parameter group and used by WordPress.
    expect(db.EngineVersion).toMatch(/^8\.4/);
    const sent = createDbCall(stack);
    expect(sent.get('EngineLifecycleSupport')).toBe('open-source-rds-extended-support-disabled');
    expect(db.DBParameterGroups?.map((g) => g.DBParameterGroupName)).toEqual([`${stack}-db-mysql8-4`]);
    expect(await requireSecureTransport(`${stack}-db-mysql8-4`)).toBe('1');
    expect(await configExtra(stack)).toContain("define('MYSQL_CLIENT_FLAGS', MYSQLI_CLIENT_SSL | MYSQLI_CLIENT_SSL_DONT_VERIFY_SERVER_CERT);");
    expect(proxy().createRules.refused).toEqual([]);
    expect(r.stderr).not.toMatch(/does not answer DescribeDBMajorEngineVersions/);
    expect(proxy().calls.some((c) => c.operation === 'DescribeDBMajorEngineVersions')).toBe(true);
    expect([...(db.EnabledCloudwatchLogsExports ?? [])].sort()).toEqual(['error', 'slowquery']);
    expect(db.VpcSecurityGroups?.map((g) => g.VpcSecurityGroupId)).toEqual([dbGroup]);
    expect(tagMap(db.TagList)).toMatchObject({ 'wpdeploy:stack': stack, 'wpdeploy:step': 'db', Name: `${stack}-db`, team: 'web' });

    const group = (await rdsc.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: db.DBSubnetGroup!.DBSubnetGroupName! }))).DBSubnetGroups![0]!;
    expect(group.Subnets!.map((s) => s.SubnetIdentifier).sort()).toEqual(await tierSubnets(stack, 'data'));

    const dbSecret = await sm.send(new DescribeSecretCommand({ SecretId: `wpdeploy/${stack}/db` }));
    const saltSecret = await sm.send(new DescribeSecretCommand({ SecretId: `wpdeploy/${stack}/wp-salts` }));
    for (const s of [dbSecret, saltSecret]) expect(tagMap(s.Tags)).toMatchObject({ 'wpdeploy:stack': stack, team: 'web' });
    secretArns = [dbSecret.ARN!, saltSecret.ARN!].sort();
    const creds = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: dbSecret.ARN }))).SecretString!);
    expect(creds).toMatchObject({ username: 'wpadmin', engine: 'mysql', host: db.Endpoint!.Address, port: 3306, dbname: 'wordpress' });
    expect(creds.password).toHaveLength(32);
    expect(creds.password).not.toMatch(/[/@" ]/);
    const salts = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: saltSecret.ARN }))).SecretString!);
    expect(Object.keys(salts).sort()).toEqual(['AUTH_KEY', 'AUTH_SALT', 'LOGGED_IN_KEY', 'LOGGED_IN_SALT', 'NONCE_KEY', 'NONCE_SALT', 'SECURE_AUTH_KEY', 'SECURE_AUTH_SALT']);
    secretValues.add(creds.password);
    for (const v of Object.values(salts)) {
      expect(v).toHaveLength(64);
      secretValues.add(v as string);
    }

    const [fs, ...more] = await stackFileSystems(stack);
    expect(more).toEqual([]);
    fileSystemId = fs!.FileSystemId!;
    expect(fs).toMatchObject({ Encrypted: true, PerformanceMode: 'generalPurpose', ThroughputMode: 'elastic', LifeCycleState: 'available' });
    expect(tagMap(fs!.Tags)).toMatchObject({ 'wpdeploy:step': 'efs', team: 'web' });
    expect((await efsc.send(new DescribeLifecycleConfigurationCommand({ FileSystemId: fileSystemId }))).LifecyclePolicies).toEqual([{ TransitionToIA: 'AFTER_30_DAYS' }]);
    expect((await efsc.send(new DescribeBackupPolicyCommand({ FileSystemId: fileSystemId }))).BackupPolicy?.Status).toBe('ENABLED');
    const mounts = (await efsc.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }))).MountTargets ?? [];
    expect(mounts.map((m) => m.SubnetId).sort()).toEqual(await tierSubnets(stack, 'app'));
    const efsGroup = await stepGroup(stack, 'sg-efs');
    for (const m of mounts) {
      expect(m.LifeCycleState).toBe('available');
      expect((await efsc.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: m.MountTargetId }))).SecurityGroups).toEqual([efsGroup]);
    }
    const aps = (await efsc.send(new DescribeAccessPointsCommand({ FileSystemId: fileSystemId }))).AccessPoints ?? [];
    expect(aps).toHaveLength(1);
    expect(aps[0]).toMatchObject({
      PosixUser: { Uid: 33, Gid: 33 },
      RootDirectory: { Path: '/wordpress/wp-content', CreationInfo: { OwnerUid: 33, OwnerGid: 33, Permissions: '0755' } },
    });
    expect(tagMap(aps[0]!.Tags)).toMatchObject({ 'wpdeploy:stack': stack, 'wpdeploy:step': 'efs-ap-content' });
  });

  it('no secret value appears in the state directory, stdout or stderr', () => expectNoSecretLeaked());

  it('a second up makes zero mutating calls', async () => {
    proxy().reset();
    const r = await run('up');
    expect(r.code, r.stderr).toBe(0);
    expect(proxy().mutating().filter(notAppTier).map((c) => `${c.service} ${c.operation}`)).toEqual([]);
    expect(proxy().reads().length).toBeGreaterThan(0);
  });

  it('down --yes lifts deletion protection and says so, and keeps a snapshot, the file system and the secrets: nothing else', async () => {
    proxy().reset();
    const r = await run('down', '--yes');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(proxy().rules.refused).toEqual([]);
    // AWS answers DBParameterGroupNotFound, moto an empty list: either way, gone.
    const groupsLeft = await unlessNotFound(rdsc.send(new DescribeDBParameterGroupsCommand({ DBParameterGroupName: `${stack}-db-mysql8-4` })), 'DBParameterGroupNotFoundFault');
    expect(groupsLeft?.DBParameterGroups ?? []).toEqual([]);
    expect(r.stdout + r.stderr).toMatch(/lifting the deletion protection of db instance/);
    const ops = proxy().calls.map((c) => c.operation);
    expect(ops.indexOf('ModifyDBInstance')).toBeLessThan(ops.indexOf('DeleteDBInstance'));
    expect(decodeURIComponent(proxy().calls.find((c) => c.operation === 'DeleteDBInstance')!.body)).toMatch(new RegExp(`FinalDBSnapshotIdentifier=${stack}-final-\\d{14}`));

    const snaps = await finalSnapshots(stack);
    expect(snaps).toHaveLength(1);
    expect(snaps[0]!.DBSnapshotIdentifier).toMatch(new RegExp(`^${stack}-final-\\d{14}$`));
    expect(tagMap(snaps[0]!.TagList)).toMatchObject({ 'wpdeploy:stack': stack, team: 'web' });
    expect(await instance(`${stack}-db`)).toBeUndefined();
    expect((await stackSecrets(stack)).map((s) => s.ARN).sort()).toEqual(secretArns);
    expect((await stackFileSystems(stack)).map((f) => f.FileSystemId)).toEqual([fileSystemId]);
    expect((await efsc.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }))).MountTargets).toEqual([]);

    const left = await tagged(stack);
    expect(left).toEqual([snaps[0]!.DBSnapshotArn!, `arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/${fileSystemId}`, ...secretArns].sort());
    expect(r.stdout).toMatch(/Kept/);
  });

  it('up then restores the instance from that snapshot and reuses the same file system and secrets', async () => {
    const [snap] = await finalSnapshots(stack);
    // meanwhile someone scheduled the salts for deletion: up restores the secret rather than failing on its name
    const saltsArn = secretArns.find((a) => a.includes(`/${stack}/wp-salts`))!;
    await sm.send(new DeleteSecretCommand({ SecretId: saltsArn, RecoveryWindowInDays: 7 }));
    proxy().reset();
    const r = await run('up');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(proxy().calls.filter((c) => c.operation === 'RestoreSecret').map((c) => JSON.parse(c.body).SecretId)).toEqual([saltsArn]);
    expect((await sm.send(new DescribeSecretCommand({ SecretId: saltsArn }))).DeletedDate).toBeUndefined();
    expect(r.stdout + r.stderr).toMatch(/scheduled for deletion.*restored it/);
    const restore = proxy().calls.filter((c) => c.operation === 'RestoreDBInstanceFromDBSnapshot');
    expect(restore).toHaveLength(1);
    expect(new URLSearchParams(restore[0]!.body).get('DBSnapshotIdentifier')).toBe(snap!.DBSnapshotIdentifier);
    const ops = proxy().mutating().map((c) => c.operation);
    expect(ops).not.toContain('CreateDBInstance');
    expect(ops).not.toContain('CreateSecret');
    expect(ops).not.toContain('POST /2015-02-01/file-systems');
    expect((await stackFileSystems(stack)).map((f) => f.FileSystemId)).toEqual([fileSystemId]);
    expect((await stackSecrets(stack)).map((s) => s.ARN).sort()).toEqual(secretArns);
    const db = (await instance(`${stack}-db`))!;
    expect(db).toMatchObject({ DBInstanceStatus: 'available', MultiAZ: true, StorageEncrypted: true, DeletionProtection: true, BackupRetentionPeriod: 7 });
    const creds = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: secretArns.find((a) => a.includes(`/${stack}/db`)) }))).SecretString!);
    expect(secretValues.has(creds.password)).toBe(true); // the kept password, not a new one
    expect(creds.host).toBe(db.Endpoint!.Address);
    expect((await efsc.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }))).MountTargets).toHaveLength(2);
    proxy().reset();
    expect((await run('up')).code).toBe(0);
    expect(proxy().mutating().filter(notAppTier)).toEqual([]);
  });

  it('down --purge --yes leaves nothing at all, and no secret value was ever shown or stored', async () => {
    proxy().reset();
    const r = await run('down', '--purge', '--yes');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(proxy().rules.refused).toEqual([]);
    const del = proxy().calls.filter((c) => c.operation === 'DeleteSecret');
    expect(del).toHaveLength(2);
    for (const c of del) expect(JSON.parse(c.body)).toMatchObject({ ForceDeleteWithoutRecovery: true });
    expect(await tagged(stack)).toEqual([]);
    expect(await stackSecrets(stack)).toEqual([]);
    expect(await finalSnapshots(stack)).toEqual([]);
    expect(await stackFileSystems(stack)).toEqual([]);
    expect(await instance(`${stack}-db`)).toBeUndefined();
    expect(existsSync(join(cwd, 'state', `${stack}.json`))).toBe(false);
    expectNoSecretLeaked();
  });
});

describe('data tier with RDS Proxy', () => {
  const stack = uniqueStack('proxy');
  const cwd = workdir();
  writeFileSync(join(cwd, 'wpdeploy.yml'), `stack: ${stack}\nnetwork: { natGateways: single }\ndatabase: { proxy: true }\n`);
  const run = (...args: string[]) => runCli(args, { cwd, endpoint: proxy().url });

  it('up puts a proxy in front of the instance: the secret through a role that reads only it, its own security group, the instance registered', async () => {
    const r = await run('up');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const p = (await rdsc.send(new DescribeDBProxiesCommand({ DBProxyName: `${stack}-db-proxy` }))).DBProxies![0]!;
    const secret = await sm.send(new DescribeSecretCommand({ SecretId: `wpdeploy/${stack}/db` }));
    expect(p).toMatchObject({ EngineFamily: 'MYSQL', RequireTLS: true });
    // Through the proxy (RequireTLS), WordPress uses TLS and verifies the proxy's public certificate.
    expect(await configExtra(stack)).toContain("define('MYSQL_CLIENT_FLAGS', MYSQLI_CLIENT_SSL | MYSQLI_CLIENT_SSL_VERIFY_SERVER_CERT);");
    expect(await requireSecureTransport(`${stack}-db-mysql8-4`)).toBe('1');
    expect(proxy().createRules.refused).toEqual([]);
    expect(p.Auth?.map((a) => a.SecretArn)).toEqual([secret.ARN]);
    expect(p.VpcSecurityGroupIds).toEqual([await stepGroup(stack, 'sg-db-proxy')]);
    expect([...(p.VpcSubnetIds ?? [])].sort()).toEqual(await tierSubnets(stack, 'data'));
    const targets = (await rdsc.send(new DescribeDBProxyTargetsCommand({ DBProxyName: p.DBProxyName }))).Targets ?? [];
    expect(targets.map((t) => t.RdsResourceId)).toEqual([`${stack}-db`]);

    const roleName = p.RoleArn!.split('/').pop()!;
    const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
    expect(names).toEqual(['read-db-secret']);
    const doc = JSON.parse(decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: names[0] }))).PolicyDocument!));
    expect(doc.Statement).toEqual([{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [secret.ARN] }]);

    const sg = (await ec2c.send(new DescribeSecurityGroupsCommand({ GroupIds: [p.VpcSecurityGroupIds![0]!] }))).SecurityGroups![0]!;
    expect(sg.IpPermissions?.map((x) => [x.FromPort, x.UserIdGroupPairs?.[0]?.GroupId])).toEqual([[3306, await stepGroup(stack, 'sg-app')]]);
    expect(sg.IpPermissionsEgress?.map((x) => [x.FromPort, x.UserIdGroupPairs?.[0]?.GroupId])).toEqual([[3306, await stepGroup(stack, 'sg-db')]]);
  });

  it('down --purge --yes removes the proxy with the rest', async () => {
    const p = (await rdsc.send(new DescribeDBProxiesCommand({ DBProxyName: `${stack}-db-proxy` }))).DBProxies![0]!;
    const r = await run('down', '--purge', '--yes');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(proxy().rules.refused).toEqual([]);
    expect(await tagged(stack)).toEqual([]);
    await expect(rdsc.send(new DescribeDBProxiesCommand({ DBProxyName: `${stack}-db-proxy` }))).rejects.toMatchObject({ name: 'DBProxyNotFoundFault' });
    await expect(iam.send(new GetRoleCommand({ RoleName: p.RoleArn!.split('/').pop()! }))).rejects.toMatchObject({ name: 'NoSuchEntityException' }); // IAM is not in the Tagging API
  });
});
