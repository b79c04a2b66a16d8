/**
 * The S3 bucket the load balancer writes its access logs to (FSBP ELB.5), named
 * `<stack>-alb-logs-<account>-<region>` (bucket names are global; account and region make it unique
 * and let a lost state find it again). It blocks public access on the bucket (S3.8), encrypts with SSE-S3
 * (AES256: ALB log delivery cannot write to a KMS-encrypted bucket), disables ACLs (bucket owner
 * enforced), expires objects after the log retention, and has a policy that denies any request not
 * made over TLS (S3.5) and lets the region's Elastic Load Balancing log delivery write under
 * `AWSLogs/<account>/`: the ELB account of the region for regions older than August 2022, the
 * `logdelivery.elasticloadbalancing.amazonaws.com` service principal for newer ones. The load
 * balancer step depends on this one, so the policy is in place before access logs are switched on.
 *
 * An existing bucket of that name with this step's tags (or none: a create that crashed before
 * tagging) is reused and converged; one tagged for anything else, or owned by another account, is
 * refused. `down` empties it (every object version and delete marker) and deletes it.
 */
import type { BucketLocationConstraint, LifecycleRule, ObjectIdentifier } from '@aws-sdk/client-s3';
import { S3 } from '../aws/sdk.js';
import { isAccessDenied, isAlreadyExists, isBucketNameTaken, isDependencyViolation, isNotConfigured, isNotFound } from '../aws/errors.js';
import { deleteOrGone, orAbsent } from '../aws/idempotent.js';
import { retrying } from '../aws/poll.js';
import { fromTagList, toTagList, type TagMap, ownedBy, tagChanges } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { canonicalPolicy, type PolicyDocument } from './iam-role.js';
import { indexedTags } from './tag-index.js';
import { defineKind } from './kinds.js';
import { changesOf, type Actual, type Diff, type FieldChange, type ResourceContext, type ResourceKind } from './types.js';

/**
 * The AWS accounts Elastic Load Balancing delivers access logs from, for the regions that existed
 * before August 2022 (AWS docs, "Enable access logs for your Application Load Balancer"; the same
 * table as the AWS CDK's region facts). Newer regions use the log delivery service principal.
 */
export const ELB_LOG_ACCOUNTS: Readonly<Record<string, string>> = {
  'us-east-1': '127311923021',
  'us-east-2': '033677994240',
  'us-west-1': '027434742980',
  'us-west-2': '797873946194',
  'af-south-1': '098369216593',
  'ap-east-1': '754344448648',
  'ap-southeast-3': '589379963580',
  'ap-south-1': '718504428378',
  'ap-northeast-3': '383597477331',
  'ap-northeast-2': '600734575887',
  'ap-southeast-1': '114774131450',
  'ap-southeast-2': '783225319266',
  'ap-northeast-1': '582318560864',
  'ca-central-1': '985666609251',
  'eu-central-1': '054676820928',
  'eu-west-1': '156460612806',
  'eu-west-2': '652711504416',
  'eu-south-1': '635631232127',
  'eu-west-3': '009996457667',
  'eu-north-1': '897822967062',
  'me-south-1': '076674570225',
  'sa-east-1': '507241528517',
  'us-gov-west-1': '048591011584',
  'us-gov-east-1': '190560391635',
};

export const ELB_LOG_DELIVERY_SERVICE = 'logdelivery.elasticloadbalancing.amazonaws.com';

export const partitionOf = (region: string) => (region.startsWith('us-gov-') ? 'aws-us-gov' : region.startsWith('cn-') ? 'aws-cn' : 'aws');

/** `<stack>-alb-logs-<account>-<region>` (at most 20 + 10 + 12 + 1 + 14 = 57 of S3's 63 characters). */
export function accessLogBucketName(stack: string, account: string, region: string): string {
  return `${stack}-alb-logs-${account}-${region}`;
}

