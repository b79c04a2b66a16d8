/**
 * The app tier and the edge: the WordPress task roles and log group, the ECS cluster, the Fargate
 * task definition and service, the access-log bucket, the load balancer with its target group and
 * listeners, the certificate and DNS records when a domain is configured, and auto scaling.
 *
 * It reads the data tier's outputs by step id (`db-secret`, `wp-salts-secret`, `db`, `db-proxy`,
 * `efs`, the access point of `sharedFiles(config)`, `efs-mount-<az>`). Each is used only when that step exists (`b.has`): without the
 * data tier (or a part of it) the task runs without the database settings, the secrets or the EFS
 * volume, so this tier builds and runs on its own.
 */
import type { Config } from '../config/schema.js';
import { certificateKind, certificateValidationKind } from './certificate.js';
import { dbTlsMode, mysqlClientFlags } from './db-tls.js';
import { dnsRecordKind } from './dns-record.js';
import { ecsClusterKind } from './ecs-cluster.js';
import { ecsServiceKind, serviceResourceId } from './ecs-service.js';
import { hostedZoneKind } from './hosted-zone.js';
import { iamRoleKind, roleName, type PolicyDocument, type PolicyStatement } from './iam-role.js';
import { TLS_POLICY, listenerKind, type ListenerAction } from './listener.js';
import { loadBalancerKind } from './load-balancer.js';
import { logGroupKind, logGroupName } from './log-group.js';
import { accessLogBucketName, accessLogBucketPolicy, s3BucketKind } from './s3-bucket.js';
import { scalableTargetKind } from './scalable-target.js';
import { requestCountLabel, scalingPolicyKind } from './scaling-policy.js';
import { subnetStep } from './stack-network.js';
import { sharedFiles } from './stack-data.js';
import { createDep, dep, deleteDep, type StepBuilder } from './step-builder.js';
import { targetGroupKind, type HealthCheck } from './target-group.js';
import { taskDefinitionKind, type TaskDefinitionSpec } from './task-definition.js';
import type { Dependency, Inputs, Outputs, ResourceKind } from './types.js';
import { phpSettings, wordpressStart } from './wordpress-start.js';

export const APP_KINDS: ResourceKind[] = [
  hostedZoneKind, dnsRecordKind, certificateKind, certificateValidationKind, logGroupKind, iamRoleKind, ecsClusterKind, taskDefinitionKind,
  s3BucketKind, loadBalancerKind, targetGroupKind, listenerKind, ecsServiceKind, scalableTargetKind, scalingPolicyKind,
] as ResourceKind[];

/** The container's name, port, and where the official image keeps WordPress. */
export const CONTAINER = 'wordpress';
export const CONTAINER_PORT = 80;
/**
 * Health check path: a static file of WordPress core, served by Apache from the task's copy of core.
 * It answers 200 as soon as the entrypoint has put WordPress in place, whether or not
 * WordPress is installed yet (before installation `/` answers 302 to install.php, after it 200 or
 * 301), without running PHP or querying the database — so a database outage does not make ECS
 * replace every task in a loop (a task whose EFS volume cannot be mounted does not start at all).
 * The matcher accepts 200-399 all the same.
 */
export const HEALTH_CHECK: HealthCheck = {
  path: '/wp-includes/images/blank.gif', matcher: '200-399', intervalSeconds: 15, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 3,
};
/** 30 s instead of ELB's default 300 s: WordPress requests are short; deployments and `down` drain quicker. */
export const DEREGISTRATION_DELAY_SECONDS = 30;
/** A start copies WordPress core to the task's disk, and on a new file system the bundled themes and plugins onto EFS, before Apache answers. */
export const HEALTH_CHECK_GRACE_SECONDS = 300;

/** The salts and keys every task must share (WordPress logs users out between tasks otherwise). */
export const SALT_KEYS = ['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'] as const;

/** AWS names the stack's app resources get (all start with the stack name). */
export function appNames(config: Config) {
  const { stack, region } = config;
  return {
    cluster: `${stack}-cluster`,
    service: `${stack}-wordpress`,
    family: `${stack}-wordpress`,
    loadBalancer: `${stack}-alb`,
    targetGroup: `${stack}-tg`,
    logGroup: logGroupName(stack, 'wordpress'),
    executionRole: roleName(stack, 'task-execution', region),
    taskRole: roleName(stack, 'task', region),
    cpuPolicy: `${stack}-cpu`,
    requestsPolicy: `${stack}-requests`,
  };
}

