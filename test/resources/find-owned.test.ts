/** Finding the step's resource among what a wider listing returned (log groups, IAM roles, certificates). */
import { afterEach, describe, expect, it } from 'vitest';
import type { TagMap } from '../../src/aws/tags.js';
import { firstOwned, ownedAmong } from '../../src/resources/find-owned.js';
import { awsError, context, newClients, tagsOf } from './app-context.js';

const aws = newClients();
afterEach(() => aws.destroy());

const TAGS: Record<string, TagMap | Error> = {
  mine: tagsOf('app-logs'),
  'other-step': tagsOf('vpc-flow-logs'),
  gone: awsError('ResourceNotFoundException'),
  untagged: {},
};
const tagsOfItem = async (name: string) => {
  const t = TAGS[name]!;
  if (t instanceof Error) throw t;
  return t;
};

describe('ownedAmong', () => {
  it('keeps what carries this stack\'s and step\'s tags; one deleted since the listing is passed over', async () => {
    const mine = await ownedAmong(context(aws, 'app-logs'), ['other-step', 'gone', 'mine', 'untagged'], tagsOfItem);
    expect(mine).toEqual([{ item: 'mine', tags: tagsOf('app-logs') }]);
  });

  it('any other error of a tag read stands', async () => {
    TAGS.denied = awsError('AccessDeniedException');
    await expect(ownedAmong(context(aws, 'app-logs'), ['mine', 'denied'], tagsOfItem)).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('firstOwned', () => {
  it('several: the first, and a warning naming them all', () => {
    const ctx = context(aws, 'app-logs');
    expect(firstOwned(ctx, 'log groups', ['/a', '/b'], (x) => x)).toBe('/a');
    expect(ctx.warn).toHaveBeenCalledExactlyOnceWith('2 log groups carry the tags of step app-logs: /a, /b; using /a.');
  });

  it('one: no warning; none: undefined', () => {
    const ctx = context(aws, 'app-logs');
    expect(firstOwned(ctx, 'log groups', ['/a'], (x) => x)).toBe('/a');
    expect(firstOwned(ctx, 'log groups', [], (x: string) => x)).toBeUndefined();
    expect(ctx.warn).not.toHaveBeenCalled();
  });
});