/** Deny everything not over TLS; let the region's ELB log delivery put objects under AWSLogs/<account>/. */
export function accessLogBucketPolicy(bucket: string, account: string, region: string): PolicyDocument {
  const arn = `arn:${partitionOf(region)}:s3:::${bucket}`;
  const elbAccount = ELB_LOG_ACCOUNTS[region];
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [arn, `${arn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'AllowElbAccessLogDelivery',
        Effect: 'Allow',
        Principal: elbAccount ? { AWS: `arn:${partitionOf(region)}:iam::${elbAccount}:root` } : { Service: ELB_LOG_DELIVERY_SERVICE },
        Action: 's3:PutObject',
        Resource: `${arn}/AWSLogs/${account}/*`,
      },
    ],
  };
}

export interface S3BucketSpec {
  name: string;
  policy: PolicyDocument;
  /** Objects expire after this many days. */
  expireDays: number;
  tags: TagMap;
}

interface Lifecycle {
  expireDays?: number;
  noncurrentDays?: number;
  abortMultipartDays?: number;
}

export interface S3BucketActual extends Actual {
  /** The bucket name. */
  id: string;
  arn: string;
  state: 'available';
  blockPublicAccess: boolean;
  encryption?: string;
  ownership?: string;
  policy?: unknown;
  lifecycle?: Lifecycle;
  tags: TagMap;
}

const RULE_ID = 'expire-access-logs';
const s3 = (ctx: ResourceContext) => ctx.aws.get(S3.S3Client);

/** A bucket sub-resource read, where "not configured" reads as undefined. */
const optional = <T>(p: Promise<T>): Promise<T | undefined> => orAbsent(() => p, isNotConfigured);

/**
 * Whether the bucket is there, and its tags, in one call (GetBucketTagging): undefined when there is
 * no such bucket, or when it is another account's (AccessDenied: not ours, and create says so).
 */
async function probe(ctx: ResourceContext, name: string): Promise<TagMap | undefined> {
  try {
    return fromTagList((await s3(ctx).send(new S3.GetBucketTaggingCommand({ Bucket: name }))).TagSet);
  } catch (err) {
    if (isNotConfigured(err)) return {}; // NoSuchTagSet: there, untagged
    if (isNotFound(err) || isAccessDenied(err)) return undefined;
    throw err;
  }
}

const tagsOf = async (ctx: ResourceContext, name: string) => fromTagList((await optional(s3(ctx).send(new S3.GetBucketTaggingCommand({ Bucket: name }))))?.TagSet);

async function describe(ctx: ResourceContext, name: string, region: string, tags?: TagMap): Promise<S3BucketActual> {
  const c = s3(ctx);
  const Bucket = name;
  const [pab, enc, own, pol, life, t] = await Promise.all([
    optional(c.send(new S3.GetPublicAccessBlockCommand({ Bucket }))),
    optional(c.send(new S3.GetBucketEncryptionCommand({ Bucket }))),
    optional(c.send(new S3.GetBucketOwnershipControlsCommand({ Bucket }))),
    optional(c.send(new S3.GetBucketPolicyCommand({ Bucket }))),
    optional(c.send(new S3.GetBucketLifecycleConfigurationCommand({ Bucket }))),
    tags ? Promise.resolve(tags) : tagsOf(ctx, name),
  ]);
  const p = pab?.PublicAccessBlockConfiguration;
  const rule = life?.Rules?.find((r) => r.ID === RULE_ID && r.Status === 'Enabled');
  return {
    id: name,
    arn: `arn:${partitionOf(region)}:s3:::${name}`,
    state: 'available',
    blockPublicAccess: !!(p?.BlockPublicAcls && p.IgnorePublicAcls && p.BlockPublicPolicy && p.RestrictPublicBuckets),
    encryption: enc?.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
    ownership: own?.OwnershipControls?.Rules?.[0]?.ObjectOwnership,
    policy: pol?.Policy ? JSON.parse(pol.Policy) : undefined,
    lifecycle: rule && { expireDays: rule.Expiration?.Days, noncurrentDays: rule.NoncurrentVersionExpiration?.NoncurrentDays, abortMultipartDays: rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation },
    tags: t,
  };
}

const wantLifecycle = (d: S3BucketSpec): Lifecycle => ({ expireDays: d.expireDays, noncurrentDays: 1, abortMultipartDays: 1 });

/** Puts every setting that differs (all of them for a new bucket). */
async function converge(ctx: ResourceContext, desired: S3BucketSpec, actual: S3BucketActual | undefined): Promise<void> {
  const c = s3(ctx);
  const Bucket = desired.name;
  const diff = actual ? s3BucketKind.diff(desired, actual).changes.map((x) => x.field) : undefined;
  const needs = (field: string) => !diff || diff.some((f) => f === field || f.startsWith(`${field}.`));
  if (needs('tags')) await c.send(new S3.PutBucketTaggingCommand({ Bucket, Tagging: { TagSet: toTagList({ ...(actual?.tags ?? {}), ...desired.tags }) } }));
  if (needs('blockPublicAccess')) {
    await c.send(new S3.PutPublicAccessBlockCommand({ Bucket, PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } }));
  }
  if (needs('ownership')) await c.send(new S3.PutBucketOwnershipControlsCommand({ Bucket, OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } }));
  if (needs('encryption')) {
    await c.send(new S3.PutBucketEncryptionCommand({ Bucket, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: false }] } }));
  }
  if (needs('policy')) await c.send(new S3.PutBucketPolicyCommand({ Bucket, Policy: JSON.stringify(desired.policy) }));
  if (needs('lifecycle')) {
    const rule: LifecycleRule = {
      ID: RULE_ID, Status: 'Enabled', Filter: { Prefix: '' },
      Expiration: { Days: desired.expireDays }, NoncurrentVersionExpiration: { NoncurrentDays: 1 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
    };
    await c.send(new S3.PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules: [rule] } }));
  }
}

