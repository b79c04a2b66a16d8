/**
 * What AWS keeps for a while after a call, and moto does not: the rules of aws-rules.ts that need a
 * memory of earlier calls.
 *
 * - Lingering network interfaces. The requester-managed interfaces of a load balancer, of Fargate
 *   tasks and of an RDS Proxy stay minutes after their owner is deleted (AWS deletes them itself,
 *   later: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/requester-managed-eni.html). When the
 *   CLI deletes such an owner (DeleteLoadBalancer; UpdateService to 0 tasks or DeleteService;
 *   DeleteDBProxy), the rules keep synthetic interfaces where the owner's were (its subnets and
 *   groups, a public address for an internet-facing load balancer) for `lingerMs`: answered in
 *   DescribeNetworkInterfaces, and refusing DeleteSubnet, DeleteSecurityGroup and
 *   DetachInternetGateway with AWS's DependencyViolation.
 * - A certificate in use. ACM goes on counting a certificate in use by a load balancer for a while
 *   after its listener or load balancer is deleted: DeleteCertificate is refused with
 *   ResourceInUseException for `lingerMs` after that.
 * - AWS Backup's recovery points, which moto lacks (aws-backup.ts).
 * - Pending RDS modifications. A ModifyDBInstance without ApplyImmediately queues what AWS applies
 *   in the maintenance window (DBInstanceClass, AllocatedStorage, ...:
 *   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ModifyInstance.Settings.html);
 *   moto applies everything at once and keeps no PendingModifiedValues, so the rules remember them.
 *   A later ModifyDBInstance with ApplyImmediately=true applies "the modifications in this request
 *   and any pending modifications" (API_ModifyDBInstance): the instance goes `modifying` for
 *   `modifyingMs`, and DeleteDBInstance is refused meanwhile (InvalidDBInstanceState).
 */
import { randomBytes } from 'node:crypto';
import { DescribeSubnetsCommand, type Filter, type NetworkInterface } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeListenersCommand, DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeDBInstancesCommand, DescribeDBProxiesCommand } from '@aws-sdk/client-rds';
import { backupSimulation, type BackupSimulation } from './aws-backup.js';
import type { Reply } from './aws-proxy.js';
import type { Ctx, Refuse } from './aws-rules.js';

export interface AftermathOptions {
  /** How long interfaces (and a certificate's use) outlive their owner's delete; default 2 s. */
  lingerMs?: number;
  /** How long an instance stays `modifying` once pending modifications are applied; default 10 min. */
  modifyingMs?: number;
}

/** One interface the rules keep after its owner's delete. */
export interface KeptInterface {
  eni: NetworkInterface;
  owner: string;
  until: number;
}

export interface Aftermath {
  readonly interfaces: KeptInterface[];
  /** AWS Backup's recovery points (moto has none): aws-backup.ts. */
  readonly backup: BackupSimulation;
  /** DBInstanceIdentifier -> the fields queued for the maintenance window. */
  readonly pending: Map<string, string[]>;
  /** DBInstanceIdentifier -> until when it is `modifying`. */
  readonly modifying: Map<string, number>;
  /** An answer of its own (DescribeNetworkInterfaces, with the kept interfaces; AWS Backup). */
  answer(c: Ctx): Promise<Reply | undefined>;
  /** A refusal AWS would give because of what it still keeps; `protocol` of the call's service. */
  refuse(c: Ctx): Promise<(Refuse & { rule: string; protocol: 'ec2' | 'json' | 'query'; transient: boolean }) | undefined>;
  /** Notes what a call that goes through leaves behind (run only when no rule refused it). */
  observe(c: Ctx): Promise<void>;
}

/** The fields of ModifyDBInstance that wait for the maintenance window unless ApplyImmediately. */
const WINDOWED = ['DBInstanceClass', 'AllocatedStorage', 'StorageType', 'Iops', 'MultiAZ', 'EngineVersion', 'CACertificateIdentifier', 'OptionGroupName', 'EnableIAMDatabaseAuthentication', 'NetworkType'];

/** What the rules of aws-rules.ts know how to look up, for these rules. */
export interface Lookups {
  /** moto's interfaces as AWS would list them (less those AWS deleted with their NAT gateway). */
  live(c: Ctx, filters: Filter[], ids: string[]): Promise<NetworkInterface[]>;
  groupIdByName(c: Ctx, name: string): Promise<string | undefined>;
}

