/** A ResourceContext for the app tier's per-kind tests (aws-sdk-client-mock answers the calls). */
import { vi, type Mock } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { stackTags } from '../../src/aws/tags.js';
import type { ResourceContext } from '../../src/resources/types.js';

export type Ctx = ResourceContext & {
  recordId: Mock<ResourceContext['recordId']>;
  warn: Mock<ResourceContext['warn']>;
  progress: Mock<ResourceContext['progress']>;
  duplicate: Mock<ResourceContext['duplicate']>;
};

export const STACK = 'blog';
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const TOKEN = '0123456789abcdef0123456789abcdef';

/** Shaped like an AWS SDK v3 service exception. */
export function awsError(name: string, message = `${name}: from the mock`, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode } });
}

export const tagsOf = (step: string, role = step) => stackTags({ stack: STACK, step, role });

/** `scale` 1000: waits and back-offs take milliseconds (a 60 s bound is 60 ms). */
export function context(aws: AwsClients, step: string, over: Partial<Ctx> = {}): Ctx {
  return {
    aws,
    stack: STACK,
    region: REGION,
    account: ACCOUNT,
    step,
    tags: tagsOf(step),
    clientToken: () => TOKEN,
    recordId: vi.fn<ResourceContext['recordId']>(async () => {}),
    progress: vi.fn<ResourceContext['progress']>(),
    warn: vi.fn<ResourceContext['warn']>(),
    duplicate: vi.fn<ResourceContext['duplicate']>(),
    signal: new AbortController().signal,
    scale: 100, // a tenth of a second stands for ten: waits stay short, and their time bounds survive a busy machine
    purge: false,
    ...over,
  };
}

export const newClients = (endpoint?: string) => new AwsClients({ region: REGION, local: true, maxAttempts: 1, endpoint });
