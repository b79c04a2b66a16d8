/**
 * `npm run bench:site`: the deployed site's own page latency, by where WordPress's files live.
 *
 * On AWS the tasks read what is on EFS over NFS, where every file operation the kernel cannot answer
 * from its cache costs a network round trip (about a millisecond). This bench serves one seeded
 * WordPress (Debian's WordPress, Apache with mod_php and OPcache, MariaDB) from four layouts, with the
 * shared part on a FUSE file system that adds `--delay` ms to every operation (bench/site/slowfs.py,
 * attributes cached 3 s as an NFS client does):
 *
 * - `local`: everything on local disk (the floor);
 * - `docroot`: the whole document root shared, OPcache revalidating every 2 s (the official image's
 *   setting): the layout of wpdeploy before `wordpress.sharedFiles`;
 * - `content`: only `wp-content` shared, OPcache revalidating every 60 s (`sharedFiles: content`);
 * - `uploads`: only `wp-content/uploads` shared (`sharedFiles: uploads`).
 *
 * For each layout and page (the home page, a post, wp-admin's post list) it reports the mean, p50 and
 * p95 of `--requests` sequential requests, the requests per second of `--throughput` requests at
 * `--concurrency` at once, and the file operations per page on the shared part, by type. Everything
 * listens on loopback or a socket; request counts are bounded; everything it started is stopped and
 * unmounted at the end, also on Ctrl-C. Results: a table, and bench/results/site.json (`--out`).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wordpressConfig, apacheConfig } from './configs.js';
import { login, measurePage, type PageResult } from './measure.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SITE = join(ROOT, 'bench', 'site');

export interface Layout {
  name: string;
  /** What is on the slow file system. */
  shared: 'none' | 'docroot' | 'content' | 'uploads';
  /** opcache.revalidate_freq, in seconds. */
  revalidateFreq: number;
  about: string;
}

export const LAYOUTS: Layout[] = [
  { name: 'local', shared: 'none', revalidateFreq: 2, about: 'everything on local disk' },
  { name: 'docroot', shared: 'docroot', revalidateFreq: 2, about: 'the whole document root shared (before sharedFiles)' },
  { name: 'content', shared: 'content', revalidateFreq: 60, about: 'wp-content shared, OPcache revalidating every 60 s (sharedFiles: content)' },
  { name: 'uploads', shared: 'uploads', revalidateFreq: 2, about: 'wp-content/uploads shared (sharedFiles: uploads)' },
];

interface Options { delayMs: number; requests: number; throughput: number; concurrency: number; layouts: string[]; out: string; keep: boolean }

function options(argv: string[]): Options {
  const o: Options = { delayMs: 1, requests: 40, throughput: 60, concurrency: 4, layouts: LAYOUTS.map((l) => l.name), out: join(ROOT, 'bench/results/site.json'), keep: false };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const num = () => { const n = Number(value); if (!Number.isFinite(n) || n < 0) throw new Error(`${flag} takes a number, not ${value}`); i++; return n; };
    if (flag === '--delay') o.delayMs = num();
    else if (flag === '--requests') o.requests = Math.min(500, Math.max(5, num()));
    else if (flag === '--throughput') o.throughput = Math.min(1000, Math.max(4, num()));
    else if (flag === '--concurrency') o.concurrency = Math.min(16, Math.max(1, num()));
    else if (flag === '--layouts') { o.layouts = (value ?? '').split(','); i++; }
    else if (flag === '--out') { o.out = value!; i++; }
    else if (flag === '--keep') o.keep = true;
    else throw new Error(`unknown option ${flag} (--delay MS, --requests N, --throughput N, --concurrency N, --layouts a,b, --out FILE, --keep)`);
  }
  for (const l of o.layouts) if (!LAYOUTS.some((x) => x.name === l)) throw new Error(`unknown layout ${l}: ${LAYOUTS.map((x) => x.name).join(', ')}`);
  return o;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    }).on('error', reject);
  });
}

const run = (cmd: string, args: string[], opts: { input?: string; user?: string } = {}) =>
  execFileSync(opts.user ? 'runuser' : cmd, opts.user ? ['-u', opts.user, '--', cmd, ...args] : args, { encoding: 'utf8', input: opts.input, stdio: ['pipe', 'pipe', 'pipe'] });