/**
 * PHP that WordPress runs from wp-config.php. The load balancer terminates TLS and forwards HTTP, so
 * WordPress must believe `X-Forwarded-Proto` or it loops on redirects and serves mixed content; only
 * the load balancer can reach the tasks (security group), so the header is trustworthy. With a
 * domain, the site's URL is pinned to it (https) from the first request, and admin is HTTPS only.
 */
export function wordpressConfigExtra(domain: string | undefined): string {
  const lines = [
    "if (isset($_SERVER['HTTP_X_FORWARDED_PROTO']) && strpos($_SERVER['HTTP_X_FORWARDED_PROTO'], 'https') !== false) { $_SERVER['HTTPS'] = 'on'; }",
  ];
  if (domain) {
    lines.push(`define('WP_HOME', 'https://${domain}');`, `define('WP_SITEURL', 'https://${domain}');`, "define('FORCE_SSL_ADMIN', true);");
  }
  return lines.join('\n');
}

/** An ECR image `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO[:tag|@digest]`: its repository ARN. */
export function ecrRepositoryArn(image: string): string | undefined {
  const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(image);
  if (!m) return undefined;
  const partition = m[2]!.startsWith('cn-') ? 'aws-cn' : m[2]!.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:ecr:${m[2]}:${m[1]}:repository/${m[3]}`;
}

/**
 * The execution role's permissions (what ECS needs to start the task): write to the stack's log
 * group, read exactly the stack's two secrets, and pull the image from ECR when it comes from there
 * (a public image, such as the default from ECR Public or one from Docker Hub, needs no permission).
 */
export function executionRolePolicy(opts: { logGroupArn: string; secretArns: string[]; image: string }): PolicyDocument {
  const statements: PolicyStatement[] = [
    { Sid: 'WriteTaskLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${opts.logGroupArn}:log-stream:*` },
  ];
  if (opts.secretArns.length) statements.push({ Sid: 'ReadStackSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: opts.secretArns });
  const repo = ecrRepositoryArn(opts.image);
  if (repo) {
    statements.push(
      // GetAuthorizationToken has no resource to scope to: AWS requires `*` here (the action is exact).
      { Sid: 'EcrLogin', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      { Sid: 'PullImage', Effect: 'Allow', Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], Resource: repo },
    );
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** The task role's permissions: mount and write this file system, through this access point only. */
export function taskRolePolicy(opts: { fileSystemArn: string; accessPointArn: string }): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{
      Sid: 'MountWordpressContent',
      Effect: 'Allow',
      Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      Resource: opts.fileSystemArn,
      Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': opts.accessPointArn } },
    }],
  };
}

/** The data tier's outputs this tier reads, each only when its step exists. */
interface DataInputs {
  dbSecretArn?: string;
  saltsSecretArn?: string;
  dbHost?: string;
  /** WordPress reaches the database through the RDS Proxy (not the instance). */
  dbViaProxy?: boolean;
  dbName?: string;
  efs?: { fileSystemId: string; fileSystemArn: string; accessPointId: string; accessPointArn: string };
}

function dataInputs(b: StepBuilder, i: Inputs): DataInputs {
  const out: DataInputs = {};
  if (b.has('db-secret')) out.dbSecretArn = i.get('db-secret', 'arn');
  if (b.has('wp-salts-secret')) out.saltsSecretArn = i.get('wp-salts-secret', 'arn');
  if (b.has('db')) {
    const proxy = b.config.database.proxy && b.has('db-proxy');
    out.dbHost = `${proxy ? i.get('db-proxy', 'endpoint') : i.get('db', 'endpoint')}:${i.get('db', 'port')}`;
    out.dbViaProxy = proxy;
    out.dbName = i.get('db', 'dbName');
  }
  const ap = sharedFiles(b.config).step;
  if (b.has('efs') && b.has(ap)) {
    out.efs = {
      fileSystemId: i.get('efs', 'fileSystemId'), fileSystemArn: i.get('efs', 'arn'),
      accessPointId: i.get(ap, 'accessPointId'), accessPointArn: i.get(ap, 'arn'),
    };
  }
  return out;
}

