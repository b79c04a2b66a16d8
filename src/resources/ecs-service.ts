/**
 * The ECS service that runs WordPress: Fargate, in the app subnets, without a public IP (FSBP ECS.2),
 * with the app security group, registered in the target group; deployment circuit breaker with
 * rollback, a health-check grace period, service tags propagated to tasks, ECS managed tags.
 *
 * `up` waits, with a bound, until the service is steady: one deployment, running the wanted task
 * definition, as many tasks running as desired (the AWS `services-stable` waiter's test, plus the
 * task definition, so a circuit-breaker rollback is not taken for success). On failure it shows why
 * the latest tasks stopped. Auto scaling needs only the service to exist: the step lets its
 * dependents go ahead (ResourceContext.usable) as soon as ECS has the service, before the wait. A changed task definition (or network, load balancer, deployment
 * setting) rolls out through UpdateService. After creation the desired count belongs to Application
 * Auto Scaling: it is never compared nor updated.
 *
 * CreateService is retried briefly while ECS cannot assume a just-created role, or does not yet see
 * the target group attached to the load balancer. Deleting scales to 0, deletes with force and waits
 * until INACTIVE; already gone is success.
 */
import type { Service, UpdateServiceCommandInput } from '@aws-sdk/client-ecs';
import { orAbsent } from '../aws/idempotent.js';
import { ECS } from '../aws/sdk.js';
import { isIamPropagation, isTargetGroupNotAttachedYet } from '../aws/errors.js';
import { retrying, waitFor } from '../aws/poll.js';
import { type TagMap, tagChanges, ownedBy } from '../aws/tags.js';
import { WpdeployError, errorMessage } from '../errors.js';
import { addEcsTags, ecs, fromEcsTags, toEcsTags } from './ecs-cluster.js';
import { defineKind } from './kinds.js';
import { changesOf, known, type Actual, type Diff, type FieldChange, type ResourceContext, type ResourceKind } from './types.js';

export interface ServiceLoadBalancer {
  targetGroupArn: string;
  containerName: string;
  containerPort: number;
}

export interface DeploymentSettings {
  circuitBreaker: { enable: boolean; rollback: boolean };
  minimumHealthyPercent: number;
  maximumPercent: number;
}

export interface EcsServiceSpec {
  cluster: string;
  name: string;
  taskDefinitionArn: string;
  /** Tasks at creation only: afterwards auto scaling owns the count. */
  desiredCount: number;
  subnetIds: string[];
  securityGroupIds: string[];
  assignPublicIp: 'ENABLED' | 'DISABLED';
  loadBalancers: ServiceLoadBalancer[];
  healthCheckGracePeriodSeconds: number;
  deployment: DeploymentSettings;
  propagateTags: 'SERVICE' | 'TASK_DEFINITION' | 'NONE';
  enableECSManagedTags: boolean;
  platformVersion: string;
  tags: TagMap;
}

export interface EcsServiceActual extends Actual {
  /** The service ARN. */
  id: string;
  arn: string;
  state: string;
  cluster: string;
  name: string;
  launchType?: string;
  platformVersion?: string;
  taskDefinitionArn: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  subnetIds: string[];
  securityGroupIds: string[];
  assignPublicIp?: string;
  loadBalancers: ServiceLoadBalancer[];
  healthCheckGracePeriodSeconds?: number;
  deployment?: DeploymentSettings;
  propagateTags?: string;
  enableECSManagedTags?: boolean;
  tags: TagMap;
}

const STEADY_MS = 150_000;
const DRAIN_MS = 60_000;

/** `service/<cluster>/<name>`: the Application Auto Scaling resource id. */
export const serviceResourceId = (cluster: string, name: string) => `service/${cluster}/${name}`;

/** Cluster and service name from a service ARN (`…:service/<cluster>/<name>`). */
export function parseServiceArn(arn: string): { cluster: string; name: string } | undefined {
  const m = /:service\/([^/]+)\/([^/]+)$/.exec(arn);
  return m ? { cluster: m[1]!, name: m[2]! } : undefined;
}

/** The service; undefined when it, or its cluster, does not exist. */
const describe = (ctx: ResourceContext, cluster: string, name: string): Promise<Service | undefined> => orAbsent(async () =>
  (await ecs(ctx).send(new ECS.DescribeServicesCommand({ cluster, services: [name], include: ['TAGS'] }))).services?.find((s) => s.serviceName === name || s.serviceArn === name));

