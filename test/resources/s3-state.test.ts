/**
 * The S3 state backend's calls, as AWS would see them: conditional writes on the ETag, the lock created
 * with If-None-Match, encryption on every write when the bucket has no default, and the bucket checks.
 */
import {
  DeleteObjectCommand, GetBucketEncryptionCommand, GetBucketVersioningCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { S3StateBackend } from '../../src/aws/s3-state.js';
import { StaleStateError } from '../../src/engine/state.js';
import { WpdeployError } from '../../src/errors.js';
import { awsError } from './data-context.js';

const s3 = mockClient(S3Client);
const backend = () => new S3StateBackend(new AwsClients({ region: 'us-east-1', local: true }), { bucket: 'team-state', prefix: 'wp' }, 'blog');
/** A response body as the SDK hands it over (only what the backend uses). */
const body = (text: string) => ({ transformToString: async () => text });

beforeEach(() => {
  s3.reset();
  s3.on(GetBucketVersioningCommand).resolves({ Status: 'Enabled' });
  s3.on(GetBucketEncryptionCommand).resolves({ ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } });
});

describe('S3StateBackend', () => {
  it('keeps the state at PREFIX/<stack>.json and the lock at PREFIX/<stack>.lock', () => {
    const b = backend();
    expect(b.location).toBe('s3://team-state/wp/blog.json');
    expect(b.lockLocation).toBe('s3://team-state/wp/blog.lock');
  });

  it('writes the first state only if none exists, then only over the ETag it last saw', async () => {
    const b = backend();
    await b.prepare();
    s3.on(PutObjectCommand).resolvesOnce({ ETag: '"v1"' }).resolvesOnce({ ETag: '"v2"' });
    expect(await b.write('{}', null)).toBe('"v1"');
    expect(await b.write('{"a":1}', '"v1"')).toBe('"v2"');
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts[0]).toMatchObject({ Bucket: 'team-state', Key: 'wp/blog.json', IfNoneMatch: '*' });
    expect(puts[0]!.IfMatch).toBeUndefined();
    expect(puts[1]).toMatchObject({ Key: 'wp/blog.json', IfMatch: '"v1"' });
    // The bucket encrypts by default: no per-object header needed.
    expect(puts[1]!.ServerSideEncryption).toBeUndefined();
  });

  it('turns PreconditionFailed into a stale-state refusal', async () => {
    const b = backend();
    s3.on(PutObjectCommand).rejects(awsError('PreconditionFailed', 412));
    await expect(b.write('{}', '"old"')).rejects.toBeInstanceOf(StaleStateError);
  });

  it('asks for SSE-S3 on every write when the bucket has no default encryption', async () => {
    s3.on(GetBucketEncryptionCommand).rejects(awsError('ServerSideEncryptionConfigurationNotFoundError', 404));
    const b = backend();
    await b.prepare();
    s3.on(PutObjectCommand).resolves({ ETag: '"v1"' });
    await b.write('{}', null);
    await b.createLock('{}');
    for (const c of s3.commandCalls(PutObjectCommand)) expect(c.args[0].input.ServerSideEncryption).toBe('AES256');
  });

  it('warns when versioning is off, and refuses a missing bucket with how to create it (exit 2)', async () => {
    s3.on(GetBucketVersioningCommand).resolves({});
    expect((await backend().prepare()).join(' ')).toMatch(/versioning off.*put-bucket-versioning --bucket team-state/);
    s3.on(GetBucketVersioningCommand).rejects(awsError('NoSuchBucket', 404));
    const err = await backend().prepare().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    expect((err as WpdeployError).exitCode).toBe(2);
    expect((err as WpdeployError).hint).toContain('aws s3api create-bucket --bucket team-state');
  });

  it('creates the lock with If-None-Match: *, and reports an existing one as not created', async () => {
    const b = backend();
    s3.on(PutObjectCommand).resolvesOnce({ ETag: '"l1"' }).rejectsOnce(awsError('PreconditionFailed', 412));
    expect(await b.createLock('{"id":"a"}')).toEqual({ created: true, version: '"l1"' });
    expect(await b.createLock('{"id":"b"}')).toEqual({ created: false });
    for (const c of s3.commandCalls(PutObjectCommand)) expect(c.args[0].input).toMatchObject({ Key: 'wp/blog.lock', IfNoneMatch: '*' });
  });

  it('reads a missing state as none, and a present one with its ETag', async () => {
    const b = backend();
    s3.on(GetObjectCommand).rejectsOnce(awsError('NoSuchKey', 404)).resolvesOnce({ Body: body('{"x":1}') as never, ETag: '"e1"' });
    expect(await b.read()).toBeUndefined();
    expect(await b.read()).toEqual({ text: '{"x":1}', version: '"e1"' });
  });

  it('removes the state only when it is still the version this run wrote', async () => {
    const b = backend();
    s3.on(HeadObjectCommand).resolvesOnce({ ETag: '"other"' }).resolvesOnce({ ETag: '"mine"' });
    s3.on(DeleteObjectCommand).resolves({});
    await expect(b.remove('"mine"')).rejects.toBeInstanceOf(StaleStateError);
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
    await b.remove('"mine"');
    expect(s3.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toMatchObject({ Key: 'wp/blog.json', IfMatch: '"mine"' });
  });
});
