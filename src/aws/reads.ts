/**
 * Every page of a listing, the way every service's list calls page (after Copilot's per-service
 * clients). A read of one resource with not-found as undefined is `orAbsent` (idempotent.ts).
 */

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
