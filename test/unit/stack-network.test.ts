/**
 * The network tier as steps (src/resources/stack-network.ts), built through buildSteps: pure, no AWS.
 * What is checked is what a user relies on: every resource is there once, dependencies exist and
 * teardown runs in an order AWS accepts, traffic from the app subnets leaves through the NAT of
 * their own zone, and no rule opens administration ports or the served ports to the world.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { formatCidr, parseCidr, type Cidr, type SubnetTier } from '../../src/config/cidr.js';
import { WorkGraph } from '../../src/engine/graph.js';
import type { AclRule, NetworkAclSpec } from '../../src/resources/network-acl.js';
import type { RouteTableSpec } from '../../src/resources/route-table.js';
import type { SecurityGroupRulesSpec, SecurityGroupSpec, SgRule } from '../../src/resources/security-group.js';
import { aclRules, subnetStep } from '../../src/resources/stack-network.js';
import { buildSteps } from '../../src/resources/stack.js';
import type { NatGatewaySpec } from '../../src/resources/nat-gateway.js';
import type { SubnetSpec } from '../../src/resources/subnet.js';
import type { Inputs, StepDef } from '../../src/resources/types.js';
import type { IamRoleSpec } from '../../src/resources/iam-role.js';
import { simulate, type PolicyDocument } from '../support/iam-simulation.js';

const ZONES2 = ['us-east-1a', 'us-east-1b'];
const ZONES3 = ['us-east-1a', 'us-east-1b', 'us-east-1c'];
const ANY = '0.0.0.0/0';

function build(raw: Record<string, unknown> = {}, zones = ZONES2): { steps: StepDef[]; byId: Map<string, StepDef>; vpcCidr: string } {
  const config = validateConfig(raw);
  const steps = buildSteps(config, { zones, account: '123456789012' });
  return { steps, byId: new Map(steps.map((s) => [s.id, s])), vpcCidr: config.network.cidr };
}

/** Inputs that answer `<step>.<key>`, so a spec shows which output it reads. */
const inputs: Inputs = { get: (step, key) => `${step}.${key}` };
function desiredOf<S>(byId: Map<string, StepDef>, id: string): S {
  const s = byId.get(id);
  if (!s) throw new Error(`no step ${id}`);
  return s.desired(inputs) as S;
}
const depsOf = (byId: Map<string, StepDef>, id: string) => byId.get(id)!.dependsOn.map((d) => d.step);
const graphOf = (steps: StepDef[]) => new WorkGraph(steps.map((s) => ({ id: s.id, dependsOn: s.dependsOn.map((d) => d.step) })));

/** The network step ids a config with these AZ letters should have. */
function expectedIds(azs: string[], natAzs: string[], flowLogs: boolean): string[] {
  return [
    'vpc', 'default-sg', 'igw',
    ...(['public', 'app', 'data'] as const).flatMap((t) => azs.map((az) => subnetStep(t, az))),
    ...natAzs.flatMap((az) => [`eip-nat-${az}`, `nat-${az}`]),
    'rt-public', ...azs.map((az) => `rt-app-${az}`), 'rt-data',
    'nacl-public', 'nacl-app', 'nacl-data',
    'sg-alb', 'sg-app', 'sg-db', 'sg-efs', 'sg-alb-rules', 'sg-app-rules', 'sg-db-rules', 'sg-efs-rules',
    ...(flowLogs ? ['flow-logs-group', 'flow-logs-role', 'flow-log'] : []),
  ];
}
const NETWORK_ID = /^(vpc|default-sg|igw|subnet-|eip-nat-|nat-|rt-|nacl-|sg-|flow-log)/;

const variants: Array<[string, Record<string, unknown>, string[], string[]]> = [
  ['the default config (2 AZs, a NAT per AZ)', {}, ZONES2, ['a', 'b']],
  ['azCount 3, a NAT per AZ', { network: { azCount: 3 } }, ZONES3, ['a', 'b', 'c']],
  ['2 AZs, a single NAT', { network: { natGateways: 'single' } }, ZONES2, ['a']],
  ['azCount 3, a single NAT', { network: { azCount: 3, natGateways: 'single' } }, ZONES3, ['a']],
];

