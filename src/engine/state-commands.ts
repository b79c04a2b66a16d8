/**
 * The commands that manage a stack's state and lock, not its resources: `unlock` and `state migrate`.
 */
import { UsageError, WpdeployError } from '../errors.js';
import { parseStateLocation } from '../config/state-location.js';
import { openBackend, reachAws, type GlobalOptions } from './connect.js';
import type { Emit } from './events.js';
import { StackLock, breakLock, type LockInfo } from './lock.js';
import { parseState, type StateBackend } from './state.js';

/** `wpdeploy unlock <lock-id>`: breaks the stack's lock once its holder is gone; returns what it broke. */
export async function runUnlock(opts: GlobalOptions, lockId: string, emit: Emit): Promise<{ stack: string; location: string; holder: LockInfo }> {
  const { config, where, aws } = await reachAws(opts, emit);
  let backend: (StateBackend & { destroy?(): void }) | undefined;
  try {
    backend = await openBackend(where, aws, config.stack, emit);
    const holder = await breakLock(backend, config.stack, lockId, config.lockLeaseMinutes);
    return { stack: config.stack, location: backend.lockLocation, holder };
  } finally {
    backend?.destroy?.();
    aws.destroy();
  }
}

/**
 * `wpdeploy state migrate --to <location>`: moves the stack's state, byte for byte, from where it is
 * (--state / the config's state:) to another local directory or S3 location. Both are locked; a
 * destination that already holds a different state is refused; the copy is read back and compared
 * before the source is removed.
 */
export async function runMigrate(opts: GlobalOptions, to: string, emit: Emit): Promise<{ stack: string; from: string; to: string; steps: number }> {
  const dest = parseStateLocation(to, '--to');
  const { config, where, aws } = await reachAws(opts, emit);
  const backends: Array<StateBackend & { destroy?(): void }> = [];
  const locks: StackLock[] = [];
  try {
    const source = await openBackend(where, aws, config.stack, emit);
    backends.push(source);
    const target = await openBackend(dest, aws, config.stack, emit);
    backends.push(target);
    if (source.location === target.location) {
      throw new UsageError(`--to ${to} is where the state of stack ${config.stack} already is (${source.location}).`, 'Name another directory or S3 location.');
    }
    const lockOptions = { command: `state migrate --to ${to}`, leaseMinutes: config.lockLeaseMinutes, onWarning: (message: string) => emit({ type: 'warning', message }) };
    locks.push(await StackLock.acquire(source, config.stack, lockOptions));
    locks.push(await StackLock.acquire(target, config.stack, lockOptions));
    const stored = await source.read();
    if (!stored) {
      throw new WpdeployError(`there is no state of stack ${config.stack} at ${source.location}: nothing to migrate.`, {
        hint: 'Pass the --state (or --stack) the stack was deployed with.', exitCode: 2,
      });
    }
    // Validated before it goes anywhere.
    const state = parseState(stored.text, source.location);
    if (state.stack !== config.stack) throw new WpdeployError(`${source.location} holds the state of stack ${state.stack}, not ${config.stack}: nothing was moved.`, { exitCode: 2 });
    const existing = await target.read();
    if (existing && existing.text !== stored.text) {
      throw new WpdeployError(`${target.location} already holds a different state of stack ${config.stack}: nothing was moved.`, {
        hint: `Check which one is current (\`wpdeploy status --state ${to}\`); remove the stale one by hand, then migrate again.`, exitCode: 2,
      });
    }
    if (!existing) await target.write(stored.text, null);
    const copy = await target.read();
    if (copy?.text !== stored.text) throw new WpdeployError(`the copy at ${target.location} does not read back as written: the source ${source.location} was kept.`);
    await source.remove(stored.version);
    return { stack: config.stack, from: source.location, to: target.location, steps: Object.keys(state.steps).length };
  } finally {
    for (const l of locks.reverse()) await l.release().catch(() => undefined);
    for (const b of backends) b.destroy?.();
    aws.destroy();
  }
}

