/**
 * Progress renderers. The engine emits events; one of these prints them:
 * - json: one JSON object per line (docs/commands.md documents the schema);
 * - plain: one timestamped line per state change, no control characters (CI, pipes, NO_COLOR);
 * - live: a redrawn tree of steps with state, elapsed time and an ETA for slow steps (a terminal).
 */
import type { TimedEvent } from '../engine/events.js';
import type { Operation } from '../resources/types.js';
import { formatDuration, formatValue, makeStyle, stripAnsi, wrapText, type Style } from './style.js';

export interface Renderer {
  onEvent(e: TimedEvent): void;
  /**
   * Stops any redraw loop and draws the final frame, once: after it, the terminal belongs to what the
   * command prints. The live renderer also closes itself on `run-done`, before results are printed.
   */
  close(): void;
}

const VERB: Record<Operation, [string, string]> = {
  create: ['creating', 'created'],
  update: ['updating', 'updated'],
  replace: ['replacing', 'replaced'],
  delete: ['deleting', 'deleted'],
  same: ['checking', 'unchanged'],
};

export function jsonRenderer(out: NodeJS.WritableStream): Renderer {
  return { onEvent: (e) => void out.write(JSON.stringify(e) + '\n'), close: () => {} };
}

/** Only warnings and failures, for commands whose output is a final table or document. */
export function quietRenderer(out: NodeJS.WritableStream): Renderer {
  return {
    onEvent(e) {
      if (e.type === 'warning') out.write(`warning: ${e.step ? `${e.step}: ` : ''}${e.message}\n`);
      if (e.type === 'step-failed') out.write(`${e.step}: FAILED: ${e.error}\n`);
    },
    close: () => {},
  };
}

function describeChanges(e: Extract<TimedEvent, { type: 'step-plan' }>): string {
  if (e.changes.length) return e.changes.map((c) => `${c.field}: ${formatValue(c.from)} -> ${formatValue(c.to)}`).join(', ');
  return e.reason ?? '';
}

/** One line per state change: `2026-11-27T11:00:00.000Z vpc: creating (does not exist yet)`. */
export function plainRenderer(out: NodeJS.WritableStream, dryRun = false): Renderer {
  const line = (e: TimedEvent, text: string) => void out.write(`${e.time} ${text}\n`);
  return {
    onEvent(e) {
      switch (e.type) {
        case 'run-start':
          line(e, `${e.command} stack ${e.stack} in ${e.region}, account ${e.account}${e.endpoint ? ` at ${e.endpoint}` : ''}: ${e.steps.length} steps`);
          break;
        case 'step-plan':
          if (e.op !== 'same' && !dryRun) {
            const why = describeChanges(e);
            line(e, `${e.step}: ${VERB[e.op][0]}${e.id ? ` ${e.id}` : ''}${why ? ` (${why})` : ''}${e.expectedMs ? `, usually ${formatDuration(e.expectedMs)}` : ''}`);
          }
          break;
        case 'step-progress':
          line(e, `${e.step}: ${e.message} (${formatDuration(e.elapsedMs)})`);
          break;
        case 'step-done':
          if (!dryRun) line(e, `${e.step}: ${e.message ?? VERB[e.op][1]}${e.id ? ` ${e.id}` : ''} in ${formatDuration(e.elapsedMs)}`);
          break;
        case 'step-failed':
          line(e, `${e.step}: FAILED: ${e.error}`);
          break;
        case 'step-skipped':
          line(e, `${e.step}: skipped (${e.reason})`);
          break;
        case 'warning':
          line(e, `warning: ${e.step ? `${e.step}: ` : ''}${e.message}`);
          break;
        default:
          break;
      }
    },
    close: () => {},
  };
}

interface Row {
  id: string;
  /** `planned`: decided in a dry run (plan, status), nothing to wait for. */
  status: 'waiting' | 'reading' | 'working' | 'planned' | 'done' | 'failed' | 'skipped';
  op?: Operation;
  text: string;
  startedAt?: number;
  expectedMs?: number;
  elapsedMs?: number;
}

