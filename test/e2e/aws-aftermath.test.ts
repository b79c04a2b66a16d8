/**
 * The rules of test/support/aws-aftermath.ts, each proved through the strict proxy: what AWS keeps
 * for a while after a call (the interfaces of a deleted load balancer, ECS service or RDS Proxy; a
 * certificate ACM still counts in use; an RDS instance applying its queued modifications) refuses
 * the calls AWS refuses, with AWS's error, and lets them through once it is gone.
 *
 * moto is shared by every e2e file and never reset, so every name and CIDR here is unique.
 */
import {
  AttachInternetGatewayCommand, CreateInternetGatewayCommand, CreateSecurityGroupCommand, CreateSubnetCommand, CreateVpcCommand,
  DeleteSecurityGroupCommand, DeleteSubnetCommand, DescribeNetworkInterfacesCommand, DetachInternetGatewayCommand,
} from '@aws-sdk/client-ec2';
import { CreateClusterCommand, CreateServiceCommand, DeleteServiceCommand, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { ACMClient, DeleteCertificateCommand, RequestCertificateCommand } from '@aws-sdk/client-acm';
import { CreateListenerCommand, CreateLoadBalancerCommand, CreateTargetGroupCommand, DeleteLoadBalancerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateDBInstanceCommand, DeleteDBInstanceCommand, ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AwsProxy } from '../support/aws-proxy.js';
import { RULES_REQUEST_ID_PREFIX, startStrictProxy, type OrderingRules } from '../support/aws-rules.js';
import { ec2, ecs, elbv2, rds } from '../support/aws.js';

const moto = inject('motoEndpoint');
const LINGER_MS = 1_500;
let proxy: AwsProxy & { rules: OrderingRules };
const clientsAt = (endpoint: string) => ({ ec2: ec2(endpoint), elb: elbv2(endpoint), ecs: ecs(endpoint), rds: rds(endpoint) });
const direct = clientsAt(moto);
let via: ReturnType<typeof clientsAt>;
const acmAt = (endpoint: string) => new ACMClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const acm = acmAt(moto);
let viaAcm: ACMClient;

beforeAll(async () => {
  proxy = await startStrictProxy(moto, { lingerMs: LINGER_MS, modifyingMs: 60_000 });
  via = clientsAt(proxy.url);
  viaAcm = acmAt(proxy.url);
});
afterAll(async () => {
  await proxy.close();
});
afterEach(() => {
  expect(proxy.rules.lookupErrors).toEqual([]);
});

const uid = () => Math.random().toString(36).slice(2, 8);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function refusedWith(call: Promise<unknown>, name: string): Promise<Error> {
  const err = await call.then(() => undefined, (e: unknown) => e);
  expect(err, `expected ${name}, but the call succeeded`).toBeInstanceOf(Error);
  const e = err as Error & { $metadata: { requestId?: string } };
  expect(e.name, e.message).toBe(name);
  expect(e.$metadata.requestId?.startsWith(RULES_REQUEST_ID_PREFIX), `answered by moto, not the rules: ${e.message}`).toBe(true);
  return e;
}

async function network() {
  const prefix = `10.${10 + Math.floor(Math.random() * 240)}`;
  const vpc = (await direct.ec2.send(new CreateVpcCommand({ CidrBlock: `${prefix}.0.0/16` }))).Vpc!.VpcId!;
  const subnet = async (n: number, az: string) => (await direct.ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: `${prefix}.${n}.0/24`, AvailabilityZone: az }))).Subnet!.SubnetId!;
  const a = await subnet(1, 'us-east-1a');
  const b = await subnet(2, 'us-east-1b');
  const group = (await direct.ec2.send(new CreateSecurityGroupCommand({ GroupName: `after-${uid()}`, Description: 'aftermath test', VpcId: vpc }))).GroupId!;
  return { vpc, a, b, group };
}

const interfacesIn = async (subnet: string) =>
  (await via.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'subnet-id', Values: [subnet] }] }))).NetworkInterfaces ?? [];

