/**
 * For the EC2 kinds' tests: a ResourceContext that type-checks as one (aws-sdk-client-mock answers
 * the calls), and `holding`, which makes EC2 hold given resources of one type for the describes of
 * src/resources/ec2-api.ts, so a test of `find` says what exists rather than which request gets
 * which answer.
 */
import type { Filter } from '@aws-sdk/client-ec2';
import { onTestFinished, vi, type Mock } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { fromTagList, stackTags } from '../../src/aws/tags.js';
import type { Ec2Type } from '../../src/resources/ec2-api.js';
import type { Actual, ResourceContext } from '../../src/resources/types.js';
import { awsError } from './data-context.js';

export type Ec2Ctx = ResourceContext & {
  recordId: Mock<(id: string, arn?: string) => Promise<void>>;
  warn: Mock<(message: string) => void>;
  progress: Mock<(message: string) => void>;
  duplicate: Mock<(actual: Actual) => void>;
};

/**
 * The context of step `step` of stack `blog`; `log` (when given) receives `recordId:<id>` as the
 * step records its id, for tests of what happens before and after. Waits run 100 times faster.
 */
/** What a test may set of the context besides the step (the mocks stay mocks). */
export type Ec2CtxOver = Partial<Omit<ResourceContext, 'recordId' | 'warn' | 'progress' | 'duplicate'>>;

export function ec2Context(aws: AwsClients, step: string, opts: { role?: string; token?: string; log?: string[] } = {}, over: Ec2CtxOver = {}): Ec2Ctx {
  return {
    aws,
    stack: 'blog',
    region: 'us-east-1',
    account: '123456789012',
    step,
    tags: stackTags({ stack: 'blog', step, role: opts.role ?? step }),
    clientToken: () => opts.token ?? `token-${step}`,
    recordId: vi.fn(async (id: string) => void opts.log?.push(`recordId:${id}`)),
    progress: vi.fn(),
    warn: vi.fn(),
    duplicate: vi.fn(),
    signal: new AbortController().signal,
    scale: 100, // a tenth of a second stands for ten: waits stay short, and their time bounds survive a busy machine
    purge: false,
    ...over,
  };
}

type Tagged = { Tags?: Array<{ Key?: string; Value?: string }> };

/**
 * EC2 as holding `items` of one type, for this test: the type's describe (src/resources/ec2-api.ts)
 * answers by ids (an id not held is EC2's `notFound` error, as for an unknown id) and by filters
 * (`tag:<key>`, or any other name through `field`; a filter it cannot judge fails the test, so none
 * is ignored). Returns the spy, whose calls are the queries.
 */
export function holding<T extends Tagged>(type: Ec2Type<T>, items: T[], notFound: string, field?: (t: T, filter: string) => string | undefined) {
  const matches = (t: T, f: Filter) => {
    const name = f.Name ?? '';
    if (!name.startsWith('tag:') && !field) throw new Error(`the fake ${type.noun}s cannot judge filter ${name}`);
    const have = name.startsWith('tag:') ? fromTagList(t.Tags)[name.slice(4)] : field!(t, name);
    return have !== undefined && (f.Values ?? []).includes(have);
  };
  const spy = vi.spyOn(type, 'page').mockImplementation(async (_ctx, q) => {
    if (q.ids) {
      const missing = q.ids.find((id) => !items.some((t) => type.idOf(t) === id));
      if (missing) throw awsError(notFound, 400, `The ${type.noun} ID '${missing}' does not exist`);
      return { items: items.filter((t) => q.ids!.includes(type.idOf(t))) };
    }
    return { items: items.filter((t) => (q.filters ?? []).every((f) => matches(t, f))) };
  });
  onTestFinished(() => spy.mockRestore());
  return spy;
}
