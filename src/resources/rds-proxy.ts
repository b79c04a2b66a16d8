/**
 * An RDS Proxy in front of the instance (`database.proxy: true`): it logs in with the database
 * secret through an IAM role that may read only that secret, requires TLS from clients, has its own
 * security group, and registers the instance in its default target group. WordPress connects to its
 * endpoint. The proxy holds no data: a change AWS cannot make in place (its subnets, its engine
 * family) deletes and creates it again. Deleting waits until it is gone.
 */
import type { DBProxy, DBProxyTarget, TargetHealth } from '@aws-sdk/client-rds';
import { RDS } from '../aws/sdk.js';
import { isDependencyViolation, isIamPropagation } from '../aws/errors.js';
import { deleteOrGone, orAbsent, writeOrVerify } from '../aws/idempotent.js';
import { retrying } from '../aws/poll.js';
import { TAG_NAME, tagChanges, type TagMap, toTagList } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { addRdsTags, type ByName, createOrAdopt, describeRds, findByName, rds, rdsPages, rdsTags } from './rds-common.js';
import { deleteAndWait, waitUntil } from './waits.js';
import { defineKind } from './kinds.js';
import { changesOf, known, type Actual, type Diff, type FieldChange, type ResourceContext, type ResourceKind } from './types.js';

export interface DbProxySpec {
  /** `<stack>-db-proxy`. */
  name: string;
  engineFamily: 'MYSQL';
  secretArn: string;
  roleArn: string;
  subnetIds: string[];
  securityGroupIds: string[];
  requireTls: boolean;
  idleClientTimeoutSeconds: number;
  /** The instance to register in the default target group. */
  dbInstanceIdentifier: string;
  tags: TagMap;
}

export interface DbProxyActual extends Actual {
  /** The proxy name. */
  id: string;
  arn: string;
  state: string;
  endpoint: string;
  engineFamily: string;
  secretArns: string[];
  roleArn: string;
  subnetIds: string[];
  securityGroupIds: string[];
  requireTls: boolean;
  idleClientTimeoutSeconds: number;
  /** Instance identifiers registered in the default target group. */
  targets: string[];
  tags: TagMap;
}

export const PROXY_CREATE_MS = 5 * 60_000;
export const PROXY_DELETE_MS = 3 * 60_000;
const TARGET_GROUP = 'default';

/** The targets of the proxy's default target group; none when the proxy is gone. */
async function targetsOf(ctx: ResourceContext, name: string): Promise<DBProxyTarget[]> {
  const all = await orAbsent(() => rdsPages(async (Marker) => {
    const r = await rds(ctx).send(new RDS.DescribeDBProxyTargetsCommand({ DBProxyName: name, TargetGroupName: TARGET_GROUP, Marker }));
    return { items: r.Targets, Marker: r.Marker };
  }));
  return all ?? [];
}

const instanceTargets = (targets: DBProxyTarget[]) => targets.filter((t) => t.Type === 'RDS_INSTANCE' && t.RdsResourceId).map((t) => t.RdsResourceId!).sort();

async function toActual(ctx: ResourceContext, p: DBProxy, tags?: TagMap): Promise<DbProxyActual> {
  return {
    id: p.DBProxyName!,
    arn: p.DBProxyArn ?? '',
    state: p.Status ?? 'unknown',
    endpoint: p.Endpoint ?? '',
    engineFamily: p.EngineFamily ?? '',
    secretArns: (p.Auth ?? []).map((a) => a.SecretArn ?? '').filter(Boolean).sort(),
    roleArn: p.RoleArn ?? '',
    subnetIds: [...(p.VpcSubnetIds ?? [])].sort(),
    securityGroupIds: [...(p.VpcSecurityGroupIds ?? [])].sort(),
    requireTls: p.RequireTLS ?? false,
    idleClientTimeoutSeconds: p.IdleClientTimeout ?? 1800,
    targets: instanceTargets(await targetsOf(ctx, p.DBProxyName!)),
    tags: tags ?? (p.DBProxyArn ? await rdsTags(ctx, p.DBProxyArn) : {}),
  };
}

const byName = (ctx: ResourceContext): ByName<DBProxy, DbProxyActual> => ({
  describe: (name) => describeRds.proxy(ctx, name),
  toActual: (p) => toActual(ctx, p),
});

const sorted = (xs: string[]) => [...xs].sort();
const allKnown = (xs: string[]) => xs.every((x) => known(x));

function waitAvailable(ctx: ResourceContext, name: string): Promise<DBProxy | undefined> {
  return waitUntil(ctx, {
    what: `db proxy ${name} to be available`, expectedMs: PROXY_CREATE_MS, minIntervalMs: 10_000,
    check: () => describeRds.proxy(ctx, name),
    done: (p) => p?.Status === 'available',
    failed: (p) => (p && ['incompatible-network', 'insufficient-resource-limits', 'suspended'].includes(p.Status ?? '') ? `it is ${p.Status}` : undefined),
    progress: (p) => `${name} is ${p?.Status ?? 'not visible yet'} (usually about 5 min)`,
  });
}

