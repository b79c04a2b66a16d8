/**
 * The ordering rules AWS enforces on delete, detach and release calls and moto 5.1.1 does not
 * (docs/emulator.md), as an interceptor for the recording proxy (aws-proxy.ts).
 *
 * For each guarded call the interceptor looks at what moto holds (SDK clients pointed straight at
 * moto, never through the proxy) and, when real AWS would refuse, answers with the error AWS gives,
 * in that protocol's wire format; otherwise it lets the call through to moto. So a green run through
 * `startStrictProxy` says the CLI deletes in an order AWS accepts.
 *
 * Where moto keeps something that real AWS frees (a NAT gateway in state `deleted` keeps its network
 * interface and its Elastic IP association in moto), the rules follow AWS and treat it as gone.
 *
 * On the creation side it refuses, the same way, the names and tags AWS refuses and moto accepts
 * (aws-name-rules.ts): a generated name that breaks a limit fails the test that sends it.
 *
 * Each refusal is recorded on the interceptor (`rules.refused`) with the reason, which AWS itself
 * does not give. A lookup that fails is recorded in `rules.lookupErrors` and answered with an error
 * the CLI does not retry (`TestRulesLookupFailed`): a rule that cannot look never lets a call through.
 * The one exception is a lookup that finds the named resource gone (a retried delete whose first
 * attempt took effect): moto then gives AWS's own not-found answer.
 */