/** The WordPress container's settings and secrets (secrets as `valueFrom` only: `<secret ARN>:<json key>::`). */
export function wordpressEnvironment(config: Config, d: DataInputs): { environment: Record<string, string>; secrets: Record<string, string> } {
  const environment: Record<string, string> = { WORDPRESS_CONFIG_EXTRA: wordpressConfigExtra(config.domain?.name) };
  if (d.dbHost) {
    environment.WORDPRESS_DB_HOST = d.dbHost;
    // TLS to the database, always (db-tls.ts says why verified only through the proxy).
    environment.WORDPRESS_CONFIG_EXTRA += `\n${mysqlClientFlags(dbTlsMode(!!d.dbViaProxy))}`;
  }
  if (d.dbName) environment.WORDPRESS_DB_NAME = d.dbName;
  const secrets: Record<string, string> = {};
  if (d.dbSecretArn) {
    secrets.WORDPRESS_DB_USER = `${d.dbSecretArn}:username::`;
    secrets.WORDPRESS_DB_PASSWORD = `${d.dbSecretArn}:password::`;
  }
  if (d.saltsSecretArn) for (const k of SALT_KEYS) secrets[`WORDPRESS_${k}`] = `${d.saltsSecretArn}:${k}::`;
  return { environment, secrets };
}

const ifPresent = (b: StepBuilder, ...deps: Dependency[]) => deps.filter((d) => b.has(d.step));