export function aftermath(lookups: Lookups, options: AftermathOptions = {}): Aftermath {
  const lingerMs = options.lingerMs ?? 2_000;
  const modifyingMs = options.modifyingMs ?? 10 * 60_000;
  const interfaces: KeptInterface[] = [];
  const certificates = new Map<string, number>();
  const pending = new Map<string, string[]>();
  const modifying = new Map<string, number>();
  const owners = new Set<string>();
  const kept = (filters: Filter[], ids: string[]) =>
    interfaces.filter((k) => k.until > Date.now() && (ids.length === 0 || ids.includes(k.eni.NetworkInterfaceId!)) && filters.every((f) => matchFilter(k.eni, f)));

  const keep = (owner: string, enis: NetworkInterface[]) => {
    if (owners.has(owner) || lingerMs <= 0) return;
    owners.add(owner);
    for (const eni of enis) interfaces.push({ eni, owner, until: Date.now() + lingerMs });
  };

  const backup = backupSimulation();
  return {
    interfaces,
    backup,
    pending,
    modifying,

    async answer(c) {
      const backedUp = backup.answer(c.call);
      if (backedUp) return backedUp;
      if (c.call.service !== 'ec2' || c.call.operation !== 'DescribeNetworkInterfaces') return undefined;
      const { filters, ids } = ec2Query(c.params);
      const mine = kept(filters, ids).map((k) => k.eni);
      const synthetic = new Set(interfaces.map((k) => k.eni.NetworkInterfaceId));
      let theirs: NetworkInterface[] = [];
      if (!(ids.length && ids.every((id) => synthetic.has(id)))) {
        try {
          theirs = await lookups.live(c, filters, ids);
        } catch (err) {
          // moto refuses the request itself (an unknown interface id, say): its own error is the answer
          if ((err as { $fault?: string }).$fault === 'client') return undefined;
          throw err;
        }
      }
      return ec2Reply('DescribeNetworkInterfacesResponse', `<networkInterfaceSet>${[...theirs, ...mine].map(eniXml).join('')}</networkInterfaceSet>`);
    },

    async refuse(c) {
      const op = `${c.call.service} ${c.call.operation}`;
      if (op === 'ec2 DeleteSubnet') {
        const id = c.param('SubnetId');
        const k = kept([{ Name: 'subnet-id', Values: [id] }], [])[0];
        if (k) return { rule: 'lingering interfaces', protocol: 'ec2', transient: true, code: 'DependencyViolation', message: `The subnet '${id}' has dependencies and cannot be deleted.`, reason: `${k.eni.NetworkInterfaceId} of ${k.owner}, kept after its delete` };
      }
      if (op === 'ec2 DeleteSecurityGroup') {
        const id = c.params.get('GroupId') ?? (await lookups.groupIdByName(c, c.param('GroupName')));
        const k = id ? kept([{ Name: 'group-id', Values: [id] }], [])[0] : undefined;
        if (k) return { rule: 'lingering interfaces', protocol: 'ec2', transient: true, code: 'DependencyViolation', message: `resource ${id} has a dependent object`, reason: `${k.eni.NetworkInterfaceId} of ${k.owner}, kept after its delete` };
      }
      if (op === 'ec2 DetachInternetGateway') {
        const vpc = c.param('VpcId');
        const k = kept([{ Name: 'vpc-id', Values: [vpc] }], []).find((x) => x.eni.Association?.PublicIp);
        if (k) {
          return {
            rule: 'lingering interfaces', protocol: 'ec2', transient: true, code: 'DependencyViolation',
            message: `Network ${vpc} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`,
            reason: `${k.eni.NetworkInterfaceId} (${k.eni.Association?.PublicIp}) of ${k.owner}, kept after its delete`,
          };
        }
      }
      if (op === 'acm DeleteCertificate') {
        const arn = c.jsonString('CertificateArn');
        if ((certificates.get(arn) ?? 0) > Date.now()) return { rule: 'certificate in use', protocol: 'json', transient: true, code: 'ResourceInUseException', message: `Certificate ${arn} in account ${arn.split(':')[4]} is in use.`, reason: 'its load balancer was just deleted' };
      }
      if (op === 'rds DeleteDBInstance') {
        const id = c.param('DBInstanceIdentifier').toLowerCase();
        if ((modifying.get(id) ?? 0) > Date.now()) return { rule: 'instance modifying', protocol: 'query', transient: false, code: 'InvalidDBInstanceState', message: `Instance ${id} is currently modifying and cannot be deleted.`, reason: 'pending modifications applied by ApplyImmediately' };
      }
      return undefined;
    },

    async observe(c) {
      const op = `${c.call.service} ${c.call.operation}`;
      if (op === 'elasticloadbalancing DeleteLoadBalancer') {
        const arn = c.param('LoadBalancerArn');
        const lb = (await c.aws.elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }))).LoadBalancers?.[0];
        if (!lb) return;
        await useCertificates(c, { LoadBalancerArn: arn });
        const description = `ELB ${arn.split(':loadbalancer/')[1]}`;
        keep(arn, (lb.AvailabilityZones ?? []).map((z) => synthetic({
          SubnetId: z.SubnetId, VpcId: lb.VpcId, AvailabilityZone: z.ZoneName, Description: description, RequesterId: 'amazon-elb',
          Groups: (lb.SecurityGroups ?? []).map((GroupId) => ({ GroupId })),
          Association: lb.Scheme !== 'internal' ? { PublicIp: `203.0.113.${1 + Math.floor(Math.random() * 250)}`, IpOwnerId: 'amazon' } : undefined,
        })));
      } else if (op === 'elasticloadbalancing DeleteListener') {
        await useCertificates(c, { ListenerArns: [c.param('ListenerArn')] });
      } else if ((op === 'ecs UpdateService' && c.json.desiredCount === 0) || op === 'ecs DeleteService') {
        const cluster = typeof c.json.cluster === 'string' ? c.json.cluster : 'default';
        const s = (await c.aws.ecs.send(new DescribeServicesCommand({ cluster, services: [c.jsonString('service')] }))).services?.[0];
        const net = s?.networkConfiguration?.awsvpcConfiguration;
        const tasks = Math.max(s?.runningCount ?? 0, s?.desiredCount ?? 0);
        if (!s?.serviceArn || !net || tasks === 0) return;
        const region = s.serviceArn.split(':')[3];
        const account = s.serviceArn.split(':')[4];
        const subnets = await subnetsOf(c, net.subnets ?? []);
        keep(s.serviceArn, Array.from({ length: tasks }, (_, i) => synthetic({
          ...subnets[i % subnets.length], Description: `arn:aws:ecs:${region}:${account}:attachment/${randomBytes(16).toString('hex')}`,
          RequesterId: '578734482556', Groups: (net.securityGroups ?? []).map((GroupId) => ({ GroupId })),
        })));
      } else if (op === 'rds DeleteDBProxy') {
        const name = c.param('DBProxyName');
        const p = (await c.aws.rds.send(new DescribeDBProxiesCommand({ DBProxyName: name }))).DBProxies?.[0];
        if (!p?.DBProxyArn) return;
        keep(p.DBProxyArn, (await subnetsOf(c, p.VpcSubnetIds ?? [])).map((where) => synthetic({
          ...where, Description: 'RDSNetworkInterface', RequesterId: 'amazon-rds', Groups: (p.VpcSecurityGroupIds ?? []).map((GroupId) => ({ GroupId })),
        })));
      } else if (op === 'rds ModifyDBInstance') {
        const id = c.param('DBInstanceIdentifier').toLowerCase();
        const fields = WINDOWED.filter((f) => c.params.has(f));
        const queued = [...(pending.get(id) ?? []), ...(await motoPending(c, id))];
        if (c.params.get('ApplyImmediately') === 'true') {
          pending.delete(id);
          if (queued.length) modifying.set(id, Date.now() + modifyingMs);
        } else if (fields.length) {
          pending.set(id, [...new Set([...queued, ...fields])]);
        }
      }
    },
  };

  async function useCertificates(c: Ctx, by: { LoadBalancerArn?: string; ListenerArns?: string[] }) {
    const listeners = (await c.aws.elb.send(new DescribeListenersCommand(by))).Listeners ?? [];
    for (const l of listeners) for (const cert of l.Certificates ?? []) if (cert.CertificateArn) certificates.set(cert.CertificateArn, Date.now() + lingerMs);
  }
}

