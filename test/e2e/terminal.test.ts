/**
 * What a person sees in a real terminal: the built CLI runs in a pseudo-terminal of 80×24 and of
 * 160×50 (test/support/terminal.ts), with the live display on, and the test reads the final screen
 * after every redraw. The results a command prints must be on it, and no line may be wider than it.
 *
 * The final screens are kept in test/fixtures/screens/ (ids, times, ports and counts replaced by
 * stand-ins); regenerate them with `UPDATE_SCREENS=1 npx vitest run test/e2e/terminal.test.ts`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startProxy, type AwsProxy } from '../support/aws-proxy.js';
import { runCli, uniqueStack, workdir } from '../support/cli.js';
import { normalizeScreen, runInTerminal, terminalRun, type TerminalResult } from '../support/terminal.js';

const moto = inject('motoEndpoint');
let proxy: AwsProxy;

beforeAll(async () => {
  proxy = await startProxy(moto);
});
afterAll(async () => {
  await proxy.close();
});

const SCREENS = new URL('../fixtures/screens/', import.meta.url);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The screen against its golden file (written instead when UPDATE_SCREENS is set); with `from`, the
 * screen from the first line that matches it (what comes before depends on timing).
 */
function expectScreen(name: string, r: TerminalResult, stack: string, from?: RegExp): void {
  const lines = from ? r.lines.slice(Math.max(0, r.lines.findIndex((l) => from.test(l)))) : r.lines;
  const text = normalizeScreen(lines, [
    [stack, '<stack>'],
    [/secret:wpdeploy\/<stack>\/([\w-]+)-\w{6}\b/g, 'secret:wpdeploy/<stack>/$1-<suffix>'],
    [/\b[0-9a-f]{16}\/\d{16,17}\b|\b[0-9a-f]{16}\b/g, '<id>'],
    // Which steps find their resource already gone (deleted with another) depends on timing.
    [/\d+ deleted, (\d+ kept, )?\d+ already gone/g, '<n> deleted, $1<n> already gone'],
  ]) + '\n';
  const file = new URL(`${name}.txt`, SCREENS);
  if (process.env.UPDATE_SCREENS || !existsSync(file)) {
    mkdirSync(SCREENS, { recursive: true });
    writeFileSync(file, text);
  }
  expect(text, `the screen differs from test/fixtures/screens/${name}.txt (UPDATE_SCREENS=1 regenerates it)`).toBe(readFileSync(file, 'utf8'));
}

/** No line on the screen or in the scrollback is wider than the terminal (a wider one would wrap). */
function fitsWidth(r: TerminalResult, cols: number): void {
  // xterm wraps a longer line onto the next row, which it marks as a continuation.
  const widest = Math.max(...r.history.map((l) => l.length));
  expect(widest).toBeLessThanOrEqual(cols);
  expect(r.wrapped, `lines wrapped by the terminal:\n${r.wrapped.join('\n')}`).toEqual([]);
}

