/**
 * The account quotas a stack takes from, checked before `up` changes anything (preflight.ts): for
 * each quota, what this run would create (the steps' QuotaUse whose resource does not exist yet)
 * against the quota's value (Service Quotas) less what the account already uses (describe calls).
 *
 * | quota | service, code | AWS default | counted from | source |
 * |---|---|---|---|---|
 * | EC2-VPC Elastic IPs | ec2 L-0263D0A3 | 5 per Region | DescribeAddresses | https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/elastic-ip-addresses-eip.html#using-instance-addressing-limit |
 * | VPCs per Region | vpc L-F678F1CE | 5 | DescribeVpcs | https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html |
 * | NAT gateways per Availability Zone | vpc L-FE5A380F | 5 | DescribeNatGateways (pending, available), their subnets' zones | https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html |
 * | Internet gateways per Region | vpc L-A4707A72 | 5 | DescribeInternetGateways | https://docs.aws.amazon.com/general/latest/gr/vpc-service.html |
 * | Application Load Balancers per Region | elasticloadbalancing L-53DA6B97 | 50 | DescribeLoadBalancers (type application) | https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html |
 * | Fargate On-Demand vCPU resource count | fargate L-3032A538 | 6 (new accounts; varies) | the running Fargate tasks (not Spot) of every cluster: ListClusters, ListTasks, DescribeTasks | https://docs.aws.amazon.com/general/latest/gr/ecs-service.html |
 * | DB instances | rds L-7B6409FD | 40 | DescribeDBInstances | https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html |
 *
 * The value is the applied one (GetServiceQuota); a quota the account has no applied value for
 * answers NoSuchResourceException there, and then its default counts (GetAWSDefaultServiceQuota):
 * https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetServiceQuota.html and
 * https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_GetAWSDefaultServiceQuota.html
 */
import type { Task } from '@aws-sdk/client-ecs';
import { orAbsent } from '../aws/idempotent.js';
import { EC2, ECS, ELBv2, RDS, ServiceQuotas } from '../aws/sdk.js';
import { awsErrorName, isNotFound } from '../aws/errors.js';
import { paged } from '../aws/reads.js';
import { TAG_STACK, TAG_STEP, fromTagList } from '../aws/tags.js';
import type { CheckFailure, QuotaId, QuotaUse, ResourceContext } from './types.js';

/** One unit of what the account uses: in a scope (an AZ, or '' for the Region), identified by tags or name. */
export interface UsageItem {
  scope: string;
  amount: number;
  stack?: string;
  step?: string;
  name?: string;
}

export interface QuotaDef {
  name: string;
  serviceCode: string;
  code: string;
  defaultValue: number;
  unit: string;
  /** What else frees room, besides an increase. */
  fix: string;
  /** What the account uses; `uses`: this run's, for readers that look up the stack's own resources by name. */
  usage(ctx: ResourceContext, uses: StepQuotaUse[]): Promise<UsageItem[]>;
}

const tagged = (tags: Array<{ Key?: string; Value?: string }> | undefined) => {
  const t = fromTagList(tags);
  return { stack: t[TAG_STACK], step: t[TAG_STEP] };
};

const ec2 = (ctx: ResourceContext) => ctx.aws.get(EC2.EC2Client);

async function natGatewaysByZone(ctx: ResourceContext): Promise<UsageItem[]> {
  const nats = await paged((NextToken) => ec2(ctx).send(new EC2.DescribeNatGatewaysCommand({ Filter: [{ Name: 'state', Values: ['pending', 'available'] }], NextToken })), (r) => [r.NatGateways, r.NextToken]);
  const subnetIds = [...new Set(nats.map((n) => n.SubnetId).filter((s): s is string => !!s))];
  const zones = new Map<string, string>();
  // A filter, not SubnetIds: a subnet deleted since the NAT gateway was listed (a `down` running
  // meanwhile) is left out rather than failing the whole call with InvalidSubnetID.NotFound.
  for (let i = 0; i < subnetIds.length; i += 200) {
    const r = await ec2(ctx).send(new EC2.DescribeSubnetsCommand({ Filters: [{ Name: 'subnet-id', Values: subnetIds.slice(i, i + 200) }] }));
    for (const s of r.Subnets ?? []) zones.set(s.SubnetId!, s.AvailabilityZone!);
  }
  return nats.map((n) => ({ scope: zones.get(n.SubnetId ?? '') ?? '', amount: 1, ...tagged(n.Tags) }));
}

/**
 * vCPUs of the running Fargate On-Demand tasks, one item per task, named `<cluster>/<group>`; and an
 * item of no vCPU for each of this run's services that exists (its tasks may all be stopped), so
 * that only a service this run creates needs room.
 */
