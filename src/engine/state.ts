/**
 * The state store: one JSON document per stack, kept by a backend (a local directory, or an S3
 * bucket for teams and CI). It records ids, ARNs and non-secret outputs per step, and the intent of a
 * mutation before it starts (`pending`), so that a crash leaves nothing unfindable. Every write is
 * conditional on the version this run last read or wrote, so a stale writer fails instead of
 * overwriting another's record. A document that fails validation is refused: nothing is ever deleted
 * on the strength of it.
 */
import { WpdeployError } from '../errors.js';
import type { Operation, Outputs } from '../resources/types.js';
import { LocalStateBackend } from './state-local.js';
export const STATE_SCHEMA_VERSION = 1;

export interface StepState {
  kind: string;
  id?: string;
  arn?: string;
  outputs?: Outputs;
  /** The step's dependencies when it was applied, so teardown can order it even after the config drops it. */
  dependsOn: string[];
  /** A mutation that started and has not been confirmed; the next run resolves it by a tag lookup. */
  pending?: { op: Operation; startedAt: string };
  updatedAt: string;
}

export interface StackState {
  schemaVersion: number;
  stack: string;
  region: string;
  account?: string;
  endpoint?: string;
  createdAt: string;
  updatedAt: string;
  /** The estimated monthly cost (USD) of what the last successful `up` or `down` left: `up` shows it as "before". */
  monthlyUsd?: number;
  steps: Record<string, StepState>;
}

/** How the local emulator is recorded in state: its port may change between starts. */
export const LOCAL_ENDPOINT = 'local';

export interface StateIdentity {
  stack: string;
  region: string;
  account?: string;
  endpoint?: string;
}

/** A stored document and its version (an S3 ETag, or a digest of a local file). */
export interface StoredObject {
  text: string;
  version?: string;
}

/** A write refused because the stored document changed since this run read it. */
export class StaleStateError extends WpdeployError {
  constructor(location: string) {
    super(`the state at ${location} was changed by another writer since this run read it, so this run stopped rather than overwrite it.`, {
      hint: 'Another wpdeploy run (or a person) changed it. Check who holds the lock (`wpdeploy status`), then run the command again: it starts from the current state.',
    });
    this.name = 'StaleStateError';
  }
}

/** Where a stack's state and lock live. Implementations: state-local.ts (a directory), src/aws/s3-state.ts (S3). */
export interface StateBackend {
  /** The state document, for messages: a path or an s3:// URL. */
  readonly location: string;
  /** The lock, for messages. */
  readonly lockLocation: string;
  readonly remote: boolean;
  read(): Promise<StoredObject | undefined>;
  /**
   * Writes `text` if the stored version is still `expected` (null: only if nothing is stored);
   * resolves to the new version. Throws StaleStateError when the condition fails.
   */
  write(text: string, expected: string | null): Promise<string | undefined>;
  /** Removes the document if its version is still `expected`. */
  remove(expected: string | undefined): Promise<void>;
  /** Creates the lock only if none exists; false when one does. */
  createLock(text: string): Promise<{ created: boolean; version?: string }>;
  readLock(): Promise<StoredObject | undefined>;
  /** Rewrites the lock if it is still at `expected` (renewal); throws StaleStateError otherwise. */
  replaceLock(text: string, expected: string | undefined): Promise<string | undefined>;
  deleteLock(): Promise<void>;
  /** The stacks whose state is stored at the same place (same directory or prefix), sorted. */
  listStacks(): Promise<string[]>;
}

export class StateStore {
  readonly backend: StateBackend;
  readonly stack: string;
  private writes: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  /** The version last read or written; null while nothing is stored. */
  private version: string | null;
  state: StackState;

  private constructor(backend: StateBackend, stack: string, state: StackState, version: string | null) {
    this.backend = backend;
    this.stack = stack;
    this.state = state;
    this.version = version;
  }

  /** Where the state lives, for messages. */
  get path(): string {
    return this.backend.location;
  }

  /**
   * Opens the stack's state (a directory is a local backend), or an empty one; refuses a document that
   * is corrupt or belongs elsewhere.
   */
  static async open(where: string | StateBackend, id: StateIdentity): Promise<StateStore> {
    const backend = typeof where === 'string' ? new LocalStateBackend(where, id.stack) : where;
    const now = new Date().toISOString();
    const stored = await backend.read();
    if (!stored) {
      return new StateStore(backend, id.stack, {
        schemaVersion: STATE_SCHEMA_VERSION, stack: id.stack, region: id.region, account: id.account, endpoint: id.endpoint,
        createdAt: now, updatedAt: now, steps: {},
      }, null);
    }
    const state = parseState(stored.text, backend.location);
    checkIdentity(state, id, backend.location);
    if (Object.keys(state.steps).length === 0) {
      // Nothing recorded yet: the document takes the identity of this run.
      state.endpoint = id.endpoint;
      if (id.account) state.account = id.account;
    }
    return new StateStore(backend, id.stack, state, stored.version ?? '');
  }

