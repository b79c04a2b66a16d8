/**
 * For the EC2 kinds' tests: the typed ResourceContext of data-context.ts as they use it
 * (aws-sdk-client-mock answers the calls), and `holding`, which makes EC2 hold given resources of one type for the describes of
 * src/resources/ec2-api.ts, so a test of `find` says what exists rather than which request gets
 * which answer.
 */
import type { Filter } from '@aws-sdk/client-ec2';
import { onTestFinished, vi } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { fromTagList } from '../../src/aws/tags.js';
import type { Ec2Type } from '../../src/resources/ec2-api.js';
import type { ResourceContext } from '../../src/resources/types.js';
import { awsError, context, type Ctx } from './data-context.js';

/** What a test may set of the context besides the step (the mocks stay mocks). */
export type Ec2CtxOver = Partial<Omit<ResourceContext, 'recordId' | 'warn' | 'progress' | 'duplicate'>>;

/**
 * The context of step `step` of stack `blog` (data-context.ts), with `token-<step>` as its client
 * token unless `token` says otherwise; `log` (when given) receives `recordId:<id>` as the step
 * records its id, for tests of what happens before and after.
 */
export function ec2Context(aws: AwsClients, step: string, opts: { role?: string; token?: string; log?: string[] } = {}, over: Ec2CtxOver = {}): Ctx {
  const token = opts.token ?? `token-${step}`;
  const ctx = context(aws, step, opts.role ?? step, { clientToken: () => token, ...over });
  ctx.recordId.mockImplementation(async (id) => void opts.log?.push(`recordId:${id}`));
  return ctx;
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
