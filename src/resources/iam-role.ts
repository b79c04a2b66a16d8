/**
 * An IAM role a service assumes (ECS tasks, VPC flow logs), with its inline policies and attached
 * managed policies. The trust policy is generated: the one service may assume it, and only on behalf
 * of this account when `sourceAccount` is set (confused-deputy guard). Roles live under the path
 * `/wpdeploy/`, so a role whose name was never recorded is found by listing that path and reading
 * tags. A policy that allows `*` or `service:*` is refused before any call (FSBP IAM.1, IAM.21).
 */
import { createHash } from 'node:crypto';
import type { Role } from '@aws-sdk/client-iam';
import { IAM } from '../aws/sdk.js';
import { isAlreadyExists, isDependencyViolation, isNotFound } from '../aws/errors.js';
import { deleteOrGone, orAbsent } from '../aws/idempotent.js';
import { retrying } from '../aws/poll.js';
import { paged } from '../aws/reads.js';
import { addMissingTags, fromTagList, toTagList, type TagMap, tagChanges, ownedBy } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { firstOwned, ownedAmong } from './find-owned.js';
import { defineKind } from './kinds.js';
import { changesOf, UNKNOWN, type Actual, type Diff, type FieldChange, type ResourceContext, type ResourceKind } from './types.js';

type OneOrMany = string | string[];

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | Record<string, OneOrMany>;
  Action?: OneOrMany;
  NotAction?: OneOrMany;
  Resource?: OneOrMany;
  NotResource?: OneOrMany;
  Condition?: Record<string, Record<string, OneOrMany>>;
}

/** An IAM policy document (identity or trust policy). */
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

export interface IamRoleSpec {
  name: string;
  description: string;
  /** The service principal that may assume the role, e.g. `ecs-tasks.amazonaws.com`. */
  trustService: string;
  /** When set, the service may assume the role only for resources of this account. */
  sourceAccount?: string;
  inlinePolicies: Record<string, PolicyDocument>;
  managedPolicyArns: string[];
  tags: TagMap;
}

export interface IamRoleActual extends Actual {
  /** The role name. */
  id: string;
  arn: string;
  state: 'available';
  description: string;
  trustPolicy: PolicyDocument;
  inlinePolicies: Record<string, PolicyDocument>;
  managedPolicyArns: string[];
  tags: TagMap;
}

export const ROLE_PATH = '/wpdeploy/';
const MAX_ROLE_NAME = 64;

/**
 * `<stack>-<role>-<region>` (IAM roles are global, the stack is per region). Past IAM's 64
 * characters the name is cut and ends with a hash of the full name, so it stays unique.
 */
