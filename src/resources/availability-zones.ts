/**
 * Which Availability Zones the stack uses: the ones its subnets are in once it is deployed (from the
 * state, no call); else the first `azCount` zones of the region that are available to the account,
 * in name order, skipping zones AWS documents as constrained for new capacity, asked of EC2 once per
 * command, before any change is made.
 */
import { EC2 } from '../aws/sdk.js';
import type { AwsClients } from '../aws/clients.js';
import { WpdeployError } from '../errors.js';
import { subnetStep } from './stack-network.js';
import { azLetter } from './step-builder.js';

/** Zone ids (stable across accounts) where new Fargate, NAT or RDS capacity is constrained. */
const CONSTRAINED_ZONE_IDS = new Set(['use1-az3']);

export async function chooseZones(aws: AwsClients, region: string, azCount: number): Promise<string[]> {
  const r = await aws.get(EC2.EC2Client).send(new EC2.DescribeAvailabilityZonesCommand({
    Filters: [{ Name: 'state', Values: ['available'] }, { Name: 'zone-type', Values: ['availability-zone'] }],
  }));
  const zones = (r.AvailabilityZones ?? [])
    .filter((z) => z.ZoneName && !CONSTRAINED_ZONE_IDS.has(z.ZoneId ?? ''))
    .filter((z) => !z.OptInStatus || z.OptInStatus === 'opt-in-not-required' || z.OptInStatus === 'opted-in')
    .map((z) => z.ZoneName!)
    .sort();
  if (zones.length < azCount) {
    throw new WpdeployError(`${region} has ${zones.length} usable Availability Zones (${zones.join(', ') || 'none'}), but network.azCount is ${azCount}.`, {
      hint: `Set network.azCount to at most ${zones.length}, or pick another region.`,
      exitCode: 2,
    });
  }
  return zones.slice(0, azCount);
}

/**
 * The zones a deployed stack already uses, from the public subnets its state records (output `az`
 * of `subnet-public-a`, `-b`, ...), when they cover `azCount`; else undefined (ask `chooseZones`).
 * A stack keeps its zones even if the region's list has changed since it was deployed.
 */
export function recordedZones(steps: Readonly<Record<string, { outputs?: Record<string, string> }>>, azCount: number): string[] | undefined {
  const zones: string[] = [];
  for (let i = 0; i < azCount; i++) {
    const az = steps[subnetStep('public', azLetter(i))]?.outputs?.az;
    if (!az) return undefined;
    zones.push(az);
  }
  return zones;
}