/**
 * Target health that is still on its way: REGISTERING, and UNAVAILABLE with reason
 * PENDING_PROXY_CAPACITY, which AWS documents as transient ("the proxy retries the connection after
 * it completes a scaling operation":
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.troubleshooting.html; reasons:
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_TargetHealth.html).
 */
export function targetSettled(health: TargetHealth | undefined): boolean {
  if (health?.State === 'AVAILABLE') return true;
  return health?.State === 'UNAVAILABLE' && health.Reason !== 'PENDING_PROXY_CAPACITY';
}

/** Registers the instance, then waits until the proxy reaches it (target health AVAILABLE); says why when it cannot. */
async function registerTarget(ctx: ResourceContext, name: string, instance: string): Promise<void> {
  const target = (ts: DBProxyTarget[]) => ts.find((t) => t.Type === 'RDS_INSTANCE' && t.RdsResourceId === instance);
  // A retried register meets the target registered (DBProxyTargetAlreadyRegisteredFault): success when it is this instance.
  await writeOrVerify(() => rds(ctx).send(new RDS.RegisterDBProxyTargetsCommand({ DBProxyName: name, TargetGroupName: TARGET_GROUP, DBInstanceIdentifiers: [instance] })),
    async () => (target(await targetsOf(ctx, name)) ? true : undefined));
  const t = await waitUntil(ctx, {
    what: `db proxy ${name} to reach ${instance}`, expectedMs: 2 * 60_000, minIntervalMs: 5_000,
    check: () => targetsOf(ctx, name),
    done: (ts) => targetSettled(target(ts)?.TargetHealth),
    progress: (ts) => {
      const h = target(ts)?.TargetHealth;
      return `${name} target ${instance} is ${h?.State ?? 'not registered yet'}${h?.Reason === 'PENDING_PROXY_CAPACITY' ? ' (the proxy is adding capacity)' : ''}`;
    },
  });
  const health = target(t)?.TargetHealth;
  if (health?.State === 'UNAVAILABLE') {
    const why = health.Reason === 'AUTH_FAILURE'
      ? 'it cannot log in with the database secret (check the secret\'s username and password, and that the proxy role may read the secret)'
      : health.Reason === 'CONNECTION_FAILED'
        ? 'it cannot connect (the database security group must admit the proxy\'s security group on 3306)'
        : (health.Description ?? health.Reason ?? 'no reason given');
    throw new WpdeployError(`db proxy ${name} cannot reach db instance ${instance}: ${why}.`, {
      hint: 'Fix the cause above and run `wpdeploy up` again; the proxy retries on its own.',
    });
  }
}

