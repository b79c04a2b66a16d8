/**
 * A lock per stack, so two runs on one stack cannot interleave: a document created only if none
 * exists (an exclusive file locally; an S3 object written with `If-None-Match: *` remotely, which needs
 * no DynamoDB table). It names its holder: owner, host, pid, command, start time.
 *
 * A lock left by a dead process on this host is taken over with a warning. A remote lock is renewed
 * while its run lasts, so one not renewed for longer than the lease belongs to a run that is gone: it
 * can be broken with `wpdeploy unlock <lock-id>`, which names what it breaks. A run whose lock was
 * broken stops at its next renewal, and its state writes, conditional on the version it last wrote,
 * are refused.
 */
import { hostname, userInfo } from 'node:os';
import { randomUUID } from 'node:crypto';
import { WpdeployError, errorMessage } from '../errors.js';
import type { StateBackend } from './state.js';

export interface LockInfo {
  id: string;
  stack?: string;
  owner?: string;
  pid: number;
  host: string;
  command: string;
  startedAt: string;
  /** Last renewal by the holder (remote locks); the lease runs from here. */
  renewedAt?: string;
}

export const DEFAULT_LEASE_MINUTES = 15;

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function owner(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

function parseLock(text: string | undefined): LockInfo | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as LockInfo;
    return typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.id === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** How the holder of a lock reads in messages. */
export function describeHolder(h: LockInfo): string {
  const who = h.owner ? `${h.owner}@${h.host}` : h.host;
  // Another run's command, not one to paste: no backticks, so no target flags are added to it (src/cli/command-line.ts).
  return `wpdeploy ${h.command} (pid ${h.pid} on ${who}, since ${h.startedAt}${h.renewedAt && h.renewedAt !== h.startedAt ? `, renewed ${h.renewedAt}` : ''}; lock ${h.id})`;
}

const age = (h: LockInfo, now: number) => now - Date.parse(h.renewedAt ?? h.startedAt);

export interface LockOptions {
  command: string;
  /** Told about a stale lock taken over. */
  onWarning: (msg: string) => void;
  /** Minutes a remote lock stays valid without renewal. */
  leaseMinutes?: number;
  /** Told when the lock was broken or lost while held; the run should stop. */
  onLost?: (err: WpdeployError) => void;
  /** Time scale of the simulation setting (renewals come sooner with it). */
  scale?: number;
}

export class StackLock {
  private timer: NodeJS.Timeout | undefined;
  private version: string | undefined;
  private released = false;

  private constructor(private readonly backend: StateBackend, readonly info: LockInfo, version: string | undefined) {
    this.version = version;
  }

  /** Takes the lock, or throws naming the holder. */
  static async acquire(backend: StateBackend, stack: string, options: LockOptions): Promise<StackLock> {
    const now = new Date().toISOString();
    const info: LockInfo = { id: randomUUID(), stack, owner: owner(), pid: process.pid, host: hostname(), command: options.command, startedAt: now, renewedAt: now };
    const leaseMs = (options.leaseMinutes ?? DEFAULT_LEASE_MINUTES) * 60_000;
    for (let attempt = 0; attempt < 2; attempt++) {
      const made = await backend.createLock(JSON.stringify(info, null, 2) + '\n');
      if (made.created) {
        const lock = new StackLock(backend, info, made.version);
        if (backend.remote) lock.renewEvery(leaseMs / 3 / (options.scale ?? 1), options.onLost);
        return lock;
      }
      const stored = await backend.readLock();
      if (!stored) continue; // released between the two calls
      const holder = parseLock(stored.text);
      if (holder && holder.host === info.host && !isProcessAlive(holder.pid)) {
        options.onWarning(`took over the lock of stack ${stack} left by process ${holder.pid} (wpdeploy ${holder.command}, started ${holder.startedAt}), which is no longer running.`);
        await backend.deleteLock();
        continue;
      }
      if (!holder) {
        throw new WpdeployError(`stack ${stack} is locked (${backend.lockLocation}), and the lock cannot be read.`, {
          hint: `If no wpdeploy command is running on this stack, delete ${backend.lockLocation} and run again.`,
        });
      }
      const expired = age(holder, Date.now()) > leaseMs;
      throw new WpdeployError(`stack ${stack} is locked by ${describeHolder(holder)}.`, {
        hint: holder.host === info.host
          ? `Wait for it to finish, or stop it (kill ${holder.pid}) and run again.`
          : expired
            ? `Its lease (${leaseMs / 60_000} min) has run out without renewal, so its run is probably gone: break it with \`wpdeploy unlock ${holder.id}\` (it removes ${backend.lockLocation}) and run again.`
            : `Wait for it to finish. If that run is gone, \`wpdeploy unlock ${holder.id}\` breaks the lock once its lease (${leaseMs / 60_000} min without renewal) has run out.`,
      });
    }
    throw new WpdeployError(`could not take the lock of stack ${stack} (${backend.lockLocation}).`, { hint: 'Run the command again.' });
  }

  private renewEvery(ms: number, onLost?: (err: WpdeployError) => void): void {
    this.timer = setInterval(() => {
      const renewed = { ...this.info, renewedAt: new Date().toISOString() };
      // Checks it is still ours first (S3-compatible stores without If-Match would let a renewal
      // overwrite the next holder's lock); the conditional write covers the moment in between.
      this.backend.readLock().then((stored) => {
        const holder = parseLock(stored?.text);
        if (holder?.id !== this.info.id) throw new Error(holder ? `${describeHolder(holder)} holds it now` : 'it is gone');
        return this.backend.replaceLock(JSON.stringify(renewed, null, 2) + '\n', stored?.version ?? this.version);
      }).then(
        (v) => {
          this.version = v;
        },
        (err) => {
          if (this.released) return;
          this.stopRenewing();
          onLost?.(new WpdeployError(`the lock of stack ${this.info.stack} (${this.info.id}) was broken or lost while this run held it: ${errorMessage(err)}`, {
            hint: 'Another run may be working on the stack now. Check with `wpdeploy status`, then run the command again.',
          }));
        },
      );
    }, Math.max(1000, ms));
    this.timer.unref();
  }

  private stopRenewing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Releases the lock if it is still this run's. */
  async release(): Promise<void> {
    this.released = true;
    this.stopRenewing();
    const holder = parseLock((await this.backend.readLock())?.text);
    if (holder?.id === this.info.id) await this.backend.deleteLock();
  }
}

/**
 * `wpdeploy unlock <lock-id>`: breaks the stack's lock when it is the one named, its lease has run out
 * (or its process on this host is gone), and says what it broke.
 */
export async function breakLock(backend: StateBackend, stack: string, lockId: string, leaseMinutes = DEFAULT_LEASE_MINUTES): Promise<LockInfo> {
  const stored = await backend.readLock();
  if (!stored) throw new WpdeployError(`stack ${stack} is not locked (${backend.lockLocation} does not exist): nothing to unlock.`, { exitCode: 1 });
  const holder = parseLock(stored.text);
  if (!holder) {
    throw new WpdeployError(`the lock of stack ${stack} (${backend.lockLocation}) cannot be read, so wpdeploy cannot check it is ${lockId}.`, {
      hint: `If no wpdeploy command is running on this stack, delete ${backend.lockLocation} by hand.`,
    });
  }
  if (holder.id !== lockId) {
    throw new WpdeployError(`stack ${stack} is locked by ${describeHolder(holder)}, not by lock ${lockId}: nothing was broken.`, {
      hint: 'Pass the lock id the refusal message names; a lock id is never reused, so an old id cannot break a new run\'s lock.',
    });
  }
  const sameHost = holder.host === hostname();
  if (sameHost && isProcessAlive(holder.pid)) {
    throw new WpdeployError(`lock ${lockId} of stack ${stack} is held by ${describeHolder(holder)}, which is still running on this host.`, {
      hint: `Wait for it to finish, or stop it (kill ${holder.pid}).`,
    });
  }
  const leaseMs = leaseMinutes * 60_000;
  const idle = age(holder, Date.now());
  if (!sameHost && idle <= leaseMs) {
    throw new WpdeployError(`lock ${lockId} of stack ${stack} was renewed ${Math.round(idle / 1000)} s ago, within its lease of ${leaseMinutes} min: its run may still be going.`, {
      hint: `Wait for it to finish. A run that is gone stops renewing: after ${leaseMinutes} min without renewal the lock can be broken.`,
    });
  }
  await backend.deleteLock();
  return holder;
}
