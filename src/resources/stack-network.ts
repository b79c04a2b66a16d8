/**
 * The network tier: VPC over `network.azCount` AZs, public/app/data subnets in each, internet
 * gateway, NAT gateways with Elastic IPs (one per AZ, or a single one), route tables, network ACLs
 * per tier, security groups chained by reference, an empty default security group, flow logs.
 */
import { planSubnets, type SubnetTier } from '../config/cidr.js';
import { elasticIpKind } from './elastic-ip.js';
import { flowLogKind } from './flow-log.js';
import { iamRoleKind, roleName } from './iam-role.js';
import { internetGatewayKind } from './internet-gateway.js';
import { logGroupKind, logGroupName } from './log-group.js';
import { natGatewayKind } from './nat-gateway.js';
import { defaultNetworkAclKind, networkAclKind, type AclRule } from './network-acl.js';
import { routeTableKind } from './route-table.js';
import { defaultSecurityGroupKind, securityGroupKind, securityGroupRulesKind, type SgRule } from './security-group.js';
import { azLetter, createDep, dep, deleteDep, type StepBuilder } from './step-builder.js';
import { subnetKind } from './subnet.js';
import type { Inputs, ResourceKind } from './types.js';
import { vpcKind } from './vpc.js';

export const NETWORK_KINDS: ResourceKind[] = [
  vpcKind, defaultSecurityGroupKind, defaultNetworkAclKind, internetGatewayKind, subnetKind, elasticIpKind, natGatewayKind, routeTableKind, networkAclKind,
  securityGroupKind, securityGroupRulesKind, logGroupKind, iamRoleKind, flowLogKind,
] as ResourceKind[];

const TCP = '6';
const ANY = '0.0.0.0/0';
const EPHEMERAL = { fromPort: 1024, toPort: 65535 };

/**
 * WordPress calls itself by the site's address: wp-cron's spawn request on page loads, and the
 * loopback requests of Site Health and the plugin and theme editors. That address resolves to the
 * load balancer's public addresses, so the request leaves through the NAT gateway and comes back in
 * through the internet gateway. With a domain it is https (443, which the tasks may send anyway);
 * without one it is http://<load balancer>, port 80, so only then do the tasks' security group and
 * network ACL let 80 out to the internet. Without it scheduled posts and cron never run.
 *
 * Chosen over a scheduled task that runs wp-cron with DISABLE_WP_CRON (EventBridge Scheduler or an
 * ECS scheduled task): that fixes cron only, not the loopback requests, and adds a schedule, a role
 * allowed to run the task and pass both task roles, and their permissions; port 80 out opens no
 * more than 443 out already does. The path is tested end to end over what the emulator holds
 * (test/support/reachability.ts).
 */
export const tasksCallSiteOverHttp = (config: { domain?: unknown }) => !config.domain;

/**
 * Network ACL rules per tier: explicit and numbered. Return traffic from the internet needs the
 * ephemeral ports: the NAT gateways and the ALB use 1024-65535 (split around 3389, so nothing opens
 * 22 or 3389 to the world, FSBP EC2.21); the tasks are Linux, whose ephemeral ports start at 32768,
 * so the app tier admits the internet only there (not on 2049 or 3306 either). `httpOut`: the app
 * tier may send 80 to the internet (tasksCallSiteOverHttp).
 */
