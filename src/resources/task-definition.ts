/**
 * The Fargate task definition of the site (family `<stack>-wordpress`): awsvpc, one container, awslogs
 * to the stack's log group (FSBP ECS.9), secrets only through `secrets[].valueFrom` (never in
 * `environment`, ECS.8), EFS volumes through an access point with transit encryption and IAM
 * authorization.
 *
 * Revisions are immutable, so "update" registers a new revision — only when the rendered definition
 * really changed. The comparison is canonical: lists keyed by name (containers, environment, secrets,
 * volumes, mount points, port mappings) compare as sets, and fields AWS adds on its own (`cpu: 0`,
 * `hostPort`, `volumesFrom: []`, ...) are ignored, while an entry wpdeploy no longer renders counts
 * as a change. A tag-only change tags the revision in place. Older revisions stay registered (a
 * rollback can use them); `down` deregisters every ACTIVE revision of the family.
 */
import type { RegisterTaskDefinitionCommandInput, TaskDefinition } from '@aws-sdk/client-ecs';
import { ECS } from '../aws/sdk.js';
import { isNotFound, isTaskDefinitionMissing } from '../aws/errors.js';
import { deleteOrGone, orAbsent } from '../aws/idempotent.js';
import { paged } from '../aws/reads.js';
import { type TagMap, tagChanges, ownedBy } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { addEcsTags, ecs, fromEcsTags, toEcsTags } from './ecs-cluster.js';
import { defineKind } from './kinds.js';
import { UNKNOWN, type Actual, type Diff, type FieldChange, type ResourceContext, type ResourceKind } from './types.js';

export interface ContainerSpec {
  name: string;
  image: string;
  port: number;
  /** Plain settings. Nothing secret goes here: `renderTaskDefinition` refuses names that look secret. */
  environment: Record<string, string>;
  /** Name -> valueFrom: `<secret ARN>:<json key>::` or a parameter ARN. */
  secrets: Record<string, string>;
  log: { group: string; region: string; streamPrefix: string };
  /** Documented where it is set: FSBP ECS.5 wants true where the application allows. */
  readonlyRootFilesystem: boolean;
  mounts: Array<{ volume: string; path: string }>;
  /** Overrides of the image's ENTRYPOINT and CMD; empty (or absent) keeps the image's. */
  entryPoint?: string[];
  command?: string[];
}

export interface EfsVolumeSpec {
  name: string;
  fileSystemId: string;
  accessPointId: string;
}

export interface TaskDefinitionSpec {
  family: string;
  /** Fargate CPU units and MiB (a valid pair; the config checks it). */
  cpu: number;
  memory: number;
  taskRoleArn: string;
  executionRoleArn: string;
  container: ContainerSpec;
  volumes: EfsVolumeSpec[];
  tags: TagMap;
}

export interface TaskDefinitionActual extends Actual {
  /** The revision ARN. */
  id: string;
  arn: string;
  state: string;
  family: string;
  revision: number;
  /** The definition as AWS describes it (register-input field names). */
  definition: Record<string, unknown>;
  tags: TagMap;
}

/** Environment names that would carry a secret: refused in `environment` (ECS.8). */
const SECRET_NAME = /PASSWORD|SECRET|_KEY$|_SALT$|TOKEN|CREDENTIAL/i;

const byName = <T>(m: Record<string, T>) => Object.keys(m).sort();