async function fargateVcpus(ctx: ResourceContext, uses: StepQuotaUse[]): Promise<UsageItem[]> {
  const ecs = ctx.aws.get(ECS.ECSClient);
  const existing = (): Promise<UsageItem[][]> => Promise.all(uses.map(async (u): Promise<UsageItem[]> => {
    const [cluster, service] = (u.name ?? '').split('/service:');
    if (!cluster || !service) return [];
    const r = await orAbsent(() => ecs.send(new ECS.DescribeServicesCommand({ cluster, services: [service] })));
    return r?.services?.some((x) => x.status === 'ACTIVE' || x.status === 'DRAINING') ? [{ scope: '', amount: 0, name: u.name }] : [];
  }));
  const clusters = () => paged((nextToken) => ecs.send(new ECS.ListClustersCommand({ nextToken })), (r) => [r.clusterArns, r.nextToken]);
  const running = async (): Promise<UsageItem[][]> => Promise.all((await clusters()).map(async (cluster) => {
    const tasks: Task[] = [];
    try {
      const arns = await paged((nextToken) => ecs.send(new ECS.ListTasksCommand({ cluster, desiredStatus: 'RUNNING', launchType: 'FARGATE', nextToken })), (r) => [r.taskArns, r.nextToken]);
      for (let i = 0; i < arns.length; i += 100) tasks.push(...((await ecs.send(new ECS.DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100) }))).tasks ?? []));
    } catch (err) {
      if (!isNotFound(err)) throw err; // a cluster deleted since it was listed runs nothing
    }
    const clusterName = cluster.split('/').pop()!;
    return tasks
      .filter((t) => t.capacityProviderName !== 'FARGATE_SPOT')
      .map((t) => ({ scope: '', amount: Number(t.cpu ?? 0) / 1024, name: `${clusterName}/${t.group ?? ''}` }));
  }));
  // Every service of the run exists (a converged stack): it needs no room, so the account's tasks,
  // one listing per cluster, are not read.
  const mine = (await existing()).flat();
  if (uses.every((u) => u.amount <= 0 || mine.some((i) => isResourceOf(ctx, u, i)))) return mine;
  return [...(await running()).flat(), ...mine];
}

export const QUOTAS: Record<QuotaId, QuotaDef> = {
  eip: {
    name: 'EC2-VPC Elastic IPs', serviceCode: 'ec2', code: 'L-0263D0A3', defaultValue: 5, unit: 'Elastic IPs',
    fix: 'release the Elastic IPs you no longer use, or set network.natGateways: single (one NAT gateway, one address)',
    usage: async (ctx) => ((await ec2(ctx).send(new EC2.DescribeAddressesCommand({}))).Addresses ?? [])
      .filter((a) => a.Domain !== 'standard').map((a) => ({ scope: '', amount: 1, ...tagged(a.Tags) })),
  },
  vpc: {
    name: 'VPCs per Region', serviceCode: 'vpc', code: 'L-F678F1CE', defaultValue: 5, unit: 'VPCs',
    fix: 'delete the VPCs you no longer use (the default VPC counts too)',
    usage: async (ctx) => (await paged((NextToken) => ec2(ctx).send(new EC2.DescribeVpcsCommand({ NextToken })), (r) => [r.Vpcs, r.NextToken]))
      .map((v) => ({ scope: '', amount: 1, ...tagged(v.Tags) })),
  },
  'nat-per-az': {
    name: 'NAT gateways per Availability Zone', serviceCode: 'vpc', code: 'L-FE5A380F', defaultValue: 5, unit: 'NAT gateways',
    fix: 'delete the NAT gateways you no longer use in that zone, or set network.natGateways: single',
    usage: natGatewaysByZone,
  },
  igw: {
    name: 'Internet gateways per Region', serviceCode: 'vpc', code: 'L-A4707A72', defaultValue: 5, unit: 'internet gateways',
    fix: 'delete the internet gateways you no longer use',
    usage: async (ctx) => (await paged((NextToken) => ec2(ctx).send(new EC2.DescribeInternetGatewaysCommand({ NextToken })), (r) => [r.InternetGateways, r.NextToken]))
      .map((g) => ({ scope: '', amount: 1, ...tagged(g.Tags) })),
  },
  alb: {
    name: 'Application Load Balancers per Region', serviceCode: 'elasticloadbalancing', code: 'L-53DA6B97', defaultValue: 50, unit: 'load balancers',
    fix: 'delete the Application Load Balancers you no longer use',
    usage: async (ctx) => (await paged((Marker) => ctx.aws.get(ELBv2.ElasticLoadBalancingV2Client).send(new ELBv2.DescribeLoadBalancersCommand({ Marker })), (r) => [r.LoadBalancers, r.NextMarker]))
      .filter((lb) => lb.Type === 'application').map((lb) => ({ scope: '', amount: 1, name: lb.LoadBalancerName })),
  },
  'fargate-vcpu': {
    name: 'Fargate On-Demand vCPU resource count', serviceCode: 'fargate', code: 'L-3032A538', defaultValue: 6, unit: 'vCPUs',
    fix: 'lower scaling.max or wordpress.cpu, or stop other Fargate tasks',
    usage: fargateVcpus,
  },
  'rds-instances': {
    name: 'DB instances', serviceCode: 'rds', code: 'L-7B6409FD', defaultValue: 40, unit: 'DB instances',
    fix: 'delete the DB instances you no longer use',
    usage: async (ctx) => (await paged((Marker) => ctx.aws.get(RDS.RDSClient).send(new RDS.DescribeDBInstancesCommand({ Marker, MaxRecords: 100 })), (r) => [r.DBInstances, r.Marker]))
      .map((d) => ({ scope: '', amount: 1, name: d.DBInstanceIdentifier })),
  },
};

