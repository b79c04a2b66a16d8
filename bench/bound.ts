/**
 * The lower bound of `up` and `down` under a profile: the longest chain of essential dependencies of
 * the architecture, each link costing what the simulated AWS makes it cost.
 *
 * This is an independent description of the WordPress architecture README.md describes, written from
 * what AWS requires, not read from the engine's step graph: each node is a piece of
 * work on AWS (one or a few API calls, possibly followed by a wait), each edge something AWS needs
 * before it can happen (a subnet needs its VPC, CreateDBInstance needs the subnet group, the task
 * definition needs the database endpoint, a listener needs an issued certificate, a subnet cannot be
 * deleted while an ENI is in it...). Nothing that is merely a choice of the engine is an edge.
 *
 * A node costs `calls` round trips of the profile's latency (calls that can be sent together count
 * once), then `wait` of AWS time divided by the scale. A wait ends when the first describe answered
 * after it says so; the simulator applies its latency before answering, so that describe adds
 * nothing beyond the wait. The bound is the latest end over all nodes: everything exists (or is gone).
 * Not counted: the CLI's own start (Node.js, loading the SDK) and moto's processing time.
 */
import { scaledMs, type Durations, type Profile } from './profile.js';

export interface BoundNode {
  id: string;
  /** Sequential API round trips the work needs at the least. */
  calls: number;
  /** AWS time to wait after the calls, from the profile. */
  wait?: keyof Durations;
  after: string[];
  /** What the node is, for the chart and the report. */
  label: string;
}

export interface Architecture {
  azCount: number;
  /** `perAz`: a NAT gateway per AZ; `single`: one. */
  natGateways: 'perAz' | 'single';
  /** A domain: ACM certificate validated by DNS, HTTPS listener, alias record. */
  domain: boolean;
  multiAz: boolean;
  /** An RDS Proxy in front of the database. */
  proxy: boolean;
  flowLogs: boolean;
}

export const DEFAULT_ARCHITECTURE: Readonly<Architecture> = Object.freeze({
  azCount: 2, natGateways: 'perAz', domain: true, multiAz: true, proxy: false, flowLogs: true,
});

const letters = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(97 + i));
const TIERS = ['public', 'app', 'data'] as const;

