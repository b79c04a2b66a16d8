/**
 * The AWS Foundational Security Best Practices controls that apply to this architecture (docs/architecture.md), checked on what the emulator
 * holds after one `up` of a whole stack with a domain (the test creates the public hosted zone
 * first). Every check reads AWS through SDK clients pointed straight at moto, never the state file.
 * One `it` per control, named by its id; docs/architecture.md "Security controls" lists them, met or not, and
 * why. The file ends with `down --purge --yes`, which must leave nothing of the stack.
 *
 * The config keeps every default but one: `logs.retentionDays: 365`, the threshold CloudWatch.16
 * applies unless its `minRetentionTime` parameter is lowered (the default 30 days would fail it).
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloudWatchLogsClient, DescribeLogGroupsCommand, type LogGroup } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeFlowLogsCommand, DescribeNetworkAclsCommand, DescribeSecurityGroupsCommand, DescribeSubnetsCommand, type NetworkAcl, type SecurityGroup, type Tag,
} from '@aws-sdk/client-ec2';
import { DescribeClustersCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, ListTaskDefinitionsCommand, type TaskDefinition } from '@aws-sdk/client-ecs';
import { DescribeAccessPointsCommand, DescribeFileSystemsCommand, type FileSystemDescription } from '@aws-sdk/client-efs';
import {
  DescribeListenersCommand, DescribeLoadBalancerAttributesCommand, DescribeLoadBalancersCommand, DescribeRulesCommand, type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  GetPolicyCommand, GetPolicyVersionCommand, GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand, ListRolesCommand,
  ListRoleTagsCommand,
} from '@aws-sdk/client-iam';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { CreateHostedZoneCommand, DeleteHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { GetBucketPolicyCommand, GetPublicAccessBlockCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startStrictProxy } from '../support/aws-rules.js';
import { ec2, ecs, efs, elbv2, rds, stackVpcs } from '../support/aws.js';
import { runCli, uniqueStack, workdir } from '../support/cli.js';
import { inventory } from '../support/inventory.js';

const moto = inject('motoEndpoint');
const base = { endpoint: moto, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const ACCOUNT = '123456789012';
const README = fileURLToPath(new URL('../../docs/architecture.md', import.meta.url));

let proxy: Awaited<ReturnType<typeof startStrictProxy>>;
beforeAll(async () => {
  proxy = await startStrictProxy(moto);
});
afterAll(async () => {
  await proxy.close();
});

const ec2c = ec2(moto);
const ecsc = ecs(moto);
const efsc = efs(moto);
const elb = elbv2(moto);
const rdsc = rds(moto);
const iam = new IAMClient(base);
const logs = new CloudWatchLogsClient(base);
const s3 = new S3Client({ ...base, forcePathStyle: true });
const sm = new SecretsManagerClient(base);
const route53 = new Route53Client(base);

const tagMap = (tags: Array<{ Key?: string; Value?: string }> | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]));
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const WORLD4 = '0.0.0.0/0';
const WORLD6 = '::/0';

type Statement = { Effect?: string; Action?: string | string[]; NotAction?: string | string[]; Resource?: string | string[]; Principal?: unknown; Condition?: Record<string, Record<string, unknown>> };
const statementsOf = (doc: string | undefined): Statement[] => list((JSON.parse(decodeURIComponent(doc ?? '{}')) as { Statement?: Statement | Statement[] }).Statement);

/** Every file under a directory, as text. */
function filesUnder(dir: string): Array<[string, string]> {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name): Array<[string, string]> => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [[p, readFileSync(p, 'utf8')]];
  });
}

