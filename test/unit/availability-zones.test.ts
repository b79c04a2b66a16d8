/** The stack's zones: from the state once deployed (no call), else asked of EC2 once. */
import { DescribeAvailabilityZonesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { chooseZones, recordedZones } from '../../src/resources/availability-zones.js';

const ec2 = mockClient(EC2Client);
let aws: AwsClients;
beforeEach(() => {
  ec2.reset();
  aws = new AwsClients({ region: 'us-east-1', local: true, maxAttempts: 1 });
});
afterEach(() => aws.destroy());

const subnet = (az: string) => ({ outputs: { subnetId: 'subnet-x', az, cidr: '10.0.0.0/19' } });

describe('recordedZones', () => {
  it('the zones of the recorded public subnets, in AZ order', () => {
    const steps = { 'subnet-public-b': subnet('us-east-1c'), 'subnet-public-a': subnet('us-east-1a'), 'subnet-app-a': subnet('us-east-1a'), vpc: {} };
    expect(recordedZones(steps, 2)).toEqual(['us-east-1a', 'us-east-1c']);
    expect(recordedZones(steps, 1)).toEqual(['us-east-1a']);
  });

  it('undefined when the state does not cover azCount (a new stack, a third AZ, an older state without outputs)', () => {
    expect(recordedZones({}, 2)).toBeUndefined();
    expect(recordedZones({ 'subnet-public-a': subnet('us-east-1a'), 'subnet-public-b': subnet('us-east-1b') }, 3)).toBeUndefined();
    expect(recordedZones({ 'subnet-public-a': {}, 'subnet-public-b': subnet('us-east-1b') }, 2)).toBeUndefined();
  });
});

describe('chooseZones', () => {
  it('the first available zones in name order, skipping constrained ones, in one call', async () => {
    ec2.on(DescribeAvailabilityZonesCommand).resolves({ AvailabilityZones: [
      { ZoneName: 'us-east-1c', ZoneId: 'use1-az3' }, { ZoneName: 'us-east-1b', ZoneId: 'use1-az2' }, { ZoneName: 'us-east-1a', ZoneId: 'use1-az1' },
    ] });
    expect(await chooseZones(aws, 'us-east-1', 2)).toEqual(['us-east-1a', 'us-east-1b']);
    expect(ec2.calls()).toHaveLength(1);
  });
});
