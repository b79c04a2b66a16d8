/**
 * The progress renderers, against expected-output files (test/fixtures/*.txt): what a person sees in
 * CI (plain lines), and the screen a terminal emulator shows after the live tree's bytes (colors off). A fixed sequence of
 * engine events at fixed times feeds them.
 */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { TimedEvent } from '../../src/engine/events.js';
import { jsonRenderer, liveRenderer, plainRenderer } from '../../src/ui/renderers.js';
import { cutLines, wrapText } from '../../src/ui/style.js';
import { screenOf } from '../support/terminal.js';

const at = (s: number) => new Date(Date.UTC(2026, 10, 27, 12, 0, s)).toISOString();
const EVENTS: TimedEvent[] = [
  { type: 'run-start', time: at(0), command: 'up', stack: 'blog', region: 'eu-west-3', account: '123456789012', steps: [
    { id: 'vpc', kind: 'ec2:vpc', dependsOn: [] },
    { id: 'subnet-public-a', kind: 'ec2:subnet', dependsOn: ['vpc'] },
    { id: 'nat-a', kind: 'ec2:nat-gateway', dependsOn: ['subnet-public-a'], expectedMs: 120_000 },
    { id: 'db', kind: 'rds:db-instance', dependsOn: ['vpc'], expectedMs: 900_000 },
  ] },
  { type: 'step-start', time: at(1), step: 'vpc', kind: 'ec2:vpc', phase: 'read' },
  { type: 'step-plan', time: at(1), step: 'vpc', kind: 'ec2:vpc', op: 'same', id: 'vpc-1', changes: [] },
  { type: 'step-done', time: at(1), step: 'vpc', kind: 'ec2:vpc', op: 'same', id: 'vpc-1', elapsedMs: 120 },
  { type: 'step-start', time: at(2), step: 'subnet-public-a', kind: 'ec2:subnet', phase: 'read' },
  { type: 'step-plan', time: at(2), step: 'subnet-public-a', kind: 'ec2:subnet', op: 'update', id: 'subnet-1', changes: [{ field: 'tags.team', from: undefined, to: 'web' }] },
  { type: 'step-start', time: at(2), step: 'db', kind: 'rds:db-instance', phase: 'read' },
  { type: 'step-plan', time: at(2), step: 'db', kind: 'rds:db-instance', op: 'create', changes: [], reason: 'does not exist yet', expectedMs: 900_000 },
  { type: 'step-done', time: at(3), step: 'subnet-public-a', kind: 'ec2:subnet', op: 'update', id: 'subnet-1', elapsedMs: 800 },
  { type: 'step-start', time: at(3), step: 'nat-a', kind: 'ec2:nat-gateway', phase: 'read' },
  { type: 'step-plan', time: at(3), step: 'nat-a', kind: 'ec2:nat-gateway', op: 'create', changes: [], reason: 'does not exist yet', expectedMs: 120_000 },
  { type: 'step-progress', time: at(33), step: 'nat-a', message: 'nat-9 is pending', elapsedMs: 30_000 },
  { type: 'warning', time: at(40), step: 'db', message: 'lifting deletion protection' },
  { type: 'step-failed', time: at(61), step: 'nat-a', kind: 'ec2:nat-gateway', error: 'nat gateway nat-9 failed twice: Elastic IP quota exceeded.', elapsedMs: 58_000 },
  { type: 'step-done', time: at(900), step: 'db', kind: 'rds:db-instance', op: 'create', id: 'blog-db', elapsedMs: 898_000 },
  { type: 'run-done', time: at(900), command: 'up', ok: false, interrupted: false, counts: { same: 1, create: 1, update: 1, replace: 0, delete: 0 }, calls: { read: 12, mutating: 5, byOperation: {} }, elapsedMs: 900_000 },
];

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString()));
  return { stream, text: () => text };
}

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

describe('plain renderer (CI, pipes)', () => {
  it('prints one timestamped line per state change, as in test/fixtures/plain-up.txt', () => {
    const out = capture();
    const r = plainRenderer(out.stream);
    for (const e of EVENTS) r.onEvent(e);
    r.close();
    expect(out.text()).toBe(fixture('plain-up.txt'));
    // eslint-disable-next-line no-control-regex
    expect(out.text()).not.toMatch(/\u001b/);
  });
});

describe('json renderer', () => {
  it('prints each event as one line of JSON, unchanged', () => {
    const out = capture();
    const r = jsonRenderer(out.stream);
    for (const e of EVENTS) r.onEvent(e);
    expect(out.text().trim().split('\n').map((l) => JSON.parse(l))).toEqual(JSON.parse(JSON.stringify(EVENTS)));
  });
});

/** A live renderer on a stream that says it is a terminal of `columns`×`rows`, colors off. */
function live(columns: number, rows: number) {
  const out = capture();
  Object.assign(out.stream, { columns, rows, isTTY: true });
  return { out, r: liveRenderer(out.stream as unknown as NodeJS.WriteStream, false) };
}