/** What `up` must do on AWS, from nothing to a serving stack. */
export function upNodes(a: Architecture): BoundNode[] {
  const azs = letters(a.azCount);
  const natAzs = a.natGateways === 'perAz' ? azs : [azs[0]!];
  const natOf = (az: string) => `nat-${natAzs.includes(az) ? az : natAzs[0]}`;
  const n: BoundNode[] = [];
  const add = (id: string, calls: number, after: string[], label: string, wait?: keyof Durations) => n.push({ id, calls, after, label, ...(wait ? { wait } : {}) });
  const subnets = (tier: string) => azs.map((az) => `subnet-${tier}-${az}`);

  add('identity', 1, [], 'GetCallerIdentity: the account names the bucket and the roles\' trust');
  add('azs', 1, [], 'DescribeAvailabilityZones: the zones of the subnets');
  // Network
  add('vpc', 1, [], 'CreateVpc (tags in the call)');
  add('vpc-dns', 1, ['vpc'], 'ModifyVpcAttribute DNS support and hostnames (together)');
  add('default-sg', 2, ['vpc'], 'find the default security group, revoke its rules');
  add('default-nacl', 2, ['vpc'], 'find the default network ACL, delete its entries');
  add('igw', 1, [], 'CreateInternetGateway');
  add('igw-attach', 1, ['igw', 'vpc'], 'AttachInternetGateway');
  for (const tier of TIERS) for (const az of azs) add(`subnet-${tier}-${az}`, 1, ['vpc', 'azs'], `CreateSubnet ${tier} ${az}`);
  for (const az of natAzs) {
    add(`eip-${az}`, 1, [], `AllocateAddress for the NAT of ${az}`);
    // A public NAT gateway needs its subnet, its address and an internet gateway on the VPC.
    add(`nat-${az}`, 1, [`subnet-public-${az}`, `eip-${az}`, 'igw-attach'], `CreateNatGateway ${az}, pending 2 min`, 'natCreate');
  }
  add('rt-public', 1, ['vpc'], 'CreateRouteTable public');
  add('rt-public-route', 1, ['rt-public', 'igw-attach'], 'CreateRoute 0.0.0.0/0 -> internet gateway');
  add('rt-public-assoc', 1, ['rt-public', ...subnets('public')], 'AssociateRouteTable public subnets');
  for (const az of azs) {
    add(`rt-app-${az}`, 1, ['vpc'], `CreateRouteTable app ${az}`);
    add(`rt-app-${az}-route`, 1, [`rt-app-${az}`, natOf(az)], `CreateRoute 0.0.0.0/0 -> NAT (available) for ${az}`);
    add(`rt-app-${az}-assoc`, 1, [`rt-app-${az}`, `subnet-app-${az}`], `AssociateRouteTable app ${az}`);
  }
  add('rt-data', 1, ['vpc'], 'CreateRouteTable data');
  add('rt-data-assoc', 1, ['rt-data', ...subnets('data')], 'AssociateRouteTable data subnets');
  for (const tier of TIERS) {
    add(`nacl-${tier}`, 1, ['vpc'], `CreateNetworkAcl ${tier}`);
    add(`nacl-${tier}-entries`, 1, [`nacl-${tier}`], `CreateNetworkAclEntry ${tier} (together)`);
    add(`nacl-${tier}-assoc`, 2, [`nacl-${tier}`, ...subnets(tier)], `find and ReplaceNetworkAclAssociation ${tier}`);
  }
  const groups = ['alb', 'app', 'db', 'efs', ...(a.proxy ? ['db-proxy'] : [])];
  for (const g of groups) add(`sg-${g}`, 1, ['vpc'], `CreateSecurityGroup ${g}`);
  const peers: Record<string, string[]> = a.proxy
    ? { alb: ['app'], app: ['alb', 'db-proxy', 'efs'], db: ['db-proxy'], efs: ['app'], 'db-proxy': ['app', 'db'] }
    : { alb: ['app'], app: ['alb', 'db', 'efs'], db: ['app'], efs: ['app'] };
  for (const g of groups) add(`sg-${g}-rules`, 1, [`sg-${g}`, ...peers[g]!.map((p) => `sg-${p}`)], `authorize ${g} rules, revoke its default egress (together)`);
  if (a.flowLogs) {
    add('flow-logs-group', 2, [], 'CreateLogGroup, PutRetentionPolicy (flow logs)');
    add('flow-logs-role', 2, ['flow-logs-group', 'identity'], 'CreateRole, PutRolePolicy (flow logs)');
    add('flow-log', 1, ['vpc', 'flow-logs-group', 'flow-logs-role'], 'CreateFlowLogs');
  }
  // Data
  add('db-secret', 2, [], 'GetRandomPassword, CreateSecret (database)');
  add('wp-salts-secret', 2, [], 'GetRandomPassword, CreateSecret (salts)');
  add('db-subnet-group', 1, subnets('data'), 'CreateDBSubnetGroup');
  add('db', 1, ['db-subnet-group', 'sg-db', 'db-secret'], `CreateDBInstance, creating ${a.multiAz ? '15 min (Multi-AZ)' : '7 min'}`, a.multiAz ? 'rdsCreateMultiAz' : 'rdsCreateSingleAz');
  add('db-secret-endpoint', 1, ['db', 'db-secret'], 'PutSecretValue with the endpoint');
  if (a.proxy) {
    add('db-proxy-role', 2, ['db-secret', 'identity'], 'CreateRole, PutRolePolicy (RDS Proxy)');
    add('db-proxy', 1, [...subnets('data'), 'sg-db-proxy', 'db-secret', 'db-proxy-role'], 'CreateDBProxy, creating 5 min', 'rdsProxyCreate');
    add('db-proxy-target', 1, ['db-proxy', 'db'], 'RegisterDBProxyTargets');
  }
  add('efs', 1, [], 'CreateFileSystem');
  add('efs-config', 1, ['efs'], 'lifecycle and backup policies (together)');
  for (const az of azs) add(`efs-mount-${az}`, 1, ['efs', `subnet-app-${az}`, 'sg-efs'], `CreateMountTarget ${az}, creating 1.5 min`, 'mountTargetCreate');
  add('efs-ap', 1, ['efs'], 'CreateAccessPoint');
  // App and edge
  const listeners = ['listener-http'];
  if (a.domain) {
    add('hosted-zone', 1, [], 'ListHostedZonesByName');
    add('certificate', 2, [], 'RequestCertificate, DescribeCertificate (the CNAME ACM wants)');
    add('certificate-dns', 1, ['certificate', 'hosted-zone'], 'ChangeResourceRecordSets: the validation CNAME');
    add('certificate-dns-sync', 0, ['certificate-dns'], 'Route 53 change PENDING 1 min', 'route53Change');
    add('certificate-issued', 0, ['certificate-dns'], 'ACM validation: 3 min after the CNAME', 'acmValidation');
  }
  add('app-log-group', 2, [], 'CreateLogGroup, PutRetentionPolicy (WordPress)');
  add('task-execution-role', 2, ['app-log-group', 'db-secret', 'wp-salts-secret', 'identity'], 'CreateRole, PutRolePolicy (task execution)');
  add('task-role', 2, ['efs', 'efs-ap', 'identity'], 'CreateRole, PutRolePolicy (task)');
  add('ecs-cluster', 1, [], 'CreateCluster');
  // WORDPRESS_DB_HOST is the endpoint, which AWS gives once the instance is up.
  add('task-definition', 1, ['task-execution-role', 'task-role', 'app-log-group', a.proxy ? 'db-proxy' : 'db', 'db-secret', 'wp-salts-secret', 'efs', 'efs-ap'], 'RegisterTaskDefinition (needs the database endpoint)');
  add('alb-logs-bucket', 2, ['identity'], 'CreateBucket, then its policy, encryption, public access block, lifecycle (together)');
  add('alb', 1, [...subnets('public'), 'sg-alb', 'igw-attach'], 'CreateLoadBalancer');
  add('alb-active', 0, ['alb'], 'ALB provisioning 3 min', 'albCreate');
  add('alb-attributes', 1, ['alb', 'alb-logs-bucket'], 'ModifyLoadBalancerAttributes (access logs need the bucket policy)');
  add('target-group', 2, ['vpc'], 'CreateTargetGroup, ModifyTargetGroupAttributes');
  if (a.domain) {
    add('listener-https', 1, ['alb', 'target-group', 'certificate-issued'], 'CreateListener HTTPS (needs the certificate ISSUED)');
    add('listener-http', 1, ['alb'], 'CreateListener HTTP (redirect)');
    add('alias-record', 1, ['alb', 'hosted-zone'], 'ChangeResourceRecordSets: the alias record');
    add('alias-record-sync', 0, ['alias-record'], 'Route 53 change PENDING 1 min', 'route53Change');
    listeners.push('listener-https');
  } else {
    add('listener-http', 1, ['alb', 'target-group'], 'CreateListener HTTP (forward)');
  }
  add('ecs-service', 1, [
    'ecs-cluster', 'task-definition', 'target-group', ...listeners, ...subnets('app'), 'sg-app', 'sg-app-rules',
    ...azs.map((az) => `rt-app-${az}-route`), ...azs.map((az) => `rt-app-${az}-assoc`), ...azs.map((az) => `efs-mount-${az}`),
    // Through a proxy, WordPress needs the instance behind it at start.
    ...(a.proxy ? ['db-proxy-target'] : []),
  ], 'CreateService (tasks pull through the NAT, mount EFS, register behind a listener)');
  add('ecs-service-steady', 0, ['ecs-service', 'alb-active'], 'tasks running and healthy: 2.5 min', 'ecsSteady');
  add('scaling-target', 1, ['ecs-service'], 'RegisterScalableTarget');
  add('scaling-cpu', 1, ['scaling-target'], 'PutScalingPolicy CPU');
  add('scaling-requests', 1, ['scaling-target', 'alb', 'target-group'], 'PutScalingPolicy requests per target');
  return n;
}

