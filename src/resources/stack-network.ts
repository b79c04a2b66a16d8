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
import { azLetter, createDep, deleteDep, type Step, type StepBuilder } from './step-builder.js';
import { subnetKind } from './subnet.js';
import { vpcKind } from './vpc.js';

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

type Subnet = Step<'subnetId' | 'az' | 'cidr'>;
type Group = Step<'groupId'>;
/** The roles of the security groups every stack has (the RDS Proxy's is `Network.proxyGroup`). */
type GroupRole = 'alb' | 'app' | 'db' | 'efs';

/** The network's steps that the other tiers read or wait for. */
export interface Network {
  vpc: Step<'vpcId' | 'cidr'>;
  igw: Step<'internetGatewayId'>;
  /** The subnets of each tier, one per AZ, in AZ order. */
  subnets: Record<SubnetTier, Subnet[]>;
  groups: Record<GroupRole, Group>;
  /** The RDS Proxy's group (`database.proxy`): the data tier adds its rules, which name the app's and the database's groups. */
  proxyGroup?: Group;
  /** The app group's rules: the tasks need their egress to pull the image and reach the database. */
  appRules: Step;
  /** The app subnets' route tables, one per AZ: the tasks pull the image through the NAT gateway. */
  appRoutes: Step[];
}

export function networkSteps(b: StepBuilder): Network {
  const { config, ctx } = b;
  const vpc = b.add('vpc', 'vpc', vpcKind, [], (tags) => ({ cidr: config.network.cidr, dnsSupport: true, dnsHostnames: true, tags }),
    { preflight: { quotas: [{ quota: 'vpc', amount: 1 }] } });
  // AWS creates the default group and ACL with the VPC, and deletes them with it: reading its id orders only `up`.
  b.add('default-sg', 'default-sg', defaultSecurityGroupKind, [], (tags) => ({ vpcId: vpc.out.vpcId, tags }));
  b.add('default-nacl', 'default-nacl', defaultNetworkAclKind, [], (tags) => ({ vpcId: vpc.out.vpcId, tags }));
  const igw = b.add('igw', 'igw', internetGatewayKind, [deleteDep(vpc, 'attached to the VPC, which cannot be deleted while it is attached')],
    (tags) => ({ vpcId: vpc.out.vpcId, tags }), { preflight: { quotas: [{ quota: 'igw', amount: 1 }] } });
  const inVpc = deleteDep(vpc, 'created inside the VPC, which cannot be deleted while it exists');
  const subnets: Record<SubnetTier, Subnet[]> = { public: [], app: [], data: [] };
  for (const s of planSubnets(config.network.cidr, config.network.azCount)!) {
    const az = azLetter(s.azIndex);
    subnets[s.tier][s.azIndex] = b.add(subnetStep(s.tier, az), `${s.tier}-${az}`, subnetKind, [inVpc],
      (tags) => ({ vpcId: vpc.out.vpcId, cidr: s.cidr, az: ctx.zones[s.azIndex]!, tags }));
  }
  const nats = natGateways(b, igw, subnets.public);
  const appRoutes = routeTables(b, vpc, igw, subnets, nats);
  networkAcls(b, vpc, subnets);
  const { groups, proxyGroup, appRules } = securityGroups(b, vpc);
  if (config.network.flowLogs) flowLogs(b, vpc);
  return { vpc, igw, subnets, groups, proxyGroup, appRules, appRoutes };
}

/** The NAT gateways with their Elastic IPs: one per AZ, or one in the first AZ (`natGateways: single`); by AZ index. */
function natGateways(b: StepBuilder, igw: Step, publicSubnets: Subnet[]): Array<Step<'natGatewayId'>> {
  const { config, ctx } = b;
  const count = config.network.natGateways === 'perAz' ? publicSubnets.length : 1;
  return publicSubnets.slice(0, count).map((subnet, i) => {
    const az = azLetter(i);
    // Allocating an address needs no gateway; releasing it must come before the gateway is detached.
    const eip = b.add(`eip-nat-${az}`, `nat-${az}`, elasticIpKind, [
      deleteDep(igw, 'released before the internet gateway is detached: AWS refuses to detach it while public addresses are mapped in the VPC'),
    ], (tags) => ({ tags }), { preflight: { quotas: [{ quota: 'eip', amount: 1 }] } });
    return b.add(`nat-${az}`, `nat-${az}`, natGatewayKind, [
      deleteDep(subnet, 'lives in the public subnet of its AZ; its interface keeps the subnet until it is deleted'),
      deleteDep(eip, 'needs its Elastic IP, which cannot be released while the gateway holds it'),
      // On delete it comes before the gateway anyway: the NAT before the address it holds, the address before the gateway.
      createDep(igw, 'a public NAT gateway fails without an internet gateway on the VPC'),
    ], (tags) => ({ subnetId: subnet.out.subnetId, allocationId: eip.out.allocationId, tags }),
    { preflight: { quotas: [{ quota: 'nat-per-az', amount: 1, scope: ctx.zones[i] }] } });
  });
}