/** The RegisterTaskDefinition input (without tags) for a spec: the rendered definition. */
export function renderTaskDefinition(spec: TaskDefinitionSpec): Omit<RegisterTaskDefinitionCommandInput, 'tags'> {
  const c = spec.container;
  const leaked = Object.keys(c.environment).filter((n) => n in c.secrets || SECRET_NAME.test(n));
  if (leaked.length) {
    throw new WpdeployError(`internal: task definition ${spec.family} would put ${leaked.join(', ')} in the environment; secrets go through secrets[].valueFrom only (FSBP ECS.8).`);
  }
  return {
    family: spec.family,
    taskRoleArn: spec.taskRoleArn,
    executionRoleArn: spec.executionRoleArn,
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: String(spec.cpu),
    memory: String(spec.memory),
    runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
    containerDefinitions: [{
      name: c.name,
      image: c.image,
      essential: true,
      portMappings: [{ containerPort: c.port, protocol: 'tcp' }],
      environment: byName(c.environment).map((name) => ({ name, value: c.environment[name]! })),
      secrets: byName(c.secrets).map((name) => ({ name, valueFrom: c.secrets[name]! })),
      mountPoints: c.mounts.map((m) => ({ sourceVolume: m.volume, containerPath: m.path, readOnly: false })),
      readonlyRootFilesystem: c.readonlyRootFilesystem,
      // Always rendered, so that dropping an override (empty) is a change from the revision that had one.
      entryPoint: c.entryPoint ?? [],
      command: c.command ?? [],
      logConfiguration: {
        logDriver: 'awslogs',
        options: { 'awslogs-group': c.log.group, 'awslogs-region': c.log.region, 'awslogs-stream-prefix': c.log.streamPrefix },
      },
    }],
    volumes: spec.volumes.map((v) => ({
      name: v.name,
      efsVolumeConfiguration: {
        fileSystemId: v.fileSystemId,
        rootDirectory: '/',
        transitEncryption: 'ENABLED',
        authorizationConfig: { accessPointId: v.accessPointId, iam: 'ENABLED' },
      },
    })),
  };
}

/** Lists whose entries are identified by a key: compared as sets, entry by entry. */
const ID_KEYS: Record<string, string> = {
  containerDefinitions: 'name', environment: 'name', secrets: 'name', volumes: 'name', mountPoints: 'containerPath', portMappings: 'containerPort',
};

/** String lists whose order matters (argv): compared as they are. */
const ORDERED = new Set(['entryPoint', 'command']);

/**
 * A definition as `path -> value` leaves: keyed lists become `path[id]` entries plus `path[]` (the
 * sorted ids, so an added or removed entry shows), plain string lists are sorted.
 */
export function flattenDefinition(v: unknown, path = '', out = new Map<string, unknown>(), key?: string): Map<string, unknown> {
  if (Array.isArray(v)) {
    const idKey = key ? ID_KEYS[key] : undefined;
    if (idKey && v.every((x) => x && typeof x === 'object')) {
      const items = v as Array<Record<string, unknown>>;
      out.set(`${path}[]`, items.map((x) => String(x[idKey])).sort());
      for (const x of items) flattenDefinition(x, `${path}[${String(x[idKey])}]`, out);
    } else {
      out.set(path, v.every((x) => typeof x === 'string') && !ORDERED.has(key ?? '') ? [...(v as string[])].sort() : v);
    }
    return out;
  }
  if (v && typeof v === 'object') {
    for (const k of Object.keys(v).sort()) flattenDefinition((v as Record<string, unknown>)[k], path ? `${path}.${k}` : k, out, k);
    return out;
  }
  if (v !== undefined && v !== null) out.set(path, v);
  return out;
}

const hasUnknown = (v: unknown): boolean => JSON.stringify(v ?? null).includes(UNKNOWN);
/** What AWS may leave out when it equals the default: false, an empty string or list. */
const isEmptyDefault = (v: unknown) => v === false || v === '' || (Array.isArray(v) && v.length === 0);

/**
 * The differences between the rendered definition and what AWS describes, field by field. Only what
 * wpdeploy renders is compared (AWS adds defaults); a value not known yet (UNKNOWN) never differs.
 */
export function definitionChanges(rendered: object, described: object): FieldChange[] {
  const want = flattenDefinition(rendered);
  const have = flattenDefinition(described);
  const changes: FieldChange[] = [];
  for (const [path, to] of want) {
    if (hasUnknown(to)) continue;
    const from = have.get(path);
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    if (from === undefined && isEmptyDefault(to)) continue;
    changes.push({ field: path, from, to });
  }
  return changes;
}

/** The register-input shape of a described revision. */
function definitionOf(td: TaskDefinition): Record<string, unknown> {
  const pick = ['family', 'taskRoleArn', 'executionRoleArn', 'networkMode', 'requiresCompatibilities', 'cpu', 'memory', 'runtimePlatform', 'containerDefinitions', 'volumes'] as const;
  return Object.fromEntries(pick.map((k) => [k, (td as Record<string, unknown>)[k]]).filter(([, v]) => v !== undefined));
}

