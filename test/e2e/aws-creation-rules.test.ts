/**
 * What AWS refuses at creation and moto accepts, end to end (docs/emulator.md).
 *
 * Names: the CLI refuses a stack name that makes a name AWS refuses at the config check (exit 2, no
 * AWS call); and the strict proxy (aws-rules.ts, aws-name-rules.ts) refuses such a name when it is
 * sent, as AWS would: so every e2e `up` through the strict proxy proves the names it sends pass.
 *
 * ACM's validation record already in the zone: the validation CNAME is the same for the same account
 * and domain, so an earlier certificate (the console, another tool, a lost state) leaves an identical
 * record, often with another TTL. `up` adopts it as is and `down` leaves it, never failing on
 * "already exists"; the strict proxy refuses a Route 53 CREATE over an existing record set as AWS
 * does (aws-rules.ts, createRecordSet).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACMClient, DescribeCertificateCommand, RequestCertificateCommand } from '@aws-sdk/client-acm';
import { CloudWatchLogsClient, CreateLogGroupCommand, DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateSecurityGroupCommand, CreateVpcCommand, DeleteSecurityGroupCommand, DeleteVpcCommand } from '@aws-sdk/client-ec2';
import { CreateFileSystemCommand } from '@aws-sdk/client-efs';
import { CreateLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateDBInstanceCommand } from '@aws-sdk/client-rds';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AwsProxy } from '../support/aws-proxy.js';
import { RULES_REQUEST_ID_PREFIX, startStrictProxy, type OrderingRules } from '../support/aws-rules.js';
import { ec2, efs, elbv2, rds, s3 } from '../support/aws.js';
import { runCli, uniqueStack, workdir } from '../support/cli.js';

const moto = inject('motoEndpoint');
const cfg = (endpoint: string) => ({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
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

const uid = () => Math.random().toString(36).slice(2, 8);

/** The call is refused by the rules (not moto) with this error name; returns the recorded reason. */
async function refusedBy(call: Promise<unknown>, name: string): Promise<string> {
  const before = proxy.rules.refused.length;
  const err = (await call.then(() => undefined, (e: unknown) => e)) as (Error & { $metadata?: { requestId?: string } }) | undefined;
  expect(err, `expected ${name}, but the call succeeded`).toBeInstanceOf(Error);
  expect(err!.name, err!.message).toBe(name);
  expect(err!.$metadata?.requestId?.startsWith(RULES_REQUEST_ID_PREFIX), `answered by moto, not the rules: ${err!.message}`).toBe(true);
  expect(proxy.rules.refused.length).toBe(before + 1);
  return proxy.rules.refused.at(-1)!.reason;
}

describe('the strict proxy refuses names AWS refuses and moto accepts', () => {
  it('a security group named sg-*; another name goes through to moto', async () => {
    const vpc = (await ec2(moto).send(new CreateVpcCommand({ CidrBlock: '10.77.0.0/16' }))).Vpc!.VpcId!;
    try {
      expect(await refusedBy(ec2(proxy.url).send(new CreateSecurityGroupCommand({ VpcId: vpc, GroupName: `sg-${uid()}`, Description: 'x' })), 'InvalidParameterValue')).toMatch(/security group name/);
      const ok = await ec2(proxy.url).send(new CreateSecurityGroupCommand({ VpcId: vpc, GroupName: `asg-${uid()}`, Description: 'x' }));
      await ec2(moto).send(new DeleteSecurityGroupCommand({ GroupId: ok.GroupId! }));
    } finally {
      await ec2(moto).send(new DeleteVpcCommand({ VpcId: vpc }));
    }
  });

  it('a load balancer named internal-* or longer than 32', async () => {
    expect(await refusedBy(elbv2(proxy.url).send(new CreateLoadBalancerCommand({ Name: 'internal-alb', Subnets: ['subnet-1'] })), 'ValidationError')).toMatch(/load balancer name/);
    await refusedBy(elbv2(proxy.url).send(new CreateLoadBalancerCommand({ Name: 'x'.repeat(33), Subnets: ['subnet-1'] })), 'ValidationError');
  });

  it('a bucket with a reserved prefix', async () => {
    expect(await refusedBy(s3(proxy.url).send(new CreateBucketCommand({ Bucket: `sthree-${uid()}-alb-logs` })), 'InvalidBucketName')).toMatch(/reserved prefix sthree-/);
    await refusedBy(s3(proxy.url).send(new CreateBucketCommand({ Bucket: `amzn-s3-demo-${uid()}` })), 'InvalidBucketName');
  });

  it('an RDS identifier with two hyphens in a row, a log group under aws/, a secret ending like an ARN suffix', async () => {
    await refusedBy(rds(proxy.url).send(new CreateDBInstanceCommand({ DBInstanceIdentifier: 'blog--db', Engine: 'mysql', DBInstanceClass: 'db.t4g.micro' })), 'InvalidParameterValue');
    await refusedBy(new CloudWatchLogsClient(cfg(proxy.url)).send(new CreateLogGroupCommand({ logGroupName: `aws/${uid()}` })), 'InvalidParameterException');
    await refusedBy(new SecretsManagerClient(cfg(proxy.url)).send(new CreateSecretCommand({ Name: `wpdeploy/${uid()}/db-secret`, SecretString: 'x' })), 'ValidationException');
    const name = `/wpdeploy-test/${uid()}`;
    await new CloudWatchLogsClient(cfg(proxy.url)).send(new CreateLogGroupCommand({ logGroupName: name }));
    await new CloudWatchLogsClient(cfg(moto)).send(new DeleteLogGroupCommand({ logGroupName: name }));
  });

  it('an EFS tag with a character EFS refuses', async () => {
    await refusedBy(efs(proxy.url).send(new CreateFileSystemCommand({ CreationToken: uid(), Tags: [{ Key: 'owner', Value: 'web, ops' }] })), 'BadRequest');
  });
});

describe('the CLI refuses such a stack name before any AWS call', () => {
  it.each([['sg-blog', /security group name "sg-blog-alb"/], ['internal', /load balancer name "internal-alb"/], ['sthree', /bucket.*"sthree-alb-logs-/]])('%s: exit 2, the field and the fix, zero calls', async (stack, why) => {
    proxy.reset();
    const r = await runCli(['plan', '--stack', stack], { cwd: workdir(), endpoint: proxy.url });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(why);
    expect(r.stderr).toMatch(/stack: .*Choose a stack name that does not start with/);
    expect(proxy.calls).toEqual([]);
  });
});

const r53 = (endpoint: string) => new Route53Client(cfg(endpoint));
const cname = (Name: string, Value: string, TTL: number) => ({ Action: 'CREATE' as const, ResourceRecordSet: { Name, Type: 'CNAME' as const, TTL, ResourceRecords: [{ Value }] } });

/** The validation record ACM gives for a domain in this account (the same for every certificate of it). */
async function validationRecord(domain: string) {
  const acm = new ACMClient(cfg(moto));
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
    const change = r53(proxy.url).send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [cname(earlier.name, 'other.example.org.', 300)] } }));
    expect(await refusedBy(change, 'InvalidChangeBatch')).toMatch(/CNAME .* exists in/);
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
