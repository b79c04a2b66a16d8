/** Colors and symbols, off with NO_COLOR or when the stream is not a terminal. */
export interface Style {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
  cyan(s: string): string;
}

export function makeStyle(enabled: boolean): Style {
  const wrap = (open: number, close: number) => (s: string) => (enabled ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return { green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39), dim: wrap(2, 22), bold: wrap(1, 22), cyan: wrap(36, 39) };
}

export function colorEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return !('NO_COLOR' in env && env.NO_COLOR !== '') && !!stream.isTTY && env.TERM !== 'dumb';
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(s % 60).padStart(2, '0')}s`;
}

export function formatValue(v: unknown): string {
  if (v === undefined) return '(none)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** The text without its color codes. */
export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

/**
 * Wraps plain text to lines of at most `width` characters, breaking at spaces where it can (a word
 * longer than a line is cut); lines after the first start with `indent`.
 */
export function wrapText(text: string, width: number, indent = ''): string[] {
  const out: string[] = [];
  let line = '';
  const room = () => Math.max(1, width - (out.length ? indent.length : 0));
  for (const word of text.split(' ')) {
    let w = word;
    if (line && line.length + 1 + w.length > room()) {
      out.push(line);
      line = '';
    }
    while (w.length > room()) {
      const cut = room() - line.length - (line ? 1 : 0);
      out.push(line ? `${line} ${w.slice(0, cut)}` : w.slice(0, cut));
      line = '';
      w = w.slice(cut);
    }
    line = line ? `${line} ${w}` : w;
  }
  out.push(line);
  return out.map((l, i) => (i ? indent + l : l));
}

/**
 * Cuts text with few spaces (an ARN, a bucket name) into lines of at most `width` characters, after
 * one of the characters `after` where it can (past a third of the line), else at the width.
 */
export function cutLines(text: string, width: number, after = ' /:,-'): string[] {
  width = Math.max(1, width);
  const out: string[] = [];
  let rest = text;
  while (rest.length > width) {
    const head = rest.slice(0, width);
    const at = Math.max(...[...after].map((c) => head.lastIndexOf(c)));
    const cut = at >= width / 3 ? at + 1 : width;
    out.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  return [...out, rest];
}