describe('lingering network interfaces', () => {
  it("a deleted load balancer's interfaces: listed, and holding its subnets, its group and the gateway's detach, for a while", async () => {
    const net = await network();
    const igw = (await direct.ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await direct.ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: net.vpc }));
    const lb = (await direct.elb.send(new CreateLoadBalancerCommand({ Name: `after-${uid()}`, Subnets: [net.a, net.b], SecurityGroups: [net.group], Type: 'application' }))).LoadBalancers![0]!;
    await via.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }));

    const enis = await interfacesIn(net.a);
    expect(enis).toHaveLength(1);
    expect(enis[0]).toMatchObject({ RequesterId: 'amazon-elb', RequesterManaged: true, VpcId: net.vpc, Groups: [{ GroupId: net.group }] });
    expect(enis[0]!.Description).toBe(`ELB ${lb.LoadBalancerArn!.split(':loadbalancer/')[1]}`);
    expect(enis[0]!.Association?.PublicIp).toBeTruthy();
    const e = await refusedWith(via.ec2.send(new DeleteSubnetCommand({ SubnetId: net.a })), 'DependencyViolation');
    expect(e.message).toBe(`The subnet '${net.a}' has dependencies and cannot be deleted.`);
    await refusedWith(via.ec2.send(new DeleteSecurityGroupCommand({ GroupId: net.group })), 'DependencyViolation');
    await refusedWith(via.ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: net.vpc })), 'DependencyViolation');

    // refusals the CLI must wait out, not mistakes of its order
    expect(proxy.rules.waited.slice(-3).map((w) => `${w.rule}: ${w.call.operation}`)).toEqual([
      'lingering interfaces: DeleteSubnet', 'lingering interfaces: DeleteSecurityGroup', 'lingering interfaces: DetachInternetGateway',
    ]);
    await sleep(LINGER_MS + 100);
    expect(await interfacesIn(net.a)).toEqual([]);
    await via.ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: net.vpc }));
    await via.ec2.send(new DeleteSubnetCommand({ SubnetId: net.a }));
    await via.ec2.send(new DeleteSubnetCommand({ SubnetId: net.b }));
    await via.ec2.send(new DeleteSecurityGroupCommand({ GroupId: net.group }));
  });

  it("an ECS service scaled to 0: its tasks' interfaces stay in its subnets and its group for a while", async () => {
    const net = await network();
    const cluster = `after-${uid()}`;
    // Tagged: moto's Tagging API fails on a cluster without tags, for every test sharing the emulator.
    await direct.ecs.send(new CreateClusterCommand({ clusterName: cluster, tags: [{ key: 'test', value: 'aws-aftermath' }] }));
    const family = `after-${uid()}`;
    await direct.ecs.send(new RegisterTaskDefinitionCommand({
      family, networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512',
      containerDefinitions: [{ name: 'app', image: 'public.ecr.aws/nginx/nginx:latest', essential: true }],
    }));
    const service = `svc-${uid()}`;
    await direct.ecs.send(new CreateServiceCommand({
      cluster, serviceName: service, taskDefinition: family, desiredCount: 2, launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: [net.a, net.b], securityGroups: [net.group] } },
    }));
    await via.ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: 0 }));
    await via.ecs.send(new DeleteServiceCommand({ cluster, service, force: true }));
    const kept = proxy.rules.aftermath.interfaces.filter((k) => k.owner.includes(`/${service}`));
    expect(kept).toHaveLength(2); // one per task, noted once (the delete after the scale-down adds none)
    expect((await interfacesIn(net.b))[0]?.Description).toMatch(/^arn:aws:ecs:us-east-1:\d+:attachment\//);
    await refusedWith(via.ec2.send(new DeleteSecurityGroupCommand({ GroupId: net.group })), 'DependencyViolation');
    await sleep(LINGER_MS + 100);
    await via.ec2.send(new DeleteSecurityGroupCommand({ GroupId: net.group }));
  });
});

describe('ACM: a certificate stays in use a while after its load balancer is deleted', () => {
  it('DeleteCertificate: ResourceInUseException, then deleted', async () => {
    const net = await network();
    const domain = `${uid()}.aftermath.example.org`;
    const cert = (await acm.send(new RequestCertificateCommand({ DomainName: domain, ValidationMethod: 'DNS' }))).CertificateArn!;
    const lb = (await direct.elb.send(new CreateLoadBalancerCommand({ Name: `after-${uid()}`, Subnets: [net.a, net.b], SecurityGroups: [net.group], Type: 'application' }))).LoadBalancers![0]!;
    const tg = (await direct.elb.send(new CreateTargetGroupCommand({ Name: `after-${uid()}`, Protocol: 'HTTP', Port: 80, VpcId: net.vpc, TargetType: 'ip' }))).TargetGroups![0]!;
    await direct.elb.send(new CreateListenerCommand({
      LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTPS', Port: 443, Certificates: [{ CertificateArn: cert }], DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }],
    }));
    await via.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn }));
    const deleteCert = () => viaAcm.send(new DeleteCertificateCommand({ CertificateArn: cert }));
    await refusedWith(deleteCert(), 'ResourceInUseException');
    expect(proxy.rules.waited.at(-1)?.rule).toBe('certificate in use');
    await sleep(LINGER_MS + 100);
    await deleteCert();
  });
});

describe('RDS: lifting deletion protection with ApplyImmediately applies the queued modifications', () => {
  async function instanceWithQueuedChange() {
    const id = `after-${uid()}`;
    await direct.rds.send(new CreateDBInstanceCommand({
      DBInstanceIdentifier: id, DBInstanceClass: 'db.t3.micro', Engine: 'mysql', MasterUsername: 'admin', MasterUserPassword: 'not-a-secret-1', AllocatedStorage: 20, DeletionProtection: true,
    }));
    // queued for the maintenance window, as AWS does without ApplyImmediately
    await via.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DBInstanceClass: 'db.t3.small', ApplyImmediately: false }));
    expect(proxy.rules.aftermath.pending.get(id)).toEqual(['DBInstanceClass']);
    return id;
  }

  it('ApplyImmediately true: the instance goes modifying and refuses the delete', async () => {
    const id = await instanceWithQueuedChange();
    await via.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DeletionProtection: false, ApplyImmediately: true }));
    const e = await refusedWith(via.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true })), 'InvalidDBInstanceStateFault');
    expect(e.message).toContain('modifying');
    expect(proxy.rules.refused.at(-1)?.rule).toBe('instance modifying'); // a mistake of the caller, not a wait
    proxy.rules.aftermath.modifying.delete(id); // as if the modification had finished
    await via.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true }));
  });

  it('ApplyImmediately false: protection is lifted, the queued change stays queued, the delete goes through', async () => {
    const id = await instanceWithQueuedChange();
    await via.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, DeletionProtection: false, ApplyImmediately: false }));
    expect(proxy.rules.aftermath.pending.get(id)).toEqual(['DBInstanceClass']);
    await via.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: id, SkipFinalSnapshot: true }));
  });
});