import { randomUUID } from 'node:crypto';
import {
  DescribeAddressesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNetworkAclsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  paginateDescribeInternetGateways,
  paginateDescribeNatGateways,
  paginateDescribeNetworkAcls,
  paginateDescribeNetworkInterfaces,
  paginateDescribeRouteTables,
  paginateDescribeSecurityGroups,
  paginateDescribeSubnets,
  type Filter,
  type NatGateway,
  type NetworkInterface,
} from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, ECSClient, paginateListClusters, paginateListServices, type Service } from '@aws-sdk/client-ecs';
import { DescribeMountTargetSecurityGroupsCommand, EFSClient, paginateDescribeFileSystems, paginateDescribeMountTargets, type MountTargetDescription } from '@aws-sdk/client-efs';
import {
  DescribeLoadBalancerAttributesCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeListeners,
  paginateDescribeLoadBalancers,
  paginateDescribeRules,
  type Action,
  type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { paginateDescribeDBClusters, paginateDescribeDBInstances, RDSClient } from '@aws-sdk/client-rds';
import { ListResourceRecordSetsCommand, Route53Client, RRType } from '@aws-sdk/client-route-53';
import { aftermath, type Aftermath, type AftermathOptions } from './aws-aftermath.js';
import { nameRefusal } from './aws-name-rules.js';
import { startProxy, type AwsCall, type AwsProxy, type Interceptor, type Reply } from './aws-proxy.js';
import { awsCreateRules, type CreateRules } from './aws-rules-create.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// ---------------------------------------------------------------------------------------------
// Public surface
// ---------------------------------------------------------------------------------------------

/** One call the rules answered themselves, as AWS would have refused it. */
export interface Refusal {
  rule: string;
  code: string;
  message: string;
  /** What holds the resource (AWS does not say; this is for the person reading a failed test). */
  reason: string;
  requestId: string;
  call: AwsCall;
}

export interface LookupError {
  rule: string;
  call: AwsCall;
  error: string;
}

export type OrderingRules = Interceptor & {
  /** Calls refused that the CLI should not have made (a delete in a wrong order, say). */
  readonly refused: Refusal[];
  /**
   * Calls refused for what AWS still keeps a while after its owner's delete (lingering interfaces, a
   * certificate still counted in use): no mistake of the CLI, which must wait them out.
   */
  readonly waited: Refusal[];
  readonly lookupErrors: LookupError[];
  /** What AWS keeps after a call (lingering interfaces, pending RDS modifications): aws-aftermath.ts. */
  readonly aftermath: Aftermath;
};

export interface RulesOptions extends AftermathOptions {
  /** The region to look in when the call does not carry one (default us-east-1). */
  region?: string;
}

/** Request ids of the errors the rules make start with this, so a test can tell them from moto's. */
export const RULES_REQUEST_ID_PREFIX = '0rd3r1ng-';

export function awsOrderingRules(motoEndpoint: string, options: RulesOptions = {}): OrderingRules {
  const refused: Refusal[] = [];
  const waited: Refusal[] = [];
  const lookupErrors: LookupError[] = [];
  const clients = clientCache(motoEndpoint);
  const after = aftermath({ live: (c, filters, ids) => liveInterfaces(c, filters, ids), groupIdByName }, options);
  const refuse = (rule: string, protocol: Protocol, verdict: Refuse & { transient?: boolean }, call: AwsCall) => {
    const requestId = RULES_REQUEST_ID_PREFIX + randomUUID().slice(RULES_REQUEST_ID_PREFIX.length);
    (verdict.transient ? waited : refused).push({ rule, code: verdict.code, message: verdict.message, reason: verdict.reason, requestId, call });
    return wire(protocol, verdict, requestId);
  };
  const fn = async (call: AwsCall): Promise<Reply | undefined> => {
    // Creation side: names and tags AWS refuses (aws-name-rules.ts); no lookup needed.
    const named = nameRefusal(call);
    if (named) return refuse(named.rule, named.protocol, named, call);
    const rule = RULES.find((r) => r.service === call.service && matches(r.operation, call.operation));
    const c = context(call, clients(regionOf(call, options)));
    let step = 'aftermath';
    try {
      const answer = await after.answer(c);
      if (answer) return answer;
      const kept = await after.refuse(c);
      if (kept) return refuse(kept.rule, kept.protocol, kept, call);
      if (rule) {
        step = rule.name;
        const verdict = await rule.check(c);
        if (verdict) return refuse(rule.name, rule.protocol, verdict, call);
      }
      step = 'aftermath';
      await after.observe(c);
    } catch (err) {
      // The resource the call names is gone (a retried delete whose first attempt took effect):
      // nothing holds it, and moto answers the not-found AWS gives.
      if (err instanceof Error && /NotFound(Exception|Fault)?$/.test(err.name)) return undefined;
      const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      lookupErrors.push({ rule: step, call, error });
      // Fail closed: a rule that cannot look never lets the call through. The CLI gets an error it
      // does not retry, so the test fails on it, and `lookupErrors` says why.
      const requestId = RULES_REQUEST_ID_PREFIX + randomUUID().slice(RULES_REQUEST_ID_PREFIX.length);
      return wire(rule?.protocol ?? protocolOf(call.service), { code: 'TestRulesLookupFailed', message: `the test rules could not check this call (${step}): ${error}`, reason: error }, requestId);
    }
    return undefined;
  };
  return Object.assign(fn, { refused, waited, lookupErrors, aftermath: after });
}

/** A recording proxy in front of moto that refuses what AWS would refuse (creation rules, then ordering rules). */
export async function startStrictProxy(motoEndpoint: string, options: RulesOptions = {}): Promise<AwsProxy & { rules: OrderingRules; createRules: CreateRules }> {
  const proxy = await startProxy(motoEndpoint);
  const rules = awsOrderingRules(motoEndpoint, options);
  const createRules = awsCreateRules(motoEndpoint);
  proxy.intercept(async (call) => (await createRules(call)) ?? rules(call));
  return Object.assign(proxy, { rules, createRules });
}

// ---------------------------------------------------------------------------------------------
// The rules
// ---------------------------------------------------------------------------------------------

type Protocol = 'ec2' | 'query' | 'json' | 'rest-json' | 'rest-xml';

/** The wire protocol of a service's errors, for a call no rule names. */
function protocolOf(service: string): Protocol {
  if (service === 'ec2') return 'ec2';
  if (['elasticloadbalancing', 'rds', 'iam', 'sts'].includes(service)) return 'query';
  if (['elasticfilesystem', 'backup'].includes(service)) return 'rest-json';
  if (['route53', 's3'].includes(service)) return 'rest-xml';
  return 'json';
}

export interface Refuse {
  code: string;
  message: string;
  reason: string;
  status?: number;
}

interface Rule {
  name: string;
  service: string;
  /** The operation as AwsCall names it; a RegExp for REST paths. */
  operation: string | RegExp;
  protocol: Protocol;
  check: (c: Ctx) => Promise<Refuse | undefined>;
}

const EFS_DELETE_FS = /^DELETE \/2015-02-01\/file-systems\/([^/]+)$/;
const R53_CHANGE = /^POST \/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/;

const RULES: Rule[] = [
  { name: 'subnet in use', service: 'ec2', operation: 'DeleteSubnet', protocol: 'ec2', check: deleteSubnet },
  { name: 'security group in use', service: 'ec2', operation: 'DeleteSecurityGroup', protocol: 'ec2', check: deleteSecurityGroup },
  { name: 'public addresses mapped', service: 'ec2', operation: 'DetachInternetGateway', protocol: 'ec2', check: detachInternetGateway },
  { name: 'internet gateway attached', service: 'ec2', operation: 'DeleteInternetGateway', protocol: 'ec2', check: deleteInternetGateway },
  { name: 'address in use', service: 'ec2', operation: 'ReleaseAddress', protocol: 'ec2', check: releaseAddress },
  { name: 'vpc has dependencies', service: 'ec2', operation: 'DeleteVpc', protocol: 'ec2', check: deleteVpc },
  { name: 'route table associated', service: 'ec2', operation: 'DeleteRouteTable', protocol: 'ec2', check: deleteRouteTable },
  { name: 'network ACL associated', service: 'ec2', operation: 'DeleteNetworkAcl', protocol: 'ec2', check: deleteNetworkAcl },
  { name: 'target group in use', service: 'elasticloadbalancing', operation: 'DeleteTargetGroup', protocol: 'query', check: deleteTargetGroup },
  { name: 'load balancer protected', service: 'elasticloadbalancing', operation: 'DeleteLoadBalancer', protocol: 'query', check: deleteLoadBalancer },
  { name: 'cluster has services', service: 'ecs', operation: 'DeleteCluster', protocol: 'json', check: deleteCluster },
  { name: 'service scaled above 0', service: 'ecs', operation: 'DeleteService', protocol: 'json', check: deleteService },
  { name: 'file system has mount targets', service: 'elasticfilesystem', operation: EFS_DELETE_FS, protocol: 'rest-json', check: deleteFileSystem },
  { name: 'DB subnet group in use', service: 'rds', operation: 'DeleteDBSubnetGroup', protocol: 'query', check: deleteDbSubnetGroup },
  { name: 'record already exists', service: 'route53', operation: R53_CHANGE, protocol: 'query', check: createRecordSet },
];

const dependencyViolation = (message: string, reason: string): Refuse => ({ code: 'DependencyViolation', message, reason });

/** The first reason found, or undefined. */
async function firstOf(...finders: Array<() => Promise<string | undefined>>): Promise<string | undefined> {
  for (const find of finders) {
    const reason = await find();
    if (reason) return reason;
  }
  return undefined;
}

async function deleteSubnet(c: Ctx): Promise<Refuse | undefined> {
  const id = c.param('SubnetId');
  const reason = await firstOf(
    async () => first(await liveInterfaces(c, [{ Name: 'subnet-id', Values: [id] }]), (e) => `network interface ${e.NetworkInterfaceId} (${e.InterfaceType ?? 'interface'}: ${e.Description ?? ''})`),
    async () => first(await holdingNats(c, [{ Name: 'subnet-id', Values: [id] }]), (n) => `NAT gateway ${n.NatGatewayId} (${n.State})`),
    async () => first(await loadBalancers(c), (lb) => (lb.AvailabilityZones ?? []).some((z) => z.SubnetId === id) && `load balancer ${lb.LoadBalancerName}`),
    async () => first(await mountTargets(c), (mt) => mt.SubnetId === id && `EFS mount target ${mt.MountTargetId} of ${mt.FileSystemId}`),
    async () => first(await activeServices(c), (s) => (s.networkConfiguration?.awsvpcConfiguration?.subnets ?? []).includes(id) && `ECS service ${s.serviceArn} (${s.status})`),
    async () => first(await dbInstances(c), (db) => (db.DBSubnetGroup?.Subnets ?? []).some((s) => s.SubnetIdentifier === id) && `RDS instance ${db.DBInstanceIdentifier}`),
  );
  return reason ? dependencyViolation(`The subnet '${id}' has dependencies and cannot be deleted.`, reason) : undefined;
}

async function deleteSecurityGroup(c: Ctx): Promise<Refuse | undefined> {
  const id = c.params.get('GroupId') ?? (await groupIdByName(c, c.param('GroupName')));
  if (!id) return undefined;
  const refersTo = (perms: { UserIdGroupPairs?: { GroupId?: string }[] }[] | undefined) =>
    (perms ?? []).some((p) => (p.UserIdGroupPairs ?? []).some((pair) => pair.GroupId === id));
  const reason = await firstOf(
    async () => first(await securityGroups(c), (sg) => sg.GroupId !== id && (refersTo(sg.IpPermissions) || refersTo(sg.IpPermissionsEgress)) && `a rule of security group ${sg.GroupId} (${sg.GroupName})`),
    async () => first(await liveInterfaces(c, [{ Name: 'group-id', Values: [id] }]), (e) => `network interface ${e.NetworkInterfaceId} (${e.Description ?? ''})`),
    async () => first(await loadBalancers(c), (lb) => (lb.SecurityGroups ?? []).includes(id) && `load balancer ${lb.LoadBalancerName}`),
    async () => firstAsync(await mountTargets(c), async (mt) => (await mountTargetGroups(c, mt)).includes(id) && `EFS mount target ${mt.MountTargetId} of ${mt.FileSystemId}`),
    async () => first(await dbInstances(c), (db) => (db.VpcSecurityGroups ?? []).some((g) => g.VpcSecurityGroupId === id) && `RDS instance ${db.DBInstanceIdentifier}`),
    async () => first(await activeServices(c), (s) => (s.networkConfiguration?.awsvpcConfiguration?.securityGroups ?? []).includes(id) && `ECS service ${s.serviceArn} (${s.status})`),
  );
  return reason ? dependencyViolation(`resource ${id} has a dependent object`, reason) : undefined;
}

async function detachInternetGateway(c: Ctx): Promise<Refuse | undefined> {
  const igwId = c.param('InternetGatewayId');
  const vpcId = c.param('VpcId');
  const igw = (await c.aws.ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [igwId] }))).InternetGateways?.[0];
  if (!igw?.Attachments?.some((a) => a.VpcId === vpcId)) return undefined; // moto answers Gateway.NotAttached
  const enis = await liveInterfaces(c, [{ Name: 'vpc-id', Values: [vpcId] }]);
  const eniIds = new Set(enis.map((e) => e.NetworkInterfaceId));
  const reason = await firstOf(
    async () => first((await c.aws.ec2.send(new DescribeAddressesCommand({}))).Addresses ?? [], (a) => !!a.NetworkInterfaceId && eniIds.has(a.NetworkInterfaceId) && `Elastic IP ${a.PublicIp} (${a.AllocationId}) on ${a.NetworkInterfaceId}`),
    async () => first(enis, (e) => !!e.Association?.PublicIp && `public IP ${e.Association.PublicIp} on ${e.NetworkInterfaceId}`),
    async () => first(await holdingNats(c, [{ Name: 'vpc-id', Values: [vpcId] }]), (n) => (n.NatGatewayAddresses ?? []).some((a) => a.PublicIp || a.AllocationId) && `NAT gateway ${n.NatGatewayId} (${n.State})`),
  );
  return reason
    ? dependencyViolation(`Network ${vpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`, reason)
    : undefined;
}

