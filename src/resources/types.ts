/**
 * The resource contract (after Pulumi's provider interface): each AWS resource kind has find, create,
 * update and delete, each taking one context. `find` returns undefined when the resource is gone; it
 * never throws on not-found. A step binds a kind to one resource of the stack.
 */
import type { AwsClients } from '../aws/clients.js';
import type { ReadCache } from '../aws/read-cache.js';
import type { TagMap } from '../aws/tags.js';

/** The closed set of operations the planner chooses from. */
export type Operation = 'same' | 'create' | 'update' | 'replace' | 'delete';

/** Stands for a value that exists only once a dependency has been created (shown by `plan`). */
export const UNKNOWN = '(known after create)';

export type Outputs = Record<string, string>;

/** What AWS reports about a resource. */
export interface Actual {
  id: string;
  arn?: string;
  /** Live state as AWS names it (available, pending, ...). */
  state?: string;
  tags?: TagMap;
}

export interface FieldChange {
  field: string;
  from: unknown;
  to: unknown;
}

export interface Diff {
  changes: FieldChange[];
  /** Set when the change cannot be made in place: why the resource would have to be replaced. */
  replace?: string;
}

export interface ResourceContext {
  aws: AwsClients;
  /**
   * The run's shared reads (src/aws/read-cache.ts): `find` asks it for what serves every step of a
   * kind at once (one describe of the stack's subnets for all the subnet steps, say). Given by the
   * engine; without it (a kind tested alone) each `find` asks AWS for its own resource.
   */
  reads?: ReadCache;
  stack: string;
  region: string;
  account: string;
  /** The step id, as tagged in `wpdeploy:step`. */
  step: string;
  /** Every tag this step's resource carries (stack, step, Name, the user's). */
  tags: TagMap;
  /** The id recorded in state for this step, if any. */
  recordedId?: string;
  /**
   * An idempotency token for this step's current intent (stable while one create is being retried,
   * new for the next intent): for ClientToken, CreationToken and the like.
   */
  clientToken(): string;
  /** Record the id the moment a create returns, before any wait. */
  recordId(id: string, arn?: string): Promise<void>;
  /**
   * Lets the steps that need this resource go ahead before the operation ends: on create or update,
   * `actual` is usable as it is (a VPC once available, before its DNS attributes are set; an ECS
   * service once it exists, before it is steady). What follows must not change the outputs its
   * dependents read (ids, names, ARNs). Optional to call.
   */
  usable?(actual: Actual): void;
  /** On delete: the resource is gone, so what AWS refused to delete before it may go ahead (work left: a snapshot's tags). */
  gone?(): void;
  progress(message: string): void;
  warn(message: string): void;
  /**
   * Hands over a second resource carrying this step's tags (left by a create whose response was
   * lost): the engine deletes it once the step is settled, and says so. `find` keeps the other.
   */
  duplicate(actual: Actual): void;
  signal: AbortSignal;
  /** WPDEPLOY_TIME_SCALE: divides every wait. */
  scale: number;
  /** `down --purge`: no final snapshot, no recovery window; delete what `down` otherwise keeps. */
  purge: boolean;
}

/** A kind of resource; `K`: the names of its outputs (what `outputs` returns, and what dependents may read). */
export interface ResourceKind<S = unknown, A extends Actual = Actual, K extends string = string> {
  /** Stable name recorded in state, e.g. `ec2:vpc`. */
  readonly name: string;
  /** For messages: `vpc`, `nat gateway`. */
  readonly noun: string;
  /** Typical time to usable / gone on AWS (minutes for RDS, NAT, ALB, mount targets; seconds for most), for ETAs and polling. */
  readonly timing?: { createMs: number; deleteMs: number };
  /**
   * Part of another resource (a group's rules, a VPC's default security group): found through the
   * spec rather than its own tags, so finding it is no adoption.
   */
  readonly foundBySpec?: boolean;
  /**
   * Only looks something up that the user owns (a hosted zone) or that another step owns (a
   * certificate's issued state): teardown never deletes it, and reports it as left in place.
   */
  readonly lookup?: boolean;
  /**
   * For a lookup that nothing can bring about (the user's hosted zone): the error when it is not
   * there, reported as such instead of a planned create.
   */
  missing?(desired: S): Error;
  /**
   * Holds data users cannot get back (file system, secrets): `down` keeps it, and records it so the
   * next `up` reuses it; `down --purge` deletes it.
   */
  readonly retainOnDown?: boolean;
  /** What `up` does when `diff` says replace: refuse with the reason (default), or delete and create. */
  readonly onReplace?: 'refuse' | 'recreate';
  /**
   * The resource by recorded id, then by its stack and step tags (or the name the spec fixes);
   * undefined when it does not exist. `desired` is given when the engine knows it; on teardown
   * with a lost state it may be missing or hold UNKNOWN values.
   */
  find(ctx: ResourceContext, desired?: S): Promise<A | undefined>;
  /** Differences between what the config wants and what AWS has. Pure. */
  diff(desired: S, actual: A): Diff;
  /** Creates it, tagged in the same call, and waits until usable. */
  create(ctx: ResourceContext, desired: S): Promise<A>;
  /** Converges it in place. */
  update?(ctx: ResourceContext, desired: S, actual: A, diff: Diff): Promise<A>;
  /** Deletes it and waits until gone; already gone is success. */
  delete(ctx: ResourceContext, actual: A): Promise<void>;
  /** Values dependents read (ids, ARNs, endpoints). Never a secret value. */
  outputs(actual: A): Record<K, string>;
}

