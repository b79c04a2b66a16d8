/**
 * The AWS SDK packages, each loaded on first use. A command loads only the clients it calls, and
 * `--help`, `--version`, `cost`, `init` and `diagram` load none. This is the only file that may
 * import an `@aws-sdk/client-*` package as a value; every other file imports types only
 * (`import type { Vpc } from '@aws-sdk/client-ec2'`) and reaches commands and clients through these
 * namespaces: `ec2(ctx).send(new EC2.DescribeVpcsCommand({ ... }))`.
 *
 * The packages are CommonJS, so they are loaded with require: importing them as ES modules first
 * scans each file for its export names (client-ec2 alone is 2 MB and exports ~5,000 names), which
 * cost `up` about half a second of CPU and made its peak memory swing by 40 MB from run to run.
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

/** A stand-in for the package's namespace that loads the package when a member is first read. */
function lazy<T extends object>(pkg: string): T {
  let mod: T | undefined;
  return new Proxy({} as T, {
    get: (_target, name) => Reflect.get((mod ??= load(pkg) as T), name),
  });
}

export const ACM = lazy<typeof import('@aws-sdk/client-acm')>('@aws-sdk/client-acm');
export const AutoScaling = lazy<typeof import('@aws-sdk/client-application-auto-scaling')>('@aws-sdk/client-application-auto-scaling');
export const Backup = lazy<typeof import('@aws-sdk/client-backup')>('@aws-sdk/client-backup');
export const CloudWatchLogs = lazy<typeof import('@aws-sdk/client-cloudwatch-logs')>('@aws-sdk/client-cloudwatch-logs');
export const EC2 = lazy<typeof import('@aws-sdk/client-ec2')>('@aws-sdk/client-ec2');
export const ECS = lazy<typeof import('@aws-sdk/client-ecs')>('@aws-sdk/client-ecs');
export const EFS = lazy<typeof import('@aws-sdk/client-efs')>('@aws-sdk/client-efs');
export const ELBv2 = lazy<typeof import('@aws-sdk/client-elastic-load-balancing-v2')>('@aws-sdk/client-elastic-load-balancing-v2');
export const IAM = lazy<typeof import('@aws-sdk/client-iam')>('@aws-sdk/client-iam');
export const RDS = lazy<typeof import('@aws-sdk/client-rds')>('@aws-sdk/client-rds');
export const Route53 = lazy<typeof import('@aws-sdk/client-route-53')>('@aws-sdk/client-route-53');
export const S3 = lazy<typeof import('@aws-sdk/client-s3')>('@aws-sdk/client-s3');
export const ServiceQuotas = lazy<typeof import('@aws-sdk/client-service-quotas')>('@aws-sdk/client-service-quotas');
export const SecretsManager = lazy<typeof import('@aws-sdk/client-secrets-manager')>('@aws-sdk/client-secrets-manager');
export const Tagging = lazy<typeof import('@aws-sdk/client-resource-groups-tagging-api')>('@aws-sdk/client-resource-groups-tagging-api');
export const STS = lazy<typeof import('@aws-sdk/client-sts')>('@aws-sdk/client-sts');