async function deleteInternetGateway(c: Ctx): Promise<Refuse | undefined> {
  const id = c.param('InternetGatewayId');
  const igw = (await c.aws.ec2.send(new DescribeInternetGatewaysCommand({ InternetGatewayIds: [id] }))).InternetGateways?.[0];
  const attached = igw?.Attachments?.find((a) => a.State !== 'detached');
  return attached ? dependencyViolation(`The internetGateway '${id}' has dependencies and cannot be deleted.`, `attached to ${attached.VpcId}`) : undefined;
}

async function releaseAddress(c: Ctx): Promise<Refuse | undefined> {
  const allocationId = c.params.get('AllocationId');
  const publicIp = c.params.get('PublicIp');
  const query = allocationId ? { AllocationIds: [allocationId] } : publicIp ? { PublicIps: [publicIp] } : undefined;
  if (!query) return undefined;
  const address = (await c.aws.ec2.send(new DescribeAddressesCommand(query))).Addresses?.[0];
  if (!address) return undefined;
  const { freedInterfaces } = await natView(c);
  const reason = await firstOf(
    async () => first(await holdingNats(c), (n) => (n.NatGatewayAddresses ?? []).some((a) => (a.AllocationId && a.AllocationId === address.AllocationId) || a.PublicIp === address.PublicIp) && `NAT gateway ${n.NatGatewayId} (${n.State})`),
    async () => (address.NetworkInterfaceId && !freedInterfaces.has(address.NetworkInterfaceId) ? `associated with ${address.NetworkInterfaceId}` : undefined),
    async () => (address.InstanceId ? `associated with instance ${address.InstanceId}` : undefined),
    async () => (address.AssociationId && !(address.NetworkInterfaceId && freedInterfaces.has(address.NetworkInterfaceId)) ? `association ${address.AssociationId}` : undefined),
  );
  return reason ? { code: 'InvalidIPAddress.InUse', message: `Address ${allocationId ?? publicIp} is in use.`, reason } : undefined;
}

