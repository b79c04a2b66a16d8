/**
 * State in S3, for teams and CI: `s3://bucket/prefix/<stack>.json` and `<stack>.lock`, with nothing but
 * what AWS provides (no DynamoDB table, no server). The state is written with a conditional write on
 * the ETag this run last saw (`If-Match`), or `If-None-Match: *` when there was none, so a stale writer
 * fails instead of overwriting; the lock is created with `If-None-Match: *`, so exactly one run gets it.
 * Every object is encrypted at rest (the bucket's default encryption, else SSE-S3 on each write).
 * Bucket versioning is recommended: every write of the state can then be recovered.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { StateLocation } from '../config/state-location.js';
import { WpdeployError, errorMessage } from '../errors.js';
import { StaleStateError, type StateBackend, type StoredObject } from '../engine/state.js';
import type { AwsClients } from './clients.js';
import { S3 } from './sdk.js';
import { isAccessDenied, isNotConfigured, isObjectMissing, isPreconditionFailed } from './errors.js';

/** Where in S3: the bucket and the key prefix (config/state-location.ts parses it). */
export type S3Location = Pick<Extract<StateLocation, { kind: 's3' }>, 'bucket' | 'prefix'>;

/** The condition of a write: no object there yet (`IfNoneMatch: '*'`), the object at this ETag, or none. */
type WriteCondition = { IfNoneMatch: '*' } | { IfMatch: string } | Record<string, never>;

export class S3StateBackend implements StateBackend {
  readonly remote = true;
  readonly location: string;
  readonly lockLocation: string;
  private readonly stateKey: string;
  private readonly lockKey: string;
  private readonly s3: S3Client;
  /** Sent with each write when the bucket has no default encryption. */
  private sse: 'AES256' | undefined;

  constructor(aws: AwsClients, readonly where: S3Location, stack: string) {
    const base = where.prefix ? `${where.prefix}/` : '';
    this.stateKey = `${base}${stack}.json`;
    this.lockKey = `${base}${stack}.lock`;
    this.location = `s3://${where.bucket}/${this.stateKey}`;
    this.lockLocation = `s3://${where.bucket}/${this.lockKey}`;
    // Its own client: state calls are not the stack's AWS calls, and the bucket may be in another region.
    this.s3 = new S3.S3Client({ ...aws.clientConfig(), followRegionRedirects: true });
  }

  /**
   * Checks the bucket before any use: it exists and is reachable (else a clear error), its objects are
   * encrypted, and versioning is on (a warning when off). Returns the warnings.
   */
  async prepare(): Promise<string[]> {
    const { bucket } = this.where;
    const warnings: string[] = [];
    try {
      const v = await this.s3.send(new S3.GetBucketVersioningCommand({ Bucket: bucket }));
      if (v.Status !== 'Enabled') {
        warnings.push(`state bucket ${bucket} has versioning ${v.Status === 'Suspended' ? 'suspended' : 'off'}: turn it on (aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled) so every earlier state can be recovered.`);
      }
    } catch (err) {
      if (isObjectMissing(err)) {
        throw new WpdeployError(`the state bucket ${bucket} does not exist.`, {
          hint: `Create it once, with versioning and encryption: aws s3api create-bucket --bucket ${bucket} (add --create-bucket-configuration LocationConstraint=REGION outside us-east-1), then aws s3api put-bucket-versioning --bucket ${bucket} --versioning-configuration Status=Enabled. docs/configuration.md ("Remote state") in wpdeploy has the steps.`,
          exitCode: 2,
        });
      }
      if (isAccessDenied(err)) {
        throw new WpdeployError(`access to the state bucket ${bucket} was denied: ${errorMessage(err)}`, {
          hint: `The credentials need s3:GetBucketVersioning, s3:GetEncryptionConfiguration and s3:ListBucket on arn:aws:s3:::${bucket}, and s3:GetObject, s3:PutObject, s3:DeleteObject on arn:aws:s3:::${bucket}/${this.where.prefix ? `${this.where.prefix}/` : ''}*. examples/iam/wpdeploy-state-policy.json in wpdeploy is such a policy.`,
          exitCode: 2,
        });
      }
      throw err;
    }
    try {
      const e = await this.s3.send(new S3.GetBucketEncryptionCommand({ Bucket: bucket }));
      this.sse = e.ServerSideEncryptionConfiguration?.Rules?.length ? undefined : 'AES256';
    } catch (err) {
      if (!isNotConfigured(err)) throw err;
      this.sse = 'AES256'; // no default encryption: every write asks for SSE-S3 itself
    }
    return warnings;
  }