export function roleName(stack: string, role: string, region: string): string {
  const full = `${stack}-${role}-${region}`;
  if (full.length <= MAX_ROLE_NAME) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  return `${full.slice(0, MAX_ROLE_NAME - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/** The trust policy of a role the service `spec.trustService` assumes. */
export function trustPolicy(spec: Pick<IamRoleSpec, 'trustService' | 'sourceAccount'>): PolicyDocument {
  const statement: PolicyStatement = { Effect: 'Allow', Principal: { Service: spec.trustService }, Action: 'sts:AssumeRole' };
  if (spec.sourceAccount) statement.Condition = { StringEquals: { 'aws:SourceAccount': spec.sourceAccount } };
  return { Version: '2012-10-17', Statement: [statement] };
}

const list = (v: OneOrMany | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/**
 * Throws a WpdeployError when a statement allows every action (`*`), every action of a service
 * (`s3:*`), or everything but a list (`NotAction`): wpdeploy grants least privilege only.
 */
export function assertNoWildcardActions(doc: PolicyDocument, what = 'policy'): void {
  for (const [i, s] of statementsOf(doc).entries()) {
    if (s.Effect !== 'Allow') continue;
    const label = `${what}, statement ${s.Sid ?? i + 1}`;
    const wild = list(s.Action).filter((a) => a === '*' || /^[A-Za-z0-9-]+:\*$/.test(a));
    if (wild.length > 0) {
      throw new WpdeployError(`${label} allows ${wild.join(', ')}: wpdeploy grants only the actions a role needs (FSBP IAM.1, IAM.21).`, {
        hint: 'List the exact actions instead of a wildcard.',
      });
    }
    if (s.NotAction !== undefined) {
      throw new WpdeployError(`${label} allows everything except ${list(s.NotAction).join(', ')}: wpdeploy grants only the actions a role needs.`, {
        hint: 'Use Action with the exact actions instead of NotAction.',
      });
    }
  }
}

function statementsOf(doc: PolicyDocument): PolicyStatement[] {
  const s = (doc as { Statement?: PolicyStatement | PolicyStatement[] }).Statement;
  return s === undefined ? [] : Array.isArray(s) ? s : [s];
}

/**
 * A policy in a form where equal meaning gives equal JSON: object keys sorted, string lists sorted
 * without duplicates, a one-element list the same as its element, statements in a stable order.
 */
export function canonicalPolicy(doc: unknown): unknown {
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      if (v.every((x) => typeof x === 'string')) {
        const u = [...new Set(v as string[])].sort();
        return u.length === 1 ? u[0] : u;
      }
      return v.map(canon);
    }
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  const c = canon(doc) as Record<string, unknown>;
  if (c && typeof c === 'object' && 'Statement' in c) {
    const s = Array.isArray(c.Statement) ? c.Statement : [c.Statement];
    c.Statement = s.map((x) => JSON.stringify(x)).sort().map((x) => JSON.parse(x) as unknown);
  }
  return c;
}

const samePolicy = (a: unknown, b: unknown) => JSON.stringify(canonicalPolicy(a)) === JSON.stringify(canonicalPolicy(b));
/** A desired policy naming a dependency not created yet (`plan`) is not a change, as for any field. */
const differs = (actual: unknown, desired: unknown) => !JSON.stringify(desired).includes(UNKNOWN) && !samePolicy(actual, desired);

/** IAM returns policy documents URL-encoded. */
const decode = (doc: string | undefined): PolicyDocument => (doc ? (JSON.parse(decodeURIComponent(doc)) as PolicyDocument) : { Version: '2012-10-17', Statement: [] });

const iam = (ctx: ResourceContext) => ctx.aws.get(IAM.IAMClient);

/** The next page's marker of an IAM list call (IsTruncated / Marker). */
const next = (r: { IsTruncated?: boolean; Marker?: string }) => (r.IsTruncated ? r.Marker : undefined);

const inlineNames = (ctx: ResourceContext, RoleName: string) =>
  paged((Marker) => iam(ctx).send(new IAM.ListRolePoliciesCommand({ RoleName, Marker })), (r) => [r.PolicyNames, next(r)]);
const attachedArns = async (ctx: ResourceContext, RoleName: string) =>
  (await paged((Marker) => iam(ctx).send(new IAM.ListAttachedRolePoliciesCommand({ RoleName, Marker })), (r) => [r.AttachedPolicies, next(r)])).map((p) => p.PolicyArn!);
const roleTags = async (ctx: ResourceContext, RoleName: string) =>
  fromTagList(await paged((Marker) => iam(ctx).send(new IAM.ListRoleTagsCommand({ RoleName, Marker })), (r) => [r.Tags, next(r)]));

async function describe(ctx: ResourceContext, role: Role): Promise<IamRoleActual> {
  const name = role.RoleName!;
  const [names, managed, tags] = await Promise.all([inlineNames(ctx, name), attachedArns(ctx, name), role.Tags ? fromTagList(role.Tags) : roleTags(ctx, name)]);
  const inline: Record<string, PolicyDocument> = {};
  for (const p of names) {
    const r = await iam(ctx).send(new IAM.GetRolePolicyCommand({ RoleName: name, PolicyName: p }));
    inline[p] = decode(r.PolicyDocument);
  }
  return {
    id: name,
    arn: role.Arn!,
    state: 'available',
    description: role.Description ?? '',
    trustPolicy: decode(role.AssumeRolePolicyDocument),
    inlinePolicies: inline,
    managedPolicyArns: [...managed].sort(),
    tags,
  };
}

const getRole = (ctx: ResourceContext, name: string): Promise<Role | undefined> =>
  orAbsent(async () => (await iam(ctx).send(new IAM.GetRoleCommand({ RoleName: name }))).Role);

/** Calls on a role right after CreateRole may not see it for a moment. */
const soon = <T>(ctx: ResourceContext, fn: () => Promise<T>) => retrying(fn, { retryable: isNotFound, attempts: 4, baseMs: 500, scale: ctx.scale });

export const iamRoleKind: ResourceKind<IamRoleSpec, IamRoleActual, 'name' | 'arn'> = defineKind({
  name: 'iam:role',
  noun: 'iam role',
  timing: { createMs: 2_000, deleteMs: 2_000 },
  onReplace: 'refuse',

  /** By the recorded role name, then among the roles under `/wpdeploy/` the one tagged with this stack and step. */
  async find(ctx) {
    if (ctx.recordedId) {
      const role = await getRole(ctx, ctx.recordedId);
      if (role) return describe(ctx, role);
    }
    // The listing and each role's tags are read once per run for every role step (IAM is global: the
    // path holds the roles of every wpdeploy stack of the account).
    const listRoles = () => paged((Marker) => iam(ctx).send(new IAM.ListRolesCommand({ PathPrefix: ROLE_PATH, Marker })), (r) => [r.Roles, next(r)]);
    const tagsOf = (name: string) => (ctx.reads ? ctx.reads.read(`iam:role-tags:${name}`, 'IAM', () => roleTags(ctx, name)) : roleTags(ctx, name));
    const roles = await (ctx.reads ? ctx.reads.read(`iam:roles:${ROLE_PATH}`, 'IAM', listRoles) : listRoles());
    const mine = firstOwned(ctx, 'IAM roles', await ownedAmong(ctx, roles, (r) => tagsOf(r.RoleName!)), (r) => r.item.RoleName!);
    const role = mine && (await getRole(ctx, mine.item.RoleName!));
    return role && describe(ctx, role);
  },

  diff(desired, actual): Diff {
    const changes: FieldChange[] = changesOf(['description', actual.description, desired.description]);
    const trust = trustPolicy(desired);
    if (differs(actual.trustPolicy, trust)) changes.push({ field: 'trustPolicy', from: actual.trustPolicy, to: trust });
    for (const name of [...new Set([...Object.keys(actual.inlinePolicies), ...Object.keys(desired.inlinePolicies)])].sort()) {
      const [from, to] = [actual.inlinePolicies[name], desired.inlinePolicies[name]];
      if (from === undefined || to === undefined || differs(from, to)) changes.push({ field: `inlinePolicies.${name}`, from, to });
    }
    const want = [...new Set(desired.managedPolicyArns)].sort();
    if (JSON.stringify(want) !== JSON.stringify([...actual.managedPolicyArns].sort())) {
      changes.push({ field: 'managedPolicyArns', from: actual.managedPolicyArns, to: want });
    }
    changes.push(...tagChanges(desired.tags, actual.tags));
    if (desired.name !== actual.id) {
      return {
        changes: [{ field: 'name', from: actual.id, to: desired.name }, ...changes],
        replace: `an IAM role cannot be renamed (${actual.id} -> ${desired.name}); what runs with the old role would lose its permissions`,
      };
    }
    return { changes };
  },

  /**
   * Creates the role under `/wpdeploy/` with its tags in the same call, records its name at once,
   * then puts the inline policies and attaches the managed ones. When a role of that name already
   * exists and carries this step's tags (a create that crashed before its name was recorded), it is
   * adopted and converged; a role of that name owned by anything else is refused.
   */
  async create(ctx, desired) {
    for (const [name, doc] of Object.entries(desired.inlinePolicies)) assertNoWildcardActions(doc, `inline policy ${name} of role ${desired.name}`);
    const client = iam(ctx);
    let arn: string;
    try {
      const r = await client.send(new IAM.CreateRoleCommand({
        RoleName: desired.name,
        Path: ROLE_PATH,
        Description: desired.description || undefined,
        AssumeRolePolicyDocument: JSON.stringify(trustPolicy(desired)),
        Tags: toTagList(desired.tags),
      }));
      arn = r.Role!.Arn!;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await getRole(ctx, desired.name);
      const actual = existing ? await describe(ctx, existing) : undefined;
      if (!actual || !ownedBy(ctx, actual.tags)) {
        throw new WpdeployError(`an IAM role named ${desired.name} already exists and is not the one of step ${ctx.step} of stack ${ctx.stack}.`, {
          hint: `Delete it if nothing uses it (\`aws iam delete-role --role-name ${desired.name}\`, after removing its policies), or deploy under another stack name.`,
          cause: err,
        });
      }
      ctx.warn(`iam role ${desired.name} already existed with this step's tags; adopted it.`);
      await ctx.recordId(actual.id, actual.arn);
      return iamRoleKind.update!(ctx, desired, actual, iamRoleKind.diff(desired, actual));
    }
    await ctx.recordId(desired.name, arn);
    for (const [PolicyName, doc] of Object.entries(desired.inlinePolicies)) {
      await soon(ctx, () => client.send(new IAM.PutRolePolicyCommand({ RoleName: desired.name, PolicyName, PolicyDocument: JSON.stringify(doc) })));
    }
    for (const PolicyArn of desired.managedPolicyArns) {
      await soon(ctx, () => client.send(new IAM.AttachRolePolicyCommand({ RoleName: desired.name, PolicyArn })));
    }
    return {
      id: desired.name,
      arn,
      state: 'available',
      description: desired.description,
      trustPolicy: trustPolicy(desired),
      inlinePolicies: { ...desired.inlinePolicies },
      managedPolicyArns: [...new Set(desired.managedPolicyArns)].sort(),
      tags: { ...desired.tags },
    };
  },

  /** Makes only the calls for what differs: description, trust, inline policies, attachments, tags. */
  async update(ctx, desired, actual) {
    for (const [name, doc] of Object.entries(desired.inlinePolicies)) assertNoWildcardActions(doc, `inline policy ${name} of role ${actual.id}`);
    const client = iam(ctx);
    const RoleName = actual.id;
    if (desired.description !== actual.description) await client.send(new IAM.UpdateRoleCommand({ RoleName, Description: desired.description }));
    const trust = trustPolicy(desired);
    if (!samePolicy(actual.trustPolicy, trust)) await client.send(new IAM.UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: JSON.stringify(trust) }));
    for (const [PolicyName, doc] of Object.entries(desired.inlinePolicies)) {
      const current = actual.inlinePolicies[PolicyName];
      if (!current || !samePolicy(current, doc)) await client.send(new IAM.PutRolePolicyCommand({ RoleName, PolicyName, PolicyDocument: JSON.stringify(doc) }));
    }
    for (const PolicyName of Object.keys(actual.inlinePolicies)) {
      if (!(PolicyName in desired.inlinePolicies)) await deleteOrGone(() => client.send(new IAM.DeleteRolePolicyCommand({ RoleName, PolicyName })));
    }
    const want = new Set(desired.managedPolicyArns);
    for (const PolicyArn of want) if (!actual.managedPolicyArns.includes(PolicyArn)) await client.send(new IAM.AttachRolePolicyCommand({ RoleName, PolicyArn }));
    for (const PolicyArn of actual.managedPolicyArns) if (!want.has(PolicyArn)) await deleteOrGone(() => client.send(new IAM.DetachRolePolicyCommand({ RoleName, PolicyArn })));
    const tags = await addMissingTags(desired.tags, actual.tags, (Tags) => client.send(new IAM.TagRoleCommand({ RoleName, Tags })));
    return {
      ...actual,
      description: desired.description,
      trustPolicy: trust,
      inlinePolicies: { ...desired.inlinePolicies },
      managedPolicyArns: [...want].sort(),
      tags,
    };
  },

  /**
   * Detaches the managed policies, deletes the inline ones, then the role (IAM refuses to delete a
   * role that still has policies). A role already gone is success; a DeleteConflict is retried briefly.
   */
  async delete(ctx, actual) {
    const client = iam(ctx);
    const RoleName = actual.id;
    try {
      for (const PolicyArn of await attachedArns(ctx, RoleName)) await deleteOrGone(() => client.send(new IAM.DetachRolePolicyCommand({ RoleName, PolicyArn })));
      for (const PolicyName of await inlineNames(ctx, RoleName)) await deleteOrGone(() => client.send(new IAM.DeleteRolePolicyCommand({ RoleName, PolicyName })));
      await retrying(() => client.send(new IAM.DeleteRoleCommand({ RoleName })), {
        retryable: isDependencyViolation,
        attempts: 5,
        baseMs: 1_000,
        scale: ctx.scale,
        onRetry: () => ctx.progress(`waiting for what still holds iam role ${RoleName} to let go`),
      });
    } catch (err) {
      if (isNotFound(err)) return;
      if (isDependencyViolation(err)) {
        const profiles = await client.send(new IAM.ListInstanceProfilesForRoleCommand({ RoleName })).then((r) => (r.InstanceProfiles ?? []).map((p) => p.InstanceProfileName), () => []);
        throw new WpdeployError(`iam role ${RoleName} is still in use${profiles.length ? ` by instance profiles ${profiles.join(', ')}` : ''}.`, {
          hint: profiles.length
            ? `Remove it from them (\`aws iam remove-role-from-instance-profile --role-name ${RoleName} --instance-profile-name NAME\`) and run \`wpdeploy down\` again.`
            : 'Wait a minute for IAM to settle and run `wpdeploy down` again.',
          cause: err,
        });
      }
      throw err;
    }
  },

  outputs(actual) {
    return { name: actual.id, arn: actual.arn };
  },
});
