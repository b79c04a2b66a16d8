/**
 * Waits of a step, bound to its context: the run's time scale and abort signal, progress said
 * through the step. The shapes every kind shares: until a state is reached, and a delete followed by
 * a wait until the resource is gone.
 */
import { isNotFound } from '../aws/errors.js';
import { waitFor, type WaitOptions } from '../aws/poll.js';
import type { ResourceContext } from './types.js';

export type StepWait<T> = Omit<WaitOptions<T>, 'scale' | 'signal' | 'onProgress'> & {
  /** The progress line for what a check saw. */
  progress?: (value: T) => string;
};

/** Polls `check` until `done` (or `failed`, or the time is up), saying progress through the step. */
export function waitUntil<T>(ctx: Pick<ResourceContext, 'scale' | 'signal' | 'progress'>, wait: StepWait<T>): Promise<T> {
  const { progress, ...rest } = wait;
  return waitFor({ ...rest, scale: ctx.scale, signal: ctx.signal, onProgress: progress && ((v) => ctx.progress(progress(v))) });
}

/**
 * Runs a delete, then waits until the resource is gone: true. Not found on the delete means gone
 * already: no wait, false.
 */
export async function deleteAndWait<T>(ctx: Pick<ResourceContext, 'scale' | 'signal' | 'progress'>, del: () => Promise<unknown>, gone: StepWait<T>): Promise<boolean> {
  try {
    await del();
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
  await waitUntil(ctx, gone);
  return true;
}