/** The quota's value for the account: the applied one, else (no applied value) AWS's default. */
export async function quotaValue(ctx: ResourceContext, q: QuotaDef): Promise<{ value: number; source: 'applied' | 'default' }> {
  const client = ctx.aws.get(ServiceQuotas.ServiceQuotasClient);
  const ids = { ServiceCode: q.serviceCode, QuotaCode: q.code };
  try {
    const r = await client.send(new ServiceQuotas.GetServiceQuotaCommand(ids));
    if (r.Quota?.Value !== undefined) return { value: r.Quota.Value, source: 'applied' };
  } catch (err) {
    if (awsErrorName(err) !== 'NoSuchResourceException') throw err;
  }
  const d = await client.send(new ServiceQuotas.GetAWSDefaultServiceQuotaCommand(ids));
  return { value: d.Quota?.Value ?? q.defaultValue, source: 'default' };
}

/** A step's use of a quota, with the step it belongs to. */
export interface StepQuotaUse extends QuotaUse {
  step: string;
}

/** True when `item` is the resource of `use` (this stack's step by tags, or the same name). */
const isResourceOf = (ctx: ResourceContext, use: StepQuotaUse, item: UsageItem) =>
  (item.stack === ctx.stack && item.step === use.step) || (use.name !== undefined && item.name === use.name);

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/0+$/, ''));

/**
 * Checks one quota: the uses whose resource does not exist yet, per scope, against the quota's value
 * less what the account uses there. `early`: the value is asked for at once, with the usage (a run
 * that will likely create); otherwise only once something is needed (a run that changes nothing).
 */
export async function checkQuota(ctx: ResourceContext, id: QuotaId, uses: StepQuotaUse[], early: boolean): Promise<CheckFailure[]> {
  const q = QUOTAS[id];
  let asked: Promise<{ value: number; source: 'applied' | 'default' }> | undefined;
  const value = () => (asked ??= quotaValue(ctx, q));
  if (early) value().catch(() => undefined); // awaited (and its error thrown) below
  const items = await q.usage(ctx, uses);
  const needs = new Map<string, StepQuotaUse[]>();
  for (const u of uses) {
    if (u.amount <= 0 || items.some((i) => isResourceOf(ctx, u, i))) continue;
    const scope = u.scope ?? '';
    needs.set(scope, [...(needs.get(scope) ?? []), u]);
  }
  if (needs.size === 0) return [];
  const { value: limit, source } = await value();
  const failures: CheckFailure[] = [];
  for (const [scope, want] of needs) {
    const used = items.filter((i) => i.scope === scope).reduce((n, i) => n + i.amount, 0);
    const need = want.reduce((n, u) => n + u.amount, 0);
    if (used + need <= limit) continue;
    const where = scope ? `in ${scope}` : `in ${ctx.region}`;
    failures.push({
      check: `quota ${q.code}`,
      message: `quota "${q.name}" (${q.serviceCode} ${q.code}) is too low ${where}: this run creates ${fmt(need)} ${q.unit} (${want.map((u) => u.step).join(', ')}), ` +
        `the account uses ${fmt(used)} of ${fmt(limit)} (${source === 'applied' ? 'its applied value' : 'the AWS default'}), so ${fmt(Math.max(0, limit - used))} ${fmt(Math.max(0, limit - used)) === '1' ? 'is' : 'are'} left. Nothing was changed.`,
      hint: `Ask for at least ${fmt(used + need)}: \`aws service-quotas request-service-quota-increase --service-code ${q.serviceCode} --quota-code ${q.code} --desired-value ${Math.ceil(used + need)} --region ${ctx.region}\` ` +
        `(or the Service Quotas console), or ${q.fix}; then run wpdeploy again.`,
    });
  }
  return failures;
}
