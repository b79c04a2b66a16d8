/**
 * The DB parameter group of the instance: `require_secure_transport=1`, so the server refuses every
 * connection that is not TLS (MySQL error 3159), whatever the client asks for
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/mysql-ssl-connections.require-ssl.html;
 * MariaDB has the same variable). The parameter is dynamic: a change to a group the instance already
 * uses applies without a reboot.
 *
 * A group belongs to one family (`mysql8.4`, `mariadb11.8`: the engine and its major version) and
 * cannot change it, so the family is in the name (`<stack>-db-mysql8-4`): a major version upgrade
 * creates the group of the new family, the instance moves to it in the same ModifyDBInstance that
 * changes the version (AWS requires a group of the target family then) and deletes the old group
 * once it has left it. `down` deletes the group after the instance.
 */
import type { DBParameterGroup } from '@aws-sdk/client-rds';
import { RDS } from '../aws/sdk.js';
import { isDependencyViolation, isNotFound } from '../aws/errors.js';
import { orAbsent } from '../aws/idempotent.js';
import { TAG_STACK, tagChanges, type TagMap, toTagList } from '../aws/tags.js';
import { deleteTolerant } from './ec2-common.js';
import { addRdsTags, type ByName, converge, createOrAdopt, describeRds, findByName, rds, rdsPages, rdsTags } from './rds-common.js';
import { defineKind } from './kinds.js';
import { changesOf, known, type Actual, type Diff, type ResourceContext, type ResourceKind } from './types.js';

export interface DbParameterGroupSpec {
  /** `<stack>-db-<family with - for .>`: letters, digits and hyphens only. */
  name: string;
  /** `mysql8.4`, `mariadb11.8`. */
  family: string;
  description: string;
  /** Parameters set in the group, by name. */
  parameters: Record<string, string>;
  tags: TagMap;
}

export interface DbParameterGroupActual extends Actual {
  /** The group name. */
  id: string;
  arn: string;
  family: string;
  description: string;
  /** The parameters the group sets (source `user`). */
  parameters: Record<string, string>;
  tags: TagMap;
}

/** What the stack's group sets: TLS required on every connection. */
export const TLS_PARAMETERS: Readonly<Record<string, string>> = { require_secure_transport: '1' };

/** The parameter group family of an engine and version: `mysql` `8.4.3` -> `mysql8.4`. */
export function parameterGroupFamily(engine: string, version: string): string {
  return `${engine}${version.split('.').slice(0, 2).join('.')}`;
}

/** The group's name for a stack and family (a name takes no dots). */
export function parameterGroupName(stack: string, family: string): string {
  return `${stack}-db-${family.replace(/\./g, '-')}`;
}

/** The parameters the group sets itself (not the engine defaults). */
async function userParameters(ctx: ResourceContext, name: string): Promise<Record<string, string>> {
  const all = await rdsPages(async (Marker) => {
    const page = await rds(ctx).send(new RDS.DescribeDBParametersCommand({ DBParameterGroupName: name, Source: 'user', Marker }));
    return { items: page.Parameters, Marker: page.Marker };
  });
  return Object.fromEntries(all.filter((p) => p.ParameterName && p.ParameterValue !== undefined).map((p) => [p.ParameterName!, p.ParameterValue!]));
}

async function toActual(ctx: ResourceContext, g: DBParameterGroup, tags?: TagMap): Promise<DbParameterGroupActual> {
  return {
    id: g.DBParameterGroupName!,
    arn: g.DBParameterGroupArn ?? '',
    state: 'available',
    family: g.DBParameterGroupFamily ?? '',
    description: g.Description ?? '',
    parameters: await userParameters(ctx, g.DBParameterGroupName!),
    tags: tags ?? (g.DBParameterGroupArn ? await rdsTags(ctx, g.DBParameterGroupArn) : {}),
  };
}

const byName = (ctx: ResourceContext): ByName<DBParameterGroup, DbParameterGroupActual> => ({
  describe: (name) => describeRds.parameterGroup(ctx, name),
  toActual: (g) => toActual(ctx, g),
});

/** The parameters of `desired` whose value differs in `actual`. */
const toSet = (desired: DbParameterGroupSpec, actual: DbParameterGroupActual) =>
  Object.entries(desired.parameters).filter(([k, v]) => actual.parameters[k] !== v);

async function setParameters(ctx: ResourceContext, name: string, params: Array<[string, string]>): Promise<void> {
  if (!params.length) return;
  // The parameters set here are dynamic: `immediate` applies them at once to the instances using the group.
  await rds(ctx).send(new RDS.ModifyDBParameterGroupCommand({
    DBParameterGroupName: name,
    Parameters: params.map(([ParameterName, ParameterValue]) => ({ ParameterName, ParameterValue, ApplyMethod: 'immediate' })),
  }));
}

