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
import { WpdeployError } from '../errors.js';
import { isAlreadyExists, isNotFound } from './errors.js';

/**
 * Runs `write`; when AWS answers that its result already exists, `present()` says whether what is
 * there is what the write wanted (read back, not assumed): if so, that is success, and `present()`'s
 * value is returned; if not (`undefined`), the write's error stands, explained.
 */
export async function writeOrVerify<T, P = T>(what: string, write: () => Promise<T>, present: () => Promise<P | undefined>, exists = isAlreadyExists): Promise<T | P> {
  try {
    return await write();
  } catch (err) {
    if (!exists(err)) throw err;
    const found = await present();
    if (found === undefined) {
      throw new WpdeployError(`${what}: AWS says it already exists, but not as wanted (${err instanceof Error ? err.message : String(err)}).`, {
        hint: 'Something else changed it meanwhile: look at it in the console, then run the command again.',
        cause: err,
      });
    }
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
