import {
  CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, GetBucketEncryptionCommand, GetBucketLifecycleConfigurationCommand,
  GetBucketOwnershipControlsCommand, GetBucketPolicyCommand, GetBucketTaggingCommand, GetPublicAccessBlockCommand,
  ListObjectVersionsCommand, PutBucketEncryptionCommand, PutBucketLifecycleConfigurationCommand, PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand, PutBucketTaggingCommand, PutPublicAccessBlockCommand, S3Client, type ServerSideEncryption,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { toTagList } from '../../src/aws/tags.js';
import { WpdeployError } from '../../src/errors.js';
import { accessLogBucketName, accessLogBucketPolicy, ELB_LOG_DELIVERY_SERVICE, s3BucketKind, type S3BucketActual, type S3BucketSpec } from '../../src/resources/s3-bucket.js';
import { awsError, context, newClients, tagsOf } from './app-context.js';

const s3 = mockClient(S3Client);
let aws: AwsClients;
beforeEach(() => {
  s3.reset();
  aws = newClients();
});
afterEach(() => aws.destroy());

const STEP = 'alb-logs-bucket';
const NAME = accessLogBucketName('blog', '123456789012', 'us-east-1');
const POLICY = accessLogBucketPolicy(NAME, '123456789012', 'us-east-1');
const spec: S3BucketSpec = { name: NAME, policy: POLICY, expireDays: 30, tags: tagsOf(STEP, 'alb-logs') };

const BUCKET: S3BucketActual = { id: NAME, arn: `arn:aws:s3:::${NAME}`, state: 'available', blockPublicAccess: true, tags: spec.tags };

/** Every configuration write succeeds. */
function acceptPuts() {
  s3.on(PutBucketTaggingCommand).resolves({});
  s3.on(PutPublicAccessBlockCommand).resolves({});
  s3.on(PutBucketOwnershipControlsCommand).resolves({});
  s3.on(PutBucketEncryptionCommand).resolves({});
  s3.on(PutBucketPolicyCommand).resolves({});
  s3.on(PutBucketLifecycleConfigurationCommand).resolves({});
}

/** A bucket configured as wpdeploy leaves it, with `over` replacing some answers. */
function configured(over: { tags?: Record<string, string>; policy?: string; encryption?: ServerSideEncryption } = {}) {
  s3.on(GetBucketTaggingCommand).resolves({ TagSet: toTagList(over.tags ?? tagsOf(STEP, 'alb-logs')) });
  s3.on(GetPublicAccessBlockCommand).resolves({ PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } });
  s3.on(GetBucketEncryptionCommand).resolves({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: over.encryption ?? 'AES256' } }] } });
  s3.on(GetBucketOwnershipControlsCommand).resolves({ OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } });
  // S3 hands the policy back in its own key order.
  s3.on(GetBucketPolicyCommand).resolves({ Policy: over.policy ?? JSON.stringify({ Statement: [...POLICY.Statement].reverse(), Version: '2012-10-17' }) });
  s3.on(GetBucketLifecycleConfigurationCommand).resolves({
    Rules: [{ ID: 'expire-access-logs', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: 30 }, NoncurrentVersionExpiration: { NoncurrentDays: 1 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }],
  });
}
function unconfigured() {
  s3.on(GetBucketTaggingCommand).rejects(awsError('NoSuchTagSet'));
  s3.on(GetPublicAccessBlockCommand).rejects(awsError('NoSuchPublicAccessBlockConfiguration'));
  s3.on(GetBucketEncryptionCommand).rejects(awsError('ServerSideEncryptionConfigurationNotFoundError'));
  s3.on(GetBucketOwnershipControlsCommand).rejects(awsError('OwnershipControlsNotFoundError'));
  s3.on(GetBucketPolicyCommand).rejects(awsError('NoSuchBucketPolicy'));
  s3.on(GetBucketLifecycleConfigurationCommand).rejects(awsError('NoSuchLifecycleConfiguration'));
}

