/** `wpdeploy cost`: the estimate's lines, recomputed from the price file, and how the config moves them. */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cost } from '../../src/cli/cost.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { estimateCost, type CostEstimate } from '../../src/cost/estimate.js';
import { loadPriceBook, parsePriceBook } from '../../src/cost/prices.js';
import { UsageError } from '../../src/errors.js';
import { costDocument, costText, money } from '../../src/ui/cost.js';
import { makeStyle } from '../../src/ui/style.js';

/** The price file as plain JSON, read independently of the loader. */
const raw = JSON.parse(readFileSync(new URL('../../src/cost/prices.json', import.meta.url), 'utf8'));
const config = (input: ConfigInput = {}) => validateConfig(input, 'test', { env: {} });
const estimate = (input: ConfigInput = {}) => estimateCost(config(input), loadPriceBook());
const line = (e: CostEstimate, id: string) => {
  const l = e.lines.find((x) => x.id === id);
  if (!l) throw new Error(`no line ${id}; lines: ${e.lines.map((x) => x.id).join(', ')}`);
  return l;
};

describe('the default stack', () => {
  for (const region of ['us-east-1', 'eu-west-3']) {
    it(`in ${region}: prints every line and a total equal to their sum`, () => {
      const e = estimate({ region });
      const text = costText(e, makeStyle(false));
      const counted = e.lines.filter((l) => l.inTotal);
      expect(counted.length).toBeGreaterThan(15);
      expect(e.total).toBeCloseTo(counted.reduce((s, l) => s + l.monthly, 0), 9);
      expect(text).toMatch(new RegExp(`^\\s+Total\\s+\\${money(e.total)}$`, 'm'));
      for (const l of e.lines) expect(text).toContain(l.item);
      expect(text).toContain(region);
      for (const a of e.assumptions) expect(text).toContain(a.key);
    });
  }

  it('costs differ by region, as their prices do', () => {
    expect(estimate({ region: 'eu-west-3' }).total).not.toBeCloseTo(estimate({ region: 'us-east-1' }).total, 2);
  });

  it('in us-east-1: each line as worked by hand from the published prices', () => {
    // The default stack: 2 AZs, a NAT gateway in each, 2 tasks of 0.5 vCPU and 1 GB, db.t4g.micro
    // Multi-AZ with 20 GB of gp3, and the `cost:` assumptions' defaults. A month is 730 h.
    // US East (N. Virginia) list prices: aws.amazon.com/vpc/pricing (NAT $0.045/h and $0.045/GB,
    // public IPv4 $0.005/h), /elasticloadbalancing/pricing (ALB $0.0225/h, $0.008/LCU-h),
    // /fargate/pricing ($0.04048/vCPU-h, $0.004445/GB-h), /rds/mysql/pricing (db.t4g.micro
    // $0.016/h, gp3 $0.115/GB-mo), /efs/pricing ($0.30/GB-mo), /secrets-manager/pricing ($0.40 a
    // secret a month, $0.05 per 10,000 calls), /cloudwatch/pricing (logs $0.50/GB in, $0.03/GB-mo,
    // alarms $0.10), /s3/pricing ($0.023/GB-mo, $0.005 per 1,000 PUT).
    const worked: Record<string, number> = {
      'nat-hours': 65.7, //             2 gateways x 730 h x 0.045
      'nat-data': 0.45, //              10 GB x 0.045
      'public-ipv4': 14.6, //           (2 NAT + 2 ALB addresses) x 730 h x 0.005
      'alb-hours': 16.425, //           730 h x 0.0225
      'alb-lcu': 0.4, //                50 GB / 730 h = 0.0685 LCU (more than 1M requests' 0.015) x 730 h x 0.008
      'fargate-vcpu': 29.5504, //       2 tasks x 0.5 vCPU x 730 h x 0.04048
      'fargate-memory': 6.4897, //      2 tasks x 1 GB x 730 h x 0.004445
      'rds-instance': 23.36, //         2 (primary + standby) x 730 h x 0.016
      'rds-storage': 4.6, //            2 copies x 20 GB x 0.115
      'rds-backup': 0, //               5 GB of backups, within the free 20 GB
      'efs-storage': 1.5, //            5 GB x 0.30
      'secrets': 0.8, //                2 secrets x 0.40
      'secrets-api': 0.0006, //         2 calls x 2 tasks x 30 days = 120 calls x 0.05 / 10,000
      'logs-ingest': 2.5, //            5 GB x 0.50
      'logs-storage': 0.15, //          5 GB kept 30 days = 5 GB-mo x 0.03
      'alarms': 0.4, //                 4 alarms x 0.10
      's3-storage': 0.023, //           1 GB of access logs x 0.023
      's3-put': 0.0876, //              2 AZs x 12 writes an hour x 730 h = 17,520 PUT x 0.005 / 1,000
      'data-out': 0, //                 50 GB, within the free 100 GB
    };
    const e = estimate({ region: 'us-east-1' });
    expect(Object.fromEntries(e.lines.filter((l) => l.inTotal).map((l) => [l.id, Math.round(l.monthly * 1e4) / 1e4]))).toEqual(worked);
    expect(e.total).toBeCloseTo(167.0363, 4);
  });
});

