/**
 * The names AWS will be sent, checked at the config check against AWS's own naming rules, so that
 * a stack name AWS refuses stops at exit 2 with no AWS call, not halfway through `up`.
 *
 * `generatedNames` lists every name wpdeploy derives from the stack name (test/unit/names.test.ts
 * builds every step of several configs and fails when a step sends a name this list lacks, or one
 * that differs). Each name is checked against the limit of the API that takes it:
 *
 * | limit | the rule | source |
 * |---|---|---|
 * | securityGroup | 1-255 characters, not starting with `sg-` | https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html |
 * | loadBalancer | 1-32 alphanumerics and hyphens, not starting or ending with a hyphen, not starting with `internal-` | https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html |
 * | targetGroup | 1-32 alphanumerics and hyphens, not starting or ending with a hyphen | https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateTargetGroup.html |
 * | bucket | 3-63 lowercase letters, digits, dots and hyphens; a letter or digit at both ends; no `..`; not an IP address; not starting with `xn--`, `sthree-`, `amzn-s3-demo-`; not ending with `-s3alias`, `--ol-s3`, `.mrap`, `--x-s3`, `--table-s3` | https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html |
 * | iamRole | 1-64 of letters, digits and `+=,.@_-` | https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html |
 * | iamPath | `/`, or 1-512 printable ASCII characters between slashes | https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html |
 * | rdsInstance | 1-63 letters, digits, hyphens; a letter first; no `--`; no hyphen last | https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html |
 * | dbSubnetGroup | 1-255 letters, digits, periods, underscores, spaces, hyphens; not `default` | https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSubnetGroup.html |
 * | dbSnapshot | 1-255 letters, digits, hyphens; a letter first; no `--`; no hyphen last | https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBInstance.html (FinalDBSnapshotIdentifier) |
 * | dbProxy | 1-63 ASCII letters, digits, hyphens; a letter first; no `--`; no hyphen last | https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBProxy.html |
 * | dbParameterGroup | 1-255 letters, digits, hyphens; a letter first; no `--`; no hyphen last | https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBParameterGroup.html |
 * | secret | 1-512 of letters, digits and `/_+=.@-`; not ending with a hyphen and six characters (read as an ARN suffix) | https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html |
 * | logGroup | 1-512 of letters, digits and `_-/.#`; not starting with `aws/` | https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html |
 * | ecs | 1-255 letters, digits, underscores, hyphens (cluster, service, task definition family) | https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html |
 * | scalingPolicy | 1-256 printable characters | https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PutScalingPolicy.html |
 * | tag | key 1-128, value 0-256 characters; Unicode letters, digits, spaces and `_.:/=+-@` only (EFS, RDS and Secrets Manager refuse others) | https://docs.aws.amazon.com/efs/latest/ug/API_Tag.html, https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_Tag.html |
 *
 * The EFS file system, its access point and mount targets, the VPC pieces and the certificate have
 * no name but their `Name` tag (`<stack>-<role>`, a tag value); Route 53 records take the configured
 * domain, which the schema checks.
 */
import type { ConfigIssue } from '../errors.js';
import { ENGINE_LIFECYCLE, type DbEngine } from './engine-lifecycle.js';

type Check = (name: string) => string | undefined;

/** The first rule a name breaks, in words. */
const rules = (...checks: Check[]): Check => (name) => {
  for (const c of checks) {
    const p = c(name);
    if (p) return p;
  }
  return undefined;
};
const length = (min: number, max: number): Check => (n) => (n.length < min || n.length > max ? `${n.length} characters, where AWS allows ${min} to ${max}` : undefined);
const chars = (re: RegExp, allowed: string): Check => (n) => (re.test(n) ? undefined : `characters other than ${allowed}`);
const notStart = (...prefixes: string[]): Check => (n) => {
  const p = prefixes.find((x) => n.toLowerCase().startsWith(x));
  return p ? `it starts with the reserved prefix "${p}"` : undefined;
};
const notEnd = (...suffixes: string[]): Check => (n) => {
  const s = suffixes.find((x) => n.endsWith(x));
  return s ? `it ends with the reserved suffix "${s}"` : undefined;
};
const rdsIdentifier: Check = (n) =>
  !/^[A-Za-z]/.test(n) ? 'it does not start with a letter' : n.includes('--') ? 'it has two hyphens in a row' : n.endsWith('-') ? 'it ends with a hyphen' : undefined;