async function deleteVpc(c: Ctx): Promise<Refuse | undefined> {
  const id = c.param('VpcId');
  const inVpc: Filter[] = [{ Name: 'vpc-id', Values: [id] }];
  const reason = await firstOf(
    async () => first(await all(paginateDescribeSubnets({ client: c.aws.ec2 }, { Filters: inVpc }), (p) => p.Subnets), (s) => `subnet ${s.SubnetId}`),
    async () => first(await all(paginateDescribeInternetGateways({ client: c.aws.ec2 }, {}), (p) => p.InternetGateways), (g) => (g.Attachments ?? []).some((a) => a.VpcId === id && a.State !== 'detached') && `internet gateway ${g.InternetGatewayId} attached`),
    async () => first(await all(paginateDescribeSecurityGroups({ client: c.aws.ec2 }, { Filters: inVpc }), (p) => p.SecurityGroups), (g) => g.GroupName !== 'default' && `security group ${g.GroupId} (${g.GroupName})`),
    async () => first(await all(paginateDescribeRouteTables({ client: c.aws.ec2 }, { Filters: inVpc }), (p) => p.RouteTables), (t) => !(t.Associations ?? []).some((a) => a.Main) && `route table ${t.RouteTableId}`),
    async () => first(await all(paginateDescribeNetworkAcls({ client: c.aws.ec2 }, { Filters: inVpc }), (p) => p.NetworkAcls), (a) => !a.IsDefault && `network ACL ${a.NetworkAclId}`),
    async () => first(await holdingNats(c, inVpc), (n) => `NAT gateway ${n.NatGatewayId} (${n.State})`),
  );
  return reason ? dependencyViolation(`The vpc '${id}' has dependencies and cannot be deleted.`, reason) : undefined;
}

