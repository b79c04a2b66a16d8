// The least-privilege IAM policy wpdeploy needs, derived from the AWS calls its source can make:
// every `XCommand` that src/ constructs through a namespace of src/aws/sdk.ts (`new EC2.DescribeVpcsCommand`),
// mapped to its IAM action.
// `node scripts/iam-policy.mjs` writes iam/wpdeploy-policy.json; test/unit/iam-policy.test.ts checks it.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** SDK package -> IAM service prefix. */
export const PREFIX = {
  'client-acm': 'acm', 'client-application-auto-scaling': 'application-autoscaling', 'client-backup': 'backup', 'client-cloudwatch-logs': 'logs',
  'client-ec2': 'ec2', 'client-ecs': 'ecs', 'client-efs': 'elasticfilesystem', 'client-elastic-load-balancing-v2': 'elasticloadbalancing',
  'client-iam': 'iam', 'client-rds': 'rds', 'client-route-53': 'route53', 'client-s3': 's3', 'client-secrets-manager': 'secretsmanager',
  'client-service-quotas': 'servicequotas',
  'client-sts': 'sts', 'client-resource-groups-tagging-api': 'tag',
};

/** Where the IAM action is not named like the API call. */
export const RENAMED = {
  's3:HeadBucket': ['s3:ListBucket'],
  's3:HeadObject': ['s3:GetObject'],
  's3:ListObjectsV2': ['s3:ListBucket'],
  's3:ListObjectVersions': ['s3:ListBucketVersions'],
  's3:DeleteObjects': ['s3:DeleteObject', 's3:DeleteObjectVersion'],
  's3:PutPublicAccessBlock': ['s3:PutBucketPublicAccessBlock'],
  's3:GetPublicAccessBlock': ['s3:GetBucketPublicAccessBlock'],
  's3:PutBucketEncryption': ['s3:PutEncryptionConfiguration'],
  's3:GetBucketEncryption': ['s3:GetEncryptionConfiguration'],
  's3:PutBucketLifecycleConfiguration': ['s3:PutLifecycleConfiguration'],
  's3:GetBucketLifecycleConfiguration': ['s3:GetLifecycleConfiguration'],
  // Anyone may ask who they are: no permission needed.
  'sts:GetCallerIdentity': [],
};

/**
 * Permissions AWS checks behind a call (iam/implied-permissions.json, each row citing its AWS page):
 * the rows whose call the source makes, as statements. Rows with the same sid form one statement.
 */
export const IMPLIED_TABLE = join(root, 'iam', 'implied-permissions.json');

export function impliedRows(file = IMPLIED_TABLE) {
  const rows = JSON.parse(readFileSync(file, 'utf8')).rows;
  for (const r of rows) {
    const where = `${file}: row ${r.sid} for ${r.call}`;
    if (!r.sid || !r.call || !Array.isArray(r.needs) || r.needs.length === 0) throw new Error(`${where}: needs sid, call and needs`);
    if (!/^https:\/\/docs\.aws\.amazon\.com\//.test(r.source ?? '')) throw new Error(`${where}: source must be an AWS documentation page`);
    if (r.needs.includes('iam:PassRole') && !(r.passedToService && r.roleParams?.length)) throw new Error(`${where}: iam:PassRole needs passedToService and roleParams`);
    if (r.needs.includes('iam:CreateServiceLinkedRole') && !/^[a-z0-9.-]+\.amazonaws\.com\/AWSServiceRoleFor\w+$/.test(r.serviceLinkedRole ?? '')) {
      throw new Error(`${where}: iam:CreateServiceLinkedRole needs serviceLinkedRole as <service principal>/<role name>`);
    }
  }
  return rows;
}

/** The Resource and Condition of a row's statement. */
export function rowScope(r) {
  if (r.passedToService) return { Resource: 'arn:aws:iam::*:role/wpdeploy/*', Condition: { StringEquals: { 'iam:PassedToService': r.passedToService } } };
  if (r.serviceLinkedRole) {
    return { Resource: `arn:aws:iam::*:role/aws-service-role/${r.serviceLinkedRole}`, Condition: { StringEquals: { 'iam:AWSServiceName': r.serviceLinkedRole.split('/')[0] } } };
  }
  return { Resource: r.resource ?? '*' };
}

/** The statements of the rows whose call is among `required`; an action the calls statement already grants on * is left out. */
export function impliedStatements(required, rows = impliedRows()) {
  const direct = new Set(required);
  const bySid = new Map();
  for (const r of rows.filter((x) => direct.has(x.call))) {
    const scope = rowScope(r);
    const s = bySid.get(r.sid) ?? { Sid: r.sid, Effect: 'Allow', Action: [], ...scope };
    if (JSON.stringify([s.Resource, s.Condition]) !== JSON.stringify([scope.Resource, scope.Condition])) throw new Error(`iam/implied-permissions.json: the rows of ${r.sid} differ in resource or condition`);
    const grantedAlready = scope.Resource === '*' && !scope.Condition;
    for (const a of r.needs) if (!s.Action.includes(a) && !(grantedAlready && direct.has(a))) s.Action.push(a);
    bySid.set(r.sid, s);
  }
  return [...bySid.values()].filter((s) => s.Action.length > 0).map((s) => ({ ...s, Action: s.Action.sort() }));
}

// The remote state's calls reach only the state bucket: their permissions are scoped to it in
// examples/iam/wpdeploy-state-policy.json, not granted on every bucket here.
const STATE_ONLY = new Set(['s3-state.ts']);

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !STATE_ONLY.has(e.name) ? [join(dir, e.name)] : []);
}

