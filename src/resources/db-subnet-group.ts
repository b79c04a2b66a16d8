/**
 * The DB subnet group the instance (and the RDS Proxy) lives in: the data subnets, one per AZ. Its
 * name is fixed by the spec (`<stack>-data`); a group of that name that does not carry this step's
 * tags is refused, never adopted. The subnets and description converge in place
 * (ModifyDBSubnetGroup). Deleting waits while the instance that uses it is still being deleted.
 */
import type { DBSubnetGroup } from '@aws-sdk/client-rds';
import { RDS } from '../aws/sdk.js';
import { TAG_NAME, tagChanges, type TagMap, toTagList } from '../aws/tags.js';
import { deleteTolerant } from './ec2-common.js';
import { addRdsTags, type ByName, converge, createOrAdopt, describeRds, findByName, rds, rdsTags } from './rds-common.js';
import { defineKind } from './kinds.js';
import { changesOf, known, type Actual, type Diff, type ResourceContext, type ResourceKind } from './types.js';

export interface DbSubnetGroupSpec {
  /** Lowercase: RDS stores subnet group names in lowercase. */
  name: string;
  description: string;
  subnetIds: string[];
  tags: TagMap;
}

export interface DbSubnetGroupActual extends Actual {
  /** The group name. */
  id: string;
  arn: string;
  description: string;
  vpcId: string;
  subnetIds: string[];
  tags: TagMap;
}

async function toActual(ctx: ResourceContext, g: DBSubnetGroup, tags?: TagMap): Promise<DbSubnetGroupActual> {
  return {
    id: g.DBSubnetGroupName!,
    arn: g.DBSubnetGroupArn ?? '',
    state: g.SubnetGroupStatus ?? 'Complete',
    description: g.DBSubnetGroupDescription ?? '',
    vpcId: g.VpcId ?? '',
    subnetIds: (g.Subnets ?? []).map((s) => s.SubnetIdentifier!).sort(),
    tags: tags ?? (g.DBSubnetGroupArn ? await rdsTags(ctx, g.DBSubnetGroupArn) : {}),
  };
}

const byName = (ctx: ResourceContext): ByName<DBSubnetGroup, DbSubnetGroupActual> => ({
  describe: (name) => describeRds.subnetGroup(ctx, name),
  toActual: (g) => toActual(ctx, g),
});

const sorted = (ids: string[]) => [...ids].sort();

export const dbSubnetGroupKind: ResourceKind<DbSubnetGroupSpec, DbSubnetGroupActual, 'name' | 'arn'> = defineKind({
  name: 'rds:db-subnet-group',
  noun: 'db subnet group',
  timing: { createMs: 2_000, deleteMs: 2_000 },
  onReplace: 'refuse',

  /** By the recorded name, then by the name the spec fixes (or `<stack>-<role>`) when it carries this step's tags. */
  async find(ctx, desired) {
    return findByName(ctx, desired && known(desired.name) ? desired.name : ctx.tags[TAG_NAME]?.toLowerCase(), byName(ctx));
  },

  diff(desired, actual): Diff {
    const changes = changesOf(['description', actual.description, desired.description]);
    if (!desired.subnetIds.some((s) => !known(s))) changes.push(...changesOf(['subnetIds', actual.subnetIds, sorted(desired.subnetIds)]));
    changes.push(...tagChanges(desired.tags, actual.tags));
    if (desired.name.toLowerCase() !== actual.id.toLowerCase()) {
      return {
        changes: [{ field: 'name', from: actual.id, to: desired.name }, ...changes],
        replace: `a DB subnet group cannot be renamed (${actual.id} -> ${desired.name}), and the instance would have to move to the new one`,
      };
    }
    return { changes };
  },

  /**
   * Creates the group with its tags in the same call and records its name. A group of that name
   * that carries this step's tags (a create that crashed before the name was recorded) is adopted
   * and converged; one owned by anything else is refused.
   */
  async create(ctx, desired) {
    return createOrAdopt(ctx, {
      noun: 'DB subnet group', name: desired.name, freeIt: `aws rds delete-db-subnet-group --db-subnet-group-name ${desired.name}`,
      create: async () => (await rds(ctx).send(new RDS.CreateDBSubnetGroupCommand({
        DBSubnetGroupName: desired.name, DBSubnetGroupDescription: desired.description, SubnetIds: desired.subnetIds, Tags: toTagList(desired.tags),
      }))).DBSubnetGroup!,
      recorded: (g) => [g.DBSubnetGroupName!, g.DBSubnetGroupArn],
      read: byName(ctx),
      created: (g) => toActual(ctx, g, { ...desired.tags }),
      adopted: converge(ctx, dbSubnetGroupKind, desired),
    });
  },

  /** Sets the subnets and description (ModifyDBSubnetGroup) and the tags that differ. */
  async update(ctx, desired, actual) {
    let a = actual;
    if (desired.description !== a.description || JSON.stringify(sorted(desired.subnetIds)) !== JSON.stringify(a.subnetIds)) {
      const r = await rds(ctx).send(new RDS.ModifyDBSubnetGroupCommand({ DBSubnetGroupName: a.id, DBSubnetGroupDescription: desired.description, SubnetIds: desired.subnetIds }));
      a = r.DBSubnetGroup ? await toActual(ctx, r.DBSubnetGroup, a.tags) : { ...a, description: desired.description, subnetIds: sorted(desired.subnetIds) };
    }
    return { ...a, tags: await addRdsTags(ctx, a.arn, desired.tags, a.tags) };
  },

  /** Deletes the group; while an instance still uses it (it is being deleted), retried for a bounded time. Already gone is success. */
  async delete(ctx, actual) {
    await deleteTolerant(ctx, `db subnet group ${actual.id}`, () => rds(ctx).send(new RDS.DeleteDBSubnetGroupCommand({ DBSubnetGroupName: actual.id })), undefined, { attempts: 8, baseMs: 5_000 });
  },

  outputs: (a) => ({ name: a.id, arn: a.arn }),
});
