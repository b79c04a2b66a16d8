/**
 * The app tier and the edge: the WordPress task roles and log group, the ECS cluster, the Fargate
 * task definition and service, the access-log bucket, the load balancer with its target group and
 * listeners, the certificate and DNS records when a domain is configured, and auto scaling.
 *
 * It reads the network (`Network`) and the data tier (`Data`, optional: without it the task runs
 * without the database settings, the secrets or the EFS volume, so this tier builds and runs on its own).
 */
import type { Config } from '../config/schema.js';
import { certificateKind, certificateValidationKind } from './certificate.js';
import { dnsRecordKind } from './dns-record.js';
import { ecsClusterKind } from './ecs-cluster.js';
import { ecsServiceKind, serviceResourceId } from './ecs-service.js';
import { hostedZoneKind } from './hosted-zone.js';
import { iamRoleKind, roleName, type PolicyDocument } from './iam-role.js';
import { TLS_POLICY, listenerKind, type ListenerAction } from './listener.js';
import { loadBalancerKind } from './load-balancer.js';
import { logGroupKind, logGroupName } from './log-group.js';
import { accessLogBucketName, accessLogBucketPolicy, s3BucketKind } from './s3-bucket.js';
import { scalableTargetKind } from './scalable-target.js';
import { requestCountLabel, scalingPolicyKind } from './scaling-policy.js';
import { sharedFiles, type Data } from './stack-data.js';
import type { Network } from './stack-network.js';
import { createDep, dep, deleteDep, type Step, type StepBuilder } from './step-builder.js';
import { targetGroupKind, type HealthCheck } from './target-group.js';
import { taskDefinitionKind, type TaskDefinitionSpec } from './task-definition.js';
import type { Outputs } from './types.js';
import { phpSettings, wordpressStart } from './wordpress-start.js';
import { dataInputs, executionRolePolicy, taskRolePolicy, wordpressEnvironment } from './wordpress-task.js';

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

type Names = ReturnType<typeof appNames>;

export function appSteps(b: StepBuilder, net: Network, data?: Data): void {
  const names = appNames(b.config);
  const domain = b.config.domain;
  // A check: a missing or undelegated zone stops `up` before anything is changed. Only the records
  // need the zone; the other steps read meanwhile and hold back their changes until it passes.
  const zone = domain ? b.add('hosted-zone', 'hosted-zone', hostedZoneKind, [], () => ({ name: domain.hostedZone }), { check: true }) : undefined;
  const task = taskSteps(b, names, data);
  const { alb, targetGroup } = loadBalancer(b, names, net);
  const listeners = zone ? httpsListeners(b, zone, alb, targetGroup) : [b.add('listener-http', 'http', listenerKind, [
    // Without a domain there is no certificate: plain HTTP, and the listener says so when created.
    deleteDep(alb, 'a listener of the load balancer'), deleteDep(targetGroup, 'forwards to it; the group cannot be deleted while a listener forwards to it'),
  ], (tags) => ({ loadBalancerArn: alb.out.arn, port: 80, protocol: 'HTTP' as const, defaultAction: forward(targetGroup), tags }))];
  service(b, names, { net, data, task, alb, targetGroup, listeners });
}

