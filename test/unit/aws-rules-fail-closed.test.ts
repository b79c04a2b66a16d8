/**
 * The test rules fail closed: a rule whose lookup throws (here: the emulator cannot be reached)
 * answers the call with an error the CLI does not retry, and records why, instead of letting the call
 * through to be accepted as moto accepts it. Mutation caught: returning undefined after recording the
 * lookup error (the call would reach moto, and a delete AWS refuses would pass).
 */
import { describe, expect, it } from 'vitest';
import type { AwsCall } from '../support/aws-proxy.js';
import { awsOrderingRules } from '../support/aws-rules.js';

const call = (over: Partial<AwsCall>): AwsCall => ({
  service: 'ec2', region: 'us-east-1', operation: 'DeleteSubnet', api: 'DeleteSubnet', mutating: true,
  body: 'Action=DeleteSubnet&Version=2016-11-15&SubnetId=subnet-0123456789abcdef0', method: 'POST', path: '/', headers: {}, ...over,
});

describe('the test rules, when a lookup fails', () => {
  it('refuse the call with TestRulesLookupFailed and record the lookup error', async () => {
    const rules = awsOrderingRules('http://127.0.0.1:9');
    const reply = await rules(call({}));
    expect(reply?.status).toBe(400);
    expect(reply?.body).toContain('<Code>TestRulesLookupFailed</Code>');
    expect(rules.lookupErrors).toHaveLength(1);
    expect(rules.lookupErrors[0]!.rule).toBe('subnet in use');
  });
});
