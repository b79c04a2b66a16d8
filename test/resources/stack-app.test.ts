import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { WorkGraph } from '../../src/engine/graph.js';
import { assertNoWildcardActions } from '../../src/resources/iam-role.js';
import { buildSteps } from '../../src/resources/stack.js';
import { appSteps, appSummary } from '../../src/resources/stack-app.js';
import { networkSteps } from '../../src/resources/stack-network.js';
import { StepBuilder } from '../../src/resources/step-builder.js';
import { renderTaskDefinition, type TaskDefinitionSpec } from '../../src/resources/task-definition.js';
import type { Inputs, StepDef } from '../../src/resources/types.js';
import { ecrRepositoryArn, executionRolePolicy, taskRolePolicy, wordpressConfigExtra, wordpressEnvironment } from '../../src/resources/wordpress-task.js';

const ACCOUNT = '123456789012';
const ctx = { zones: ['us-east-1a', 'us-east-1b'], account: ACCOUNT };
const withDomain = validateConfig({ stack: 'blog', domain: { name: 'www.example.com', hostedZone: 'example.com' } });
const withoutDomain = validateConfig({ stack: 'blog' });

/** Inputs answering `<step>.<key>` for every step, as if everything existed. */
const inputs: Inputs = { get: (step, key) => (key === 'port' ? '3306' : `${step}.${key}`) };
const byId = (steps: StepDef[]) => new Map(steps.map((s) => [s.id, s]));

