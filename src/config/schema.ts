/**
 * The config schema: one source of truth for types, defaults, single-field checks and the JSON Schema
 * (`schema/wpdeploy.schema.json`, emitted by `npm run schema`). Cross-field checks live in validate.ts.
 * The keys are a contract: extend them, never rename them.
 */
import { z } from 'zod';
import { isNetworkAddress, parseCidr } from './cidr.js';
import { KNOWN_REGIONS } from './regions.js';
import { stateLocationProblem } from './state-location.js';

export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Lowercase letters, digits and single hyphens; starts with a letter; fits every AWS name it prefixes. */
export const STACK_NAME_RE = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9])){0,19}$/;

export const DEFAULT_STACK = 'wordpress';
const DEFAULT_REGION = 'us-east-1';

const stackName = z
  .string()
  .regex(STACK_NAME_RE, {
    message:
      'must be 1-20 characters: lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen (it prefixes RDS, ALB, S3 and IAM names).',
  });

const stateLocation = z.string().min(1).superRefine((value, ctx) => {
  const problem = stateLocationProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `${problem.message} ${problem.fix}` });
});

const region = z.enum(KNOWN_REGIONS as [string, ...string[]]);

const tagKey = z
  .string()
  .min(1)
  .max(128)
  .refine((k) => !/^(aws:|wpdeploy:)/i.test(k), { message: 'tag keys starting with aws: or wpdeploy: are reserved.' })
  .refine((k) => k !== 'Name', { message: 'the Name tag is set by wpdeploy (<stack>-<role>).' });

