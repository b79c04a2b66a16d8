/**
 * The local state store: `<dir>/<stack>.json`, mode 0600, written atomically (temp file + rename)
 * after every step. It records ids, ARNs and non-secret outputs per step, and the intent of a
 * mutation before it starts (`pending`), so that a crash leaves nothing unfindable. A file that fails
 * validation is refused: nothing is ever deleted on the strength of it.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WpdeployError } from '../errors.js';
import type { Operation, Outputs } from '../resources/types.js';

export const STATE_SCHEMA_VERSION = 1;

export interface StepState {
  kind: string;
  id?: string;
  arn?: string;
  outputs?: Outputs;
  /** The step's dependencies when it was applied, so teardown can order it even after the config drops it. */
  dependsOn: string[];
  /** A mutation that started and has not been confirmed; settled by a tag lookup on the next run. */
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
  steps: Record<string, StepState>;
}

export interface StateIdentity {
  stack: string;
  region: string;
  account?: string;
  endpoint?: string;
}

export class StateStore {
  readonly dir: string;
  readonly stack: string;
  private writes: Promise<void> = Promise.resolve();
  state: StackState;

  private constructor(dir: string, stack: string, state: StackState) {
    this.dir = dir;
    this.stack = stack;
    this.state = state;
  }

  static pathFor(dir: string, stack: string): string {
    return join(dir, `${stack}.json`);
  }

  get path(): string {
    return StateStore.pathFor(this.dir, this.stack);
  }

  /** Opens the stack's state, or an empty one; refuses a file that is corrupt or belongs elsewhere. */
  static open(dir: string, id: StateIdentity): StateStore {
    const path = StateStore.pathFor(dir, id.stack);
    const now = new Date().toISOString();
    if (!existsSync(path)) {
      return new StateStore(dir, id.stack, {
        schemaVersion: STATE_SCHEMA_VERSION, stack: id.stack, region: id.region, account: id.account, endpoint: id.endpoint,
        createdAt: now, updatedAt: now, steps: {},
      });
    }
    const state = parseState(readFileSync(path, 'utf8'), path);
    checkIdentity(state, id, path);
    if (Object.keys(state.steps).length === 0) {
      // Nothing recorded yet: the file takes the identity of this run.
      state.endpoint = id.endpoint;
      if (id.account) state.account = id.account;
    }
    return new StateStore(dir, id.stack, state);
  }

  exists(): boolean {
    return existsSync(this.path);
  }

  get steps(): Record<string, StepState> {
    return this.state.steps;
  }

  /** Records the account once known; refuses a state written for another account. */
  bindAccount(account: string): void {
    if (this.state.account && this.state.account !== account && Object.keys(this.state.steps).length > 0) {
      throw new WpdeployError(
        `state file ${this.path} belongs to AWS account ${this.state.account}, but the credentials are for account ${account}.`,
        { hint: 'Use the credentials (or --profile) of the account that owns the stack, or a different --state directory.', exitCode: 2 },
      );
    }
    this.state.account = account;
  }

  async update(mutate: (s: StackState) => void): Promise<void> {
    mutate(this.state);
    this.state.updatedAt = new Date().toISOString();
    await this.save();
  }

  /** Writes the whole state atomically; writes are serialized. */
  save(): Promise<void> {
    const snapshot = JSON.stringify(this.state, null, 2) + '\n';
    this.writes = this.writes.then(() => {
      mkdirSync(this.dir, { recursive: true });
      const tmp = `${this.path}.tmp-${process.pid}`;
      writeFileSync(tmp, snapshot, { mode: 0o600 });
      chmodSync(tmp, 0o600);
      renameSync(tmp, this.path);
    });
    return this.writes;
  }

  /** Removes the file once nothing is left to record. */
  async removeIfEmpty(): Promise<boolean> {
    await this.writes;
    if (Object.keys(this.state.steps).length > 0) return false;
    rmSync(this.path, { force: true });
    return true;
  }
}

export function parseState(text: string, path: string): StackState {
  const repair = `Restore ${path} from a backup, or move it aside and let wpdeploy find the stack's resources by their tags.`;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new WpdeployError(`state file ${path} is not valid JSON (${(err as Error).message}).`, { hint: repair, exitCode: 2 });
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
    throw new WpdeployError(`state file ${path} is not a wpdeploy state file this version can use: ${problems.join('; ')}.`, { hint: repair, exitCode: 2 });
  }
  return s as StackState;
}

function checkIdentity(state: StackState, id: StateIdentity, path: string): void {
  if (state.stack !== id.stack) {
    throw new WpdeployError(`state file ${path} is for stack ${state.stack}, not ${id.stack}.`, {
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
      hint: state.endpoint ? `Pass --endpoint-url ${state.endpoint} (or --local for the local emulator), or use another --state directory.` : 'Drop --endpoint-url/--local, or use another --state directory.',
      exitCode: 2,
    });
  }
}
