/** `wpdeploy cost` prices RDS Extended Support when the config runs MySQL past its end of standard support. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { estimateCost } from '../../src/cost/estimate.js';
import { loadPriceBook } from '../../src/cost/prices.js';

const raw = JSON.parse(readFileSync(new URL('../../src/cost/prices.json', import.meta.url), 'utf8'));
const book = loadPriceBook();
const at = (database: object, now: string) => estimateCost(validateConfig({ database }, 'test', { env: {} }), book, new Date(now));
const line = (e: ReturnType<typeof at>) => e.lines.find((l) => l.id === 'rds-extended-support');

describe('Extended Support in the estimate', () => {
  it('MySQL 8.0 with extendedSupport, Multi-AZ: billed per vCPU-hour on the primary and the standby, year-1-2 price, in the total', () => {
    const e = at({ engineVersion: '8.0', extendedSupport: true }, '2026-12-07T00:00:00Z');
    const l = line(e)!;
    const vcpus = raw.rdsVcpus['db.t4g.micro'] * 2;
    expect(l).toMatchObject({ service: 'RDS', unit: 'vCPU-h', unitPrice: raw.global.rdsExtendedSupportVcpuHour.year1to2, quantity: raw.hoursPerMonth * vcpus, inTotal: true });
    expect(l.monthly).toBeCloseTo(raw.hoursPerMonth * vcpus * 0.1, 6);
    expect(l.item).toMatch(/8\.0 \(4 vCPUs: primary \+ standby, year 1-2\)/);
    const without = at({ engineVersion: '8.4' }, '2026-12-07T00:00:00Z');
    expect(e.total - without.total).toBeGreaterThanOrEqual(l.monthly - 1e-6);
  });

  it('year 3 (from 2028-07-31) costs the year-3 price', () => {
    expect(line(at({ engineVersion: '8.0', extendedSupport: true, multiAz: false }, '2028-09-01T00:00:00Z'))!.unitPrice).toBe(raw.global.rdsExtendedSupportVcpuHour.year3);
  });

  it('MySQL 8.4 (in standard support), and MariaDB: no such line', () => {
    expect(line(at({}, '2026-12-07T00:00:00Z'))).toBeUndefined();
    expect(line(at({ engine: 'mariadb' }, '2026-12-07T00:00:00Z'))).toBeUndefined();
  });
});