async function deleteRouteTable(c: Ctx): Promise<Refuse | undefined> {
  const id = c.param('RouteTableId');
  const table = (await c.aws.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [id] }))).RouteTables?.[0];
  const live = (table?.Associations ?? []).filter((a) => a.AssociationState?.State !== 'disassociated');
  const reason = first(live, (a) => (a.Main ? 'it is the main route table of its VPC' : `associated with ${a.SubnetId ?? a.GatewayId} (${a.RouteTableAssociationId})`));
  return reason ? dependencyViolation(`The routeTable '${id}' has dependencies and cannot be deleted.`, reason) : undefined;
}

async function deleteNetworkAcl(c: Ctx): Promise<Refuse | undefined> {
  const id = c.param('NetworkAclId');
  const acl = (await c.aws.ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [id] }))).NetworkAcls?.[0];
  const reason = first(acl?.Associations ?? [], (a) => `associated with ${a.SubnetId} (${a.NetworkAclAssociationId})`);
  return reason ? dependencyViolation(`The network ACL '${id}' has dependencies and cannot be deleted.`, reason) : undefined;
}

async function deleteTargetGroup(c: Ctx): Promise<Refuse | undefined> {
  const arn = c.param('TargetGroupArn');
  const reason = first(await forwardingActions(c), (f) => f.targetGroups.includes(arn) && f.from);
  return reason ? { code: 'ResourceInUse', message: `Target group '${arn}' is currently in use by a listener or a rule`, reason } : undefined;
}

async function deleteLoadBalancer(c: Ctx): Promise<Refuse | undefined> {
  const arn = c.param('LoadBalancerArn');
  const attrs = (await c.aws.elb.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn }))).Attributes ?? [];
  const on = attrs.some((a) => a.Key === 'deletion_protection.enabled' && a.Value === 'true');
  return on ? { code: 'OperationNotPermitted', message: `Load balancer '${arn}' cannot be deleted because deletion protection is enabled`, reason: 'deletion_protection.enabled = true' } : undefined;
}

async function deleteCluster(c: Ctx): Promise<Refuse | undefined> {
  const cluster = c.jsonString('cluster');
  const reason = first(await servicesOf(c, cluster), (s) => ACTIVE_SERVICE.has(s.status ?? '') && `service ${s.serviceName} (${s.status})`);
  return reason ? { code: 'ClusterContainsServicesException', message: 'The Cluster cannot be deleted while Services are active.', reason } : undefined;
}

async function deleteService(c: Ctx): Promise<Refuse | undefined> {
  if (c.json.force === true) return undefined;
  const cluster = typeof c.json.cluster === 'string' ? c.json.cluster : 'default';
  const service = c.jsonString('service');
  const s = (await c.aws.ecs.send(new DescribeServicesCommand({ cluster, services: [service] }))).services?.[0];
  if (!s || s.status !== 'ACTIVE' || (s.desiredCount ?? 0) === 0) return undefined;
  return { code: 'InvalidParameterException', message: 'The service cannot be stopped while it is scaled above 0.', reason: `desiredCount ${s.desiredCount}` };
}

