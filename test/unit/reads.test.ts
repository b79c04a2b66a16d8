/** Every page of a listing (paged), a read with not-found as undefined (orAbsent) and the one tag update (addMissingTags). */
import { describe, expect, it, vi } from 'vitest';
import { orAbsent } from '../../src/aws/idempotent.js';
import { paged } from '../../src/aws/reads.js';
import { addMissingTags } from '../../src/aws/tags.js';

const error = (name: string) => Object.assign(new Error(name), { name });

describe('paged', () => {
  it('asks for every page with the token the previous one gave, in order', async () => {
    const pages: Record<string, { Items: number[]; Next?: string }> = { first: { Items: [1, 2], Next: 't2' }, t2: { Items: [], Next: 't3' }, t3: { Items: [3] } };
    const call = vi.fn(async (token?: string) => pages[token ?? 'first']!);
    expect(await paged(call, (r) => [r.Items, r.Next])).toEqual([1, 2, 3]);
    expect(call.mock.calls.map((c) => c[0])).toEqual([undefined, 't2', 't3']);
  });

  it('an empty token ends the listing, as some services answer on the last page', async () => {
    const call = vi.fn(async () => ({ Items: [1], Next: '' }));
    expect(await paged(call, (r) => [r.Items, r.Next])).toEqual([1]);
    expect(call).toHaveBeenCalledTimes(1);
  });
});

describe('orAbsent', () => {
  it('not found is undefined; any other error stands', async () => {
    expect(await orAbsent(async () => { throw error('LoadBalancerNotFoundException'); })).toBeUndefined();
    await expect(orAbsent(async () => { throw error('AccessDenied'); })).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(await orAbsent(async () => 'there')).toBe('there');
  });

  it('takes what "missing" means for the call', async () => {
    const missing = (err: unknown) => (err as Error).name === 'NoSuchTagSet';
    expect(await orAbsent(async () => { throw error('NoSuchTagSet'); }, missing)).toBeUndefined();
    await expect(orAbsent(async () => { throw error('NoSuchBucket'); }, missing)).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });
});

describe('addMissingTags', () => {
  it('sets only what is missing or differs, in one call, and leaves tags set by others', async () => {
    const put = vi.fn(async () => {});
    const tags = await addMissingTags({ a: '1', b: '2', c: '3' }, { a: '1', b: 'old', owner: 'ops' }, put);
    expect(put).toHaveBeenCalledExactlyOnceWith([{ Key: 'b', Value: '2' }, { Key: 'c', Value: '3' }]);
    expect(tags).toEqual({ a: '1', b: '2', c: '3', owner: 'ops' });
  });

  it('makes no call when nothing differs', async () => {
    const put = vi.fn(async () => {});
    expect(await addMissingTags({ a: '1' }, { a: '1', owner: 'ops' }, put)).toEqual({ a: '1', owner: 'ops' });
    expect(put).not.toHaveBeenCalled();
  });
});