const PLANNED: Record<Operation, string> = { create: '+', update: '~', replace: '±', delete: '-', same: '=' };

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** The live renderer's steps: one row each, and how deep under its dependencies each is drawn. */
interface Tree {
  rows: Map<string, Row>;
  depth: Map<string, number>;
}

/** One row of the tree: indent, mark, step id, text, and the time (elapsed, or elapsed / expected). */
function rowLine(tree: Tree, r: Row, st: Style, frame: number): string {
  const indent = '  '.repeat(tree.depth.get(r.id) ?? 0);
  let mark: string;
  let time = '';
  switch (r.status) {
    case 'waiting': mark = st.dim('·'); break;
    case 'reading': mark = st.cyan(SPINNER[frame % SPINNER.length]!); break;
    case 'working': {
      mark = st.cyan(SPINNER[frame % SPINNER.length]!);
      const el = Date.now() - (r.startedAt ?? Date.now());
      time = formatDuration(el) + (r.expectedMs ? st.dim(` / ~${formatDuration(r.expectedMs)}`) : '');
      break;
    }
    case 'planned': mark = r.op === 'same' || !r.op ? st.dim('=') : st.yellow(PLANNED[r.op]); break;
    case 'done': mark = r.op === 'same' ? st.dim('✓') : st.green('✓'); time = r.elapsedMs !== undefined && r.op !== 'same' ? formatDuration(r.elapsedMs) : ''; break;
    case 'failed': mark = st.red('✗'); break;
    case 'skipped': mark = st.yellow('-'); break;
  }
  return `${indent}${mark} ${r.id.padEnd(28 - indent.length)} ${r.text}${time ? `  ${time}` : ''}`;
}

/** The rows that fit in `room` lines: all of them, or (on a short terminal) a count and the ones that matter now. */
function visibleRows(all: Row[], room: number, final: boolean, st: Style, line: (r: Row) => string): string[] {
  if (all.length <= room) return all.map(line);
  const count = (st2: Row['status']) => all.filter((r) => r.status === st2).length;
  const also = (n: number, what: string) => (n ? ` · ${n} ${what}` : '');
  const summary = st.dim(`${count('done') + count('planned')} done · ${count('working') + count('reading')} running · ${count('waiting')} waiting${also(count('skipped'), 'skipped')}${also(count('failed'), 'failed')}`);
  const active = all.filter((r) => r.status === 'working' || r.status === 'reading' || r.status === 'failed' || r.status === 'skipped');
  const changed = all.filter((r) => (r.status === 'done' || r.status === 'planned') && r.op !== 'same');
  const pick = final ? [...changed, ...active] : [...active, ...changed.slice(-Math.max(0, room - 1 - active.length))];
  return [summary, ...pick.slice(0, room - 1).map(line)];
}

/** Applies an event about steps to the tree's rows (the run's step list, and each step's state changes). */
function applyStepEvent(tree: Tree, e: TimedEvent, st: Style, dryRun: boolean): void {
  const { rows, depth } = tree;
  const row = 'step' in e && e.step ? rows.get(e.step) : undefined;
  switch (e.type) {
    case 'run-start':
      for (const s of e.steps) {
        const d = s.dependsOn.length ? Math.max(...s.dependsOn.map((x) => (depth.get(x) ?? 0) + 1)) : 0;
        depth.set(s.id, Math.min(d, 6));
        rows.set(s.id, { id: s.id, status: 'waiting', text: st.dim('waiting') });
      }
      break;
    case 'step-start':
      rows.set(e.step, { ...(row ?? { id: e.step }), status: 'reading', text: st.dim(e.phase === 'delete' ? 'looking up' : 'reading') });
      break;
    case 'step-plan':
      if (!row) break;
      row.op = e.op;
      if (dryRun || e.op === 'same') {
        row.text = e.op === 'same' ? st.dim('unchanged') : `${e.op}: ${describeChanges(e)}`;
        // In a dry run the decision is the end of the step (no step-done follows).
        if (dryRun) row.status = 'planned';
      }
      else {
        row.status = 'working';
        row.startedAt = Date.now();
        row.expectedMs = e.expectedMs;
        row.text = `${VERB[e.op][0]}${e.id ? ` ${e.id}` : ''}${e.changes.length ? st.dim(` (${describeChanges(e)})`) : ''}`;
      }
      break;
    case 'step-progress':
      if (row) row.text = `${row.op ? VERB[row.op][0] : 'working'}: ${e.message}`;
      break;
    case 'step-done':
      if (row) Object.assign(row, { status: 'done', elapsedMs: e.elapsedMs, text: `${e.message ?? VERB[e.op][1]}${e.id ? ` ${st.dim(e.id)}` : ''}` });
      break;
    case 'step-failed':
      if (row) Object.assign(row, { status: 'failed', text: st.red(e.error) });
      break;
    case 'step-skipped':
      if (row) Object.assign(row, { status: 'skipped', text: st.yellow(`skipped: ${e.reason}`) });
      break;
    default:
      break;
  }
}