describe('network steps', () => {
  it.each(variants)('%s: exactly the expected steps, once each', (_what, raw, zones, natAzs) => {
    const { steps } = build(raw, zones);
    const azs = zones.map((_, i) => String.fromCharCode(97 + i));
    const network = steps.map((s) => s.id).filter((id) => NETWORK_ID.test(id));
    expect([...network].sort()).toEqual(expectedIds(azs, natAzs, true).sort());
    expect(new Set(network).size).toBe(network.length);
    expect(network.filter((id) => id.startsWith('subnet-'))).toHaveLength(3 * zones.length);
    expect(network.filter((id) => /^nat-/.test(id))).toHaveLength(natAzs.length);
    expect(network.filter((id) => /^eip-nat-/.test(id))).toHaveLength(natAzs.length);
  });

  it.each(variants)('%s: every dependency is a step, and there is no cycle', (_what, raw, zones) => {
    const { steps } = build(raw, zones);
    expect(() => graphOf(steps)).not.toThrow();
    // the network tier stands on its own
    const network = steps.filter((s) => NETWORK_ID.test(s.id));
    expect(() => graphOf(network)).not.toThrow();
    for (const s of network) for (const d of s.dependsOn) expect(d.why, `${s.id} -> ${d.step}`).toBeTruthy();
  });

  it('flow logs (log group, role, flow log) only when network.flowLogs is on', () => {
    const on = build({ network: { flowLogs: true } }).byId;
    const off = build({ network: { flowLogs: false } }).byId;
    for (const id of ['flow-logs-group', 'flow-logs-role', 'flow-log']) {
      expect(on.has(id), id).toBe(true);
      expect(off.has(id), id).toBe(false);
    }
    expect(depsOf(on, 'flow-log')).toEqual(expect.arrayContaining(['vpc', 'flow-logs-group', 'flow-logs-role']));
    expect(desiredOf<{ vpcId: string; roleArn: string }>(on, 'flow-log')).toMatchObject({ vpcId: 'vpc.vpcId', roleArn: 'flow-logs-role.arn', trafficType: 'ALL' });
  });

  it("the flow-logs role may do what AWS's flow-log documentation lists, on the stack's log group only (by simulation)", async () => {
    const group = 'arn:aws:logs:us-east-1:123456789012:log-group:/wpdeploy/wordpress/vpc-flow-logs';
    const role = build().byId.get('flow-logs-role')!.desired({ get: (step, key) => (step === 'flow-logs-group' && key === 'arn' ? group : `${step}.${key}`) }) as IamRoleSpec;
    const policy = { Version: '2012-10-17', Statement: role.inlinePolicies['write-flow-logs']!.Statement } as PolicyDocument;
    const stream = `${group}:log-stream:eni-1-all`;
    const allowed = async (action: string, resource: string) => (await simulate(policy, { action, resource, context: {}, origin: 'flow logs' }, '123456789012')).result;
    // https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
    expect(await allowed('logs:CreateLogGroup', group)).toBe('Allowed');
    expect(await allowed('logs:CreateLogStream', stream)).toBe('Allowed');
    expect(await allowed('logs:PutLogEvents', stream)).toBe('Allowed');
    expect(await allowed('logs:DescribeLogGroups', '*')).toBe('Allowed');
    expect(await allowed('logs:DescribeLogStreams', group)).toBe('Allowed');
    expect(await allowed('logs:PutLogEvents', 'arn:aws:logs:us-east-1:123456789012:log-group:/other:log-stream:x')).toBe('ImplicitlyDenied');
  });

  it('the default config has flow logs on', () => {
    expect(build().byId.has('flow-log')).toBe(true);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['2 AZs', {}, ZONES2],
    ['3 AZs', { network: { azCount: 3 } }, ZONES3],
  ])('subnets (%s): one per tier and zone, in that zone, with CIDRs inside the VPC that do not repeat', (_what, raw, zones) => {
    const { byId, vpcCidr } = build(raw, zones);
    const cidrs: string[] = [];
    for (const tier of ['public', 'app', 'data'] as SubnetTier[]) {
      zones.forEach((zone, i) => {
        const az = String.fromCharCode(97 + i);
        const s = desiredOf<SubnetSpec>(byId, subnetStep(tier, az));
        expect(s.az).toBe(zone);
        expect(s.vpcId).toBe('vpc.vpcId');
        expect(s.tags.Name).toBe(`wordpress-${tier}-${az}`);
        cidrs.push(s.cidr);
      });
    }
    const vpc = parseCidr(vpcCidr)!;
    const blocks = cidrs.map((c) => parseCidr(c)!);
    const end = (c: Cidr) => c.base + 2 ** (32 - c.prefix) - 1;
    for (const b of blocks) expect(b.base >= vpc.base && end(b) <= end(vpc), formatCidr(b)).toBe(true);
    for (const [i, x] of blocks.entries()) {
      for (const y of blocks.slice(i + 1)) expect(end(x) < y.base || end(y) < x.base, `${formatCidr(x)} overlaps ${formatCidr(y)}`).toBe(true);
    }
  });

  it('each NAT gateway lives in the public subnet of its zone, with its own Elastic IP, after the internet gateway', () => {
    const { byId } = build({ network: { azCount: 3 } }, ZONES3);
    for (const az of ['a', 'b', 'c']) {
      expect(desiredOf<NatGatewaySpec>(byId, `nat-${az}`)).toMatchObject({ subnetId: `subnet-public-${az}.subnetId`, allocationId: `eip-nat-${az}.allocationId` });
      expect(depsOf(byId, `nat-${az}`)).toEqual(expect.arrayContaining([`subnet-public-${az}`, `eip-nat-${az}`, 'igw']));
    }
  });
});