export const dbProxyKind: ResourceKind<DbProxySpec, DbProxyActual, 'endpoint' | 'name' | 'arn'> = defineKind({
  name: 'rds:db-proxy',
  noun: 'db proxy',
  timing: { createMs: PROXY_CREATE_MS, deleteMs: PROXY_DELETE_MS },
  onReplace: 'recreate',

  /** By the recorded name, then the name the spec fixes when it carries this step's tags. */
  async find(ctx, desired) {
    return findByName(ctx, desired && known(desired.name) ? desired.name : ctx.tags[TAG_NAME]?.toLowerCase(), { ...byName(ctx), gone: (p) => p.Status === 'deleting' });
  },

  diff(desired, actual): Diff {
    const changes: FieldChange[] = changesOf(
      ['roleArn', actual.roleArn, desired.roleArn],
      ['requireTls', actual.requireTls, desired.requireTls],
      ['idleClientTimeoutSeconds', actual.idleClientTimeoutSeconds, desired.idleClientTimeoutSeconds],
    );
    if (known(desired.secretArn)) changes.unshift(...changesOf(['secretArns', actual.secretArns, [desired.secretArn]]));
    if (allKnown(desired.securityGroupIds)) changes.push(...changesOf(['securityGroupIds', actual.securityGroupIds, sorted(desired.securityGroupIds)]));
    if (known(desired.dbInstanceIdentifier)) changes.push(...changesOf(['targets', actual.targets, [desired.dbInstanceIdentifier]]));
    changes.push(...tagChanges(desired.tags, actual.tags));
    const fixed = changesOf(['engineFamily', actual.engineFamily, desired.engineFamily]);
    if (allKnown(desired.subnetIds)) fixed.push(...changesOf(['subnetIds', actual.subnetIds, sorted(desired.subnetIds)]));
    if (fixed.length) {
      return { changes: [...fixed, ...changes], replace: `a proxy's ${fixed.map((c) => c.field).join(' and ')} cannot change in place; it holds no data, so it is created again` };
    }
    return { changes };
  },

  /**
   * Creates the proxy with its tags in the same call (retried briefly while its new IAM role is not
   * yet assumable), records its name, waits until available (about 5 minutes), then registers the
   * instance. A proxy of that name with this step's tags (a create that crashed) is adopted.
   */
  async create(ctx, desired) {
    return createOrAdopt(ctx, {
      noun: 'DB proxy', name: desired.name, freeIt: `aws rds delete-db-proxy --db-proxy-name ${desired.name}`,
      create: async () => (await retrying(() => rds(ctx).send(new RDS.CreateDBProxyCommand({
        DBProxyName: desired.name,
        EngineFamily: desired.engineFamily,
        Auth: [{ AuthScheme: 'SECRETS', SecretArn: desired.secretArn, IAMAuth: 'DISABLED', Description: 'the WordPress database user' }],
        RoleArn: desired.roleArn,
        VpcSubnetIds: desired.subnetIds,
        VpcSecurityGroupIds: desired.securityGroupIds,
        RequireTLS: desired.requireTls,
        IdleClientTimeout: desired.idleClientTimeoutSeconds,
        Tags: toTagList(desired.tags),
      })), { retryable: isIamPropagation, attempts: 6, baseMs: 2_000, scale: ctx.scale, onRetry: () => ctx.progress('waiting for the new IAM role to become assumable') })).DBProxy,
      recorded: (created) => [desired.name, created?.DBProxyArn],
      read: byName(ctx),
      created: async () => {
        await waitAvailable(ctx, desired.name);
        await registerTarget(ctx, desired.name, desired.dbInstanceIdentifier);
        const p = await describeRds.proxy(ctx, desired.name);
        return toActual(ctx, p!, { ...desired.tags });
      },
      adopted: async (actual) => {
        await waitAvailable(ctx, desired.name);
        return dbProxyKind.update!(ctx, desired, actual, dbProxyKind.diff(desired, actual));
      },
    });
  },

  /** ModifyDBProxy for auth, role, security groups, TLS and timeout; registers the instance when missing, deregisters others; tags. */
  async update(ctx, desired, actual) {
    const client = rds(ctx);
    const modify = {
      ...(JSON.stringify(actual.secretArns) !== JSON.stringify([desired.secretArn])
        ? { Auth: [{ AuthScheme: 'SECRETS' as const, SecretArn: desired.secretArn, IAMAuth: 'DISABLED' as const, Description: 'the WordPress database user' }] } : {}),
      ...(actual.roleArn !== desired.roleArn ? { RoleArn: desired.roleArn } : {}),
      ...(JSON.stringify(actual.securityGroupIds) !== JSON.stringify(sorted(desired.securityGroupIds)) ? { SecurityGroups: desired.securityGroupIds } : {}),
      ...(actual.requireTls !== desired.requireTls ? { RequireTLS: desired.requireTls } : {}),
      ...(actual.idleClientTimeoutSeconds !== desired.idleClientTimeoutSeconds ? { IdleClientTimeout: desired.idleClientTimeoutSeconds } : {}),
    };
    if (Object.keys(modify).length) {
      await client.send(new RDS.ModifyDBProxyCommand({ DBProxyName: actual.id, ...modify }));
      await waitAvailable(ctx, actual.id);
    }
    const extra = actual.targets.filter((t) => t !== desired.dbInstanceIdentifier);
    if (extra.length) await deleteOrGone(() => client.send(new RDS.DeregisterDBProxyTargetsCommand({ DBProxyName: actual.id, TargetGroupName: TARGET_GROUP, DBInstanceIdentifiers: extra })));
    if (!actual.targets.includes(desired.dbInstanceIdentifier)) await registerTarget(ctx, actual.id, desired.dbInstanceIdentifier);
    const tags = await addRdsTags(ctx, actual.arn, desired.tags, actual.tags);
    const p = await describeRds.proxy(ctx, actual.id);
    return p ? toActual(ctx, p, tags) : actual;
  },

  /** Deletes the proxy (its targets go with it) and waits until it is gone. Already gone is success. */
  async delete(ctx, actual) {
    // A retried delete whose first attempt took effect meets the proxy `deleting`, or gone.
    await deleteAndWait(ctx, () => writeOrVerify(() => rds(ctx).send(new RDS.DeleteDBProxyCommand({ DBProxyName: actual.id })),
      async () => ((await describeRds.proxy(ctx, actual.id))?.Status === 'deleting' ? true : undefined), isDependencyViolation), {
      what: `db proxy ${actual.id} to be deleted`, expectedMs: PROXY_DELETE_MS, minIntervalMs: 10_000,
      check: () => describeRds.proxy(ctx, actual.id),
      done: (p) => !p,
      progress: (p) => `${actual.id} is ${p?.Status ?? 'going'}`,
    });
  },

  outputs: (a) => ({ endpoint: a.endpoint, name: a.id, arn: a.arn }),
});