describe('the access-log bucket policy', () => {
  it('denies every request not over TLS and lets the region\'s ELB account put logs under AWSLogs/<account>/', () => {
    expect(POLICY.Statement).toEqual([
      expect.objectContaining({ Effect: 'Deny', Principal: '*', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Resource: [`arn:aws:s3:::${NAME}`, `arn:aws:s3:::${NAME}/*`] }),
      expect.objectContaining({ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::127311923021:root' }, Action: 's3:PutObject', Resource: `arn:aws:s3:::${NAME}/AWSLogs/123456789012/*` }),
    ]);
    expect(accessLogBucketPolicy('b', '123456789012', 'eu-west-3').Statement[1]!.Principal).toEqual({ AWS: 'arn:aws:iam::009996457667:root' });
  });
  it('uses the log delivery service principal in regions opened after August 2022', () => {
    for (const region of ['ap-southeast-4', 'il-central-1', 'ca-west-1']) {
      expect(accessLogBucketPolicy('b', '123456789012', region).Statement[1]!.Principal).toEqual({ Service: ELB_LOG_DELIVERY_SERVICE });
    }
  });
  it('names fit S3\'s 63 characters for the longest stack and region', () => {
    expect(accessLogBucketName('a'.repeat(20), '123456789012', 'ap-southeast-4').length).toBeLessThanOrEqual(63);
  });
});

describe('s3BucketKind', () => {
  it('finds its bucket, configured as wanted: same', async () => {
    configured();
    const a = await s3BucketKind.find(context(aws, STEP), spec);
    expect(a).toMatchObject({ id: NAME, blockPublicAccess: true, encryption: 'AES256' });
    expect(s3BucketKind.diff(spec, a!)).toEqual({ changes: [] });
  });

  it('no bucket (NoSuchBucket), or another account\'s (403), is undefined, after one call', async () => {
    s3.on(GetBucketTaggingCommand).rejects(awsError('NoSuchBucket', 'NoSuchBucket', 404));
    expect(await s3BucketKind.find(context(aws, STEP), spec)).toBeUndefined();
    expect(s3.calls()).toHaveLength(1);
    s3.reset();
    s3.on(GetBucketTaggingCommand).rejects(awsError('AccessDenied', 'AccessDenied', 403));
    expect(await s3BucketKind.find(context(aws, STEP), spec)).toBeUndefined();
    expect(s3.calls()).toHaveLength(1);
  });

  it('its own bucket is read in six calls, the tags once (no HeadBucket)', async () => {
    configured();
    expect(await s3BucketKind.find(context(aws, STEP), spec)).toBeDefined();
    expect(s3.commandCalls(GetBucketTaggingCommand)).toHaveLength(1);
    expect(s3.calls()).toHaveLength(6);
  });

  it('a bucket of that name tagged for something else is not this step\'s', async () => {
    configured({ tags: { 'wpdeploy:stack': 'other' } });
    expect(await s3BucketKind.find(context(aws, STEP), spec)).toBeUndefined();
  });

  it('KMS encryption or a changed policy are changes', async () => {
    configured({ encryption: 'aws:kms', policy: JSON.stringify({ Version: '2012-10-17', Statement: [POLICY.Statement[1]] }) });
    const a = await s3BucketKind.find(context(aws, STEP), spec);
    expect(s3BucketKind.diff(spec, a!).changes.map((c) => c.field)).toEqual(['encryption', 'policy']);
    s3.on(PutBucketEncryptionCommand).resolves({});
    s3.on(PutBucketPolicyCommand).resolves({});
    await s3BucketKind.update!(context(aws, STEP), spec, a!, s3BucketKind.diff(spec, a!));
    expect(s3.commandCalls(PutBucketEncryptionCommand)).toHaveLength(1);
    expect(s3.commandCalls(PutBucketPolicyCommand)).toHaveLength(1);
    expect(s3.commandCalls(PutPublicAccessBlockCommand)).toHaveLength(0);
  });

  it('create makes it with ACLs disabled, records it, then tags and configures it', async () => {
    s3.on(CreateBucketCommand).resolves({});
    unconfigured();
    acceptPuts();
    const ctx = context(aws, STEP);
    const a = await s3BucketKind.create(ctx, spec);
    expect(s3.commandCalls(CreateBucketCommand)[0]!.args[0].input).toEqual({ Bucket: NAME, ObjectOwnership: 'BucketOwnerEnforced', CreateBucketConfiguration: undefined });
    expect(ctx.recordId).toHaveBeenCalledWith(NAME, `arn:aws:s3:::${NAME}`);
    expect(s3.commandCalls(PutBucketEncryptionCommand)[0]!.args[0].input.ServerSideEncryptionConfiguration!.Rules![0]!.ApplyServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'AES256' });
    expect(JSON.parse(s3.commandCalls(PutBucketPolicyCommand)[0]!.args[0].input.Policy!)).toEqual(POLICY);
    expect(s3.commandCalls(PutBucketLifecycleConfigurationCommand)[0]!.args[0].input.LifecycleConfiguration!.Rules![0]).toMatchObject({ Expiration: { Days: 30 } });
    expect(a.blockPublicAccess).toBe(true);
  });

  it('outside us-east-1 it names the region', async () => {
    s3.on(CreateBucketCommand).resolves({});
    unconfigured();
    acceptPuts();
    await s3BucketKind.create(context(aws, STEP, { region: 'eu-west-1' }), { ...spec, name: 'b' });
    expect(s3.commandCalls(CreateBucketCommand)[0]!.args[0].input.CreateBucketConfiguration).toEqual({ LocationConstraint: 'eu-west-1' });
  });

  it('already ours (untagged: a create that stopped half way) is adopted; another stack\'s or another account\'s is refused', async () => {
    s3.on(CreateBucketCommand).rejects(awsError('BucketAlreadyOwnedByYou'));
    unconfigured();
    acceptPuts();
    const ctx = context(aws, STEP);
    await s3BucketKind.create(ctx, spec);
    expect(ctx.warn).toHaveBeenCalledWith(expect.stringContaining('adopted'));
    s3.on(GetBucketTaggingCommand).resolves({ TagSet: [{ Key: 'wpdeploy:stack', Value: 'other' }] });
    await expect(s3BucketKind.create(context(aws, STEP), spec)).rejects.toThrow(/not the one of step/);
    s3.on(CreateBucketCommand).rejects(awsError('BucketAlreadyExists'));
    await expect(s3BucketKind.create(context(aws, STEP), spec)).rejects.toThrow(/taken by another AWS account/);
  });

  it('delete empties every version and delete marker, empties again if logs arrived, then deletes', async () => {
    s3.on(ListObjectVersionsCommand)
      .resolvesOnce({ Versions: [{ Key: 'AWSLogs/a.log', VersionId: 'v1' }, { Key: 'AWSLogs/a.log', VersionId: 'v2' }], DeleteMarkers: [{ Key: 'AWSLogs/b.log', VersionId: 'm1' }] })
      .resolvesOnce({})
      .resolvesOnce({ Versions: [{ Key: 'AWSLogs/late.log', VersionId: 'null' }] })
      .resolves({});
    s3.on(DeleteObjectsCommand).resolves({});
    s3.on(DeleteBucketCommand).rejectsOnce(awsError('BucketNotEmpty')).resolves({});
    await s3BucketKind.delete(context(aws, STEP), BUCKET);
    const deleted = s3.commandCalls(DeleteObjectsCommand).flatMap((c) => c.args[0].input.Delete!.Objects!);
    expect(deleted).toEqual([
      { Key: 'AWSLogs/a.log', VersionId: 'v1' }, { Key: 'AWSLogs/a.log', VersionId: 'v2' }, { Key: 'AWSLogs/b.log', VersionId: 'm1' }, { Key: 'AWSLogs/late.log', VersionId: 'null' },
    ]);
    expect(s3.commandCalls(DeleteBucketCommand)).toHaveLength(2);
  });

  it('objects that cannot be deleted are reported with the way out', async () => {
    s3.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: 'x', VersionId: '1' }] });
    s3.on(DeleteObjectsCommand).resolves({ Errors: [{ Key: 'x', Code: 'AccessDenied', Message: 'Access Denied' }] });
    const err = await s3BucketKind.delete(context(aws, STEP), BUCKET).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    expect((err as WpdeployError).hint).toContain(`aws s3 rm s3://${NAME} --recursive`);
  });

  it('delete of a bucket already gone is success', async () => {
    s3.on(ListObjectVersionsCommand).rejects(awsError('NoSuchBucket'));
    await s3BucketKind.delete(context(aws, STEP), BUCKET);
  });
});
