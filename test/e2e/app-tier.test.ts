/**
 * The app tier and the edge, end to end: the built CLI builds the whole stack (network, data, app)
 * with a domain in a hosted zone the test creates first, against the emulator through the strict
 * proxy (AWS's ordering rules on delete) and the ECS shim (moto's gaps in DescribeServices). The test
 * then checks what the emulator holds, that a second `up` changes nothing, that a new image is one
 * new revision and one service update, and that `down --purge` leaves only the user's hosted zone.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACMClient, DescribeCertificateCommand, ListCertificatesCommand } from '@aws-sdk/client-acm';
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { DescribeClustersCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand, DescribeLoadBalancerAttributesCommand, DescribeLoadBalancersCommand, DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetRoleCommand, GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand, ListRolesCommand, ListRoleTagsCommand } from '@aws-sdk/client-iam';
import { CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import {
  GetBucketEncryptionCommand, GetBucketLifecycleConfigurationCommand, GetBucketPolicyCommand, GetPublicAccessBlockCommand, HeadBucketCommand, S3Client,
} from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startStrictProxy } from '../support/aws-rules.js';
import { ec2, ecs, elbv2, stackVpcs } from '../support/aws.js';
import { runCli, uniqueStack, workdir } from '../support/cli.js';
import { pathProblems } from '../support/reachability.js';

const moto = inject('motoEndpoint');
const base = { endpoint: moto, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const ACCOUNT = '123456789012';

let proxy: Awaited<ReturnType<typeof startStrictProxy>>;

beforeAll(async () => {
  proxy = await startStrictProxy(moto);
});
afterAll(async () => {
  await proxy.close();
});

type Statement = { Effect: string; Action?: string | string[]; Resource?: string | string[]; Principal?: unknown; Condition?: Record<string, Record<string, unknown>> };
const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const doc = (s: string | undefined) => JSON.parse(decodeURIComponent(s ?? '{}')) as { Statement: Statement | Statement[] };
const statements = (d: { Statement: Statement | Statement[] }) => list(d.Statement);

async function stackRoles(stack: string) {
  const iam = new IAMClient(base);
  const roles = (await iam.send(new ListRolesCommand({ PathPrefix: '/wpdeploy/' }))).Roles ?? [];
  const out: Array<{ name: string; step: string; trust: Statement[]; inline: Record<string, Statement[]> }> = [];
  // Roles are named `<stack>-<role>-<region>`: another stack's are not read (another test file may
  // delete them between the listing and the read); ours must be readable, and their tags decide.
  for (const r of roles.filter((x) => x.RoleName!.startsWith(`${stack}-`))) {
    const listed = await iam.send(new ListRoleTagsCommand({ RoleName: r.RoleName! }));
    const tags = Object.fromEntries((listed.Tags ?? []).map((t) => [t.Key, t.Value]));
    if (tags['wpdeploy:stack'] !== stack) continue;
    const role = (await iam.send(new GetRoleCommand({ RoleName: r.RoleName! }))).Role!;
    const inline: Record<string, Statement[]> = {};
    for (const p of (await iam.send(new ListRolePoliciesCommand({ RoleName: r.RoleName! }))).PolicyNames ?? []) {
      inline[p] = statements(doc((await iam.send(new GetRolePolicyCommand({ RoleName: r.RoleName!, PolicyName: p }))).PolicyDocument));
    }
    out.push({ name: r.RoleName!, step: tags['wpdeploy:step']!, trust: statements(doc(role.AssumeRolePolicyDocument)), inline });
  }
  return out;
}

const stepTagged = async (stack: string, step: string) =>
  (await ec2(moto).send(new DescribeSubnetsCommand({ Filters: [{ Name: 'tag:wpdeploy:stack', Values: [stack] }, { Name: 'tag:wpdeploy:step', Values: [step] }] }))).Subnets?.[0]?.SubnetId;
const groupOf = async (stack: string, step: string) =>
  (await ec2(moto).send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:wpdeploy:stack', Values: [stack] }, { Name: 'tag:wpdeploy:step', Values: [step] }] }))).SecurityGroups?.[0]?.GroupId;
/** Why a task cannot reach `to` on `port` (see reachability.ts); [] when every app subnet can. */
const taskCannotReach = async (stack: string, to: 'load balancer' | 'internet', port: number) =>
  pathProblems(moto, { stack, to, port, appGroupId: (await groupOf(stack, 'sg-app'))!, appSubnetIds: [(await stepTagged(stack, 'subnet-app-a'))!, (await stepTagged(stack, 'subnet-app-b'))!] });

