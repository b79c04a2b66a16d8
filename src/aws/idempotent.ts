/**
 * Writes that may be repeated. On AWS a write can take effect while its answer is lost (a timeout,
 * a reset connection, a 5xx from the front end after the back end did the work); the SDK then sends
 * it again by itself, and the retry meets what the first attempt did. So, for every write:
 * - "already exists" for what the step wanted, with the same content (checked), is success;
 * - "not found" on a delete, a revoke or a detach is success;
 * - anything else is a real error.
 * Where an API takes an idempotency token (ClientToken, CreationToken, clientToken, IdempotencyToken,
 * ClientRequestToken), the step passes `ctx.clientToken()` and AWS answers the retry like the first call.
 */
import { isAlreadyExists, isNotFound } from './errors.js';

/**
 * Runs `write`; when AWS answers that its result already exists (`done`, "already exists" unless
 * told), `present()` says whether what is there is what the write wanted (read back, not assumed):
 * if so, that is success, and `present()`'s value is returned; if not (`undefined`), the write's
 * error stands as AWS gave it, so callers still tell it apart.
 */
export async function writeOrVerify<T, P = T>(write: () => Promise<T>, present: () => Promise<P | undefined>, done: (err: unknown) => boolean = isAlreadyExists): Promise<T | P> {
  try {
    return await write();
  } catch (err) {
    if (!done(err)) throw err;
    const found = await present();
    if (found === undefined) throw err;
    return found;
  }
}

/** Runs a delete (or a revoke, a detach, a deregister): "not found" means it is done already. */
export async function deleteOrGone(del: () => Promise<unknown>, gone: (err: unknown) => boolean = isNotFound): Promise<void> {
  try {
    await del();
  } catch (err) {
    if (!gone(err)) throw err;
  }
}

/**
 * Runs a read of one resource: "not found" (or what `absent` says means absent for that call: an S3
 * setting not configured, say) means it does not exist (undefined); any other error stands.
 */
export async function orAbsent<T>(read: () => Promise<T>, absent: (err: unknown) => boolean = isNotFound): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (absent(err)) return undefined;
    throw err;
  }
}