/**
 * The route tables: the public one routes to the internet gateway, each app subnet's to the NAT
 * gateway of its AZ (or the single one), the data subnets' nowhere. A route table goes before its
 * subnets (disassociated, then deleted); a route to a gateway deleted first only turns into a
 * blackhole, so a route orders `up` only (reading the gateway's id).
 */
function routeTables(b: StepBuilder, vpc: Network['vpc'], igw: Network['igw'], subnets: Record<SubnetTier, Subnet[]>, nats: Array<Step<'natGatewayId'>>): Step[] {
  const inVpc = deleteDep(vpc, 'created inside the VPC, which cannot be deleted while it exists');
  const associated = (s: Subnet) => deleteDep(s, 'associated with it; disassociated before the subnet goes');
  const ids = (tier: Subnet[]) => tier.map((s) => s.out.subnetId);
  b.add('rt-public', 'public', routeTableKind, [inVpc, ...subnets.public.map(associated)],
    (tags) => ({ vpcId: vpc.out.vpcId, routes: [{ destination: ANY, gatewayId: igw.out.internetGatewayId }], subnetIds: ids(subnets.public), tags }));
  const appRoutes = subnets.app.map((subnet, i) => {
    const nat = nats[i] ?? nats[0]!;
    return b.add(`rt-app-${azLetter(i)}`, `app-${azLetter(i)}`, routeTableKind, [inVpc, associated(subnet)],
      (tags) => ({ vpcId: vpc.out.vpcId, routes: [{ destination: ANY, natGatewayId: nat.out.natGatewayId }], subnetIds: [subnet.out.subnetId], tags }));
  });
  b.add('rt-data', 'data', routeTableKind, [inVpc, ...subnets.data.map(associated)],
    (tags) => ({ vpcId: vpc.out.vpcId, routes: [], subnetIds: ids(subnets.data), tags }));
  return appRoutes;
}

function networkAcls(b: StepBuilder, vpc: Network['vpc'], subnets: Record<SubnetTier, Subnet[]>): void {
  const { config } = b;
  const inVpc = deleteDep(vpc, 'created inside the VPC, which cannot be deleted while it exists');
  for (const tier of ['public', 'app', 'data'] as const) {
    b.add(`nacl-${tier}`, tier, networkAclKind, [inVpc, ...subnets[tier].map((s) => deleteDep(s, 'associated with it; its subnets move back to the default ACL before they go'))],
      (tags) => ({
        vpcId: vpc.out.vpcId, rules: aclRules(tier, config.network.cidr, config.database.proxy, tasksCallSiteOverHttp(config)),
        subnetIds: subnets[tier].map((s) => s.out.subnetId), tags,
      }));
  }
}

const GROUPS: Record<GroupRole, string> = {
  alb: 'load balancer: HTTP and HTTPS from the internet',
  app: 'WordPress tasks: HTTP from the load balancer',
  db: 'database: MySQL from the WordPress tasks',
  efs: 'file system: NFS from the WordPress tasks',
};

const tcp = (port: number, src: { cidr?: string; sourceGroupId?: string }, description: string): SgRule => ({ protocol: 'tcp', fromPort: port, toPort: port, ...src, description });

/**
 * The security groups, chained by reference, and their rules. With `database.proxy`, WordPress
 * reaches MySQL through the RDS Proxy, which has its own group (`sg-db-proxy`, whose rules the data
 * tier adds): the app sends 3306 to the proxy, and the database admits only the proxy.
 */