/** Reads the outputs of a step's dependencies. */
export interface Inputs {
  /**
   * The output `key` of step `step`, which must be a step this one is created after (the engine
   * refuses any other read); UNKNOWN while that step does not exist yet.
   */
  get(step: string, key: string): string;
}

/**
 * One edge of the step graph, and why AWS needs it. An edge orders both ways by default: `up`
 * creates the step after its dependency, `down` deletes it before (a subnet after its VPC, and gone
 * before it). Many edges hold one way only, and say so, so that each command waits for exactly what
 * AWS requires:
 * - `create`: `up` only. `down` may delete the dependency first (the task definition needs the
 *   database's endpoint to be registered, but AWS deletes the instance while the service still runs).
 * - `delete`: `down` only (an Elastic IP is released before the internet gateway is detached; it
 *   does not need the gateway to be allocated).
 */
export interface Dependency {
  step: string;
  /** Why AWS needs this edge, for the reader of the step graph (a unit test checks every edge has one). */
  why: string;
  /** Which command the edge orders: both (default), `create` (up) or `delete` (down) only. */
  only?: 'create' | 'delete';
}

export interface StepDef<S = unknown, A extends Actual = Actual> {
  id: string;
  /** Suffix of the Name tag and of AWS names: `<stack>-<role>`. */
  role: string;
  kind: ResourceKind<S, A>;
  dependsOn: Dependency[];
  /** The desired spec, from the config and the dependencies' outputs. */
  desired(inputs: Inputs): S;
  /**
   * A check that must pass before `up` changes anything (the domain's hosted zone): it starts first;
   * other steps read meanwhile, and hold back their creates, updates and deletes until it passes.
   * Its kind is a `lookup` whose create and update change nothing and only refuse with the reason, so
   * that `plan` reports the check as failed too.
   */
  check?: boolean;
  /** What the preflight checks for this step before `up` changes anything (src/resources/preflight.ts). */
  preflight?: Preflight<S>;
}

/** The account quotas the preflight knows (src/resources/quotas.ts: names, codes, defaults, sources). */
export type QuotaId = 'eip' | 'vpc' | 'nat-per-az' | 'igw' | 'alb' | 'fargate-vcpu' | 'rds-instances';

/** How much of an account quota a step's resource takes, counted only while the resource does not exist. */
export interface QuotaUse {
  quota: QuotaId;
  amount: number;
  /** For a quota per Availability Zone: the zone. */
  scope?: string;
  /** For quotas whose usage is found by name rather than by tags: the resource's name (`<cluster>/service:<name>` for a service's tasks). */
  name?: string;
}

/** A preflight check that failed: what is wrong, naming the quota or setting, and how to fix it. */
export interface CheckFailure {
  check: string;
  message: string;
  hint: string;
}

export interface Preflight<S = unknown> {
  quotas?: QuotaUse[];
  /**
   * A check of the account or the region for this step's resource (the database is orderable), run
   * with the step's context before any change; undefined when it passes or does not apply.
   */
  check?(ctx: ResourceContext, desired: S): Promise<CheckFailure | undefined>;
}

/** The steps this one is created after (`up`). */
export const createDeps = (def: Pick<StepDef, 'dependsOn'>): string[] => def.dependsOn.filter((d) => d.only !== 'delete').map((d) => d.step);
/** The steps this one is deleted before (`down`): AWS refuses to delete them while it exists. */
export const deleteDeps = (def: Pick<StepDef, 'dependsOn'>): string[] => def.dependsOn.filter((d) => d.only !== 'create').map((d) => d.step);

/** True when a spec value is known (not UNKNOWN, not missing). */
export function known<T>(v: T | undefined): v is T {
  return v !== undefined && v !== UNKNOWN;
}

/** Compares one field; a desired value that is UNKNOWN (a dependency not created yet) never differs. */
export function fieldChange(field: string, from: unknown, to: unknown): FieldChange | undefined {
  if (to === UNKNOWN) return undefined;
  return JSON.stringify(from) === JSON.stringify(to) ? undefined : { field, from, to };
}

/** The changes among a list of (field, actual, desired) triples. */
export function changesOf(...fields: Array<[string, unknown, unknown]>): FieldChange[] {
  return fields.map(([f, a, d]) => fieldChange(f, a, d)).filter((c): c is FieldChange => c !== undefined);
}
