/**
 * The test support that stands in for AWS where moto does not: lost answers (only writes, only
 * after the write was done, replayable by seed) and idempotency tokens honoured as AWS does; and the
 * e2e tests' "absent" (only the not-found named).
 */
import { describe, expect, it } from 'vitest';
import { RESET, type AwsCall, type Reply } from '../support/aws-proxy.js';
import { unlessNotFound } from '../support/aws.js';
import { clientTokens } from '../support/client-tokens.js';
import { loseAnswers } from '../support/lost-answers.js';

const ec2 = (api: string, body: string, mutating = true): AwsCall =>
  ({ service: 'ec2', region: 'us-east-1', operation: api, api, mutating, body: `Action=${api}&${body}`, method: 'POST', path: '/', headers: {} });
const ok: Reply = { status: 200, body: '<CreateNatGatewayResponse><natGateway><natGatewayId>nat-1</natGatewayId></natGateway></CreateNatGatewayResponse>' };

describe('lost answers', () => {
  it('hit only writes whose answer is a success, at about the rate asked, the same way for the same seed', () => {
    const run = (seed: number) => {
      const lose = loseAnswers(seed, 0.08);
      const out = Array.from({ length: 1000 }, (_, i) => lose(ec2('CreateRoute', `n=${i}`), ok));
      return { out, lost: lose.lost.length };
    };
    const a = run(5);
    expect(a.lost).toBeGreaterThan(40);
    expect(a.lost).toBeLessThan(130);
    expect(a.out.filter((x) => x !== undefined)).toHaveLength(a.lost);
    expect(a.out.some((x) => x === RESET) && a.out.some((x) => typeof x === 'object' && (x as Reply).status >= 500)).toBe(true);
    expect(run(5).out.map(String)).toEqual(a.out.map(String));
    const lose = loseAnswers(5, 1);
    expect(lose(ec2('DescribeRouteTables', '', false), ok)).toBeUndefined();
    expect(lose(ec2('CreateRoute', ''), { status: 400, body: 'refused' })).toBeUndefined();
    expect(lose.lost).toEqual([]);
  });
});

describe('client tokens', () => {
  it('a repeat with the same token and parameters gets the first answer; other parameters are refused; no token, no replay', () => {
    const tokens = clientTokens();
    const first = ec2('CreateNatGateway', 'SubnetId=subnet-1&ClientToken=t1');
    expect(tokens.replay(first)).toBeUndefined();
    tokens.record(first, { ...ok, headers: { 'content-length': '99', 'content-type': 'text/xml' } });
    expect(tokens.replay(ec2('CreateNatGateway', 'ClientToken=t1&SubnetId=subnet-1'))).toEqual({ ...ok, headers: { 'content-type': 'text/xml' } });
    expect(tokens.replay(ec2('CreateNatGateway', 'SubnetId=subnet-2&ClientToken=t1'))?.body).toMatch(/IdempotentParameterMismatch/);
    expect(tokens.replay(ec2('CreateNatGateway', 'SubnetId=subnet-1&ClientToken=t2'))).toBeUndefined();
    const noToken = ec2('CreateRoute', 'RouteTableId=rtb-1');
    tokens.record(noToken, ok);
    expect(tokens.replay(noToken)).toBeUndefined();
  });

  it('ReplaceNetworkAclAssociation is idempotent by default: the same parameters are the token', () => {
    const tokens = clientTokens();
    const move = ec2('ReplaceNetworkAclAssociation', 'AssociationId=aclassoc-1&NetworkAclId=acl-2');
    tokens.record(move, ok);
    expect(tokens.replay(move)).toMatchObject({ status: 200 });
    expect(tokens.replay(ec2('ReplaceNetworkAclAssociation', 'AssociationId=aclassoc-9&NetworkAclId=acl-2'))).toBeUndefined();
  });
});

describe('unlessNotFound', () => {
  const failing = (name: string) => Promise.reject(Object.assign(new Error(`${name}: from the test`), { name }));

  it('answers what the read answers, and undefined for the not-found named', async () => {
    expect(await unlessNotFound(Promise.resolve(['x']), 'NoSuchKey')).toEqual(['x']);
    expect(await unlessNotFound(failing('DBInstanceNotFoundFault'), 'DBInstanceNotFoundFault')).toBeUndefined();
  });

  it('lets any other error through: a throttle or a refused request is not "absent"', async () => {
    await expect(unlessNotFound(failing('ThrottlingException'), 'DBInstanceNotFoundFault')).rejects.toMatchObject({ name: 'ThrottlingException' });
    await expect(unlessNotFound(failing('AccessDenied'), 'NoSuchKey')).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});
