/**
 * Every write the source makes whose API takes an idempotency token sends one, so that AWS answers a
 * retried call like the first one instead of doing it twice. The members are read from the SDK's
 * service models: a member with the idempotencyToken trait, or named as AWS names these tokens
 * (ClientToken, CreationToken, clientToken, IdempotencyToken, ClientRequestToken, CallerReference).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const load = createRequire(import.meta.url);
const DIRS = ['../../src/resources/', '../../src/aws/'].map((d) => new URL(d, import.meta.url).pathname);
/** The namespaces of src/aws/sdk.ts (`EC2`, `RDS`, ...) and their packages, as that file declares them. */
const NAMESPACES = Object.fromEntries([...readFileSync(new URL('../../src/aws/sdk.ts', import.meta.url), 'utf8')
  .matchAll(/export const (\w+) = lazy<[^>]*>\('(@aws-sdk\/[^']+)'\)/g)].map((m) => [m[1]!, m[2]!]));
/** Token members the source leaves out on purpose, with the reason. */
const NOT_NEEDED: Record<string, string> = {
  // Changes the description only: no new secret version, so nothing a retry could make twice.
  'SecretsManager.UpdateSecret': 'no SecretString or SecretBinary is sent',
};

/** The idempotency-token members of an operation's input, from the SDK model. */
function tokenMembers(pkg: string, op: string): string[] {
  const schema = (load(pkg) as Record<string, unknown>)[`${op}$`] as unknown[] | undefined;
  if (!schema) return [];
  const input = (schema[4] as () => unknown[])();
  const names = (input[4] ?? []) as string[];
  const traits = (input[5] ?? []) as unknown[];
  return names.filter((n, i) => /^(ClientToken|CreationToken|clientToken|IdempotencyToken|ClientRequestToken|CallerReference)$/.test(n)
    || (Array.isArray(traits[i]) && traits[i][1] === 4));
}

/** The text from `start` to the bracket that closes the one opened just before it. */
function balanced(text: string, start: number, open: string, close: string): string {
  let depth = 1;
  let i = start;
  for (; i < text.length && depth > 0; i++) depth += text[i] === open ? 1 : text[i] === close ? -1 : 0;
  return text.slice(start, i - 1);
}

/** Each `new NS.OpCommand({ ... })` of the source, with the text of its argument. */
function commands(): Array<{ file: string; ns: string; op: string; arg: string }> {
  const out: Array<{ file: string; ns: string; op: string; arg: string }> = [];
  for (const file of DIRS.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.ts')).map((f) => join(d, f)))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/new (\w+)\.(\w+)Command\(/g)) {
      let arg = balanced(text, m.index! + m[0].length, '(', ')');
      // An input built beforehand (`new EC2.CreateFlowLogsCommand(input)`): its declaration.
      const named = /^\s*(\w+)\s*$/.exec(arg)?.[1];
      const decl = named ? text.lastIndexOf(`const ${named} = {`, m.index) : -1;
      if (decl >= 0) arg = balanced(text, text.indexOf('{', decl) + 1, '{', '}');
      out.push({ file, ns: m[1]!, op: m[2]!, arg });
    }
  }
  return out;
}

describe('idempotency tokens', () => {
  it('every write whose API takes a token sends it', () => {
    const missing: string[] = [];
    let withToken = 0;
    for (const c of commands()) {
      const pkg = NAMESPACES[c.ns];
      expect(pkg, `${c.file}: namespace ${c.ns}`).toBeDefined();
      if (/^(Describe|List|Get|Head)/.test(c.op)) continue; // reads: a token there is a filter
      const members = tokenMembers(pkg!, c.op);
      if (!members.length || NOT_NEEDED[`${c.ns}.${c.op}`]) continue;
      withToken++;
      if (!members.some((m) => new RegExp(`\\b${m}\\b`).test(c.arg))) missing.push(`${c.file}: ${c.ns}.${c.op} takes ${members.join('/')}`);
    }
    expect(missing).toEqual([]);
    // the ones wpdeploy calls today: NAT gateway, route table, network ACL, flow logs, EFS file system
    // and access point, ECS service, secret (create and value), certificate
    expect(withToken).toBeGreaterThanOrEqual(10);
  });
});
