/**
 * Names each wire request after the operation of the AWS SDK's own service model, and says whether
 * that operation only reads. The tests' own view, independent of the product's classification
 * (src/aws/clients.ts): the operation must exist in the model of the service the request is signed
 * for, and a request no model operation matches is an error, never a guess.
 *
 * - JSON protocols name the operation in `X-Amz-Target`, query protocols in `Action=`;
 * - REST protocols (S3, Route 53, EFS) are matched against the `http` trait of each model
 *   operation (method and URI template, with the query keys it requires).
 *
 * Read-only: an operation whose name starts with Describe, List, Get or Head (the naming rule of the
 * AWS APIs for reads), sent with GET or HEAD when the protocol is REST, plus the few reads named
 * otherwise, listed in READS_NAMED_OTHERWISE with their documentation. Anything else counts as a
 * write, so a read wrongly counted is seen (a "no write" assertion fails), never a write missed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const load = createRequire(import.meta.url);

/**
 * Signing name (from the request's credential scope) -> the installed SDK client package whose
 * model it is, read from each package's SigV4 auth option (`signingProperties: { name: "..." }`).
 */
let packages: Map<string, string> | undefined;
function packageFor(service: string): string | undefined {
  if (!packages) {
    packages = new Map();
    const root = join(dirname(load.resolve('@aws-sdk/client-sts')), '..', '..');
    for (const dir of readdirSync(root).filter((d) => d.startsWith('client-'))) {
      const main = join(root, dir, 'dist-cjs', 'index.js');
      if (!existsSync(main)) continue;
      const m = /schemeId: "aws\.auth#sigv4",\s*signingProperties: \{\s*name: "([^"]+)"/.exec(readFileSync(main, 'utf8'));
      if (m) packages.set(m[1]!, `@aws-sdk/${dir}`);
    }
  }
  return packages.get(service);
}

/**
 * Reads whose names do not say so.
 * - logs FilterLogEvents "Lists log events from the specified log group"
 *   (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html).
 */
const READS_NAMED_OTHERWISE: Record<string, string[]> = { logs: ['FilterLogEvents'] };

interface ModelOperation {
  name: string;
  /** REST only: the method and the URI template of the `http` trait. */
  method?: string;
  path?: RegExp;
  /** REST only: query keys (with their value, when fixed) the template requires. */
  query: Array<[string, string | undefined]>;
  /** How specific the template is, to prefer `/?policy` over `/` (more literal characters, more query keys). */
  weight: number;
}

const models = new Map<string, ModelOperation[]>();

function modelOf(service: string): ModelOperation[] {
  const cached = models.get(service);
  if (cached) return cached;
  const pkg = packageFor(service);
  if (!pkg) throw new Error(`aws-operations: no installed @aws-sdk client signs for "${service}".`);
  const ops: ModelOperation[] = [];
  for (const [key, schema] of Object.entries(load(pkg) as Record<string, unknown>)) {
    // An operation schema: [9, namespace, name, traits, input, output].
    if (!key.endsWith('$') || !Array.isArray(schema) || schema[0] !== 9) continue;
    const name = schema[2] as string;
    const http = (schema[3] as { http?: [string, string, number] } | 0) || undefined;
    ops.push(http?.http ? restOperation(service, name, http.http[0], http.http[1]) : { name, query: [], weight: 0 });
  }
  models.set(service, ops);
  return ops;
}

function restOperation(service: string, name: string, method: string, uri: string): ModelOperation {
  const [rawPath = '/', rawQuery = ''] = uri.split('?');
  // S3 is sent path-style behind an endpoint override: the bucket is the first path segment.
  const template = service === 's3' ? `/{Bucket}${rawPath === '/' ? '' : rawPath}` : rawPath;
  const literal = template.replace(/\{[^}]+\}/g, '');
  const pattern = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? (part.endsWith('+}') ? '.+' : '[^/]+') : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  const query = rawQuery ? rawQuery.split('&').map((q) => q.split('=') as [string, string | undefined]) : [];
  return { name, method, path: new RegExp(`^${pattern}/?$`), query, weight: literal.length + 100 * query.length };
}

/**
 * Whether an operation (or the IAM action of the same name, `service` being its prefix) only reads,
 * by its name: Describe, List, Get or Head, or one of READS_NAMED_OTHERWISE.
 */
export function isReadName(service: string, name: string): boolean {
  return /^(Describe|List|Get|Head)/.test(name) || (READS_NAMED_OTHERWISE[service] ?? []).includes(name);
}

export interface NamedOperation {
  /** The operation's name in the SDK model (`CreateRoute`, `PutBucketPolicy`). */
  name: string;
  readOnly: boolean;
}

/** The model operation a request is, and whether it only reads. Throws for a request no operation of the model matches. */
export function nameOperation(service: string, method: string, url: string, target: string | undefined, body: string): NamedOperation {
  const ops = modelOf(service);
  const [path = '/', search = ''] = url.split('?');
  const named = target?.split('.').pop() ?? /(?:^|&)Action=([A-Za-z0-9]+)/.exec(body)?.[1] ?? /(?:^|&)Action=([A-Za-z0-9]+)/.exec(search)?.[1];
  let op: ModelOperation | undefined;
  if (named) {
    op = ops.find((o) => o.name === named);
  } else {
    const params = new URLSearchParams(search);
    const fits = ops.filter((o) => o.method === method && o.path?.test(path) && o.query.every(([k, v]) => params.has(k) && (v === undefined || params.get(k) === v)));
    op = fits.sort((a, b) => b.weight - a.weight)[0];
  }
  if (!op) throw new Error(`aws-operations: ${service} ${method} ${url} (${named ?? 'no operation name'}) matches no operation of ${packageFor(service)}'s model.`);
  const readName = isReadName(service, op.name);
  const readMethod = named !== undefined || method === 'GET' || method === 'HEAD';
  return { name: op.name, readOnly: readName && readMethod };
}