export function appSteps(b: StepBuilder): void {
  const { config, ctx } = b;
  const { stack, region } = config;
  const names = appNames(config);
  const add = b.add.bind(b);
  const domain = config.domain;
  const bucket = accessLogBucketName(stack, ctx.account, region);

  if (domain) {
    // A check: a missing or undelegated zone stops `up` before anything is changed. Only the records
    // need the zone; the other steps read meanwhile and hold back their changes until it passes.
    add('hosted-zone', 'hosted-zone', hostedZoneKind, [], () => ({ name: domain.hostedZone }), { check: true });
  }

  // Identity and logs. A role's policy naming a resource orders `up` only: IAM deletes either first.
  add('app-log-group', 'wordpress-logs', logGroupKind, [], (_, tags) => ({ name: names.logGroup, retentionDays: config.logs.retentionDays, tags }));
  add('task-execution-role', 'task-execution', iamRoleKind, [
    createDep('app-log-group', 'its policy names the log group'),
    ...ifPresent(b, createDep('db-secret', 'its policy names the database secret'), createDep('wp-salts-secret', 'its policy names the salts secret')),
  ], (i, tags) => {
    const d = dataInputs(b, i);
    return {
      name: names.executionRole,
      description: `wpdeploy ${stack}: lets ECS pull the WordPress image, write its logs and read its secrets`,
      trustService: 'ecs-tasks.amazonaws.com',
      sourceAccount: ctx.account,
      inlinePolicies: {
        'start-wordpress-task': executionRolePolicy({
          logGroupArn: i.get('app-log-group', 'arn'),
          secretArns: [d.dbSecretArn, d.saltsSecretArn].filter((x): x is string => !!x),
          image: config.wordpress.image,
        }),
      },
      managedPolicyArns: [],
      tags,
    };
  });
  add('task-role', 'task', iamRoleKind, ifPresent(b, createDep('efs', 'its policy names the file system'), createDep(sharedFiles(config).step, 'its policy names the access point')), (i, tags) => {
    const d = dataInputs(b, i);
    return {
      name: names.taskRole,
      description: `wpdeploy ${stack}: what the WordPress containers may do (mount their file system)`,
      trustService: 'ecs-tasks.amazonaws.com',
      sourceAccount: ctx.account,
      inlinePolicies: (d.efs ? { 'mount-wordpress-content': taskRolePolicy({ fileSystemArn: d.efs.fileSystemArn, accessPointArn: d.efs.accessPointArn }) } : {}) as Record<string, PolicyDocument>,
      managedPolicyArns: [],
      tags,
    };
  });

  // Cluster and task definition
  add('ecs-cluster', 'cluster', ecsClusterKind, [], (_, tags) => ({ name: names.cluster, containerInsights: 'enabled' as const, tags }));
  // A task definition only names things: registering it needs their ARNs and the database's host;
  // deregistering it needs nothing, and none of them waits for it on delete.
  add('task-definition', 'wordpress', taskDefinitionKind, [
    createDep('task-execution-role', 'ECS starts the task with it'),
    createDep('task-role', 'the containers run with it'),
    createDep('app-log-group', 'the containers log to it'),
    ...ifPresent(b,
      createDep('db-secret', 'the database credentials come from it'), createDep('wp-salts-secret', 'the salts come from it'),
      createDep('db', 'the database host and name come from it'), createDep('db-proxy', 'WordPress connects through it'),
      createDep('efs', 'the content volume is on it'), createDep(sharedFiles(config).step, 'the content volume mounts through it')),
  ], (i, tags): TaskDefinitionSpec => {
    const d = dataInputs(b, i);
    const { environment, secrets } = wordpressEnvironment(config, d);
    const shared = sharedFiles(config);
    return {
      family: names.family,
      cpu: config.wordpress.cpu,
      memory: config.wordpress.memory,
      taskRoleArn: i.get('task-role', 'arn'),
      executionRoleArn: i.get('task-execution-role', 'arn'),
      container: {
        name: CONTAINER,
        image: config.wordpress.image,
        port: CONTAINER_PORT,
        environment,
        secrets,
        log: { group: names.logGroup, region, streamPrefix: CONTAINER },
        // FSBP ECS.5 is not met on purpose: the official image writes at start and at run time to
        // /var/www/html (its copy of WordPress, wp-config.php; wp-content on EFS), /tmp (PHP uploads and
        // sessions) and Apache's runtime directories (/var/run/apache2, /var/lock/apache2). A
        // read-only root file system stops Apache from starting.
        readonlyRootFilesystem: false,
        mounts: d.efs ? [{ volume: 'wordpress', path: shared.containerPath }] : [],
        // Several tasks starting on an empty file system install WordPress one at a time, and with
        // code on EFS OPcache revalidates every 60 s (wordpress-start.ts).
        ...wordpressStart(config.wordpress.image, shared.containerPath, !!d.efs, phpSettings(config.wordpress.sharedFiles)),
      },
      // Without the data tier's file system the task runs from the image alone (content is not kept).
      volumes: d.efs ? [{ name: 'wordpress', fileSystemId: d.efs.fileSystemId, accessPointId: d.efs.accessPointId }] : [],
      tags,
    };
  });

  // Edge: access logs, load balancer, target group
  add('alb-logs-bucket', 'alb-logs', s3BucketKind, [], (_, tags) => ({
    name: bucket, policy: accessLogBucketPolicy(bucket, ctx.account, region), expireDays: config.logs.retentionDays, tags,
  }));
  const publicSubnets = b.azs.map((az) => subnetStep('public', az));
  add('alb', 'alb', loadBalancerKind, [
    ...publicSubnets.map((s) => dep(s, 'it spans the public subnets; its interfaces keep them until it is gone')),
    dep('sg-alb', 'it uses the alb security group; its interfaces keep the group until it is gone'),
    dep('igw', 'an internet-facing load balancer stays provisioning without an internet gateway; its public addresses keep the gateway attached'),
    dep('alb-logs-bucket', 'the bucket policy must let ELB write before access logs are switched on; the bucket is emptied once nothing writes to it'),
  ], (i, tags) => ({
    name: names.loadBalancer,
    subnetIds: publicSubnets.map((s) => i.get(s, 'subnetId')),
    securityGroupIds: [i.get('sg-alb', 'groupId')],
    scheme: 'internet-facing' as const,
    ipAddressType: 'ipv4' as const,
    attributes: {
      'deletion_protection.enabled': 'true',
      'routing.http.drop_invalid_header_fields.enabled': 'true',
      'routing.http.desync_mitigation_mode': 'defensive',
      'access_logs.s3.enabled': 'true',
      'access_logs.s3.bucket': bucket,
    },
    tags,
  }), { preflight: { quotas: [{ quota: 'alb', amount: 1, name: names.loadBalancer }] } });
  add('target-group', 'tg', targetGroupKind, [createDep('vpc', 'targets are in the VPC (a target group does not keep the VPC)')], (i, tags) => ({
    name: names.targetGroup, vpcId: i.get('vpc', 'vpcId'), port: CONTAINER_PORT, protocol: 'HTTP' as const, targetType: 'ip' as const,
    healthCheck: HEALTH_CHECK, attributes: { 'deregistration_delay.timeout_seconds': String(DEREGISTRATION_DELAY_SECONDS) }, tags,
  }));

  const forward = (i: Inputs): ListenerAction => ({ type: 'forward', targetGroupArn: i.get('target-group', 'arn') });
  const listeners: string[] = [];
  if (domain) {
    // Requesting the certificate needs nothing; its validation record needs the zone.
    add('certificate', 'certificate', certificateKind, [], (_, tags) => ({ domainName: domain.name, tags }));
    add('certificate-dns', 'certificate-validation', dnsRecordKind, [
      createDep('certificate', 'ACM names the record'), createDep('hosted-zone', 'written into the zone'),
    ], (i) => ({
      zoneName: domain.hostedZone, zoneId: i.get('hosted-zone', 'zoneId'), name: i.get('certificate', 'validationName'),
      type: 'CNAME' as const, ttl: 300, values: [i.get('certificate', 'validationValue')],
    }));
    add('certificate-issued', 'certificate', certificateValidationKind, [
      createDep('certificate', 'waits for it'), createDep('certificate-dns', 'ACM validates through the record'),
    ], (i) => ({
      certificateArn: i.get('certificate', 'arn'), domainName: domain.name,
    }));
    add('listener-https', 'https', listenerKind, [
      dep('alb', 'a listener of the load balancer'),
      dep('target-group', 'forwards to it; the group cannot be deleted while a listener forwards to it'),
      createDep('certificate-issued', 'a listener needs an issued certificate'),
      deleteDep('certificate', 'ACM refuses to delete a certificate a listener uses'),
    ], (i, tags) => ({
      loadBalancerArn: i.get('alb', 'arn'), port: 443, protocol: 'HTTPS' as const, sslPolicy: TLS_POLICY,
      certificateArn: i.get('certificate-issued', 'certificateArn'), defaultAction: forward(i), tags,
    }));
    add('listener-http', 'http', listenerKind, [dep('alb', 'a listener of the load balancer')], (i, tags) => ({
      loadBalancerArn: i.get('alb', 'arn'), port: 80, protocol: 'HTTP' as const,
      defaultAction: { type: 'redirect' as const, protocol: 'HTTPS' as const, port: '443', statusCode: 'HTTP_301' as const }, tags,
    }));
    add('alias-record', 'alias', dnsRecordKind, [
      dep('alb', 'points to it; removed first, so the name never points to a deleted load balancer'), createDep('hosted-zone', 'written into the zone'),
    ], (i) => ({
      zoneName: domain.hostedZone, zoneId: i.get('hosted-zone', 'zoneId'), name: domain.name, type: 'A' as const,
      alias: { dnsName: i.get('alb', 'dnsName'), hostedZoneId: i.get('alb', 'canonicalHostedZoneId'), evaluateTargetHealth: true },
    }));
    // The load balancer is IPv4 only (ipAddressType ipv4): no AAAA record. A dual-stack one would add
    // a second alias record of type AAAA here.
    listeners.push('listener-https', 'listener-http');
  } else {
    // Without a domain there is no certificate: plain HTTP, and the listener says so when created.
    add('listener-http', 'http', listenerKind, [
      dep('alb', 'a listener of the load balancer'), dep('target-group', 'forwards to it; the group cannot be deleted while a listener forwards to it'),
    ], (i, tags) => ({
      loadBalancerArn: i.get('alb', 'arn'), port: 80, protocol: 'HTTP' as const, defaultAction: forward(i), tags,
    }));
    listeners.push('listener-http');
  }

  // Service and auto scaling. On delete only the service's task interfaces (subnets, security group)
  // and its cluster wait for it; AWS deletes the database, the mount targets, the routes and the
  // listeners under a running service.
  const appSubnets = b.azs.map((az) => subnetStep('app', az));
  add('ecs-service', 'wordpress', ecsServiceKind, [
    dep('ecs-cluster', 'runs in the cluster, which cannot be deleted while the service is active'),
    createDep('task-definition', 'runs this task definition'),
    dep('target-group', 'registers its tasks in it; they are deregistered from it while the service drains'),
    ...listeners.map((l) => createDep(l, 'ECS refuses a target group that no listener attaches to the load balancer')),
    ...appSubnets.map((s) => dep(s, 'its tasks run in the app subnets; their interfaces keep the subnets until the service has drained')),
    dep('sg-app', 'its tasks use the app security group; their interfaces keep the group until the service has drained'),
    ...ifPresent(b,
      createDep('sg-app-rules', 'tasks need their egress rules to pull the image and reach the database'),
      ...b.azs.map((az) => createDep(`rt-app-${az}`, 'tasks pull the image through the NAT gateway of their AZ')),
      ...b.azs.map((az) => createDep(`efs-mount-${az}`, 'tasks mount the file system in their AZ')),
      createDep('db', 'WordPress needs its database at start')),
  ], (i, tags) => ({
    cluster: names.cluster,
    name: names.service,
    taskDefinitionArn: i.get('task-definition', 'arn'),
    desiredCount: config.wordpress.desiredCount,
    subnetIds: appSubnets.map((s) => i.get(s, 'subnetId')),
    securityGroupIds: [i.get('sg-app', 'groupId')],
    assignPublicIp: 'DISABLED' as const,
    loadBalancers: [{ targetGroupArn: i.get('target-group', 'arn'), containerName: CONTAINER, containerPort: CONTAINER_PORT }],
    healthCheckGracePeriodSeconds: HEALTH_CHECK_GRACE_SECONDS,
    deployment: { circuitBreaker: { enable: true, rollback: true }, minimumHealthyPercent: 100, maximumPercent: 200 },
    propagateTags: 'SERVICE' as const,
    enableECSManagedTags: true,
    platformVersion: 'LATEST',
    tags,
    // Preflight: room for the tasks auto scaling may run, scaling.max of them (or desiredCount, if more) of wordpress.cpu units each.
  }), { preflight: { quotas: [{ quota: 'fargate-vcpu', amount: Math.max(config.scaling.max, config.wordpress.desiredCount) * config.wordpress.cpu / 1024, name: `${names.cluster}/service:${names.service}` }] } });
  // Auto scaling needs only the service to exist: the service step lets it go ahead once ECS has the
  // service, and goes on waiting until the service is steady (or reports why it is not).
  const resourceId = serviceResourceId(names.cluster, names.service);
  add('scaling-target', 'scaling', scalableTargetKind, [dep('ecs-service', 'scales its desired count; deregistered first, so nothing scales the service while it drains')], (_, tags) => ({
    resourceId, min: config.scaling.min, max: config.scaling.max, tags,
  }));
  add('scaling-cpu', 'scaling-cpu', scalingPolicyKind, [dep('scaling-target', 'a policy of the scalable target')], () => ({
    name: names.cpuPolicy, resourceId, metric: 'ECSServiceAverageCPUUtilization' as const, targetValue: config.scaling.cpuTarget, scaleInCooldown: 300, scaleOutCooldown: 60,
  }));
  add('scaling-requests', 'scaling-requests', scalingPolicyKind, [
    dep('scaling-target', 'a policy of the scalable target'),
    createDep('alb', 'its metric is the load balancer\'s'), createDep('target-group', 'its metric is per target of the group'),
  ], (i) => ({
    name: names.requestsPolicy, resourceId, metric: 'ALBRequestCountPerTarget' as const,
    resourceLabel: requestCountLabel(i.get('alb', 'arnSuffix'), i.get('target-group', 'arnSuffix')),
    targetValue: config.scaling.requestsPerTarget, scaleInCooldown: 300, scaleOutCooldown: 60,
  }));
}