describe('the whole stack with a domain', () => {
  const stack = uniqueStack('app');
  const zone = `${stack}.example.com`;
  const domain = `www.${zone}`;
  const cwd = workdir();
  const run = (...args: string[]) => runCli([...args], { cwd, endpoint: proxy.url });
  const writeConfig = (image?: string) =>
    writeFileSync(join(cwd, 'wpdeploy.yml'), [
      `stack: ${stack}`,
      'domain:',
      `  name: ${domain}`,
      `  hostedZone: ${zone}`,
      ...(image ? ['wordpress:', `  image: ${image}`] : []),
    ].join('\n') + '\n');
  let zoneId: string;

  beforeAll(async () => {
    const z = await new Route53Client(base).send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `${stack}-${Date.now()}` }));
    zoneId = z.HostedZone!.Id!.replace('/hostedzone/', '');
    writeConfig();
  });

  it('up builds the whole stack', async () => {
    const r = await run('up');
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(proxy.rules.lookupErrors).toEqual([]);
  });

  it('a task reaches the site by its name (wp-cron, Site Health): 443 out through its NAT gateway and back in to the load balancer; and the internet on 443 (ECR Public)', async () => {
    expect(await taskCannotReach(stack, 'load balancer', 443)).toEqual([]);
    expect(await taskCannotReach(stack, 'internet', 443)).toEqual([]);
  });

  it('the listeners: HTTPS with the TLS 1.3 policy and the issued certificate, HTTP answering 301 to HTTPS', async () => {
    const lb = (await elbv2(moto).send(new DescribeLoadBalancersCommand({ Names: [`${stack}-alb`] }))).LoadBalancers![0]!;
    const tg = (await elbv2(moto).send(new DescribeTargetGroupsCommand({ Names: [`${stack}-tg`] }))).TargetGroups![0]!;
    const listeners = (await elbv2(moto).send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? [];
    expect(listeners.map((l) => l.Port).sort()).toEqual([443, 80]);
    const https = listeners.find((l) => l.Port === 443)!;
    expect(https.Protocol).toBe('HTTPS');
    expect(https.SslPolicy).toBe('ELBSecurityPolicy-TLS13-1-2-2021-06');
    expect(https.DefaultActions).toEqual([expect.objectContaining({ Type: 'forward', TargetGroupArn: tg.TargetGroupArn })]);
    const cert = (await new ACMClient(base).send(new DescribeCertificateCommand({ CertificateArn: https.Certificates![0]!.CertificateArn }))).Certificate!;
    expect(cert).toMatchObject({ DomainName: domain, Status: 'ISSUED' });
    expect(cert.DomainValidationOptions?.[0]?.ValidationMethod).toBe('DNS');
    const http = listeners.find((l) => l.Port === 80)!;
    expect(http.Protocol).toBe('HTTP');
    expect(http.DefaultActions).toEqual([expect.objectContaining({ Type: 'redirect', RedirectConfig: expect.objectContaining({ Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' }) })]);
  });

  it('the load balancer: internet-facing over the public subnets, hardened attributes, access logs on, deletion protection on', async () => {
    const lb = (await elbv2(moto).send(new DescribeLoadBalancersCommand({ Names: [`${stack}-alb`] }))).LoadBalancers![0]!;
    expect(lb.Scheme).toBe('internet-facing');
    expect(lb.Type).toBe('application');
    const publicSubnets = [await stepTagged(stack, 'subnet-public-a'), await stepTagged(stack, 'subnet-public-b')].sort();
    expect((lb.AvailabilityZones ?? []).map((z) => z.SubnetId).sort()).toEqual(publicSubnets);
    expect(lb.SecurityGroups).toEqual([await groupOf(stack, 'sg-alb')]);
    const attrs = Object.fromEntries(((await elbv2(moto).send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Attributes ?? []).map((a) => [a.Key, a.Value]));
    expect(attrs).toMatchObject({
      'routing.http.drop_invalid_header_fields.enabled': 'true',
      'deletion_protection.enabled': 'true',
      'access_logs.s3.enabled': 'true',
      'access_logs.s3.bucket': `${stack}-alb-logs-${ACCOUNT}-us-east-1`,
    });
    expect(['defensive', 'strictest']).toContain(attrs['routing.http.desync_mitigation_mode']);
    const tg = (await elbv2(moto).send(new DescribeTargetGroupsCommand({ Names: [`${stack}-tg`] }))).TargetGroups![0]!;
    expect(tg).toMatchObject({ TargetType: 'ip', Port: 80, Protocol: 'HTTP', HealthCheckPath: '/wp-includes/images/blank.gif', Matcher: { HttpCode: '200-399' } });
    const tgAttrs = Object.fromEntries(((await elbv2(moto).send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn }))).Attributes ?? []).map((a) => [a.Key, a.Value]));
    const delay = Number(tgAttrs['deregistration_delay.timeout_seconds']);
    expect(delay).toBeGreaterThanOrEqual(30);
    expect(delay).toBeLessThanOrEqual(60);
  });

  it('the access-log bucket: public access blocked, SSE-S3, TLS only, ELB may write, objects expire', async () => {
    const s3 = new S3Client({ ...base, forcePathStyle: true });
    const Bucket = `${stack}-alb-logs-${ACCOUNT}-us-east-1`;
    expect((await s3.send(new GetPublicAccessBlockCommand({ Bucket }))).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true,
    });
    expect((await s3.send(new GetBucketEncryptionCommand({ Bucket }))).ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
    const policy = statements(JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket }))).Policy!));
    expect(policy).toContainEqual(expect.objectContaining({
      Effect: 'Deny', Principal: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      Resource: [`arn:aws:s3:::${Bucket}`, `arn:aws:s3:::${Bucket}/*`],
    }));
    expect(policy).toContainEqual(expect.objectContaining({
      Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::127311923021:root' }, Action: 's3:PutObject', Resource: `arn:aws:s3:::${Bucket}/AWSLogs/${ACCOUNT}/*`,
    }));
    const rules = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules ?? [];
    expect(rules).toContainEqual(expect.objectContaining({ Status: 'Enabled', Expiration: { Days: 30 } }));
  });

  it('the task definition: Fargate, secrets only through valueFrom, EFS with transit encryption and IAM, awslogs', async () => {
    const td = (await ecs(moto).send(new DescribeTaskDefinitionCommand({ taskDefinition: `${stack}-wordpress` }))).taskDefinition!;
    expect(td).toMatchObject({ networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '512', memory: '1024' });
    const c = td.containerDefinitions![0]!;
    // The default: Docker's official image from its ECR Public mirror, not Docker Hub (per-IP pull limit).
    expect(c.image).toBe('public.ecr.aws/docker/library/wordpress:6-php8.3-apache');
    expect(c.portMappings?.[0]?.containerPort).toBe(80);
    // Tasks starting together on the empty file system install WordPress one at a time, under a lock on
    // the shared wp-content; with code on EFS, OPcache revalidates every 60 s.
    expect(c.entryPoint).toEqual(['/bin/sh', '-c']);
    expect(c.command?.[0]).toMatch(/^printf '%s\\n' 'opcache\.revalidate_freq=60' > \/usr\/local\/etc\/php\/conf\.d\/zz-wpdeploy\.ini; /);
    expect(c.command?.[0]).toMatch(/flock \/var\/www\/html\/wp-content\/\.wpdeploy-first-start\.lock docker-ensure-installed\.sh true \|\| exit 1; fi; exec docker-entrypoint\.sh apache2-foreground$/);
    const env = Object.fromEntries((c.environment ?? []).map((e) => [e.name, e.value]));
    expect(Object.keys(env).sort()).toEqual(['WORDPRESS_CONFIG_EXTRA', 'WORDPRESS_DB_HOST', 'WORDPRESS_DB_NAME']);
    expect(env.WORDPRESS_CONFIG_EXTRA).toContain("HTTP_X_FORWARDED_PROTO");
    expect(env.WORDPRESS_CONFIG_EXTRA).toContain(`https://${domain}`);
    const secretRefs = Object.fromEntries((c.secrets ?? []).map((s) => [s.name, s.valueFrom]));
    expect(Object.keys(secretRefs).sort()).toEqual([
      'WORDPRESS_AUTH_KEY', 'WORDPRESS_AUTH_SALT', 'WORDPRESS_DB_PASSWORD', 'WORDPRESS_DB_USER', 'WORDPRESS_LOGGED_IN_KEY', 'WORDPRESS_LOGGED_IN_SALT',
      'WORDPRESS_NONCE_KEY', 'WORDPRESS_NONCE_SALT', 'WORDPRESS_SECURE_AUTH_KEY', 'WORDPRESS_SECURE_AUTH_SALT',
    ]);
    expect(secretRefs.WORDPRESS_DB_PASSWORD).toMatch(/^arn:aws:secretsmanager:us-east-1:123456789012:secret:.+:password::$/);
    expect(secretRefs.WORDPRESS_NONCE_SALT).toMatch(/:NONCE_SALT::$/);
    // No secret value reached the environment.
    const sm = new SecretsManagerClient(base);
    const dbSecretArn = secretRefs.WORDPRESS_DB_PASSWORD!.replace(/:password::$/, '');
    const db = JSON.parse((await sm.send(new GetSecretValueCommand({ SecretId: dbSecretArn }))).SecretString!);
    for (const v of Object.values(env)) expect(v).not.toContain(db.password);
    expect(td.volumes).toEqual([expect.objectContaining({
      name: 'wordpress',
      efsVolumeConfiguration: expect.objectContaining({ transitEncryption: 'ENABLED', authorizationConfig: expect.objectContaining({ iam: 'ENABLED', accessPointId: expect.stringMatching(/^fsap-/) }) }),
    })]);
    // WordPress core comes from the image; EFS holds wp-content.
    expect(c.mountPoints).toEqual([expect.objectContaining({ sourceVolume: 'wordpress', containerPath: '/var/www/html/wp-content' })]);
    expect(c.logConfiguration).toEqual({ logDriver: 'awslogs', options: { 'awslogs-group': `/wpdeploy/${stack}/wordpress`, 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'wordpress' } });
    expect(c.readonlyRootFilesystem).toBe(false);
    const groups = (await new CloudWatchLogsClient(base).send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/wpdeploy/${stack}/wordpress` }))).logGroups ?? [];
    expect(groups.map((g) => [g.logGroupName, g.retentionInDays])).toEqual([[`/wpdeploy/${stack}/wordpress`, 30]]);
  });

  it('the cluster and the service: Container Insights, Fargate in the app subnets without public IP, behind the target group, circuit breaker with rollback', async () => {
    const cluster = (await ecs(moto).send(new DescribeClustersCommand({ clusters: [`${stack}-cluster`], include: ['SETTINGS'] }))).clusters![0]!;
    expect(cluster.settings).toContainEqual({ name: 'containerInsights', value: 'enabled' });
    const s = (await ecs(moto).send(new DescribeServicesCommand({ cluster: `${stack}-cluster`, services: [`${stack}-wordpress`] }))).services![0]!;
    expect(s).toMatchObject({ status: 'ACTIVE', launchType: 'FARGATE', desiredCount: 2, propagateTags: 'SERVICE' });
    const net = s.networkConfiguration!.awsvpcConfiguration!;
    expect(net.assignPublicIp).toBe('DISABLED');
    expect([...net.subnets!].sort()).toEqual([await stepTagged(stack, 'subnet-app-a'), await stepTagged(stack, 'subnet-app-b')].sort());
    expect(net.securityGroups).toEqual([await groupOf(stack, 'sg-app')]);
    const tg = (await elbv2(moto).send(new DescribeTargetGroupsCommand({ Names: [`${stack}-tg`] }))).TargetGroups![0]!;
    expect(s.loadBalancers).toEqual([{ targetGroupArn: tg.TargetGroupArn, containerName: 'wordpress', containerPort: 80 }]);
    // moto drops these on CreateService (docs/emulator.md): checked on the request the CLI sent.
    const create = proxy.ecs.sent.find((x) => x.operation === 'CreateService' && x.body.serviceName === `${stack}-wordpress`)!.body;
    expect(create.deploymentConfiguration).toMatchObject({ deploymentCircuitBreaker: { enable: true, rollback: true } });
    expect(create.healthCheckGracePeriodSeconds).toBeGreaterThan(0);
    expect(create.enableECSManagedTags).toBe(true);
    expect(create.clientToken).toMatch(/^[0-9a-f]{32}$/);
  });

  it('auto scaling: the target with min/max, target tracking on CPU and on requests per target', async () => {
    const aas = new ApplicationAutoScalingClient(base);
    const ResourceId = `service/${stack}-cluster/${stack}-wordpress`;
    const targets = (await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [ResourceId] }))).ScalableTargets ?? [];
    expect(targets).toEqual([expect.objectContaining({ ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 2, MaxCapacity: 6 })]);
    const policies = (await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId }))).ScalingPolicies ?? [];
    expect(policies).toHaveLength(2);
    const lb = (await elbv2(moto).send(new DescribeLoadBalancersCommand({ Names: [`${stack}-alb`] }))).LoadBalancers![0]!;
    const tg = (await elbv2(moto).send(new DescribeTargetGroupsCommand({ Names: [`${stack}-tg`] }))).TargetGroups![0]!;
    const label = `${lb.LoadBalancerArn!.split(':loadbalancer/')[1]}/${tg.TargetGroupArn!.split(':')[5]}`;
    const byMetric = Object.fromEntries(policies.map((p) => [p.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification?.PredefinedMetricType, p]));
    expect(byMetric.ECSServiceAverageCPUUtilization).toMatchObject({ PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 60 } });
    expect(byMetric.ALBRequestCountPerTarget).toMatchObject({
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 500, PredefinedMetricSpecification: { ResourceLabel: label } },
    });
    expect(label).toMatch(/^app\/.+\/targetgroup\/.+\/.+$/);
  });

  it('the roles: trusted by ECS tasks of this account, least privilege, no wildcard actions', async () => {
    const roles = await stackRoles(stack);
    const exec = roles.find((r) => r.step === 'task-execution-role')!;
    const task = roles.find((r) => r.step === 'task-role')!;
    expect(exec && task).toBeTruthy();
    for (const r of roles) {
      for (const s of Object.values(r.inline).flat()) {
        if (s.Effect !== 'Allow') continue;
        for (const a of list(s.Action)) expect(a === '*' || /^[A-Za-z0-9-]+:\*$/.test(a), `${r.name}: ${a}`).toBe(false);
      }
    }
    for (const r of [exec, task]) {
      expect(r.trust).toEqual([expect.objectContaining({ Principal: { Service: 'ecs-tasks.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } } })]);
    }
    const execStatements = Object.values(exec.inline).flat();
    const secrets = execStatements.find((s) => list(s.Action).includes('secretsmanager:GetSecretValue'))!;
    expect(list(secrets.Resource)).toHaveLength(2);
    const td = (await ecs(moto).send(new DescribeTaskDefinitionCommand({ taskDefinition: `${stack}-wordpress` }))).taskDefinition!;
    const referenced = new Set((td.containerDefinitions![0]!.secrets ?? []).map((x) => x.valueFrom!.replace(/:[A-Za-z_]+::$/, '')));
    expect(new Set(list(secrets.Resource))).toEqual(referenced);
    const logs = execStatements.find((s) => list(s.Action).includes('logs:PutLogEvents'))!;
    expect(list(logs.Resource)).toEqual([`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/wpdeploy/${stack}/wordpress:log-stream:*`]);
    const efs = Object.values(task.inline).flat();
    expect(efs).toEqual([expect.objectContaining({
      Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      Resource: expect.stringMatching(/^arn:aws:elasticfilesystem:us-east-1:123456789012:file-system\/fs-/),
      Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': expect.stringMatching(/:access-point\/fsap-/) } },
    })]);
    expect(td.taskRoleArn).toContain(task.name);
    expect(td.executionRoleArn).toContain(exec.name);
  });

  it('the DNS: an alias A record to the load balancer and the validation CNAME, each with its ownership record', async () => {
    const lb = (await elbv2(moto).send(new DescribeLoadBalancersCommand({ Names: [`${stack}-alb`] }))).LoadBalancers![0]!;
    const sets = (await new Route53Client(base).send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? [];
    const alias = sets.find((s) => s.Name === `${domain}.` && s.Type === 'A')!;
    expect(alias.AliasTarget).toMatchObject({ DNSName: lb.DNSName, HostedZoneId: lb.CanonicalHostedZoneId, EvaluateTargetHealth: true });
    expect(sets.filter((s) => s.Type === 'CNAME')).toHaveLength(1);
    expect(sets.find((s) => s.Name === `_wpdeploy-a.${domain}.`)?.ResourceRecords?.[0]?.Value).toBe(`"heritage=wpdeploy,stack=${stack},step=alias-record"`);
  });

  it('a second up makes no mutating call', async () => {
    proxy.reset();
    const r = await run('up');
    expect(r.code, r.stderr).toBe(0);
    expect(proxy.mutating().map((c) => `${c.service} ${c.operation}`)).toEqual([]);
    expect(r.stdout).toMatch(/No changes/);
  });

  it('a new image is exactly one new task definition revision and one service update', async () => {
    writeConfig('wordpress:6.6-php8.3-apache');
    proxy.reset();
    const r = await run('up');
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(proxy.mutating().map((c) => `${c.service} ${c.operation}`)).toEqual(['ecs RegisterTaskDefinition', 'ecs UpdateService']);
    const update = JSON.parse(proxy.mutating()[1]!.body);
    expect(update.taskDefinition).toMatch(new RegExp(`task-definition/${stack}-wordpress:2$`));
    expect(update.desiredCount).toBeUndefined();
    const revisions = (await ecs(moto).send(new ListTaskDefinitionsCommand({ familyPrefix: `${stack}-wordpress` }))).taskDefinitionArns ?? [];
    expect(revisions.map((a) => a.split(':').pop())).toEqual(['1', '2']);
    const s = (await ecs(moto).send(new DescribeServicesCommand({ cluster: `${stack}-cluster`, services: [`${stack}-wordpress`] }))).services![0]!;
    expect(s.taskDefinition).toBe(update.taskDefinition);
    proxy.reset();
    const again = await run('up');
    expect(again.code, again.stderr).toBe(0);
    expect(proxy.mutating()).toEqual([]);
  });

  it('status shows the live state of the edge and the service', async () => {
    const r = await run('status', '--json');
    expect(r.code, r.stderr).toBe(0);
    const steps = Object.fromEntries((JSON.parse(r.stdout).steps as Array<{ step: string; state: string }>).map((s) => [s.step, s.state]));
    expect(steps).toMatchObject({ 'ecs-service': 'ACTIVE', 'certificate': 'ISSUED', 'alb': 'active', 'hosted-zone': 'not checked' });
  });

  it('down --purge --yes leaves nothing but the user\'s hosted zone', async () => {
    proxy.reset();
    const r = await run('down', '--purge', '--yes');
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stderr).toMatch(/lifting the deletion protection of load balancer/);
    expect(proxy.rules.refused.map((x) => `${x.rule}: ${x.reason}`)).toEqual([]);
    // The zone and its own records stay; every record wpdeploy made is gone.
    const sets = (await new Route53Client(base).send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? [];
    expect(sets.map((s) => s.Type).sort()).toEqual(['NS', 'SOA']);
    expect(await stackVpcs(moto, stack)).toEqual([]);
    await expect(elbv2(moto).send(new DescribeLoadBalancersCommand({ Names: [`${stack}-alb`] }))).rejects.toMatchObject({ name: 'LoadBalancerNotFoundException' });
    await expect(elbv2(moto).send(new DescribeTargetGroupsCommand({ Names: [`${stack}-tg`] }))).rejects.toMatchObject({ name: 'TargetGroupNotFoundException' });
    const certs = (await new ACMClient(base).send(new ListCertificatesCommand({}))).CertificateSummaryList ?? [];
    expect(certs.filter((c) => c.DomainName === domain)).toEqual([]);
    await expect(new S3Client({ ...base, forcePathStyle: true }).send(new HeadBucketCommand({ Bucket: `${stack}-alb-logs-${ACCOUNT}-us-east-1` }))).rejects.toMatchObject({ name: 'NotFound' });
    const cluster = (await ecs(moto).send(new DescribeClustersCommand({ clusters: [`${stack}-cluster`] }))).clusters ?? [];
    expect(cluster.filter((c) => c.status === 'ACTIVE')).toEqual([]);
    const svc = (await ecs(moto).send(new DescribeServicesCommand({ cluster: `${stack}-cluster`, services: [`${stack}-wordpress`] }))).services ?? [];
    expect(svc.filter((s) => s.status !== 'INACTIVE')).toEqual([]);
    // moto lists deregistered revisions under status ACTIVE too: each one's own status tells.
    for (const arn of (await ecs(moto).send(new ListTaskDefinitionsCommand({ familyPrefix: `${stack}-wordpress` }))).taskDefinitionArns ?? []) {
      expect((await ecs(moto).send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }))).taskDefinition!.status).toBe('INACTIVE');
    }
    const aas = new ApplicationAutoScalingClient(base);
    const ResourceId = `service/${stack}-cluster/${stack}-wordpress`;
    expect((await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [ResourceId] }))).ScalableTargets).toEqual([]);
    expect((await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId }))).ScalingPolicies).toEqual([]);
    expect(await stackRoles(stack)).toEqual([]);
    expect((await new CloudWatchLogsClient(base).send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/wpdeploy/${stack}/` }))).logGroups).toEqual([]);
  });
});

