/**
 * A lock per stack (`<dir>/<stack>.lock`), created exclusively, so two runs on one stack cannot
 * interleave. A lock left by a dead process on this host is taken over with a warning; a lock held by
 * a live process, or by another host, is refused with its holder and how to proceed.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { WpdeployError } from '../errors.js';

export interface LockInfo {
  id: string;
  pid: number;
  host: string;
  command: string;
  startedAt: string;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class StackLock {
  private constructor(readonly path: string, readonly info: LockInfo) {}

  /** Takes the lock, or throws naming the holder. `onTakeover` hears about a stale lock taken over. */
  static acquire(dir: string, stack: string, command: string, onTakeover: (msg: string) => void): StackLock {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${stack}.lock`);
    const info: LockInfo = { id: randomUUID(), pid: process.pid, host: hostname(), command, startedAt: new Date().toISOString() };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(path, JSON.stringify(info, null, 2) + '\n', { flag: 'wx', mode: 0o600 });
        return new StackLock(path, info);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readLock(path);
      if (holder && holder.host === info.host && !isProcessAlive(holder.pid)) {
        onTakeover(`took over the lock of stack ${stack} left by process ${holder.pid} (\`wpdeploy ${holder.command}\` started ${holder.startedAt}), which is no longer running.`);
        rmSync(path, { force: true });
        continue;
      }
      if (!holder) {
        throw new WpdeployError(`stack ${stack} is locked (${path}), and the lock file cannot be read.`, {
          hint: `If no wpdeploy command is running on this stack, delete ${path} and run again.`,
        });
      }
      throw new WpdeployError(
        `stack ${stack} is locked by \`wpdeploy ${holder.command}\` (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}).`,
        {
          hint: holder.host === info.host
            ? `Wait for it to finish, or stop it (kill ${holder.pid}) and run again.`
            : `Wait for it to finish. If that host is gone, delete ${path} (lock ${holder.id}) and run again.`,
        },
      );
    }
    throw new WpdeployError(`could not take the lock of stack ${stack} (${path}).`, { hint: 'Run the command again.' });
  }

  release(): void {
    const holder = readLock(this.path);
    if (holder?.id === this.info.id) rmSync(this.path, { force: true });
  }
}

function readLock(path: string): LockInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
