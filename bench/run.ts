/**
 * `npm run bench` (issue #8): runs the real CLI against a simulated AWS (moto behind sim-aws.ts, with
 * AWS's durations divided by a time scale and a latency on every call) and compares what it takes
 * with the lower bound of the architecture under the same profile (bound.ts).
 *
 *   node dist-bench/bench/run.js [--scale 60] [--latency 50] [--out bench/results/latest.json]
 *     [--svg bench/results/up-gantt.svg] [--no-baseline] [--no-strict] [--no-domain] [--single-az]
 *     [--single-nat] [--proxy] [--concurrency N] [--moto http://127.0.0.1:PORT]
 *
 * Runs, each on a fresh state directory and its own stack: `up` (at --concurrency, else the CLI's
 * default), `up` again (no-op), `status`, `down`; then `up --concurrency 1` and `down --concurrency 1`
 * (the ordered-runbook baseline) on another stack; then `--version` and `--help` five times each.
 * Prints a table, writes the results as JSON and the `up` and `down` timelines as SVG Gantt charts
 * (and PNG when rsvg-convert is installed).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ACMClient, ListCertificatesCommand } from '@aws-sdk/client-acm';
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeAvailabilityZonesCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { DescribeFileSystemsCommand, EFSClient } from '@aws-sdk/client-efs';
import { DescribeLoadBalancersCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import { CreateHostedZoneCommand, ListHostedZonesCommand, Route53Client } from '@aws-sdk/client-route-53';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { DEFAULT_ARCHITECTURE, downBound, upBound, type Architecture, type Bound } from './bound.js';
import { ganttSvg, type StepBar } from './gantt.js';
import { makeProfile, type Profile } from './profile.js';
import { startSimAws, type CallCounts, type SimAws } from './sim-aws.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(ROOT, 'bin/wpdeploy.js');
const PROBE = join(dirname(fileURLToPath(import.meta.url)), 'rss-probe.js');

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  scale: number;
  latencyMs: number;
  out: string;
  svg: string;
  baseline: boolean;
  strict: boolean;
  moto?: string;
  arch: Architecture;
  /** --concurrency for the fresh up and the down; the CLI's default when not given. */
  concurrency?: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    scale: 60, latencyMs: 50, out: join(ROOT, 'bench/results/latest.json'), svg: join(ROOT, 'bench/results/up-gantt.svg'),
    baseline: true, strict: true, arch: { ...DEFAULT_ARCHITECTURE },
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--scale': o.scale = Number(value()); break;
      case '--latency': o.latencyMs = Number(value()); break;
      case '--out': o.out = resolve(value()); break;
      case '--svg': o.svg = resolve(value()); break;
      case '--moto': o.moto = value(); break;
      case '--concurrency': o.concurrency = Number(value()); break;
      case '--no-baseline': o.baseline = false; break;
      case '--no-strict': o.strict = false; break;
      case '--no-domain': o.arch.domain = false; break;
      case '--single-az': o.arch.multiAz = false; break;
      case '--single-nat': o.arch.natGateways = 'single'; break;
      case '--proxy': o.arch.proxy = true; break;
      case '-h': case '--help':
        process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 16).map((l) => l.replace(/^ \*\/? ?/, '')).join('\n') + '\n');
        process.exit(0);
        break;
      default: throw new Error(`unknown option ${a} (see --help)`);
    }
  }
  makeProfile({ scale: o.scale, latencyMs: o.latencyMs }); // validates
  return o;
}

// ---------------------------------------------------------------------------------------------
// Running the CLI

interface Spawned {
  args: string[];
  code: number | null;
  /** Spawn to exit, ms. */
  wallMs: number;
  /** Date.now() at spawn: event times are relative to it. */
  spawnedAt: number;
  stdout: string;
  stderr: string;
  /** Peak resident set size of the CLI process, kB. */
  peakRssKb?: number;
  /** CPU time the CLI process used (user + system), ms. */
  cpuMs?: number;
}

