/** Pure IPv4 CIDR arithmetic: parsing, and the subnet plan derived from `network.cidr`. */

export interface Cidr {
  base: number; // network address as an unsigned 32-bit integer
  prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const ip = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  return { base: ip, prefix };
}

export function isNetworkAddress(c: Cidr): boolean {
  return (c.base & hostMask(c.prefix)) === 0;
}

function hostMask(prefix: number): number {
  return prefix === 0 ? 0xffffffff : (2 ** (32 - prefix) - 1) >>> 0;
}

export function formatCidr(c: Cidr): string {
  const b = c.base;
  return `${b >>> 24}.${(b >>> 16) & 255}.${(b >>> 8) & 255}.${b & 255}/${c.prefix}`;
}

export type SubnetTier = 'public' | 'app' | 'data';
export const SUBNET_TIERS: readonly SubnetTier[] = ['public', 'app', 'data'];

export interface SubnetPlanEntry {
  tier: SubnetTier;
  azIndex: number;
  cidr: string;
}

/**
 * The subnet layout: the VPC block is cut into equal subnets, enough for three tiers in each AZ
 * (rounded up to a power of two), tier by tier: public subnets first, then app, then data.
 * Returns undefined when the subnets would be smaller than AWS's minimum (/28).
 */
export function planSubnets(vpcCidr: string, azCount: number): SubnetPlanEntry[] | undefined {
  const c = parseCidr(vpcCidr);
  if (!c) return undefined;
  const slots = 3 * azCount;
  const bits = Math.ceil(Math.log2(slots));
  const prefix = c.prefix + bits;
  if (prefix > 28) return undefined;
  const size = 2 ** (32 - prefix);
  const out: SubnetPlanEntry[] = [];
  SUBNET_TIERS.forEach((tier, t) => {
    for (let az = 0; az < azCount; az++) {
      const index = t * azCount + az;
      out.push({ tier, azIndex: az, cidr: formatCidr({ base: (c.base + index * size) >>> 0, prefix }) });
    }
  });
  return out;
}
