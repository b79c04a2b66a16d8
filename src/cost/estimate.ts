/**
 * The monthly on-demand estimate of a stack: pure arithmetic over the config (what is deployed and
 * the `cost:` assumptions) and the price book. No AWS call, no file access.
 */
import { majorOf, offlineLifecycle, supportPhase } from '../config/engine-lifecycle.js';
import { costAssumptions, type Config } from '../config/schema.js';
import { UsageError } from '../errors.js';
import type { PriceBook, RegionPrices } from './prices.js';

export interface CostLine {
  /** Stable key, e.g. `nat-hours`. */
  id: string;
  service: string;
  item: string;
  quantity: number;
  unit: string;
  /** USD per `unit`. */
  unitPrice: number;
  monthly: number;
  /** False for lines shown for information (e.g. the ceiling at scaling.max). */
  inTotal: boolean;
  /** The unit price is an estimate, not a checked AWS price (see the price file). */
  estimatedPrice: boolean;
  note?: string;
}

export interface Assumption {
  key: string;
  value: number;
  meaning: string;
}

export interface CostEstimate {
  stack: string;
  region: string;
  regionName: string;
  currency: 'USD';
  hoursPerMonth: number;
  pricesChecked: string;
  pricesSource: string;
  lines: CostLine[];
  total: number;
  /** The total if the tasks stayed at scaling.max all month. */
  totalAtScalingMax: number;
  assumptions: Assumption[];
  /** What the estimate leaves out, in words. */
  excluded: string[];
}

/** The prices of a region; a region the file lacks is a usage error naming the regions it has. */
function regionPrices(book: PriceBook, region: string): RegionPrices {
  const p = book.regions[region];
  if (!p) {
    const known = Object.keys(book.regions);
    throw new UsageError(
      `the price file has no prices for ${region}; it knows ${known.join(', ')}.`,
      `Estimate in one of those regions (e.g. \`wpdeploy cost --region ${known[0]}\`), or add ${region} to the price file (src/cost/prices.json) from the AWS price pages.`,
    );
  }
  return p;
}