describe('route tables', () => {
  it.each<[string, Record<string, unknown>, string[], Record<string, string>]>([
    ['a NAT per AZ, 2 AZs', {}, ZONES2, { a: 'nat-a', b: 'nat-b' }],
    ['a NAT per AZ, 3 AZs', { network: { azCount: 3 } }, ZONES3, { a: 'nat-a', b: 'nat-b', c: 'nat-c' }],
    ['a single NAT, 2 AZs', { network: { natGateways: 'single' } }, ZONES2, { a: 'nat-a', b: 'nat-a' }],
    ['a single NAT, 3 AZs', { network: { azCount: 3, natGateways: 'single' } }, ZONES3, { a: 'nat-a', b: 'nat-a', c: 'nat-a' }],
  ])('%s: each app subnet\'s default route goes to the NAT of its own zone (or the single one)', (_what, raw, zones, natOf) => {
    const { byId } = build(raw, zones);
    for (const [az, nat] of Object.entries(natOf)) {
      const rt = desiredOf<RouteTableSpec>(byId, `rt-app-${az}`);
      expect(rt.routes).toEqual([{ destination: ANY, natGatewayId: `${nat}.natGatewayId` }]);
      expect(rt.subnetIds).toEqual([`subnet-app-${az}.subnetId`]);
      expect(depsOf(byId, `rt-app-${az}`)).toEqual(expect.arrayContaining([nat, `subnet-app-${az}`]));
    }
  });

  it('public subnets route to the internet gateway; data subnets have no route out', () => {
    const { byId } = build();
    const pub = desiredOf<RouteTableSpec>(byId, 'rt-public');
    expect(pub.routes).toEqual([{ destination: ANY, gatewayId: 'igw.internetGatewayId' }]);
    expect(pub.subnetIds).toEqual(['subnet-public-a.subnetId', 'subnet-public-b.subnetId']);
    const data = desiredOf<RouteTableSpec>(byId, 'rt-data');
    expect(data.routes).toEqual([]);
    expect(data.subnetIds).toEqual(['subnet-data-a.subnetId', 'subnet-data-b.subnetId']);
  });
});

