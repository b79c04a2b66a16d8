/** A test file's strict proxy (test/support/aws-rules.ts), with vitest's hooks: apart, because the bench loads the rules without vitest. */
import { afterAll, beforeAll, expect } from 'vitest';
import { startStrictProxy, type RulesOptions } from './aws-rules.js';

export type StrictProxy = Awaited<ReturnType<typeof startStrictProxy>>;

/**
 * The strict proxy of a test file: started before its tests, closed after them, and then no rule may
 * have failed to look (each such call was refused, fail closed). Read it as `proxy()` inside the tests.
 */
export function strictProxyForFile(motoEndpoint: string, options: RulesOptions = {}): () => StrictProxy {
  let proxy: StrictProxy | undefined;
  beforeAll(async () => {
    proxy = await startStrictProxy(motoEndpoint, options);
  });
  afterAll(async () => {
    await proxy?.close();
    expect(proxy?.rules.lookupErrors).toEqual([]);
  });
  return () => {
    if (!proxy) throw new Error('strictProxyForFile: read inside a test, after beforeAll.');
    return proxy;
  };
}