function isMountpoint(path: string): boolean {
  try {
    run('mountpoint', ['-q', path]);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Everything the bench started, stopped in reverse order. */
class Cleanup {
  private steps: Array<{ what: string; fn: () => void }> = [];
  add(what: string, fn: () => void) { this.steps.push({ what, fn }); }
  runAll() {
    for (const s of this.steps.reverse()) {
      try { s.fn(); } catch (err) { console.error(`bench:site: could not ${s.what}: ${(err as Error).message}`); }
    }
    this.steps = [];
  }
}

async function startDatabase(work: string, cleanup: Cleanup): Promise<string> {
  // The server runs as mysql: its data, socket, pid and log live in a directory it owns.
  const dir = join(work, 'db');
  const data = join(dir, 'data');
  const socket = join(dir, 'mysql.sock');
  mkdirSync(data, { recursive: true });
  chmodSync(dir, 0o755);
  run('chown', ['-R', 'mysql:mysql', dir]);
  run('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--user=mysql', '--auth-root-authentication-method=socket', '--skip-test-db']);
  const db = spawn('mariadbd', ['--no-defaults', `--datadir=${data}`, `--socket=${socket}`, '--skip-networking', '--user=mysql', `--pid-file=${join(dir, 'mysql.pid')}`, `--log-error=${join(dir, 'mysql.err')}`], { stdio: 'ignore' });
  cleanup.add('stop MariaDB', () => { db.kill('SIGTERM'); });
  await waitFor(`MariaDB (its log: ${join(dir, 'mysql.err')})`, () => existsSync(socket));
  run('mariadb', [`--socket=${socket}`, '-uroot'], { input: "CREATE DATABASE wordpress; CREATE USER 'wp'@'localhost' IDENTIFIED BY 'wp'; GRANT ALL ON wordpress.* TO 'wp'@'localhost';" });
  return socket;
}

/** A copy of Debian's WordPress with a plain wp-config.php, installed and seeded. Returns a post's path. */
function prepareSite(work: string, socket: string, url: string, password: string): { src: string; post: string } {
  const src = join(work, 'src');
  cpSync('/usr/share/wordpress', src, { recursive: true, dereference: true });
  writeFileSync(join(src, 'wp-config.php'), wordpressConfig(socket));
  writeFileSync(join(src, '.htaccess'), '# BEGIN WordPress\nRewriteEngine On\nRewriteBase /\nRewriteRule ^index\\.php$ - [L]\nRewriteCond %{REQUEST_FILENAME} !-f\nRewriteCond %{REQUEST_FILENAME} !-d\nRewriteRule . /index.php [L]\n# END WordPress\n');
  mkdirSync(join(src, 'wp-content/uploads/2026/12'), { recursive: true });
  const post = run('php', [join(SITE, 'seed.php'), src, url, password]).trim();
  run('chown', ['-R', 'www-data:www-data', src]);
  return { src, post };
}

function mountSlow(backing: string, mountpoint: string, delayMs: number, stats: string, cleanup: Cleanup): ChildProcess {
  const fs = spawn('/usr/bin/python3', [join(SITE, 'slowfs.py'), backing, mountpoint, String(delayMs), stats], { stdio: ['ignore', 'ignore', 'inherit'] });
  cleanup.add(`unmount ${mountpoint}`, () => { try { run('umount', [mountpoint]); } catch { fs.kill('SIGTERM'); } });
  return fs;
}

/** The layout's document root: a copy of the site, with its shared part on the slow file system. */
async function layoutRoot(work: string, src: string, layout: Layout, o: Options, cleanup: Cleanup): Promise<{ docroot: string; stats?: string }> {
  const base = join(work, layout.name);
  const docroot = join(base, 'html');
  mkdirSync(base);
  chmodSync(base, 0o755);
  const sharedPath = { none: undefined, docroot: '', content: 'wp-content', uploads: 'wp-content/uploads' }[layout.shared];
  if (sharedPath === undefined) {
    cpSync(src, docroot, { recursive: true });
    return { docroot };
  }
  const backing = join(base, 'backing');
  cpSync(join(src, sharedPath), backing, { recursive: true });
  if (sharedPath) {
    cpSync(src, docroot, { recursive: true, filter: (p) => p !== join(src, sharedPath) });
    rmSync(join(docroot, sharedPath), { recursive: true, force: true });
  }
  mkdirSync(join(docroot, sharedPath), { recursive: true });
  run('chown', ['-R', 'www-data:www-data', base]);
  const stats = join(base, 'stats.json');
  mountSlow(backing, join(docroot, sharedPath), o.delayMs, stats, cleanup);
  await waitFor(`the slow file system on ${layout.name}`, () => isMountpoint(join(docroot, sharedPath)));
  return { docroot, stats };
}

async function startApache(work: string, docroot: string, port: number, layout: Layout): Promise<() => void> {
  const conf = join(work, `apache-${layout.name}.conf`);
  const pid = join(work, `apache-${layout.name}.pid`);
  writeFileSync(conf, apacheConfig({ docroot, port, work, pidFile: pid, revalidateFreq: layout.revalidateFreq }));
  run('apache2', ['-f', conf, '-k', 'start']);
  await waitFor('Apache', () => existsSync(pid));
  return () => {
    const p = Number(readFileSync(pid, 'utf8'));
    process.kill(p, 'SIGTERM');
    execFileSync('bash', ['-c', `for i in $(seq 100); do kill -0 ${p} 2>/dev/null || exit 0; sleep 0.05; done`]);
  };
}

export interface LayoutResult { layout: Layout; pages: PageResult[] }

async function benchLayout(work: string, site: { src: string; post: string }, layout: Layout, port: number, password: string, o: Options, cleanup: Cleanup): Promise<LayoutResult> {
  const { docroot, stats } = await layoutRoot(work, site.src, layout, o, cleanup);
  const stop = await startApache(work, docroot, port, layout);
  try {
    const base = `http://127.0.0.1:${port}`;
    const cookies = await login(base, password);
    const pages = [
      { name: 'home', path: '/' },
      { name: 'post', path: site.post },
      { name: 'wp-admin', path: '/wp-admin/edit.php', cookies },
    ];
    const out: PageResult[] = [];
    for (const p of pages) out.push(await measurePage(base, p, { ...o, stats }));
    return { layout, pages: out };
  } finally {
    stop();
  }
}

function table(results: LayoutResult[], o: Options): string {
  const rows = [['layout', 'page', 'mean ms', 'p50', 'p95', 'req/s', 'file ops/page (shared part)']];
  for (const r of results) for (const p of r.pages) {
    const ops = Object.entries(p.opsPerPage).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
    rows.push([r.layout.name, p.page, p.meanMs.toFixed(0), p.p50Ms.toFixed(0), p.p95Ms.toFixed(0), p.reqPerSec.toFixed(1), p.totalOps === undefined ? '-' : `${p.totalOps.toFixed(0)}${ops ? ` (${ops})` : ''}`]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const lines = rows.map((r) => r.map((cell, c) => (c < 2 || c === 6 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd());
  const mean = (l: string, page = 'home') => results.find((r) => r.layout.name === l)?.pages.find((p) => p.page === page)?.meanMs;
  const ratio = (a?: number, b?: number) => (a && b ? (a / b).toFixed(2) + 'x' : 'n/a');
  return [
    `Site bench: ${o.delayMs} ms per file operation on the shared part; ${o.requests} sequential requests per page, ${o.throughput} at ${o.concurrency} at once.`,
    ...lines,
    '',
    `home page, mean: docroot / content = ${ratio(mean('docroot'), mean('content'))} (target >= 1.8x); uploads / local = ${ratio(mean('uploads'), mean('local'))} (target <= 1.5x)`,
  ].join('\n');
}

async function main() {
  const o = options(process.argv.slice(2));
  execFileSync('bash', [join(SITE, 'install.sh')], { stdio: 'inherit' });
  if (process.getuid?.() !== 0) throw new Error('bench:site mounts FUSE file systems and runs Apache as www-data: run it as root');
  const work = mkdtempSync(join(tmpdir(), 'wpdeploy-site-'));
  chmodSync(work, 0o755);
  const cleanup = new Cleanup();
  if (!o.keep) cleanup.add(`remove ${work}`, () => rmSync(work, { recursive: true, force: true }));
  const stopAll = () => { cleanup.runAll(); process.exit(130); };
  process.once('SIGINT', stopAll).once('SIGTERM', stopAll);
  try {
    const port = await freePort();
    const password = `bench-${process.pid}-${Date.now()}`;
    const socket = await startDatabase(work, cleanup);
    const site = prepareSite(work, socket, `http://127.0.0.1:${port}`, password);
    const results: LayoutResult[] = [];
    for (const name of o.layouts) {
      const layout = LAYOUTS.find((l) => l.name === name)!;
      console.error(`bench:site: ${layout.name}: ${layout.about}`);
      results.push(await benchLayout(work, site, layout, port, password, o, cleanup));
    }
    const text = table(results, o);
    console.log(text);
    mkdirSync(join(o.out, '..'), { recursive: true });
    writeFileSync(o.out, JSON.stringify({ date: new Date().toISOString(), loadavg: (await import('node:os')).loadavg(), options: { ...o, out: undefined }, results }, null, 2) + '\n');
    console.error(`bench:site: results in ${o.out}`);
  } finally {
    cleanup.runAll();
  }
}

main().catch((err) => {
  console.error(`bench:site: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