async function deleteFileSystem(c: Ctx): Promise<Refuse | undefined> {
  const id = decodeURIComponent(EFS_DELETE_FS.exec(c.call.operation)?.[1] ?? '');
  const targets = await all(paginateDescribeMountTargets({ client: c.aws.efs }, { FileSystemId: id }), (p) => p.MountTargets);
  const reason = first(targets, (mt) => `mount target ${mt.MountTargetId} in ${mt.SubnetId} (${mt.LifeCycleState})`);
  return reason ? { code: 'FileSystemInUse', status: 409, message: `File system '${id}' has mount targets created in it; delete the mount targets first.`, reason } : undefined;
}

async function deleteDbSubnetGroup(c: Ctx): Promise<Refuse | undefined> {
  const name = c.param('DBSubnetGroupName');
  const same = (n: string | undefined) => n?.toLowerCase() === name.toLowerCase();
  const instance = (await dbInstances(c)).find((db) => same(db.DBSubnetGroup?.DBSubnetGroupName));
  if (instance) {
    return {
      code: 'InvalidDBSubnetGroupStateFault',
      message: `Cannot delete the subnet group '${name}' because at least one database instance: ${instance.DBInstanceIdentifier} is still using it.`,
      reason: `RDS instance ${instance.DBInstanceIdentifier} (${instance.DBInstanceStatus})`,
    };
  }
  const cluster = (await all(paginateDescribeDBClusters({ client: c.aws.rds }, {}), (p) => p.DBClusters)).find((cl) => same(cl.DBSubnetGroup));
  if (cluster) {
    return {
      code: 'InvalidDBSubnetGroupStateFault',
      message: `Cannot delete the subnet group '${name}' because at least one database cluster: ${cluster.DBClusterIdentifier} is still using it.`,
      reason: `RDS cluster ${cluster.DBClusterIdentifier} (${cluster.Status})`,
    };
  }
  return undefined;
}

/**
 * Route 53 refuses a CREATE when a record set of that name and type exists, whatever its values, and
 * applies none of the batch (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html:
 * "CREATE: Creates a resource record set that has the specified values"; InvalidChangeBatch otherwise).
 * moto 5 refuses only a CREATE identical to one in its change journal, and otherwise adds a second
 * record set of the same name and type (docs/emulator.md).
 */
/** A record type Route 53 knows; any other cannot be looked up, and the rule fails closed. */
function recordType(type: string): RRType {
  const known = Object.values(RRType).find((t) => t === type);
  if (!known) throw new Error(`not a Route 53 record type: ${type}`);
  return known;
}

async function createRecordSet(c: Ctx): Promise<Refuse | undefined> {
  const zoneId = decodeURIComponent(R53_CHANGE.exec(c.call.operation)?.[1] ?? '');
  const creates = [...c.call.body.matchAll(/<Change>([\s\S]*?)<\/Change>/g)].map((m) => m[1]!)
    .filter((ch) => /<Action>CREATE<\/Action>/.test(ch) && !/<SetIdentifier>/.test(ch))
    .map((ch) => ({ name: /<Name>([^<]+)<\/Name>/.exec(ch)![1]!, type: recordType(/<Type>([^<]+)<\/Type>/.exec(ch)![1]!) }));
  const norm = (n: string) => `${n.toLowerCase().replace(/\.$/, '')}.`;
  for (const want of creates) {
    const r = await c.aws.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: want.name, StartRecordType: want.type, MaxItems: 1 }));
    const have = r.ResourceRecordSets?.[0];
    if (have && norm(have.Name ?? '') === norm(want.name) && have.Type === want.type && !have.SetIdentifier) {
      return { code: 'InvalidChangeBatch', message: `[Tried to create resource record set [name='${norm(want.name)}', type='${want.type}'] but it already exists]`, reason: `${want.type} ${norm(want.name)} exists in ${zoneId}` };
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// What moto holds, the AWS way
// ---------------------------------------------------------------------------------------------

/** NAT gateway states in which AWS still holds its subnet, interface and Elastic IP. */
const HOLDING_NAT = new Set(['pending', 'available', 'deleting']);
/** ECS service statuses in which AWS still counts the service (INACTIVE is gone). */
const ACTIVE_SERVICE = new Set(['ACTIVE', 'DRAINING']);

async function nats(c: Ctx, filters?: Filter[]): Promise<NatGateway[]> {
  return all(paginateDescribeNatGateways({ client: c.aws.ec2 }, filters ? { Filter: filters } : {}), (p) => p.NatGateways);
}

async function holdingNats(c: Ctx, filters?: Filter[]): Promise<NatGateway[]> {
  return (await nats(c, filters)).filter((n) => HOLDING_NAT.has(n.State ?? ''));
}

/** The interfaces of NAT gateways AWS has let go of (deleted or failed), which moto keeps. */
async function natView(c: Ctx): Promise<{ freedInterfaces: Set<string> }> {
  const freed = (await nats(c)).filter((n) => !HOLDING_NAT.has(n.State ?? ''));
  return { freedInterfaces: new Set(freed.flatMap((n) => (n.NatGatewayAddresses ?? []).map((a) => a.NetworkInterfaceId ?? ''))) };
}

/** Network interfaces matching the filters, less those AWS would have deleted with their NAT gateway. */
async function liveInterfaces(c: Ctx, filters: Filter[], ids: string[] = []): Promise<NetworkInterface[]> {
  const query = { Filters: filters.length ? filters : undefined, NetworkInterfaceIds: ids.length ? ids : undefined };
  const [enis, { freedInterfaces }] = await Promise.all([
    all(paginateDescribeNetworkInterfaces({ client: c.aws.ec2 }, query), (p) => p.NetworkInterfaces),
    natView(c),
  ]);
  return enis.filter((e) => !freedInterfaces.has(e.NetworkInterfaceId ?? ''));
}

async function securityGroups(c: Ctx) {
  return all(paginateDescribeSecurityGroups({ client: c.aws.ec2 }, {}), (p) => p.SecurityGroups);
}

async function groupIdByName(c: Ctx, name: string): Promise<string | undefined> {
  return (await c.aws.ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: [name] }))).SecurityGroups?.[0]?.GroupId;
}