/** Deletes every object version and delete marker, 1000 at a time. */
export async function emptyBucket(ctx: ResourceContext, name: string): Promise<number> {
  const c = s3(ctx);
  let deleted = 0;
  for (;;) {
    const r = await c.send(new S3.ListObjectVersionsCommand({ Bucket: name, MaxKeys: 1000 }));
    const objects: ObjectIdentifier[] = [
      ...(r.Versions ?? []).map((v) => ({ Key: v.Key!, VersionId: v.VersionId })),
      ...(r.DeleteMarkers ?? []).map((m) => ({ Key: m.Key!, VersionId: m.VersionId })),
    ];
    if (objects.length === 0) return deleted;
    const d = await c.send(new S3.DeleteObjectsCommand({ Bucket: name, Delete: { Objects: objects, Quiet: true } }));
    if (d.Errors?.length) {
      const e = d.Errors[0]!;
      throw new WpdeployError(`empty bucket ${name}: ${d.Errors.length} objects could not be deleted (${e.Key}: ${e.Code} ${e.Message ?? ''}).`, {
        hint: `Empty it yourself (\`aws s3 rm s3://${name} --recursive\`, and every version if versioning was turned on), then run \`wpdeploy down\` again.`,
      });
    }
    deleted += objects.length;
    ctx.progress(`emptied ${deleted} objects from ${name}`);
  }
}