function cliEnv(scale: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1', CI: 'true', NO_COLOR: '1',
    WPDEPLOY_TIME_SCALE: String(scale), ...extra,
  };
  for (const k of ['AWS_PROFILE', 'AWS_ENDPOINT_URL', 'AWS_SESSION_TOKEN', 'AWS_DEFAULT_PROFILE']) delete env[k];
  return env;
}

function runNode(args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; rss?: boolean }): Promise<Spawned> {
  const rssFile = o.rss ? join(mkdtempSync(join(tmpdir(), 'wpdeploy-bench-rss-')), 'rss') : undefined;
  const nodeArgs = [...(rssFile ? ['--import', pathToFileURL(PROBE).href] : []), BIN, ...args];
  return new Promise((resolvePromise, reject) => {
    const spawnedAt = Date.now();
    const t0 = performance.now();
    const child = spawn(process.execPath, nodeArgs, { cwd: o.cwd, env: { ...o.env, ...(rssFile ? { WPDEPLOY_BENCH_RSS_FILE: rssFile } : {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let wallMs = 0;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', () => (wallMs = performance.now() - t0));
    child.on('error', reject);
    child.on('close', (code) => {
      let usage: { maxRssKb?: number; userUs?: number; systemUs?: number } = {};
      if (rssFile && existsSync(rssFile)) {
        try {
          usage = JSON.parse(readFileSync(rssFile, 'utf8')) as typeof usage;
        } catch {
          // no usage reported
        }
        rmSync(dirname(rssFile), { recursive: true, force: true });
      }
      const cpuMs = usage.userUs !== undefined && usage.systemUs !== undefined ? (usage.userUs + usage.systemUs) / 1000 : undefined;
      resolvePromise({ args, code, wallMs: wallMs || performance.now() - t0, spawnedAt, stdout, stderr, peakRssKb: usage.maxRssKb, cpuMs });
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Reading the events

interface Event {
  type: string;
  time: string;
  step?: string;
  kind?: string;
  op?: string;
  steps?: Array<{ id: string; kind: string; dependsOn: string[]; deletedBefore?: string[] }>;
  calls?: CallCounts;
  elapsedMs?: number;
  ok?: boolean;
  error?: string;
}

function events(stdout: string): Event[] {
  const out: Event[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const e = JSON.parse(line) as Event;
      if (e && typeof e.type === 'string') out.push(e);
    } catch {
      // not an event line
    }
  }
  return out;
}

interface StepTiming extends StepBar {
  /** Steps this one waited for in this run (dependencies for up, dependents for down). */
  waitedFor: string[];
}

interface RunReport {
  label: string;
  args: string[];
  exitCode: number | null;
  ok: boolean;
  wallMs: number;
  /** run-start to run-done (the engine's own window), ms. */
  eventsMs?: number;
  /** Spawn to run-start: Node.js, the SDK, the identity and zone lookups, ms. */
  startupMs?: number;
  /** Spawn to the first API call reaching the simulated AWS (Node.js and loading the CLI), ms. */
  firstCallMs?: number;
  /** Steps (= resources) the run knew. */
  resources?: number;
  /** From the run-done event. */
  cliCalls?: CallCounts;
  /** Counted by the simulated AWS. */
  proxyCalls: CallCounts;
  peakRssKb?: number;
  /** CPU time of the CLI process, ms. */
  cpuMs?: number;
  steps: StepTiming[];
  /** The run's critical chain, first to last: each step, what it waited for, and the gap before it started. */
  criticalChain: Array<{ step: string; startMs: number; planMs?: number; endMs: number; gapMs: number }>;
  runStartMs?: number;
  runDoneMs?: number;
  failed: Array<{ step: string; error: string }>;
  stderrTail?: string;
  /** Every call as the simulated AWS received it: ms since the spawn, service:operation. */
  callLog: Array<[number, string]>;
}

function report(label: string, s: Spawned, proxyCalls: CallCounts, log: SimAws['calls'], reverse: boolean): RunReport {
  const firstCallAt = log[0]?.at;
  const ev = events(s.stdout);
  const at = (e: Event) => Date.parse(e.time) - s.spawnedAt;
  const start = ev.find((e) => e.type === 'run-start');
  const done = ev.find((e) => e.type === 'run-done');
  // Teardown orders deletes on the edges that hold on delete (deletedBefore), when the CLI says which.
  const deps = new Map<string, string[]>((start?.steps ?? []).map((x) => [x.id, reverse ? x.deletedBefore ?? x.dependsOn : x.dependsOn]));
  const waitedFor = (id: string) => (reverse ? [...deps].filter(([, d]) => d.includes(id)).map(([k]) => k) : deps.get(id) ?? []);
  const bars = new Map<string, StepTiming>();
  for (const e of ev) {
    if (!e.step) continue;
    if (e.type === 'step-start') bars.set(e.step, { id: e.step, kind: e.kind ?? '', startMs: at(e), endMs: at(e), waitedFor: waitedFor(e.step) });
    const b = bars.get(e.step);
    if (!b) continue;
    if (e.type === 'step-plan') b.planMs = at(e);
    if (e.type === 'step-done') {
      b.endMs = at(e);
      b.op = e.op;
    }
    if (e.type === 'step-failed') {
      b.endMs = at(e);
      b.failed = true;
    }
  }
  const steps = [...bars.values()];
  // The run's critical chain: from the step that ended last, back through what it waited for that ended last.
  const chain: RunReport['criticalChain'] = [];
  let cur = steps.reduce<StepTiming | undefined>((a, b) => (!a || b.endMs > a.endMs ? b : a), undefined);
  while (cur) {
    const before = cur.waitedFor.map((id) => bars.get(id)).filter((b): b is StepTiming => !!b);
    const prev = before.reduce<StepTiming | undefined>((a, b) => (!a || b.endMs > a.endMs ? b : a), undefined);
    chain.unshift({ step: cur.id, startMs: cur.startMs, planMs: cur.planMs, endMs: cur.endMs, gapMs: cur.startMs - (prev?.endMs ?? (start ? at(start) : 0)) });
    cur = prev;
  }
  return {
    label, args: s.args, exitCode: s.code, ok: s.code === 0, wallMs: s.wallMs,
    eventsMs: start && done ? Date.parse(done.time) - Date.parse(start.time) : undefined,
    startupMs: start ? at(start) : undefined,
    firstCallMs: firstCallAt === undefined ? undefined : firstCallAt - s.spawnedAt,
    resources: start?.steps?.length,
    cliCalls: done?.calls, proxyCalls, peakRssKb: s.peakRssKb, cpuMs: s.cpuMs, steps, criticalChain: chain,
    runStartMs: start ? at(start) : undefined, runDoneMs: done ? at(done) : undefined,
    failed: ev.filter((e) => e.type === 'step-failed').map((e) => ({ step: e.step ?? '?', error: e.error ?? '' })),
    ...(s.code === 0 ? {} : { stderrTail: (s.stderr + s.stdout).split('\n').slice(-25).join('\n') }),
    callLog: log.map((c) => [c.at - s.spawnedAt, `${c.service}:${c.operation}`]),
  };
}

// ---------------------------------------------------------------------------------------------
// The emulator

function startMoto(): { endpoint: string; pid: number } {
  const out = execFileSync('bash', [join(ROOT, 'scripts/emulator.sh'), 'start'], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000,
    env: { ...process.env, MOTO_ECS_SERVICE_RUNNING: '2', MOTO_ACM_VALIDATION_WAIT: '1' },
  });
  const m = /endpoint=(\S+) pid=(\d+)/.exec(out);
  if (!m) throw new Error(`emulator.sh start printed no endpoint: ${out}`);
  return { endpoint: m[1]!, pid: Number(m[2]) };
}

/**
 * moto builds each service's backend on its first call (EC2's takes seconds): one read per service
 * the CLI uses, straight to moto, so that the first run does not pay for it.
 */
async function warmMoto(endpoint: string): Promise<void> {
  const c = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  await Promise.all([
    new STSClient(c).send(new GetCallerIdentityCommand({})),
    new EC2Client(c).send(new DescribeAvailabilityZonesCommand({})).then(() => new EC2Client(c).send(new DescribeVpcsCommand({}))),
    new RDSClient(c).send(new DescribeDBInstancesCommand({})),
    new ElasticLoadBalancingV2Client(c).send(new DescribeLoadBalancersCommand({})),
    new ECSClient(c).send(new ListClustersCommand({})),
    new EFSClient(c).send(new DescribeFileSystemsCommand({})),
    new ACMClient(c).send(new ListCertificatesCommand({})),
    new Route53Client(c).send(new ListHostedZonesCommand({})),
    new IAMClient(c).send(new ListRolesCommand({})),
    new CloudWatchLogsClient(c).send(new DescribeLogGroupsCommand({})),
    new S3Client({ ...c, forcePathStyle: true }).send(new ListBucketsCommand({})),
    new SecretsManagerClient(c).send(new ListSecretsCommand({})),
    new ApplicationAutoScalingClient(c).send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs' })),
    new ResourceGroupsTaggingAPIClient(c).send(new GetResourcesCommand({})),
  ]);
}

const rand = () => Math.random().toString(36).slice(2, 7);

async function stackDir(moto: string, stack: string, arch: Architecture): Promise<string> {
  const cwd = mkdtempSync(join(tmpdir(), 'wpdeploy-bench-'));
  const lines = [`stack: ${stack}`];
  if (arch.domain) {
    const zone = `${stack}.example.com`;
    await new Route53Client({ endpoint: moto, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } })
      .send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `${stack}-${Date.now()}` }));
    lines.push('domain:', `  name: www.${zone}`, `  hostedZone: ${zone}`);
  }
  lines.push('network:', `  natGateways: ${arch.natGateways}`, `  azCount: ${arch.azCount}`, `  flowLogs: ${arch.flowLogs}`);
  lines.push('database:', `  multiAz: ${arch.multiAz}`, `  proxy: ${arch.proxy}`);
  writeFileSync(join(cwd, 'wpdeploy.yml'), lines.join('\n') + '\n');
  return cwd;
}

// ---------------------------------------------------------------------------------------------
// Reporting

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const sec = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
const ratio = (a: number | undefined, b: number) => (a === undefined ? undefined : a / b);
const x2 = (r: number | undefined) => (r === undefined ? 'n/a' : `${r.toFixed(3)}x`);

interface Target {
  name: string;
  value: string;
  target: string;
  pass: boolean;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r, n) => {
    const line = r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    return n === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
  }).join('\n');
}

function chainText(r: RunReport): string {
  return r.criticalChain.map((c) => {
    const read = c.planMs !== undefined && c.planMs - c.startMs >= 50 ? `, ${sec(c.planMs - c.startMs)} reading` : '';
    const gap = c.gapMs >= 50 ? `, started ${sec(c.gapMs)} after what it waited for` : '';
    return `${c.step} ${sec(c.endMs - c.startMs)}${read || gap ? ` (${(read + gap).slice(2)})` : ''}`;
  }).join(' -> ');
}

function gantt(r: RunReport, bound: Bound, profile: Profile, title: string, subtitle: string, path: string): string[] {
  const svg = ganttSvg({
    title, subtitle, steps: r.steps, runStartMs: r.runStartMs, runDoneMs: r.runDoneMs, exitMs: r.wallMs,
    bound: { totalMs: bound.totalMs, path: bound.path }, critical: r.criticalChain.map((c) => c.step), scale: profile.scale,
  });
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, svg);
  const written = [path];
  try {
    const png = path.replace(/\.svg$/, '.png');
    execFileSync('rsvg-convert', ['-b', 'white', '-o', png, path], { stdio: 'ignore' });
    written.push(png);
  } catch {
    // no rsvg-convert: the SVG alone
  }
  return written;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const o = parseArgs(process.argv.slice(2));
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm run bench does).');
  const profile = makeProfile({ scale: o.scale, latencyMs: o.latencyMs });
  const began = Date.now();
  const loadAtStart = loadavg();
  let moto: { endpoint: string; pid?: number } | undefined;
  let sim: SimAws | undefined;
  const cleanup = async () => {
    await sim?.close();
    if (moto?.pid) {
      try {
        process.kill(moto.pid);
      } catch {
        // already gone
      }
    }
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    moto = o.moto ? { endpoint: o.moto } : startMoto();
    await warmMoto(moto.endpoint);
    sim = await startSimAws({ upstream: moto.endpoint, profile, strict: o.strict });
    const env = cliEnv(o.scale);
    const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
    const cli = async (label: string, cwd: string, state: string, args: string[], reverse = false): Promise<RunReport> => {
      sim!.resetCalls();
      log(`${label}: wpdeploy ${args.join(' ')}`);
      const s = await runNode([...args, '--endpoint-url', sim!.url, '--state', state, '--json', '--yes'], { cwd, env, rss: true });
      const r = report(label, s, sim!.counts(), [...sim!.calls], reverse);
      log(`${label}: exit ${s.code} after ${sec(s.wallMs)}`);
      if (!r.ok) log(`${label} failed:\n${r.stderrTail}`);
      return r;
    };

    const arch = o.arch;
    const stack = `bench-${rand()}`;
    const cwd = await stackDir(moto.endpoint, stack, arch);
    const state = join(cwd, 'state');
    const conc = o.concurrency ? ['--concurrency', String(o.concurrency)] : [];
    const up = await cli('fresh up', cwd, state, ['up', ...conc]);
    const noop = await cli('no-op up', cwd, state, ['up']);
    const status = await cli('status', cwd, state, ['status']);
    const down = await cli('down', cwd, state, ['down', ...conc], true);
    let upC1: RunReport | undefined;
    let downC1: RunReport | undefined;
    if (o.baseline) {
      const stack1 = `bench1-${rand()}`;
      const cwd1 = await stackDir(moto.endpoint, stack1, arch);
      upC1 = await cli('fresh up --concurrency 1', cwd1, join(cwd1, 'state'), ['up', '--concurrency', '1']);
      downC1 = await cli('down --concurrency 1', cwd1, join(cwd1, 'state'), ['down', '--concurrency', '1'], true);
    }
    const startup = async (flag: string) => {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) times.push((await runNode([flag], { cwd: ROOT, env: cliEnv(o.scale) })).wallMs);
      return { runsMs: times, medianMs: median(times) };
    };
    const version = await startup('--version');
    const help = await startup('--help');
    // What Node.js itself takes to start and exit on this machine now: the floor under --version.
    const nodeFloor: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      execFileSync(process.execPath, ['-e', '0']);
      nodeFloor.push(performance.now() - t0);
    }

    const ub = upBound(arch, profile);
    const db = downBound(arch, profile);
    const resources = up.resources ?? noop.resources ?? 0;
    const perResource = (n: number | undefined) => (n === undefined || !resources ? undefined : n / resources);
    const mb = (kb: number | undefined) => (kb === undefined ? undefined : kb / 1024);
    const targets: Target[] = [
      { name: 'fresh up / bound', value: x2(ratio(up.wallMs, ub.totalMs)), target: '<= 1.10x', pass: up.ok && up.wallMs <= 1.1 * ub.totalMs },
      { name: 'down / bound', value: x2(ratio(down.wallMs, db.totalMs)), target: '<= 1.15x', pass: down.ok && down.wallMs <= 1.15 * db.totalMs },
      { name: 'no-op up: mutating calls', value: `${noop.proxyCalls.mutating} (CLI says ${noop.cliCalls?.mutating ?? 'n/a'})`, target: '0', pass: noop.ok && noop.proxyCalls.mutating === 0 && (noop.cliCalls?.mutating ?? 0) === 0 },
      { name: 'no-op up: reads per resource', value: (perResource(noop.proxyCalls.read) ?? NaN).toFixed(2), target: '<= 1.5', pass: noop.ok && (perResource(noop.proxyCalls.read) ?? Infinity) <= 1.5 },
      { name: 'status: reads per resource', value: (perResource(status.proxyCalls.read) ?? NaN).toFixed(2), target: '<= 1.0', pass: status.ok && (perResource(status.proxyCalls.read) ?? Infinity) <= 1 },
      { name: '--version (median of 5)', value: `${version.medianMs.toFixed(0)} ms (node alone ${median(nodeFloor).toFixed(0)})`, target: '<= 150 ms', pass: version.medianMs <= 150 },
      { name: '--help (median of 5)', value: `${help.medianMs.toFixed(0)} ms (node alone ${median(nodeFloor).toFixed(0)})`, target: '<= 250 ms', pass: help.medianMs <= 250 },
      { name: 'peak RSS of up', value: `${(mb(up.peakRssKb) ?? NaN).toFixed(0)} MB`, target: '<= 200 MB', pass: (mb(up.peakRssKb) ?? Infinity) <= 200 },
    ];

    const runs = [up, noop, status, down, ...(upC1 ? [upC1] : []), ...(downC1 ? [downC1] : [])];
    const timing = table([
      ['run', 'wall (spawn->exit)', 'run-start->run-done', 'spawn->1st call', 'spawn->run-start', 'bound', 'wall/bound', 'events/bound'],
      ...[up, down, ...(upC1 ? [upC1] : []), ...(downC1 ? [downC1] : []), noop, status].map((r) => {
        const b = r === up || r === upC1 ? ub.totalMs : r === down || r === downC1 ? db.totalMs : undefined;
        return [`${r.label}${r.ok ? '' : ` (FAILED, exit ${r.exitCode})`}`, sec(r.wallMs), sec(r.eventsMs), sec(r.firstCallMs), sec(r.startupMs), b ? sec(b) : '', b ? x2(ratio(r.wallMs, b)) : '', b ? x2(ratio(r.eventsMs, b)) : ''];
      }),
    ]);
    const calls = table([
      ['run', 'CLI read', 'CLI mutating', 'proxy read', 'proxy mutating', 'resources', 'reads/resource', 'peak RSS', 'CPU time'],
      ...runs.map((r) => [r.label, String(r.cliCalls?.read ?? 'n/a'), String(r.cliCalls?.mutating ?? 'n/a'), String(r.proxyCalls.read), String(r.proxyCalls.mutating),
        String(resources), (perResource(r.proxyCalls.read) ?? NaN).toFixed(2), r.peakRssKb ? `${(r.peakRssKb / 1024).toFixed(0)} MB` : 'n/a', sec(r.cpuMs)]),
    ]);
    const verdicts = table([['target (issue #8)', 'measured', 'target', 'result'], ...targets.map((t) => [t.name, t.value, t.target, t.pass ? 'PASS' : 'FAIL'])]);

    const subtitle = (r: RunReport, b: Bound) =>
      `wall ${sec(r.wallMs)}, lower bound ${sec(b.totalMs)} (${x2(ratio(r.wallMs, b.totalMs))}); time scale ${profile.scale}, ${profile.latencyMs} ms per call; ${r.resources ?? '?'} steps, concurrency ${r.args.includes('--concurrency') ? r.args[r.args.indexOf('--concurrency') + 1] : 'default'}; ${new Date(began).toISOString().slice(0, 16)}Z`;
    const charts = [
      ...gantt(up, ub, profile, 'wpdeploy up (fresh) against the simulated AWS', subtitle(up, ub), o.svg),
      ...gantt(down, db, profile, 'wpdeploy down against the simulated AWS', subtitle(down, db), o.svg.replace(/up-gantt\.svg$/, 'down-gantt.svg').replace(/(?<!down-gantt)\.svg$/, '-down.svg')),
    ];

    const results = {
      date: new Date(began).toISOString(),
      machine: { cpus: cpus().length, node: process.version, loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg() },
      profile, architecture: arch, strict: o.strict,
      bounds: { up: ub, down: db },
      runs: { up, noopUp: noop, status, down, upConcurrency1: upC1, downConcurrency1: downC1 },
      startup: { version, help, nodeFloor: { runsMs: nodeFloor, medianMs: median(nodeFloor) } },
      targets,
      sim: { rewritten: sim.state.rewritten, errors: sim.state.errors, refused: sim.refused() },
      charts: charts.map((c) => c.replace(`${ROOT}/`, '')),
    };
    mkdirSync(dirname(o.out), { recursive: true });
    writeFileSync(o.out, JSON.stringify(results, null, 2) + '\n');

    const lines = [
      '',
      `wpdeploy benchmark against a simulated AWS: time scale ${profile.scale} (1 AWS minute = ${(60 / profile.scale).toFixed(2)} s), ${profile.latencyMs} ms per API call, ${o.strict ? 'AWS ordering rules enforced' : 'ordering rules off'}`,
      `architecture: ${arch.azCount} AZs, NAT ${arch.natGateways}, ${arch.domain ? 'domain (ACM + Route 53)' : 'no domain'}, RDS ${arch.multiAz ? 'Multi-AZ' : 'single-AZ'}${arch.proxy ? ' + RDS Proxy' : ''}, flow logs ${arch.flowLogs ? 'on' : 'off'}; ${resources} resources (steps)`,
      '',
      timing,
      '',
      calls,
      '',
      `node -e 0 (the floor on this machine now): median ${median(nodeFloor).toFixed(0)} ms; load average ${loadAtStart.map((l) => l.toFixed(1)).join(' ')} at the start, ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end (${cpus().length} cores)`,
      `--version: ${version.runsMs.map((t) => t.toFixed(0)).join(', ')} ms (median ${version.medianMs.toFixed(0)}); --help: ${help.runsMs.map((t) => t.toFixed(0)).join(', ')} ms (median ${help.medianMs.toFixed(0)})`,
      '',
      `lower bound of up (${sec(ub.totalMs)}): ${ub.path.map((p) => `${p.id} ${sec(p.endMs - p.startMs)}`).join(' -> ')}`,
      `up's critical chain as run: ${chainText(up)}`,
      `lower bound of down (${sec(db.totalMs)}): ${db.path.map((p) => `${p.id} ${sec(p.endMs - p.startMs)}`).join(' -> ')}`,
      `down's critical chain as run: ${chainText(down)}`,
      ...(upC1 ? [`up --concurrency 1: ${sec(upC1.wallMs)} = ${x2(ratio(upC1.wallMs, ub.totalMs))} the bound, ${x2(ratio(upC1.wallMs, up.wallMs))} the default concurrency`] : []),
      `simulated transitions answered: ${Object.entries(sim.state.rewritten).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}; simulator errors: ${sim.state.errors.length}; calls refused by the ordering rules: ${sim.refused().length}`,
      '',
      verdicts,
      '',
      `results: ${o.out.replace(`${ROOT}/`, '')}; charts: ${results.charts.join(', ')}; bench took ${sec(Date.now() - began)}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return runs.every((r) => r.ok) && sim.state.errors.length === 0 ? 0 : 1;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
