/**
 * The terminal helper (test/support/terminal.ts) itself: the CLI runs in a real pseudo-terminal of the
 * size asked, and the screen is what a terminal shows after the bytes (wrapping at the width, Ctrl-C
 * delivered as SIGINT). The CLI's terminal behaviour is tested with it in test/e2e/terminal.test.ts.
 */
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { workdir } from '../support/cli.js';
import { normalizeScreen, runInTerminal, terminalRun } from '../support/terminal.js';

describe('runInTerminal', () => {
  it('gives the CLI a terminal of the size asked, and the screen wraps the help at that width', async () => {
    const r = await terminalRun(['--help'], { cwd: workdir(), cols: 60, rows: 20 });
    expect(r.code).toBe(0);
    expect(r.screen).toHaveLength(20);
    expect(Math.max(...r.history.map((l) => l.length))).toBeLessThanOrEqual(60);
    expect(r.history.join('\n')).toContain('Usage: wpdeploy');
    // The last lines of the help are on the screen at the end; the first scrolled away on 20 rows.
    expect(r.screen.join('\n')).toContain('wpdeploy diagram -o stack.svg');
  });

  it('types keys into the terminal: a prompt waits for the answer, which the CLI reads', async () => {
    const t = runInTerminal(['down', '--stack', 'tty-helper'], { cwd: workdir(), cols: 80, rows: 24, endpoint: 'http://127.0.0.1:9' });
    await t.waitFor(/continue|yes/i);
    t.type('no\r');
    const r = await t.done;
    expect(r.code).toBe(1);
    // The answer is echoed where it was typed, and the refusal follows it on the screen.
    expect(r.screen.join('\n')).toMatch(/: no\n(.*\n)*.*(cancel|nothing was changed)/i);
  });

  it('delivers Ctrl-C as SIGINT: twice ends a run that waits on AWS at once (exit 130)', async () => {
    // An endpoint that accepts connections and never answers: the CLI waits until interrupted.
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    try {
      const t = runInTerminal(['plan', '--stack', 'tty-helper'], { cwd: workdir(), cols: 80, rows: 24, endpoint: `http://127.0.0.1:${port}` });
      await new Promise((r) => setTimeout(r, 1500));
      t.type('\x03');
      await t.waitFor('interrupted');
      t.type('\x03');
      const r = await t.done;
      expect(r.code).toBe(130);
      expect(r.raw).toContain('^C');
    } finally {
      silent.close();
    }
  });

  it('normalizes what changes between runs', () => {
    expect(normalizeScreen(['vpc-0a1b2c3d4e5f6a7b8 in 1m05s, account 123456789012 at http://127.0.0.1:41234', ''])).toBe(
      'vpc-<id> in <t>, account <account> at http://127.0.0.1:<port>',
    );
  });
});
