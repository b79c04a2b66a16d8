/**
 * The resource ARN AWS authorizes each call against, derived from the request (ids in its parameters)
 * and what the run learned from earlier answers (a mount target's file system, a role's path, a
 * proxy's id). One rule per IAM action; the ARN formats are those of the Service Authorization
 * Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
 *
 * An action AWS authorizes only on `*` (no resource type) needs no rule. Any other action without a
 * rule fails the simulation with "no ARN rule for <action>": add one to RULES below. Where the id of
 * a resource is made by AWS after the request (a create) or cannot be known from the request, the
 * rule puts `*` in its place, as a policy scoped to that resource would have to.
 */

/** Request parameters: JSON members, query-protocol keys (`Tags.member.1.Key`), REST path ids. */
export type Params = Record<string, unknown>;

/** What earlier answers in the run said, keyed by kind and name. */
export class Learned {
  private readonly maps = new Map<string, Map<string, string>>();
  set(kind: string, key: string, value: string): void {
    const m = this.maps.get(kind) ?? new Map<string, string>();
    m.set(key, value);
    this.maps.set(kind, m);
  }
  get(kind: string, key: string): string | undefined {
    return this.maps.get(kind)?.get(key);
  }
}

export interface ArnContext {
  region: string;
  account: string;
  learned: Learned;
}

type Rule = (p: Params, c: ArnContext) => string;

const str = (p: Params, ...keys: string[]): string => {
  for (const k of keys) {
    const v = p[k];
    if (typeof v === 'string' && v) return v;
    if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  }
  throw new Error(`none of the parameters ${keys.join(', ')} in the request`);
};
const opt = (p: Params, key: string): string | undefined => (typeof p[key] === 'string' && p[key] ? (p[key] as string) : undefined);
const last = (idOrArn: string, sep = '/') => idOrArn.split(sep).pop()!;

const ec2 = (type: string, key?: string): Rule => (p, c) => `arn:aws:ec2:${c.region}:${c.account}:${type}/${key ? str(p, key) : '*'}`;
/** EC2 ids name their type by their prefix. */
const EC2_TYPES: Record<string, string> = {
  vpc: 'vpc', subnet: 'subnet', sg: 'security-group', igw: 'internet-gateway', rtb: 'route-table', acl: 'network-acl',
  eipalloc: 'elastic-ip', nat: 'natgateway', fl: 'vpc-flow-log', eni: 'network-interface',
};
const ec2ById: Rule = (p, c) => {
  const id = str(p, 'ResourceId.1');
  const type = EC2_TYPES[id.split('-')[0]!];
  if (!type) throw new Error(`no EC2 resource type known for id ${id}`);
  return `arn:aws:ec2:${c.region}:${c.account}:${type}/${id}`;
};

const ecsArn = (c: ArnContext, rest: string) => `arn:aws:ecs:${c.region}:${c.account}:${rest}`;
const cluster = (p: Params) => last(str(p, 'cluster'));
const ecsService: Rule = (p, c) => ecsArn(c, `service/${cluster(p)}/${last(str(p, 'service', 'serviceName', 'services'))}`);

const efsFs = (c: ArnContext, id: string) => `arn:aws:elasticfilesystem:${c.region}:${c.account}:file-system/${id}`;
/** Mount-target calls are authorized on the file system, which the run learned from the mount target's description. */
const efsByMountTarget: Rule = (p, c) => {
  const mt = str(p, 'MountTargetId');
  const fs = c.learned.get('efs:mount-target', mt);
  if (!fs) throw new Error(`file system of mount target ${mt} not seen in an earlier answer`);
  return efsFs(c, fs);
};
const efsByFs: Rule = (p, c) => efsFs(c, str(p, 'FileSystemId'));

const logGroup: Rule = (p, c) => `arn:aws:logs:${c.region}:${c.account}:log-group:${str(p, 'logGroupName', 'logGroupIdentifier')}`;

const rds = (type: string, key?: string): Rule => (p, c) => `arn:aws:rds:${c.region}:${c.account}:${type}:${key ? opt(p, key) ?? '*' : '*'}`;
const rdsProxy: Rule = (p, c) => {
  const name = opt(p, 'DBProxyName');
  return (name && c.learned.get('rds:proxy', name)) ?? `arn:aws:rds:${c.region}:${c.account}:db-proxy:*`;
};

/** A role's ARN holds its path: the run learned it from CreateRole, GetRole or ListRoles; an unknown role gets none. */
const role: Rule = (p, c) => {
  const name = str(p, 'RoleName');
  return c.learned.get('iam:role', name) ?? `arn:aws:iam::${c.account}:role/${opt(p, 'Path')?.replace(/^\/?/, '') ?? ''}${name}`;
};

