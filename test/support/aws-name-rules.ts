/**
 * Creation-side rules: names and tags AWS refuses and moto 5 accepts (moto creates a security
 * group named `sg-...`, a load balancer named `internal-...`, a bucket named `sthree-...`, tags
 * with any character). aws-rules.ts answers these calls with AWS's error before they reach moto,
 * so a future generated name that breaks a limit fails the e2e test that sends it.
 *
 * Stated here from the API references on purpose, not imported from src/config/names.ts: the test
 * support is the second opinion on the product's own check.
 */
import type { AwsCall } from './aws-proxy.js';

export type NameProtocol = 'ec2' | 'query' | 'json' | 'rest-json' | 'rest-xml';

export interface NameVerdict {
  rule: string;
  protocol: NameProtocol;
  code: string;
  message: string;
  reason: string;
}

type Check = (value: string) => string | undefined;

const within = (max: number, re: RegExp, what: string): Check => (v) => (v.length < 1 || v.length > max ? `${v.length} characters (1 to ${max})` : re.test(v) ? undefined : what);
const both = (...checks: Check[]): Check => (v) => checks.map((c) => c(v)).find(Boolean);
/** RDS identifiers: a letter first, letters/digits/hyphens, no `--`, no hyphen last. */
const RDS_ID = /^[A-Za-z](?:-?[A-Za-z0-9]+)*$/;
const TAG_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

const BUCKET_RESERVED: Check = (v) => {
  const prefix = ['xn--', 'sthree-', 'amzn-s3-demo-'].find((p) => v.startsWith(p));
  const suffix = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'].find((s) => v.endsWith(s));
  return prefix ? `reserved prefix ${prefix}` : suffix ? `reserved suffix ${suffix}` : undefined;
};

interface NameRule {
  rule: string;
  service: string;
  operation: string;
  protocol: NameProtocol;
  /** Where the name is: a query parameter, or a JSON member. */
  param: string;
  code: string;
  check: Check;
}