/** A live tree of steps for a terminal, redrawn in place. */
export function liveRenderer(out: NodeJS.WriteStream, color: boolean, dryRun = false): Renderer {
  const st: Style = makeStyle(color);
  const tree: Tree = { rows: new Map(), depth: new Map() };
  const notes: string[] = [];
  let header = '';
  let drawn = 0;
  let frame = 0;
  const line = (r: Row) => rowLine(tree, r, st, frame);
  const width = () => Math.max(20, (out.columns || 120) - 1);
  /** Cuts a line of the frame to the terminal's width (a wrapped line would break the redraw). */
  const fit = (l: string) => {
    const plain = stripAnsi(l);
    return plain.length <= width() ? l : `${plain.slice(0, width() - 1)}…`;
  };
  /** A warning, wrapped at the terminal's width: it is printed once and never redrawn. */
  const note = (text: string) => wrapText(text, width(), '  ').map((l) => `${st.yellow(l)}\n`).join('');
  let closed = false;
  const draw = (final = false) => {
    // Until the run starts there is no frame: only the warnings so far.
    if (!header) return void out.write(notes.splice(0).join(''));
    frame++;
    const room = Math.max(5, (out.rows || 40) - 3);
    const lines = [header, ...visibleRows([...tree.rows.values()], room, final, st, line)].map(fit);
    // Back to the first column of the frame's first line (`\r`: the terminal may have echoed ^C).
    if (drawn > 0) out.write(`\r\u001b[${drawn}A`);
    // Notes (warnings) are printed once above the block and scroll away; the block is redrawn in place.
    // Each line overwrites the old one and erases its rest (ESC[K); what is left below goes (ESC[J).
    // Erasing line by line, not the whole screen from its top, keeps a terminal such as tmux from
    // pushing every frame into its scrollback.
    const text = notes.splice(0).join('') + lines.map((l) => `${l}\n`).join('');
    out.write(`${text.replace(/\n/g, '\u001b[K\n')}\u001b[J`);
    drawn = lines.length;
  };
  const timer = setInterval(() => draw(), 120);
  timer.unref();
  /** The final frame, drawn once; nothing is redrawn after it, so what follows stays on screen. */
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    draw(true);
  };
  return {
    onEvent(e) {
      if (e.type === 'run-start') {
        header = st.bold(`${e.command} ${e.stack}`) + st.dim(` · ${e.region} · account ${e.account}${e.endpoint ? ` · ${e.endpoint}` : ''}`);
      }
      applyStepEvent(tree, e, st, dryRun);
      if (e.type === 'warning') {
        const text = note(`! ${e.step ? `${e.step}: ` : ''}${e.message}`);
        // After the final frame a warning goes below it, as any other line.
        if (closed) out.write(text);
        else notes.push(text);
      }
      if (e.type === 'run-done') finish();
    },
    close: finish,
  };
}