export function aclRules(tier: SubnetTier, vpcCidr: string, proxy = false, httpOut = false): AclRule[] {
  const rule = (ruleNumber: number, egress: boolean, cidr: string, fromPort: number, toPort = fromPort): AclRule =>
    ({ ruleNumber, egress, protocol: TCP, cidr, fromPort, toPort, action: 'allow' });
  const ephemeralFromWorld = (n: number) => [rule(n, false, ANY, 1024, 3388), rule(n + 5, false, ANY, 3390, 65535)];
  switch (tier) {
    case 'public': // the ALB and the NAT gateways
      return [
        rule(100, false, ANY, 80), rule(110, false, ANY, 443), ...ephemeralFromWorld(120),
        rule(100, true, ANY, 80), rule(110, true, ANY, 443), rule(120, true, ANY, EPHEMERAL.fromPort, EPHEMERAL.toPort),
      ];
    case 'app': // Fargate tasks (HTTP from the ALB) and EFS mount targets (NFS from the tasks)
      return [
        rule(100, false, vpcCidr, 80), rule(110, false, vpcCidr, 2049), rule(120, false, ANY, 32768, 65535),
        rule(100, true, ANY, 443), rule(110, true, vpcCidr, 3306), rule(120, true, vpcCidr, 2049), rule(130, true, vpcCidr, EPHEMERAL.fromPort, EPHEMERAL.toPort),
        ...(httpOut ? [rule(140, true, ANY, 80)] : []),
      ];
    case 'data': // RDS: MySQL from inside the VPC, answers back into it; no internet either way
      return [
        rule(100, false, vpcCidr, 3306), rule(100, true, vpcCidr, EPHEMERAL.fromPort, EPHEMERAL.toPort),
        // The RDS Proxy lives in the data subnets too, and reaches the database across AZs.
        ...(proxy ? [rule(110, false, vpcCidr, EPHEMERAL.fromPort, EPHEMERAL.toPort), rule(110, true, vpcCidr, 3306)] : []),
      ];
  }
}

/** Step id of a subnet: `subnet-<tier>-<az letter>`. */
export const subnetStep = (tier: SubnetTier, az: string) => `subnet-${tier}-${az}`;

