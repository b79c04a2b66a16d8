/**
 * The WordPress task's settings that come from the config and the data tier: wp-config.php's extra
 * PHP, the container's environment and secrets, and the permissions of its two roles. Pure.
 */
import type { Config } from '../config/schema.js';
import { dbTlsMode, mysqlClientFlags } from './db-tls.js';
import type { PolicyDocument, PolicyStatement } from './iam-role.js';
import { WORDPRESS_SALT_KEYS } from './secret.js';
import type { Data } from './stack-data.js';

/**
 * PHP that WordPress runs from wp-config.php. The load balancer terminates TLS and forwards HTTP, so
 * WordPress must believe `X-Forwarded-Proto` or it loops on redirects and serves mixed content; only
 * the load balancer can reach the tasks (security group), so the header is trustworthy. With a
 * domain, the site's URL is pinned to it (https) from the first request, and admin is HTTPS only.
 */
export function wordpressConfigExtra(domain: string | undefined): string {
  const lines = [
    "if (isset($_SERVER['HTTP_X_FORWARDED_PROTO']) && strpos($_SERVER['HTTP_X_FORWARDED_PROTO'], 'https') !== false) { $_SERVER['HTTPS'] = 'on'; }",
  ];
  if (domain) {
    lines.push(`define('WP_HOME', 'https://${domain}');`, `define('WP_SITEURL', 'https://${domain}');`, "define('FORCE_SSL_ADMIN', true);");
  }
  return lines.join('\n');
}

/** An ECR image `ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO[:tag|@digest]`: its repository ARN. */
export function ecrRepositoryArn(image: string): string | undefined {
  const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(image);
  if (!m) return undefined;
  const partition = m[2]!.startsWith('cn-') ? 'aws-cn' : m[2]!.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  return `arn:${partition}:ecr:${m[2]}:${m[1]}:repository/${m[3]}`;
}

/**
 * The execution role's permissions (what ECS needs to start the task): write to the stack's log
 * group, read exactly the stack's two secrets, and pull the image from ECR when it comes from there
 * (a public image, such as the default from ECR Public or one from Docker Hub, needs no permission).
 */
export function executionRolePolicy(opts: { logGroupArn: string; secretArns: string[]; image: string }): PolicyDocument {
  const statements: PolicyStatement[] = [
    { Sid: 'WriteTaskLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: `${opts.logGroupArn}:log-stream:*` },
  ];
  if (opts.secretArns.length) statements.push({ Sid: 'ReadStackSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: opts.secretArns });
  const repo = ecrRepositoryArn(opts.image);
  if (repo) {
    statements.push(
      // GetAuthorizationToken has no resource to scope to: AWS requires `*` here (the action is exact).
      { Sid: 'EcrLogin', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
      { Sid: 'PullImage', Effect: 'Allow', Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'], Resource: repo },
    );
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** The task role's permissions: mount and write this file system, through this access point only. */
export function taskRolePolicy(opts: { fileSystemArn: string; accessPointArn: string }): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{
      Sid: 'MountWordpressContent',
      Effect: 'Allow',
      Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      Resource: opts.fileSystemArn,
      Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': opts.accessPointArn } },
    }],
  };
}

/** The data tier's outputs the WordPress task reads (none without the data tier). */
interface DataInputs {
  dbSecretArn?: string;
  saltsSecretArn?: string;
  dbHost?: string;
  /** WordPress reaches the database through the RDS Proxy (not the instance). */
  dbViaProxy?: boolean;
  dbName?: string;
  efs?: { fileSystemId: string; fileSystemArn: string; accessPointId: string; accessPointArn: string };
}

/** What the task definition reads of the data tier (read inside its spec: each read is an edge). */
export function dataInputs(data: Data | undefined): DataInputs {
  if (!data) return {};
  const host = data.dbProxy ?? data.db;
  return {
    dbSecretArn: data.dbSecret.out.arn,
    saltsSecretArn: data.saltsSecret.out.arn,
    dbHost: `${host.out.endpoint}:${data.db.out.port}`,
    dbViaProxy: !!data.dbProxy,
    dbName: data.db.out.dbName,
    efs: {
      fileSystemId: data.efs.out.fileSystemId, fileSystemArn: data.efs.out.arn,
      accessPointId: data.accessPoint.out.accessPointId, accessPointArn: data.accessPoint.out.arn,
    },
  };
}

/** The WordPress container's settings and secrets (secrets as `valueFrom` only: `<secret ARN>:<json key>::`). */
export function wordpressEnvironment(config: Config, d: DataInputs): { environment: Record<string, string>; secrets: Record<string, string> } {
  const environment: Record<string, string> = { WORDPRESS_CONFIG_EXTRA: wordpressConfigExtra(config.domain?.name) };
  if (d.dbHost) {
    environment.WORDPRESS_DB_HOST = d.dbHost;
    // TLS to the database, always (db-tls.ts says why verified only through the proxy).
    environment.WORDPRESS_CONFIG_EXTRA += `\n${mysqlClientFlags(dbTlsMode(!!d.dbViaProxy))}`;
  }
  if (d.dbName) environment.WORDPRESS_DB_NAME = d.dbName;
  const secrets: Record<string, string> = {};
  if (d.dbSecretArn) {
    secrets.WORDPRESS_DB_USER = `${d.dbSecretArn}:username::`;
    secrets.WORDPRESS_DB_PASSWORD = `${d.dbSecretArn}:password::`;
  }
  if (d.saltsSecretArn) for (const k of WORDPRESS_SALT_KEYS) secrets[`WORDPRESS_${k}`] = `${d.saltsSecretArn}:${k}::`;
  return { environment, secrets };
}
