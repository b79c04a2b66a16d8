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
import { fromTagList, tagsToSet, toTagList, type TagMap } from '../aws/tags.js';
import { deleteTolerant, ec2, findByIdOrTags, tagSpec, settle } from './ec2-common.js';
import { defineKind } from './kinds.js';
import { known, type Actual, type FieldChange, type ResourceContext, type ResourceKind } from './types.js';

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
  const have = new Map(actual.routes.map((r) => [r.destination, r]));
  const want = new Map(desired.routes.map((r) => [r.destination, r]));
  return {
    createRoutes: desired.routes.filter((r) => !have.has(r.destination)),
    replaceRoutes: desired.routes.filter((r) => have.has(r.destination) && target(have.get(r.destination)!) !== target(r)),
    deleteRoutes: actual.routes.filter((r) => !want.has(r.destination)),
    associate: desired.subnetIds.filter((s) => !actual.associations.some((a) => a.subnetId === s)),
    disassociate: actual.associations.filter((a) => !desired.subnetIds.includes(a.subnetId)),
    tags: tagsToSet(desired.tags, actual.tags),
  };
}

/** The route table a subnet is explicitly associated with, and the association. */
async function associationOf(ctx: ResourceContext, subnetId: string) {
  const current = await settle(ctx, () => ec2(ctx).send(new EC2.DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] })));
  return current.RouteTables?.flatMap((t) => t.Associations ?? []).find((a) => a.SubnetId === subnetId);
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
  const r = await ec2(ctx).send(new EC2.DescribeRouteTablesCommand({ RouteTableIds: [tableId] }));
  return r.RouteTables?.[0] ? toActual(r.RouteTables[0]).routes : [];
}

async function converge(ctx: ResourceContext, desired: RouteTableSpec, actual: RouteTableActual): Promise<RouteTableActual> {
  const client = ec2(ctx);
  const p = plan(desired, actual);
  const args = (r: RouteSpec) => ({ RouteTableId: actual.id, DestinationCidrBlock: r.destination, GatewayId: r.gatewayId, NatGatewayId: r.natGatewayId });
  for (const r of p.createRoutes) {
    // A retried create meets its route: success when it goes to the same target.
    await writeOrVerify(() => settle(ctx, () => client.send(new EC2.CreateRouteCommand(args(r)))),
      async () => ((await routesOf(ctx, actual.id)).some((x) => x.destination === r.destination && target(x) === target(r)) ? true : undefined));
  }
  for (const r of p.replaceRoutes) await settle(ctx, () => client.send(new EC2.ReplaceRouteCommand(args(r))));
  for (const r of p.deleteRoutes) await deleteOrGone(() => settle(ctx, () => client.send(new EC2.DeleteRouteCommand({ RouteTableId: actual.id, DestinationCidrBlock: r.destination }))));
  for (const s of p.associate) await associate(ctx, actual.id, s);
  for (const a of p.disassociate) await deleteOrGone(() => settle(ctx, () => client.send(new EC2.DisassociateRouteTableCommand({ AssociationId: a.id }))));
  if (Object.keys(p.tags).length) await settle(ctx, () => client.send(new EC2.CreateTagsCommand({ Resources: [actual.id], Tags: toTagList(p.tags) })));
  const after = await settle(ctx, () => client.send(new EC2.DescribeRouteTablesCommand({ RouteTableIds: [actual.id] })));
  return toActual(after.RouteTables![0]!);
}

export const routeTableKind: ResourceKind<RouteTableSpec, RouteTableActual, 'routeTableId'> = defineKind({
  name: 'ec2:route-table',
  noun: 'route table',
  timing: { createMs: 2_000, deleteMs: 2_000 },

  async find(ctx) {
    const client = ec2(ctx);
    const found = await findByIdOrTags(
      ctx, 'route table',
      async (id) => (await client.send(new EC2.DescribeRouteTablesCommand({ RouteTableIds: [id] }))).RouteTables ?? [],
      async (Filters) => (await client.send(new EC2.DescribeRouteTablesCommand({ Filters }))).RouteTables ?? [],
      (t) => t.RouteTableId!,
      toActual,
    );
    return found;
  },

  diff(desired, actual) {
    const p = plan(desired, actual);
    const changes: FieldChange[] = [];
    for (const r of [...p.createRoutes, ...p.replaceRoutes]) {
      changes.push({ field: `routes.${r.destination}`, from: actual.routes.find((x) => x.destination === r.destination) ? target(actual.routes.find((x) => x.destination === r.destination)!) : undefined, to: target(r) });
    }
    for (const r of p.deleteRoutes) changes.push({ field: `routes.${r.destination}`, from: target(r), to: undefined });
    if (p.associate.length || p.disassociate.length) {
      changes.push({ field: 'subnets', from: actual.associations.map((a) => a.subnetId).sort(), to: [...desired.subnetIds].sort() });
    }
    for (const [k, v] of Object.entries(p.tags)) changes.push({ field: `tags.${k}`, from: actual.tags[k], to: v });
    if (known(desired.vpcId) && actual.vpcId !== desired.vpcId) return { changes: [{ field: 'vpcId', from: actual.vpcId, to: desired.vpcId }, ...changes], replace: 'a route table cannot move to another VPC' };
    return { changes };
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
