/**
 * ACM's validation record already in the zone. The validation CNAME is the same for the same account
 * and domain, so an earlier certificate (the console, another tool, a lost state) leaves an identical
 * record, often with another TTL. `up` adopts it as is and `down` leaves it, never failing on
 * "already exists". Through the strict proxy, where Route 53 refuses a CREATE over an existing
 * record set as AWS does (moto accepts most of them: aws-rules.ts, createRecordSet).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACMClient, DescribeCertificateCommand, RequestCertificateCommand } from '@aws-sdk/client-acm';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AwsProxy } from '../support/aws-proxy.js';
import { RULES_REQUEST_ID_PREFIX, startStrictProxy, type OrderingRules } from '../support/aws-rules.js';
import { runCli, uniqueStack, workdir } from '../support/cli.js';

const moto = inject('motoEndpoint');
const base = (endpoint: string) => ({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
let proxy: AwsProxy & { rules: OrderingRules };

beforeAll(async () => {
  proxy = await startStrictProxy(moto);
});
afterAll(async () => {
  await proxy.close();
});
afterEach(() => {
  expect(proxy.rules.lookupErrors).toEqual([]);
});

const r53 = (endpoint: string) => new Route53Client(base(endpoint));
const cname = (Name: string, Value: string, TTL: number) => ({ Action: 'CREATE' as const, ResourceRecordSet: { Name, Type: 'CNAME' as const, TTL, ResourceRecords: [{ Value }] } });

/** The validation record ACM gives for a domain in this account (the same for every certificate of it). */
async function validationRecord(domain: string) {
  const acm = new ACMClient(base(moto));
  const arn = (await acm.send(new RequestCertificateCommand({ DomainName: domain, ValidationMethod: 'DNS' }))).CertificateArn!;
  const rr = (await acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate!.DomainValidationOptions![0]!.ResourceRecord!;
  return { name: rr.Name!, value: rr.Value! };
}

describe('an identical validation record left by an earlier certificate', () => {
  const stack = uniqueStack('acmrec');
  const zone = `${stack}.example.com`;
  const domain = `www.${zone}`;
  const cwd = workdir();
  const run = (...args: string[]) => runCli(args, { cwd, endpoint: proxy.url });
  let zoneId: string;
  let earlier: { name: string; value: string };
  const sets = async () => (await r53(moto).send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? [];

  beforeAll(async () => {
    zoneId = (await r53(moto).send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `${stack}-${Date.now()}` }))).HostedZone!.Id!.replace('/hostedzone/', '');
    // The earlier certificate's record, written by another tool with its own TTL and no ownership record.
    earlier = await validationRecord(domain);
    await r53(moto).send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [cname(earlier.name, earlier.value, 60)] } }));
    writeFileSync(join(cwd, 'wpdeploy.yml'), `stack: ${stack}\ndomain:\n  name: ${domain}\n  hostedZone: ${zone}\n`);
  });

  it('the strict proxy refuses a CREATE over it, whatever the value, as Route 53 does', async () => {
    const err = (await r53(proxy.url).send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [cname(earlier.name, 'other.example.org.', 300)] } })).then(() => undefined, (e: unknown) => e)) as Error & { $metadata: { requestId?: string } };
    expect(err?.name).toBe('InvalidChangeBatch');
    expect(err.message).toMatch(/but it already exists/);
    expect(err.$metadata.requestId?.startsWith(RULES_REQUEST_ID_PREFIX)).toBe(true);
    expect((await sets()).filter((s) => s.Type === 'CNAME')).toHaveLength(1);
  });

  it('up adopts it (same value, another TTL) and the certificate is issued', async () => {
    const r = await run('up');
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const cnames = (await sets()).filter((s) => s.Type === 'CNAME');
    expect(cnames).toEqual([expect.objectContaining({ Name: earlier.name, TTL: 60, ResourceRecords: [{ Value: earlier.value }] })]);
    // wpdeploy did not make it: no ownership record of its own beside it.
    expect((await sets()).map((s) => s.Name)).not.toContain(`_wpdeploy-cname.${earlier.name}`);
    const status = await run('status', '--json');
    const steps = Object.fromEntries((JSON.parse(status.stdout).steps as Array<{ step: string; state: string }>).map((s) => [s.step, s.state]));
    expect(steps['certificate-issued'] ?? steps['certificate']).toBe('ISSUED');
  });

  it('down --purge leaves it in place, with the zone', async () => {
    const r = await run('down', '--purge', '--yes');
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect((await sets()).map((s) => s.Type).sort()).toEqual(['CNAME', 'NS', 'SOA']);
  });
});