async function loadBalancers(c: Ctx): Promise<LoadBalancer[]> {
  return all(paginateDescribeLoadBalancers({ client: c.aws.elb }, {}), (p) => p.LoadBalancers);
}

/** Every listener default action and rule action, with the target groups it forwards to. */
async function forwardingActions(c: Ctx): Promise<{ from: string; targetGroups: string[] }[]> {
  const out: { from: string; targetGroups: string[] }[] = [];
  const targets = (actions: Action[] | undefined) =>
    (actions ?? []).flatMap((a) => [a.TargetGroupArn, ...(a.ForwardConfig?.TargetGroups ?? []).map((t) => t.TargetGroupArn)]).filter((x): x is string => !!x);
  for (const lb of await loadBalancers(c)) {
    const listeners = await unlessGone(all(paginateDescribeListeners({ client: c.aws.elb }, { LoadBalancerArn: lb.LoadBalancerArn }), (p) => p.Listeners));
    for (const l of listeners) {
      out.push({ from: `listener ${l.ListenerArn}`, targetGroups: targets(l.DefaultActions) });
      const rules = await unlessGone(all(paginateDescribeRules({ client: c.aws.elb }, { ListenerArn: l.ListenerArn }), (p) => p.Rules));
      for (const r of rules) out.push({ from: `rule ${r.RuleArn}`, targetGroups: targets(r.Actions) });
    }
  }
  return out;
}

/**
 * The items of a load balancer or listener that another test deleted since the listing: none (a
 * resource that is gone forwards to nothing). Only not-found means gone; any other error stands.
 */
async function unlessGone<T>(items: Promise<T[]>): Promise<T[]> {
  try {
    return await items;
  } catch (err) {
    if (err instanceof Error && /^(LoadBalancerNotFound|ListenerNotFound)(Exception)?$/.test(err.name)) return [];
    throw err;
  }
}

async function mountTargets(c: Ctx): Promise<MountTargetDescription[]> {
  const fileSystems = await all(paginateDescribeFileSystems({ client: c.aws.efs }, {}), (p) => p.FileSystems);
  const per = await Promise.all(
    fileSystems.map((fs) => all(paginateDescribeMountTargets({ client: c.aws.efs }, { FileSystemId: fs.FileSystemId }), (p) => p.MountTargets)),
  );
  return per.flat();
}

async function mountTargetGroups(c: Ctx, mt: MountTargetDescription): Promise<string[]> {
  return (await c.aws.efs.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: mt.MountTargetId }))).SecurityGroups ?? [];
}

async function dbInstances(c: Ctx) {
  return all(paginateDescribeDBInstances({ client: c.aws.rds }, {}), (p) => p.DBInstances);
}

async function servicesOf(c: Ctx, cluster: string): Promise<Service[]> {
  const arns = await all(paginateListServices({ client: c.aws.ecs }, { cluster }), (p) => p.serviceArns);
  const out: Service[] = [];
  for (let i = 0; i < arns.length; i += 10) {
    out.push(...((await c.aws.ecs.send(new DescribeServicesCommand({ cluster, services: arns.slice(i, i + 10) }))).services ?? []));
  }
  return out;
}

