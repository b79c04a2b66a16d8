/**
 * `wpdeploy logs` end to end: the built CLI deploys a stack against the emulator through the
 * recording proxy, the test writes log lines into the app log group as the awslogs driver would
 * (stream `<prefix>/<container>/<task id>`), and `logs` prints them with their task ids: by default
 * the last 10 minutes, `--since` another window, `--json` one object per line, `--follow` the new ones
 * until Ctrl-C. A bad `--since` reaches no AWS; a stack never deployed says to run `wpdeploy up`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CONTAINER, appNames } from '../../src/resources/stack-app.js';
import { validateConfig } from '../../src/config/load.js';
import { startProxy, type AwsProxy } from '../support/aws-proxy.js';
import { runCli, startCli, uniqueStack, workdir } from '../support/cli.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const moto = inject('motoEndpoint');
/** Reports on stderr each AWS SDK package the CLI loads (`AWS SDK loaded: …`). */
const SDK_RECORDER = fileURLToPath(new URL('../support/sdk-recorder.mjs', import.meta.url));
let proxy: AwsProxy;
const cwl = new CloudWatchLogsClient({ endpoint: moto, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });

beforeAll(async () => {
  proxy = await startProxy(moto);
});
afterAll(async () => {
  cwl.destroy();
  await proxy.close();
});

/** Where the awslogs driver of a task writes (stack-app.ts: stream prefix = container name). */
const streamOf = (taskId: string) => `${CONTAINER}/${CONTAINER}/${taskId}`;

async function write(group: string, taskId: string, events: Array<{ timestamp: number; message: string }>, create = true) {
  if (create) await cwl.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: streamOf(taskId) }));
  await cwl.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: streamOf(taskId), logEvents: events }));
}