function toActual(td: TaskDefinition, tags: TagMap): TaskDefinitionActual {
  return {
    id: td.taskDefinitionArn!, arn: td.taskDefinitionArn!, state: td.status ?? 'UNKNOWN', family: td.family ?? '', revision: td.revision ?? 0,
    definition: definitionOf(td), tags,
  };
}

/** A family or revision that does not exist: ECS says ClientException, or not-found. */
const missing = (err: unknown) => isTaskDefinitionMissing(err) || isNotFound(err);

async function describe(ctx: ResourceContext, ref: string): Promise<TaskDefinitionActual | undefined> {
  const r = await orAbsent(() => ecs(ctx).send(new ECS.DescribeTaskDefinitionCommand({ taskDefinition: ref, include: ['TAGS'] })), missing);
  return r?.taskDefinition && toActual(r.taskDefinition, fromEcsTags(r.tags));
}

/** The family's ACTIVE revision ARNs, newest first (ListTaskDefinitions matches by prefix: filtered to the family). */
async function activeRevisions(ctx: ResourceContext, family: string): Promise<string[]> {
  const arns = await paged((nextToken) => ecs(ctx).send(new ECS.ListTaskDefinitionsCommand({ familyPrefix: family, status: 'ACTIVE', sort: 'DESC', nextToken })), (r) => [r.taskDefinitionArns, r.nextToken]);
  return arns.filter((a) => familyOf(a) === family);
}

export const familyOf = (arn: string) => arn.replace(/^.*:task-definition\//, '').replace(/:\d+$/, '');

async function register(ctx: ResourceContext, desired: TaskDefinitionSpec): Promise<TaskDefinitionActual> {
  const r = await ecs(ctx).send(new ECS.RegisterTaskDefinitionCommand({ ...renderTaskDefinition(desired), tags: toEcsTags(desired.tags) }));
  const td = r.taskDefinition!;
  await ctx.recordId(td.taskDefinitionArn!, td.taskDefinitionArn!);
  return toActual(td, { ...desired.tags });
}

export const taskDefinitionKind: ResourceKind<TaskDefinitionSpec, TaskDefinitionActual, 'arn' | 'family' | 'revision'> = defineKind({
  name: 'ecs:task-definition',
  noun: 'task definition',
  timing: { createMs: 1_000, deleteMs: 1_000 },
  onReplace: 'refuse',

  /** The recorded revision while ACTIVE, else the family's newest ACTIVE revision carrying this step's tags. */
  async find(ctx, desired) {
    if (ctx.recordedId) {
      const a = await describe(ctx, ctx.recordedId);
      if (a && a.state === 'ACTIVE') return a;
    }
    const family = desired?.family ?? (ctx.recordedId && familyOf(ctx.recordedId));
    if (!family) return undefined;
    for (const arn of await activeRevisions(ctx, family)) {
      const a = await describe(ctx, arn);
      if (a && a.state === 'ACTIVE') return ownedBy(ctx, a.tags) ? a : undefined;
    }
    return undefined;
  },

  diff(desired, actual): Diff {
    const changes = definitionChanges(renderTaskDefinition(desired), actual.definition);
    changes.push(...tagChanges(desired.tags, actual.tags));
    return { changes };
  },

  /** Registers the first revision, tagged in the same call, and records its ARN. */
  create: (ctx, desired) => register(ctx, desired),

  /** A new revision when the definition changed; a tag-only change tags the revision in place. */
  async update(ctx, desired, actual) {
    const defChanged = definitionChanges(renderTaskDefinition(desired), actual.definition).length > 0;
    if (defChanged) {
      const next = await register(ctx, desired);
      ctx.progress(`registered ${next.family}:${next.revision} (was revision ${actual.revision})`);
      return next;
    }
    return { ...actual, tags: await addEcsTags(ctx, actual.arn, desired.tags, actual.tags) };
  },

  /** Deregisters every ACTIVE revision of the family; none left is success. */
  async delete(ctx, actual) {
    const arns = new Set([actual.arn, ...(await activeRevisions(ctx, actual.family))]);
    for (const arn of arns) await deleteOrGone(() => ecs(ctx).send(new ECS.DeregisterTaskDefinitionCommand({ taskDefinition: arn })), missing);
  },

  outputs: (a) => ({ arn: a.arn, family: a.family, revision: String(a.revision) }),
});