const albStyle: Check = (n) => (n.startsWith('-') || n.endsWith('-') ? 'it starts or ends with a hyphen' : undefined);

export const NAME_LIMITS = {
  securityGroup: rules(length(1, 255), notStart('sg-')),
  loadBalancer: rules(length(1, 32), chars(/^[A-Za-z0-9-]*$/, 'letters, digits and hyphens'), albStyle, notStart('internal-')),
  targetGroup: rules(length(1, 32), chars(/^[A-Za-z0-9-]*$/, 'letters, digits and hyphens'), albStyle),
  bucket: rules(
    length(3, 63), chars(/^[a-z0-9.-]*$/, 'lowercase letters, digits, dots and hyphens'),
    (n) => (/^[a-z0-9].*[a-z0-9]$/.test(n) ? undefined : 'it does not start and end with a letter or digit'),
    (n) => (n.includes('..') ? 'it has two dots in a row' : /^\d+\.\d+\.\d+\.\d+$/.test(n) ? 'it is formatted as an IP address' : undefined),
    notStart('xn--', 'sthree-', 'amzn-s3-demo-'), notEnd('-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'),
  ),
  iamRole: rules(length(1, 64), chars(/^[\w+=,.@-]*$/, 'letters, digits and +=,.@_-')),
  iamPath: (n: string) => (/^\/$|^\/[\u0021-\u007E]{1,510}\/$/.test(n) ? undefined : 'it is not / or printable characters between slashes, at most 512'),
  rdsInstance: rules(length(1, 63), chars(/^[A-Za-z0-9-]*$/, 'letters, digits and hyphens'), rdsIdentifier),
  dbSubnetGroup: rules(length(1, 255), chars(/^[A-Za-z0-9._ -]*$/, 'letters, digits, periods, underscores, spaces and hyphens'), (n) => (n.toLowerCase() === 'default' ? 'it is "default"' : undefined)),
  dbSnapshot: rules(length(1, 255), chars(/^[A-Za-z0-9-]*$/, 'letters, digits and hyphens'), rdsIdentifier),
  dbProxy: rules(length(1, 63), chars(/^[A-Za-z0-9-]*$/, 'letters, digits and hyphens'), rdsIdentifier),
  dbParameterGroup: rules(length(1, 255), chars(/^[A-Za-z0-9-]*$/, 'letters, digits and hyphens'), rdsIdentifier),
  secret: rules(length(1, 512), chars(/^[A-Za-z0-9/_+=.@-]*$/, 'letters, digits and /_+=.@-'), (n) => (/-[^-/]{6}$/.test(n) ? 'it ends with a hyphen and six characters, which Secrets Manager reads as an ARN suffix' : undefined)),
  logGroup: rules(length(1, 512), chars(/^[A-Za-z0-9_\-/.#]*$/, 'letters, digits and _-/.#'), notStart('aws/')),
  ecs: rules(length(1, 255), chars(/^[A-Za-z0-9_-]*$/, 'letters, digits, underscores and hyphens')),
  scalingPolicy: rules(length(1, 256), chars(/^[\x20-\x7E]*$/, 'printable characters')),
  tagKey: rules(length(1, 128), chars(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, 'letters, digits, spaces and _.:/=+-@')),
  tagValue: rules(length(0, 256), chars(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, 'letters, digits, spaces and _.:/=+-@')),
} satisfies Record<string, Check>;

export type NameLimit = keyof typeof NAME_LIMITS;

export interface GeneratedName {
  /** What AWS calls it, for messages. */
  what: string;
  name: string;
  limit: NameLimit;
}

/** A 12-digit account for the names that hold one, when the config does not say which (only the length matters). */
const ANY_ACCOUNT = '000000000000';

/**
 * Every name wpdeploy derives from the stack name, as the steps send it (checked by
 * test/unit/names.test.ts against the steps themselves).
 */
export function generatedNames(stack: string, region: string, account = ANY_ACCOUNT): GeneratedName[] {
  const n = (what: string, name: string, limit: NameLimit): GeneratedName => ({ what, name, limit });
  const role = (r: string) => n('IAM role', `${stack}-${r}-${region}`, 'iamRole');
  return [
    ...['alb', 'app', 'db', 'efs', 'db-proxy'].map((r) => n('security group', `${stack}-${r}`, 'securityGroup')),
    n('load balancer', `${stack}-alb`, 'loadBalancer'),
    n('target group', `${stack}-tg`, 'targetGroup'),
    n('S3 bucket (load balancer access logs)', `${stack}-alb-logs-${account}-${region}`, 'bucket'),
    role('task-execution'), role('task'), role('flow-logs'), role('db-proxy'),
    n('IAM role path', '/wpdeploy/', 'iamPath'),
    n('RDS instance identifier', `${stack}-db`, 'rdsInstance'),
    n('DB subnet group', `${stack}-data`, 'dbSubnetGroup'),
    // One per engine family wpdeploy offers (`<stack>-db-mysql8-4`): the family is part of the name.
    ...(Object.keys(ENGINE_LIFECYCLE) as DbEngine[]).flatMap((engine) => Object.keys(ENGINE_LIFECYCLE[engine]).map((major) =>
      n('DB parameter group', `${stack}-db-${engine}${major.replace(/\./g, '-')}`, 'dbParameterGroup'))),
    n('final DB snapshot identifier', `${stack}-final-20261231235959-5`, 'dbSnapshot'),
    n('RDS Proxy', `${stack}-db-proxy`, 'dbProxy'),
    n('secret', `wpdeploy/${stack}/db`, 'secret'),
    n('secret', `wpdeploy/${stack}/wp-salts`, 'secret'),
    n('log group', `/wpdeploy/${stack}/wordpress`, 'logGroup'),
    n('log group', `/wpdeploy/${stack}/vpc-flow-logs`, 'logGroup'),
    n('ECS cluster', `${stack}-cluster`, 'ecs'),
    n('ECS service', `${stack}-wordpress`, 'ecs'),
    n('ECS task definition family', `${stack}-wordpress`, 'ecs'),
    n('scaling policy', `${stack}-cpu`, 'scalingPolicy'),
    n('scaling policy', `${stack}-requests`, 'scalingPolicy'),
  ];
}

/** Every generated name AWS would refuse, as config issues on `stack` (exit 2, before any AWS call). */
export function nameIssues(stack: string, region: string, account?: string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const reported = new Set<NameLimit>(); // one issue per limit: "sg" breaks every security group name alike
  for (const g of generatedNames(stack, region, account)) {
    const problem = NAME_LIMITS[g.limit](g.name);
    if (!problem || reported.has(g.limit)) continue;
    reported.add(g.limit);
    const prefix = /reserved prefix "([^"]+)"/.exec(problem)?.[1];
    issues.push({
      path: 'stack',
      message: `"${stack}" makes the ${g.what} name "${g.name}", which AWS refuses: ${problem}.`,
      fix: prefix
        ? `Choose a stack name that does not start with "${prefix}"${prefix === `${stack}-` ? ` nor is "${stack}"` : ''}: every AWS name of the stack starts with it.`
        : 'Choose a shorter or plainer stack name: every AWS name of the stack starts with it.',
    });
  }
  return issues;
}

/** Tag keys and values AWS would refuse on some resource of the stack (EFS, RDS and Secrets Manager are the strictest). */
export function tagIssues(tags: Record<string, string>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [k, v] of Object.entries(tags)) {
    const pk = NAME_LIMITS.tagKey(k);
    if (pk) issues.push({ path: `tags.${k}`, message: `the key "${k}" has ${pk}; EFS, RDS and Secrets Manager refuse it.`, fix: 'Use only letters, digits, spaces and _.:/=+-@ in tag keys.' });
    const pv = NAME_LIMITS.tagValue(v);
    if (pv) issues.push({ path: `tags.${k}`, message: `the value "${v}" has ${pv}; EFS, RDS and Secrets Manager refuse it.`, fix: 'Use only letters, digits, spaces and _.:/=+-@ in tag values.' });
  }
  return issues;
}
