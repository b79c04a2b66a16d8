/**
 * A recording proxy between the CLI and the emulator. It names every AWS call (service and
 * operation), classifies it as read or mutating from the SDK's service models (aws-operations.ts),
 * and lets a test answer a call itself (to enforce an ordering rule AWS has and the emulator lacks,
 * or to inject a fault) instead of forwarding it, or replace the emulator's answer (a lost answer).
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { accountShim, type AccountShim } from './account-shim.js';
import { nameOperation } from './aws-operations.js';
import { clientTokens } from './client-tokens.js';
import { ecsShim, type EcsShim } from './ecs-shim.js';
import { motoGaps } from './moto-gaps.js';
import { rdsShim } from './rds-shim.js';

export interface AwsCall {
  service: string;
  /** From the request's credential scope. */
  region: string;
  /** The action or JSON target; for REST protocols `METHOD /path` (see `api` for the model's name). */
  operation: string;
  /** The operation's name in the SDK's service model, for every protocol. */
  api: string;
  /** Not a read-only operation of the model (aws-operations.ts), whatever the product thinks. */
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
/** Instead of an answer: the connection is reset (the client sees ECONNRESET, as after a network fault). */
export const RESET = Symbol('connection reset');

export type Interceptor = (call: AwsCall) => Reply | undefined | Promise<Reply | undefined>;
/** Sees the emulator's answer to a forwarded call, and may send another instead (a lost response, say). */
export type Rewriter = (call: AwsCall, upstream: Reply) => Reply | typeof RESET | undefined | Promise<Reply | typeof RESET | undefined>;

export interface AwsProxy {
  url: string;
  calls: AwsCall[];
  /** Requests that matched no operation of the SDK models (each was answered with a 400). */
  unknown: string[];
  mutating(): AwsCall[];
  reads(): AwsCall[];
  reset(): void;
  /** The account's quotas and RDS catalog, which moto lacks (account-shim.ts): a test may set its own quotas. */
  account: AccountShim;
  /** The ECS shim (ecs-shim.ts): a test may make rollouts fail as the circuit breaker fails them. */
  ecs: EcsShim;
  intercept(fn: Interceptor | undefined): void;
  rewrite(fn: Rewriter | undefined): void;
  close(): Promise<void>;
}

export function classify(method: string, path: string, headers: IncomingHttpHeaders, body: string): Omit<AwsCall, 'body' | 'method' | 'path' | 'headers'> {
  const auth = String(headers.authorization ?? '');
  const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? 'unknown';
  const region = /Credential=[^/]+\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? 'us-east-1';
  const target = headers['x-amz-target'];
  const { name, readOnly } = nameOperation(service, method, path, typeof target === 'string' ? target : undefined, body);
  const rest = typeof target !== 'string' && !/(?:^|&)Action=/.test(body) && !/[?&]Action=/.test(path);
  return { service, region, operation: rest ? `${method} ${path.split('?')[0]}` : name, api: name, mutating: !readOnly };
}

export async function startProxy(target: string): Promise<AwsProxy> {
  const calls: AwsCall[] = [];
  const unknown: string[] = [];
  let interceptor: Interceptor | undefined;
  let rewriter: Rewriter | undefined;
  const upstream = new URL(target);
  // moto drops some ECS service settings: the shim answers as AWS would (see ecs-shim.ts).
  const shim = ecsShim(target);
  // moto ignores idempotency tokens: answered here as AWS does (see client-tokens.ts).
  const tokens = clientTokens();
  // moto fails with an internal error on some calls AWS answers with a code (see moto-gaps.ts).
  const gaps = motoGaps(target);
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
      let call: AwsCall;
      try {
        call = { ...classify(req.method ?? 'GET', req.url ?? '/', req.headers, body), body, method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers };
      } catch (err) {
        // A call the models do not know is answered with an error the CLI shows, and fails the test.
        unknown.push(String(err));
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(String(err));
        return;
      }
      calls.push(call);
      try {
        const reply = tokens.replay(call) ?? (await shim(call)) ?? account(call) ?? (interceptor ? await interceptor(call) : undefined) ?? (await rds(call)) ?? (await gaps(call));
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
          const parts: Buffer[] = [];
          up.on('data', (c: Buffer) => parts.push(c));
          up.on('end', async () => {
            const upstream: Reply = { status: up.statusCode ?? 502, body: Buffer.concat(parts).toString('utf8'), headers: up.headers as Record<string, string> };
            tokens.record(call, upstream);
            const replaced = await rewriter?.(call, upstream);
            if (replaced === RESET) {
              req.socket.destroy();
              return;
            }
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
    unknown,
    mutating: () => calls.filter((c) => c.mutating),
    reads: () => calls.filter((c) => !c.mutating),
    reset: () => void calls.splice(0),
    account,
    ecs: shim,
    intercept: (fn) => void (interceptor = fn),
    rewrite: (fn) => void (rewriter = fn),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
