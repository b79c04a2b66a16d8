/** A ResourceContext for the data tier's per-kind tests (aws-sdk-client-mock answers the calls). */
import { vi, type Mock } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { stackTags } from '../../src/aws/tags.js';
import type { ResourceContext } from '../../src/resources/types.js';

export type Ctx = ResourceContext & {
  recordId: Mock<ResourceContext['recordId']>;
  warn: Mock<ResourceContext['warn']>;
  progress: Mock<ResourceContext['progress']>;
  duplicate: Mock<ResourceContext['duplicate']>;
  /** Every warning and progress message, for searching secret values in them. */
  messages: string[];
};

export const STACK = 'blog';
export const ACCOUNT = '123456789012';
export const TOKEN = '0123456789abcdef0123456789abcdef';

/** Shaped like an AWS SDK v3 service exception. */
export function awsError(name: string, httpStatusCode = 400, message = `${name}: from the mock`): Error {
  return Object.assign(new Error(message), { name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode } });
}

export const tagsOf = (step: string, role = step) => stackTags({ stack: STACK, step, role });

/** `over` sets the context's plain fields; the mocked callbacks stay mocks, for the tests to read. */
export function context(aws: AwsClients, step: string, role = step, over: Partial<Omit<ResourceContext, 'recordId' | 'warn' | 'progress' | 'duplicate'>> = {}): Ctx {
  const messages: string[] = [];
  return {
    aws,
    stack: STACK,
    region: 'us-east-1',
    account: ACCOUNT,
    step,
    tags: tagsOf(step, role),
    clientToken: () => TOKEN,
    recordId: vi.fn<ResourceContext['recordId']>(async () => {}),
    progress: vi.fn<ResourceContext['progress']>((m) => void messages.push(m)),
    warn: vi.fn<ResourceContext['warn']>((m) => void messages.push(m)),
    duplicate: vi.fn<ResourceContext['duplicate']>(),
    signal: new AbortController().signal,
    scale: 100, // a tenth of a second stands for ten: waits stay short, and their time bounds survive a busy machine
    purge: false,
    messages,
    ...over,
  };
}

export const newClients = () => new AwsClients({ region: 'us-east-1', local: true, maxAttempts: 1 });