export const s3BucketKind: ResourceKind<S3BucketSpec, S3BucketActual, 'name' | 'arn'> = defineKind({
  name: 's3:bucket',
  noun: 'bucket',
  timing: { createMs: 3_000, deleteMs: 5_000 },
  onReplace: 'refuse',

  /** The bucket the spec (or state) names, when it exists and is this step's (tagged so, or recorded). */
  async find(ctx, desired) {
    const name = desired?.name ?? ctx.recordedId;
    if (!name) return undefined;
    const tags = (await indexedTags(ctx, `arn:${partitionOf(ctx.region)}:s3:::${name}`)) ?? (await probe(ctx, name));
    if (!tags) return undefined;
    if (!ownedBy(ctx, tags) && ctx.recordedId !== name) return undefined;
    return orAbsent(() => describe(ctx, name, ctx.region, tags)); // undefined: deleted since the tag index was made
  },

  diff(desired, actual): Diff {
    const changes: FieldChange[] = changesOf(
      ['blockPublicAccess', actual.blockPublicAccess, true],
      ['encryption', actual.encryption, 'AES256'],
      ['ownership', actual.ownership, 'BucketOwnerEnforced'],
      ['lifecycle', actual.lifecycle, wantLifecycle(desired)],
    );
    if (JSON.stringify(canonicalPolicy(actual.policy ?? null)) !== JSON.stringify(canonicalPolicy(desired.policy))) changes.push({ field: 'policy', from: actual.policy, to: desired.policy });
    changes.push(...tagChanges(desired.tags, actual.tags));
    if (desired.name !== actual.id) {
      return { changes: [{ field: 'name', from: actual.id, to: desired.name }, ...changes], replace: 'a bucket cannot be renamed' };
    }
    return { changes };
  },

  /**
   * Creates the bucket (ACLs disabled), records its name, then tags it and sets public access
   * block, encryption, policy and lifecycle. (S3 takes tags in CreateBucket only in recent API
   * versions, which the emulator refuses; the fixed name keeps a half-made bucket findable.)
   */
  async create(ctx, desired) {
    const name = desired.name;
    try {
      await s3(ctx).send(new S3.CreateBucketCommand({
        Bucket: name,
        ObjectOwnership: 'BucketOwnerEnforced',
        CreateBucketConfiguration: ctx.region === 'us-east-1' ? undefined : { LocationConstraint: ctx.region as BucketLocationConstraint },
      }));
    } catch (err) {
      if (isBucketNameTaken(err)) {
        throw new WpdeployError(`bucket name ${name} is taken by another AWS account.`, { hint: 'Deploy under another stack name (bucket names are global).', cause: err });
      }
      if (!isAlreadyExists(err)) throw err;
      const tags = await tagsOf(ctx, name);
      if (Object.keys(tags).length > 0 && !ownedBy(ctx, tags)) {
        throw new WpdeployError(`bucket ${name} already exists and is not the one of step ${ctx.step} of stack ${ctx.stack} (tags ${JSON.stringify(tags)}).`, {
          hint: `Empty and delete it if nothing uses it (\`aws s3 rb s3://${name} --force\`), or deploy under another stack name.`,
          cause: err,
        });
      }
      ctx.warn(`bucket ${name} already existed${ownedBy(ctx, tags) ? ' with this step\'s tags' : ' untagged (a create that stopped half way)'}; adopted it.`);
    }
    const arn = `arn:${partitionOf(ctx.region)}:s3:::${name}`;
    await ctx.recordId(name, arn);
    const before = await describe(ctx, name, ctx.region);
    await converge(ctx, desired, before);
    return { ...before, blockPublicAccess: true, encryption: 'AES256', ownership: 'BucketOwnerEnforced', policy: desired.policy, lifecycle: wantLifecycle(desired), tags: { ...before.tags, ...desired.tags } };
  },

  async update(ctx, desired, actual) {
    await converge(ctx, desired, actual);
    return { ...actual, blockPublicAccess: true, encryption: 'AES256', ownership: 'BucketOwnerEnforced', policy: desired.policy, lifecycle: wantLifecycle(desired), tags: { ...actual.tags, ...desired.tags } };
  },

  /**
   * Empties the bucket (every version and delete marker) and deletes it. Log delivery may still
   * write a last object just after the load balancer is gone: BucketNotEmpty empties it again.
   * A bucket already gone is success.
   */
  async delete(ctx, actual) {
    await deleteOrGone(() => retrying(async () => {
      await emptyBucket(ctx, actual.id);
      await s3(ctx).send(new S3.DeleteBucketCommand({ Bucket: actual.id }));
    }, { retryable: isDependencyViolation, attempts: 5, baseMs: 2_000, scale: ctx.scale, onRetry: () => ctx.progress(`bucket ${actual.id} received more objects; emptying it again`) }));
  },

  outputs: (a) => ({ name: a.id, arn: a.arn }),
});
