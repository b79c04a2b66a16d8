import { ChangeResourceRecordSetsCommand, GetChangeCommand, ListResourceRecordSetsCommand, Route53Client, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { dnsRecordKind, ownerName, ownerValue, type DnsRecordSpec } from '../../src/resources/dns-record.js';
import { UNKNOWN } from '../../src/resources/types.js';
import { awsError, context, newClients, STACK } from './app-context.js';

const r53 = mockClient(Route53Client);
let aws: AwsClients;
beforeEach(() => {
  r53.reset();
  aws = newClients();
});
afterEach(() => aws.destroy());

const STEP = 'alias-record';
const ZONE = 'Z123';
const alias: DnsRecordSpec = {
  zoneName: 'example.com', zoneId: ZONE, name: 'www.example.com', type: 'A',
  alias: { dnsName: 'blog-alb-1.us-east-1.elb.amazonaws.com', hostedZoneId: 'Z35SXDOTRQ7X7K', evaluateTargetHealth: true },
};
const aliasSet = (dnsName = 'blog-alb-1.us-east-1.elb.amazonaws.com'): ResourceRecordSet => ({ Name: 'www.example.com.', Type: 'A', AliasTarget: { DNSName: `dualstack.${dnsName}.`, HostedZoneId: 'Z35SXDOTRQ7X7K', EvaluateTargetHealth: true } });
const owner = (step = STEP): ResourceRecordSet => ({ Name: ownerName('www.example.com', 'A'), Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: ownerValue(STACK, step) }] });

/** The zone holds these record sets; ListResourceRecordSets answers from the start name. */
function zone(sets: ResourceRecordSet[]) {
  r53.on(ListResourceRecordSetsCommand).callsFake((input: { StartRecordName?: string; StartRecordType?: string }) => {
    const i = sets.findIndex((s) => s.Name === input.StartRecordName && s.Type === input.StartRecordType);
    return { ResourceRecordSets: input.StartRecordName ? (i < 0 ? [] : sets.slice(i)) : sets, IsTruncated: false };
  });
}

