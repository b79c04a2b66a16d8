/**
 * The benchmark's simulated AWS (bench/sim-aws.ts): when each slow resource reports which state, on
 * a clock the test moves. The bodies are moto 5.1.1's answers, trimmed.
 */
import { describe, expect, it } from 'vitest';
import { makeProfile } from '../../bench/profile.js';
import { SimState, Timeline, describeBeforeDelete, simulate, type AwsCall, type Reply } from '../../bench/sim-aws.js';
import { nameOperation } from '../support/aws-operations.js';

function world(scale = 60) {
  let now = 1_000_000;
  const s = new SimState(makeProfile({ scale, latencyMs: 0 }), () => now);
  return { s, at: (ms: number) => void (now = 1_000_000 + ms) };
}

const call = (service: string, operation: string, body = '', method = 'POST', path = '/'): AwsCall =>
  ({ service, region: 'us-east-1', operation, api: operation, mutating: !/^(Describe|List|Get)/.test(operation), body, method, path, headers: {} });
const rest = (service: string, method: string, path: string, body = ''): AwsCall =>
  ({ service, region: 'us-east-1', operation: `${method} ${path.split('?')[0]}`, api: nameOperation(service, method, path, undefined, body).name, mutating: method !== 'GET', body, method, path, headers: {} });
const xml = (body: string, status = 200): Reply => ({ status, body, headers: { 'content-type': 'text/xml' } });
const json = (doc: unknown, status = 200): Reply => ({ status, body: JSON.stringify(doc), headers: { 'content-type': 'application/x-amz-json-1.1' } });
const tag = (body: string, name: string) => [...body.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]);

const EC2 = 'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"';
const natItem = (state: string) =>
  `<subnetId>subnet-1</subnetId><natGatewayAddressSet><item><allocationId>eipalloc-1</allocationId></item></natGatewayAddressSet><natGatewayId>nat-1</natGatewayId><state>${state}</state><tagSet></tagSet>`;
const createNat = xml(`<CreateNatGatewayResponse ${EC2}><requestId>r</requestId><natGateway>${natItem('available')}</natGateway></CreateNatGatewayResponse>`);
const describeNat = (state: string) => xml(`<DescribeNatGatewaysResponse ${EC2}><requestId>r</requestId><natGatewaySet><item>${natItem(state)}</item></natGatewaySet></DescribeNatGatewaysResponse>`);

const RDS = 'xmlns="http://rds.amazonaws.com/doc/2014-10-31/"';
const dbInstance = (multiAz: boolean) =>
  `<DBInstance><DBInstanceIdentifier>blog-db</DBInstanceIdentifier><Engine>mysql</Engine><DBInstanceStatus>available</DBInstanceStatus><Endpoint><Address>blog-db.aaaa.us-east-1.rds.amazonaws.com</Address><Port>3306</Port></Endpoint><MultiAZ>${multiAz}</MultiAZ></DBInstance>`;
const rdsOk = (op: string, inner: string) => xml(`<${op}Response ${RDS}><${op}Result>${inner}</${op}Result><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></${op}Response>`);
const dbNotFound = xml(`<ErrorResponse ${RDS}><Error><Type>Sender</Type><Code>DBInstanceNotFound</Code><Message>DBInstance blog-db not found.</Message></Error></ErrorResponse>`, 404);

describe('Timeline', () => {
  it('keeps a resource in its transition for the AWS duration divided by the scale, and not a millisecond more', () => {
    let now = 0;
    const t = new Timeline(makeProfile({ scale: 60 }), () => now);
    t.begin('nat', 'nat-1', 'creating', 120_000);
    now = 1999;
    expect(t.phase('nat', 'nat-1')).toBe('creating');
    expect(t.ids('nat', 'creating')).toEqual(['nat-1']);
    now = 2000;
    expect(t.phase('nat', 'nat-1')).toBeUndefined();
    expect(t.ids('nat', 'creating')).toEqual([]);
    expect(t.phase('nat', 'nat-2')).toBeUndefined();
  });

  it('scales with the profile: at scale 1 a 2-minute NAT takes 2 minutes', () => {
    let now = 0;
    const t = new Timeline(makeProfile({ scale: 1 }), () => now);
    t.begin('nat', 'nat-1', 'creating', 120_000);
    now = 119_999;
    expect(t.phase('nat', 'nat-1')).toBe('creating');
    now = 120_000;
    expect(t.phase('nat', 'nat-1')).toBeUndefined();
  });
});

