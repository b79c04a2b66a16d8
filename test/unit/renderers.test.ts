/**
 * The progress renderers, against expected-output files (test/fixtures/*.txt): what a person sees in
 * CI (plain lines), and the last frame in a terminal (the live tree, colors off). A fixed sequence of
 * engine events at fixed times feeds them.
 */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { TimedEvent } from '../../src/engine/events.js';
import { jsonRenderer, liveRenderer, plainRenderer } from '../../src/ui/renderers.js';

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

describe('live renderer (a terminal)', () => {
  it('ends on the tree of steps, as in test/fixtures/live-up.txt', () => {
    const out = capture();
    Object.assign(out.stream, { columns: 100, rows: 30, isTTY: true });
    const r = liveRenderer(out.stream as unknown as NodeJS.WriteStream, false);
    for (const e of EVENTS) r.onEvent(e);
    r.close();
    // The final frame: what is left on the screen after the cursor moves and line clears.
    const frames = out.text().split(/\u001b\[\d+A\u001b\[0J/);
    expect(frames.at(-1)).toBe(fixture('live-up.txt'));
  });

  it('on a short terminal, shows counts and the steps that matter instead of every step', () => {
    const out = capture();
    Object.assign(out.stream, { columns: 100, rows: 8, isTTY: true });
    const r = liveRenderer(out.stream as unknown as NodeJS.WriteStream, false);
    const extra = Array.from({ length: 12 }, (_, i) => ({ id: `subnet-app-${i}`, kind: 'ec2:subnet', dependsOn: ['vpc'] }));
    const start = EVENTS[0] as Extract<TimedEvent, { type: 'run-start' }>;
    r.onEvent({ ...start, steps: [...start.steps, ...extra] });
    for (const e of EVENTS.slice(1, 11)) r.onEvent(e);
    r.close();
    const last = out.text().split(/\u001b\[\d+A\u001b\[0J/).at(-1)!;
    expect(last.split('\n').filter(Boolean).length).toBeLessThanOrEqual(8);
    expect(last).toMatch(/2 done · 2 running · 12 waiting/);
    expect(last).toMatch(/nat-a/);
    expect(last).not.toMatch(/subnet-app-3/);
  });
});