describe('checks before anything is created', () => {
  it('a domain whose hosted zone does not exist stops up with a clear error and no mutating call', async () => {
    const cwd = workdir();
    const stack = uniqueStack('nozone');
    writeFileSync(join(cwd, 'wpdeploy.yml'), `stack: ${stack}\ndomain:\n  name: www.${stack}.example.org\n  hostedZone: ${stack}.example.org\n`);
    proxy.reset();
    const r = await runCli(['up'], { cwd, endpoint: proxy.url });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain(`hosted zone ${stack}.example.org was not found`);
    // wpdeploy never creates a zone, so it never says it is creating one (nor plans to).
    expect(r.stderr).not.toMatch(/hosted-zone: creating/);
    const plan = await runCli(['plan'], { cwd, endpoint: proxy.url });
    expect(plan.code).toBe(1);
    expect(plan.stdout).not.toMatch(/create +hosted-zone/);
    expect(plan.stdout + plan.stderr).toContain(`hosted zone ${stack}.example.org was not found`);
    expect(proxy.mutating()).toEqual([]);
    expect(await stackVpcs(moto, stack)).toEqual([]);
  });
});

describe('without a domain', () => {
  it('serves plain HTTP, forwards to the target group and says traffic is unencrypted', async () => {
    const cwd = workdir();
    const stack = uniqueStack('http');
    const run = (...args: string[]) => runCli([...args, '--stack', stack], { cwd, endpoint: proxy.url });
    const r = await run('up');
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stderr).toMatch(/plain HTTP: traffic between visitors and the load balancer is unencrypted/);
    const lb = (await elbv2(moto).send(new DescribeLoadBalancersCommand({ Names: [`${stack}-alb`] }))).LoadBalancers![0]!;
    const listeners = (await elbv2(moto).send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? [];
    expect(listeners).toEqual([expect.objectContaining({ Port: 80, Protocol: 'HTTP', DefaultActions: [expect.objectContaining({ Type: 'forward' })] })]);
    const td = (await ecs(moto).send(new DescribeTaskDefinitionCommand({ taskDefinition: `${stack}-wordpress` }))).taskDefinition!;
    expect(td.containerDefinitions![0]!.environment!.find((e) => e.name === 'WORDPRESS_CONFIG_EXTRA')!.value).not.toContain('WP_HOME');
    // WordPress calls itself at http://<load balancer>: wp-cron's spawn request and Site Health's loopback.
    expect(await taskCannotReach(stack, 'load balancer', 80)).toEqual([]);
    const down = await run('down', '--purge', '--yes');
    expect(down.code, `${down.stdout}\n${down.stderr}`).toBe(0);
    expect(await stackVpcs(moto, stack)).toEqual([]);
  });
});