describe('live renderer (a terminal), read on the screen of a terminal emulator', () => {
  it('ends on the warning and the tree of steps, as in test/fixtures/live-up.txt', async () => {
    const { out, r } = live(100, 30);
    for (const e of EVENTS) r.onEvent(e);
    r.close();
    const screen = (await screenOf(out.text(), 100, 30)).join('\n').trimEnd() + '\n';
    expect(screen).toBe(fixture('live-up.txt'));
  });

  it('draws its final frame once, at run-done: what the command prints after it stays on the screen', async () => {
    vi.useFakeTimers();
    try {
      const { out, r } = live(100, 30);
      for (const e of EVENTS) r.onEvent(e);
      out.stream.write('Stack blog is up to date.\nSite: http://blog.example.com\n');
      vi.advanceTimersByTime(1_000); // the redraw loop would run here
      r.close();
      vi.useRealTimers(); // the terminal emulator runs on timers of its own
      const screen = await screenOf(out.text(), 100, 30);
      expect(screen.filter((l) => l.startsWith('up blog'))).toHaveLength(1);
      expect(screen.join('\n')).toMatch(/created blog-db.*\nStack blog is up to date\.\nSite: http:\/\/blog\.example\.com\n*$/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('redraws from the first column, so an echoed ^C does not stay in front of the frame', async () => {
    vi.useFakeTimers();
    try {
      const { out, r } = live(100, 30);
      for (const e of EVENTS.slice(0, 6)) r.onEvent(e);
      vi.advanceTimersByTime(130);
      out.stream.write('^C'); // what the terminal echoes at the cursor, below the frame
      r.onEvent({ type: 'warning', time: at(5), message: 'interrupted: finishing the calls in flight' });
      vi.advanceTimersByTime(130);
      r.close();
      vi.useRealTimers();
      const screen = await screenOf(out.text(), 100, 30);
      expect(screen[0]).toBe('! interrupted: finishing the calls in flight');
      expect(screen[1]).toMatch(/^up blog · eu-west-3/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('in a dry run (plan, status), a decided step is finished: no spinner is left in the final frame', async () => {
    const out = capture();
    Object.assign(out.stream, { columns: 100, rows: 30, isTTY: true });
    const r = liveRenderer(out.stream as unknown as NodeJS.WriteStream, false, true);
    r.onEvent(EVENTS[0]!);
    for (const step of ['vpc', 'subnet-public-a', 'nat-a', 'db']) {
      r.onEvent({ type: 'step-start', time: at(1), step, kind: 'k', phase: 'read' });
      r.onEvent({ type: 'step-plan', time: at(1), step, kind: 'k', op: step === 'db' ? 'create' : 'same', changes: [], reason: 'does not exist yet' });
    }
    r.close();
    const screen = await screenOf(out.text(), 100, 30);
    expect(screen.join('\n')).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]|reading|running/);
    expect(screen.find((l) => l.includes(' db '))).toMatch(/^\s*\+ db +create: does not exist yet/);
    expect(screen.find((l) => l.includes(' vpc '))).toMatch(/^= vpc +unchanged/);
  });

  it('wraps a warning at the terminal width instead of cutting it', async () => {
    const { out, r } = live(40, 30);
    r.onEvent(EVENTS[0]!);
    r.onEvent({ type: 'warning', time: at(1), step: 'db', message: 'the final snapshot blog-final is kept: the next up restores from it' });
    r.close();
    const screen = await screenOf(out.text(), 40, 30);
    expect(screen.slice(0, 3)).toEqual(['! db: the final snapshot blog-final is', '  kept: the next up restores from it', expect.stringMatching(/^up blog/)]);
  });

  it('on a short terminal, shows counts (skipped ones too) and the steps that matter instead of every step', async () => {
    const { out, r } = live(100, 8);
    const extra = Array.from({ length: 12 }, (_, i) => ({ id: `subnet-app-${i}`, kind: 'ec2:subnet', dependsOn: ['vpc'] }));
    const start = EVENTS[0] as Extract<TimedEvent, { type: 'run-start' }>;
    r.onEvent({ ...start, steps: [...start.steps, ...extra] });
    for (const e of EVENTS.slice(1, 11)) r.onEvent(e);
    r.onEvent({ type: 'step-skipped', time: at(12), step: 'subnet-app-0', reason: 'interrupted' });
    r.close();
    const screen = (await screenOf(out.text(), 100, 8)).filter(Boolean);
    expect(screen.length).toBeLessThanOrEqual(8);
    expect(screen.join('\n')).toMatch(/2 done · 2 running · 11 waiting · 1 skipped/);
    expect(screen.join('\n')).toMatch(/nat-a/);
    expect(screen.join('\n')).not.toMatch(/subnet-app-3/);
  });
});

describe('wrapping for a terminal', () => {
  it('wrapText breaks at spaces, indents what follows, cuts a word longer than a line, and ends on any width', () => {
    expect(wrapText('the final snapshot is kept', 12, '  ')).toEqual(['the final', '  snapshot', '  is kept']);
    expect(wrapText('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrapText('a b', 0, '    ').length).toBeGreaterThan(0);
  });

  it('cutLines cuts an ARN after a separator where it can, else at the width', () => {
    expect(cutLines('targetgroup/blog-tg/50dc6c495c0c9188', 20, '/')).toEqual(['targetgroup/blog-tg/', '50dc6c495c0c9188']);
    expect(cutLines('0123456789abcdef', 6)).toEqual(['012345', '6789ab', 'cdef']);
    expect(cutLines('x', 0)).toEqual(['x']);
  });
});