/** ECS services AWS still counts, in every cluster of the region. */
async function activeServices(c: Ctx): Promise<Service[]> {
  const clusters = await all(paginateListClusters({ client: c.aws.ecs }, {}), (p) => p.clusterArns);
  const per = await Promise.all(clusters.map((cl) => servicesOf(c, cl)));
  return per.flat().filter((s) => ACTIVE_SERVICE.has(s.status ?? ''));
}

// ---------------------------------------------------------------------------------------------
// Plumbing: clients, request parsing, wire formats
// ---------------------------------------------------------------------------------------------

interface Clients {
  ec2: EC2Client;
  elb: ElasticLoadBalancingV2Client;
  ecs: ECSClient;
  efs: EFSClient;
  rds: RDSClient;
  route53: Route53Client;
}

function clientCache(endpoint: string): (region: string) => Clients {
  const cache = new Map<string, Clients>();
  return (region) => {
    let c = cache.get(region);
    if (!c) {
      const config = { endpoint, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 2 };
      c = { ec2: new EC2Client(config), elb: new ElasticLoadBalancingV2Client(config), ecs: new ECSClient(config), efs: new EFSClient(config), rds: new RDSClient(config), route53: new Route53Client(config) };
      cache.set(region, c);
    }
    return c;
  };
}

/** The region in the call's credential scope, when the proxy passes it on; else the default. */
function regionOf(call: AwsCall, options: RulesOptions): string {
  return call.region || options.region || 'us-east-1';
}

export interface Ctx {
  call: AwsCall;
  aws: Clients;
  /** Query-protocol parameters (EC2, ELBv2, RDS, IAM). */
  params: URLSearchParams;
  /** A JSON body (ECS). */
  json: Record<string, unknown>;
  /** A required query parameter. */
  param(name: string): string;
  /** A required JSON string member. */
  jsonString(name: string): string;
}

function context(call: AwsCall, aws: Clients): Ctx {
  const params = new URLSearchParams(call.body);
  let json: Record<string, unknown> = {};
  if (call.body.trimStart().startsWith('{')) {
    try {
      json = JSON.parse(call.body) as Record<string, unknown>;
    } catch {
      // not JSON after all
    }
  }
  return {
    call,
    aws,
    params,
    json,
    param(name) {
      const v = params.get(name);
      if (!v) throw new Error(`${call.operation} without ${name}`);
      return v;
    },
    jsonString(name) {
      const v = json[name];
      if (typeof v !== 'string' || !v) throw new Error(`${call.operation} without ${name}`);
      return v;
    },
  };
}

function matches(op: string | RegExp, operation: string): boolean {
  return typeof op === 'string' ? op === operation : op.test(operation);
}

/** Every item of every page. */
async function all<P, T>(pages: AsyncIterable<P>, items: (page: P) => T[] | undefined): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...(items(page) ?? []));
  return out;
}

/** The first truthy description of an item. */
function first<T>(items: T[], describe: (item: T) => string | false | undefined | null): string | undefined {
  for (const item of items) {
    const d = describe(item);
    if (d) return d;
  }
  return undefined;
}

async function firstAsync<T>(items: T[], describe: (item: T) => Promise<string | false | undefined>): Promise<string | undefined> {
  for (const item of items) {
    const d = await describe(item);
    if (d) return d;
  }
  return undefined;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function wire(protocol: Protocol, r: Refuse, requestId: string): Reply {
  switch (protocol) {
    case 'ec2':
      return {
        status: r.status ?? 400,
        headers: { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${xml(r.code)}</Code><Message>${xml(r.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
      };
    case 'query':
      return {
        status: r.status ?? 400,
        headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
        body: `<ErrorResponse><Error><Type>Sender</Type><Code>${xml(r.code)}</Code><Message>${xml(r.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
      };
    case 'json':
      return {
        status: r.status ?? 400,
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId },
        body: JSON.stringify({ __type: r.code, message: r.message }),
      };
    case 'rest-json':
      return {
        status: r.status ?? 400,
        headers: { 'content-type': 'application/json', 'x-amzn-errortype': r.code, 'x-amzn-requestid': requestId },
        body: JSON.stringify({ ErrorCode: r.code, Message: r.message }),
      };
    case 'rest-xml': // S3
      return {
        status: r.status ?? 400,
        headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
        body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${xml(r.code)}</Code><Message>${xml(r.message)}</Message><RequestId>${requestId}</RequestId></Error>`,
      };
  }
}
