import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { breakLock, isProcessAlive, StackLock, type LockInfo } from '../../src/engine/lock.js';
import { LocalStateBackend } from '../../src/engine/state-local.js';
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

/** Takes the lock of `stack` in the test directory. */
const acquire = (stack: string, command: string, onWarning: (msg: string) => void) =>
  StackLock.acquire(new LocalStateBackend(dir, stack), stack, { command, onWarning });

async function refusal(fn: () => unknown): Promise<WpdeployError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WpdeployError);
    return err as WpdeployError;
  }
  throw new Error('expected the lock to be refused');
}

describe('StackLock', () => {
  it('writes <stack>.lock naming this process, host and command, readable by the owner only', async () => {
    const lock = await acquire('blog', 'up', () => {});
    const info = readInfo();
    expect(info.pid).toBe(process.pid);
    expect(info.host).toBe(hostname());
    expect(info.command).toBe('up');
    expect(info.id).toBe(lock.info.id);
    expect(statSync(lockPath()).mode & 0o777).toBe(0o600);
    await lock.release();
  });

  it('refuses a second acquire while a live process holds it, naming the pid and the command', async () => {
    const first = await acquire('blog', 'up', () => {});
    const onTakeover = vi.fn();
    const err = await refusal(() => acquire('blog', 'down', onTakeover));
    expect(err.message).toContain(`pid ${process.pid}`);
    expect(err.message).toContain('wpdeploy up');
    expect(err.message).toContain('blog');
    expect(err.hint).toContain(`kill ${process.pid}`);
    expect(onTakeover).not.toHaveBeenCalled();
    // the holder's lock is untouched
    expect(readInfo().id).toBe(first.info.id);
    await first.release();
  });

  it('locks per stack: another stack in the same directory is free', async () => {
    const a = await acquire('blog', 'up', () => {});
    const b = await acquire('shop', 'up', () => {});
    expect(existsSync(join(dir, 'shop.lock'))).toBe(true);
    await a.release();
    await b.release();
  });

  it('takes over a lock left by a dead process on this host, and says so', async () => {
    const pid = deadPid();
    expect(isProcessAlive(pid)).toBe(false);
    lockFile({ pid, command: 'up --concurrency 4' });
    const onTakeover = vi.fn();
    const lock = await acquire('blog', 'down', onTakeover);
    expect(onTakeover).toHaveBeenCalledTimes(1);
    const msg = onTakeover.mock.calls[0]![0] as string;
    expect(msg).toContain(String(pid));
    expect(msg).toContain('up --concurrency 4');
    const info = readInfo();
    expect(info.pid).toBe(process.pid);
    expect(info.command).toBe('down');
    expect(info.id).toBe(lock.info.id);
    await lock.release();
    expect(existsSync(lockPath())).toBe(false);
  });

  it('does not take over a lock from another host, even with a pid that is dead here', async () => {
    lockFile({ pid: deadPid(), host: 'build-agent-7' });
    const onTakeover = vi.fn();
    const err = await refusal(() => acquire('blog', 'up', onTakeover));
    expect(err.message).toContain('build-agent-7');
    expect(err.hint).toContain(lockPath());
    expect(err.hint).toContain('other-lock');
    expect(onTakeover).not.toHaveBeenCalled();
    expect(readInfo().host).toBe('build-agent-7');
  });

  it('refuses an unreadable lock file and says how to clear it', async () => {
    writeFileSync(lockPath(), 'not json');
    const err = await refusal(() => acquire('blog', 'up', () => {}));
    expect(err.hint).toContain(lockPath());
    expect(readFileSync(lockPath(), 'utf8')).toBe('not json');
  });

  it('release removes its own lock, and the stack can be locked again', async () => {
    const lock = await acquire('blog', 'up', () => {});
    await lock.release();
    expect(existsSync(lockPath())).toBe(false);
    const again = await acquire('blog', 'up', () => {});
    await again.release();
  });

  it("release leaves alone a lock that is no longer its own", async () => {
    const lock = await acquire('blog', 'up', () => {});
    // Another run took the lock over meanwhile.
    lockFile({ id: 'someone-else' });
    await lock.release();
    expect(existsSync(lockPath())).toBe(true);
    expect(readInfo().id).toBe('someone-else');
  });

  it('release after the lock file vanished does not throw', async () => {
    const lock = await acquire('blog', 'up', () => {});
    rmSync(lockPath());
    await expect(lock.release()).resolves.toBeUndefined();
  });

  it('isProcessAlive is true for this process', async () => {
    expect(isProcessAlive(process.pid)).toBe(true);
  });
});

describe('unlock (breakLock)', () => {
  const backend = () => new LocalStateBackend(dir, 'blog');
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

  it('breaks a lock from another host whose lease ran out, and returns its holder', async () => {
    lockFile({ id: 'lock-1', host: 'build-agent-7', startedAt: minutesAgo(40), renewedAt: minutesAgo(20) });
    const holder = await breakLock(backend(), 'blog', 'lock-1', 15);
    expect(holder.host).toBe('build-agent-7');
    expect(holder.id).toBe('lock-1');
    expect(existsSync(lockPath())).toBe(false);
  });

  it('refuses while the lease runs, saying when it may be broken', async () => {
    lockFile({ id: 'lock-1', host: 'build-agent-7', startedAt: minutesAgo(40), renewedAt: minutesAgo(2) });
    const err = await refusal(() => breakLock(backend(), 'blog', 'lock-1', 15));
    expect(err.message).toContain('lock-1');
    expect(err.message).toContain('15 min');
    expect(existsSync(lockPath())).toBe(true);
  });

  it('refuses another lock id, naming the current holder, and leaves it', async () => {
    lockFile({ id: 'lock-2', host: 'build-agent-7', renewedAt: minutesAgo(60) });
    const err = await refusal(() => breakLock(backend(), 'blog', 'lock-1', 15));
    expect(err.message).toContain('lock-2');
    expect(err.message).toContain('build-agent-7');
    expect(readInfo().id).toBe('lock-2');
  });

  it('refuses a lock whose process still runs on this host', async () => {
    lockFile({ id: 'lock-1', pid: process.pid, startedAt: minutesAgo(600) });
    const err = await refusal(() => breakLock(backend(), 'blog', 'lock-1', 15));
    expect(err.hint).toContain(`kill ${process.pid}`);
    expect(existsSync(lockPath())).toBe(true);
  });

  it('says there is nothing to unlock when the stack is not locked', async () => {
    const err = await refusal(() => breakLock(backend(), 'blog', 'lock-1', 15));
    expect(err.message).toMatch(/not locked/);
  });

  it('a refusal of a lock whose lease ran out names the unlock command', async () => {
    lockFile({ id: 'lock-9', host: 'build-agent-7', renewedAt: minutesAgo(30) });
    const err = await refusal(() => acquire('blog', 'up', () => {}));
    expect(err.hint).toContain('wpdeploy unlock lock-9');
  });
});
