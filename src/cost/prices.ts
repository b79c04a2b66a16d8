/**
 * The price file (prices.json, beside this module): on-demand list prices by region, with their
 * source and date. Read from disk and checked at load; no AWS call (the AWS Price List API needs
 * credentials and a network, and an estimate should need neither).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { WpdeployError } from '../errors.js';

const price = z.number().min(0);

const RegionPricesSchema = z.object({
  name: z.string(),
  natGatewayHour: price,
  natGatewayGb: price,
  albHour: price,
  albLcuHour: price,
  fargateVcpuHour: price,
  fargateGbHour: price,
  /** Single-AZ MySQL/MariaDB price of each instance class; Multi-AZ runs two instances. */
  rdsInstanceHour: z.record(z.string(), price),
  /** Single-AZ gp3 storage; Multi-AZ stores two copies. */
  rdsGp3GbMonth: price,
  rdsBackupGbMonth: price,
  rdsProxyVcpuHour: price,
  efsStandardGbMonth: price,
  logsIngestGb: price,
  logsStorageGbMonth: price,
  alarmMonth: price,
  s3StandardGbMonth: price,
  s3PutPer1000: price,
  dataTransferOutGb: price,
  /** Keys (`rdsInstanceHour.<class>` for classes) whose value is an estimate, not a checked price. */
  estimated: z.array(z.string()).default([]),
});

const PriceBookSchema = z.object({
  currency: z.literal('USD'),
  hoursPerMonth: z.number().positive(),
  source: z.string(),
  checked: z.string(),
  global: z.object({
    publicIpv4Hour: price,
    secretMonth: price,
    secretsApiPer10k: price,
    route53HostedZoneMonth: price,
    route53AliasQueryPerMillion: price,
    dataTransferOutFreeGb: z.number().min(0),
    /** RDS Extended Support (MySQL) per vCPU-hour, US East: years 1-2 after the end of standard support, and year 3. */
    rdsExtendedSupportVcpuHour: z.object({ year1to2: price, year3: price }),
  }),
  /** vCPUs of each instance class (RDS Proxy bills per vCPU of the database instance). */
  rdsVcpus: z.record(z.string(), z.number().int().positive()),
  regions: z.record(z.string(), RegionPricesSchema),
});

export type RegionPrices = z.output<typeof RegionPricesSchema>;
export type PriceBook = z.output<typeof PriceBookSchema>;

export const PRICE_FILE = fileURLToPath(new URL('./prices.json', import.meta.url));

/** Parses and checks a price book; throws WpdeployError naming the file and the broken entries. */
export function parsePriceBook(text: string, path = PRICE_FILE): PriceBook {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new WpdeployError(`price file ${path} is not valid JSON (${(err as Error).message}).`, { hint: 'Restore it from the wpdeploy package or repository.' });
  }
  const r = PriceBookSchema.safeParse(data);
  if (!r.success) {
    const where = r.error.issues.map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`).join('; ');
    throw new WpdeployError(`price file ${path} is malformed: ${where}.`, { hint: 'Restore it from the wpdeploy package or repository.' });
  }
  for (const [region, p] of Object.entries(r.data.regions)) {
    for (const key of p.estimated) {
      const [field, cls] = key.split(/\.(.*)/s);
      const known = cls !== undefined ? field === 'rdsInstanceHour' && cls in p.rdsInstanceHour : field! in p && field !== 'estimated' && field !== 'name';
      if (!known) throw new WpdeployError(`price file ${path}: regions.${region}.estimated names ${key}, which has no price.`, { hint: 'Fix the key or remove it from `estimated`.' });
    }
  }
  return r.data;
}

let cached: PriceBook | undefined;

/** The price book shipped with wpdeploy. */
export function loadPriceBook(): PriceBook {
  cached ??= parsePriceBook(readFileSync(PRICE_FILE, 'utf8'));
  return cached;
}
