/**
 * The ordering rules of test/support/aws-rules.ts, each proved through the strict proxy: the
 * dependency is set up directly in moto, the delete sent through the proxy is refused with the error
 * AWS gives (the SDK's error name, status and message, answered by the rules and not by moto), the
 * dependency is removed, and the same delete then goes through to moto.
 *
 * moto is shared by every e2e file and never reset, so every name and CIDR here is unique.
 */
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateNetworkAclCommand,
  CreateNetworkInterfaceCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteInternetGatewayCommand,
  DeleteNatGatewayCommand,
  DeleteNetworkAclCommand,
  DeleteNetworkInterfaceCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNetworkAclsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateAddressCommand,
  DisassociateRouteTableCommand,
  ReleaseAddressCommand,
  ReplaceNetworkAclAssociationCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import { CreateClusterCommand, CreateServiceCommand, DeleteClusterCommand, DeleteServiceCommand, DescribeClustersCommand, DescribeServicesCommand, RegisterTaskDefinitionCommand, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { CreateFileSystemCommand, CreateMountTargetCommand, DeleteFileSystemCommand, DeleteMountTargetCommand, DescribeFileSystemsCommand } from '@aws-sdk/client-efs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  ModifyLoadBalancerAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { CreateDBInstanceCommand, CreateDBSubnetGroupCommand, DeleteDBInstanceCommand, DeleteDBSubnetGroupCommand, DescribeDBSubnetGroupsCommand } from '@aws-sdk/client-rds';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AwsProxy } from '../support/aws-proxy.js';
import { RULES_REQUEST_ID_PREFIX, startStrictProxy, type OrderingRules } from '../support/aws-rules.js';
import { ec2, ecs, efs, elbv2, rds } from '../support/aws.js';

const moto = inject('motoEndpoint');
let proxy: AwsProxy & { rules: OrderingRules };

const clientsAt = (endpoint: string) => ({ ec2: ec2(endpoint), elb: elbv2(endpoint), ecs: ecs(endpoint), efs: efs(endpoint), rds: rds(endpoint) });
/** Straight to moto: to set up and remove dependencies. */
const direct = clientsAt(moto);
/** Through the strict proxy: the delete under test. */
let via: ReturnType<typeof clientsAt>;

beforeAll(async () => {
  proxy = await startStrictProxy(moto);
  via = clientsAt(proxy.url);
});
afterAll(async () => {
  await proxy.close();
});
afterEach(() => {
  // A failed lookup lets the call through silently: none may happen here.
  expect(proxy.rules.lookupErrors).toEqual([]);
});

// ---------------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------------

const uid = () => Math.random().toString(36).slice(2, 8);
const TAGS = [{ key: 'wpdeploy:test', value: 'aws-rules' }];

interface AwsError extends Error {
  $metadata: { httpStatusCode?: number; requestId?: string };
}

/** The call must be refused by the rules (not by moto) with this SDK error name. */
async function refused(call: Promise<unknown>, name: string, status = 400): Promise<AwsError> {
  const before = proxy.rules.refused.length;
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${name}, but the call succeeded`).toBeInstanceOf(Error);
  const e = err as AwsError;
  expect(e.name, e.message).toBe(name);
  expect(e.$metadata.httpStatusCode).toBe(status);
  expect(e.$metadata.requestId?.startsWith(RULES_REQUEST_ID_PREFIX), `answered by moto, not the rules: ${e.message}`).toBe(true);
  expect(proxy.rules.refused.length).toBe(before + 1);
  expect(proxy.rules.refused.at(-1)).toMatchObject({ message: e.message, requestId: e.$metadata.requestId });
  return e;
}

const lastReason = () => proxy.rules.refused.at(-1)?.reason ?? '';

async function newVpc() {
  const prefix = `10.${10 + Math.floor(Math.random() * 240)}`;
  const r = await direct.ec2.send(new CreateVpcCommand({ CidrBlock: `${prefix}.0.0/16` }));
  return { id: r.Vpc!.VpcId!, prefix };
}

async function newSubnet(vpc: { id: string; prefix: string }, n: number, az = 'us-east-1a') {
  const r = await direct.ec2.send(new CreateSubnetCommand({ VpcId: vpc.id, CidrBlock: `${vpc.prefix}.${n}.0/24`, AvailabilityZone: az }));
  return r.Subnet!.SubnetId!;
}

async function newGroup(vpcId: string) {
  const r = await direct.ec2.send(new CreateSecurityGroupCommand({ GroupName: `rules-${uid()}`, Description: 'aws-rules test', VpcId: vpcId }));
  return r.GroupId!;
}

async function newEni(subnetId: string, groups?: string[]) {
  const r = await direct.ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, Groups: groups }));
  return r.NetworkInterface!.NetworkInterfaceId!;
}

async function newEip() {
  return (await direct.ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }))).AllocationId!;
}

async function newNat(subnetId: string, allocationId: string) {
  return (await direct.ec2.send(new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: allocationId }))).NatGateway!.NatGatewayId!;
}

/** A VPC with two subnets in two zones, as an ALB or a DB subnet group needs. */
async function twoZones() {
  const vpc = await newVpc();
  const a = await newSubnet(vpc, 1, 'us-east-1a');
  const b = await newSubnet(vpc, 2, 'us-east-1b');
  return { vpc, a, b };
}

async function newAlb(subnets: string[], groups?: string[]) {
  const r = await direct.elb.send(new CreateLoadBalancerCommand({ Name: `rules-${uid()}`, Subnets: subnets, SecurityGroups: groups, Type: 'application' }));
  return r.LoadBalancers![0]!.LoadBalancerArn!;
}

async function newTargetGroup(vpcId: string) {
  const r = await direct.elb.send(new CreateTargetGroupCommand({ Name: `rules-${uid()}`, Protocol: 'HTTP', Port: 80, VpcId: vpcId, TargetType: 'ip' }));
  return r.TargetGroups![0]!.TargetGroupArn!;
}

async function newFileSystem() {
  const r = await direct.efs.send(new CreateFileSystemCommand({ CreationToken: `rules-${uid()}`, Tags: [{ Key: 'wpdeploy:test', Value: 'aws-rules' }] }));
  return r.FileSystemId!;
}

async function newCluster() {
  const name = `rules-${uid()}`;
  await direct.ecs.send(new CreateClusterCommand({ clusterName: name, tags: TAGS }));
  return name;
}

async function newService(cluster: string, subnets: string[], groups: string[], desiredCount = 1) {
  const family = `rules-${uid()}`;
  await direct.ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'app', image: 'public.ecr.aws/nginx/nginx:latest', essential: true }],
      tags: TAGS,
    }),
  );
  const name = `svc-${uid()}`;
  await direct.ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName: name,
      taskDefinition: family,
      desiredCount,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets, securityGroups: groups, assignPublicIp: 'DISABLED' } },
      tags: TAGS,
    }),
  );
  return name;
}

async function newDbInstance(subnetGroup: string, groups: string[]) {
  const id = `rules-${uid()}`;
  await direct.rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      DBInstanceClass: 'db.t3.micro',
      Engine: 'mysql',
      MasterUsername: 'admin',
      MasterUserPassword: 'not-a-secret-1',
      AllocatedStorage: 20,
      DBSubnetGroupName: subnetGroup,
      VpcSecurityGroupIds: groups,
    }),
  );
  return id;
}

async function newDbSubnetGroup(subnets: string[]) {
  const name = `rules-${uid()}`;
  await direct.rds.send(new CreateDBSubnetGroupCommand({ DBSubnetGroupName: name, DBSubnetGroupDescription: 'aws-rules test', SubnetIds: subnets }));
  return name;
}

const subnetExists = async (id: string) => ((await direct.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'subnet-id', Values: [id] }] }))).Subnets ?? []).length > 0;
const groupExists = async (id: string) => ((await direct.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: [id] }] }))).SecurityGroups ?? []).length > 0;

// ---------------------------------------------------------------------------------------------
// EC2
// ---------------------------------------------------------------------------------------------

describe('DeleteSubnet: DependencyViolation while something lives in the subnet', () => {
  const deleteSubnet = (id: string) => via.ec2.send(new DeleteSubnetCommand({ SubnetId: id }));

  it('a network interface', async () => {
    const vpc = await newVpc();
    const subnet = await newSubnet(vpc, 1);
    const eni = await newEni(subnet);
    const e = await refused(deleteSubnet(subnet), 'DependencyViolation');
    expect(e.message).toBe(`The subnet '${subnet}' has dependencies and cannot be deleted.`);
    expect(lastReason()).toContain(eni);
    await direct.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni }));
    await deleteSubnet(subnet);
    expect(await subnetExists(subnet)).toBe(false);
  });

  it('a NAT gateway until it is deleted (moto keeps its interface; AWS does not)', async () => {
    const vpc = await newVpc();
    const subnet = await newSubnet(vpc, 1);
    const nat = await newNat(subnet, await newEip());
    await refused(deleteSubnet(subnet), 'DependencyViolation');
    expect(lastReason()).toMatch(/network interface|NAT gateway/);
    await direct.ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: nat }));
    await deleteSubnet(subnet);
    expect(await subnetExists(subnet)).toBe(false);
  });

  it('a load balancer', async () => {
    const { a, b } = await twoZones();
    const lb = await newAlb([a, b]);
    await refused(deleteSubnet(a), 'DependencyViolation');
    expect(lastReason()).toContain('load balancer');
    await direct.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb }));
    await deleteSubnet(a);
    expect(await subnetExists(a)).toBe(false);
  });

  it('an EFS mount target', async () => {
    const vpc = await newVpc();
    const subnet = await newSubnet(vpc, 1);
    const fs = await newFileSystem();
    const mt = (await direct.efs.send(new CreateMountTargetCommand({ FileSystemId: fs, SubnetId: subnet }))).MountTargetId!;
    await refused(deleteSubnet(subnet), 'DependencyViolation');
    await direct.efs.send(new DeleteMountTargetCommand({ MountTargetId: mt }));
    await deleteSubnet(subnet);
    expect(await subnetExists(subnet)).toBe(false);
    await direct.efs.send(new DeleteFileSystemCommand({ FileSystemId: fs }));
  });

  it('an ECS service placed in it (moto starts no task interfaces)', async () => {
    const vpc = await newVpc();
    const subnet = await newSubnet(vpc, 1);
    const cluster = await newCluster();
    const service = await newService(cluster, [subnet], [await newGroup(vpc.id)]);
    await refused(deleteSubnet(subnet), 'DependencyViolation');
    expect(lastReason()).toContain('ECS service');
    await direct.ecs.send(new DeleteServiceCommand({ cluster, service, force: true }));
    await deleteSubnet(subnet);
    expect(await subnetExists(subnet)).toBe(false);
  });

  it('an RDS instance whose subnet group holds it (moto makes no interface for it)', async () => {
    const { vpc, a, b } = await twoZones();
    const group = await newDbSubnetGroup([a, b]);
    const db = await newDbInstance(group, [await newGroup(vpc.id)]);
    await refused(deleteSubnet(a), 'DependencyViolation');
    expect(lastReason()).toContain(db);
    await direct.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: db, SkipFinalSnapshot: true }));
    await deleteSubnet(a);
    expect(await subnetExists(a)).toBe(false);
  });
});

describe('DeleteSecurityGroup: DependencyViolation while the group is referenced or used', () => {
  const deleteGroup = (id: string) => via.ec2.send(new DeleteSecurityGroupCommand({ GroupId: id }));

  it("another group's ingress rule", async () => {
    const vpc = await newVpc();
    const [target, other] = [await newGroup(vpc.id), await newGroup(vpc.id)];
    const perm = { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: target }] };
    await direct.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: other, IpPermissions: [perm] }));
    const e = await refused(deleteGroup(target), 'DependencyViolation');
    expect(e.message).toBe(`resource ${target} has a dependent object`);
    expect(lastReason()).toContain(other);
    await direct.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: other, IpPermissions: [perm] }));
    await deleteGroup(target);
    expect(await groupExists(target)).toBe(false);
  });

  it("another group's egress rule", async () => {
    const vpc = await newVpc();
    const [target, other] = [await newGroup(vpc.id), await newGroup(vpc.id)];
    const perm = { IpProtocol: 'tcp', FromPort: 3306, ToPort: 3306, UserIdGroupPairs: [{ GroupId: target }] };
    await direct.ec2.send(new AuthorizeSecurityGroupEgressCommand({ GroupId: other, IpPermissions: [perm] }));
    await refused(deleteGroup(target), 'DependencyViolation');
    await direct.ec2.send(new RevokeSecurityGroupEgressCommand({ GroupId: other, IpPermissions: [perm] }));
    await deleteGroup(target);
    expect(await groupExists(target)).toBe(false);
  });

  it('a rule of the group itself does not count', async () => {
    const vpc = await newVpc();
    const self = await newGroup(vpc.id);
    await direct.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: self, IpPermissions: [{ IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: self }] }] }));
    await deleteGroup(self);
    expect(await groupExists(self)).toBe(false);
  });

  it('a network interface', async () => {
    const vpc = await newVpc();
    const group = await newGroup(vpc.id);
    const eni = await newEni(await newSubnet(vpc, 1), [group]);
    await refused(deleteGroup(group), 'DependencyViolation');
    expect(lastReason()).toContain(eni);
    await direct.ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: eni }));
    await deleteGroup(group);
    expect(await groupExists(group)).toBe(false);
  });

  it('a load balancer', async () => {
    const { vpc, a, b } = await twoZones();
    const group = await newGroup(vpc.id);
    const lb = await newAlb([a, b], [group]);
    await refused(deleteGroup(group), 'DependencyViolation');
    expect(lastReason()).toContain('load balancer');
    await direct.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb }));
    await deleteGroup(group);
    expect(await groupExists(group)).toBe(false);
  });

  it('an EFS mount target', async () => {
    const vpc = await newVpc();
    const group = await newGroup(vpc.id);
    const fs = await newFileSystem();
    const mt = (await direct.efs.send(new CreateMountTargetCommand({ FileSystemId: fs, SubnetId: await newSubnet(vpc, 1), SecurityGroups: [group] }))).MountTargetId!;
    await refused(deleteGroup(group), 'DependencyViolation');
    await direct.efs.send(new DeleteMountTargetCommand({ MountTargetId: mt }));
    await deleteGroup(group);
    expect(await groupExists(group)).toBe(false);
    await direct.efs.send(new DeleteFileSystemCommand({ FileSystemId: fs }));
  });

  it('an RDS instance', async () => {
    const { vpc, a, b } = await twoZones();
    const group = await newGroup(vpc.id);
    const db = await newDbInstance(await newDbSubnetGroup([a, b]), [group]);
    await refused(deleteGroup(group), 'DependencyViolation');
    expect(lastReason()).toContain(db);
    await direct.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: db, SkipFinalSnapshot: true }));
    await deleteGroup(group);
    expect(await groupExists(group)).toBe(false);
  });

  it('an ECS service (awsvpc)', async () => {
    const vpc = await newVpc();
    const group = await newGroup(vpc.id);
    const cluster = await newCluster();
    const service = await newService(cluster, [await newSubnet(vpc, 1)], [group]);
    await refused(deleteGroup(group), 'DependencyViolation');
    expect(lastReason()).toContain(service);
    await direct.ecs.send(new DeleteServiceCommand({ cluster, service, force: true }));
    await deleteGroup(group);
    expect(await groupExists(group)).toBe(false);
  });
});

describe('DetachInternetGateway: DependencyViolation while public addresses are mapped in the VPC', () => {
  async function vpcWithGateway() {
    const vpc = await newVpc();
    const subnet = await newSubnet(vpc, 1);
    const igw = (await direct.ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await direct.ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc.id }));
    return { vpc, subnet, igw };
  }
  const detach = (igw: string, vpc: string) => via.ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc }));
  const attachedTo = async (igw: string) =>
    ((await direct.ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [igw] }))).InternetGateways?.[0]?.Attachments ?? []).map((a) => a.VpcId);

  it('an Elastic IP associated with an interface', async () => {
    const { vpc, subnet, igw } = await vpcWithGateway();
    const eip = await newEip();
    const association = (await direct.ec2.send(new AssociateAddressCommand({ AllocationId: eip, NetworkInterfaceId: await newEni(subnet) }))).AssociationId!;
    const e = await refused(detach(igw, vpc.id), 'DependencyViolation');
    expect(e.message).toBe(`Network ${vpc.id} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`);
    await direct.ec2.send(new DisassociateAddressCommand({ AssociationId: association }));
    await detach(igw, vpc.id);
    expect(await attachedTo(igw)).toEqual([]);
  });

  it("a NAT gateway's Elastic IP until the NAT is deleted (moto keeps the association; AWS does not)", async () => {
    const { vpc, subnet, igw } = await vpcWithGateway();
    const nat = await newNat(subnet, await newEip());
    await refused(detach(igw, vpc.id), 'DependencyViolation');
    await direct.ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: nat }));
    await detach(igw, vpc.id);
    expect(await attachedTo(igw)).toEqual([]);
  });

  it('an Elastic IP mapped in another VPC does not count', async () => {
    const { vpc, igw } = await vpcWithGateway();
    const elsewhere = await vpcWithGateway();
    await direct.ec2.send(new AssociateAddressCommand({ AllocationId: await newEip(), NetworkInterfaceId: await newEni(elsewhere.subnet) }));
    await detach(igw, vpc.id);
    expect(await attachedTo(igw)).toEqual([]);
    await refused(detach(elsewhere.igw, elsewhere.vpc.id), 'DependencyViolation');
  });
});

describe('DeleteInternetGateway: DependencyViolation while attached', () => {
  it('attached, then detached', async () => {
    const vpc = await newVpc();
    const igw = (await direct.ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await direct.ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc.id }));
    const e = await refused(via.ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igw })), 'DependencyViolation');
    expect(e.message).toBe(`The internetGateway '${igw}' has dependencies and cannot be deleted.`);
    await direct.ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc.id }));
    await via.ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igw }));
    const left = await direct.ec2.send(new DescribeInternetGatewaysCommand({ Filters: [{ Name: 'internet-gateway-id', Values: [igw] }] }));
    expect(left.InternetGateways ?? []).toEqual([]);
  });
});

describe('ReleaseAddress: InvalidIPAddress.InUse while associated', () => {
  const release = (allocationId: string) => via.ec2.send(new ReleaseAddressCommand({ AllocationId: allocationId }));
  const exists = async (allocationId: string) =>
    ((await direct.ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'allocation-id', Values: [allocationId] }] }))).Addresses ?? []).length > 0;

  it('associated with an interface', async () => {
    const vpc = await newVpc();
    const eip = await newEip();
    const association = (await direct.ec2.send(new AssociateAddressCommand({ AllocationId: eip, NetworkInterfaceId: await newEni(await newSubnet(vpc, 1)) }))).AssociationId!;
    const e = await refused(release(eip), 'InvalidIPAddress.InUse');
    expect(e.message).toContain(eip);
    await direct.ec2.send(new DisassociateAddressCommand({ AssociationId: association }));
    await release(eip);
    expect(await exists(eip)).toBe(false);
  });

  it('held by a NAT gateway until the NAT is deleted', async () => {
    const vpc = await newVpc();
    const eip = await newEip();
    const nat = await newNat(await newSubnet(vpc, 1), eip);
    await refused(release(eip), 'InvalidIPAddress.InUse');
    expect(lastReason()).toContain(nat);
    await direct.ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: nat }));
    await release(eip);
    expect(await exists(eip)).toBe(false);
  });
});

describe('DeleteVpc: DependencyViolation while anything but its defaults remains', () => {
  it('refused for each dependency in turn, accepted once all are gone', async () => {
    const vpc = await newVpc();
    const subnet = await newSubnet(vpc, 1);
    const igw = (await direct.ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await direct.ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc.id }));
    const group = await newGroup(vpc.id);
    const table = (await direct.ec2.send(new CreateRouteTableCommand({ VpcId: vpc.id }))).RouteTable!.RouteTableId!;
    const acl = (await direct.ec2.send(new CreateNetworkAclCommand({ VpcId: vpc.id }))).NetworkAcl!.NetworkAclId!;
    const eip = await newEip();
    const nat = await newNat(subnet, eip);

    const deleteVpc = () => via.ec2.send(new DeleteVpcCommand({ VpcId: vpc.id }));
    const removals: [string, () => Promise<unknown>][] = [
      [subnet, () => direct.ec2.send(new DeleteSubnetCommand({ SubnetId: subnet }))],
      [igw, () => direct.ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc.id }))],
      [group, () => direct.ec2.send(new DeleteSecurityGroupCommand({ GroupId: group }))],
      [table, () => direct.ec2.send(new DeleteRouteTableCommand({ RouteTableId: table }))],
      [acl, () => direct.ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: acl }))],
      [nat, () => direct.ec2.send(new DeleteNatGatewayCommand({ NatGatewayId: nat }))],
    ];
    const seen: string[] = [];
    for (const [, remove] of removals) {
      const e = await refused(deleteVpc(), 'DependencyViolation');
      expect(e.message).toBe(`The vpc '${vpc.id}' has dependencies and cannot be deleted.`);
      seen.push(lastReason());
      await remove();
    }
    // Each dependency was the one named in some refusal.
    for (const [id] of removals) expect(seen.some((r) => r.includes(id)), `${id} never named: ${seen.join('; ')}`).toBe(true);
    await deleteVpc();
    expect((await direct.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.id] }] }))).Vpcs ?? []).toEqual([]);
    await direct.ec2.send(new ReleaseAddressCommand({ AllocationId: eip }));
    await direct.ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: igw }));
  });
});

describe('DeleteRouteTable: DependencyViolation while associated', () => {
  it('associated with a subnet, then disassociated', async () => {
    const vpc = await newVpc();
    const table = (await direct.ec2.send(new CreateRouteTableCommand({ VpcId: vpc.id }))).RouteTable!.RouteTableId!;
    const association = (await direct.ec2.send(new AssociateRouteTableCommand({ RouteTableId: table, SubnetId: await newSubnet(vpc, 1) }))).AssociationId!;
    const deleteTable = () => via.ec2.send(new DeleteRouteTableCommand({ RouteTableId: table }));
    const e = await refused(deleteTable(), 'DependencyViolation');
    expect(e.message).toBe(`The routeTable '${table}' has dependencies and cannot be deleted.`);
    await direct.ec2.send(new DisassociateRouteTableCommand({ AssociationId: association }));
    await deleteTable();
    expect((await direct.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'route-table-id', Values: [table] }] }))).RouteTables ?? []).toEqual([]);
  });

  it('the main route table of a VPC', async () => {
    const vpc = await newVpc();
    const main = (await direct.ec2.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.id] }, { Name: 'association.main', Values: ['true'] }] }))).RouteTables![0]!.RouteTableId!;
    await refused(via.ec2.send(new DeleteRouteTableCommand({ RouteTableId: main })), 'DependencyViolation');
    expect(lastReason()).toContain('main');
  });
});

describe('DeleteNetworkAcl: DependencyViolation while associated with a subnet', () => {
  it('associated, then moved back to the default ACL', async () => {
    const vpc = await newVpc();
    const subnet = await newSubnet(vpc, 1);
    const acl = (await direct.ec2.send(new CreateNetworkAclCommand({ VpcId: vpc.id }))).NetworkAcl!.NetworkAclId!;
    const current = async () => {
      const acls = (await direct.ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnet] }] }))).NetworkAcls ?? [];
      const holder = acls.find((a) => a.Associations?.some((s) => s.SubnetId === subnet))!;
      return { aclId: holder.NetworkAclId!, association: holder.Associations!.find((s) => s.SubnetId === subnet)!.NetworkAclAssociationId! };
    };
    const start = await current();
    const moved = await direct.ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: start.association, NetworkAclId: acl }));
    const deleteAcl = () => via.ec2.send(new DeleteNetworkAclCommand({ NetworkAclId: acl }));
    const e = await refused(deleteAcl(), 'DependencyViolation');
    expect(e.message).toBe(`The network ACL '${acl}' has dependencies and cannot be deleted.`);
    expect(lastReason()).toContain(subnet);
    await direct.ec2.send(new ReplaceNetworkAclAssociationCommand({ AssociationId: moved.NewAssociationId!, NetworkAclId: start.aclId }));
    expect((await current()).aclId).toBe(start.aclId);
    await deleteAcl();
    const left = (await direct.ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.id] }] }))).NetworkAcls ?? [];
    expect(left.map((a) => a.NetworkAclId)).toEqual([start.aclId]);
  });
});

// ---------------------------------------------------------------------------------------------
// ELBv2
// ---------------------------------------------------------------------------------------------

describe('DeleteTargetGroup: ResourceInUse while a listener or rule forwards to it', () => {
  const deleteTg = (arn: string) => via.elb.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn }));
  const tgExists = async (arn: string) => {
    const all = (await direct.elb.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? [];
    return all.some((t) => t.TargetGroupArn === arn);
  };

  it("a listener's default action", async () => {
    const { vpc, a, b } = await twoZones();
    const lb = await newAlb([a, b]);
    const tg = await newTargetGroup(vpc.id);
    const listener = (await direct.elb.send(new CreateListenerCommand({ LoadBalancerArn: lb, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }] }))).Listeners![0]!.ListenerArn!;
    const e = await refused(deleteTg(tg), 'ResourceInUseException');
    expect(e.message).toBe(`Target group '${tg}' is currently in use by a listener or a rule`);
    await direct.elb.send(new DeleteListenerCommand({ ListenerArn: listener }));
    await deleteTg(tg);
    expect(await tgExists(tg)).toBe(false);
    await direct.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb }));
  });

  it("a listener rule's forward action", async () => {
    const { vpc, a, b } = await twoZones();
    const lb = await newAlb([a, b]);
    const tg = await newTargetGroup(vpc.id);
    const listener = (
      await direct.elb.send(new CreateListenerCommand({ LoadBalancerArn: lb, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }] }))
    ).Listeners![0]!.ListenerArn!;
    const rule = (
      await direct.elb.send(
        new CreateRuleCommand({
          ListenerArn: listener,
          Priority: 10,
          Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/wp-admin/*'] } }],
          Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg, Weight: 1 }] } }],
        }),
      )
    ).Rules![0]!.RuleArn!;
    await refused(deleteTg(tg), 'ResourceInUseException');
    expect(lastReason()).toContain(rule);
    await direct.elb.send(new DeleteRuleCommand({ RuleArn: rule }));
    await deleteTg(tg);
    expect(await tgExists(tg)).toBe(false);
    await direct.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb }));
  });
});

describe('DeleteLoadBalancer: OperationNotPermitted while deletion protection is on', () => {
  it('protected, then unprotected', async () => {
    const { a, b } = await twoZones();
    const lb = await newAlb([a, b]);
    const protect = (on: boolean) =>
      direct.elb.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lb, Attributes: [{ Key: 'deletion_protection.enabled', Value: String(on) }] }));
    await protect(true);
    const e = await refused(via.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb })), 'OperationNotPermittedException');
    expect(e.message).toBe(`Load balancer '${lb}' cannot be deleted because deletion protection is enabled`);
    await protect(false);
    await via.elb.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: lb }));
    const left = (await direct.elb.send(new DescribeLoadBalancersCommand({}))).LoadBalancers ?? [];
    expect(left.some((l) => l.LoadBalancerArn === lb)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// ECS, EFS, RDS
// ---------------------------------------------------------------------------------------------

describe('ECS', () => {
  it('DeleteCluster: ClusterContainsServicesException while a service is active', async () => {
    const vpc = await newVpc();
    const cluster = await newCluster();
    const service = await newService(cluster, [await newSubnet(vpc, 1)], [await newGroup(vpc.id)]);
    const deleteCluster = () => via.ecs.send(new DeleteClusterCommand({ cluster }));
    const e = await refused(deleteCluster(), 'ClusterContainsServicesException');
    expect(e.message).toBe('The Cluster cannot be deleted while Services are active.');
    expect(lastReason()).toContain(service);
    await direct.ecs.send(new DeleteServiceCommand({ cluster, service, force: true }));
    await deleteCluster();
    const c = (await direct.ecs.send(new DescribeClustersCommand({ clusters: [cluster] }))).clusters?.[0];
    expect(c?.status).toBe('INACTIVE');
  });

  it('DeleteService: InvalidParameterException while scaled above 0 without force', async () => {
    const vpc = await newVpc();
    const cluster = await newCluster();
    const service = await newService(cluster, [await newSubnet(vpc, 1)], [await newGroup(vpc.id)], 2);
    const deleteService = () => via.ecs.send(new DeleteServiceCommand({ cluster, service }));
    const e = await refused(deleteService(), 'InvalidParameterException');
    expect(e.message).toBe('The service cannot be stopped while it is scaled above 0.');
    await direct.ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: 0 }));
    await deleteService();
    const s = (await direct.ecs.send(new DescribeServicesCommand({ cluster, services: [service] }))).services?.[0];
    expect(s?.status).toBe('INACTIVE');
    await direct.ecs.send(new DeleteClusterCommand({ cluster }));
  });

  it('DeleteService with force is let through while scaled above 0', async () => {
    const vpc = await newVpc();
    const cluster = await newCluster();
    const service = await newService(cluster, [await newSubnet(vpc, 1)], [await newGroup(vpc.id)], 2);
    const before = proxy.rules.refused.length;
    await via.ecs.send(new DeleteServiceCommand({ cluster, service, force: true }));
    expect(proxy.rules.refused.length).toBe(before);
    const s = (await direct.ecs.send(new DescribeServicesCommand({ cluster, services: [service] }))).services?.[0];
    expect(s?.status).toBe('INACTIVE');
  });
});

describe('EFS DeleteFileSystem: FileSystemInUse while mount targets exist', () => {
  it('with a mount target, then without', async () => {
    const vpc = await newVpc();
    const fs = await newFileSystem();
    const mt = (await direct.efs.send(new CreateMountTargetCommand({ FileSystemId: fs, SubnetId: await newSubnet(vpc, 1) }))).MountTargetId!;
    const deleteFs = () => via.efs.send(new DeleteFileSystemCommand({ FileSystemId: fs }));
    const e = await refused(deleteFs(), 'FileSystemInUse', 409);
    expect(e.message).toContain(fs);
    expect((e as AwsError & { ErrorCode?: string }).ErrorCode).toBe('FileSystemInUse');
    expect(lastReason()).toContain(mt);
    await direct.efs.send(new DeleteMountTargetCommand({ MountTargetId: mt }));
    await deleteFs();
    const left = (await direct.efs.send(new DescribeFileSystemsCommand({}))).FileSystems ?? [];
    expect(left.some((f) => f.FileSystemId === fs)).toBe(false);
  });
});

describe('RDS DeleteDBSubnetGroup: InvalidDBSubnetGroupStateFault while an instance uses it', () => {
  it('with an instance, then without', async () => {
    const { vpc, a, b } = await twoZones();
    const group = await newDbSubnetGroup([a, b]);
    const db = await newDbInstance(group, [await newGroup(vpc.id)]);
    const deleteGroup = () => via.rds.send(new DeleteDBSubnetGroupCommand({ DBSubnetGroupName: group }));
    const e = await refused(deleteGroup(), 'InvalidDBSubnetGroupStateFault');
    expect(e.message).toBe(`Cannot delete the subnet group '${group}' because at least one database instance: ${db} is still using it.`);
    await direct.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: db, SkipFinalSnapshot: true }));
    await deleteGroup();
    const left = await direct.rds.send(new DescribeDBSubnetGroupsCommand({})).then((r) => r.DBSubnetGroups ?? []);
    expect(left.some((g) => g.DBSubnetGroupName === group)).toBe(false);
  });
});

describe('the proxy with the rules', () => {
  it('forwards what no rule guards, and records it', async () => {
    proxy.reset();
    const vpc = (await via.ec2.send(new CreateVpcCommand({ CidrBlock: '10.251.0.0/16' }))).Vpc!.VpcId!;
    expect(proxy.mutating().map((c) => c.operation)).toEqual(['CreateVpc']);
    await via.ec2.send(new DeleteVpcCommand({ VpcId: vpc }));
    expect(proxy.calls.map((c) => c.operation)).toEqual(['CreateVpc', 'DeleteVpc']);
  });
});