  async read(): Promise<StoredObject | undefined> {
    return this.get(this.stateKey);
  }

  async write(text: string, expected: string | null): Promise<string | undefined> {
    try {
      return await this.put(this.stateKey, text, expected === null ? { IfNoneMatch: '*' } : expected ? { IfMatch: expected } : {});
    } catch (err) {
      if (isPreconditionFailed(err)) throw new StaleStateError(this.location);
      throw err;
    }
  }

  async remove(expected: string | undefined): Promise<void> {
    try {
      if (expected) {
        const head = await this.s3.send(new S3.HeadObjectCommand({ Bucket: this.where.bucket, Key: this.stateKey }));
        if (head.ETag !== expected) throw new StaleStateError(this.location);
      }
      await this.s3.send(new S3.DeleteObjectCommand({ Bucket: this.where.bucket, Key: this.stateKey, ...(expected ? { IfMatch: expected } : {}) }));
    } catch (err) {
      if (err instanceof StaleStateError) throw err;
      if (isObjectMissing(err)) return;
      if (isPreconditionFailed(err)) throw new StaleStateError(this.location);
      throw err;
    }
  }

  async createLock(text: string): Promise<{ created: boolean; version?: string }> {
    try {
      return { created: true, version: await this.put(this.lockKey, text, { IfNoneMatch: '*' }) };
    } catch (err) {
      if (isPreconditionFailed(err)) return { created: false };
      throw err;
    }
  }

  async readLock(): Promise<StoredObject | undefined> {
    return this.get(this.lockKey);
  }

  async replaceLock(text: string, expected: string | undefined): Promise<string | undefined> {
    try {
      return await this.put(this.lockKey, text, expected ? { IfMatch: expected } : { IfNoneMatch: '*' });
    } catch (err) {
      if (isPreconditionFailed(err) || isObjectMissing(err)) throw new StaleStateError(this.lockLocation);
      throw err;
    }
  }

  async deleteLock(): Promise<void> {
    await this.s3.send(new S3.DeleteObjectCommand({ Bucket: this.where.bucket, Key: this.lockKey }));
  }

  /**
   * The `<stack>.json` keys right under the prefix. ListObjectsV2 needs s3:ListBucket on the bucket
   * (https://docs.aws.amazon.com/sdkfornet/v3/apidocs/items/S3/TListObjectsV2Request.html).
   */
  async listStacks(): Promise<string[]> {
    const base = this.where.prefix ? `${this.where.prefix}/` : '';
    const out: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const r = await this.s3.send(new S3.ListObjectsV2Command({ Bucket: this.where.bucket, Prefix: base, Delimiter: '/', ContinuationToken }));
      for (const object of r.Contents ?? []) if (object.Key?.endsWith('.json')) out.push(object.Key.slice(base.length, -'.json'.length));
      ContinuationToken = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return out.sort();
  }

  destroy(): void {
    this.s3.destroy();
  }

  /** Writes a JSON object on its condition (encrypted with SSE-S3 when the bucket has no default); returns its ETag. */
  private async put(key: string, text: string, condition: WriteCondition): Promise<string | undefined> {
    const r = await this.s3.send(new S3.PutObjectCommand({
      Bucket: this.where.bucket, Key: key, Body: text, ContentType: 'application/json', ServerSideEncryption: this.sse, ...condition,
    }));
    return r.ETag;
  }

  private async get(key: string): Promise<StoredObject | undefined> {
    try {
      const r = await this.s3.send(new S3.GetObjectCommand({ Bucket: this.where.bucket, Key: key }));
      return { text: (await r.Body?.transformToString('utf8')) ?? '', version: r.ETag };
    } catch (err) {
      if (isObjectMissing(err)) return undefined;
      throw err;
    }
  }
}