/** https://docs.aws.amazon.com/<service>/latest/APIReference/API_<operation>.html for each (see src/config/names.ts for the list). */
const NAME_RULES: NameRule[] = [
  { rule: 'security group name', service: 'ec2', operation: 'CreateSecurityGroup', protocol: 'ec2', param: 'GroupName', code: 'InvalidParameterValue',
    check: (v) => (/^sg-/i.test(v) ? 'Group names may not be in the format sg-*' : within(255, /^[\x20-\x7E]*$/, 'not ASCII')(v)) },
  { rule: 'load balancer name', service: 'elasticloadbalancing', operation: 'CreateLoadBalancer', protocol: 'query', param: 'Name', code: 'ValidationError',
    check: (v) => (v.startsWith('internal-') ? "Load balancer names cannot start with 'internal-'" : within(32, /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/, 'alphanumerics and inner hyphens only')(v)) },
  { rule: 'target group name', service: 'elasticloadbalancing', operation: 'CreateTargetGroup', protocol: 'query', param: 'Name', code: 'ValidationError',
    check: within(32, /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/, 'alphanumerics and inner hyphens only') },
  { rule: 'IAM role name', service: 'iam', operation: 'CreateRole', protocol: 'query', param: 'RoleName', code: 'ValidationError', check: within(64, /^[\w+=,.@-]+$/, 'characters outside [\\w+=,.@-]') },
  { rule: 'IAM role path', service: 'iam', operation: 'CreateRole', protocol: 'query', param: 'Path', code: 'ValidationError', check: within(512, /^\/$|^\/[\x21-\x7E]+\/$/, 'not /…/') },
  { rule: 'RDS instance identifier', service: 'rds', operation: 'CreateDBInstance', protocol: 'query', param: 'DBInstanceIdentifier', code: 'InvalidParameterValue', check: within(63, RDS_ID, 'not an RDS identifier') },
  { rule: 'RDS instance identifier', service: 'rds', operation: 'RestoreDBInstanceFromDBSnapshot', protocol: 'query', param: 'DBInstanceIdentifier', code: 'InvalidParameterValue', check: within(63, RDS_ID, 'not an RDS identifier') },
  { rule: 'DB subnet group name', service: 'rds', operation: 'CreateDBSubnetGroup', protocol: 'query', param: 'DBSubnetGroupName', code: 'InvalidParameterValue',
    check: (v) => (v.toLowerCase() === 'default' ? 'default is reserved' : within(255, /^[A-Za-z0-9._ -]+$/, 'characters outside letters, digits, . _ space -')(v)) },
  { rule: 'final snapshot identifier', service: 'rds', operation: 'DeleteDBInstance', protocol: 'query', param: 'FinalDBSnapshotIdentifier', code: 'InvalidParameterValue', check: within(255, RDS_ID, 'not an RDS identifier') },
  { rule: 'DB proxy name', service: 'rds', operation: 'CreateDBProxy', protocol: 'query', param: 'DBProxyName', code: 'InvalidParameterValue', check: within(63, RDS_ID, 'not an RDS identifier') },
  { rule: 'DB parameter group name', service: 'rds', operation: 'CreateDBParameterGroup', protocol: 'query', param: 'DBParameterGroupName', code: 'InvalidParameterValue', check: within(255, RDS_ID, 'not an RDS identifier') },
  { rule: 'secret name', service: 'secretsmanager', operation: 'CreateSecret', protocol: 'json', param: 'Name', code: 'ValidationException',
    check: both(within(512, /^[A-Za-z0-9/_+=.@-]+$/, 'characters outside /_+=.@-'), (v) => (/-[^-/]{6}$/.test(v) ? 'ends with a hyphen and six characters' : undefined)) },
  { rule: 'log group name', service: 'logs', operation: 'CreateLogGroup', protocol: 'json', param: 'logGroupName', code: 'InvalidParameterException',
    check: (v) => (v.startsWith('aws/') ? 'aws/ is reserved' : within(512, /^[A-Za-z0-9_\-/.#]+$/, 'characters outside _-/.#')(v)) },
  { rule: 'ECS cluster name', service: 'ecs', operation: 'CreateCluster', protocol: 'json', param: 'clusterName', code: 'InvalidParameterException', check: within(255, /^[A-Za-z0-9_-]+$/, 'characters outside _-') },
  { rule: 'ECS service name', service: 'ecs', operation: 'CreateService', protocol: 'json', param: 'serviceName', code: 'InvalidParameterException', check: within(255, /^[A-Za-z0-9_-]+$/, 'characters outside _-') },
  { rule: 'ECS task definition family', service: 'ecs', operation: 'RegisterTaskDefinition', protocol: 'json', param: 'family', code: 'ClientException', check: within(255, /^[A-Za-z0-9_-]+$/, 'characters outside _-') },
  { rule: 'scaling policy name', service: 'application-autoscaling', operation: 'PutScalingPolicy', protocol: 'json', param: 'PolicyName', code: 'ValidationException', check: within(256, /^[\x20-\x7E]+$/, 'not printable') },
];

const EFS_TAGGED = /^POST \/2015-02-01\/(file-systems|access-points|resource-tags\/.+)$/;

/** The bucket a CreateBucket call creates (path style or virtual-hosted), else undefined. */
function createdBucket(call: AwsCall): string | undefined {
  if (call.service !== 's3' || call.method !== 'PUT' || call.path.includes('?')) return undefined;
  const m = /^\/([^/]+)\/?$/.exec(call.path);
  if (m) return decodeURIComponent(m[1]!);
  const host = String(call.headers.host ?? '');
  return call.path === '/' && /\.s3[.-]/.test(host) ? host.split('.s3')[0] : undefined;
}

function valueOf(call: AwsCall, r: NameRule): string | undefined {
  if (r.protocol === 'json') {
    const v = (JSON.parse(call.body || '{}') as Record<string, unknown>)[r.param];
    return typeof v === 'string' ? v : undefined;
  }
  return new URLSearchParams(call.body).get(r.param) ?? undefined;
}

/** Tags a create or tag call sends, as [key, value] (query `Tags.member.N.Key` or JSON `Tags`/`tags`). */
function tagsOf(call: AwsCall): Array<[string, string]> {
  if (call.body.trimStart().startsWith('{')) {
    const j = JSON.parse(call.body) as Record<string, unknown>;
    const list = (j.Tags ?? j.tags ?? []) as Array<Record<string, string>>;
    return Array.isArray(list) ? list.map((t) => [t.Key ?? t.key ?? '', t.Value ?? t.value ?? '']) : [];
  }
  const p = new URLSearchParams(call.body);
  const out: Array<[string, string]> = [];
  for (const [k, v] of p) {
    const m = /^(Tags(?:\.member)?\.\d+)\.Key$/.exec(k);
    if (m) out.push([v, p.get(`${m[1]}.Value`) ?? '']);
  }
  return out;
}

/** AWS's refusal of a name or tag this call sends, or undefined. */
export function nameRefusal(call: AwsCall): NameVerdict | undefined {
  for (const r of NAME_RULES) {
    if (r.service !== call.service || r.operation !== call.operation) continue;
    const v = valueOf(call, r);
    const why = v === undefined ? undefined : r.check(v);
    if (why) return { rule: r.rule, protocol: r.protocol, code: r.code, message: `${r.param} '${v}' is not valid: ${why}.`, reason: `${r.rule} ${JSON.stringify(v)}: ${why}` };
  }
  const bucket = createdBucket(call);
  if (bucket !== undefined) {
    const why = within(63, /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/, 'not lowercase letters, digits, dots and inner hyphens')(bucket) ?? (bucket.length < 3 ? 'under 3 characters' : undefined)
      ?? (bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket) ? 'dots' : undefined) ?? BUCKET_RESERVED(bucket);
    if (why) return { rule: 'S3 bucket name', protocol: 'rest-xml', code: 'InvalidBucketName', message: 'The specified bucket is not valid.', reason: `bucket ${JSON.stringify(bucket)}: ${why}` };
  }
  // The tag characters of EFS (the strictest: RDS and Secrets Manager have the same) on the EFS calls.
  if (call.service === 'elasticfilesystem' && EFS_TAGGED.test(call.operation)) {
    const bad = tagsOf(call).find(([k, v]) => !k || k.length > 128 || v.length > 256 || !TAG_CHARS.test(k) || !TAG_CHARS.test(v));
    if (bad) return { rule: 'EFS tag', protocol: 'rest-json', code: 'BadRequest', message: `Tag ${bad[0]}=${bad[1]} is not valid.`, reason: `tag ${JSON.stringify(bad)}` };
  }
  return undefined;
}