/**
 * What `down` must do on AWS (keeping the data: secrets, file system and access point stay; the
 * database goes with a final snapshot). Edges are AWS's refusals: an ENI keeps its subnet and security
 * group, a mapped public address keeps the internet gateway attached, a listener keeps its target
 * group and certificate, a service keeps its cluster, the instance keeps its subnet group.
 */
export function downNodes(a: Architecture): BoundNode[] {
  const azs = letters(a.azCount);
  const natAzs = a.natGateways === 'perAz' ? azs : [azs[0]!];
  const n: BoundNode[] = [];
  const add = (id: string, calls: number, after: string[], label: string, wait?: keyof Durations) => n.push({ id, calls, after, label, ...(wait ? { wait } : {}) });

  add('scaling-target', 1, [], 'DeregisterScalableTarget (its policies go with it)');
  add('ecs-service', 1, [], 'DeleteService --force');
  add('ecs-service-drained', 0, ['ecs-service'], 'service DRAINING: 30 s deregistration delay', 'ecsDrain');
  add('ecs-cluster', 1, ['ecs-service-drained'], 'DeleteCluster');
  add('task-definition', 1, [], 'DeregisterTaskDefinition');
  add('task-execution-role', 2, [], 'DeleteRolePolicy, DeleteRole (task execution)');
  add('task-role', 2, [], 'DeleteRolePolicy, DeleteRole (task)');
  add('app-log-group', 1, [], 'DeleteLogGroup (WordPress)');
  const listeners = ['listener-http', ...(a.domain ? ['listener-https'] : [])];
  for (const l of listeners) add(l, 1, [], `DeleteListener ${l.slice(9).toUpperCase()}`);
  if (a.domain) {
    add('certificate', 1, ['listener-https'], 'DeleteCertificate (in use until the HTTPS listener goes)');
    add('certificate-dns', 1, [], 'ChangeResourceRecordSets DELETE the validation CNAME');
    add('certificate-dns-sync', 0, ['certificate-dns'], 'Route 53 change PENDING 1 min', 'route53Change');
    add('alias-record', 1, [], 'ChangeResourceRecordSets DELETE the alias');
    add('alias-record-sync', 0, ['alias-record'], 'Route 53 change PENDING 1 min', 'route53Change');
  }
  add('target-group', 1, listeners, 'DeleteTargetGroup (in use while a listener forwards to it)');
  add('alb', 2, [], 'lift deletion protection, DeleteLoadBalancer');
  add('alb-gone', 0, ['alb'], 'ALB still there 1 min', 'albDelete');
  add('alb-logs-bucket', 2, [], 'empty the bucket, DeleteBucket');
  add('db', 2, [], 'lift deletion protection, DeleteDBInstance with a final snapshot');
  add('db-gone', 0, ['db'], 'RDS deleting 8 min', 'rdsDelete');
  add('db-subnet-group', 1, ['db-gone'], 'DeleteDBSubnetGroup (in use while the instance exists)');
  const dbEnis = ['db-gone'];
  if (a.proxy) {
    add('db-proxy', 1, [], 'DeleteDBProxy');
    add('db-proxy-gone', 0, ['db-proxy'], 'RDS Proxy deleting 3 min', 'rdsProxyDelete');
    add('db-proxy-role', 2, [], 'DeleteRolePolicy, DeleteRole (RDS Proxy)');
    dbEnis.push('db-proxy-gone');
  }
  for (const az of azs) {
    add(`efs-mount-${az}`, 1, [], `DeleteMountTarget ${az}`);
    add(`efs-mount-${az}-gone`, 0, [`efs-mount-${az}`], 'mount target deleting 1 min', 'mountTargetDelete');
  }
  for (const az of natAzs) {
    add(`nat-${az}`, 1, [], `DeleteNatGateway ${az}`);
    add(`nat-${az}-gone`, 0, [`nat-${az}`], 'NAT deleting 1 min', 'natDelete');
    add(`eip-${az}`, 1, [`nat-${az}-gone`], `ReleaseAddress ${az} (associated until the NAT is deleted)`);
  }
  // Detach refuses while public addresses are mapped in the VPC: the NATs' and the ALB's.
  add('igw-detach', 1, [...natAzs.map((az) => `eip-${az}`), 'alb-gone'], 'DetachInternetGateway');
  add('igw', 1, ['igw-detach'], 'DeleteInternetGateway');
  const tables = ['rt-public', ...azs.map((az) => `rt-app-${az}`), 'rt-data'];
  for (const t of tables) add(t, 2, [], `disassociate and DeleteRouteTable ${t.slice(3)}`);
  for (const tier of TIERS) add(`nacl-${tier}`, 2, [], `back to the default ACL, DeleteNetworkAcl ${tier}`);
  const groups = ['alb', 'app', 'db', 'efs', ...(a.proxy ? ['db-proxy'] : [])];
  for (const g of groups) add(`sg-${g}-rules`, 1, [], `revoke the ${g} rules that name other groups`);
  const enisOf: Record<string, string[]> = { alb: ['alb-gone'], app: ['ecs-service-drained'], db: ['db-gone'], efs: azs.map((az) => `efs-mount-${az}-gone`), 'db-proxy': ['db-proxy-gone'] };
  for (const g of groups) add(`sg-${g}`, 1, [...groups.map((x) => `sg-${x}-rules`), ...enisOf[g]!], `DeleteSecurityGroup ${g} (refused while an ENI or a rule uses it)`);
  const unlinked = (tier: string) => [`nacl-${tier}`, ...(tier === 'app' ? azs.map((az) => `rt-app-${az}`) : [`rt-${tier}`])];
  for (const az of azs) {
    add(`subnet-public-${az}`, 1, ['alb-gone', ...(natAzs.includes(az) ? [`nat-${az}-gone`] : []), ...unlinked('public')], `DeleteSubnet public ${az} (ALB and NAT ENIs)`);
    add(`subnet-app-${az}`, 1, ['ecs-service-drained', `efs-mount-${az}-gone`, ...unlinked('app')], `DeleteSubnet app ${az} (task and mount target ENIs)`);
    add(`subnet-data-${az}`, 1, [...dbEnis, 'db-subnet-group', ...unlinked('data')], `DeleteSubnet data ${az} (database ENIs)`);
  }
  if (a.flowLogs) {
    add('flow-log', 1, [], 'DeleteFlowLogs');
    add('flow-logs-role', 2, ['flow-log'], 'DeleteRolePolicy, DeleteRole (flow logs)');
    add('flow-logs-group', 1, ['flow-log'], 'DeleteLogGroup (flow logs)');
  }
  add('vpc', 1, [
    ...['public', 'app', 'data'].flatMap((t) => azs.map((az) => `subnet-${t}-${az}`)), ...groups.map((g) => `sg-${g}`), 'igw-detach', ...tables,
    ...TIERS.map((t) => `nacl-${t}`), ...(a.flowLogs ? ['flow-log'] : []),
  ], 'DeleteVpc (refused while anything is left in it)');
  return n;
}