describe('logs of a deployed stack', () => {
  const stack = uniqueStack('logs');
  const cwd = workdir();
  const run = (...args: string[]) => runCli([...args, '--stack', stack], { cwd, endpoint: proxy.url });
  const group = appNames(validateConfig({ stack })).logGroup;
  const taskA = '3f2a9c1e0b7d4e6f8a1b2c3d4e5f6a7b';
  const taskB = '9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b';
  // Timestamps are set when the lines are written (after `up`), as offsets from then.
  const recent = [
    { task: taskA, ago: 5 * 60_000, timestamp: 0, message: '10.20.0.17 - - "GET / HTTP/1.1" 200 5120' },
    { task: taskB, ago: 3 * 60_000, timestamp: 0, message: '[core:notice] AH00094: Command line: apache2 -D FOREGROUND' },
    { task: taskA, ago: 60_000, timestamp: 0, message: '10.20.32.4 - - "GET /wp-includes/images/blank.gif HTTP/1.1" 200 43' },
  ];
  const old = { task: taskB, ago: 90 * 60_000, timestamp: 0, message: 'WordPress not found in /var/www/html - copying now...' };
  const lineOf = (e: { task: string; timestamp: number; message: string }) => `${new Date(e.timestamp).toISOString()} ${e.task} ${e.message}`;

  it('up deploys the stack, then the test writes container log lines into its app log group', async () => {
    const r = await run('up');
    expect(r.code, r.stderr).toBe(0);
    expect(group).toBe(`/wpdeploy/${stack}/wordpress`);
    const now = Date.now();
    for (const e of [...recent, old]) e.timestamp = now - e.ago;
    await write(group, taskA, recent.filter((e) => e.task === taskA).map(({ timestamp, message }) => ({ timestamp, message })));
    await write(group, taskB, [old, ...recent.filter((e) => e.task === taskB)].map(({ timestamp, message }) => ({ timestamp, message })));
  });

  it('logs prints the last 10 minutes, in time order, each line with its task id, making only reads', async () => {
    proxy.reset();
    const r = await runCli(['logs', '--stack', stack], { cwd, endpoint: proxy.url, env: { NODE_OPTIONS: `--import ${SDK_RECORDER}` } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(recent.map(lineOf));
    // who the caller is, then one read of the log group: no zones, no steps
    expect(proxy.calls.map((c) => c.operation).sort()).toEqual(['FilterLogEvents', 'GetCallerIdentity']);
    // and only the two SDK clients it calls are loaded
    const clients = [...r.stderr.matchAll(/AWS SDK loaded: (@aws-sdk\/client-[a-z0-9-]+)/g)].map((m) => m[1]);
    expect([...new Set(clients)].sort()).toEqual(['@aws-sdk/client-cloudwatch-logs', '@aws-sdk/client-sts']);
    expect(readdirSync(join(cwd, 'state')).filter((f) => f.endsWith('.lock'))).toEqual([]);
  });

  it('--since widens or narrows the window', async () => {
    const wide = await run('logs', '--since', '2h');
    expect(wide.code, wide.stderr).toBe(0);
    expect(wide.stdout.trim().split('\n')).toEqual([old, ...recent].map(lineOf));
    const narrow = await run('logs', '--since', '150s');
    expect(narrow.code, narrow.stderr).toBe(0);
    expect(narrow.stdout.trim().split('\n')).toEqual([lineOf(recent[2]!)]);
    const none = await run('logs', '--since', '30s');
    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout).toBe('');
    // Said on stderr, so that stdout stays log lines only; the test runs against an emulator's endpoint.
    expect(none.stderr).toContain('no log lines in the last 30s (the emulator runs no containers, so none write any).');
    expect(wide.stderr).not.toContain('no log lines');
  });

  it('--json prints one {time, taskId, message} object per line', async () => {
    const r = await run('logs', '--json', '--since', '1d');
    expect(r.code, r.stderr).toBe(0);
    const objects = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(objects).toEqual([old, ...recent].map((e) => ({ time: new Date(e.timestamp).toISOString(), taskId: e.task, message: e.message })));
  });

  it('--follow prints new lines once each as they come, and Ctrl-C ends it with exit 0', async () => {
    const cli = startCli(['logs', '--follow', '--stack', stack], { cwd, endpoint: proxy.url, env: { WPDEPLOY_TIME_SCALE: '4' } });
    const seen: string[] = [];
    const waitFor = (n: number) => new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`saw ${seen.length} lines, not ${n}: ${seen.join(' | ')}`)), 30_000);
      const check = () => { if (seen.length >= n) { clearTimeout(t); resolve(); } };
      cli.onLine((l) => { seen.push(l); check(); });
      check();
    });
    await waitFor(recent.length);
    const fresh = [
      { task: taskB, timestamp: Date.now(), message: '10.20.0.17 - - "POST /wp-login.php HTTP/1.1" 302 0' },
      { task: taskB, timestamp: Date.now() + 1, message: '10.20.0.17 - - "GET /wp-admin/ HTTP/1.1" 200 9001' },
    ];
    await write(group, taskB, fresh, false);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`new lines not printed: ${seen.join(' | ')}`)), 30_000);
      const check = () => { if (seen.length >= recent.length + fresh.length) { clearTimeout(t); resolve(); } };
      cli.onLine(check);
      check();
    });
    // a few more polls: nothing printed twice
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    cli.child.kill('SIGINT');
    const r = await cli.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([...recent, ...fresh].map(lineOf));
  });

  it('a bad --since is refused with exit 2 before any AWS call', async () => {
    proxy.reset();
    const r = await run('logs', '--since', '10x');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--since "10x"');
    expect(r.stderr).toMatch(/30s.*10m.*2h.*1d/);
    expect(proxy.calls).toEqual([]);
  });

  it('down --purge --yes removes the stack', async () => {
    const r = await run('down', '--purge', '--yes');
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(cwd, 'state', `${stack}.json`))).toBe(false);
  });
});

describe('logs of a stack never deployed', () => {
  it('exits 1 naming the stack and `wpdeploy up`, and writes no state', async () => {
    const cwd = workdir();
    const stack = uniqueStack('nologs');
    proxy.reset();
    const r = await runCli(['logs', '--stack', stack], { cwd, endpoint: proxy.url });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`stack ${stack}`);
    expect(r.stderr).toContain(`wpdeploy up --stack ${stack}`);
    expect(r.stdout).toBe('');
    expect(proxy.calls.map((c) => c.operation).sort()).toEqual(['FilterLogEvents', 'GetCallerIdentity']);
    expect(existsSync(join(cwd, 'state'))).toBe(false);
  });
});