/** Where interfaces in these subnets are: subnet, VPC and zone. */
async function subnetsOf(c: Ctx, ids: string[]): Promise<Array<Pick<NetworkInterface, 'SubnetId' | 'VpcId' | 'AvailabilityZone'>>> {
  if (!ids.length) return [];
  const subnets = (await c.aws.ec2.send(new DescribeSubnetsCommand({ SubnetIds: ids }))).Subnets ?? [];
  return subnets.map((s) => ({ SubnetId: s.SubnetId, VpcId: s.VpcId, AvailabilityZone: s.AvailabilityZone }));
}

/** What moto itself lists as pending (it keeps none today; read so that a moto that does counts). */
async function motoPending(c: Ctx, id: string): Promise<string[]> {
  const db = (await c.aws.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances?.[0];
  return Object.entries(db?.PendingModifiedValues ?? {}).filter(([, v]) => v !== undefined).map(([k]) => k);
}

function synthetic(e: NetworkInterface): NetworkInterface {
  return { NetworkInterfaceId: `eni-${randomBytes(9).toString('hex').slice(0, 17)}`, InterfaceType: 'interface', RequesterManaged: true, Status: 'in-use', ...e };
}

/** Filter names the rules can apply to the interfaces they keep; any other fails the lookup. */
const FIELDS: Record<string, (e: NetworkInterface) => Array<string | undefined>> = {
  'subnet-id': (e) => [e.SubnetId],
  'vpc-id': (e) => [e.VpcId],
  'group-id': (e) => (e.Groups ?? []).map((g) => g.GroupId),
  'network-interface-id': (e) => [e.NetworkInterfaceId],
  'description': (e) => [e.Description],
  'requester-id': (e) => [e.RequesterId],
  'requester-managed': (e) => [String(e.RequesterManaged)],
  'interface-type': (e) => [e.InterfaceType],
  'status': (e) => [e.Status],
  'association.public-ip': (e) => [e.Association?.PublicIp],
};

function matchFilter(e: NetworkInterface, f: Filter): boolean {
  const get = FIELDS[f.Name ?? ''];
  if (!get) throw new Error(`DescribeNetworkInterfaces filter ${f.Name} is not simulated for kept interfaces`);
  const have = get(e);
  return (f.Values ?? []).some((v) => have.includes(v));
}

/** Filter.N.Name / Filter.N.Value.M and NetworkInterfaceId.N of an EC2 query. */
function ec2Query(params: URLSearchParams): { filters: Filter[]; ids: string[] } {
  const filters: Filter[] = [];
  for (let n = 1; params.has(`Filter.${n}.Name`); n++) {
    const Values: string[] = [];
    for (let m = 1; params.has(`Filter.${n}.Value.${m}`); m++) Values.push(params.get(`Filter.${n}.Value.${m}`)!);
    filters.push({ Name: params.get(`Filter.${n}.Name`)!, Values });
  }
  const ids: string[] = [];
  for (let n = 1; params.has(`NetworkInterfaceId.${n}`); n++) ids.push(params.get(`NetworkInterfaceId.${n}`)!);
  return { filters, ids };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const tag = (name: string, v: string | boolean | undefined) => (v === undefined || v === '' ? '' : `<${name}>${esc(String(v))}</${name}>`);

function eniXml(e: NetworkInterface): string {
  return `<item>${tag('networkInterfaceId', e.NetworkInterfaceId)}${tag('subnetId', e.SubnetId)}${tag('vpcId', e.VpcId)}${tag('availabilityZone', e.AvailabilityZone)}`
    + `${tag('description', e.Description)}${tag('ownerId', e.OwnerId)}${tag('requesterId', e.RequesterId)}${tag('requesterManaged', e.RequesterManaged)}`
    + `${tag('status', e.Status)}${tag('interfaceType', e.InterfaceType)}${tag('privateIpAddress', e.PrivateIpAddress)}`
    + `<groupSet>${(e.Groups ?? []).map((g) => `<item>${tag('groupId', g.GroupId)}${tag('groupName', g.GroupName)}</item>`).join('')}</groupSet>`
    + (e.Association?.PublicIp ? `<association>${tag('publicIp', e.Association.PublicIp)}${tag('ipOwnerId', e.Association.IpOwnerId)}${tag('allocationId', e.Association.AllocationId)}${tag('associationId', e.Association.AssociationId)}</association>` : '')
    + (e.Attachment ? `<attachment>${tag('attachmentId', e.Attachment.AttachmentId)}${tag('status', e.Attachment.Status)}${tag('instanceId', e.Attachment.InstanceId)}${tag('instanceOwnerId', e.Attachment.InstanceOwnerId)}</attachment>` : '')
    + `<tagSet>${(e.TagSet ?? []).map((t) => `<item>${tag('key', t.Key)}${tag('value', t.Value)}</item>`).join('')}</tagSet></item>`;
}

function ec2Reply(root: string, inner: string): Reply {
  const requestId = `aftermath-${randomBytes(8).toString('hex')}`;
  return {
    status: 200,
    headers: { 'content-type': 'text/xml;charset=UTF-8', 'x-amzn-requestid': requestId },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>${requestId}</requestId>${inner}</${root}>`,
  };
}
