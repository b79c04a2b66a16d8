/**
 * S3 conditional writes as AWS does them, for the emulator, which accepts a PutObject whose `If-Match`
 * ETag is stale (docs/emulator.md). Used as a proxy interceptor: a PUT or DELETE carrying `If-Match` is
 * checked against the object's current ETag first, and answered 412 PreconditionFailed (or 404
 * NoSuchKey) as S3 would; everything else goes through. `If-None-Match: *` the emulator enforces itself.
 */
import type { AwsCall, Reply } from './aws-proxy.js';

const xml = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;

export function s3ConditionalWrites(target: string): (call: AwsCall) => Promise<Reply | undefined> {
  return async (call) => {
    if (call.service !== 's3' || !['PUT', 'DELETE'].includes(call.method)) return undefined;
    const expected = call.headers['if-match'];
    if (typeof expected !== 'string') return undefined;
    // The emulator checks that a request is signed, not its signature: the call's own credentials do.
    const head = await fetch(new URL(call.path.split('?')[0]!, target), { method: 'HEAD', headers: { authorization: String(call.headers.authorization ?? '') } });
    if (head.status === 404) return { status: 404, body: xml('NoSuchKey', 'The specified key does not exist.') };
    if (head.headers.get('etag') !== expected) {
      return { status: 412, body: xml('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold') };
    }
    return undefined;
  };
}