function natGatewayCount(config: Config): number {
  return config.network.natGateways === 'single' ? 1 : config.network.azCount;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * RDS Extended Support, when the config runs a MySQL major past its end of standard support (which
 * the config check allows only with `database.extendedSupport`): per vCPU-hour of the primary and of
 * the standby, at the year-1-2 or year-3 price by today's date (dates: the offline RDS calendar).
 */
function extendedSupportLine(config: Config, book: PriceBook, now: Date) {
  const db = config.database;
  const l = offlineLifecycle(db.engine, db.engineVersion);
  if (!l?.extendedEnd || supportPhase(l, now) !== 'extended') return undefined;
  const year3 = new Date(`${l.standardEnd}T00:00:00Z`);
  year3.setUTCFullYear(year3.getUTCFullYear() + 2);
  const third = now >= year3;
  const prices = book.global.rdsExtendedSupportVcpuHour;
  const vcpus = (book.rdsVcpus[db.instanceClass] ?? 2) * (db.multiAz ? 2 : 1);
  return {
    id: 'rds-extended-support', service: 'RDS', item: `Extended Support, ${db.engine} ${majorOf(db.engineVersion)} (${vcpus} vCPUs${db.multiAz ? ': primary + standby' : ''}, year ${third ? '3' : '1-2'})`,
    quantity: book.hoursPerMonth * vcpus, unit: 'vCPU-h', unitPrice: third ? prices.year3 : prices.year1to2,
    note: `standard support ended ${l.standardEnd}; upgrade to stop it (${third ? '' : `year-3 price from ${year3.toISOString().slice(0, 10)}; `}US East price)`,
  };
}

/** A line as the tier functions write it: `monthly` defaults to quantity x unit price, `inTotal` to true. */
type LineInput = Omit<CostLine, 'monthly' | 'inTotal' | 'estimatedPrice'> & { inTotal?: boolean; priceKey?: string; monthly?: number };

/** What every tier's lines are computed from. */
interface Inputs {
  config: Config;
  book: PriceBook;
  p: RegionPrices;
  /** Hours in the month of the price book. */
  H: number;
  a: ReturnType<typeof costAssumptions>;
  add: (l: LineInput) => void;
}

/** Network: NAT gateways, their Elastic IPs and the ALB's addresses; edge: the load balancer. */
function networkLines({ config, book, p, H, a, add }: Inputs): void {
  const azs = config.network.azCount;
  const nats = natGatewayCount(config);
  add({ id: 'nat-hours', service: 'VPC', item: `NAT gateway hours (${plural(nats, 'gateway')})`, quantity: H * nats, unit: 'h', unitPrice: p.natGatewayHour, priceKey: 'natGatewayHour' });
  add({ id: 'nat-data', service: 'VPC', item: 'NAT gateway data processed', quantity: a.natGb, unit: 'GB', unitPrice: p.natGatewayGb, priceKey: 'natGatewayGb' });
  add({
    id: 'public-ipv4', service: 'VPC', item: `Public IPv4 addresses (${nats} NAT + ${azs} ALB)`, quantity: H * (nats + azs), unit: 'h', unitPrice: book.global.publicIpv4Hour,
    note: 'one Elastic IP per NAT gateway; the ALB holds one public address per AZ',
  });

  // LCUs from the two dimensions that matter for a website, averaged over the month.
  const lcuPerHour = Math.max(a.trafficGb / H, a.requests / (H * 3600) / 25);
  add({ id: 'alb-hours', service: 'ELB', item: 'Application Load Balancer hours', quantity: H, unit: 'h', unitPrice: p.albHour, priceKey: 'albHour' });
  add({
    id: 'alb-lcu', service: 'ELB', item: 'ALB capacity units (LCU)', quantity: H * lcuPerHour, unit: 'LCU-h', unitPrice: p.albLcuHour, priceKey: 'albLcuHour',
    note: 'the larger of 1 GB processed per hour and 25 new connections per second, averaged over the month (peaks cost more)',
  });
}

/** The monthly cost of one Fargate task of the config's size. */
function fargateTaskMonth({ config, p, H }: Inputs): number {
  return H * ((config.wordpress.cpu / 1024) * p.fargateVcpuHour + (config.wordpress.memory / 1024) * p.fargateGbHour);
}

/** App tier: Fargate tasks, at the desired count, and what the scaling ceiling would cost. */
function appLines(i: Inputs): void {
  const { config, p, H, add } = i;
  const wp = config.wordpress;
  const vcpu = wp.cpu / 1024;
  const memGb = wp.memory / 1024;
  add({ id: 'fargate-vcpu', service: 'Fargate', item: `vCPU (${plural(wp.desiredCount, 'task')} x ${vcpu} vCPU)`, quantity: H * wp.desiredCount * vcpu, unit: 'vCPU-h', unitPrice: p.fargateVcpuHour, priceKey: 'fargateVcpuHour' });
  add({ id: 'fargate-memory', service: 'Fargate', item: `memory (${plural(wp.desiredCount, 'task')} x ${memGb} GB)`, quantity: H * wp.desiredCount * memGb, unit: 'GB-h', unitPrice: p.fargateGbHour, priceKey: 'fargateGbHour' });
  add({
    id: 'fargate-ceiling', service: 'Fargate', item: `ceiling: ${plural(config.scaling.max, 'task')} all month (scaling.max)`, quantity: H * config.scaling.max, unit: 'task-h',
    unitPrice: fargateTaskMonth(i) / H, inTotal: false, note: 'not in the total: the tasks if auto scaling stays at its maximum all month.',
  });
}

/** Data tier: RDS (Multi-AZ runs and stores two copies), its backups, the optional proxy, and EFS. */
function dataLines({ config, book, p, H, a, add }: Inputs, now: Date): void {
  const db = config.database;
  const instancePrice = p.rdsInstanceHour[db.instanceClass];
  if (instancePrice === undefined) {
    const known = Object.keys(p.rdsInstanceHour);
    throw new UsageError(
      `database.instanceClass ${db.instanceClass}: the price file has no price for it in ${config.region}; it knows ${known.join(', ')}.`,
      `Use one of those classes for the estimate, or add ${db.instanceClass} to regions.${config.region}.rdsInstanceHour in the price file (src/cost/prices.json).`,
    );
  }
  const copies = db.multiAz ? 2 : 1;
  const mode = db.multiAz ? 'Multi-AZ: primary + standby' : 'Single-AZ';
  add({ id: 'rds-instance', service: 'RDS', item: `${db.instanceClass} ${db.engine} (${mode})`, quantity: H * copies, unit: 'h', unitPrice: instancePrice, priceKey: `rdsInstanceHour.${db.instanceClass}` });
  add({ id: 'rds-storage', service: 'RDS', item: `gp3 storage (${db.storageGb} GB${db.multiAz ? ' x 2 copies' : ''})`, quantity: db.storageGb * copies, unit: 'GB-mo', unitPrice: p.rdsGp3GbMonth, priceKey: 'rdsGp3GbMonth' });
  add({
    id: 'rds-backup', service: 'RDS', item: `backup storage beyond the free ${db.storageGb} GB`, quantity: Math.max(0, a.dbBackupGb - db.storageGb), unit: 'GB-mo', unitPrice: p.rdsBackupGbMonth, priceKey: 'rdsBackupGbMonth',
    note: 'backups are free up to the provisioned storage',
  });
  const extended = extendedSupportLine(config, book, now);
  if (extended) add(extended);
  if (db.proxy) {
    const vcpus = Math.max(2, book.rdsVcpus[db.instanceClass] ?? 2);
    add({ id: 'rds-proxy', service: 'RDS', item: `RDS Proxy (${vcpus} vCPUs of ${db.instanceClass})`, quantity: H * vcpus, unit: 'vCPU-h', unitPrice: p.rdsProxyVcpuHour, priceKey: 'rdsProxyVcpuHour', note: 'billed per vCPU of the database instance, 2 at least' });
  }

  add({ id: 'efs-storage', service: 'EFS', item: 'Standard storage (WordPress content)', quantity: a.efsGb, unit: 'GB-mo', unitPrice: p.efsStandardGbMonth, priceKey: 'efsStandardGbMonth', note: 'bursting throughput: no throughput charge' });
}

/** Secrets Manager, CloudWatch, Route 53, S3 access logs and data transfer out. */
function serviceLines({ config, book, p, H, a, add }: Inputs): void {
  const g = book.global;
  // Secrets: database credentials and WordPress salts, read when a task starts.
  add({ id: 'secrets', service: 'Secrets Manager', item: 'secrets (database credentials, WordPress salts)', quantity: 2, unit: 'secret-mo', unitPrice: g.secretMonth });
  add({
    id: 'secrets-api', service: 'Secrets Manager', item: 'API calls (2 per task start)', quantity: 2 * config.wordpress.desiredCount * 30, unit: 'calls', unitPrice: g.secretsApiPer10k / 10_000,
    note: 'assumes each task is replaced once a day',
  });

  // CloudWatch: logs in, logs kept, and the alarms of the two target-tracking policies.
  const keptMonths = Math.min(config.logs.retentionDays, 365) / 30;
  add({ id: 'logs-ingest', service: 'CloudWatch', item: 'Logs ingestion', quantity: a.logsGb, unit: 'GB', unitPrice: p.logsIngestGb, priceKey: 'logsIngestGb' });
  add({
    id: 'logs-storage', service: 'CloudWatch', item: `Logs storage (${config.logs.retentionDays} days kept)`, quantity: a.logsGb * keptMonths, unit: 'GB-mo', unitPrice: p.logsStorageGbMonth, priceKey: 'logsStorageGbMonth',
    note: `steady state${config.logs.retentionDays > 365 ? ' after a year' : ''}, uncompressed (CloudWatch bills compressed bytes: an upper bound)`,
  });
  add({ id: 'alarms', service: 'CloudWatch', item: 'alarms (auto scaling: 2 policies x 2)', quantity: 4, unit: 'alarm-mo', unitPrice: p.alarmMonth, priceKey: 'alarmMonth' });

  if (config.domain) {
    add({ id: 'route53-zone', service: 'Route 53', item: `hosted zone ${config.domain.hostedZone}`, quantity: 1, unit: 'zone-mo', unitPrice: g.route53HostedZoneMonth, note: 'the zone exists already: paid once however many stacks use it' });
    add({ id: 'route53-queries', service: 'Route 53', item: `queries for ${config.domain.name} (alias to the ALB)`, quantity: a.requests / 1e6, unit: 'M queries', unitPrice: g.route53AliasQueryPerMillion, note: 'alias queries to an AWS load balancer are free; at most one per request' });
  }

  add({ id: 's3-storage', service: 'S3', item: 'access logs storage', quantity: a.accessLogsGb, unit: 'GB-mo', unitPrice: p.s3StandardGbMonth, priceKey: 's3StandardGbMonth' });
  add({
    id: 's3-put', service: 'S3', item: 'access log writes (every 5 min per AZ)', quantity: config.network.azCount * 12 * H, unit: 'PUT', unitPrice: p.s3PutPer1000 / 1000, priceKey: 's3PutPer1000',
  });

  add({
    id: 'data-out', service: 'Data transfer', item: `out to the internet beyond the free ${g.dataTransferOutFreeGb} GB`, quantity: Math.max(0, a.trafficGb - g.dataTransferOutFreeGb), unit: 'GB', unitPrice: p.dataTransferOutGb, priceKey: 'dataTransferOutGb',
    note: 'the first 100 GB a month are free for the whole account',
  });
}

/** The `cost:` assumptions the estimate rests on, as the output lists them. */
function assumptionsOf(a: Inputs['a']): Assumption[] {
  return [
    { key: 'cost.trafficGb', value: a.trafficGb, meaning: 'GB a month served to visitors' },
    { key: 'cost.requests', value: a.requests, meaning: 'HTTP requests a month' },
    { key: 'cost.natGb', value: a.natGb, meaning: 'GB a month through NAT (image pulls, updates, outside APIs)' },
    { key: 'cost.efsGb', value: a.efsGb, meaning: 'GB of WordPress content on EFS' },
    { key: 'cost.dbBackupGb', value: a.dbBackupGb, meaning: 'GB of automated database backups' },
    { key: 'cost.logsGb', value: a.logsGb, meaning: 'GB of logs a month into CloudWatch Logs' },
    { key: 'cost.accessLogsGb', value: a.accessLogsGb, meaning: 'GB of ALB access logs kept in S3' },
  ];
}

/** Computes every line of the estimate. Throws UsageError for a region or instance class without prices. */
export function estimateCost(config: Config, book: PriceBook, now = new Date()): CostEstimate {
  const p = regionPrices(book, config.region);
  const lines: CostLine[] = [];
  const add = (l: LineInput) => {
    const { priceKey, ...rest } = l;
    lines.push({ ...rest, monthly: l.monthly ?? l.quantity * l.unitPrice, inTotal: l.inTotal ?? true, estimatedPrice: priceKey ? p.estimated.includes(priceKey) : false });
  };
  const inputs: Inputs = { config, book, p, H: book.hoursPerMonth, a: costAssumptions(config), add };
  networkLines(inputs);
  appLines(inputs);
  dataLines(inputs, now);
  serviceLines(inputs);

  const total = lines.filter((l) => l.inTotal).reduce((s, l) => s + l.monthly, 0);
  const fargateNow = lines.filter((l) => l.id === 'fargate-vcpu' || l.id === 'fargate-memory').reduce((s, l) => s + l.monthly, 0);
  const totalAtScalingMax = total - fargateNow + fargateTaskMonth(inputs) * config.scaling.max;
  const excluded = [
    'traffic between AZs ($0.01/GB each way: ALB to tasks, tasks to the database and EFS)',
    'Container Insights metrics (billed as CloudWatch custom metrics)',
    ...(/\.dkr\.ecr\./.test(config.wordpress.image) ? ['ECR storage of the image'] : []),
    'taxes, the free tier, Savings Plans and reserved instances',
  ];
  return {
    stack: config.stack, region: config.region, regionName: p.name, currency: 'USD', hoursPerMonth: book.hoursPerMonth,
    pricesChecked: book.checked, pricesSource: book.source, lines, total, totalAtScalingMax, assumptions: assumptionsOf(inputs.a), excluded,
  };
}