/** The namespaces of src/aws/sdk.ts and the SDK package each one loads: `EC2` -> `client-ec2`. */
export function sdkNamespaces(srcDir = join(root, 'src')) {
  const text = readFileSync(join(srcDir, 'aws', 'sdk.ts'), 'utf8');
  const namespaces = {};
  for (const m of text.matchAll(/export const (\w+) = lazy<[^>]*>\('@aws-sdk\/(client-[a-z0-9-]+)'\)/g)) namespaces[m[1]] = m[2];
  if (Object.keys(namespaces).length === 0) throw new Error('src/aws/sdk.ts: no SDK namespace found');
  return namespaces;
}

/** Every IAM action the source can need, sorted. */
export function requiredActions(srcDir = join(root, 'src')) {
  const namespaces = sdkNamespaces(srcDir);
  const actions = new Set();
  for (const file of sources(srcDir)) {
    const text = readFileSync(file, 'utf8');
    // Commands come from the lazy namespaces only; a value import would load the package eagerly and hide its calls from here.
    for (const m of text.matchAll(/import\s*(type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/(client-[a-z0-9-]+)'/g)) {
      const values = m[1] ? [] : m[2].split(',').map((s) => s.trim()).filter((s) => s && !s.startsWith('type '));
      if (values.length) throw new Error(`${file}: imports ${values.join(', ')} from @aws-sdk/${m[3]} as values; use the namespaces of src/aws/sdk.ts`);
    }
    for (const m of text.matchAll(/\b([A-Za-z0-9]+)\.([A-Za-z0-9]+)Command\b/g)) {
      const pkg = namespaces[m[1]];
      if (!pkg) continue;
      const prefix = PREFIX[pkg];
      if (!prefix) throw new Error(`${file}: no IAM prefix known for @aws-sdk/${pkg}`);
      const action = `${prefix}:${m[2]}`;
      for (const a of RENAMED[action] ?? [action]) actions.add(a);
    }
  }
  return [...actions].sort();
}

export function policy(srcDir) {
  const actions = requiredActions(srcDir).filter((a) => !a.startsWith('iam:'));
  const iam = requiredActions(srcDir).filter((a) => a.startsWith('iam:'));
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'WpdeployCalls', Effect: 'Allow', Action: actions, Resource: '*' },
      // Roles wpdeploy creates all live under the /wpdeploy/ path.
      { Sid: 'OnlyWpdeployRoles', Effect: 'Allow', Action: iam.filter((a) => a !== 'iam:ListRoles'), Resource: 'arn:aws:iam::*:role/wpdeploy/*' },
      ...(iam.includes('iam:ListRoles') ? [{ Sid: 'FindRolesByPath', Effect: 'Allow', Action: ['iam:ListRoles'], Resource: '*' }] : []),
      ...impliedStatements(requiredActions(srcDir)),
    ],
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = join(root, 'iam', 'wpdeploy-policy.json');
  writeFileSync(target, JSON.stringify(policy(), null, 2) + '\n');
  console.log(`wrote ${target}: ${requiredActions().length} actions`);
}