const cidr = z.string().superRefine((value, ctx) => {
  const c = parseCidr(value);
  if (!c) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not an IPv4 CIDR block. Use a block like 10.20.0.0/16.` });
    return;
  }
  if (c.prefix < 16 || c.prefix > 24) {
    ctx.addIssue({ code: 'custom', message: `/${c.prefix} is outside what wpdeploy supports. Use a prefix from /16 to /24 (AWS allows /16 to /28 for a VPC; wpdeploy needs room for 3 subnets per AZ).` });
  } else if (!isNetworkAddress(c)) {
    ctx.addIssue({ code: 'custom', message: `"${value}" has host bits set. Use the network address of the block.` });
  }
});

const NetworkSchema = z.strictObject({
  cidr: cidr.default('10.20.0.0/16').describe('IPv4 block of the VPC, /16 to /24. Subnets are derived from it.'),
  azCount: z.number().int().min(2).max(6).default(2).describe('How many Availability Zones to spread over (2 or more for high availability).'),
  natGateways: z.enum(['perAz', 'single']).default('perAz').describe('perAz: one NAT gateway per AZ (survives an AZ loss). single: one NAT gateway (cheaper, one AZ is a single point of failure for outbound traffic).'),
  flowLogs: z.boolean().default(true).describe('VPC flow logs to CloudWatch Logs (FSBP EC2.6).'),
});

const DomainSchema = z.strictObject({
  name: z.string().regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, { message: 'must be a lowercase DNS name like blog.example.com.' }).describe('The site\'s DNS name.').meta({ examples: ['blog.example.com'] }),
  hostedZone: z.string().regex(/^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$/, { message: 'must be the name of an existing Route 53 public hosted zone, like example.com.' }).describe('An existing Route 53 public hosted zone that contains `name`.').meta({ examples: ['example.com'] }),
});

const DatabaseSchema = z.strictObject({
  engine: z.enum(['mysql', 'mariadb']).default('mysql').describe('Database engine: mysql or mariadb.'),
  engineVersion: z.string().regex(/^\d+\.\d+(\.\d+)?$/, { message: 'must be a version like "8.0" or "8.0.39" (quote it in YAML).' }).default('8.4').describe('Engine version, quoted: mysql "8.4" (default) or "8.0" (past RDS standard support: needs extendedSupport); mariadb "10.11" (default), "11.4" or "11.8".'),
  extendedSupport: z.boolean().default(false).describe('Allow paid RDS Extended Support (MySQL only): needed to run a major version past its end of RDS standard support, billed per vCPU-hour on the primary and the standby. Off: the instance is created with Extended Support disabled.'),
  instanceClass: z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, { message: 'must be an RDS instance class like db.t4g.micro.' }).default('db.t4g.micro').describe('RDS instance class.'),
  storageGb: z.number().int().min(20).max(65536).default(20).describe('gp3 storage in GiB (20 to 65536).'),
  multiAz: z.boolean().default(true).describe('A standby in another AZ (FSBP RDS.5).'),
  backupRetentionDays: z.number().int().min(7).max(35).default(7).describe('Automated backups kept, 7 to 35 days (FSBP RDS.11).'),
  deletionProtection: z.boolean().default(true).describe('`down` lifts it, and says so.'),
  applyImmediately: z.boolean().default(false).describe('Apply class, storage and Multi-AZ changes now (a short outage for single-AZ) rather than in the maintenance window.'),
  proxy: z.boolean().default(false).describe('Put an RDS Proxy between WordPress and the database.'),
});

/**
 * The official `wordpress` image from the Docker Official Images mirror on Amazon ECR Public, not
 * from Docker Hub: every task pulls through the stack's one or two NAT addresses, and Docker Hub
 * limits anonymous pulls to 10 an hour per IPv4 address (https://docs.docker.com/docker-hub/usage/pulls/),
 * so scale-outs and circuit-breaker retries would fail with `toomanyrequests`. ECR Public serves the same image
 * anonymously, with no IAM permission on the task execution role: its repositories are publicly
 * accessible and the pull permissions cannot be changed
 * (https://docs.aws.amazon.com/AmazonECR/latest/public/security_iam_service-with-iam.html); pulls
 * without a token are supported (https://docs.aws.amazon.com/AmazonECR/latest/public/docker-pull-ecr-image.html),
 * within ECR Public's quotas for them (https://docs.aws.amazon.com/AmazonECR/latest/public/public-service-quotas.html).
 * The tasks reach it on 443 through the NAT gateways (the app tier's egress to 0.0.0.0/0:443).
 */
const DEFAULT_IMAGE = 'public.ecr.aws/docker/library/wordpress:6-php8.3-apache';

const WordpressSchema = z.strictObject({
  image: z.string().min(1).default(DEFAULT_IMAGE).describe('Container image of WordPress: by default the official image from the Docker Official Images mirror on Amazon ECR Public (no Docker Hub pull limit); a Docker Hub or ECR image works too.'),
  cpu: z.number().int().default(512).describe('Fargate task CPU units (256, 512, 1024, 2048, 4096, 8192, 16384).'),
  memory: z.number().int().default(1024).describe('Fargate task memory in MiB; must pair with cpu.'),
  desiredCount: z.number().int().min(1).max(100).default(2).describe('Tasks at creation; afterwards auto scaling owns the count.'),
  sharedFiles: z.enum(['content', 'uploads']).default('content').describe('What the tasks share on EFS: content (wp-content: uploads, plugins and themes installed from the dashboard persist) or uploads (only wp-content/uploads: plugins and themes come with the image, and pages are served at local-disk speed).'),
});

const ScalingSchema = z.strictObject({
  min: z.number().int().min(1).max(100).default(2).describe('Fewest tasks auto scaling keeps (2 or more to survive an AZ loss).'),
  max: z.number().int().min(1).max(100).default(6).describe('Most tasks auto scaling may run.'),
  cpuTarget: z.number().min(1).max(100).default(60).describe('Target average CPU percent.'),
  requestsPerTarget: z.number().int().min(1).max(100000).default(500).describe('Target ALB requests per task per minute.'),
});

const LogsSchema = z.strictObject({
  retentionDays: z
    .number()
    .int()
    .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
      message: `is not a retention CloudWatch Logs accepts. Use one of ${LOG_RETENTION_DAYS.join(', ')}.`,
    })
    .default(30)
    .describe('Days CloudWatch Logs keeps the logs (FSBP CloudWatch.16).'),
});

/**
 * Assumptions of `wpdeploy cost` (usage AWS bills by volume). They change no resource; the estimate
 * prints them, so a reader knows what the figures rest on. The section is optional: without it the
 * estimate assumes these defaults (costAssumptions).
 */
const CostSchema = z.strictObject({
  trafficGb: z.number().min(0).max(1_000_000).default(50).describe('GB a month served to visitors through the load balancer (ALB processed bytes, data transfer out).'),
  requests: z.number().int().min(0).max(1e12).default(1_000_000).describe('HTTP requests a month (ALB new connections).'),
  natGb: z.number().min(0).max(1_000_000).default(10).describe('GB a month the tasks exchange with the internet through NAT (image pulls, updates, plugins, outside APIs).'),
  efsGb: z.number().min(0).max(1_000_000).default(5).describe('GB of WordPress content (uploads, plugins, themes) on EFS.'),
  dbBackupGb: z.number().min(0).max(1_000_000).default(5).describe('GB of automated RDS backups kept over backupRetentionDays; free up to database.storageGb.'),
  logsGb: z.number().min(0).max(1_000_000).default(5).describe('GB of logs ingested a month into CloudWatch Logs (containers, and VPC flow logs when on).'),
  accessLogsGb: z.number().min(0).max(1_000_000).default(1).describe('GB of ALB access logs kept in S3 (gzip: about 0.1 GB per million requests, and they accumulate).'),
});

/** Top-level sections, parsed one by one so that every problem is reported at once. */
export const SECTIONS = {
  network: NetworkSchema,
  domain: DomainSchema,
  database: DatabaseSchema,
  wordpress: WordpressSchema,
  scaling: ScalingSchema,
  logs: LogsSchema,
  cost: CostSchema,
} as const;

export const ConfigSchema = z.strictObject({
  $schema: z.string().optional().describe('Path or URL of the JSON Schema, for editor completion.'),
  stack: stackName.default(DEFAULT_STACK).describe('Stack name: prefixes every resource name, and tags everything.'),
  region: region.default(DEFAULT_REGION).describe('AWS region. --region overrides it; when neither is set, AWS_REGION or AWS_DEFAULT_REGION, else us-east-1.'),
  accountId: z.string().regex(/^\d{12}$/, { message: 'must be a 12-digit AWS account id, quoted in YAML (e.g. "123456789012").' }).optional().describe('The AWS account the stack belongs to. When set, a run with credentials of another account is refused before any change.').meta({ examples: ['123456789012'] }),
  state: stateLocation.optional().describe('Where the state and its lock live: a local directory (default state/) or s3://BUCKET/PREFIX for a team or CI. --state overrides it.').meta({ examples: ['s3://acme-wpdeploy-state/wordpress'] }),
  lockLeaseMinutes: z.number().int().min(1).max(1440).default(15).describe('Minutes a remote lock stays valid without renewal (a run renews it every third of that). Past it, `wpdeploy unlock <lock-id>` may break it.'),
  tags: z.record(tagKey, z.string().max(256)).default({}).describe('Your tags, added to every resource.'),
  network: NetworkSchema.prefault({}).describe('The VPC: its address block, how many Availability Zones, NAT gateways, flow logs.'),
  domain: DomainSchema.optional().describe('Serve HTTPS on this name. Without it, the site is HTTP only.'),
  database: DatabaseSchema.prefault({}).describe('RDS MySQL or MariaDB in the data subnets, encrypted, Multi-AZ by default.'),
  wordpress: WordpressSchema.prefault({}).describe('The WordPress tasks on ECS Fargate, in the app subnets.'),
  scaling: ScalingSchema.prefault({}).describe('Application Auto Scaling of the tasks: bounds and targets.'),
  logs: LogsSchema.prefault({}).describe('CloudWatch Logs of the tasks.'),
  stacks: z.record(stackName, z.record(z.string(), z.unknown())).optional().describe('Several stacks from one file: per-stack overrides of the keys above (e.g. a small single-AZ `dev` and a Multi-AZ `prod`), chosen with --stack KEY. Stack KEY is named <stack>-KEY.').meta({ examples: [{ dev: { network: { natGateways: 'single' }, database: { multiAz: false } }, prod: { accountId: '123456789012' } }] }),
  cost: CostSchema.optional().describe('Assumptions of `wpdeploy cost` (traffic, storage, log volume), shown at the values it assumes when unset; they change no resource.'),
});

export type Config = z.output<typeof ConfigSchema>;
export type CostAssumptions = z.output<typeof CostSchema>;

/** The cost assumptions of a config: its `cost:` section, or the defaults. */
export function costAssumptions(config: Pick<Config, 'cost'>): CostAssumptions {
  return config.cost ?? CostSchema.parse({});
}
export type ConfigInput = z.input<typeof ConfigSchema>;

/** The JSON Schema of the config file (what a user writes: defaults shown, nothing required). */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'wpdeploy configuration', $id: 'https://wpdeploy.dev/schema/wpdeploy.schema.json' };
}
