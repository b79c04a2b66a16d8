/**
 * Lost answers: the write reached AWS and took effect, but its answer never came back (a reset
 * connection, or a 5xx from a front end after the back end did the work). The SDK retries such a call
 * by itself, so the retry meets what the first attempt did: a create finds its resource there, a
 * delete finds it gone, a rule or a route is already in place. For the recording proxy (aws-proxy.ts),
 * as its rewriter: the call is forwarded to the emulator first, then its answer is replaced.
 *
 * Only writes are hit, as the SDK models classify them (aws-operations.ts), at a seeded rate, so a
 * failing run can be replayed with its seed.
 */
import { RESET, type AwsCall, type Reply, type Rewriter } from './aws-proxy.js';

/** A small deterministic random sequence (a linear congruential generator). */
export function prng(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

export interface LostAnswers extends Rewriter {
  /** Each write whose answer was lost: `service api`, in order. */
  readonly lost: string[];
}

/** The error a front end would answer after the work was done, in the call's protocol. */
function serverError(call: AwsCall): Reply {
  const json = typeof call.headers['x-amz-target'] === 'string' || /json/.test(String(call.headers['content-type'] ?? ''));
  if (json) return { status: 500, body: '{"__type":"InternalFailure","message":"answer lost after the write"}', headers: { 'content-type': 'application/x-amz-json-1.1' } };
  if (call.service === 'ec2') return { status: 503, body: '<Response><Errors><Error><Code>Unavailable</Code><Message>answer lost after the write</Message></Error></Errors><RequestID>lost</RequestID></Response>' };
  return { status: 503, body: '<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>answer lost after the write</Message></Error></ErrorResponse>' };
}

/**
 * Loses the answer of a write at `rate` (0..1), half the time as a reset connection, half as a 5xx.
 * `only` narrows the writes hit (say, to one stack's calls); answers that are errors already are
 * left alone (the write did not happen).
 */
export function loseAnswers(seed: number, rate: number, only: (call: AwsCall) => boolean = () => true): LostAnswers {
  const random = prng(seed);
  const lost: string[] = [];
  const fn = (call: AwsCall, upstream: Reply): Reply | typeof RESET | undefined => {
    if (!call.mutating || upstream.status >= 300 || !only(call)) return undefined;
    if (random() >= rate) return undefined;
    lost.push(`${call.service} ${call.api}`);
    return random() < 0.5 ? RESET : serverError(call);
  };
  return Object.assign(fn, { lost });
}
