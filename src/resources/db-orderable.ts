/**
 * Preflight of the database instance: RDS offers the engine, version and class in this Region, with
 * Multi-AZ when asked and the gp3 storage wpdeploy creates (DescribeOrderableDBInstanceOptions,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeOrderableDBInstanceOptions.html).
 * Asked only when the instance would be created, or its class, version or Multi-AZ would change;
 * otherwise CreateDBInstance or ModifyDBInstance would fail with InvalidParameterCombination after
 * the network was built. Whether the version is still supported (its lifecycle) is another check.
 */
import type { OrderableDBInstanceOption } from '@aws-sdk/client-rds';
import { RDS } from '../aws/sdk.js';
import { describeRds, rds, rdsPages } from './rds-common.js';
import type { DbInstanceSpec } from './rds-instance.js';
import type { CheckFailure, ResourceContext } from './types.js';

export type OrderableSpec = Pick<DbInstanceSpec, 'identifier' | 'engine' | 'engineVersion' | 'instanceClass' | 'multiAz'>;

/** `8.0` matches `8.0.39`; a full version matches itself only. */
export const versionMatches = (wanted: string, offered: string) => offered === wanted || offered.startsWith(`${wanted}.`);

/** True when the instance exists and already has the class, version and Multi-AZ asked for. */
async function unchanged(ctx: ResourceContext, d: OrderableSpec): Promise<boolean> {
  const i = await describeRds.instance(ctx, d.identifier);
  return !!i && i.DBInstanceClass === d.instanceClass && versionMatches(d.engineVersion, i.EngineVersion ?? '') && !!i.MultiAZ === d.multiAz;
}

/** The options RDS offers for the engine and class (and the version, when it is a full one), every page. */
async function offered(ctx: ResourceContext, d: OrderableSpec): Promise<OrderableDBInstanceOption[]> {
  const full = /^\d+\.\d+\.\d+$/.test(d.engineVersion);
  const out = await rdsPages(async (Marker) => {
    const r = await rds(ctx).send(new RDS.DescribeOrderableDBInstanceOptionsCommand({
      Engine: d.engine, DBInstanceClass: d.instanceClass, Vpc: true, ...(full ? { EngineVersion: d.engineVersion } : {}), Marker, MaxRecords: 100,
    }));
    return { items: r.OrderableDBInstanceOptions, Marker: r.Marker };
  });
  return out.filter((o) => versionMatches(d.engineVersion, o.EngineVersion ?? ''));
}

/** Whether the endpoint's catalog has any option for the engine (one page is enough to tell). */
async function offersAnything(ctx: ResourceContext, engine: string): Promise<boolean> {
  const r = await rds(ctx).send(new RDS.DescribeOrderableDBInstanceOptionsCommand({ Engine: engine, MaxRecords: 20 }));
  return (r.OrderableDBInstanceOptions ?? []).length > 0;
}

export async function checkOrderable(ctx: ResourceContext, d: OrderableSpec): Promise<CheckFailure | undefined> {
  // No instance recorded (a first `up`): the catalog is asked at once, alongside the instance.
  let asked = ctx.recordedId ? undefined : offered(ctx, d);
  asked?.catch(() => undefined); // awaited (and its error thrown) below
  if (await unchanged(ctx, d)) return undefined;
  const options = await (asked ??= offered(ctx, d));
  const what = `${d.instanceClass} with ${d.engine} ${d.engineVersion}`;
  const list = `\`aws rds describe-orderable-db-instance-options --engine ${d.engine} --engine-version VERSION --region ${ctx.region} --query "OrderableDBInstanceOptions[].DBInstanceClass"\``;
  const fail = (problem: string, fix: string): CheckFailure => ({
    check: 'database orderable', message: `database.instanceClass: RDS does not offer ${problem} in ${ctx.region}. Nothing was changed.`, hint: `${fix} Then run wpdeploy again.`,
  });
  if (options.length === 0 && ctx.aws.settings.endpoint && !(await offersAnything(ctx, d.engine))) {
    // AWS always offers its engines; an endpoint with no catalog at all (an emulator) cannot tell.
    ctx.warn(`preflight of the database not checked: the endpoint ${ctx.aws.settings.endpoint} offers no ${d.engine} instance at all (an emulator); AWS does.`);
    return undefined;
  }
  if (options.length === 0) {
    return fail(what, `Choose a class RDS offers for that engine and version (${list} lists them), or another database.engineVersion.`);
  }
  const fitting = d.multiAz ? options.filter((o) => o.MultiAZCapable) : options;
  if (fitting.length === 0) return fail(`${what} as Multi-AZ`, `Choose a class that is Multi-AZ capable (${list}), or set database.multiAz: false.`);
  if (!fitting.some((o) => o.StorageType === 'gp3')) return fail(`${what} on gp3 storage`, `Choose a class that supports gp3 storage (${list}).`);
  return undefined;
}
