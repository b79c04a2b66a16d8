/**
 * Calls where moto 5.1.1 fails with an internal error (an HTML 500 page) where AWS answers with an
 * error code a client can act on. Each is answered here as AWS would, after a look at what moto
 * holds; everything else goes to moto. Part of the recording proxy (aws-proxy.ts). A lookup that
 * fails is an error of the proxy (500), never a call let through.
 *
 * - EC2 DeleteNetworkAclEntry of an entry that is not there: moto raises StopIteration; AWS answers
 *   `InvalidNetworkAclEntry.NotFound` (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
 * - EC2 ReplaceNetworkAclAssociation naming an association no ACL holds (one a first attempt already
 *   replaced is answered by client-tokens.ts, as the operation is idempotent): moto raises
 *   StopIteration; AWS answers `InvalidAssociationID.NotFound` (same page).
 * - RDS DeleteDBProxy of a proxy that is not there: moto raises KeyError; AWS answers
 *   `DBProxyNotFoundFault` (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBProxy.html).
 *   RegisterDBProxyTargets of an instance already registered: moto registers it twice; AWS answers
 *   `DBProxyTargetAlreadyRegisteredFault` (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RegisterDBProxyTargets.html).
 * - Application Auto Scaling DeleteScalingPolicy and DeregisterScalableTarget of what is not there:
 *   moto answers ValidationException, AWS `ObjectNotFoundException` ("The specified object could not be
 *   found", https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeleteScalingPolicy.html,
 *   https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DeregisterScalableTarget.html).
 */
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand, type ServiceNamespace } from '@aws-sdk/client-application-auto-scaling';
import { DescribeNetworkAclsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeDBProxiesCommand, DescribeDBProxyTargetsCommand, RDSClient } from '@aws-sdk/client-rds';
import type { AwsCall, Reply } from './aws-proxy.js';

const ec2Error = (code: string, message: string): Reply => ({
  status: 400,
  body: `<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>moto-gaps</RequestID></Response>`,
});

const objectNotFound = (message: string): Reply => ({
  status: 400, body: JSON.stringify({ __type: 'ObjectNotFoundException', Message: message }), headers: { 'content-type': 'application/x-amz-json-1.1' },
});

export function motoGaps(motoEndpoint: string): (call: AwsCall) => Promise<Reply | undefined> {
  const clients = new Map<string, unknown>();
  /** One client per class and region, made on first use. */
  const client = <T>(Ctor: new (config: object) => T, region: string): T => {
    const key = `${Ctor.name} ${region}`;
    if (!clients.has(key)) clients.set(key, new Ctor({ endpoint: motoEndpoint, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }));
    return clients.get(key) as T;
  };
  const ec2 = (region: string) => client(EC2Client, region);
  return async (call) => {
    if (call.service === 'application-autoscaling') return autoScalingGap(call, client(ApplicationAutoScalingClient, call.region));
    if (call.service === 'rds') return rdsGap(call, client(RDSClient, call.region));
    if (call.service !== 'ec2') return undefined;
    const p = new URLSearchParams(call.body);
    if (call.api === 'DeleteNetworkAclEntry') {
      const id = p.get('NetworkAclId') ?? '';
      const acl = (await ec2(call.region).send(new DescribeNetworkAclsCommand({ NetworkAclIds: [id] }))).NetworkAcls?.[0];
      const egress = p.get('Egress') === 'true';
      const there = acl?.Entries?.some((e) => e.RuleNumber === Number(p.get('RuleNumber')) && !!e.Egress === egress);
      return there ? undefined : ec2Error('InvalidNetworkAclEntry.NotFound', `The network ACL entry identified by ${p.get('RuleNumber')} does not exist in ${id}.`);
    }
    if (call.api === 'ReplaceNetworkAclAssociation') {
      const assoc = p.get('AssociationId') ?? '';
      // Every ACL, read here: moto does not filter by association.association-id.
      const all = (await ec2(call.region).send(new DescribeNetworkAclsCommand({}))).NetworkAcls ?? [];
      const held = all.some((a) => a.Associations?.some((x) => x.NetworkAclAssociationId === assoc));
      return held ? undefined : ec2Error('InvalidAssociationID.NotFound', `The association ID '${assoc}' does not exist`);
    }
    return undefined;
  };
}

async function autoScalingGap(call: AwsCall, client: ApplicationAutoScalingClient): Promise<Reply | undefined> {
  if (call.api !== 'DeleteScalingPolicy' && call.api !== 'DeregisterScalableTarget') return undefined;
  const b = JSON.parse(call.body) as { PolicyName?: string; ServiceNamespace: ServiceNamespace; ResourceId: string; ScalableDimension: never };
  const what = { ServiceNamespace: b.ServiceNamespace, ResourceId: b.ResourceId, ScalableDimension: b.ScalableDimension };
  if (call.api === 'DeleteScalingPolicy') {
    const r = await client.send(new DescribeScalingPoliciesCommand({ ...what, PolicyNames: [b.PolicyName!] }));
    return r.ScalingPolicies?.length ? undefined : objectNotFound(`No scaling policy found for service namespace: ${b.ServiceNamespace}, resource ID: ${b.ResourceId}, scalable dimension: ${b.ScalableDimension}, policy name: ${b.PolicyName}`);
  }
  const r = await client.send(new DescribeScalableTargetsCommand({ ServiceNamespace: b.ServiceNamespace, ResourceIds: [b.ResourceId], ScalableDimension: b.ScalableDimension }));
  return r.ScalableTargets?.length ? undefined : objectNotFound(`No scalable target registered for service namespace: ${b.ServiceNamespace}, resource ID: ${b.ResourceId}, scalable dimension: ${b.ScalableDimension}`);
}

const rdsError = (status: number, code: string, message: string): Reply => ({
  status,
  body: `<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>moto-gaps</RequestId></ErrorResponse>`,
});

async function rdsGap(call: AwsCall, client: RDSClient): Promise<Reply | undefined> {
  if (call.api !== 'DeleteDBProxy' && call.api !== 'RegisterDBProxyTargets') return undefined;
  const p = new URLSearchParams(call.body);
  const name = p.get('DBProxyName') ?? '';
  const proxies = (await client.send(new DescribeDBProxiesCommand({}))).DBProxies ?? [];
  if (!proxies.some((x) => x.DBProxyName === name)) return rdsError(404, 'DBProxyNotFoundFault', `The specified proxy name ${name} doesn't correspond to a proxy owned by your Amazon Web Services account in the specified Amazon Web Services Region.`);
  if (call.api === 'DeleteDBProxy') return undefined;
  const targets = (await client.send(new DescribeDBProxyTargetsCommand({ DBProxyName: name }))).Targets ?? [];
  const asked = [...p.entries()].filter(([k]) => k.startsWith('DBInstanceIdentifiers.')).map(([, v]) => v);
  const already = asked.filter((id) => targets.some((t) => t.RdsResourceId === id));
  return already.length ? rdsError(400, 'DBProxyTargetAlreadyRegisteredFault', `The proxy is already associated with the specified RDS DB instance ${already.join(', ')}.`) : undefined;
}
