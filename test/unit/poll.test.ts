import { describe, expect, it } from 'vitest';
import { DENSE_FROM, DENSE_STEP, LATE_FROM, nextInterval, sleep, waitFor } from '../../src/aws/poll.js';

/** The times (ms since the wait began) at which the checks of a wait happen, up to `until`. */
function schedule(expectedMs: number, minIntervalMs: number, until: number): number[] {
  const at = [0];
  while (at[at.length - 1]! < until) at.push(at[at.length - 1]! + nextInterval(at[at.length - 1]!, expectedMs, minIntervalMs));
  return at;
}
/** How long after `doneAt` the first check comes. */
const noticedAfter = (checks: number[], doneAt: number) => checks.find((t) => t >= doneAt)! - doneAt;

// Typical AWS waits with the floors the resource kinds use.
const WAITS: Array<[string, number, number]> = [
  ['RDS Multi-AZ create', 15 * 60_000, 10_000],
  ['RDS delete', 8 * 60_000, 10_000],
  ['ECS steady', 150_000, 3_000],
  ['ALB', 180_000, 2_000],
  ['NAT gateway', 120_000, 1_000],
  ['VPC', 3_000, 200],
];

describe('nextInterval', () => {
  it('starts short for a quick resource, and never goes under the floor', () => {
    expect(nextInterval(0, 3_000, 200)).toBe(250);
    expect(nextInterval(0, 150_000, 3_000)).toBe(3_000);
    for (const [, expected, floor] of WAITS) {
      for (const t of schedule(expected, floor, 4 * expected).slice(0, -1)) expect(nextInterval(t, expected, floor)).toBeGreaterThanOrEqual(floor);
    }
  });

  it('early on, grows but stays within a tenth of the expected duration', () => {
    for (const [, expected, floor] of WAITS) {
      for (let t = 0; t < DENSE_FROM * expected; t += expected / 50) expect(nextInterval(t, expected, floor)).toBeLessThanOrEqual(Math.max(floor, expected / 10));
    }
    // a 15-minute wait is sparse at first: far fewer checks before 85% than a floor-paced poll would make
    const rds = schedule(15 * 60_000, 10_000, DENSE_FROM * 15 * 60_000);
    expect(rds.length).toBeLessThan(0.6 * ((DENSE_FROM * 15 * 60_000) / 10_000));
  });

  it('around and after the expected completion, checks come every 2.5% of it (or the floor)', () => {
    for (const [, expected, floor] of WAITS) {
      for (const share of [DENSE_FROM, 0.9, 1, 1.2, LATE_FROM - 0.01]) {
        expect(nextInterval(share * expected, expected, floor)).toBe(Math.max(floor, DENSE_STEP * expected));
      }
    }
  });

  it.each(WAITS)('%s: a resource done at any moment from 85%% to 150%% of its time is noticed within one dense step', (_what, expected, floor) => {
    const checks = schedule(expected, floor, 2 * expected);
    const step = Math.max(floor, DENSE_STEP * expected);
    for (let share = DENSE_FROM; share <= LATE_FROM; share += 0.013) expect(noticedAfter(checks, share * expected)).toBeLessThanOrEqual(step);
  });

  it.each(WAITS)('%s: done early, it is still noticed within 10%% of its time', (_what, expected, floor) => {
    const checks = schedule(expected, floor, expected);
    for (let share = 0.05; share < DENSE_FROM; share += 0.037) expect(noticedAfter(checks, share * expected)).toBeLessThanOrEqual(Math.max(floor, expected / 10));
  });

  it('well past the expected duration, backs off again up to a tenth of it', () => {
    const expected = 120_000;
    const late = [1.5, 2, 4, 6, 10].map((x) => nextInterval(x * expected, expected, 1_000));
    for (let i = 1; i < late.length; i++) expect(late[i]!).toBeGreaterThanOrEqual(late[i - 1]!);
    expect(late[0]).toBe(DENSE_STEP * expected);
    expect(late[late.length - 1]).toBe(expected / 10);
  });

  it('a wait with no expected duration checks at the floor', () => {
    expect(nextInterval(5_000, 0, 500)).toBe(500);
  });
});

describe('waitFor', () => {
  it('a create that answered done already: no check at all', async () => {
    let checks = 0;
    const v = await waitFor({ what: 'subnet', expectedMs: 2_000, scale: 1000, initial: 'available', check: async () => (checks++, 'pending'), done: (x) => x === 'available' });
    expect(v).toBe('available');
    expect(checks).toBe(0);
  });

  it('a create that answered pending: checks until done', async () => {
    const answers = ['pending', 'pending', 'available'];
    const v = await waitFor({ what: 'vpc', expectedMs: 2_000, scale: 1000, initial: 'pending', check: async () => answers.shift()!, done: (x) => x === 'available' });
    expect(v).toBe('available');
    expect(answers).toEqual([]);
  });
});

describe('sleep', () => {
  it('returns at once on a signal that has already aborted, and when a signal aborts mid-sleep', async () => {
    const aborted = new AbortController();
    aborted.abort();
    const t0 = Date.now();
    await sleep(30_000, aborted.signal);
    const later = new AbortController();
    setTimeout(() => later.abort(), 50);
    await sleep(30_000, later.signal);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});