describe('FSBP controls on a whole stack with a domain', () => {
  const stack = uniqueStack('sec');
  const zone = `${stack}.example.com`;
  const domain = `www.${zone}`;
  const bucket = `${stack}-alb-logs-${ACCOUNT}-us-east-1`;
  const cwd = workdir();
  const outputs: Array<[string, string]> = [];
  const run = async (...args: string[]) => {
    const r = await runCli(args, { cwd, endpoint: proxy.url });
    outputs.push([`stdout of ${args.join(' ')}`, r.stdout], [`stderr of ${args.join(' ')}`, r.stderr]);
    return r;
  };
  let zoneId = '';

  // What the emulator holds, read once `up` has run.
  const vpcId = async () => {
    const vpcs = await stackVpcs(moto, stack);
    expect(vpcs).toHaveLength(1);
    return vpcs[0]!.VpcId!;
  };
  const loadBalancer = async (): Promise<LoadBalancer> => (await elb.send(new DescribeLoadBalancersCommand({ Names: [`${stack}-alb`] }))).LoadBalancers![0]!;
  const lbAttributes = async () => {
    const lb = await loadBalancer();
    return Object.fromEntries(((await elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Attributes ?? []).map((a) => [a.Key, a.Value]));
  };
  const listeners = async () => (await elb.send(new DescribeListenersCommand({ LoadBalancerArn: (await loadBalancer()).LoadBalancerArn }))).Listeners ?? [];
  const dbInstance = async () => (await rdsc.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: `${stack}-db` }))).DBInstances![0]!;
  /** Every revision of the stack's task definition family, as the emulator holds them. */
  const taskDefinitions = async (): Promise<TaskDefinition[]> => {
    const arns = (await ecsc.send(new ListTaskDefinitionsCommand({ familyPrefix: `${stack}-wordpress` }))).taskDefinitionArns ?? [];
    expect(arns.length).toBeGreaterThan(0);
    return Promise.all(arns.map(async (a) => (await ecsc.send(new DescribeTaskDefinitionCommand({ taskDefinition: a }))).taskDefinition!));
  };
  const latestTaskDefinition = async () => (await ecsc.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${stack}-wordpress` }))).taskDefinition!;
  const stackFileSystem = async (): Promise<FileSystemDescription> => {
    const all = (await efsc.send(new DescribeFileSystemsCommand({}))).FileSystems ?? [];
    const mine = all.filter((f) => tagMap(f.Tags)['wpdeploy:stack'] === stack);
    expect(mine).toHaveLength(1);
    return mine[0]!;
  };
  const securityGroups = async (): Promise<SecurityGroup[]> =>
    (await ec2c.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [await vpcId()] }] }))).SecurityGroups ?? [];
  const stepOf = (tags: Tag[] | undefined) => tagMap(tags)['wpdeploy:step'];
  /** The secret values (database password, the eight salts), read from Secrets Manager. */
  const secretValues = async (): Promise<string[]> => {
    const db = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: `wpdeploy/${stack}/db` }))).SecretString!) as Record<string, unknown>;
    const salts = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: `wpdeploy/${stack}/wp-salts` }))).SecretString!) as Record<string, string>;
    const values = [String(db.password), ...Object.values(salts)];
    expect(values).toHaveLength(9);
    for (const v of values) expect(v.length).toBeGreaterThanOrEqual(16);
    return values;
  };
  /** The stack's IAM roles (under /wpdeploy/, tagged with the stack), with every policy document they carry. */
  const stackRoles = async () => {
    const roles = (await iam.send(new ListRolesCommand({ PathPrefix: '/wpdeploy/' }))).Roles ?? [];
    const out: Array<{ name: string; step: string; policies: Array<{ name: string; kind: 'inline' | 'attached'; statements: Statement[] }> }> = [];
    // Roles are named `<stack>-<role>-<region>`: another stack's are not read (another test file may
    // delete them between the listing and the read); the tags of ours decide.
    for (const r of roles.filter((x) => x.RoleName!.startsWith(`${stack}-`))) {
      const tags = tagMap((await iam.send(new ListRoleTagsCommand({ RoleName: r.RoleName! }))).Tags);
      if (tags['wpdeploy:stack'] !== stack) continue;
      const policies: (typeof out)[number]['policies'] = [];
      for (const p of (await iam.send(new ListRolePoliciesCommand({ RoleName: r.RoleName! }))).PolicyNames ?? []) {
        const doc = (await iam.send(new GetRolePolicyCommand({ RoleName: r.RoleName!, PolicyName: p }))).PolicyDocument;
        policies.push({ name: p, kind: 'inline', statements: statementsOf(doc) });
      }
      for (const a of (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: r.RoleName! }))).AttachedPolicies ?? []) {
        const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: a.PolicyArn }))).Policy!;
        const version = (await iam.send(new GetPolicyVersionCommand({ PolicyArn: a.PolicyArn, VersionId: policy.DefaultVersionId }))).PolicyVersion!;
        policies.push({ name: a.PolicyArn!, kind: 'attached', statements: statementsOf(version.Document) });
      }
      out.push({ name: r.RoleName!, step: tags['wpdeploy:step']!, policies });
    }
    return out;
  };

  /** An ECS cluster or service ARN that moto still lists but holds as INACTIVE (deleted, for AWS). */
  const ecsInactive = async (arn: string): Promise<boolean> => {
    const cluster = /^arn:aws:ecs:[^:]+:\d+:cluster\/([^/]+)$/.exec(arn)?.[1];
    if (cluster) return (await ecsc.send(new DescribeClustersCommand({ clusters: [cluster] }))).clusters?.[0]?.status === 'INACTIVE';
    const service = /^arn:aws:ecs:[^:]+:\d+:service\/([^/]+)\/([^/]+)$/.exec(arn);
    if (service) return (await ecsc.send(new DescribeServicesCommand({ cluster: service[1], services: [service[2]!] }))).services?.[0]?.status === 'INACTIVE';
    return false;
  };

  beforeAll(async () => {
    const z = await route53.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `${stack}-${Date.now()}` }));
    zoneId = z.HostedZone!.Id!.replace('/hostedzone/', '');
    writeFileSync(join(cwd, 'wpdeploy.yml'), [
      `stack: ${stack}`,
      'domain:',
      `  name: ${domain}`,
      `  hostedZone: ${zone}`,
      'logs:',
      '  retentionDays: 365',
    ].join('\n') + '\n');
  });

  it('up builds the whole stack', async () => {
    const r = await run('up');
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(proxy.rules.lookupErrors).toEqual([]);
    const s = await run('status');
    expect(s.code, `${s.stdout}\n${s.stderr}`).toBe(0);
    const j = await run('status', '--json');
    expect(j.code, j.stderr).toBe(0);
  });

  // ---- ECS ------------------------------------------------------------------------------------

  it('ECS.2: the service assigns no public IP to its tasks', async () => {
    const s = (await ecsc.send(new DescribeServicesCommand({ cluster: `${stack}-cluster`, services: [`${stack}-wordpress`] }))).services![0]!;
    expect(s.status).toBe('ACTIVE');
    const net = s.networkConfiguration?.awsvpcConfiguration;
    expect(net).toBeDefined();
    expect(net!.assignPublicIp).toBe('DISABLED');
    // and its subnets are the private app subnets, which do not map public IPs on launch
    const subnets = (await ec2c.send(new DescribeSubnetsCommand({ SubnetIds: net!.subnets }))).Subnets ?? [];
    expect(subnets).toHaveLength(2);
    for (const sn of subnets) {
      expect(stepOf(sn.Tags)).toMatch(/^subnet-app-/);
      expect(sn.MapPublicIpOnLaunch ?? false).toBe(false);
    }
  });

  it('ECS.5 is not met, by design: the root file system is writable, and docs/architecture.md says why', async () => {
    for (const td of await taskDefinitions()) {
      for (const c of td.containerDefinitions ?? []) expect(c.readonlyRootFilesystem, c.name).toBe(false);
    }
    const readme = readFileSync(README, 'utf8');
    expect(readme).toMatch(/^\| ECS\.5 [^|]*\| no \|.*`\/var\/www\/html`.*`\/tmp`.*Apache/m);
  });

  it('ECS.8: no secret in the container environment: neither by name nor by value', async () => {
    const values = await secretValues();
    const tds = await taskDefinitions();
    for (const td of tds) {
      for (const c of td.containerDefinitions ?? []) {
        const names = (c.environment ?? []).map((e) => e.name!);
        // the names the control looks for, and any name that says it holds a credential
        for (const n of names) {
          expect(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'ECS_ENGINE_AUTH_DATA'], n).not.toContain(n);
          expect(n, 'a credential-like name in environment').not.toMatch(/PASSWORD|PASSWD|SECRET|TOKEN|SALT|_KEY$|_USER$|CREDENTIAL/i);
        }
        // the credentials the container needs come through secrets[].valueFrom, from this stack's secrets
        const refs = Object.fromEntries((c.secrets ?? []).map((s) => [s.name!, s.valueFrom!]));
        expect(Object.keys(refs)).toEqual(expect.arrayContaining(['WORDPRESS_DB_USER', 'WORDPRESS_DB_PASSWORD', 'WORDPRESS_AUTH_KEY', 'WORDPRESS_NONCE_SALT']));
        for (const [n, ref] of Object.entries(refs)) {
          expect(ref, n).toMatch(new RegExp(`^arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:wpdeploy/${stack}/(db|wp-salts)-[A-Za-z0-9]+:[A-Z_a-z]+::$`));
          expect(names, `${n} is also in environment`).not.toContain(n);
        }
      }
      // no secret value anywhere in the task definition (environment, command, labels, anything)
      const text = JSON.stringify(td);
      for (const v of values) expect(text.includes(v), `a secret value appears in ${td.taskDefinitionArn}`).toBe(false);
    }
  });

  it('ECS.9: every container logs through awslogs to the stack\'s log group', async () => {
    for (const td of await taskDefinitions()) {
      expect(td.containerDefinitions?.length).toBeGreaterThan(0);
      for (const c of td.containerDefinitions ?? []) {
        expect(c.logConfiguration?.logDriver, c.name).toBe('awslogs');
        expect(c.logConfiguration?.options?.['awslogs-group']).toBe(`/wpdeploy/${stack}/wordpress`);
      }
    }
    const groups = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/wpdeploy/${stack}/wordpress` }))).logGroups ?? [];
    expect(groups.map((g) => g.logGroupName)).toEqual([`/wpdeploy/${stack}/wordpress`]);
  });

  it('ECS.12: Container Insights is on for the cluster', async () => {
    const cluster = (await ecsc.send(new DescribeClustersCommand({ clusters: [`${stack}-cluster`], include: ['SETTINGS'] }))).clusters![0]!;
    expect(cluster.status).toBe('ACTIVE');
    const ci = cluster.settings?.find((s) => s.name === 'containerInsights');
    expect(['enabled', 'enhanced']).toContain(ci?.value);
  });

  // ---- RDS ------------------------------------------------------------------------------------

  it('RDS.2: the instance is not publicly accessible', async () => {
    expect((await dbInstance()).PubliclyAccessible).toBe(false);
  });

  it('RDS.3: the instance is encrypted at rest', async () => {
    expect((await dbInstance()).StorageEncrypted).toBe(true);
  });

  it('RDS.5: the instance is Multi-AZ', async () => {
    expect((await dbInstance()).MultiAZ).toBe(true);
  });

  it('RDS.8: the instance has deletion protection', async () => {
    expect((await dbInstance()).DeletionProtection).toBe(true);
  });

  it('RDS.11: automated backups are kept 7 days or more', async () => {
    expect((await dbInstance()).BackupRetentionPeriod).toBeGreaterThanOrEqual(7);
  });

  it('RDS.13: automatic minor version upgrades are on', async () => {
    expect((await dbInstance()).AutoMinorVersionUpgrade).toBe(true);
  });

  it('RDS.17: tags are copied to snapshots', async () => {
    expect((await dbInstance()).CopyTagsToSnapshot).toBe(true);
  });

  // ---- ELB ------------------------------------------------------------------------------------

  it('ELB.1: every HTTP listener redirects to HTTPS', async () => {
    const all = await listeners();
    const http = all.filter((l) => l.Protocol === 'HTTP');
    expect(http).toHaveLength(1);
    expect(all.filter((l) => l.Protocol === 'HTTPS')).toHaveLength(1);
    for (const l of http) {
      const rules = (await elb.send(new DescribeRulesCommand({ ListenerArn: l.ListenerArn }))).Rules ?? [];
      const actions = [...(l.DefaultActions ?? []), ...rules.flatMap((r) => r.Actions ?? [])];
      expect(actions.length).toBeGreaterThan(0);
      for (const a of actions) {
        expect(a.Type).toBe('redirect');
        expect(a.RedirectConfig).toMatchObject({ Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' });
      }
    }
  });

  it('ELB.4: the load balancer drops invalid header fields', async () => {
    expect((await lbAttributes())['routing.http.drop_invalid_header_fields.enabled']).toBe('true');
  });

  it('ELB.5: access logs are on, to the stack\'s bucket, which exists', async () => {
    const attrs = await lbAttributes();
    expect(attrs['access_logs.s3.enabled']).toBe('true');
    expect(attrs['access_logs.s3.bucket']).toBe(bucket);
    await expect(s3.send(new HeadBucketCommand({ Bucket: bucket }))).resolves.toBeDefined();
  });

  it('ELB.6: the load balancer has deletion protection', async () => {
    expect((await lbAttributes())['deletion_protection.enabled']).toBe('true');
  });

  it('ELB.12: desync mitigation is defensive or strictest', async () => {
    expect(['defensive', 'strictest']).toContain((await lbAttributes())['routing.http.desync_mitigation_mode']);
  });

  it('ELB.13: the load balancer spans two or more Availability Zones', async () => {
    const lb = await loadBalancer();
    expect(new Set((lb.AvailabilityZones ?? []).map((z) => z.ZoneName)).size).toBeGreaterThanOrEqual(2);
    expect(new Set((lb.AvailabilityZones ?? []).map((z) => z.SubnetId)).size).toBeGreaterThanOrEqual(2);
  });

  it('ELB.17: every HTTPS listener uses ELBSecurityPolicy-TLS13-1-2-2021-06', async () => {
    const tls = (await listeners()).filter((l) => l.Protocol === 'HTTPS' || l.Protocol === 'TLS');
    expect(tls).toHaveLength(1);
    for (const l of tls) expect(l.SslPolicy).toBe('ELBSecurityPolicy-TLS13-1-2-2021-06');
  });

  // ---- EFS ------------------------------------------------------------------------------------

  it('EFS.1: the file system is encrypted at rest', async () => {
    expect((await stackFileSystem()).Encrypted).toBe(true);
  });

  it('EFS.3: every access point enforces a root directory other than /', async () => {
    const fs = await stackFileSystem();
    const aps = (await efsc.send(new DescribeAccessPointsCommand({ FileSystemId: fs.FileSystemId }))).AccessPoints ?? [];
    expect(aps.length).toBeGreaterThan(0);
    for (const ap of aps) {
      expect(ap.RootDirectory?.Path).toBeDefined();
      expect(ap.RootDirectory!.Path).not.toBe('/');
      expect(ap.RootDirectory!.Path).toBe('/wordpress/wp-content');
    }
    // and the task mounts the file system only through one of them
    const volumes = (await latestTaskDefinition()).volumes ?? [];
    expect(volumes.length).toBeGreaterThan(0);
    for (const v of volumes) {
      expect(v.efsVolumeConfiguration?.fileSystemId).toBe(fs.FileSystemId);
      expect(aps.map((a) => a.AccessPointId)).toContain(v.efsVolumeConfiguration?.authorizationConfig?.accessPointId);
      expect(v.efsVolumeConfiguration?.transitEncryption).toBe('ENABLED');
    }
  });

  it('EFS.4: every access point enforces a POSIX user', async () => {
    const fs = await stackFileSystem();
    const aps = (await efsc.send(new DescribeAccessPointsCommand({ FileSystemId: fs.FileSystemId }))).AccessPoints ?? [];
    expect(aps.length).toBeGreaterThan(0);
    for (const ap of aps) {
      expect(ap.PosixUser?.Uid).toBeTypeOf('number');
      expect(ap.PosixUser?.Gid).toBeTypeOf('number');
      expect(ap.PosixUser!.Uid, 'not root').not.toBe(0);
      expect(ap.PosixUser).toMatchObject({ Uid: 33, Gid: 33 });
    }
  });

  // ---- EC2 ------------------------------------------------------------------------------------

  it('EC2.2: the VPC\'s default security group has no rule, in or out', async () => {
    const defaults = (await securityGroups()).filter((g) => g.GroupName === 'default');
    expect(defaults).toHaveLength(1);
    expect(defaults[0]!.IpPermissions ?? []).toEqual([]);
    expect(defaults[0]!.IpPermissionsEgress ?? []).toEqual([]);
  });

  it('EC2.6: VPC flow logs are on, to a log group, through a role', async () => {
    const vpc = await vpcId();
    const flows = (await ec2c.send(new DescribeFlowLogsCommand({ Filter: [{ Name: 'resource-id', Values: [vpc] }] }))).FlowLogs ?? [];
    expect(flows).toHaveLength(1);
    expect(flows[0]!.TrafficType).toBe('ALL');
    expect(flows[0]!.FlowLogStatus ?? 'ACTIVE').toBe('ACTIVE');
    expect(flows[0]!.LogGroupName).toBe(`/wpdeploy/${stack}/vpc-flow-logs`);
    expect(flows[0]!.DeliverLogsPermissionArn).toMatch(new RegExp(`^arn:aws:iam::${ACCOUNT}:role/wpdeploy/`));
    const groups = (await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/wpdeploy/${stack}/vpc-flow-logs` }))).logGroups ?? [];
    expect(groups).toHaveLength(1);
  });

  it('EC2.18/EC2.19: only 80 and 443 are open to the world (IPv4 or IPv6), and only on the load balancer\'s group', async () => {
    const groups = await securityGroups();
    const alb = groups.find((g) => stepOf(g.Tags) === 'sg-alb')!;
    expect(alb).toBeDefined();
    expect((await loadBalancer()).SecurityGroups).toEqual([alb.GroupId]);
    const open: string[] = [];
    for (const g of groups) {
      for (const p of g.IpPermissions ?? []) {
        const fromWorld = (p.IpRanges ?? []).some((r) => r.CidrIp === WORLD4) || (p.Ipv6Ranges ?? []).some((r) => r.CidrIpv6 === WORLD6);
        if (fromWorld) open.push(`${stepOf(g.Tags) ?? g.GroupName} ${p.IpProtocol} ${p.FromPort}-${p.ToPort}`);
      }
    }
    expect(open.sort()).toEqual(['sg-alb tcp 443-443', 'sg-alb tcp 80-80']);
  });

  it('EC2.21: no network ACL of the VPC admits 22 or 3389 from the world, the default one included', async () => {
    const vpc = await vpcId();
    const acls = (await ec2c.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc] }] }))).NetworkAcls ?? [];
    const subnets = (await ec2c.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc] }] }))).Subnets ?? [];
    expect(subnets).toHaveLength(6);
    const guarding = acls.filter((a) => (a.Associations ?? []).length > 0);
    // every subnet is on one of the stack's own ACLs, none on the default one
    for (const s of subnets) {
      const acl = guarding.find((a) => a.Associations!.some((x) => x.SubnetId === s.SubnetId));
      expect(acl, `ACL of ${s.SubnetId}`).toBeDefined();
      expect(acl!.IsDefault, `${s.SubnetId} is on the default ACL`).toBe(false);
      expect(tagMap(acl!.Tags)['wpdeploy:stack']).toBe(stack);
    }
    /** The first allow rule (by number) that matches traffic from the world to this port decides. */
    const admits = (acl: NetworkAcl, port: number, world: (e: { CidrBlock?: string; Ipv6CidrBlock?: string }) => boolean) => {
      const entries = (acl.Entries ?? []).filter((e) => !e.Egress && world(e)).sort((a, b) => a.RuleNumber! - b.RuleNumber!);
      const hit = entries.find((e) => ['-1', '6', '17'].includes(e.Protocol ?? '') && (e.Protocol === '-1' || !e.PortRange || (e.PortRange.From! <= port && port <= e.PortRange.To!)));
      return hit?.RuleAction === 'allow';
    };
    expect(guarding.length).toBe(3);
    const defaults = acls.filter((a) => a.IsDefault);
    expect(defaults).toHaveLength(1);
    for (const port of [22, 3389]) expect(admits(defaults[0]!, port, (e) => e.CidrBlock === WORLD4), `default ACL admits ${port}`).toBe(false);
    expect((defaults[0]!.Entries ?? []).filter((e) => e.RuleNumber! < 32767), 'the default ACL is emptied').toEqual([]);
    for (const acl of guarding) {
      for (const port of [22, 3389]) {
        expect(admits(acl, port, (e) => e.CidrBlock === WORLD4), `${stepOf(acl.Tags)} admits ${port} from ${WORLD4}`).toBe(false);
        expect(admits(acl, port, (e) => e.Ipv6CidrBlock === WORLD6), `${stepOf(acl.Tags)} admits ${port} from ${WORLD6}`).toBe(false);
      }
      // and it does serve what it is for (the check above is not vacuous)
      if (stepOf(acl.Tags) === 'nacl-public') expect(admits(acl, 443, (e) => e.CidrBlock === WORLD4)).toBe(true);
    }
  });

  // ---- S3 -------------------------------------------------------------------------------------

  it('S3.8: the access-log bucket blocks public access, all four settings', async () => {
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true,
    });
  });

  it('S3.5: the access-log bucket policy denies every request not made over TLS', async () => {
    const policy = statementsOf((await s3.send(new GetBucketPolicyCommand({ Bucket: bucket }))).Policy);
    const deny = policy.filter((s) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false');
    expect(deny).toHaveLength(1);
    const d = deny[0]!;
    expect(['*', { AWS: '*' }]).toContainEqual(d.Principal);
    expect(list(d.Action)).toContain('s3:*');
    expect(list(d.Resource).sort()).toEqual([`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`]);
  });

  // ---- CloudWatch -----------------------------------------------------------------------------

  it('CloudWatch.16: every log group of the stack is kept 365 days or more', async () => {
    const all: LogGroup[] = [];
    let nextToken: string | undefined;
    do {
      const r = await logs.send(new DescribeLogGroupsCommand({ nextToken }));
      all.push(...(r.logGroups ?? []));
      nextToken = r.nextToken;
    } while (nextToken);
    const mine = all.filter((g) => g.logGroupName!.includes(stack));
    expect(mine.map((g) => g.logGroupName).sort()).toEqual(expect.arrayContaining([`/wpdeploy/${stack}/vpc-flow-logs`, `/wpdeploy/${stack}/wordpress`]));
    for (const g of mine) {
      // "Never expire" passes the control too; wpdeploy's own groups must carry the configured retention
      if (g.logGroupName!.startsWith(`/wpdeploy/${stack}/`)) expect(g.retentionInDays, g.logGroupName).toBe(365);
      else if (g.retentionInDays !== undefined) expect(g.retentionInDays, g.logGroupName).toBeGreaterThanOrEqual(365);
    }
  });

  // ---- IAM ------------------------------------------------------------------------------------

  it('IAM.1/IAM.21: no wpdeploy role allows a wildcard action, in an inline or an attached policy', async () => {
    const roles = await stackRoles();
    expect(roles.map((r) => r.step).sort()).toEqual(['flow-logs-role', 'task-execution-role', 'task-role']);
    for (const r of roles) {
      expect(r.policies.length, `${r.name} has a policy`).toBeGreaterThan(0);
      for (const p of r.policies) {
        for (const s of p.statements) {
          if (s.Effect !== 'Allow') continue;
          expect(s.NotAction, `${r.name} ${p.name}: NotAction`).toBeUndefined();
          const actions = list(s.Action);
          expect(actions.length).toBeGreaterThan(0);
          for (const a of actions) expect(a.includes('*'), `${r.name} ${p.name}: ${a}`).toBe(false);
        }
      }
    }
  });

  // ---- secrets outside AWS --------------------------------------------------------------------

  it('no secret value appears in the state directory, or in the stdout or stderr of up and status', async () => {
    const values = await secretValues();
    const stateFiles = filesUnder(join(cwd, 'state'));
    expect(stateFiles.map(([p]) => p)).toContain(join(cwd, 'state', `${stack}.json`));
    expect(outputs.length).toBe(6);
    for (const v of values) {
      for (const [where, text] of [...filesUnder(cwd), ...outputs]) expect(text.includes(v), `a secret value appears in ${where}`).toBe(false);
    }
  });

  // ---- teardown -------------------------------------------------------------------------------

  it('down --purge --yes lifts both deletion protections, says so, and leaves nothing of the stack', async () => {
    proxy.reset();
    const r = await run('down', '--purge', '--yes');
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(proxy.rules.refused.map((x) => `${x.rule}: ${x.reason}`)).toEqual([]);
    expect(r.stdout + r.stderr).toMatch(/lifting the deletion protection of load balancer/);
    expect(r.stdout + r.stderr).toMatch(/lifting the deletion protection of db instance/);
    // moto keeps deleted ECS clusters and services, marked INACTIVE, in the Tagging API; AWS lets them go.
    const left: string[] = [];
    for (const [step, ids] of await inventory(moto, stack)) {
      for (const id of ids) if (!(await ecsInactive(id))) left.push(`${step} ${id}`);
    }
    expect(left, JSON.stringify(left)).toEqual([]);
    expect(await stackVpcs(moto, stack)).toEqual([]);
    await expect(elb.send(new DescribeLoadBalancersCommand({ Names: [`${stack}-alb`] }))).rejects.toMatchObject({ name: 'LoadBalancerNotFoundException' });
    await expect(rdsc.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: `${stack}-db` }))).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault' });
    expect(existsSync(join(cwd, 'state', `${stack}.json`))).toBe(false);
    // the user's zone is left with only its own records; the test removes it
    const sets = (await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? [];
    expect(sets.map((s) => s.Type).sort()).toEqual(['NS', 'SOA']);
    await route53.send(new DeleteHostedZoneCommand({ Id: zoneId }));
  });
});
