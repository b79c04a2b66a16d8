import { describe, expect, it } from 'vitest';
import { formatCidr, isNetworkAddress, parseCidr, planSubnets, SUBNET_TIERS } from '../../src/config/cidr.js';

/** Independent of the code under test: dotted quad to an unsigned integer. */
function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}
function range(cidr: string): { start: number; end: number; prefix: number } {
  const [ip, p] = cidr.split('/');
  const prefix = Number(p);
  const start = ipToInt(ip!);
  return { start, end: start + 2 ** (32 - prefix) - 1, prefix };
}

describe('parseCidr', () => {
  it.each([
    ['10.20.0.0/16', ipToInt('10.20.0.0'), 16],
    ['192.168.1.0/24', ipToInt('192.168.1.0'), 24],
    ['255.255.255.255/32', 2 ** 32 - 1, 32],
    ['0.0.0.0/0', 0, 0],
    [' 172.16.0.0/12 ', ipToInt('172.16.0.0'), 12],
  ])('parses %j', (text, base, prefix) => {
    expect(parseCidr(text)).toEqual({ base, prefix });
  });

  it('gives an unsigned base for addresses above 128.0.0.0', () => {
    const c = parseCidr('200.1.2.0/24')!;
    expect(c.base).toBeGreaterThan(0);
    expect(formatCidr(c)).toBe('200.1.2.0/24');
  });

  it.each(['10.0.0.0', '10.0.0.0/33', '256.0.0.0/16', '10.0.0/16', 'ten.0.0.0/16', '10.0.0.0/', '', '10.0.0.0/16/1', '1.2.3.4.5/8', '-1.0.0.0/8'])(
    'refuses %j',
    (text) => {
      expect(parseCidr(text)).toBeUndefined();
    },
  );

  it('formatCidr round-trips what parseCidr reads', () => {
    for (const t of ['10.20.0.0/16', '172.31.255.0/24', '192.168.0.0/16', '100.64.0.0/10']) expect(formatCidr(parseCidr(t)!)).toBe(t);
  });

  it('isNetworkAddress tells a block from an address with host bits set', () => {
    expect(isNetworkAddress(parseCidr('10.20.0.0/16')!)).toBe(true);
    expect(isNetworkAddress(parseCidr('10.20.0.1/16')!)).toBe(false);
    expect(isNetworkAddress(parseCidr('10.20.1.0/16')!)).toBe(false);
    expect(isNetworkAddress(parseCidr('10.20.1.0/24')!)).toBe(true);
  });
});

describe('planSubnets', () => {
  const cases: Array<[string, number]> = [
    ['10.20.0.0/16', 2],
    ['10.20.0.0/16', 3],
    ['10.20.0.0/16', 6],
    ['192.168.0.0/20', 4],
    ['10.0.0.0/24', 2],
    ['10.0.0.0/24', 5],
    ['172.16.128.0/17', 3],
  ];

  it.each(cases)('%s over %i AZs: 3 tiers x AZs, all inside the block, none overlapping, each at least /28', (vpc, azCount) => {
    const plan = planSubnets(vpc, azCount)!;
    expect(plan).toBeDefined();
    expect(plan).toHaveLength(3 * azCount);
    const block = range(vpc);
    const ranges = plan.map((e) => range(e.cidr));
    for (const r of ranges) {
      expect(r.prefix).toBeLessThanOrEqual(28);
      expect(r.start).toBeGreaterThanOrEqual(block.start);
      expect(r.end).toBeLessThanOrEqual(block.end);
      // aligned: the start is the network address of its own block
      expect(r.start % 2 ** (32 - r.prefix)).toBe(0);
    }
    const sorted = [...ranges].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.start).toBeGreaterThan(sorted[i - 1]!.end);
    // every tier has exactly one subnet per AZ
    for (const tier of SUBNET_TIERS) {
      const azs = plan.filter((e) => e.tier === tier).map((e) => e.azIndex).sort((a, b) => a - b);
      expect(azs).toEqual(Array.from({ length: azCount }, (_, i) => i));
    }
    // all subnets the same size
    expect(new Set(ranges.map((r) => r.prefix)).size).toBe(1);
  });

  it('lays the tiers out in order: public, then app, then data', () => {
    const plan = planSubnets('10.20.0.0/16', 2)!;
    expect(plan.map((e) => e.tier)).toEqual(['public', 'public', 'app', 'app', 'data', 'data']);
    const starts = plan.map((e) => range(e.cidr).start);
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
  });

  it('uses the largest equal subnets that fit: 6 slots in a /16 give /19s', () => {
    const plan = planSubnets('10.20.0.0/16', 2)!;
    expect(plan.every((e) => e.cidr.endsWith('/19'))).toBe(true);
    expect(plan[0]!.cidr).toBe('10.20.0.0/19');
  });

  it.each([
    ['10.0.0.0/24', 6], // 18 slots -> 32 -> /29
    ['10.0.0.0/26', 2], // 6 slots -> 8 -> /29
    ['10.0.0.0/28', 2],
  ])('%s over %i AZs is too small: undefined', (vpc, azCount) => {
    expect(planSubnets(vpc, azCount)).toBeUndefined();
  });

  it('a block that is not a CIDR gives undefined', () => {
    expect(planSubnets('not-a-cidr', 2)).toBeUndefined();
  });
});