describe('network ACL rules', () => {
  const VPC = '10.20.0.0/16';
  const covers = (r: AclRule, port: number) => r.protocol === '-1' || (r.fromPort! <= port && port <= r.toPort!);
  const ingressAllows = (rules: AclRule[]) => rules.filter((r) => !r.egress && r.action === 'allow');

  it.each(['public', 'app', 'data'] as const)('%s: no rule admits 0.0.0.0/0 to port 22 or 3389 (FSBP EC2.21)', (tier) => {
    const world = ingressAllows(aclRules(tier, VPC)).filter((r) => r.cidr === ANY);
    for (const port of [22, 3389]) expect(world.filter((r) => covers(r, port)), `${tier} port ${port}`).toEqual([]);
  });

  it.each(['public', 'app', 'data'] as const)('%s: rule numbers are unique per direction, and every rule is explicit TCP', (tier) => {
    const rules = aclRules(tier, VPC);
    const keys = rules.map((r) => `${r.egress}.${r.ruleNumber}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(rules.every((r) => r.protocol === '6' && r.fromPort !== undefined && r.toPort !== undefined && r.fromPort <= r.toPort)).toBe(true);
  });

  it.each<[SubnetTier, number]>([
    ['app', 80], // HTTP to the tasks, from the load balancer
    ['data', 3306], // MySQL, from the tasks
  ])('%s: served port %i is admitted only from the VPC CIDR', (tier, port) => {
    const admitting = ingressAllows(aclRules(tier, VPC)).filter((r) => covers(r, port));
    expect(admitting.length).toBeGreaterThan(0);
    expect(admitting.every((r) => r.cidr === VPC)).toBe(true);
  });

  it('app: NFS (2049) has its own rule from the VPC CIDR', () => {
    expect(ingressAllows(aclRules('app', VPC)).filter((r) => r.fromPort === 2049 && r.toPort === 2049).map((r) => r.cidr)).toEqual([VPC]);
  });

  it('data: nothing from or to outside the VPC, either way', () => {
    expect(aclRules('data', VPC).every((r) => r.cidr === VPC)).toBe(true);
  });

  it('public: HTTP and HTTPS from anywhere, and the answers out', () => {
    const rules = aclRules('public', VPC);
    for (const port of [80, 443]) expect(ingressAllows(rules).some((r) => r.cidr === ANY && covers(r, port)), `in ${port}`).toBe(true);
    expect(rules.some((r) => r.egress && r.cidr === ANY && covers(r, 1024) && covers(r, 65535))).toBe(true);
  });

  it('return traffic from the internet is admitted on the ephemeral ports: 1024-65535 but 3389 for the NAT and ALB, Linux\'s 32768+ for the tasks', () => {
    const world = (tier: 'public' | 'app') => ingressAllows(aclRules(tier, VPC)).filter((r) => r.cidr === ANY);
    for (const port of [1024, 3388, 3390, 32768, 60999, 65535]) expect(world('public').some((r) => covers(r, port)), `public ${port}`).toBe(true);
    for (const port of [32768, 60999, 65535]) expect(world('app').some((r) => covers(r, port)), `app ${port}`).toBe(true);
    for (const port of [2049, 3306, 3389, 22]) expect(world('app').some((r) => covers(r, port)), `app ${port} from the internet`).toBe(false);
  });

  it.each<[string, Record<string, unknown>]>([
    ['the default CIDR', {}],
    ['another CIDR', { network: { cidr: '172.20.0.0/20' } }],
  ])('the ACL steps carry these rules for the configured VPC CIDR (%s) and their tier\'s subnets', (_what, raw) => {
    const { byId, vpcCidr } = build(raw);
    for (const tier of ['public', 'app', 'data'] as const) {
      const acl = desiredOf<NetworkAclSpec>(byId, `nacl-${tier}`);
      expect(acl.rules).toEqual(aclRules(tier, vpcCidr, false, true)); // no domain: the tasks call the site over HTTP
      expect(acl.subnetIds).toEqual([`subnet-${tier}-a.subnetId`, `subnet-${tier}-b.subnetId`]);
    }
    expect(aclRules('data', vpcCidr).every((r) => r.cidr === vpcCidr)).toBe(true);
  });
});

describe('security groups', () => {
  const { byId } = build();
  const rulesOf = (role: string) => desiredOf<SecurityGroupRulesSpec>(byId, `sg-${role}-rules`);
  const brief = (rs: SgRule[]) => rs.map((r) => `${r.protocol} ${r.fromPort}-${r.toPort} ${r.cidr ?? r.sourceGroupId}`).sort();

  it('four groups in the VPC, named after the stack, each with a rules step', () => {
    for (const role of ['alb', 'app', 'db', 'efs']) {
      expect(desiredOf<SecurityGroupSpec>(byId, `sg-${role}`)).toMatchObject({ vpcId: 'vpc.vpcId', name: `wordpress-${role}` });
      expect(rulesOf(role).groupId).toBe(`sg-${role}.groupId`);
      expect(depsOf(byId, `sg-${role}-rules`)).toContain(`sg-${role}`);
    }
  });

  it('tiers are chained by group reference: internet -> alb -> app -> db and efs', () => {
    expect(brief(rulesOf('alb').ingress)).toEqual(['tcp 443-443 0.0.0.0/0', 'tcp 80-80 0.0.0.0/0']);
    expect(brief(rulesOf('alb').egress)).toEqual(['tcp 80-80 sg-app.groupId']);
    expect(brief(rulesOf('app').ingress)).toEqual(['tcp 80-80 sg-alb.groupId']);
    expect(brief(rulesOf('app').egress)).toEqual(['tcp 2049-2049 sg-efs.groupId', 'tcp 3306-3306 sg-db.groupId', 'tcp 443-443 0.0.0.0/0', 'tcp 80-80 0.0.0.0/0']);
    expect(brief(rulesOf('db').ingress)).toEqual(['tcp 3306-3306 sg-app.groupId']);
    expect(brief(rulesOf('efs').ingress)).toEqual(['tcp 2049-2049 sg-app.groupId']);
    expect(rulesOf('db').egress).toEqual([]);
    expect(rulesOf('efs').egress).toEqual([]);
  });

  it('the tasks send 80 to the internet only without a domain (WordPress calls itself at http://<load balancer>); with one, 443 suffices', () => {
    const httpOut = (raw: Record<string, unknown>) => {
      const b = build(raw).byId;
      const sg = desiredOf<SecurityGroupRulesSpec>(b, 'sg-app-rules').egress.filter((r) => r.fromPort <= 80 && 80 <= r.toPort).map((r) => r.cidr);
      const acl = desiredOf<NetworkAclSpec>(b, 'nacl-app').rules.filter((r) => r.egress && (r.fromPort ?? 0) <= 80 && 80 <= (r.toPort ?? 65535)).map((r) => r.cidr);
      return { sg, acl };
    };
    expect(httpOut({})).toEqual({ sg: [ANY], acl: [ANY] });
    expect(httpOut({ domain: { name: 'www.example.com', hostedZone: 'example.com' } })).toEqual({ sg: [], acl: [] });
  });

  it('a rules step depends on every group its rules reference', () => {
    for (const role of ['alb', 'app', 'db', 'efs']) {
      const s = rulesOf(role);
      const referenced = [...s.ingress, ...s.egress].map((r) => r.sourceGroupId).filter((g): g is string => !!g).map((g) => g.replace(/\.groupId$/, ''));
      expect(depsOf(byId, `sg-${role}-rules`)).toEqual(expect.arrayContaining(referenced));
    }
  });

  it('only the load balancer takes traffic from the internet, and nothing opens 22 or 3389', () => {
    for (const role of ['alb', 'app', 'db', 'efs']) {
      const s = rulesOf(role);
      if (role !== 'alb') expect(s.ingress.filter((r) => r.cidr !== undefined), role).toEqual([]);
      expect([...s.ingress, ...s.egress].filter((r) => r.protocol === '-1' || [22, 3389].some((p) => r.fromPort <= p && p <= r.toPort)), role).toEqual([]);
    }
  });

  it('the default security group of the VPC is a step (emptied, FSBP EC2.2)', () => {
    expect(byId.get('default-sg')?.kind.name).toBe('ec2:default-security-group');
    expect(desiredOf<{ vpcId: string }>(byId, 'default-sg').vpcId).toBe('vpc.vpcId');
  });
});

describe('teardown order (the graph reversed)', () => {
  it.each(variants)('%s: NATs go before their addresses, addresses are released before the internet gateway is detached', (_what, raw, zones, natAzs) => {
    const { steps } = build(raw, zones);
    const down = graphOf(steps).reversed().order();
    const at = (id: string) => {
      const i = down.indexOf(id);
      expect(i, id).toBeGreaterThanOrEqual(0);
      return i;
    };
    const azs = zones.map((_, i) => String.fromCharCode(97 + i));
    for (const az of natAzs) {
      expect(at(`eip-nat-${az}`)).toBeLessThan(at('igw'));
      expect(at(`nat-${az}`)).toBeLessThan(at(`eip-nat-${az}`));
    }
    for (const az of azs) {
      // app route tables let go of their NAT before it is deleted
      const nat = natAzs.includes(az) ? `nat-${az}` : `nat-${natAzs[0]}`;
      expect(at(`rt-app-${az}`)).toBeLessThan(at(nat));
      for (const tier of ['public', 'app', 'data']) expect(at(`subnet-${tier}-${az}`)).toBeLessThan(at('vpc'));
    }
    expect(at('igw')).toBeLessThan(at('vpc'));
    expect(at('rt-public')).toBeLessThan(at('igw'));
    for (const role of ['alb', 'app', 'db', 'efs']) expect(at(`sg-${role}-rules`)).toBeLessThan(at(`sg-${role}`));
  });

  it('up builds in the opposite order: the internet gateway before any NAT', () => {
    const up = graphOf(build().steps).order();
    expect(up.indexOf('igw')).toBeLessThan(up.indexOf('nat-a'));
    expect(up.indexOf('eip-nat-a')).toBeLessThan(up.indexOf('nat-a'));
    expect(up.indexOf('vpc')).toBe(0);
  });
});