export function networkSteps(b: StepBuilder): void {
  const { config, ctx } = b;
  const { stack } = config;
  const azs = b.azs;
  const natAzs = config.network.natGateways === 'perAz' ? azs : [azs[0]!];
  const subnets = planSubnets(config.network.cidr, config.network.azCount)!;
  const add = b.add.bind(b);
  const vpcId = (i: Inputs) => i.get('vpc', 'vpcId');
  // Dependencies: `dep` orders both ways (created after, deleted before); `createDep` only `up`;
  // `deleteDep` only `down` (Dependency.only). Each says what AWS requires.
  const inVpc = dep('vpc', 'created inside the VPC, which cannot be deleted while it exists');

  add('vpc', 'vpc', vpcKind, [], (_, tags) => ({ cidr: config.network.cidr, dnsSupport: true, dnsHostnames: true, tags }), { preflight: { quotas: [{ quota: 'vpc', amount: 1 }] } });
  add('default-sg', 'default-sg', defaultSecurityGroupKind, [createDep('vpc', 'AWS creates it with the VPC, and deletes it with it')], (i, tags) => ({ vpcId: vpcId(i), tags }));
  add('default-nacl', 'default-nacl', defaultNetworkAclKind, [createDep('vpc', 'AWS creates it with the VPC, and deletes it with it')], (i, tags) => ({ vpcId: vpcId(i), tags }));
  add('igw', 'igw', internetGatewayKind, [dep('vpc', 'attached to the VPC, which cannot be deleted while it is attached')], (i, tags) => ({ vpcId: vpcId(i), tags }),
    { preflight: { quotas: [{ quota: 'igw', amount: 1 }] } });

  for (const s of subnets) {
    const az = azLetter(s.azIndex);
    add(subnetStep(s.tier, az), `${s.tier}-${az}`, subnetKind, [inVpc], (i, tags) => ({ vpcId: vpcId(i), cidr: s.cidr, az: ctx.zones[s.azIndex]!, tags }));
  }

  for (const az of natAzs) {
    // Allocating an address needs no gateway; releasing it must come before the gateway is detached.
    add(`eip-nat-${az}`, `nat-${az}`, elasticIpKind, [
      deleteDep('igw', 'released before the internet gateway is detached: AWS refuses to detach it while public addresses are mapped in the VPC'),
    ], (_, tags) => ({ tags }), { preflight: { quotas: [{ quota: 'eip', amount: 1 }] } });
    add(`nat-${az}`, `nat-${az}`, natGatewayKind, [
      dep(subnetStep('public', az), 'lives in the public subnet of its AZ; its interface keeps the subnet until it is deleted'),
      dep(`eip-nat-${az}`, 'needs its Elastic IP, which cannot be released while the gateway holds it'),
      // On delete it comes before the gateway anyway: the NAT before the address it holds, the address before the gateway.
      createDep('igw', 'a public NAT gateway fails without an internet gateway on the VPC'),
    ], (i, tags) => ({ subnetId: i.get(subnetStep('public', az), 'subnetId'), allocationId: i.get(`eip-nat-${az}`, 'allocationId'), tags }),
    { preflight: { quotas: [{ quota: 'nat-per-az', amount: 1, scope: ctx.zones[azs.indexOf(az)] }] } });
  }

  const tierSubnets = (tier: SubnetTier) => azs.map((az) => subnetStep(tier, az));
  // A route table goes before its subnets (disassociated, then deleted); a route to a gateway that is
  // deleted first only turns into a blackhole, so routes order `up` only.
  const associated = (s: string) => dep(s, 'associated with it; disassociated before the subnet goes');
  add('rt-public', 'public', routeTableKind, [inVpc, createDep('igw', 'its default route targets the internet gateway'), ...tierSubnets('public').map(associated)],
    (i, tags) => ({ vpcId: vpcId(i), routes: [{ destination: ANY, gatewayId: i.get('igw', 'internetGatewayId') }], subnetIds: tierSubnets('public').map((s) => i.get(s, 'subnetId')), tags }));
  for (const az of azs) {
    const nat = `nat-${natAzs.includes(az) ? az : natAzs[0]}`;
    add(`rt-app-${az}`, `app-${az}`, routeTableKind, [inVpc, createDep(nat, 'its default route targets the NAT gateway of its AZ'), associated(subnetStep('app', az))],
      (i, tags) => ({ vpcId: vpcId(i), routes: [{ destination: ANY, natGatewayId: i.get(nat, 'natGatewayId') }], subnetIds: [i.get(subnetStep('app', az), 'subnetId')], tags }));
  }
  add('rt-data', 'data', routeTableKind, [inVpc, ...tierSubnets('data').map(associated)],
    (i, tags) => ({ vpcId: vpcId(i), routes: [], subnetIds: tierSubnets('data').map((s) => i.get(s, 'subnetId')), tags }));

  for (const tier of ['public', 'app', 'data'] as const) {
    add(`nacl-${tier}`, tier, networkAclKind, [inVpc, ...tierSubnets(tier).map((s) => dep(s, 'associated with it; its subnets move back to the default ACL before they go'))],
      (i, tags) => ({ vpcId: vpcId(i), rules: aclRules(tier, config.network.cidr, config.database.proxy, tasksCallSiteOverHttp(config)), subnetIds: tierSubnets(tier).map((s) => i.get(s, 'subnetId')), tags }));
  }

  const groups = {
    alb: 'load balancer: HTTP and HTTPS from the internet',
    app: 'WordPress tasks: HTTP from the load balancer',
    db: 'database: MySQL from the WordPress tasks',
    efs: 'file system: NFS from the WordPress tasks',
  } as const;
  for (const [role, description] of Object.entries(groups)) {
    add(`sg-${role}`, role, securityGroupKind, [inVpc], (i, tags) => ({ vpcId: vpcId(i), name: `${stack}-${role}`, description: `wpdeploy ${stack} ${description}`, tags }));
  }
  const g = (i: Inputs, role: keyof typeof groups) => i.get(`sg-${role}`, 'groupId');
  const tcp = (port: number, src: { cidr?: string; sourceGroupId?: string }, description: string): SgRule => ({ protocol: 'tcp', fromPort: port, toPort: port, ...src, description });
  // With database.proxy, WordPress reaches MySQL through the RDS Proxy (its group, `sg-db-proxy`, is
  // the data tier's): the app sends 3306 to the proxy, and the database admits only the proxy.
  const PROXY = 'db-proxy';
  const viaProxy = config.database.proxy;
  const mysqlPeer = (i: Inputs) => (viaProxy ? i.get(`sg-${PROXY}`, 'groupId') : g(i, 'db'));
  const rules = (role: keyof typeof groups, peers: string[], spec: (i: Inputs) => { ingress: SgRule[]; egress: SgRule[] }) =>
    add(`sg-${role}-rules`, `${role}-rules`, securityGroupRulesKind,
      [
        createDep(`sg-${role}`, 'the rules belong to the group (deleting the group takes them)'),
        ...peers.map((p) => dep(`sg-${p}`, 'a rule references this group, which cannot be deleted while referenced')),
      ],
      (i) => ({ groupId: g(i, role), ...spec(i) }));
  rules('alb', ['app'], (i) => ({
    ingress: [tcp(80, { cidr: ANY }, 'HTTP from the internet'), tcp(443, { cidr: ANY }, 'HTTPS from the internet')],
    egress: [tcp(80, { sourceGroupId: g(i, 'app') }, 'to the WordPress tasks')],
  }));
  rules('app', ['alb', viaProxy ? PROXY : 'db', 'efs'], (i) => ({
    ingress: [tcp(80, { sourceGroupId: g(i, 'alb') }, 'HTTP from the load balancer')],
    egress: [
      tcp(443, { cidr: ANY }, 'HTTPS out: image pulls, AWS APIs, WordPress updates'),
      ...(tasksCallSiteOverHttp(config) ? [tcp(80, { cidr: ANY }, 'HTTP out: WordPress calls itself at http://<load balancer> (wp-cron, Site Health)')] : []),
      tcp(3306, { sourceGroupId: mysqlPeer(i) }, viaProxy ? 'MySQL to the RDS Proxy' : 'MySQL to the database'),
      tcp(2049, { sourceGroupId: g(i, 'efs') }, 'NFS to the file system'),
    ],
  }));
  rules('db', [viaProxy ? PROXY : 'app'], (i) => ({
    ingress: [viaProxy ? tcp(3306, { sourceGroupId: i.get(`sg-${PROXY}`, 'groupId') }, 'MySQL from the RDS Proxy') : tcp(3306, { sourceGroupId: g(i, 'app') }, 'MySQL from the WordPress tasks')],
    egress: [],
  }));
  rules('efs', ['app'], (i) => ({ ingress: [tcp(2049, { sourceGroupId: g(i, 'app') }, 'NFS from the WordPress tasks')], egress: [] }));

  if (config.network.flowLogs) {
    const groupName = logGroupName(stack, 'vpc-flow-logs');
    add('flow-logs-group', 'vpc-flow-logs', logGroupKind, [], (_, tags) => ({ name: groupName, retentionDays: config.logs.retentionDays, tags }));
    add('flow-logs-role', 'vpc-flow-logs', iamRoleKind, [createDep('flow-logs-group', 'its policy names the log group')], (i, tags) => ({
      name: roleName(stack, 'flow-logs', config.region),
      description: `wpdeploy ${stack}: lets VPC Flow Logs write to ${groupName}`,
      trustService: 'vpc-flow-logs.amazonaws.com',
      sourceAccount: ctx.account,
      // What AWS's flow-log documentation lists for the role
      // (https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html), on this stack's group only;
      // logs:DescribeLogGroups takes no resource but `*` (Service Authorization Reference, CloudWatch Logs).
      inlinePolicies: {
        'write-flow-logs': {
          Version: '2012-10-17' as const,
          Statement: [{
            Effect: 'Allow' as const,
            Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
            Resource: [i.get('flow-logs-group', 'arn'), `${i.get('flow-logs-group', 'arn')}:*`],
          }, {
            Effect: 'Allow' as const,
            Action: ['logs:DescribeLogGroups'],
            Resource: '*',
          }],
        },
      },
      managedPolicyArns: [],
      tags,
    }));
    add('flow-log', 'vpc-flow-log', flowLogKind, [
      inVpc, createDep('flow-logs-group', 'writes to it'), createDep('flow-logs-role', 'delivers with it'),
    ], (i, tags) => ({
      vpcId: vpcId(i), logGroupName: groupName, roleArn: i.get('flow-logs-role', 'arn'), trafficType: 'ALL' as const, tags,
    }));
  }
}
