/**
 * Runs the built CLI as a person does: in a pseudo-terminal of COLS×ROWS (util-linux `script`), whose
 * exact byte stream is fed to a terminal emulator (xterm.js, headless). A test types keys (Ctrl-C is
 * "\x03": the terminal turns it into SIGINT, as a keyboard does) and reads the screen as it is at
 * the end: what the person sees, after every redraw, cursor move and erase.
 */
import { spawn } from 'node:child_process';
import xterm from '@xterm/headless';
import { BIN, cliEnv, type CliOptions } from './cli.js';

export interface TerminalOptions extends CliOptions {
  cols: number;
  rows: number;
}

export interface TerminalRun {
  /** Types keys into the terminal, e.g. "yes\r" or "\x03" (Ctrl-C). */
  type(keys: string): void;
  /** The screen now: `rows` lines, trailing blanks trimmed. */
  screen(): Promise<string[]>;
  /**
   * Resolves once the screen shows `text`, a line the terminal wrapped counted as one (rejects after
   * `timeoutMs`, or when the CLI ends first, with what the screen shows).
   */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Ends with the exit code, the final screen, and everything printed (scrollback included). */
  done: Promise<TerminalResult>;
}

export interface TerminalResult {
  code: number | null;
  /** The visible screen at the end: `rows` lines, trailing blanks trimmed. */
  screen: string[];
  /** The same, each row the terminal wrapped joined to the line it continues: the lines as printed. */
  lines: string[];
  /** Every line the terminal holds, scrollback included. */
  history: string[];
  /** The rows that continue a line the terminal wrapped because it was wider than the screen. */
  wrapped: string[];
  /** The raw bytes the terminal received. */
  raw: string;
}

/** The screen (`rows` lines, trailing blanks trimmed) a terminal of `cols`×`rows` shows after `bytes`. */
export async function screenOf(bytes: string, cols: number, rows: number): Promise<string[]> {
  const term = new xterm.Terminal({ cols, rows, allowProposedApi: true });
  // A terminal's line discipline turns "\n" into "\r\n" (onlcr), as the pseudo-terminal does for the CLI.
  await new Promise<void>((resolve) => term.write(bytes.replace(/\r?\n/g, '\r\n'), resolve));
  const buf = term.buffer.active;
  return Array.from({ length: rows }, (_, y) => buf.getLine(buf.viewportY + y)?.translateToString(true) ?? '');
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Starts the CLI in a terminal of `cols`×`rows` with a color-capable TERM and no CI variable. */
export function runInTerminal(args: string[], o: TerminalOptions): TerminalRun {
  const term = new xterm.Terminal({ cols: o.cols, rows: o.rows, allowProposedApi: true, scrollback: 10_000 });
  const env = cliEnv({ ...o, env: { CI: undefined, NO_COLOR: undefined, TERM: 'xterm-256color', ...o.env } });
  // `stty` sizes the pseudo-terminal before the CLI starts; `exec` makes the CLI the foreground process.
  const command = `stty cols ${o.cols} rows ${o.rows}; exec ${[process.execPath, BIN, ...args].map(quote).join(' ')}`;
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd: o.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let raw = '';
  let written = Promise.resolve();
  child.stdout.on('data', (d: Buffer) => {
    raw += d.toString('utf8');
    written = written.then(() => new Promise<void>((resolve) => term.write(d, resolve)));
  });
  let scriptErr = '';
  child.stderr.on('data', (d: Buffer) => (scriptErr += d.toString()));
  const lines = (from: number, to: number) => {
    const buf = term.buffer.active;
    const out: string[] = [];
    for (let y = from; y < to; y++) out.push(buf.getLine(y)?.translateToString(true) ?? '');
    return out;
  };
  /** The lines from `from` to `to`, each wrapped line joined to the one it continues. */
  const logical = (from: number, to: number) => {
    const buf = term.buffer.active;
    const out: string[] = [];
    for (let y = from; y < to; y++) {
      const line = buf.getLine(y);
      const text = line?.translateToString(true) ?? '';
      if (line?.isWrapped && out.length) out[out.length - 1] += text;
      else out.push(text);
    }
    return out;
  };
  const screen = async () => {
    await written;
    const top = term.buffer.active.viewportY;
    return lines(top, top + o.rows);
  };
  const done = new Promise<TerminalResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', async (code) => {
      if (code === null || (code !== 0 && !raw && scriptErr)) return reject(new Error(`script failed (${code}): ${scriptErr}`));
      const shown = await screen();
      const buf = term.buffer.active;
      const wrapped = lines(0, buf.length).filter((_, y) => buf.getLine(y)?.isWrapped);
      const top = buf.viewportY;
      resolve({ code, screen: shown, lines: logical(top, top + o.rows), history: lines(0, buf.length), wrapped, raw });
    });
  });
  // stdin stays open until the CLI ends: `script` would pass an end of file on to the terminal.
  void done.finally(() => child.stdin.end()).catch(() => {});
  return {
    type: (keys) => void child.stdin.write(keys),
    screen,
    async waitFor(text, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      const seen = (s: string[]) => (typeof text === 'string' ? s.some((l) => l.includes(text)) : s.some((l) => text.test(l)));
      for (;;) {
        const s = await screen();
        const top = term.buffer.active.viewportY;
        if (seen(logical(top, top + o.rows))) return;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the screen never showed ${String(text)}:\n${s.join('\n')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    done,
  };
}

/** Runs the CLI in a terminal to its end (no keys typed) and returns the final screen. */
export function terminalRun(args: string[], o: TerminalOptions): Promise<TerminalResult> {
  return runInTerminal(args, o).done;
}

/**
 * Lines of a screen with what changes from run to run (ids, times, ports, accounts, call counts)
 * replaced by stand-ins; `replace` adds to them (a string everywhere, or a RegExp with `g`).
 */
export function normalizeScreen(lines: string[], replace: Array<[RegExp | string, string]> = []): string {
  let text = lines.join('\n').replace(/\n+$/, '');
  for (const [from, to] of replace) text = typeof from === 'string' ? text.split(from).join(to) : text.replace(from, to);
  return text
    .replace(/\b\d{12}\b/g, '<account>')
    .replace(/\b(vpc|subnet|igw|nat|eipalloc|rtb|sg|acl|fs|fsap|fsmt|fl|lt|i|eni|rtbassoc)-[0-9a-f]{8,17}\b/g, '$1-<id>')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<uuid>')
    .replace(/:\d{4,5}\b/g, ':<port>')
    .replace(/\b\d+m\d{2}s\b|\b\d+s\b/g, '<t>')
    .replace(/\b\d{4}-\d\d-\d\dT[\d:.]+Z\b/g, '<time>')
    .replace(/\b\d{14}\b/g, '<timestamp>')
    .replace(/AWS API calls: \d+ read, \d+ mutating/g, 'AWS API calls: <n> read, <n> mutating');
}
