/** `wpdeploy cost` prices RDS Extended Support when the config runs MySQL past its end of standard support. */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { estimateCost } from '../../src/cost/estimate.js';
import { loadPriceBook } from '../../src/cost/prices.js';

const book = loadPriceBook();
const at = (database: object, now: string) => estimateCost(validateConfig({ database }, 'test', { env: {} }), book, new Date(now));
const line = (e: ReturnType<typeof at>) => e.lines.find((l) => l.id === 'rds-extended-support');

describe('Extended Support in the estimate', () => {
  it('MySQL 8.0 with extendedSupport, Multi-AZ: billed per vCPU-hour on the primary and the standby, year-1-2 price, in the total', () => {
    const e = at({ engineVersion: '8.0', extendedSupport: true }, '2026-12-07T00:00:00Z');
    const l = line(e)!;
    // Worked by hand: db.t4g.micro has 2 vCPUs, twice (primary + standby) = 4 vCPUs x 730 h x $0.10
    // (year 1-2, US East: aws.amazon.com/rds/mysql/pricing, Extended Support).
    expect(l).toMatchObject({ service: 'RDS', unit: 'vCPU-h', quantity: 2920, inTotal: true });
    expect(l.monthly).toBeCloseTo(292, 6);
    expect(l.item).toMatch(/8\.0 \(4 vCPUs: primary \+ standby, year 1-2\)/);
    // Nothing else differs from the same stack on 8.4.
    const without = at({ engineVersion: '8.4' }, '2026-12-07T00:00:00Z');
    expect(e.total - without.total).toBeCloseTo(l.monthly, 6);
  });

  it('year 3 (from 2028-07-31) costs twice the year-1-2 price', () => {
    const early = line(at({ engineVersion: '8.0', extendedSupport: true, multiAz: false }, '2028-07-30T00:00:00Z'))!;
    const late = line(at({ engineVersion: '8.0', extendedSupport: true, multiAz: false }, '2028-09-01T00:00:00Z'))!;
    expect(late.item).toMatch(/year 3/);
    expect(late.monthly).toBeCloseTo(292, 6); // 2 vCPUs x 730 h x $0.20
    expect(late.monthly).toBeCloseTo(2 * early.monthly, 6);
  });

  it('MySQL 8.4 (in standard support), and MariaDB: no such line', () => {
    expect(line(at({}, '2026-12-07T00:00:00Z'))).toBeUndefined();
    expect(line(at({ engine: 'mariadb' }, '2026-12-07T00:00:00Z'))).toBeUndefined();
  });
});
