/**
 * Reading shapes every service shares (after Copilot's per-service clients): every page of a list,
 * and "not found" as undefined. Only not-found means absent; any other error stands.
 */
import { isNotFound } from './errors.js';

/**
 * Every item of a call that pages with a token: `call(token)` asks for one page, `page(answer)`
 * gives its items and the next token (undefined or empty on the last page).
 */
export async function paged<R, T>(call: (token?: string) => Promise<R>, page: (answer: R) => [T[] | undefined, string | undefined]): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const [items, next] = page(await call(token));
    out.push(...(items ?? []));
    token = next || undefined;
  } while (token);
  return out;
}

/** The call's answer, or undefined when AWS says the resource (or the parent it names) does not exist. */
export async function unlessMissing<T>(call: () => Promise<T>, missing: (err: unknown) => boolean = isNotFound): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    if (missing(err)) return undefined;
    throw err;
  }
}