describe('dnsRecordKind', () => {
  it('finds its record with its ownership record: same (the dualstack. prefix aside)', async () => {
    zone([aliasSet(), owner()]);
    const a = await dnsRecordKind.find(context(aws, STEP), alias);
    expect(a).toMatchObject({ id: `${ZONE}|www.example.com.|A`, owned: true });
    expect(dnsRecordKind.diff(alias, a!)).toEqual({ changes: [] });
  });

  it('no record is undefined', async () => {
    zone([]);
    expect(await dnsRecordKind.find(context(aws, STEP), alias)).toBeUndefined();
  });

  it('with no name known (state lost), finds the record its ownership record names', async () => {
    zone([{ Name: 'example.com.', Type: 'NS', TTL: 1, ResourceRecords: [{ Value: 'ns' }] }, aliasSet(), owner()]);
    const a = await dnsRecordKind.find(context(aws, STEP), { ...alias, name: UNKNOWN });
    expect(a?.name).toBe('www.example.com.');
  });

  it('create: the record and its ownership record in one batch, waiting until in sync', async () => {
    zone([]);
    r53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } });
    r53.on(GetChangeCommand).resolvesOnce({ ChangeInfo: { Id: 'C1', Status: 'PENDING', SubmittedAt: new Date() } }).resolves({ ChangeInfo: { Id: 'C1', Status: 'INSYNC', SubmittedAt: new Date() } });
    const ctx = context(aws, STEP);
    const a = await dnsRecordKind.create(ctx, alias);
    expect(a.owned).toBe(true);
    const changes = r53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input.ChangeBatch!.Changes!;
    expect(changes).toEqual([
      { Action: 'CREATE', ResourceRecordSet: { Name: 'www.example.com.', Type: 'A', AliasTarget: { DNSName: alias.alias!.dnsName, HostedZoneId: 'Z35SXDOTRQ7X7K', EvaluateTargetHealth: true } } },
      { Action: 'CREATE', ResourceRecordSet: { Name: '_wpdeploy-a.www.example.com.', Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: `"heritage=wpdeploy,stack=${STACK},step=${STEP}"` }] } },
    ]);
    expect(r53.commandCalls(GetChangeCommand)).toHaveLength(2);
    expect(ctx.recordId).toHaveBeenCalledWith(`${ZONE}|www.example.com.|A`);
  });

  it('an identical validation CNAME left by an earlier certificate (another TTL, no ownership record) is adopted as is and kept on down', async () => {
    const validation: DnsRecordSpec = { zoneName: 'example.com', zoneId: ZONE, name: '_abc.www.example.com', type: 'CNAME', ttl: 300, values: ['_def.acm-validations.aws.'] };
    const earlier: ResourceRecordSet = { Name: '_abc.www.example.com.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: '_def.acm-validations.aws.' }] };
    zone([earlier]);
    const ctx = context(aws, 'certificate-dns');
    const a = await dnsRecordKind.find(ctx, validation);
    expect(a).toMatchObject({ owned: false, ttl: 60 });
    expect(dnsRecordKind.diff(validation, a!)).toEqual({ changes: [] });
    // Racing in between find and create: AWS refuses the CREATE ("already exists"); the same value is used.
    r53.on(ChangeResourceRecordSetsCommand).rejects(awsError('InvalidChangeBatch', "[Tried to create resource record set [name='_abc.www.example.com.', type='CNAME'] but it already exists]"));
    expect(await dnsRecordKind.create(ctx, validation)).toMatchObject({ owned: false, id: `${ZONE}|_abc.www.example.com.|CNAME` });
    await dnsRecordKind.delete(ctx, a!);
    expect(r53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(1); // the refused CREATE only: nothing deleted
    // A record of its own keeps its TTL converged.
    expect(dnsRecordKind.diff(validation, { ...a!, owned: true }).changes.map((c) => c.field)).toEqual(['ttl']);
  });

  it('a record wpdeploy did not make with another value is never overwritten', async () => {
    zone([{ Name: 'www.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] }]);
    const a = await dnsRecordKind.find(context(aws, STEP), alias);
    expect(a?.owned).toBe(false);
    const d = dnsRecordKind.diff(alias, a!);
    expect(d.changes.map((c) => c.field)).toEqual(['alias']);
    await expect(dnsRecordKind.update!(context(aws, STEP), alias, a!, d)).rejects.toThrow(/wpdeploy did not make it/);
    expect(r53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
  });

  it('create racing a record of another value reports it; one of the same value is used and kept', async () => {
    const sets: ResourceRecordSet[] = [];
    zone(sets);
    r53.on(ChangeResourceRecordSetsCommand).rejects(awsError('InvalidChangeBatch', "[Tried to create resource record set [name='www.example.com.', type='A'] but it already exists]"));
    sets.push({ Name: 'www.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] });
    await expect(dnsRecordKind.create(context(aws, STEP), alias)).rejects.toThrow(/already exists in the hosted zone/);
    sets.splice(0, 1, aliasSet());
    const ctx = context(aws, STEP);
    const a = await dnsRecordKind.create(ctx, alias);
    expect(a.owned).toBe(false);
    expect(ctx.warn).toHaveBeenCalledWith(expect.stringContaining('leaving it in place'));
  });

  it('a name claimed by another stack\'s ownership record is refused', async () => {
    zone([{ ...owner(), ResourceRecords: [{ Value: '"heritage=wpdeploy,stack=other,step=alias-record"' }] }]);
    await expect(dnsRecordKind.create(context(aws, STEP), alias)).rejects.toThrow(/claimed by another wpdeploy stack/);
  });

  it('delete removes the record and its ownership record; one wpdeploy did not make stays; gone is success', async () => {
    zone([aliasSet(), owner()]);
    const a = await dnsRecordKind.find(context(aws, STEP), alias);
    r53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: 'C2', Status: 'INSYNC', SubmittedAt: new Date() } });
    await dnsRecordKind.delete(context(aws, STEP), a!);
    expect(r53.commandCalls(ChangeResourceRecordSetsCommand)[0]!.args[0].input.ChangeBatch!.Changes!.map((c) => `${c.Action} ${c.ResourceRecordSet!.Type}`)).toEqual(['DELETE A', 'DELETE TXT']);
    r53.resetHistory();
    await dnsRecordKind.delete(context(aws, STEP), { ...a!, owned: false });
    expect(r53.commandCalls(ChangeResourceRecordSetsCommand)).toHaveLength(0);
    r53.on(ChangeResourceRecordSetsCommand).rejects(awsError('InvalidChangeBatch', 'Tried to delete resource record set but it was not found'));
    await dnsRecordKind.delete(context(aws, STEP), a!);
  });

  it('the validation CNAME compares values without case or trailing dot', () => {
    const spec: DnsRecordSpec = { zoneName: 'example.com', zoneId: ZONE, name: '_x.www.example.com.', type: 'CNAME', ttl: 300, values: ['_Y.acm-validations.aws.'] };
    const d = dnsRecordKind.diff(spec, { id: 'x', state: 'INSYNC', zoneId: ZONE, name: '_x.www.example.com.', type: 'CNAME', ttl: 300, values: ['_y.acm-validations.aws'], owned: true });
    expect(d).toEqual({ changes: [] });
  });
});
