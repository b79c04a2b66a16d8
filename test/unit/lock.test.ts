import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isProcessAlive, StackLock, type LockInfo } from '../../src/engine/lock.js';
import { WpdeployError } from '../../src/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wpdeploy-lock-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const lockPath = () => join(dir, 'blog.lock');
const readInfo = () => JSON.parse(readFileSync(lockPath(), 'utf8')) as LockInfo;

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  expect(r.status).toBe(0);
  expect(r.pid).toBeGreaterThan(0);
  return r.pid!;
}

function lockFile(over: Partial<LockInfo>): void {
  const info: LockInfo = { id: 'other-lock', pid: process.pid, host: hostname(), command: 'up', startedAt: '2026-01-01T00:00:00.000Z', ...over };
  writeFileSync(lockPath(), JSON.stringify(info));
}

function refusal(fn: () => unknown): WpdeployError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WpdeployError);
    return err as WpdeployError;
  }
  throw new Error('expected the lock to be refused');
}

describe('StackLock', () => {
  it('writes <stack>.lock naming this process, host and command, readable by the owner only', () => {
    const lock = StackLock.acquire(dir, 'blog', 'up', () => {});
    const info = readInfo();
    expect(info.pid).toBe(process.pid);
    expect(info.host).toBe(hostname());
    expect(info.command).toBe('up');
    expect(info.id).toBe(lock.info.id);
    expect(statSync(lockPath()).mode & 0o777).toBe(0o600);
    lock.release();
  });

  it('refuses a second acquire while a live process holds it, naming the pid and the command', () => {
    const first = StackLock.acquire(dir, 'blog', 'up', () => {});
    const onTakeover = vi.fn();
    const err = refusal(() => StackLock.acquire(dir, 'blog', 'down', onTakeover));
    expect(err.message).toContain(`pid ${process.pid}`);
    expect(err.message).toContain('wpdeploy up');
    expect(err.message).toContain('blog');
    expect(err.hint).toContain(`kill ${process.pid}`);
    expect(onTakeover).not.toHaveBeenCalled();
    // the holder's lock is untouched
    expect(readInfo().id).toBe(first.info.id);
    first.release();
  });

  it('locks per stack: another stack in the same directory is free', () => {
    const a = StackLock.acquire(dir, 'blog', 'up', () => {});
    const b = StackLock.acquire(dir, 'shop', 'up', () => {});
    expect(existsSync(join(dir, 'shop.lock'))).toBe(true);
    a.release();
    b.release();
  });

  it('takes over a lock left by a dead process on this host, and says so', () => {
    const pid = deadPid();
    expect(isProcessAlive(pid)).toBe(false);
    lockFile({ pid, command: 'up --concurrency 4' });
    const onTakeover = vi.fn();
    const lock = StackLock.acquire(dir, 'blog', 'down', onTakeover);
    expect(onTakeover).toHaveBeenCalledTimes(1);
    const msg = onTakeover.mock.calls[0]![0] as string;
    expect(msg).toContain(String(pid));
    expect(msg).toContain('up --concurrency 4');
    const info = readInfo();
    expect(info.pid).toBe(process.pid);
    expect(info.command).toBe('down');
    expect(info.id).toBe(lock.info.id);
    lock.release();
    expect(existsSync(lockPath())).toBe(false);
  });

  it('does not take over a lock from another host, even with a pid that is dead here', () => {
    lockFile({ pid: deadPid(), host: 'build-agent-7' });
    const onTakeover = vi.fn();
    const err = refusal(() => StackLock.acquire(dir, 'blog', 'up', onTakeover));
    expect(err.message).toContain('build-agent-7');
    expect(err.hint).toContain(lockPath());
    expect(err.hint).toContain('other-lock');
    expect(onTakeover).not.toHaveBeenCalled();
    expect(readInfo().host).toBe('build-agent-7');
  });

  it('refuses an unreadable lock file and says how to clear it', () => {
    writeFileSync(lockPath(), 'not json');
    const err = refusal(() => StackLock.acquire(dir, 'blog', 'up', () => {}));
    expect(err.hint).toContain(lockPath());
    expect(readFileSync(lockPath(), 'utf8')).toBe('not json');
  });

  it('release removes its own lock, and the stack can be locked again', () => {
    const lock = StackLock.acquire(dir, 'blog', 'up', () => {});
    lock.release();
    expect(existsSync(lockPath())).toBe(false);
    const again = StackLock.acquire(dir, 'blog', 'up', () => {});
    again.release();
  });

  it("release leaves alone a lock that is no longer its own", () => {
    const lock = StackLock.acquire(dir, 'blog', 'up', () => {});
    // Another run took the lock over meanwhile.
    lockFile({ id: 'someone-else' });
    lock.release();
    expect(existsSync(lockPath())).toBe(true);
    expect(readInfo().id).toBe('someone-else');
  });

  it('release after the lock file vanished does not throw', () => {
    const lock = StackLock.acquire(dir, 'blog', 'up', () => {});
    rmSync(lockPath());
    expect(() => lock.release()).not.toThrow();
  });

  it('isProcessAlive is true for this process', () => {
    expect(isProcessAlive(process.pid)).toBe(true);
  });
});