describe('the simulated AWS', () => {
  it('NAT gateway: pending for 2 min (2 s at scale 60) after CreateNatGateway, deleting for 1 min after DeleteNatGateway', () => {
    const { s, at } = world();
    expect(tag(simulate(call('ec2', 'CreateNatGateway'), createNat, s).body, 'state')).toEqual(['pending']);
    at(1990);
    expect(tag(simulate(call('ec2', 'DescribeNatGateways'), describeNat('available'), s).body, 'state')).toEqual(['pending']);
    at(2000);
    expect(tag(simulate(call('ec2', 'DescribeNatGateways'), describeNat('available'), s).body, 'state')).toEqual(['available']);
    simulate(call('ec2', 'DeleteNatGateway', 'Action=DeleteNatGateway&NatGatewayId=nat-1'), xml('<DeleteNatGatewayResponse/>'), s);
    at(2990);
    expect(tag(simulate(call('ec2', 'DescribeNatGateways'), describeNat('deleted'), s).body, 'state')).toEqual(['deleting']);
    at(3000);
    expect(tag(simulate(call('ec2', 'DescribeNatGateways'), describeNat('deleted'), s).body, 'state')).toEqual(['deleted']);
  });

  it('a failed create starts nothing', () => {
    const { s } = world();
    simulate(call('ec2', 'CreateNatGateway'), xml('<Response><Errors><Error><Code>InvalidSubnetID.NotFound</Code></Error></Errors></Response>', 400), s);
    expect(tag(simulate(call('ec2', 'DescribeNatGateways'), describeNat('available'), s).body, 'state')).toEqual(['available']);
  });

  it('RDS Multi-AZ: creating without an endpoint for 15 min; single-AZ for 7', () => {
    const { s, at } = world();
    simulate(call('rds', 'CreateDBInstance', 'Action=CreateDBInstance&MultiAZ=true'), rdsOk('CreateDBInstance', dbInstance(true)), s);
    const describe = () => simulate(call('rds', 'DescribeDBInstances', 'Action=DescribeDBInstances&DBInstanceIdentifier=blog-db'), rdsOk('DescribeDBInstances', `<DBInstances>${dbInstance(true)}</DBInstances>`), s).body;
    at(14_999);
    expect(tag(describe(), 'DBInstanceStatus')).toEqual(['creating']);
    expect(describe()).not.toContain('<Endpoint>');
    at(15_000);
    expect(tag(describe(), 'DBInstanceStatus')).toEqual(['available']);
    expect(tag(describe(), 'Address')).toEqual(['blog-db.aaaa.us-east-1.rds.amazonaws.com']);

    const single = world();
    simulate(call('rds', 'CreateDBInstance', 'Action=CreateDBInstance&MultiAZ=false'), rdsOk('CreateDBInstance', dbInstance(false)), single.s);
    single.at(6_999);
    const d1 = simulate(call('rds', 'DescribeDBInstances', 'DBInstanceIdentifier=blog-db'), rdsOk('DescribeDBInstances', `<DBInstances>${dbInstance(false)}</DBInstances>`), single.s);
    expect(tag(d1.body, 'DBInstanceStatus')).toEqual(['creating']);
    single.at(7_000);
    const d2 = simulate(call('rds', 'DescribeDBInstances', 'DBInstanceIdentifier=blog-db'), rdsOk('DescribeDBInstances', `<DBInstances>${dbInstance(false)}</DBInstances>`), single.s);
    expect(tag(d2.body, 'DBInstanceStatus')).toEqual(['available']);
  });

  it('RDS delete: moto drops the instance at once, the simulator answers `deleting` for 8 min, then lets the not-found through', () => {
    const { s, at } = world();
    const del = simulate(call('rds', 'DeleteDBInstance', 'Action=DeleteDBInstance&DBInstanceIdentifier=blog-db&FinalDBSnapshotIdentifier=f'), rdsOk('DeleteDBInstance', dbInstance(true)), s);
    expect(tag(del.body, 'DBInstanceStatus')).toEqual(['deleting']);
    at(7_999);
    const during = simulate(call('rds', 'DescribeDBInstances', 'Action=DescribeDBInstances&DBInstanceIdentifier=blog-db'), dbNotFound, s);
    expect(during.status).toBe(200);
    expect(tag(during.body, 'DBInstanceIdentifier')).toEqual(['blog-db']);
    expect(tag(during.body, 'DBInstanceStatus')).toEqual(['deleting']);
    expect(during.body).toContain('<DescribeDBInstancesResult><DBInstances>');
    // A listing without an identifier lists it too.
    const list = simulate(call('rds', 'DescribeDBInstances', 'Action=DescribeDBInstances'), rdsOk('DescribeDBInstances', '<DBInstances></DBInstances>'), s);
    expect(tag(list.body, 'DBInstanceStatus')).toEqual(['deleting']);
    at(8_000);
    expect(simulate(call('rds', 'DescribeDBInstances', 'DBInstanceIdentifier=blog-db'), dbNotFound, s)).toBe(dbNotFound);
  });

  it('ALB: provisioning for 3 min; after DeleteLoadBalancer still listed (as active) for 1 min, by ARN and by name', () => {
    const { s, at } = world();
    const arn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/blog-alb/50dc6c495c0c9188';
    const lb = (code: string) => `<LoadBalancers><member><LoadBalancerArn>${arn}</LoadBalancerArn><LoadBalancerName>blog-alb</LoadBalancerName><State><Code>${code}</Code></State></member></LoadBalancers>`;
    const ok = (op: string, code: string) => xml(`<${op}Response><${op}Result>${lb(code)}</${op}Result></${op}Response>`);
    const notFound = xml('<ErrorResponse><Error><Code>LoadBalancerNotFound</Code></Error></ErrorResponse>', 400);
    simulate(call('elasticloadbalancing', 'CreateLoadBalancer'), ok('CreateLoadBalancer', 'provisioning'), s);
    const byArn = `Action=DescribeLoadBalancers&LoadBalancerArns.member.1=${encodeURIComponent(arn)}`;
    at(2_999);
    expect(tag(simulate(call('elasticloadbalancing', 'DescribeLoadBalancers', byArn), ok('DescribeLoadBalancers', 'active'), s).body, 'Code')).toEqual(['provisioning']);
    at(3_000);
    expect(tag(simulate(call('elasticloadbalancing', 'DescribeLoadBalancers', byArn), ok('DescribeLoadBalancers', 'active'), s).body, 'Code')).toEqual(['active']);
    // Just before the delete, the simulator reads the load balancer from moto.
    const del = call('elasticloadbalancing', 'DeleteLoadBalancer', `Action=DeleteLoadBalancer&LoadBalancerArn=${encodeURIComponent(arn)}`);
    const before = describeBeforeDelete(del)!;
    expect(new URLSearchParams(before.body).get('LoadBalancerArns.member.1')).toBe(arn);
    simulate(before.as, ok('DescribeLoadBalancers', 'active'), s);
    simulate(del, xml('<DeleteLoadBalancerResponse/>'), s);
    at(3_999);
    const gone = simulate(call('elasticloadbalancing', 'DescribeLoadBalancers', byArn), notFound, s);
    expect(gone.status).toBe(200);
    expect(tag(gone.body, 'LoadBalancerArn')).toEqual([arn]);
    expect(tag(simulate(call('elasticloadbalancing', 'DescribeLoadBalancers', 'Names.member.1=blog-alb'), notFound, s).body, 'LoadBalancerArn')).toEqual([arn]);
    at(4_000);
    expect(simulate(call('elasticloadbalancing', 'DescribeLoadBalancers', byArn), notFound, s)).toBe(notFound);
  });

  it('ECS service: no task running and the rollout in progress for 2.5 min after CreateService; a scale to 0 starts no deployment; DRAINING for 30 s after DeleteService', () => {
    const { s, at } = world();
    const arn = 'arn:aws:ecs:us-east-1:123456789012:service/blog-cluster/blog-wordpress';
    const svc = (status: string, running: number, desired = 2) => ({
      serviceArn: arn, serviceName: 'blog-wordpress', status, desiredCount: desired, runningCount: running, pendingCount: desired - running,
      deployments: [{ status: 'PRIMARY', desiredCount: desired, runningCount: running, taskDefinition: 'td:1' }],
    });
    const describe = (status = 'ACTIVE', running = 2, desired = 2) =>
      JSON.parse(simulate(call('ecs', 'DescribeServices'), json({ services: [svc(status, running, desired)], failures: [] }), s).body) as { services: Array<Record<string, any>> };
    simulate(call('ecs', 'CreateService'), json({ service: svc('ACTIVE', 2) }), s);
    at(2_499);
    const creating = describe().services[0]!;
    expect(creating).toMatchObject({ runningCount: 0, pendingCount: 2 });
    expect(creating.deployments[0]).toMatchObject({ runningCount: 0, rolloutState: 'IN_PROGRESS' });
    at(2_500);
    expect(describe().services[0]).toMatchObject({ runningCount: 2 });
    simulate(call('ecs', 'UpdateService', JSON.stringify({ service: arn, desiredCount: 0 })), json({ service: svc('ACTIVE', 0, 0) }), s);
    expect(describe('ACTIVE', 0, 0).services[0]).toMatchObject({ status: 'ACTIVE', runningCount: 0 });
    expect(describe('ACTIVE', 0, 0).services[0]!.deployments[0].rolloutState).toBeUndefined();
    simulate(call('ecs', 'UpdateService', JSON.stringify({ service: arn, taskDefinition: 'td:2' })), json({ service: svc('ACTIVE', 2) }), s);
    at(2_600);
    expect(describe().services[0]!.deployments[0].rolloutState).toBe('IN_PROGRESS');
    at(5_000);
    simulate(call('ecs', 'DeleteService'), json({ service: svc('INACTIVE', 0, 0) }), s);
    at(5_499);
    expect(describe('INACTIVE', 0, 0).services[0]!.status).toBe('DRAINING');
    at(5_500);
    expect(describe('INACTIVE', 0, 0).services[0]!.status).toBe('INACTIVE');
  });

  it('EFS mount target: creating for 1.5 min; deleting for 1 min, by id (moto: not found) and in the file system\'s list', () => {
    const { s, at } = world();
    const mt = { MountTargetId: 'fsmt-1', FileSystemId: 'fs-1', SubnetId: 'subnet-1', LifeCycleState: 'available' };
    const created = simulate(rest('elasticfilesystem', 'POST', '/2015-02-01/mount-targets'), json(mt), s);
    expect(JSON.parse(created.body).LifeCycleState).toBe('creating');
    const byId = rest('elasticfilesystem', 'GET', '/2015-02-01/mount-targets?MountTargetId=fsmt-1');
    at(1_499);
    expect(JSON.parse(simulate(byId, json({ MountTargets: [mt] }), s).body).MountTargets[0].LifeCycleState).toBe('creating');
    at(1_500);
    expect(JSON.parse(simulate(byId, json({ MountTargets: [mt] }), s).body).MountTargets[0].LifeCycleState).toBe('available');
    const del = rest('elasticfilesystem', 'DELETE', '/2015-02-01/mount-targets/fsmt-1');
    expect(describeBeforeDelete(del)?.path).toBe('/2015-02-01/mount-targets?MountTargetId=fsmt-1');
    simulate(del, { status: 204, body: '' }, s);
    const notFound = json({ ErrorCode: 'MountTargetNotFound' }, 404);
    at(2_499);
    const during = simulate(byId, notFound, s);
    expect(during.status).toBe(200);
    expect(JSON.parse(during.body).MountTargets[0]).toMatchObject({ MountTargetId: 'fsmt-1', LifeCycleState: 'deleting' });
    const list = simulate(rest('elasticfilesystem', 'GET', '/2015-02-01/mount-targets?FileSystemId=fs-1'), json({ MountTargets: [] }), s);
    expect(JSON.parse(list.body).MountTargets).toEqual([expect.objectContaining({ MountTargetId: 'fsmt-1', LifeCycleState: 'deleting' })]);
    expect(JSON.parse(simulate(rest('elasticfilesystem', 'GET', '/2015-02-01/mount-targets?FileSystemId=fs-2'), json({ MountTargets: [] }), s).body).MountTargets).toEqual([]);
    at(2_500);
    expect(simulate(byId, notFound, s)).toBe(notFound);
  });

  it('ACM: PENDING_VALIDATION whatever moto says until 3 min after the validation CNAME is written; the Route 53 change is PENDING for 1 min', () => {
    const { s, at } = world();
    const arn = 'arn:aws:acm:us-east-1:123456789012:certificate/abc';
    const name = '_d930b28be6c5927595552b219965053e.www.blog.example.com.';
    const cert = { Certificate: { CertificateArn: arn, Status: 'ISSUED', DomainValidationOptions: [{ DomainName: 'www.blog.example.com', ValidationStatus: 'SUCCESS', ResourceRecord: { Name: name, Type: 'CNAME', Value: 'x' } }] } };
    const describe = () => JSON.parse(simulate(call('acm', 'DescribeCertificate'), json(structuredClone(cert)), s).body).Certificate;
    simulate(call('acm', 'RequestCertificate'), json({ CertificateArn: arn }), s);
    at(60_000);
    expect(describe()).toMatchObject({ Status: 'PENDING_VALIDATION', DomainValidationOptions: [{ ValidationStatus: 'PENDING_VALIDATION' }] });
    const listed = JSON.parse(simulate(call('acm', 'ListCertificates'), json({ CertificateSummaryList: [{ CertificateArn: arn, Status: 'ISSUED' }] }), s).body);
    expect(listed.CertificateSummaryList[0].Status).toBe('PENDING_VALIDATION');

    const change = `<?xml version="1.0"?><ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes><Change><Action>UPSERT</Action><ResourceRecordSet><Name>${name.toUpperCase()}</Name><Type>CNAME</Type><TTL>300</TTL></ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`;
    const answer = xml('<ChangeResourceRecordSetsResponse><ChangeInfo><Id>/change/C123</Id><Status>INSYNC</Status></ChangeInfo></ChangeResourceRecordSetsResponse>');
    at(61_000);
    expect(tag(simulate(rest('route53', 'POST', '/2013-04-01/hostedzone/Z1/rrset', change), answer, s).body, 'Status')).toEqual(['PENDING']);
    const getChange = () => tag(simulate(rest('route53', 'GET', '/2013-04-01/change/C123'), xml('<GetChangeResponse><ChangeInfo><Id>C123</Id><Status>INSYNC</Status></ChangeInfo></GetChangeResponse>'), s).body, 'Status');
    at(61_999);
    expect(getChange()).toEqual(['PENDING']);
    at(62_000);
    expect(getChange()).toEqual(['INSYNC']);
    at(63_999);
    expect(describe().Status).toBe('PENDING_VALIDATION');
    at(64_000);
    expect(describe().Status).toBe('ISSUED');
  });

  it('certificates not requested through it, and unknown services, pass through unchanged', () => {
    const { s } = world();
    const other = json({ Certificate: { CertificateArn: 'arn:other', Status: 'ISSUED' } });
    expect(simulate(call('acm', 'DescribeCertificate'), other, s)).toBe(other);
    const sts = xml('<GetCallerIdentityResponse/>');
    expect(simulate(call('sts', 'GetCallerIdentity'), sts, s)).toBe(sts);
    expect(s.errors).toEqual([]);
  });
});
