/** A ResourceContext for the data tier's per-kind tests (aws-sdk-client-mock answers the calls). */
import { vi } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { stackTags } from '../../src/aws/tags.js';
import type { ResourceContext } from '../../src/resources/types.js';

export type Ctx = ResourceContext & {
  recordId: ReturnType<typeof vi.fn>;
  warn: ReturnType<typeof vi.fn>;
  progress: ReturnType<typeof vi.fn>;
  duplicate: ReturnType<typeof vi.fn>;
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

export function context(aws: AwsClients, step: string, role = step, over: Partial<ResourceContext> = {}): Ctx {
  const messages: string[] = [];
  return {
    aws,
    stack: STACK,
    region: 'us-east-1',
    account: ACCOUNT,
    step,
    tags: tagsOf(step, role),
    clientToken: () => TOKEN,
    recordId: vi.fn(async () => {}),
    progress: vi.fn((m: string) => void messages.push(m)),
    warn: vi.fn((m: string) => void messages.push(m)),
    duplicate: vi.fn(),
    signal: new AbortController().signal,
    scale: 100, // a tenth of a second stands for ten: waits stay short, and their time bounds survive a busy machine
    purge: false,
    messages,
    ...over,
  } as never;
}

export const newClients = () => new AwsClients({ region: 'us-east-1', local: true, maxAttempts: 1 });
