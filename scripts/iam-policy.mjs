// The least-privilege IAM policy wpdeploy needs, derived from the AWS calls its source can make:
// every `XCommand` imported from an `@aws-sdk/client-*` package under src/, mapped to its IAM action.
// `node scripts/iam-policy.mjs` writes iam/wpdeploy-policy.json; test/unit/iam-policy.test.ts checks it.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** SDK package -> IAM service prefix. */
export const PREFIX = {
  'client-acm': 'acm', 'client-application-auto-scaling': 'application-autoscaling', 'client-cloudwatch-logs': 'logs',
  'client-ec2': 'ec2', 'client-ecs': 'ecs', 'client-efs': 'elasticfilesystem', 'client-elastic-load-balancing-v2': 'elasticloadbalancing',
  'client-iam': 'iam', 'client-rds': 'rds', 'client-route-53': 'route53', 'client-s3': 's3', 'client-secrets-manager': 'secretsmanager',
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

/** Permissions AWS checks on the caller's behalf, which no API call names. */
export const IMPLIED = [
  // RegisterScalableTarget is called with Tags, which AWS authorizes as a separate action.
  { Sid: 'TagScalableTargets', Effect: 'Allow', Action: ['application-autoscaling:TagResource'], Resource: '*' },
  // Handing roles to ECS (task roles), VPC Flow Logs and RDS Proxy: only wpdeploy's own roles.
  { Sid: 'PassOnlyWpdeployRoles', Effect: 'Allow', Action: ['iam:PassRole'], Resource: 'arn:aws:iam::*:role/wpdeploy/*' },
  // ECS, ELB, RDS and Application Auto Scaling create their service-linked roles on first use in an account.
  { Sid: 'ServiceLinkedRolesOnFirstUse', Effect: 'Allow', Action: ['iam:CreateServiceLinkedRole'], Resource: '*',
    Condition: { StringLike: { 'iam:AWSServiceName': ['ecs.amazonaws.com', 'elasticloadbalancing.amazonaws.com', 'rds.amazonaws.com', 'ecs.application-autoscaling.amazonaws.com'] } } },
];

// The remote state's calls reach only the state bucket: their permissions are scoped to it in
// examples/iam/wpdeploy-state-policy.json, not granted on every bucket here.
const STATE_ONLY = new Set(['s3-state.ts']);

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !STATE_ONLY.has(e.name) ? [join(dir, e.name)] : []);
}

/** Every IAM action the source can need, sorted. */
export function requiredActions(srcDir = join(root, 'src')) {
  const actions = new Set();
  for (const file of sources(srcDir)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/import\s*(type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/(client-[a-z0-9-]+)'/g)) {
      if (m[1]) continue; // type-only import
      const prefix = PREFIX[m[3]];
      if (!prefix) throw new Error(`${file}: no IAM prefix known for @aws-sdk/${m[3]}`);
      for (const raw of m[2].split(',')) {
        const name = raw.trim().replace(/^type\s+/, '');
        if (raw.trim().startsWith('type ') || !/Command$/.test(name)) continue;
        const action = `${prefix}:${name.replace(/Command$/, '')}`;
        for (const a of RENAMED[action] ?? [action]) actions.add(a);
      }
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
      ...IMPLIED,
    ],
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const target = join(root, 'iam', 'wpdeploy-policy.json');
  writeFileSync(target, JSON.stringify(policy(), null, 2) + '\n');
  console.log(`wrote ${target}: ${requiredActions().length} actions`);
}