/** The log group, the two roles, the cluster and the task definition. A role's policy naming a resource orders `up` only: IAM deletes either first. */
function taskSteps(b: StepBuilder, names: Names, data: Data | undefined): { cluster: Step; definition: Step<'arn'> } {
  const { config, ctx } = b;
  const { stack, region } = config;
  const logGroup = b.add('app-log-group', 'wordpress-logs', logGroupKind, [], (tags) => ({ name: names.logGroup, retentionDays: config.logs.retentionDays, tags }));
  const role = (id: string, role: string, roleName: string, what: string, inlinePolicies: () => Record<string, PolicyDocument>) => b.add(id, role, iamRoleKind, [], (tags) => ({
    name: roleName, description: `wpdeploy ${stack}: ${what}`, trustService: 'ecs-tasks.amazonaws.com', sourceAccount: ctx.account,
    inlinePolicies: inlinePolicies(), managedPolicyArns: [], tags,
  }));
  const executionRole = role('task-execution-role', 'task-execution', names.executionRole, 'lets ECS pull the WordPress image, write its logs and read its secrets', () => ({
    'start-wordpress-task': executionRolePolicy({
      logGroupArn: logGroup.out.arn, secretArns: data ? [data.dbSecret.out.arn, data.saltsSecret.out.arn] : [], image: config.wordpress.image,
    }),
  }));
  const taskRole = role('task-role', 'task', names.taskRole, 'what the WordPress containers may do (mount their file system)', (): Record<string, PolicyDocument> => (data
    ? { 'mount-wordpress-content': taskRolePolicy({ fileSystemArn: data.efs.out.arn, accessPointArn: data.accessPoint.out.arn }) }
    : {}));
  const cluster = b.add('ecs-cluster', 'cluster', ecsClusterKind, [], (tags) => ({ name: names.cluster, containerInsights: 'enabled' as const, tags }));
  // A task definition only names things: registering it needs their ARNs and the database's host;
  // deregistering it needs nothing, and none of them waits for it on delete.
  const definition = b.add('task-definition', 'wordpress', taskDefinitionKind, [createDep(logGroup, 'the containers log to it')], (tags): TaskDefinitionSpec => {
    const d = dataInputs(data);
    const { environment, secrets } = wordpressEnvironment(config, d);
    const shared = sharedFiles(config);
    return {
      family: names.family, cpu: config.wordpress.cpu, memory: config.wordpress.memory,
      taskRoleArn: taskRole.out.arn, executionRoleArn: executionRole.out.arn,
      container: {
        name: CONTAINER, image: config.wordpress.image, port: CONTAINER_PORT, environment, secrets,
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
  return { cluster, definition };
}

type Alb = Step<'arn' | 'arnSuffix' | 'dnsName' | 'canonicalHostedZoneId'>;
type TargetGroup = Step<'arn' | 'arnSuffix'>;

/** The access-log bucket, the internet-facing load balancer in the public subnets, and the target group. */
function loadBalancer(b: StepBuilder, names: Names, net: Network): { alb: Alb; targetGroup: TargetGroup } {
  const { config, ctx } = b;
  const bucket = accessLogBucketName(config.stack, ctx.account, config.region);
  const logs = b.add('alb-logs-bucket', 'alb-logs', s3BucketKind, [], (tags) => ({
    name: bucket, policy: accessLogBucketPolicy(bucket, ctx.account, config.region), expireDays: config.logs.retentionDays, tags,
  }));
  const alb = b.add('alb', 'alb', loadBalancerKind, [
    ...net.subnets.public.map((s) => deleteDep(s, 'it spans the public subnets; its interfaces keep them until it is gone')),
    deleteDep(net.groups.alb, 'it uses the alb security group; its interfaces keep the group until it is gone'),
    dep(net.igw, 'an internet-facing load balancer stays provisioning without an internet gateway; its public addresses keep the gateway attached'),
    dep(logs, 'the bucket policy must let ELB write before access logs are switched on; the bucket is emptied once nothing writes to it'),
  ], (tags) => ({
    name: names.loadBalancer,
    subnetIds: net.subnets.public.map((s) => s.out.subnetId),
    securityGroupIds: [net.groups.alb.out.groupId],
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
  // Targets are in the VPC; a target group does not keep the VPC (reading its id orders only `up`).
  const targetGroup = b.add('target-group', 'tg', targetGroupKind, [], (tags) => ({
    name: names.targetGroup, vpcId: net.vpc.out.vpcId, port: CONTAINER_PORT, protocol: 'HTTP' as const, targetType: 'ip' as const,
    healthCheck: HEALTH_CHECK, attributes: { 'deregistration_delay.timeout_seconds': String(DEREGISTRATION_DELAY_SECONDS) }, tags,
  }));
  return { alb, targetGroup };
}

const forward = (targetGroup: TargetGroup): ListenerAction => ({ type: 'forward', targetGroupArn: targetGroup.out.arn });

/** With a domain: the certificate and its validation, HTTPS, HTTP redirecting to it, and the alias record. */
function httpsListeners(b: StepBuilder, zone: Step<'zoneId'>, alb: Alb, targetGroup: TargetGroup): Step[] {
  const domain = b.config.domain!;
  // Requesting the certificate needs nothing; its validation record needs the zone.
  const certificate = b.add('certificate', 'certificate', certificateKind, [], (tags) => ({ domainName: domain.name, tags }));
  const validation = b.add('certificate-dns', 'certificate-validation', dnsRecordKind, [], () => ({
    zoneName: domain.hostedZone, zoneId: zone.out.zoneId, name: certificate.out.validationName,
    type: 'CNAME' as const, ttl: 300, values: [certificate.out.validationValue],
  }));
  const issued = b.add('certificate-issued', 'certificate', certificateValidationKind, [createDep(validation, 'ACM validates through the record')], () => ({
    certificateArn: certificate.out.arn, domainName: domain.name,
  }));
  const https = b.add('listener-https', 'https', listenerKind, [
    deleteDep(alb, 'a listener of the load balancer'),
    deleteDep(targetGroup, 'forwards to it; the group cannot be deleted while a listener forwards to it'),
    deleteDep(certificate, 'ACM refuses to delete a certificate a listener uses'),
  ], (tags) => ({ // reading the issued certificate's ARN: a listener needs an issued certificate
    loadBalancerArn: alb.out.arn, port: 443, protocol: 'HTTPS' as const, sslPolicy: TLS_POLICY,
    certificateArn: issued.out.certificateArn, defaultAction: forward(targetGroup), tags,
  }));
  const http = b.add('listener-http', 'http', listenerKind, [deleteDep(alb, 'a listener of the load balancer')], (tags) => ({
    loadBalancerArn: alb.out.arn, port: 80, protocol: 'HTTP' as const,
    defaultAction: { type: 'redirect' as const, protocol: 'HTTPS' as const, port: '443', statusCode: 'HTTP_301' as const }, tags,
  }));
  b.add('alias-record', 'alias', dnsRecordKind, [deleteDep(alb, 'points to it; removed first, so the name never points to a deleted load balancer')], () => ({
    zoneName: domain.hostedZone, zoneId: zone.out.zoneId, name: domain.name, type: 'A' as const,
    alias: { dnsName: alb.out.dnsName, hostedZoneId: alb.out.canonicalHostedZoneId, evaluateTargetHealth: true },
  }));
  // The load balancer is IPv4 only (ipAddressType ipv4): no AAAA record. A dual-stack one would add
  // a second alias record of type AAAA here.
  return [https, http];
}

/**
 * The service and auto scaling. On delete only the service's task interfaces (subnets, security
 * group) and its cluster wait for it; AWS deletes the database, the mount targets, the routes and
 * the listeners under a running service.
 */
function service(b: StepBuilder, names: Names, s: {
  net: Network; data?: Data; task: { cluster: Step; definition: Step<'arn'> }; alb: Alb; targetGroup: TargetGroup; listeners: Step[];
}): void {
  const { config } = b;
  const { net, data } = s;
  const svc = b.add('ecs-service', 'wordpress', ecsServiceKind, [
    dep(s.task.cluster, 'runs in the cluster, which cannot be deleted while the service is active'),
    deleteDep(s.targetGroup, 'registers its tasks in it; they are deregistered from it while the service drains'),
    ...s.listeners.map((l) => createDep(l, 'ECS refuses a target group that no listener attaches to the load balancer')),
    ...net.subnets.app.map((sub) => deleteDep(sub, 'its tasks run in the app subnets; their interfaces keep the subnets until the service has drained')),
    deleteDep(net.groups.app, 'its tasks use the app security group; their interfaces keep the group until the service has drained'),
    createDep(net.appRules, 'tasks need their egress rules to pull the image and reach the database'),
    ...net.appRoutes.map((rt) => createDep(rt, 'tasks pull the image through the NAT gateway of their AZ')),
    ...(data ? [...data.mounts.map((m) => createDep(m, 'tasks mount the file system in their AZ')), createDep(data.db, 'WordPress needs its database at start')] : []),
  ], (tags) => ({
    cluster: names.cluster,
    name: names.service,
    taskDefinitionArn: s.task.definition.out.arn,
    desiredCount: config.wordpress.desiredCount,
    subnetIds: net.subnets.app.map((sub) => sub.out.subnetId),
    securityGroupIds: [net.groups.app.out.groupId],
    assignPublicIp: 'DISABLED' as const,
    loadBalancers: [{ targetGroupArn: s.targetGroup.out.arn, containerName: CONTAINER, containerPort: CONTAINER_PORT }],
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
  const target = b.add('scaling-target', 'scaling', scalableTargetKind, [dep(svc, 'scales its desired count; deregistered first, so nothing scales the service while it drains')], (tags) => ({
    resourceId, min: config.scaling.min, max: config.scaling.max, tags,
  }));
  const policyOf = dep(target, 'a policy of the scalable target');
  b.add('scaling-cpu', 'scaling-cpu', scalingPolicyKind, [policyOf], () => ({
    name: names.cpuPolicy, resourceId, metric: 'ECSServiceAverageCPUUtilization' as const, targetValue: config.scaling.cpuTarget, scaleInCooldown: 300, scaleOutCooldown: 60,
  }));
  // Its metric is the load balancer's, per target of the group (reading their ARN suffixes orders `up`).
  b.add('scaling-requests', 'scaling-requests', scalingPolicyKind, [policyOf], () => ({
    name: names.requestsPolicy, resourceId, metric: 'ALBRequestCountPerTarget' as const,
    resourceLabel: requestCountLabel(s.alb.out.arnSuffix, s.targetGroup.out.arnSuffix),
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