describe('what the config changes', () => {
  const monthly = (input: ConfigInput, id: string) => line(estimate(input), id).monthly;

  it('natGateways: single halves the NAT hours of two AZs', () => {
    const perAz = line(estimate(), 'nat-hours');
    const single = line(estimate({ network: { natGateways: 'single' } }), 'nat-hours');
    expect(single.quantity).toBe(perAz.quantity / 2);
    expect(single.monthly).toBeCloseTo(perAz.monthly / 2, 9);
  });

  it('a third AZ adds exactly one NAT gateway, and two public addresses (its NAT gateway\'s and the ALB\'s)', () => {
    const oneNat = monthly({ network: { natGateways: 'single' } }, 'nat-hours');
    expect(monthly({ network: { azCount: 3 } }, 'nat-hours')).toBeCloseTo(monthly({ network: { azCount: 2 } }, 'nat-hours') + oneNat, 9);
    const addresses = (azCount: number) => line(estimate({ network: { azCount } }), 'public-ipv4').quantity / 730;
    expect(addresses(3) - addresses(2)).toBe(2);
    expect(line(estimate({ network: { azCount: 3, natGateways: 'single' } }), 'public-ipv4').quantity / 730).toBe(4);
  });

  it('multiAz: false halves the RDS instance hours and storage: Multi-AZ costs twice single-AZ', () => {
    const multi = estimate();
    const single = estimate({ database: { multiAz: false } });
    expect(line(single, 'rds-instance').quantity).toBe(line(multi, 'rds-instance').quantity / 2);
    expect(line(multi, 'rds-instance').monthly).toBeCloseTo(2 * line(single, 'rds-instance').monthly, 9);
    expect(line(multi, 'rds-storage').monthly).toBeCloseTo(2 * line(single, 'rds-storage').monthly, 9);
  });

  it('Fargate lines follow the task count and size; the ceiling is the tasks at scaling.max', () => {
    const two = { cpu: 1024, memory: 4096, desiredCount: 2 };
    const three = { ...two, desiredCount: 3 };
    const scaling = { min: 2, max: 6 };
    for (const id of ['fargate-vcpu', 'fargate-memory']) {
      expect(monthly({ wordpress: three, scaling }, id)).toBeCloseTo(1.5 * monthly({ wordpress: two, scaling }, id), 9);
    }
    // Twice the vCPU, the same memory: only the vCPU line doubles.
    const doubleCpu = { ...two, cpu: 2048 };
    expect(monthly({ wordpress: doubleCpu, scaling }, 'fargate-vcpu')).toBeCloseTo(2 * monthly({ wordpress: two, scaling }, 'fargate-vcpu'), 9);
    expect(monthly({ wordpress: doubleCpu, scaling }, 'fargate-memory')).toBeCloseTo(monthly({ wordpress: two, scaling }, 'fargate-memory'), 9);
    const e = estimate({ wordpress: three, scaling });
    const ceiling = line(e, 'fargate-ceiling');
    expect(ceiling.inTotal).toBe(false);
    expect(ceiling.monthly).toBeCloseTo((6 / 3) * (line(e, 'fargate-vcpu').monthly + line(e, 'fargate-memory').monthly), 9);
  });

  it('backups are charged only beyond the provisioned storage', () => {
    expect(line(estimate({ cost: { dbBackupGb: 15 } }), 'rds-backup').monthly).toBe(0);
    // 50 GB of backups, 20 GB free: 30 GB-mo x $0.095 (us-east-1, aws.amazon.com/rds/mysql/pricing).
    expect(line(estimate({ cost: { dbBackupGb: 50 } }), 'rds-backup').monthly).toBeCloseTo(2.85, 9);
  });

  it('the cost: assumptions move their lines in proportion; traffic is billed beyond the free 100 GB', () => {
    const more = { natGb: 100, efsGb: 40, logsGb: 12 };
    const less = { natGb: 50, efsGb: 20, logsGb: 6 };
    for (const id of ['nat-data', 'efs-storage', 'logs-ingest', 'logs-storage']) {
      expect(monthly({ cost: more }, id), id).toBeCloseTo(2 * monthly({ cost: less }, id), 9);
    }
    expect(monthly({ cost: { trafficGb: 100 } }, 'data-out')).toBe(0);
    expect(monthly({ cost: { trafficGb: 300 } }, 'data-out')).toBeCloseTo(18, 9); // 200 GB x $0.09 (us-east-1)
    expect(estimate({ cost: more }).assumptions.find((a) => a.key === 'cost.natGb')?.value).toBe(100);
  });

  it('Route 53 lines appear only with a domain; the RDS Proxy line only with database.proxy', () => {
    const plain = estimate();
    expect(plain.lines.some((l) => l.service === 'Route 53')).toBe(false);
    expect(plain.lines.some((l) => l.id === 'rds-proxy')).toBe(false);
    const full = estimate({ domain: { name: 'blog.example.com', hostedZone: 'example.com' }, database: { proxy: true } });
    expect(line(full, 'route53-zone').monthly).toBeCloseTo(0.5, 9); // a hosted zone, aws.amazon.com/route53/pricing
    expect(line(full, 'rds-proxy').monthly).toBeCloseTo(21.9, 9); // 2 vCPUs at least x 730 h x $0.015 (aws.amazon.com/rds/proxy/pricing)
  });

  it('marks lines whose price the file lists as estimated', () => {
    const e = estimate({ region: 'eu-west-3' });
    for (const key of ['fargateVcpuHour', 'efsStandardGbMonth']) expect(raw.regions['eu-west-3'].estimated).toContain(key);
    expect(line(e, 'fargate-vcpu').estimatedPrice).toBe(true);
    expect(line(e, 'nat-hours').estimatedPrice).toBe(false);
    expect(costText(e, makeStyle(false))).toMatch(/~\$0\.04656/);
  });
});