export interface Scheduled {
  id: string;
  label: string;
  startMs: number;
  endMs: number;
}

export interface Bound {
  /** The latest end: nothing can be done sooner under the profile. */
  totalMs: number;
  /** The chain that sets it, first to last. */
  path: Scheduled[];
  /** Every node at its earliest. */
  schedule: Scheduled[];
}

/** Wall-clock ms of a node under the profile. */
export const nodeMs = (p: Profile, node: BoundNode): number => node.calls * p.latencyMs + (node.wait ? scaledMs(p, p.durations[node.wait]) : 0);

/** The earliest schedule of `nodes` with unlimited parallelism, and its longest chain. */
export function longestPath(nodes: BoundNode[], p: Profile): Bound {
  const byId = new Map(nodes.map((x) => [x.id, x]));
  if (byId.size !== nodes.length) throw new Error('bound: a node id is used twice');
  for (const x of nodes) for (const d of x.after) if (!byId.has(d)) throw new Error(`bound: ${x.id} waits for unknown node ${d}`);
  const end = new Map<string, number>();
  const start = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const known = end.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) throw new Error(`bound: cycle through ${id}`);
    visiting.add(id);
    const x = byId.get(id)!;
    const s = Math.max(0, ...x.after.map(visit));
    visiting.delete(id);
    start.set(id, s);
    end.set(id, s + nodeMs(p, x));
    return end.get(id)!;
  };
  for (const x of nodes) visit(x.id);
  const schedule = nodes.map((x) => ({ id: x.id, label: x.label, startMs: start.get(x.id)!, endMs: end.get(x.id)! }));
  if (schedule.length === 0) return { totalMs: 0, path: [], schedule };
  // Walk back from the last to end through the dependency that ended last.
  let last = schedule.reduce((a, b) => (b.endMs > a.endMs ? b : a));
  const path: Scheduled[] = [last];
  for (;;) {
    const deps = byId.get(last.id)!.after;
    if (deps.length === 0) break;
    const prev = deps.map((d) => schedule.find((s) => s.id === d)!).reduce((a, b) => (b.endMs > a.endMs ? b : a));
    path.unshift(prev);
    last = prev;
  }
  return { totalMs: path[path.length - 1]!.endMs, path, schedule };
}

export const upBound = (a: Architecture, p: Profile): Bound => longestPath(upNodes(a), p);
export const downBound = (a: Architecture, p: Profile): Bound => longestPath(downNodes(a), p);
