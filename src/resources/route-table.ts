/**
 * A route table with its routes and subnet associations, converged in place: missing routes are
 * created, changed targets replaced (so moving the app subnets from one NAT gateway to another never
 * leaves them without a route), extra routes deleted; subnets are associated, or moved over from
 * the table they were in. Teardown disassociates, then deletes.
 */
import type { RouteTable } from '@aws-sdk/client-ec2';
import { EC2 } from '../aws/sdk.js';
import { isNotFound } from '../aws/errors.js';
import { deleteOrGone, writeOrVerify } from '../aws/idempotent.js';
import { fromTagList, type TagMap } from '../aws/tags.js';
import { describeAll, describeOne, ROUTE_TABLES } from './ec2-api.js';
import { deleteTolerant, ec2, ec2Tagged, entryPlan, inVpcDiff, retag, settle, tagSpec } from './ec2-common.js';
import { type Actual, type ResourceContext, type ResourceKind } from './types.js';
import { defineKind } from './kinds.js';

export interface RouteSpec {
  destination: string;
  gatewayId?: string;
  natGatewayId?: string;
}

export interface RouteTableSpec {
  vpcId: string;
  routes: RouteSpec[];
  subnetIds: string[];
  tags: TagMap;
}

export interface RouteTableActual extends Actual {
  vpcId: string;
  routes: RouteSpec[];
  associations: Array<{ id: string; subnetId: string }>;
  tags: TagMap;
}

const target = (r: RouteSpec) => r.natGatewayId ?? r.gatewayId ?? '(none)';

function toActual(t: RouteTable): RouteTableActual {
  return {
    id: t.RouteTableId!, state: 'available', vpcId: t.VpcId ?? '',
    routes: (t.Routes ?? [])
      .filter((r) => r.Origin !== 'CreateRouteTable' && r.GatewayId !== 'local' && r.DestinationCidrBlock)
      .map((r) => ({ destination: r.DestinationCidrBlock!, ...(r.NatGatewayId ? { natGatewayId: r.NatGatewayId } : { gatewayId: r.GatewayId }) })),
    associations: (t.Associations ?? []).filter((a) => a.SubnetId && !a.Main).map((a) => ({ id: a.RouteTableAssociationId!, subnetId: a.SubnetId! })),
    tags: fromTagList(t.Tags),
  };
}

function plan(desired: RouteTableSpec, actual: RouteTableActual) {
  return {
    routes: entryPlan(desired.routes, actual.routes, (r) => r.destination, target),
    associate: desired.subnetIds.filter((s) => !actual.associations.some((a) => a.subnetId === s)),
    disassociate: actual.associations.filter((a) => !desired.subnetIds.includes(a.subnetId)),
  };
}

/** The route table a subnet is explicitly associated with, and the association. */
async function associationOf(ctx: ResourceContext, subnetId: string) {
  const tables = await settle(ctx, () => describeAll(ctx, ROUTE_TABLES, { filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }));
  return tables.flatMap((t) => t.Associations ?? []).find((a) => a.SubnetId === subnetId);
}

async function associate(ctx: ResourceContext, tableId: string, subnetId: string): Promise<void> {
  const client = ec2(ctx);
  // A subnet belongs to one table: move it when another (non-main) table holds it. A retried move
  // names an association that the first attempt replaced, a retried associate meets the association
  // it made: either is success when the subnet is in this table.
  const inThisTable = async () => ((await associationOf(ctx, subnetId))?.RouteTableId === tableId ? true : undefined);
  const assoc = await associationOf(ctx, subnetId);
  if (assoc?.RouteTableAssociationId) {
    await writeOrVerify(() => settle(ctx, () => client.send(new EC2.ReplaceRouteTableAssociationCommand({ AssociationId: assoc.RouteTableAssociationId, RouteTableId: tableId }))),
      inThisTable, isNotFound);
  } else {
    await writeOrVerify(() => settle(ctx, () => client.send(new EC2.AssociateRouteTableCommand({ RouteTableId: tableId, SubnetId: subnetId }))), inThisTable);
  }
}

/** The table's routes as AWS holds them now. */
async function routesOf(ctx: ResourceContext, tableId: string): Promise<RouteSpec[]> {
  const t = await describeOne(ctx, ROUTE_TABLES, tableId);
  return t ? toActual(t).routes : [];
}

async function converge(ctx: ResourceContext, desired: RouteTableSpec, actual: RouteTableActual): Promise<RouteTableActual> {
  const client = ec2(ctx);
  const p = plan(desired, actual);
  const args = (r: RouteSpec) => ({ RouteTableId: actual.id, DestinationCidrBlock: r.destination, GatewayId: r.gatewayId, NatGatewayId: r.natGatewayId });
  for (const r of p.routes.create) {
    // A retried create meets its route: success when it goes to the same target.
    await writeOrVerify(() => settle(ctx, () => client.send(new EC2.CreateRouteCommand(args(r)))),
      async () => ((await routesOf(ctx, actual.id)).some((x) => x.destination === r.destination && target(x) === target(r)) ? true : undefined));
  }
  for (const r of p.routes.replace) await settle(ctx, () => client.send(new EC2.ReplaceRouteCommand(args(r))));
  for (const r of p.routes.remove) await deleteOrGone(() => settle(ctx, () => client.send(new EC2.DeleteRouteCommand({ RouteTableId: actual.id, DestinationCidrBlock: r.destination }))));
  for (const s of p.associate) await associate(ctx, actual.id, s);
  for (const a of p.disassociate) await deleteOrGone(() => settle(ctx, () => client.send(new EC2.DisassociateRouteTableCommand({ AssociationId: a.id }))));
  await retag(ctx, actual.id, desired.tags, actual.tags);
  const after = await settle(ctx, () => describeAll(ctx, ROUTE_TABLES, { ids: [actual.id] }));
  return toActual(after[0]!);
}

export const routeTableKind: ResourceKind<RouteTableSpec, RouteTableActual, 'routeTableId'> = defineKind({
  name: 'ec2:route-table',
  ...ec2Tagged(ROUTE_TABLES, toActual),
  timing: { createMs: 2_000, deleteMs: 2_000 },

  diff(desired, actual) {
    const p = plan(desired, actual);
    const moved = p.associate.length || p.disassociate.length ? actual.associations.map((a) => a.subnetId) : undefined;
    return inVpcDiff('route table', desired, actual, p.routes.changes('routes'), moved);
  },

  async create(ctx, desired) {
    const r = await ec2(ctx).send(new EC2.CreateRouteTableCommand({ VpcId: desired.vpcId, TagSpecifications: tagSpec('route-table', desired.tags), ClientToken: ctx.clientToken() }));
    const id = r.RouteTable!.RouteTableId!;
    await ctx.recordId(id);
    return converge(ctx, desired, { id, vpcId: desired.vpcId, routes: [], associations: [], tags: desired.tags });
  },

  update: (ctx, desired, actual) => converge(ctx, desired, actual),

  async delete(ctx, actual) {
    const client = ec2(ctx);
    for (const a of actual.associations) await deleteOrGone(() => client.send(new EC2.DisassociateRouteTableCommand({ AssociationId: a.id })));
    await deleteTolerant(ctx, `route table ${actual.id}`, () => client.send(new EC2.DeleteRouteTableCommand({ RouteTableId: actual.id })));
  },

  outputs: (a) => ({ routeTableId: a.id }),
});
