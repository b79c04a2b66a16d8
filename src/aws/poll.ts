/**
 * Waiting for AWS at the pace of the resource: checks come quickly at first for fast resources and
 * back off towards a tenth of the expected duration while the resource cannot be ready yet; from
 * about 85% of the expected duration they come every 2.5% of it, so a finished resource is noticed
 * within a few percent of its duration (not up to 10%); well past the expected duration they back off
 * again. Every wait has a floor between checks (the service's throttling budget) and a bound.
 * WPDEPLOY_TIME_SCALE (a simulation setting, default 1) divides every duration, for benchmarks
 * against a simulated AWS.
 */
import { WpdeployError } from '../errors.js';

export function timeScale(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.WPDEPLOY_TIME_SCALE ?? '1');
  return Number.isFinite(v) && v > 0 ? v : 1;
}

export interface WaitOptions<T> {
  /** What is being waited for, for messages: `vpc wordpress-vpc to be available`. */
  what: string;
  /** One look at the resource. */
  check: () => Promise<T>;
  /**
   * What the call that started the work already answered (a create's response): when it is done,
   * no check is made. AWS often creates a subnet, for one, `available` at once.
   */
  initial?: T;
  /** Done when this returns true. */
  done: (value: T) => boolean;
  /** A terminal failure state: returns the reason, or undefined. */
  failed?: (value: T) => string | undefined;
  /** Typical duration on AWS, in ms, before scaling (the `timing` of each resource kind). */
  expectedMs: number;
  /** Give up after this long (before scaling); default 4 x expected, at least 60 s. */
  timeoutMs?: number;
  /** Smallest gap between two checks (before scaling); guards the service's throttling budget. */
  minIntervalMs?: number;
  onProgress?: (value: T, elapsedMs: number) => void;
  signal?: AbortSignal;
  scale?: number;
}

/**
 * Waits `ms`, or less when `signal` aborts (at once when it already has). The abort listener goes when
 * the time is up, so one signal can serve thousands of sleeps (`logs --follow`).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    signal?.addEventListener('abort', wake, { once: true });
  });
}

/** From this share of the expected duration, checks come densely: the resource may be ready any moment. */
export const DENSE_FROM = 0.85;
/** The gap between two checks in the dense window, as a share of the expected duration. */
export const DENSE_STEP = 0.025;
/** Past this multiple of the expected duration the resource is late: checks back off again, up to expected/10. */
export const LATE_FROM = 1.5;

/**
 * The gap before the next check (all in AWS time, before scaling), never under `minIntervalMs`:
 * - before DENSE_FROM x expected: 250 ms at first, doubling every expected/16 (at least every second),
 *   at most expected/10, and never sleeping past the start of the dense window by more than a step;
 * - from there to LATE_FROM x expected: every DENSE_STEP x expected;
 * - later: growing with the delay, from that step back to expected/10.
 */
export function nextInterval(elapsedMs: number, expectedMs: number, minIntervalMs: number): number {
  if (!(expectedMs > 0)) return minIntervalMs;
  const step = expectedMs * DENSE_STEP;
  const denseFrom = expectedMs * DENSE_FROM;
  let gap: number;
  if (elapsedMs < denseFrom) {
    const grown = Math.min(expectedMs / 10, 250 * 2 ** Math.floor(elapsedMs / Math.max(1000, expectedMs / 16)));
    gap = Math.min(grown, Math.max(step, denseFrom - elapsedMs));
  } else if (elapsedMs < expectedMs * LATE_FROM) {
    gap = step;
  } else {
    gap = Math.min(expectedMs / 10, step * (elapsedMs / (expectedMs * LATE_FROM)));
  }
  return Math.max(minIntervalMs, gap);
}

export async function waitFor<T>(opts: WaitOptions<T>): Promise<T> {
  const scale = opts.scale ?? timeScale();
  const expected = opts.expectedMs;
  const timeout = opts.timeoutMs ?? Math.max(60_000, expected * 4);
  const minInterval = opts.minIntervalMs ?? 200;
  const start = Date.now();
  if (opts.initial !== undefined && opts.done(opts.initial)) return opts.initial;
  for (;;) {
    const value = await opts.check();
    const elapsed = Date.now() - start;
    if (opts.done(value)) return value;
    const reason = opts.failed?.(value);
    if (reason) throw new WpdeployError(`${opts.what}: ${reason}`);
    opts.onProgress?.(value, elapsed);
    if (elapsed * scale > timeout) {
      throw new WpdeployError(`timed out after ${Math.round((elapsed * scale) / 1000)} s waiting for ${opts.what}.`, {
        hint: 'AWS may still be working on it: run the same command again to resume waiting.',
      });
    }
    if (opts.signal?.aborted) throw new WpdeployError(`interrupted while waiting for ${opts.what}.`);
    await sleep(nextInterval(elapsed * scale, expected, minInterval) / scale, opts.signal);
  }
}

/** Retries `fn` while `retryable(err)` holds, with backoff, up to `attempts`; the last error is thrown. */
export async function retrying<T>(fn: () => Promise<T>, opts: { retryable: (err: unknown) => boolean; attempts?: number; baseMs?: number; scale?: number; onRetry?: (err: unknown, attempt: number) => void }): Promise<T> {
  const attempts = opts.attempts ?? 6;
  const scale = opts.scale ?? timeScale();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !opts.retryable(err)) throw err;
      opts.onRetry?.(err, attempt);
      await sleep(((opts.baseMs ?? 1000) * 2 ** (attempt - 1)) / scale);
    }
  }
}
