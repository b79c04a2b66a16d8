/** Requests against the bench's site: log in, time a page, count the file operations it makes. */
import { request } from 'node:http';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

export interface PageResult {
  page: string;
  path: string;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  reqPerSec: number;
  /** File operations on the shared part per page, by type (none for the local layout). */
  opsPerPage: Record<string, number>;
  totalOps?: number;
}

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; ms: number }

function get(base: string, path: string, opts: { cookies?: string; method?: string; body?: string } = {}): Promise<Reply> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(base + path, {
      method: opts.method ?? 'GET',
      headers: {
        ...(opts.cookies ? { cookie: opts.cookies } : {}),
        ...(opts.body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(opts.body) } : {}),
      },
      timeout: 60_000,
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, ms: performance.now() - start }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The admin's session cookies, from wp-login.php. */
export async function login(base: string, password: string): Promise<string> {
  const body = new URLSearchParams({ log: 'admin', pwd: password, 'wp-submit': 'Log In', testcookie: '1', redirect_to: `${base}/wp-admin/` }).toString();
  const r = await get(base, '/wp-login.php', { method: 'POST', body, cookies: 'wordpress_test_cookie=WP%20Cookie%20check' });
  const set = ([] as string[]).concat(r.headers['set-cookie'] ?? []);
  const cookies = set.map((c) => c.split(';')[0]).filter((c) => /^wordpress_(logged_in|sec)?_?/.test(c!));
  if (r.status !== 302 || !cookies.some((c) => c!.startsWith('wordpress_logged_in'))) throw new Error(`could not log in to wp-admin (HTTP ${r.status})`);
  return cookies.join('; ');
}

async function ok(base: string, path: string, cookies?: string): Promise<number> {
  const r = await get(base, path, { cookies });
  if (r.status !== 200) throw new Error(`GET ${path} answered HTTP ${r.status}, not 200`);
  return r.ms;
}

/** The slow file system's counts since the last read (it writes them when asked). */
async function readOps(stats: string): Promise<Record<string, number>> {
  rmSync(stats, { force: true });
  writeFileSync(`${stats}.req`, '');
  const end = Date.now() + 5_000;
  while (!existsSync(stats)) {
    if (Date.now() > end) throw new Error('the slow file system did not report its counts');
    await new Promise((r) => setTimeout(r, 10));
  }
  return JSON.parse(readFileSync(stats, 'utf8'));
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

export async function measurePage(
  base: string,
  page: { name: string; path: string; cookies?: string },
  o: { requests: number; throughput: number; concurrency: number; stats?: string },
): Promise<PageResult> {
  for (let i = 0; i < 5; i++) await ok(base, page.path, page.cookies);
  if (o.stats) await readOps(o.stats);
  const times: number[] = [];
  for (let i = 0; i < o.requests; i++) times.push(await ok(base, page.path, page.cookies));
  const ops = o.stats ? await readOps(o.stats) : {};
  const opsPerPage = Object.fromEntries(Object.entries(ops).map(([k, v]) => [k, v / o.requests]));
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: o.concurrency }, async () => {
    while (next < o.throughput) {
      next++;
      await ok(base, page.path, page.cookies);
    }
  }));
  const reqPerSec = o.throughput / ((performance.now() - start) / 1000);
  const sorted = [...times].sort((a, b) => a - b);
  return {
    page: page.name, path: page.path,
    meanMs: times.reduce((a, b) => a + b, 0) / times.length, p50Ms: percentile(sorted, 50), p95Ms: percentile(sorted, 95),
    reqPerSec, opsPerPage, totalOps: o.stats ? Object.values(opsPerPage).reduce((a, b) => a + b, 0) : undefined,
  };
}