const clusterName = (s: Service) => (s.clusterArn ?? '').replace(/^.*:cluster\//, '');
const sorted = (xs: string[] | undefined) => [...(xs ?? [])].sort();
const sortLbs = (lbs: ServiceLoadBalancer[]) => lbs
  .map((l) => ({ targetGroupArn: l.targetGroupArn, containerName: l.containerName, containerPort: l.containerPort }))
  .sort((a, b) => `${a.targetGroupArn}${a.containerName}`.localeCompare(`${b.targetGroupArn}${b.containerName}`));
/** Deployment settings in one key order, for comparison. */
const normDeployment = (d: DeploymentSettings): DeploymentSettings => ({
  circuitBreaker: { enable: d.circuitBreaker.enable, rollback: d.circuitBreaker.rollback },
  minimumHealthyPercent: d.minimumHealthyPercent,
  maximumPercent: d.maximumPercent,
});

function toActual(s: Service): EcsServiceActual {
  const net = s.networkConfiguration?.awsvpcConfiguration;
  const dc = s.deploymentConfiguration;
  return {
    id: s.serviceArn!,
    arn: s.serviceArn!,
    state: s.status ?? 'UNKNOWN',
    cluster: clusterName(s),
    name: s.serviceName!,
    launchType: s.launchType,
    platformVersion: s.platformVersion,
    taskDefinitionArn: s.taskDefinition ?? '',
    desiredCount: s.desiredCount ?? 0,
    runningCount: s.runningCount ?? 0,
    pendingCount: s.pendingCount ?? 0,
    subnetIds: sorted(net?.subnets),
    securityGroupIds: sorted(net?.securityGroups),
    assignPublicIp: net?.assignPublicIp,
    loadBalancers: sortLbs((s.loadBalancers ?? []).map((l) => ({ targetGroupArn: l.targetGroupArn ?? '', containerName: l.containerName ?? '', containerPort: l.containerPort ?? 0 }))),
    healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds,
    deployment: dc && normDeployment({
      circuitBreaker: { enable: !!dc.deploymentCircuitBreaker?.enable, rollback: !!dc.deploymentCircuitBreaker?.rollback },
      minimumHealthyPercent: dc.minimumHealthyPercent ?? 100,
      maximumPercent: dc.maximumPercent ?? 200,
    }),
    propagateTags: s.propagateTags,
    enableECSManagedTags: s.enableECSManagedTags,
    tags: fromEcsTags(s.tags),
  };
}


/** Every setting `up` converges, as UpdateService takes them (never the desired count). */
function settings(d: EcsServiceSpec) {
  return {
    networkConfiguration: { awsvpcConfiguration: { subnets: d.subnetIds, securityGroups: d.securityGroupIds, assignPublicIp: d.assignPublicIp } },
    loadBalancers: d.loadBalancers,
    healthCheckGracePeriodSeconds: d.healthCheckGracePeriodSeconds,
    deploymentConfiguration: {
      deploymentCircuitBreaker: { enable: d.deployment.circuitBreaker.enable, rollback: d.deployment.circuitBreaker.rollback },
      minimumHealthyPercent: d.deployment.minimumHealthyPercent,
      maximumPercent: d.deployment.maximumPercent,
    },
    propagateTags: d.propagateTags,
    enableECSManagedTags: d.enableECSManagedTags,
  };
}

/** Why the service's latest tasks stopped, newest first (at most 5 distinct reasons). */
export async function stoppedTaskReasons(ctx: ResourceContext, cluster: string, service: string): Promise<string[]> {
  try {
    const arns = (await ecs(ctx).send(new ECS.ListTasksCommand({ cluster, serviceName: service, desiredStatus: 'STOPPED', maxResults: 100 }))).taskArns ?? [];
    if (arns.length === 0) return [];
    const tasks = (await ecs(ctx).send(new ECS.DescribeTasksCommand({ cluster, tasks: arns.slice(0, 100) }))).tasks ?? [];
    tasks.sort((a, b) => (b.stoppedAt?.getTime() ?? 0) - (a.stoppedAt?.getTime() ?? 0));
    const reasons: string[] = [];
    for (const t of tasks) {
      const containers = (t.containers ?? []).filter((c) => c.reason || c.exitCode !== undefined).map((c) => `${c.name}: ${c.reason ?? `exit code ${c.exitCode}`}`);
      const r = [t.stoppedReason, ...containers].filter(Boolean).join('; ');
      if (r && !reasons.includes(r)) reasons.push(r);
      if (reasons.length >= 5) break;
    }
    return reasons;
  } catch (err) {
    return [`(could not read the stopped tasks: ${errorMessage(err)})`];
  }
}

/**
 * Waits until the service is steady on `taskDefinitionArn` (bounded); on failure or timeout the
 * error names the rollout state, the stopped tasks' reasons and the latest service events.
 */
export async function waitSteady(ctx: ResourceContext, cluster: string, name: string, taskDefinitionArn: string): Promise<Service> {
  let last: Service | undefined;
  // A deployment of the wanted revision was PRIMARY: another one PRIMARY after it means it was rolled
  // back (or replaced), even when the FAILED deployment was drained between two checks. Two checks in
  // a row, as one answer may be stale ("The Amazon ECS API follows an eventual consistency model":
  // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html).
  let seen = false;
  let replaced = 0;
  try {
    const s = await waitFor({
      what: `ecs service ${name} to reach a steady state`,
      expectedMs: STEADY_MS,
      timeoutMs: 15 * 60_000,
      minIntervalMs: 3_000,
      scale: ctx.scale,
      signal: ctx.signal,
      check: async () => (last = await describe(ctx, cluster, name)),
      done: (v) => {
        if (!v || v.status !== 'ACTIVE') return false;
        const deps = v.deployments ?? [];
        const primary = deps.find((d) => d.status === 'PRIMARY');
        return deps.length === 1 && primary?.taskDefinition === taskDefinitionArn && (primary.rolloutState ?? 'COMPLETED') === 'COMPLETED'
          && (v.runningCount ?? 0) === (v.desiredCount ?? 0);
      },
      failed: (v) => {
        if (!v) return 'the service is gone';
        if (v.status !== 'ACTIVE') return `the service is ${v.status}`;
        const failedDeployment = (v.deployments ?? []).find((d) => d.rolloutState === 'FAILED');
        if (failedDeployment) return `the deployment of ${failedDeployment.taskDefinition} failed${failedDeployment.rolloutStateReason ? `: ${failedDeployment.rolloutStateReason}` : ''}`;
        const primary = (v.deployments ?? []).find((d) => d.status === 'PRIMARY')?.taskDefinition;
        replaced = primary === taskDefinitionArn ? 0 : replaced + 1;
        seen ||= primary === taskDefinitionArn;
        if (seen && primary && replaced >= 2) return `the deployment of ${taskDefinitionArn} did not complete: the service runs ${primary} again (rolled back, or replaced by another deployment)`;
        return undefined;
      },
      onProgress: (v) => {
        const primary = v?.deployments?.find((d) => d.status === 'PRIMARY');
        ctx.progress(`${v?.runningCount ?? 0}/${v?.desiredCount ?? 0} tasks running, ${v?.pendingCount ?? 0} pending${primary?.rolloutState ? `, rollout ${primary.rolloutState}` : ''}`);
      },
    });
    return s!;
  } catch (err) {
    if (!(err instanceof WpdeployError)) throw err;
    const reasons = await stoppedTaskReasons(ctx, cluster, name);
    const events = (last?.events ?? []).slice(0, 3).map((e) => e.message).filter(Boolean);
    throw new WpdeployError(
      `${err.message}${reasons.length ? `\n  stopped tasks:\n    - ${reasons.join('\n    - ')}` : ''}${events.length ? `\n  latest service events:\n    - ${events.join('\n    - ')}` : ''}`,
      {
        hint: reasons.length
          ? 'Fix what the stopped tasks report (image, secrets, file system, health check), then run `wpdeploy up` again; with the circuit breaker the service keeps its last working revision.'
          // A timeout has its own hint (resume waiting); a failed or rolled-back rollout has nothing to wait for.
          : err.hint ?? 'The service keeps its previous revision: find why the new tasks fail (`wpdeploy logs`), fix the config, then run `wpdeploy up` again.',
        cause: err,
      },
    );
  }
}

/**
 * Settings DescribeServices may leave out (each is "Required: No" in
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Service.html): AWS reports them once
 * set, moto drops them. One that is not reported is not compared, and `find` says so: "(none) ->
 * 300" would be a change that no UpdateService can make visible.
 */
const UNREPORTED = ['healthCheckGracePeriodSeconds', 'deployment', 'enableECSManagedTags'] as const;

export const ecsServiceKind: ResourceKind<EcsServiceSpec, EcsServiceActual, 'arn' | 'name' | 'cluster' | 'resourceId' | 'taskDefinition' | 'runningCount' | 'desiredCount'> = defineKind({
  name: 'ecs:service',
  noun: 'ecs service',
  timing: { createMs: STEADY_MS, deleteMs: DRAIN_MS },
  onReplace: 'refuse',

  /** The ACTIVE service of the recorded (or wanted) cluster and name, when recorded or tagged for this step. */
  async find(ctx, desired) {
    const where = [
      ctx.recordedId ? parseServiceArn(ctx.recordedId) : undefined,
      desired && known(desired.cluster) ? { cluster: desired.cluster, name: desired.name } : undefined,
    ].filter((x): x is { cluster: string; name: string } => !!x);
    for (const w of where) {
      const s = await describe(ctx, w.cluster, w.name);
      if (s && s.status === 'ACTIVE' && (ownedBy(ctx, fromEcsTags(s.tags)) || s.serviceArn === ctx.recordedId)) {
        const actual = toActual(s);
        const unreported = UNREPORTED.filter((f) => actual[f] === undefined);
        if (unreported.length) ctx.warn(`the endpoint does not report the service's ${unreported.join(', ')}, so they are not compared (a local emulator drops them; AWS reports them)`);
        return actual;
      }
    }
    return undefined;
  },

  /** Every setting but the desired count (auto scaling owns it). */
  diff(desired, actual): Diff {
    const s = settings(desired);
    const changes: FieldChange[] = changesOf(
      ['taskDefinition', actual.taskDefinitionArn, desired.taskDefinitionArn],
      ['subnetIds', actual.subnetIds, known(desired.subnetIds[0]) ? sorted(desired.subnetIds) : desired.subnetIds[0]],
      ['securityGroupIds', actual.securityGroupIds, known(desired.securityGroupIds[0]) ? sorted(desired.securityGroupIds) : desired.securityGroupIds[0]],
      ['assignPublicIp', actual.assignPublicIp, desired.assignPublicIp],
      ['loadBalancers', actual.loadBalancers, desired.loadBalancers.every((l) => known(l.targetGroupArn)) ? sortLbs(desired.loadBalancers) : undefined],
      ['healthCheckGracePeriodSeconds', actual.healthCheckGracePeriodSeconds, s.healthCheckGracePeriodSeconds],
      ['deployment', actual.deployment, normDeployment(desired.deployment)],
      ['propagateTags', actual.propagateTags, desired.propagateTags],
      ['enableECSManagedTags', actual.enableECSManagedTags, desired.enableECSManagedTags],
    ).filter((c) => c.to !== undefined && !(UNREPORTED.includes(c.field as (typeof UNREPORTED)[number]) && c.from === undefined));
    changes.push(...tagChanges(desired.tags, actual.tags));
    const fixed = changesOf(['name', actual.name, desired.name], ['cluster', actual.cluster, desired.cluster], ['launchType', actual.launchType, 'FARGATE']);
    if (fixed.length) return { changes: [...fixed, ...changes], replace: `a service's ${fixed.map((c) => c.field).join(', ')} cannot change in place` };
    return { changes };
  },

  /**
   * Creates the service (retrying briefly on IAM and ELB propagation) and records it; lets auto
   * scaling go ahead, then waits until steady.
   */
  async create(ctx, desired) {
    const existing = await describe(ctx, desired.cluster, desired.name);
    if (existing?.status === 'DRAINING') {
      ctx.progress(`a previous service ${desired.name} is still draining; waiting for it to be gone`);
      await waitInactive(ctx, desired.cluster, desired.name);
    }
    const token = ctx.clientToken();
    const r = await retrying(() => ecs(ctx).send(new ECS.CreateServiceCommand({
      cluster: desired.cluster,
      serviceName: desired.name,
      taskDefinition: desired.taskDefinitionArn,
      desiredCount: desired.desiredCount,
      launchType: 'FARGATE',
      platformVersion: desired.platformVersion,
      schedulingStrategy: 'REPLICA',
      ...settings(desired),
      clientToken: token,
      tags: toEcsTags(desired.tags),
    })), {
      retryable: (err) => isIamPropagation(err) || isTargetGroupNotAttachedYet(err),
      attempts: 6,
      baseMs: 2_000,
      scale: ctx.scale,
      onRetry: (err) => ctx.progress(`ECS does not see everything it needs yet (${errorMessage(err)}); retrying`),
    });
    const arn = r.service!.serviceArn!;
    await ctx.recordId(arn, arn);
    ctx.usable?.(fromResponse(r.service!, desired));
    const s = await waitSteady(ctx, desired.cluster, desired.name, desired.taskDefinitionArn);
    return toActual(s);
  },

  /** UpdateService with what changed (a new task definition rolls out), then waits until steady; tags in place. */
  async update(ctx, desired, actual) {
    const fields = new Set(ecsServiceKind.diff(desired, actual).changes.map((c) => c.field.replace(/\..*$/, '')));
    const s = settings(desired);
    const input: UpdateServiceCommandInput = { cluster: actual.cluster, service: actual.name };
    if (fields.has('taskDefinition')) input.taskDefinition = desired.taskDefinitionArn;
    if (fields.has('subnetIds') || fields.has('securityGroupIds') || fields.has('assignPublicIp')) input.networkConfiguration = s.networkConfiguration;
    if (fields.has('loadBalancers')) input.loadBalancers = s.loadBalancers;
    if (fields.has('healthCheckGracePeriodSeconds')) input.healthCheckGracePeriodSeconds = s.healthCheckGracePeriodSeconds;
    if (fields.has('deployment')) input.deploymentConfiguration = s.deploymentConfiguration;
    if (fields.has('propagateTags')) input.propagateTags = s.propagateTags;
    if (fields.has('enableECSManagedTags')) input.enableECSManagedTags = s.enableECSManagedTags;
    let current = actual;
    if (Object.keys(input).length > 2) {
      await retrying(() => ecs(ctx).send(new ECS.UpdateServiceCommand(input)), { retryable: isIamPropagation, attempts: 6, baseMs: 2_000, scale: ctx.scale });
      const updated: EcsServiceActual = { ...actual, taskDefinitionArn: input.taskDefinition ?? actual.taskDefinitionArn };
      ctx.usable?.(updated);
      current = toActual(await waitSteady(ctx, actual.cluster, actual.name, input.taskDefinition ?? actual.taskDefinitionArn));
    }
    return { ...current, tags: await addEcsTags(ctx, actual.arn, desired.tags, current.tags) };
  },

  /** Scales to 0, deletes with force (tasks drain through the deregistration delay) and waits until INACTIVE. */
  async delete(ctx, actual) {
    const deleting = await orAbsent(async () => {
      if (actual.desiredCount > 0) await ecs(ctx).send(new ECS.UpdateServiceCommand({ cluster: actual.cluster, service: actual.name, desiredCount: 0 }));
      await ecs(ctx).send(new ECS.DeleteServiceCommand({ cluster: actual.cluster, service: actual.name, force: true }));
      return true;
    });
    if (deleting) await waitInactive(ctx, actual.cluster, actual.name);
  },

  outputs: (a) => ({
    arn: a.arn,
    name: a.name,
    cluster: a.cluster,
    resourceId: serviceResourceId(a.cluster, a.name),
    taskDefinition: a.taskDefinitionArn,
    runningCount: String(a.runningCount),
    desiredCount: String(a.desiredCount),
  }),
});

/** The service as CreateService answers it, completed from the spec where the answer is short. */
function fromResponse(s: Service, desired: EcsServiceSpec): EcsServiceActual {
  const a = toActual(s);
  return { ...a, cluster: a.cluster || desired.cluster, taskDefinitionArn: a.taskDefinitionArn || desired.taskDefinitionArn };
}

async function waitInactive(ctx: ResourceContext, cluster: string, name: string): Promise<void> {
  await waitFor({
    what: `ecs service ${name} to be deleted`, expectedMs: DRAIN_MS, timeoutMs: 15 * 60_000, minIntervalMs: 3_000, scale: ctx.scale, signal: ctx.signal,
    check: () => describe(ctx, cluster, name),
    done: (s) => !s || s.status === 'INACTIVE',
    onProgress: (s) => ctx.progress(`service ${name} is ${s?.status} with ${s?.runningCount ?? 0} tasks still running`),
  });
}