export interface AppSummary {
  /** The site's URL: https://<domain> once its record exists; without a domain http://<load balancer DNS name>. */
  url?: string;
  /** False when the site is served over plain HTTP (no domain). */
  encrypted: boolean;
  service?: { running: number; desired: number };
  /** Target health: `2/2 healthy`, `no targets`. */
  targets?: string;
  /** ACM status of the certificate (with a domain). */
  certificate?: string;
}

/**
 * What `up` prints at the end and `status` shows: the site's URL, the service's running/desired
 * tasks, the targets' health and the certificate's status, from the steps' outputs.
 */
export function appSummary(config: Config, outputs: Record<string, Outputs>): AppSummary {
  const alb = outputs['alb'];
  const alias = outputs['alias-record'];
  const svc = outputs['ecs-service'];
  const out: AppSummary = { encrypted: !!config.domain };
  if (config.domain) {
    if (alias) out.url = `https://${config.domain.name}`;
  } else if (alb?.dnsName) {
    out.url = `http://${alb.dnsName}`;
  }
  if (svc) out.service = { running: Number(svc.runningCount ?? 0), desired: Number(svc.desiredCount ?? 0) };
  if (outputs['target-group']?.health) out.targets = outputs['target-group'].health;
  const cert = outputs['certificate-issued']?.status ?? outputs['certificate']?.status;
  if (cert) out.certificate = cert;
  return out;
}