describe('appSteps', () => {
  it('with a domain: certificate, validation record and wait, HTTPS and redirecting HTTP listeners, alias record', () => {
    const ids = buildSteps(withDomain, ctx).map((s) => s.id);
    for (const id of ['hosted-zone', 'certificate', 'certificate-dns', 'certificate-issued', 'listener-https', 'listener-http', 'alias-record',
      'app-log-group', 'task-execution-role', 'task-role', 'ecs-cluster', 'task-definition', 'alb-logs-bucket', 'alb', 'target-group',
      'ecs-service', 'scaling-target', 'scaling-cpu', 'scaling-requests']) expect(ids).toContain(id);
    expect(() => new WorkGraph(buildSteps(withDomain, ctx).map((s) => ({ id: s.id, dependsOn: s.dependsOn.map((d) => d.step) })))).not.toThrow();
  });

  it('with a domain, the hosted zone is a check (nothing is changed before it passes), and only the records need the zone', () => {
    const steps = buildSteps(withDomain, ctx);
    expect(byId(steps).get('hosted-zone')!.check).toBe(true);
    expect(byId(steps).get('hosted-zone')!.dependsOn).toEqual([]);
    const onZone = steps.filter((s) => s.dependsOn.some((d) => d.step === 'hosted-zone'));
    expect(onZone.map((s) => s.id).sort()).toEqual(['alias-record', 'certificate-dns']);
    // The zone is the user's: teardown never waits for, nor orders anything around, the lookup.
    for (const s of onZone) expect(s.dependsOn.find((d) => d.step === 'hosted-zone')!.only).toBe('create');
  });

  it('auto scaling needs only the service (which lets it go ahead once it exists, before it is steady)', () => {
    const steps = byId(buildSteps(withDomain, ctx));
    expect(steps.get('scaling-target')!.dependsOn.map((d) => d.step)).toEqual(['ecs-service']);
    expect(steps.get('scaling-cpu')!.dependsOn.map((d) => d.step)).toEqual(['scaling-target']);
  });

  it('without a domain: one HTTP listener forwarding to the target group, no certificate, no records', () => {
    const steps = byId(buildSteps(withoutDomain, ctx));
    for (const id of ['hosted-zone', 'certificate', 'listener-https', 'alias-record']) expect(steps.has(id)).toBe(false);
    const http = steps.get('listener-http')!.desired(inputs) as { protocol: string; defaultAction: unknown };
    expect(http).toMatchObject({ protocol: 'HTTP', defaultAction: { type: 'forward', targetGroupArn: 'target-group.arn' } });
  });

  it('the HTTPS listener uses the TLS 1.3 policy and the issued certificate; HTTP redirects with a 301', () => {
    const steps = byId(buildSteps(withDomain, ctx));
    expect(steps.get('listener-https')!.desired(inputs)).toMatchObject({ port: 443, protocol: 'HTTPS', sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06', certificateArn: 'certificate-issued.certificateArn' });
    expect(steps.get('listener-http')!.desired(inputs)).toMatchObject({ port: 80, defaultAction: { type: 'redirect', protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } });
    expect(steps.get('certificate-issued')!.dependsOn.map((d) => d.step)).toContain('certificate-dns');
  });

  it('the load balancer waits for the bucket (policy before access logs) and the internet gateway', () => {
    const alb = byId(buildSteps(withDomain, ctx)).get('alb')!;
    expect(alb.dependsOn.map((d) => d.step)).toEqual(expect.arrayContaining(['alb-logs-bucket', 'igw', 'sg-alb', 'subnet-public-a', 'subnet-public-b']));
    expect(alb.desired(inputs)).toMatchObject({
      scheme: 'internet-facing', subnetIds: ['subnet-public-a.subnetId', 'subnet-public-b.subnetId'], securityGroupIds: ['sg-alb.groupId'],
      attributes: { 'deletion_protection.enabled': 'true', 'routing.http.drop_invalid_header_fields.enabled': 'true', 'access_logs.s3.enabled': 'true', 'access_logs.s3.bucket': `blog-alb-logs-${ACCOUNT}-us-east-1` },
    });
  });

  it('the service: app subnets, no public IP, circuit breaker, behind the target group, after the listeners, the mount targets and the database', () => {
    const svc = byId(buildSteps(withDomain, ctx)).get('ecs-service')!;
    expect(svc.dependsOn.map((d) => d.step)).toEqual(expect.arrayContaining(['listener-https', 'listener-http', 'efs-mount-a', 'efs-mount-b', 'db', 'task-definition', 'sg-app-rules']));
    expect(svc.desired(inputs)).toMatchObject({
      subnetIds: ['subnet-app-a.subnetId', 'subnet-app-b.subnetId'], securityGroupIds: ['sg-app.groupId'], assignPublicIp: 'DISABLED',
      deployment: { circuitBreaker: { enable: true, rollback: true } }, propagateTags: 'SERVICE', enableECSManagedTags: true,
      loadBalancers: [{ targetGroupArn: 'target-group.arn', containerName: 'wordpress', containerPort: 80 }],
    });
  });

  it('the request policy\'s label joins the load balancer and target group suffixes', () => {
    const p = byId(buildSteps(withDomain, ctx)).get('scaling-requests')!.desired(inputs);
    expect(p).toMatchObject({ metric: 'ALBRequestCountPerTarget', resourceLabel: 'alb.arnSuffix/target-group.arnSuffix', targetValue: 500 });
    expect(byId(buildSteps(withDomain, ctx)).get('scaling-cpu')!.desired(inputs)).toMatchObject({ metric: 'ECSServiceAverageCPUUtilization', targetValue: 60 });
  });
});

describe('the task definition', () => {
  const td = (config = withDomain) => byId(buildSteps(config, ctx)).get('task-definition')!.desired(inputs) as TaskDefinitionSpec;

  it('passes the database credentials and salts as secrets only, the host and name as settings', () => {
    const spec = td();
    expect(Object.keys(spec.container.environment).sort()).toEqual(['WORDPRESS_CONFIG_EXTRA', 'WORDPRESS_DB_HOST', 'WORDPRESS_DB_NAME']);
    expect(spec.container.environment.WORDPRESS_DB_HOST).toBe('db.endpoint:3306');
    expect(spec.container.secrets).toMatchObject({
      WORDPRESS_DB_USER: 'db-secret.arn:username::', WORDPRESS_DB_PASSWORD: 'db-secret.arn:password::',
      WORDPRESS_AUTH_KEY: 'wp-salts-secret.arn:AUTH_KEY::', WORDPRESS_NONCE_SALT: 'wp-salts-secret.arn:NONCE_SALT::',
    });
    expect(Object.keys(spec.container.secrets)).toHaveLength(10);
    expect(() => renderTaskDefinition(spec)).not.toThrow();
  });

  it('mounts the EFS access point over wp-content (core comes from the image), with OPcache revalidating every 60 s', () => {
    const spec = td();
    expect(spec.container.mounts).toEqual([{ volume: 'wordpress', path: '/var/www/html/wp-content' }]);
    expect(spec.volumes).toEqual([{ name: 'wordpress', fileSystemId: 'efs.fileSystemId', accessPointId: 'efs-ap-content.accessPointId' }]);
    expect(spec.container.readonlyRootFilesystem).toBe(false);
    // The setting is written before the image's own entrypoint runs, which then starts Apache as the image would.
    const c = renderTaskDefinition(spec).containerDefinitions![0]!;
    expect(c.entryPoint).toEqual(['/bin/sh', '-c']);
    expect(c.command![0]).toMatch(/^printf '%s\\n' 'opcache\.revalidate_freq=60' > \/usr\/local\/etc\/php\/conf\.d\/zz-wpdeploy\.ini; .*exec docker-entrypoint\.sh apache2-foreground$/);
  });

  it('with sharedFiles: uploads, mounts only wp-content/uploads and keeps the image\'s OPcache settings (no code on EFS)', () => {
    const spec = td(validateConfig({ stack: 'blog', wordpress: { sharedFiles: 'uploads' } }));
    expect(spec.container.mounts).toEqual([{ volume: 'wordpress', path: '/var/www/html/wp-content/uploads' }]);
    expect(spec.volumes).toEqual([{ name: 'wordpress', fileSystemId: 'efs.fileSystemId', accessPointId: 'efs-ap-uploads.accessPointId' }]);
    const c = renderTaskDefinition(spec).containerDefinitions![0]!;
    expect(c.command![0]).not.toContain('opcache');
    expect(c.command![0]).toContain('flock /var/www/html/wp-content/uploads/');
  });

  it('goes through the RDS proxy when there is one', () => {
    const spec = td(validateConfig({ stack: 'blog', database: { proxy: true } }));
    expect(spec.container.environment.WORDPRESS_DB_HOST).toBe('db-proxy.endpoint:3306');
  });

  it('without the data tier, runs without database settings, secrets or volume', () => {
    const b = new StepBuilder(withoutDomain, ctx);
    appSteps(b, networkSteps(b));
    const spec = byId(b.steps).get('task-definition')!.desired(inputs) as TaskDefinitionSpec;
    expect(Object.keys(spec.container.environment)).toEqual(['WORDPRESS_CONFIG_EXTRA']);
    expect(spec.container.secrets).toEqual({});
    expect(spec.volumes).toEqual([]);
    const role = byId(b.steps).get('task-role')!.desired(inputs) as { inlinePolicies: object };
    expect(role.inlinePolicies).toEqual({});
  });

  it('trusts X-Forwarded-Proto, and pins the site URL to the domain when there is one', () => {
    expect(wordpressConfigExtra(undefined)).toContain("$_SERVER['HTTP_X_FORWARDED_PROTO']");
    expect(wordpressConfigExtra(undefined)).not.toContain('WP_HOME');
    expect(wordpressConfigExtra('www.example.com')).toContain("define('WP_HOME', 'https://www.example.com');");
  });

  it('environment and secrets never share a name, whatever the inputs', () => {
    const { environment, secrets } = wordpressEnvironment(withDomain, { dbSecretArn: 'a', saltsSecretArn: 'b', dbHost: 'h:1', dbName: 'n' });
    expect(Object.keys(environment).filter((k) => k in secrets)).toEqual([]);
  });
});

describe('the task roles', () => {
  it('the execution role writes only to the stack\'s log group and reads exactly the two secrets; no wildcard action', () => {
    const role = byId(buildSteps(withDomain, ctx)).get('task-execution-role')!.desired(inputs) as { trustService: string; sourceAccount: string; inlinePolicies: Record<string, unknown> };
    expect(role).toMatchObject({ trustService: 'ecs-tasks.amazonaws.com', sourceAccount: ACCOUNT });
    const doc = Object.values(role.inlinePolicies)[0] as ReturnType<typeof executionRolePolicy>;
    expect(doc.Statement).toEqual([
      { Sid: 'WriteTaskLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: 'app-log-group.arn:log-stream:*' },
      { Sid: 'ReadStackSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: ['db-secret.arn', 'wp-salts-secret.arn'] },
    ]);
    expect(() => assertNoWildcardActions(doc)).not.toThrow();
  });

  it('pulls from ECR only for an ECR image, scoped to its repository', () => {
    const image = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/wordpress:6';
    expect(ecrRepositoryArn(image)).toBe('arn:aws:ecr:eu-west-1:123456789012:repository/team/wordpress');
    expect(ecrRepositoryArn('wordpress:6-php8.3-apache')).toBeUndefined();
    // ECR Public (the default image) is pulled anonymously: no ECR permission on the execution role.
    expect(ecrRepositoryArn('public.ecr.aws/docker/library/wordpress:6-php8.3-apache')).toBeUndefined();
    const doc = executionRolePolicy({ logGroupArn: 'lg', secretArns: [], image });
    expect(doc.Statement.map((s) => s.Sid)).toEqual(['WriteTaskLogs', 'EcrLogin', 'PullImage']);
    expect(() => assertNoWildcardActions(doc)).not.toThrow();
  });

  it('the task role mounts and writes this file system through this access point only', () => {
    expect(taskRolePolicy({ fileSystemArn: 'fs-arn', accessPointArn: 'ap-arn' }).Statement).toEqual([{
      Sid: 'MountWordpressContent', Effect: 'Allow', Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'], Resource: 'fs-arn',
      Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': 'ap-arn' } },
    }]);
  });
});

describe('appSummary', () => {
  it('https://domain once the record exists; the service, targets and certificate', () => {
    expect(appSummary(withDomain, {
      'alb': { dnsName: 'blog-alb-1.elb' }, 'alias-record': { name: 'www.example.com' },
      'ecs-service': { runningCount: '2', desiredCount: '3' }, 'target-group': { health: '2/2 healthy' }, 'certificate-issued': { status: 'ISSUED' },
    })).toEqual({ url: 'https://www.example.com', encrypted: true, service: { running: 2, desired: 3 }, targets: '2/2 healthy', certificate: 'ISSUED' });
  });
  it('http://<load balancer> without a domain, said to be unencrypted', () => {
    expect(appSummary(withoutDomain, { alb: { dnsName: 'blog-alb-1.elb' } })).toEqual({ url: 'http://blog-alb-1.elb', encrypted: false });
    expect(appSummary(withoutDomain, {})).toEqual({ encrypted: false });
    expect(appSummary(withDomain, { alb: { dnsName: 'blog-alb-1.elb' } })).toEqual({ encrypted: true });
  });
});
