import { GetHostedZoneCommand, ListHostedZonesByNameCommand, Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { WpdeployError } from '../../src/errors.js';
import { checkDelegation, makeHostedZoneKind } from '../../src/resources/hosted-zone.js';
import { context, newClients } from './app-context.js';

const r53 = mockClient(Route53Client);
let aws: AwsClients;
beforeEach(() => {
  r53.reset();
  aws = newClients();
});
afterEach(() => aws.destroy());

const OWN = ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.co.uk', 'ns-3.awsdns-03.com', 'ns-4.awsdns-04.net'];
const dnsError = (code: string) => Object.assign(new Error(`queryNs ${code}`), { code });

function zones(list: Array<{ id: string; name: string; private?: boolean }>) {
  r53.on(ListHostedZonesByNameCommand).resolves({
    HostedZones: list.map((z) => ({ Id: `/hostedzone/${z.id}`, Name: z.name, CallerReference: 'x', Config: { PrivateZone: !!z.private } })),
    IsTruncated: false,
  });
  r53.on(GetHostedZoneCommand).resolves({ HostedZone: { Id: '/hostedzone/Z1', Name: 'example.com.', CallerReference: 'x' }, DelegationSet: { NameServers: OWN } });
}

describe('checkDelegation', () => {
  it.each([
    ['delegated to the zone\'s name servers', async () => [...OWN].reverse().map((n) => `${n.toUpperCase()}.`), 'delegated'],
    ['sent to other name servers', async () => ['ns1.registrar-parking.example'], 'not delegated'],
    ['unknown to the public DNS', async () => { throw dnsError('ENOTFOUND'); }, 'not delegated'],
    ['not answered', async () => { throw dnsError('ETIMEOUT'); }, 'not checked'],
  ])('a zone %s is %s', async (_what, resolve, state) => {
    expect((await checkDelegation('example.com.', OWN, resolve)).state).toBe(state);
  });
});

describe('hostedZoneKind', () => {
  it('finds the public zone of that name, ignoring private ones and longer names', async () => {
    zones([{ id: 'ZP', name: 'example.com.', private: true }, { id: 'Z1', name: 'example.com.' }, { id: 'Z9', name: 'www.example.com.' }]);
    const kind = makeHostedZoneKind({ resolveNs: async () => OWN });
    const a = await kind.find(context(aws, 'hosted-zone'), { name: 'example.com' });
    expect(a).toMatchObject({ id: 'Z1', state: 'delegated' });
    expect(kind.diff({ name: 'example.com' }, a!)).toEqual({ changes: [] });
    expect(kind.outputs(a!)).toEqual({ zoneId: 'Z1', name: 'example.com', delegation: 'delegated' });
  });

  it('a missing zone is undefined, and "creating" it is a clear error that creates nothing', async () => {
    zones([]);
    const kind = makeHostedZoneKind({ resolveNs: async () => OWN });
    expect(await kind.find(context(aws, 'hosted-zone'), { name: 'example.com' })).toBeUndefined();
    const err = await kind.create(context(aws, 'hosted-zone'), { name: 'example.com' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    expect((err as Error).message).toMatch(/hosted zone example.com was not found.*Nothing was created/);
    expect((err as WpdeployError).hint).toContain('aws route53 create-hosted-zone --name example.com');
  });

  it('a zone that is not delegated is a change up refuses to make, naming the name servers to set', async () => {
    zones([{ id: 'Z1', name: 'example.com.' }]);
    const kind = makeHostedZoneKind({ resolveNs: async () => ['ns1.parking.example'] });
    const a = await kind.find(context(aws, 'hosted-zone'), { name: 'example.com' });
    const d = kind.diff({ name: 'example.com' }, a!);
    expect(d.changes).toEqual([{ field: 'delegation', from: ['ns1.parking.example'], to: [...OWN].sort() }]);
    const err = await kind.update!(context(aws, 'hosted-zone'), { name: 'example.com' }, a!, d).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/is not delegated/);
    expect((err as WpdeployError).hint).toContain(OWN[0]);
  });

  it('against an endpoint override (the emulator) the delegation is not checked', async () => {
    const local = newClients('http://127.0.0.1:1');
    zones([{ id: 'Z1', name: 'example.com.' }]);
    const kind = makeHostedZoneKind({ resolveNs: async () => { throw new Error('must not be called'); } });
    const a = await kind.find(context(local, 'hosted-zone'), { name: 'example.com' });
    expect(a?.state).toBe('not checked');
    expect(kind.diff({ name: 'example.com' }, a!).changes).toEqual([]);
    local.destroy();
  });

  it('two public zones of the name: the delegated one; neither delegated is an error', async () => {
    zones([{ id: 'Z1', name: 'example.com.' }, { id: 'Z2', name: 'example.com.' }]);
    r53.on(GetHostedZoneCommand, { Id: 'Z2' }).resolves({ HostedZone: { Id: '/hostedzone/Z2', Name: 'example.com.', CallerReference: 'y' }, DelegationSet: { NameServers: ['ns-9.awsdns-09.com'] } });
    const kind = makeHostedZoneKind({ resolveNs: async () => ['ns-9.awsdns-09.com'] });
    expect((await kind.find(context(aws, 'hosted-zone'), { name: 'example.com' }))?.id).toBe('Z2');
    const none = makeHostedZoneKind({ resolveNs: async () => ['ns.elsewhere.example'] });
    await expect(none.find(context(aws, 'hosted-zone'), { name: 'example.com' })).rejects.toThrow(/2 public hosted zones/);
  });

  it('delete never touches the user\'s zone', async () => {
    const ctx = context(aws, 'hosted-zone');
    await makeHostedZoneKind().delete(ctx, { id: 'Z1', name: 'example.com.', state: 'delegated', nameServers: OWN, publicNameServers: OWN, detail: `delegated to ${OWN.join(', ')}` });
    expect(r53.calls()).toHaveLength(0);
    expect(ctx.progress).toHaveBeenCalledWith(expect.stringContaining('left hosted zone example.com (Z1) in place'));
  });
});
