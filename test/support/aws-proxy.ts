/**
 * A recording proxy between the CLI and the emulator. It names every AWS call (service and
 * operation), classifies it as read or mutating, and lets a test answer a call itself (to enforce an
 * ordering rule AWS has and the emulator lacks, or to inject a fault) instead of forwarding it.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accountShim, type AccountShim } from './account-shim.js';
import { ecsShim } from './ecs-shim.js';
import { rdsShim } from './rds-shim.js';

export interface AwsCall {
  service: string;
  /** From the request's credential scope. */
  region: string;
  operation: string;
  mutating: boolean;
  /** The raw request body (query-protocol parameters, JSON, XML). */
  body: string;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The answer the CLI got (the emulator's, or the one a test gave), once it is sent. */
  response?: Reply;
}

export interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

export type Interceptor = (call: AwsCall) => Reply | undefined | Promise<Reply | undefined>;
/** Sees the emulator's answer to a forwarded call, and may send another instead (a lost response, say). */
export type Rewriter = (call: AwsCall, upstream: Reply) => Reply | undefined | Promise<Reply | undefined>;

export interface AwsProxy {
  url: string;
  calls: AwsCall[];
  mutating(): AwsCall[];
  reads(): AwsCall[];
  reset(): void;
  /** The account's quotas and RDS catalog, which moto lacks (account-shim.ts): a test may set its own quotas. */
  account: AccountShim;
  intercept(fn: Interceptor | undefined): void;
  rewrite(fn: Rewriter | undefined): void;
  close(): Promise<void>;
}

const READ = /^(Describe|List|Get|Head|Lookup|Search|Select|Filter|Batch[GD]et|Check|Validate)/;

export function classify(method: string, path: string, headers: IncomingHttpHeaders, body: string): Omit<AwsCall, 'body' | 'method' | 'path' | 'headers'> {
  const auth = String(headers.authorization ?? '');
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? 'unknown';
  const region = /Credential=[^/]+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? 'us-east-1';
  const target = headers['x-amz-target'];
  let operation: string | undefined;
  if (typeof target === 'string') operation = target.split('.').pop();
  if (!operation) {
    const action = /(?:^|&)Action=([A-Za-z0-9]+)/.exec(body)?.[1] ?? /[?&]Action=([A-Za-z0-9]+)/.exec(path)?.[1];
    if (action) operation = action;
  }
  if (operation) return { service, region, operation, mutating: !READ.test(operation) };
  // REST protocols (S3, Route 53, EFS, ...): the method says it.
  return { service, region, operation: `${method} ${path.split('?')[0]}`, mutating: !['GET', 'HEAD'].includes(method) };
}

export async function startProxy(target: string): Promise<AwsProxy> {
  const calls: AwsCall[] = [];
  let interceptor: Interceptor | undefined;
  let rewriter: Rewriter | undefined;
  const upstream = new URL(target);
  // moto drops some ECS service settings: the shim answers as AWS would (see ecs-shim.ts).
  const shim = ecsShim(target);
  // moto lacks DescribeDBMajorEngineVersions and EngineLifecycleSupport: answered as AWS would (rds-shim.ts).
  const rds = rdsShim(target);
  // moto has no Service Quotas (but the vpc defaults) and no MySQL catalog: the account shim answers as AWS would.
  const account = accountShim();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks);
      const body = raw.toString('utf8');
      const call: AwsCall = { ...classify(req.method ?? 'GET', req.url ?? '/', req.headers, body), body, method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers };
      calls.push(call);
      try {
        const reply = (await shim(call)) ?? account(call) ?? (interceptor ? await interceptor(call) : undefined) ?? (await rds(call));
        if (reply) {
          call.response = reply;
          res.writeHead(reply.status, { 'content-type': 'text/xml', ...reply.headers });
          res.end(reply.body);
          return;
        }
      } catch (err) {
        res.writeHead(500);
        res.end(String(err));
        return;
      }
      const fwd = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (up) => {
          if (!rewriter) {
            res.writeHead(up.statusCode ?? 502, up.headers);
            const seen: Buffer[] = [];
            up.on('data', (c: Buffer) => seen.push(c));
            up.on('end', () => void (call.response = { status: up.statusCode ?? 502, body: Buffer.concat(seen).toString('utf8') }));
            up.pipe(res);
            return;
          }
          const parts: Buffer[] = [];
          up.on('data', (c: Buffer) => parts.push(c));
          up.on('end', async () => {
            const upstream: Reply = { status: up.statusCode ?? 502, body: Buffer.concat(parts).toString('utf8'), headers: up.headers as Record<string, string> };
            const replaced = await rewriter?.(call, upstream);
            const out = replaced ?? upstream;
            call.response = out;
            const headers = { ...(replaced ? { 'content-type': 'text/xml' } : upstream.headers), ...replaced?.headers };
            delete (headers as Record<string, unknown>)['content-length'];
            delete (headers as Record<string, unknown>)['transfer-encoding'];
            res.writeHead(out.status, headers);
            res.end(out.body);
          });
        },
      );
      fwd.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      fwd.end(raw);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    mutating: () => calls.filter((c) => c.mutating),
    reads: () => calls.filter((c) => !c.mutating),
    reset: () => void calls.splice(0),
    account,
    intercept: (fn) => void (interceptor = fn),
    rewrite: (fn) => void (rewriter = fn),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