describe.each([
  [80, 24],
  [160, 50],
])('in a terminal of %i×%i', (cols, rows) => {
  const stack = uniqueStack(`tty${cols}`);
  const cwd = workdir('wpdeploy-tty-');
  const size = `${cols}x${rows}`;
  const term = (...args: string[]) => terminalRun([...args, '--stack', stack], { cwd, cols, rows, endpoint: proxy.url });

  it('up, answered "yes", ends with its summary and the Site: line on the screen', async () => {
    const t = runInTerminal(['up', '--stack', stack], { cwd, cols, rows, endpoint: proxy.url });
    await t.waitFor('Apply? (yes/no)');
    t.type('yes\r');
    const r = await t.done;
    expect(r.code, r.history.join('\n')).toBe(0);
    const screen = r.screen.join('\n');
    expect(screen).toMatch(new RegExp(`Stack ${stack} is up to date after`));
    expect(screen).toMatch(/^Site: http:\/\//m);
    expectScreen(`up-${size}`, r, stack);
  });

  it('plan ends with the plan line on the screen', async () => {
    const r = await term('plan');
    expect(r.code, r.history.join('\n')).toBe(0);
    expect(r.screen.join('\n')).toMatch(/^(No changes|Plan: )/m);
    expectScreen(`plan-${size}`, r, stack);
  });

  it('status ends with the last row of its table on the screen, and fits the width', async () => {
    const r = await term('status');
    expect(r.code, r.history.join('\n')).toBe(0);
    expect(r.screen.join('\n')).toMatch(/^Database: +available/m);
    fitsWidth(r, cols);
    expectScreen(`status-${size}`, r, stack);
  });

  it('down ends with the kept-data block on the screen', async () => {
    const r = await term('down', '--yes');
    expect(r.code, r.history.join('\n')).toBe(0);
    const screen = r.screen.join('\n');
    expect(screen).toContain('Kept, because it holds your data');
    expect(screen).toMatch(/^About \$\d+\.\d\d a month/m);
    expect(screen).not.toMatch(/secret.*deleted/);
    expectScreen(`down-${size}`, r, stack, /^Stack .* removed in/);
    const purge = await runCli(['down', '--purge', '--yes', '--stack', stack], { cwd, endpoint: proxy.url });
    expect(purge.code, purge.stderr).toBe(0);
  });

  it('Ctrl-C during up ends with the hint to resume on the screen, and the warning on a line of its own', async () => {
    const stopped = uniqueStack(`ctc${cols}`);
    proxy.intercept(async () => {
      await sleep(40); // a slower AWS, so there is a "mid-way"
      return undefined;
    });
    try {
      const t = runInTerminal(['up', '--stack', stopped], { cwd, cols, rows, endpoint: proxy.url });
      await t.waitFor('Apply? (yes/no)');
      t.type('yes\r');
      await t.waitFor(/^\s*[1-9]\d* done|created/);
      t.type('\x03');
      const r = await t.done;
      expect(r.code, r.history.join('\n')).toBe(130);
      const screen = r.screen.join('\n');
      expect(screen).toMatch(new RegExp(`^Run \`wpdeploy up .*--stack ${stopped}.*\` again to resume\\.`, 'm'));
      expect(screen).toMatch(/interrupted after/);
      // The warning starts its own line (the echoed ^C is erased by the redraw, not written over).
      expect(r.history.filter((l) => l.includes('! interrupted'))).toEqual([expect.stringMatching(/^! interrupted: finishing/)]);
    } finally {
      proxy.intercept(undefined);
    }
    const purge = await runCli(['down', '--purge', '--yes', '--stack', stopped], { cwd, endpoint: proxy.url });
    expect(purge.code, purge.stderr).toBe(0);
  });
});

describe('against the emulator itself (no shim filling in what it drops)', () => {
  // Its own emulator, as a user's --local has: a fresh account, whose quotas (moto answers the VPC
  // ones) the other test files' stacks do not use up.
  let own: { endpoint: string; pid: number };
  beforeAll(() => {
    const out = execFileSync('bash', [fileURLToPath(new URL('../../scripts/emulator.sh', import.meta.url)), 'start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const m = /endpoint=(\S+) pid=(\d+)/.exec(out)!;
    own = { endpoint: m[1]!, pid: Number(m[2]) };
  });
  afterAll(() => process.kill(own.pid));

  it('a converged stack plans no change (plan --detailed-exitcode exits 0) and says which settings it could not compare', async () => {
    const stack = uniqueStack('emu');
    const cwd = workdir('wpdeploy-emu-');
    const up = await runCli(['up', '--stack', stack], { cwd, endpoint: own.endpoint });
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/^Site: http:\/\/\S+ \(simulated: the emulator runs no containers/m);
    const plan = await runCli(['plan', '--detailed-exitcode', '--stack', stack], { cwd, endpoint: own.endpoint });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stderr).toMatch(/ecs-service: the endpoint does not report the service's [\w, ]*enableECSManagedTags, so they are not compared/);
    const purge = await runCli(['down', '--purge', '--yes', '--stack', stack], { cwd, endpoint: own.endpoint });
    expect(purge.code, purge.stderr).toBe(0);
  });
});