export const dbParameterGroupKind: ResourceKind<DbParameterGroupSpec, DbParameterGroupActual, 'name' | 'arn' | 'family'> = defineKind({
  name: 'rds:db-parameter-group',
  noun: 'db parameter group',
  timing: { createMs: 2_000, deleteMs: 2_000 },
  onReplace: 'refuse',

  /** By the recorded name, then by the name the spec fixes when it carries this step's tags. */
  async find(ctx, desired) {
    return findByName(ctx, desired && known(desired.name) ? desired.name : undefined, byName(ctx));
  },

  /** A new family (a major version upgrade) is a change, made by update: a new group beside the old one. */
  diff(desired, actual): Diff {
    // The description cannot change once the group exists (no API sets it): not compared.
    const changes = changesOf(['family', actual.family, desired.family]);
    for (const [k, v] of toSet(desired, actual)) changes.push({ field: `parameters.${k}`, from: actual.parameters[k], to: v });
    changes.push(...tagChanges(desired.tags, actual.tags));
    return { changes };
  },

  /**
   * Creates the group with its tags, records its name, sets the parameters. A group of that name with
   * this step's tags (a create that stopped half way) is adopted; anyone else's is refused.
   */
  async create(ctx, desired) {
    return createOrAdopt(ctx, {
      noun: 'DB parameter group', name: desired.name, freeIt: `aws rds delete-db-parameter-group --db-parameter-group-name ${desired.name}`,
      create: async () => (await rds(ctx).send(new RDS.CreateDBParameterGroupCommand({
        DBParameterGroupName: desired.name, DBParameterGroupFamily: desired.family, Description: desired.description, Tags: toTagList(desired.tags),
      }))).DBParameterGroup!,
      recorded: (g) => [g.DBParameterGroupName!, g.DBParameterGroupArn],
      read: byName(ctx),
      created: async (g) => {
        await setParameters(ctx, desired.name, Object.entries(desired.parameters));
        return { ...(await toActual(ctx, g, { ...desired.tags })), parameters: { ...desired.parameters } };
      },
      adopted: converge(ctx, dbParameterGroupKind, desired),
    });
  },

  /**
   * Another family: creates the group of the new family and records it; the instance moves to it with
   * its version change, and deletes the old group once it has left it (rds-instance.ts). Otherwise
   * sets the parameters and tags that differ.
   */
  async update(ctx, desired, actual) {
    if (desired.family !== actual.family) return dbParameterGroupKind.create(ctx, desired);
    const params = toSet(desired, actual);
    await setParameters(ctx, actual.id, params);
    const tags = await addRdsTags(ctx, actual.arn, desired.tags, actual.tags);
    return { ...actual, parameters: { ...actual.parameters, ...Object.fromEntries(params) }, tags };
  },

  /** Deletes the group once the instance that uses it is gone (retried while it is being deleted). Already gone is success. */
  async delete(ctx, actual) {
    await deleteTolerant(ctx, `db parameter group ${actual.id}`, () => rds(ctx).send(new RDS.DeleteDBParameterGroupCommand({ DBParameterGroupName: actual.id })), undefined, { attempts: 8, baseMs: 5_000 });
  },

  outputs: (a) => ({ name: a.id, arn: a.arn, family: a.family }),
});

/**
 * After an instance moved to another parameter group: deletes the group it left when this stack owns
 * it (the group of the previous family); AWS's default groups and the user's are left alone.
 */
export async function deleteLeftGroup(ctx: ResourceContext, previous: string, instance: string): Promise<void> {
  if (!previous) return;
  const g = await describeRds.parameterGroup(ctx, previous);
  const tags = g?.DBParameterGroupArn ? await orAbsent(() => rdsTags(ctx, g.DBParameterGroupArn!)) : undefined;
  if (tags?.[TAG_STACK] !== ctx.stack) return;
  try {
    await rds(ctx).send(new RDS.DeleteDBParameterGroupCommand({ DBParameterGroupName: previous }));
    ctx.progress(`deleted parameter group ${previous}, which ${instance} no longer uses`);
  } catch (err) {
    if (isNotFound(err)) return;
    if (!isDependencyViolation(err)) throw err;
    ctx.warn(`parameter group ${previous} is still in use; it stays (parameter groups cost nothing): delete it later with \`aws rds delete-db-parameter-group --db-parameter-group-name ${previous}\`.`);
  }
}