const secret: Rule = (p, c) => {
  const id = str(p, 'SecretId', 'Name');
  return id.startsWith('arn:') ? id : c.learned.get('secretsmanager:secret', id) ?? `arn:aws:secretsmanager:${c.region}:${c.account}:secret:${id}`;
};

const param = (key: string): Rule => (p) => str(p, key);
const elb = (kind: 'loadbalancer/app' | 'targetgroup'): Rule => (p, c) => `arn:aws:elasticloadbalancing:${c.region}:${c.account}:${kind}/${str(p, 'Name')}/*`;
const bucket: Rule = (p) => `arn:aws:s3:::${str(p, 'Bucket')}`;
const zone: Rule = (p) => `arn:aws:route53:::hostedzone/${last(str(p, 'Id'))}`;

export const RULES: Record<string, Rule> = {
  'acm:AddTagsToCertificate': param('CertificateArn'),
  'acm:DeleteCertificate': param('CertificateArn'),
  'acm:DescribeCertificate': param('CertificateArn'),
  'acm:ListTagsForCertificate': param('CertificateArn'),

  // Scalable targets are named by an id AWS makes: https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_service-with-iam.html
  ...Object.fromEntries(['DeleteScalingPolicy', 'DeregisterScalableTarget', 'PutScalingPolicy', 'RegisterScalableTarget', 'TagResource'].map((a) => [
    `application-autoscaling:${a}`, ((_p, c) => `arn:aws:application-autoscaling:${c.region}:${c.account}:scalable-target/*`) as Rule,
  ])),

  'ec2:AllocateAddress': ec2('elastic-ip'),
  'ec2:AssociateRouteTable': ec2('route-table', 'RouteTableId'),
  'ec2:AttachInternetGateway': ec2('internet-gateway', 'InternetGatewayId'),
  'ec2:AuthorizeSecurityGroupEgress': ec2('security-group', 'GroupId'),
  'ec2:AuthorizeSecurityGroupIngress': ec2('security-group', 'GroupId'),
  'ec2:CreateFlowLogs': ec2('vpc-flow-log'),
  'ec2:CreateInternetGateway': ec2('internet-gateway'),
  'ec2:CreateNatGateway': ec2('natgateway'),
  'ec2:CreateNetworkAcl': ec2('network-acl'),
  'ec2:CreateNetworkAclEntry': ec2('network-acl', 'NetworkAclId'),
  'ec2:CreateRoute': ec2('route-table', 'RouteTableId'),
  'ec2:CreateRouteTable': ec2('route-table'),
  'ec2:CreateSecurityGroup': ec2('security-group'),
  'ec2:CreateSubnet': ec2('subnet'),
  'ec2:CreateTags': ec2ById,
  'ec2:CreateVpc': ec2('vpc'),
  'ec2:DeleteFlowLogs': ec2('vpc-flow-log', 'FlowLogId.1'),
  'ec2:DeleteInternetGateway': ec2('internet-gateway', 'InternetGatewayId'),
  'ec2:DeleteNatGateway': ec2('natgateway', 'NatGatewayId'),
  'ec2:DeleteNetworkAcl': ec2('network-acl', 'NetworkAclId'),
  'ec2:DeleteNetworkAclEntry': ec2('network-acl', 'NetworkAclId'),
  'ec2:DeleteRoute': ec2('route-table', 'RouteTableId'),
  'ec2:DeleteRouteTable': ec2('route-table', 'RouteTableId'),
  'ec2:DeleteSecurityGroup': ec2('security-group', 'GroupId'),
  'ec2:DeleteSubnet': ec2('subnet', 'SubnetId'),
  'ec2:DeleteVpc': ec2('vpc', 'VpcId'),
  'ec2:DescribeVpcAttribute': ec2('vpc', 'VpcId'),
  'ec2:DetachInternetGateway': ec2('internet-gateway', 'InternetGatewayId'),
  // The request names the association only; its route table is not in it.
  'ec2:DisassociateRouteTable': ec2('route-table'),
  'ec2:ModifyVpcAttribute': ec2('vpc', 'VpcId'),
  'ec2:ReleaseAddress': ec2('elastic-ip', 'AllocationId'),
  'ec2:ReplaceNetworkAclAssociation': ec2('network-acl', 'NetworkAclId'),
  'ec2:ReplaceNetworkAclEntry': ec2('network-acl', 'NetworkAclId'),
  'ec2:ReplaceRoute': ec2('route-table', 'RouteTableId'),
  'ec2:ReplaceRouteTableAssociation': ec2('route-table', 'RouteTableId'),
  'ec2:RevokeSecurityGroupEgress': ec2('security-group', 'GroupId'),
  'ec2:RevokeSecurityGroupIngress': ec2('security-group', 'GroupId'),

  'ecs:CreateCluster': (p, c) => ecsArn(c, `cluster/${str(p, 'clusterName')}`),
  'ecs:CreateService': ecsService,
  'ecs:DeleteCluster': (p, c) => ecsArn(c, `cluster/${cluster(p)}`),
  'ecs:DeleteService': ecsService,
  'ecs:DescribeClusters': (p, c) => ecsArn(c, `cluster/${last(str(p, 'clusters'))}`),
  'ecs:DescribeServices': ecsService,
  'ecs:DescribeTasks': (p, c) => ecsArn(c, `task/${cluster(p)}/${last(str(p, 'tasks'))}`),
  'ecs:ListTasks': (p, c) => ecsArn(c, `container-instance/${cluster(p)}/*`),
  'ecs:RegisterTaskDefinition': (p, c) => ecsArn(c, `task-definition/${str(p, 'family')}:*`),
  'ecs:TagResource': param('resourceArn'),
  'ecs:UpdateClusterSettings': (p, c) => ecsArn(c, `cluster/${cluster(p)}`),
  'ecs:UpdateService': ecsService,

  'elasticfilesystem:CreateAccessPoint': efsByFs,
  'elasticfilesystem:CreateMountTarget': efsByFs,
  'elasticfilesystem:DeleteAccessPoint': (p, c) => `arn:aws:elasticfilesystem:${c.region}:${c.account}:access-point/${str(p, 'AccessPointId')}`,
  'elasticfilesystem:DeleteFileSystem': efsByFs,
  'elasticfilesystem:DeleteMountTarget': efsByMountTarget,
  'elasticfilesystem:DescribeAccessPoints': (p, c) => efsFs(c, opt(p, 'FileSystemId') ?? '*'),
  'elasticfilesystem:DescribeBackupPolicy': efsByFs,
  'elasticfilesystem:DescribeFileSystems': (p, c) => efsFs(c, opt(p, 'FileSystemId') ?? '*'),
  'elasticfilesystem:DescribeLifecycleConfiguration': efsByFs,
  'elasticfilesystem:DescribeMountTargetSecurityGroups': efsByMountTarget,
  'elasticfilesystem:DescribeMountTargets': (p, c) => (opt(p, 'MountTargetId') ? efsByMountTarget(p, c) : efsByFs(p, c)),
  'elasticfilesystem:ModifyMountTargetSecurityGroups': efsByMountTarget,
  'elasticfilesystem:PutBackupPolicy': efsByFs,
  'elasticfilesystem:PutLifecycleConfiguration': efsByFs,
  'elasticfilesystem:TagResource': (p, c) => (str(p, 'ResourceId').startsWith('fsap-')
    ? `arn:aws:elasticfilesystem:${c.region}:${c.account}:access-point/${str(p, 'ResourceId')}` : efsFs(c, str(p, 'ResourceId'))),
  'elasticfilesystem:UpdateFileSystem': efsByFs,

  'elasticloadbalancing:AddTags': param('ResourceArns.member.1'),
  'elasticloadbalancing:CreateListener': param('LoadBalancerArn'),
  'elasticloadbalancing:CreateLoadBalancer': elb('loadbalancer/app'),
  'elasticloadbalancing:CreateTargetGroup': elb('targetgroup'),
  'elasticloadbalancing:DeleteListener': param('ListenerArn'),
  'elasticloadbalancing:DeleteLoadBalancer': param('LoadBalancerArn'),
  'elasticloadbalancing:DeleteTargetGroup': param('TargetGroupArn'),
  'elasticloadbalancing:ModifyListener': param('ListenerArn'),
  'elasticloadbalancing:ModifyLoadBalancerAttributes': param('LoadBalancerArn'),
  'elasticloadbalancing:ModifyTargetGroup': param('TargetGroupArn'),
  'elasticloadbalancing:ModifyTargetGroupAttributes': param('TargetGroupArn'),
  'elasticloadbalancing:SetIpAddressType': param('LoadBalancerArn'),
  'elasticloadbalancing:SetSecurityGroups': param('LoadBalancerArn'),
  'elasticloadbalancing:SetSubnets': param('LoadBalancerArn'),

  ...Object.fromEntries(['AttachRolePolicy', 'CreateRole', 'DeleteRole', 'DeleteRolePolicy', 'DetachRolePolicy', 'GetRole', 'GetRolePolicy',
    'ListAttachedRolePolicies', 'ListInstanceProfilesForRole', 'ListRolePolicies', 'ListRoleTags', 'PutRolePolicy', 'TagRole',
    'UpdateAssumeRolePolicy', 'UpdateRole'].map((a) => [`iam:${a}`, role])),

  'logs:CreateLogGroup': logGroup,
  'logs:DeleteLogGroup': logGroup,
  'logs:FilterLogEvents': logGroup,
  'logs:ListTagsForResource': param('resourceArn'),
  'logs:PutRetentionPolicy': logGroup,
  'logs:TagResource': param('resourceArn'),

  'rds:AddTagsToResource': param('ResourceName'),
  'rds:CreateDBInstance': rds('db', 'DBInstanceIdentifier'),
  'rds:CreateDBSubnetGroup': rds('subgrp', 'DBSubnetGroupName'),
  'rds:DeleteDBInstance': rds('db', 'DBInstanceIdentifier'),
  'rds:DeleteDBProxy': rdsProxy,
  'rds:DeleteDBSnapshot': rds('snapshot', 'DBSnapshotIdentifier'),
  'rds:DeleteDBSubnetGroup': rds('subgrp', 'DBSubnetGroupName'),
  'rds:DeregisterDBProxyTargets': rdsProxy,
  'rds:DescribeDBInstances': rds('db', 'DBInstanceIdentifier'),
  'rds:DescribeDBProxies': rdsProxy,
  'rds:DescribeDBProxyTargets': rdsProxy,
  'rds:DescribeDBSnapshots': rds('snapshot', 'DBSnapshotIdentifier'),
  'rds:DescribeDBSubnetGroups': rds('subgrp', 'DBSubnetGroupName'),
  'rds:ListTagsForResource': param('ResourceName'),
  'rds:ModifyDBInstance': rds('db', 'DBInstanceIdentifier'),
  'rds:ModifyDBProxy': rdsProxy,
  'rds:ModifyDBSubnetGroup': rds('subgrp', 'DBSubnetGroupName'),
  // A proxy's target group has an id AWS makes (prx-tg-...), not in the request.
  'rds:RegisterDBProxyTargets': rds('target-group'),
  'rds:RestoreDBInstanceFromDBSnapshot': rds('db', 'DBInstanceIdentifier'),

  // RDS parameter groups, AWS Backup recovery points (EFS automatic backups) and Service Quotas.
  'rds:CreateDBParameterGroup': rds('pg', 'DBParameterGroupName'),
  'rds:DeleteDBParameterGroup': rds('pg', 'DBParameterGroupName'),
  'rds:DescribeDBParameterGroups': rds('pg', 'DBParameterGroupName'),
  'rds:DescribeDBParameters': rds('pg', 'DBParameterGroupName'),
  'rds:ModifyDBParameterGroup': rds('pg', 'DBParameterGroupName'),
  'backup:ListRecoveryPointsByBackupVault': (p, c) => `arn:aws:backup:${c.region}:${c.account}:backup-vault:${str(p, 'BackupVaultName')}`,
  'backup:DescribeRecoveryPoint': param('RecoveryPointArn'),
  'backup:DeleteRecoveryPoint': param('RecoveryPointArn'),
  'servicequotas:GetServiceQuota': (p, c) => `arn:aws:servicequotas:${c.region}:${c.account}:${str(p, 'ServiceCode')}/${str(p, 'QuotaCode')}`,

  'route53:ChangeResourceRecordSets': zone,
  'route53:GetChange': (p) => `arn:aws:route53:::change/${last(str(p, 'Id'))}`,
  'route53:GetHostedZone': zone,
  'route53:ListResourceRecordSets': zone,

  ...Object.fromEntries(['CreateBucket', 'DeleteBucket', 'GetBucketOwnershipControls', 'GetBucketPolicy', 'GetBucketPublicAccessBlock',
    'GetBucketTagging', 'GetEncryptionConfiguration', 'GetLifecycleConfiguration', 'ListBucket', 'ListBucketVersions', 'PutBucketOwnershipControls',
    'PutBucketPolicy', 'PutBucketPublicAccessBlock', 'PutBucketTagging', 'PutEncryptionConfiguration', 'PutLifecycleConfiguration'].map((a) => [`s3:${a}`, bucket])),
  's3:DeleteObject': (p) => `arn:aws:s3:::${str(p, 'Bucket')}/${opt(p, 'Key') ?? '*'}`,
  's3:DeleteObjectVersion': (p) => `arn:aws:s3:::${str(p, 'Bucket')}/${opt(p, 'Key') ?? '*'}`,
  's3:GetObject': (p) => `arn:aws:s3:::${str(p, 'Bucket')}/${str(p, 'Key')}`,

  ...Object.fromEntries(['CreateSecret', 'DeleteSecret', 'DescribeSecret', 'GetSecretValue', 'PutSecretValue', 'RestoreSecret', 'TagResource', 'UpdateSecret']
    .map((a) => [`secretsmanager:${a}`, secret])),
};

/** The ARN of one call, or an error naming the action that has no rule. */
export function arnFor(action: string, p: Params, c: ArnContext): string {
  const rule = RULES[action];
  if (!rule) throw new Error(`no ARN rule for ${action}: add one to RULES in test/support/iam-arns.ts`);
  return rule(p, c);
}