describe('errors', () => {
  it('a region missing from the price file is a usage error naming the regions known', () => {
    const run = () => estimate({ region: 'ap-south-1' });
    expect(run).toThrow(UsageError);
    try {
      run();
    } catch (err) {
      expect((err as UsageError).exitCode).toBe(2);
      for (const known of Object.keys(raw.regions)) expect((err as Error).message).toContain(known);
    }
  });

  it('an instance class without a price names database.instanceClass', () => {
    expect(() => estimate({ database: { instanceClass: 'db.x2g.16xlarge' } })).toThrow(/database\.instanceClass db\.x2g\.16xlarge/);
  });

  it('a malformed price file is refused with the broken entry', () => {
    const bad = structuredClone(raw);
    delete bad.regions['us-east-1'].albHour;
    expect(() => parsePriceBook(JSON.stringify(bad), 'p.json')).toThrow(/regions\.us-east-1\.albHour/);
    const unknownEstimate = structuredClone(raw);
    unknownEstimate.regions['us-east-1'].estimated.push('rdsInstanceHour.db.nope');
    expect(() => parsePriceBook(JSON.stringify(unknownEstimate), 'p.json')).toThrow(/db\.nope/);
  });
});

describe('the price file', () => {
  it('has the required regions, a source and a date', () => {
    for (const region of ['us-east-1', 'eu-west-3', 'eu-west-1', 'eu-central-1', 'us-west-2']) expect(raw.regions[region], region).toBeDefined();
    expect(raw.source).toMatch(/aws/i);
    expect(raw.checked).toMatch(/^\d{4}-\d{2}/);
  });

  it('prices the default instance class in every region', () => {
    const cls = config().database.instanceClass;
    for (const region of Object.keys(raw.regions)) expect(raw.regions[region].rdsInstanceHour[cls], region).toBeGreaterThan(0);
  });
});

describe('docs/commands.md and docs/configuration.md', () => {
  it('shows the default stack in us-east-1 as `wpdeploy cost` prints it now', () => {
    const readme = readFileSync(new URL('../../docs/commands.md', import.meta.url), 'utf8');
    const printed = costText(estimate({ region: 'us-east-1' }), makeStyle(false)).split('\n');
    const table = printed.slice(0, printed.findIndex((l) => l.startsWith('(not in the total')) + 1).join('\n');
    expect(table).toMatch(/Total/);
    expect(readme).toContain(table);
  });

  it('states in its config table the assumption the estimate makes for each cost: key', () => {
    const readme = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    const assumed = estimate().assumptions;
    expect(assumed.length).toBe(7);
    for (const a of assumed) expect(readme).toContain(`| \`${a.key}\` | none | the estimate assumes \`${a.value}\`.`);
  });
});

describe('wpdeploy cost', () => {
  let stdout = '';
  let stderr = '';
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
    stdout = '';
    stderr = '';
  });
  const capture = () => {
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  };

  it('--json gives the same lines and total as the text', async () => {
    capture();
    await cost({ region: 'eu-west-1', json: true, config: undefined });
    expect(process.exitCode).toBe(0);
    const doc = JSON.parse(stdout);
    const e = estimate({ region: 'eu-west-1' });
    expect(doc).toEqual(JSON.parse(JSON.stringify(costDocument(e))));
    expect(doc.lines.map((l: { id: string }) => l.id)).toEqual(e.lines.map((l) => l.id));
    expect(doc.total).toBeCloseTo(e.total, 2);
  });

  it('an unknown region in the price file exits 2 with the regions known', async () => {
    capture();
    await cost({ region: 'sa-east-1' });
    expect(process.exitCode).toBe(2);
    expect(stderr).toMatch(/no prices for sa-east-1; it knows us-east-1/);
  });
});