function securityGroups(b: StepBuilder, vpc: Network['vpc']): Pick<Network, 'groups' | 'proxyGroup' | 'appRules'> {
  const { config } = b;
  const { stack } = config;
  const inVpc = deleteDep(vpc, 'created inside the VPC, which cannot be deleted while it exists');
  const group = (role: string, description: string) =>
    b.add(`sg-${role}`, role, securityGroupKind, [inVpc], (tags) => ({ vpcId: vpc.out.vpcId, name: `${stack}-${role}`, description, tags }));
  const groups = Object.fromEntries(Object.entries(GROUPS).map(([role, what]) => [role, group(role, `wpdeploy ${stack} ${what}`)])) as Record<GroupRole, Group>;
  const proxyGroup = config.database.proxy ? group('db-proxy', `wpdeploy ${stack} database proxy: MySQL from the WordPress tasks`) : undefined;
  const mysqlPeer = proxyGroup ?? groups.db;
  // A group's rules read its id (the group's delete takes them); each group a rule names is deleted after the rules.
  const rules = (role: GroupRole, peers: Group[], spec: () => { ingress: SgRule[]; egress: SgRule[] }) =>
    b.add(`sg-${role}-rules`, `${role}-rules`, securityGroupRulesKind,
      peers.map((p) => deleteDep(p, 'a rule references this group, which cannot be deleted while referenced')),
      () => ({ groupId: groups[role].out.groupId, ...spec() }));
  rules('alb', [groups.app], () => ({
    ingress: [tcp(80, { cidr: ANY }, 'HTTP from the internet'), tcp(443, { cidr: ANY }, 'HTTPS from the internet')],
    egress: [tcp(80, { sourceGroupId: groups.app.out.groupId }, 'to the WordPress tasks')],
  }));
  const appRules = rules('app', [groups.alb, mysqlPeer, groups.efs], () => ({
    ingress: [tcp(80, { sourceGroupId: groups.alb.out.groupId }, 'HTTP from the load balancer')],
    egress: [
      tcp(443, { cidr: ANY }, 'HTTPS out: image pulls, AWS APIs, WordPress updates'),
      ...(tasksCallSiteOverHttp(config) ? [tcp(80, { cidr: ANY }, 'HTTP out: WordPress calls itself at http://<load balancer> (wp-cron, Site Health)')] : []),
      tcp(3306, { sourceGroupId: mysqlPeer.out.groupId }, proxyGroup ? 'MySQL to the RDS Proxy' : 'MySQL to the database'),
      tcp(2049, { sourceGroupId: groups.efs.out.groupId }, 'NFS to the file system'),
    ],
  }));
  rules('db', [proxyGroup ?? groups.app], () => ({
    ingress: [proxyGroup ? tcp(3306, { sourceGroupId: proxyGroup.out.groupId }, 'MySQL from the RDS Proxy') : tcp(3306, { sourceGroupId: groups.app.out.groupId }, 'MySQL from the WordPress tasks')],
    egress: [],
  }));
  rules('efs', [groups.app], () => ({ ingress: [tcp(2049, { sourceGroupId: groups.app.out.groupId }, 'NFS from the WordPress tasks')], egress: [] }));
  return { groups, proxyGroup, appRules };
}

/** VPC Flow Logs into a log group of the stack, delivered with a role allowed to write there only. */
function flowLogs(b: StepBuilder, vpc: Network['vpc']): void {
  const { config, ctx } = b;
  const { stack } = config;
  const groupName = logGroupName(stack, 'vpc-flow-logs');
  const group = b.add('flow-logs-group', 'vpc-flow-logs', logGroupKind, [], (tags) => ({ name: groupName, retentionDays: config.logs.retentionDays, tags }));
  const role = b.add('flow-logs-role', 'vpc-flow-logs', iamRoleKind, [], (tags) => ({
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
          Resource: [group.out.arn, `${group.out.arn}:*`],
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
  b.add('flow-log', 'vpc-flow-log', flowLogKind, [
    deleteDep(vpc, 'created inside the VPC, which cannot be deleted while it exists'), createDep(group, 'writes to it'),
  ], (tags) => ({ vpcId: vpc.out.vpcId, logGroupName: groupName, roleArn: role.out.arn, trafficType: 'ALL' as const, tags }));
}
