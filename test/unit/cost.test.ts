/** `wpdeploy cost`: the estimate's lines, recomputed from the price file, and how the config moves them. */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cost } from '../../src/cli/cost.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { estimateCost, type CostEstimate } from '../../src/cost/estimate.js';
import { PRICE_FILE, loadPriceBook, parsePriceBook } from '../../src/cost/prices.js';
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

  it('NAT gateway hours are 730 h x azCount x the hourly price of the region', () => {
    for (const [region, azCount] of [['us-east-1', 2], ['eu-central-1', 3]] as const) {
      const l = line(estimate({ region, network: { azCount } }), 'nat-hours');
      expect(l.quantity).toBe(730 * azCount);
      expect(l.monthly).toBeCloseTo(730 * azCount * raw.regions[region].natGatewayHour, 9);
    }
  });

  it('Fargate lines follow wordpress.desiredCount, cpu and memory', () => {
    const e = estimate({ wordpress: { cpu: 1024, memory: 2048, desiredCount: 3 }, scaling: { min: 2, max: 6 } });
    const p = raw.regions['us-east-1'];
    expect(line(e, 'fargate-vcpu').monthly).toBeCloseTo(730 * 3 * 1 * p.fargateVcpuHour, 9);
    expect(line(e, 'fargate-memory').monthly).toBeCloseTo(730 * 3 * 2 * p.fargateGbHour, 9);
    const ceiling = line(e, 'fargate-ceiling');
    expect(ceiling.inTotal).toBe(false);
    expect(ceiling.monthly).toBeCloseTo(730 * 6 * (p.fargateVcpuHour + 2 * p.fargateGbHour), 9);
  });

  it('public IPv4 addresses are one per NAT gateway plus one per AZ for the ALB', () => {
    expect(line(estimate({ network: { azCount: 3 } }), 'public-ipv4').monthly).toBeCloseTo(730 * 6 * raw.global.publicIpv4Hour, 9);
    expect(line(estimate({ network: { azCount: 3, natGateways: 'single' } }), 'public-ipv4').quantity).toBe(730 * 4);
  });
});

describe('what the config changes', () => {
  it('natGateways: single halves the NAT hours of two AZs', () => {
    const perAz = line(estimate(), 'nat-hours');
    const single = line(estimate({ network: { natGateways: 'single' } }), 'nat-hours');
    expect(single.quantity).toBe(perAz.quantity / 2);
    expect(single.monthly).toBeCloseTo(perAz.monthly / 2, 9);
  });

  it('multiAz: false halves the RDS instance hours and storage', () => {
    const multi = estimate();
    const single = estimate({ database: { multiAz: false } });
    expect(line(single, 'rds-instance').quantity).toBe(line(multi, 'rds-instance').quantity / 2);
    expect(line(single, 'rds-instance').monthly).toBeCloseTo(line(multi, 'rds-instance').monthly / 2, 9);
    expect(line(single, 'rds-storage').monthly).toBeCloseTo(line(multi, 'rds-storage').monthly / 2, 9);
    expect(line(multi, 'rds-instance').monthly).toBeCloseTo(2 * 730 * raw.regions['us-east-1'].rdsInstanceHour['db.t4g.micro'], 9);
  });

  it('backups are charged only beyond the provisioned storage', () => {
    expect(line(estimate({ cost: { dbBackupGb: 15 } }), 'rds-backup').monthly).toBe(0);
    expect(line(estimate({ cost: { dbBackupGb: 50 } }), 'rds-backup').monthly).toBeCloseTo(30 * raw.regions['us-east-1'].rdsBackupGbMonth, 9);
  });

  it('the cost: assumptions move their lines', () => {
    const e = estimate({ cost: { natGb: 100, efsGb: 40, trafficGb: 300, logsGb: 12 } });
    const p = raw.regions['us-east-1'];
    expect(line(e, 'nat-data').monthly).toBeCloseTo(100 * p.natGatewayGb, 9);
    expect(line(e, 'efs-storage').monthly).toBeCloseTo(40 * p.efsStandardGbMonth, 9);
    expect(line(e, 'data-out').monthly).toBeCloseTo((300 - raw.global.dataTransferOutFreeGb) * p.dataTransferOutGb, 9);
    expect(line(e, 'logs-ingest').monthly).toBeCloseTo(12 * p.logsIngestGb, 9);
    expect(e.assumptions.find((a) => a.key === 'cost.natGb')?.value).toBe(100);
  });

  it('Route 53 lines appear only with a domain; the RDS Proxy line only with database.proxy', () => {
    const plain = estimate();
    expect(plain.lines.some((l) => l.service === 'Route 53')).toBe(false);
    expect(plain.lines.some((l) => l.id === 'rds-proxy')).toBe(false);
    const full = estimate({ domain: { name: 'blog.example.com', hostedZone: 'example.com' }, database: { proxy: true } });
    expect(line(full, 'route53-zone').monthly).toBeCloseTo(raw.global.route53HostedZoneMonth, 9);
    expect(line(full, 'rds-proxy').monthly).toBeCloseTo(730 * 2 * raw.regions['us-east-1'].rdsProxyVcpuHour, 9);
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
    expect(PRICE_FILE).toMatch(/prices\.json$/);
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