  exists(): boolean {
    return this.version !== null;
  }

  get steps(): Record<string, StepState> {
    return this.state.steps;
  }

  /** Records the account once known; refuses a state written for another account. */
  bindAccount(account: string): void {
    if (this.state.account && this.state.account !== account && Object.keys(this.state.steps).length > 0) {
      throw new WpdeployError(
        `the state at ${this.path} belongs to AWS account ${this.state.account}, but the credentials are for account ${account}.`,
        { hint: 'Use the credentials (or --profile) of the account that owns the stack, or a different --state location.', exitCode: 2 },
      );
    }
    this.state.account = account;
  }

  async update(mutate: (s: StackState) => void): Promise<void> {
    mutate(this.state);
    this.state.updatedAt = new Date().toISOString();
    await this.save();
  }

  /**
   * Writes the whole state. Writes are serialized, each conditional on the version of the one before;
   * calls made while a write is in flight share the next write, which carries all their changes (one
   * round trip to S3 instead of one each). Resolves once a write that includes the caller's changes is
   * stored.
   */
  save(): Promise<void> {
    if (this.queued) return this.queued;
    const next = this.writes.then(async () => {
      this.queued = undefined;
      const snapshot = JSON.stringify(this.state, null, 2) + '\n';
      this.version = (await this.backend.write(snapshot, this.version)) ?? '';
    });
    this.queued = next;
    // A failed write fails its callers; the chain itself stays usable for the error to surface once.
    this.writes = next.catch(() => undefined);
    return next;
  }

  /** Removes the document once nothing is left to record. */
  async removeIfEmpty(): Promise<boolean> {
    await this.writes;
    if (Object.keys(this.state.steps).length > 0) return false;
    if (this.version !== null) await this.backend.remove(this.version || undefined);
    this.version = null;
    return true;
  }
}

export function parseState(text: string, path: string): StackState {
  const repair = `Restore ${path} from a backup, or move it aside and let wpdeploy find the stack's resources by their tags.`;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new WpdeployError(`state ${path} is not valid JSON (${(err as Error).message}).`, { hint: repair, exitCode: 2 });
  }
  const s = data as Partial<StackState>;
  const problems: string[] = [];
  if (!s || typeof s !== 'object') problems.push('it is not an object');
  else {
    if (s.schemaVersion !== STATE_SCHEMA_VERSION) {
      problems.push(`its schemaVersion is ${JSON.stringify(s.schemaVersion)}, this wpdeploy reads ${STATE_SCHEMA_VERSION}`);
    }
    if (typeof s.stack !== 'string') problems.push('it has no stack name');
    if (typeof s.region !== 'string') problems.push('it has no region');
    if (!s.steps || typeof s.steps !== 'object' || Array.isArray(s.steps)) problems.push('it has no steps map');
    else {
      for (const [id, st] of Object.entries(s.steps)) {
        if (!st || typeof st !== 'object' || typeof (st as StepState).kind !== 'string' || !Array.isArray((st as StepState).dependsOn)) {
          problems.push(`step ${id} is malformed`);
        }
      }
    }
  }
  if (problems.length) {
    throw new WpdeployError(`state ${path} is not a wpdeploy state this version can use: ${problems.join('; ')}.`, { hint: repair, exitCode: 2 });
  }
  return s as StackState;
}

/** How to reach the endpoint a stack was deployed to ("local" records the emulator, whose port may change). */
function endpointHint(recorded: string | undefined): string {
  if (recorded === LOCAL_ENDPOINT) return 'It was deployed to the local emulator: pass --local (instead of --endpoint-url), or use another --state directory.';
  if (recorded) return `Pass --endpoint-url ${recorded}, or use another --state directory.`;
  return 'It was deployed to AWS: drop --endpoint-url and --local (and unset AWS_ENDPOINT_URL), or use another --state directory.';
}

function checkIdentity(state: StackState, id: StateIdentity, path: string): void {
  if (state.stack !== id.stack) {
    throw new WpdeployError(`state ${path} is for stack ${state.stack}, not ${id.stack}.`, {
      hint: `Rename it back to ${state.stack}.json, or pass --stack ${state.stack}.`, exitCode: 2,
    });
  }
  if (state.region !== id.region) {
    throw new WpdeployError(`stack ${id.stack} was deployed in ${state.region}, but this run targets ${id.region}.`, {
      hint: `Pass --region ${state.region} (or set region: ${state.region} in the config). To deploy a second copy in ${id.region}, use another --stack name.`, exitCode: 2,
    });
  }
  if (state.endpoint !== id.endpoint && Object.keys(state.steps).length > 0) {
    const where = (e?: string) => (e ? `the endpoint ${e}` : 'AWS');
    throw new WpdeployError(`stack ${id.stack} was deployed to ${where(state.endpoint)}, but this run targets ${where(id.endpoint)}.`, {
      hint: endpointHint(state.endpoint),
      exitCode: 2,
    });
  }
}
