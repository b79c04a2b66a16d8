/**
 * One command's session: the config, the AWS clients, the account, the state and its lock, and the
 * steps. Every command (up, down, status, plan) opens one, runs the engine and closes it; `logs`
 * opens one without the lock and reads the app log group.
 */
import { resolve } from 'node:path';
import { AwsClients } from '../aws/clients.js';
import { ensureLocalEmulator } from '../aws/emulator.js';
import { isAccessDenied, isCredentialsError, recommendAction } from '../aws/errors.js';
import { callerAccount } from '../aws/identity.js';
import { timeScale } from '../aws/poll.js';
import { loadConfig } from '../config/load.js';
import { STACK_NAME_RE, type Config } from '../config/schema.js';
import { UsageError, WpdeployError, errorMessage } from '../errors.js';
import { chooseZones, recordedZones } from '../resources/availability-zones.js';
import { describeKeptData, keptMonthlyCost, type KeptCost } from '../resources/kept-data.js';
import { readLogEvents, type LogLine } from '../resources/log-events.js';
import { appNames, appSummary, type AppSummary } from '../resources/stack-app.js';
import { OUTPUT_STEPS, stackOutputs, type StackOutputs } from '../resources/stack-outputs.js';
import type { Approval } from './approval.js';
import { KINDS, buildSteps } from '../resources/stack.js';
import { createDeps, deleteDeps, type StepDef } from '../resources/types.js';
import { Engine, type EngineResult } from './deployer.js';
import type { Emit } from './events.js';
import { StackLock, breakLock, describeHolder, type LockInfo } from './lock.js';
import { summarize } from './planner.js';
import { LOCAL_ENDPOINT, StateStore, parseState, type StateBackend } from './state.js';
import { LocalStateBackend } from './state-local.js';
import { DEFAULT_STATE_DIR, parseStateLocation, type StateLocation } from '../config/state-location.js';
import { S3StateBackend } from '../aws/s3-state.js';

export interface GlobalOptions {
  stack?: string;
  config?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  state?: string;
  yes?: boolean;
  json?: boolean;
  concurrency?: string | number;
  local?: boolean;
}

export const DEFAULT_CONCURRENCY = 8;
export { LOCAL_ENDPOINT };

export interface Session {
  command: string;
  config: Config;
  configSource: string;
  aws: AwsClients;
  account: string;
  endpoint?: string;
  store: StateStore;
  /** The stack's steps; none when the session was opened without them (`logs`). */
  steps: StepDef[];
  concurrency: number;
  emit: Emit;
  signal: AbortSignal;
  /** Set when the lock was broken or lost during the run: the run stops and fails with it. */
  lockLost?: WpdeployError;
  close(): Promise<void>;
}

/** Checks the flags that need no AWS call. Throws UsageError (exit 2). */
export function parseConcurrency(value: string | number | undefined): number {
  if (value === undefined) return DEFAULT_CONCURRENCY;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new UsageError(`--concurrency ${value} is not a whole number from 1 to 64.`, `Use for example --concurrency ${DEFAULT_CONCURRENCY} (the default) or --concurrency 1 for one step at a time.`);
  }
  return n;
}

/** Where the state lives: --state, else the config's `state:`, else state/. */
export function stateLocation(opts: GlobalOptions, config: Config): StateLocation {
  if (opts.state !== undefined) return parseStateLocation(opts.state, '--state');
  if (config.state !== undefined) return parseStateLocation(config.state, 'state (in the config)');
  return parseStateLocation(DEFAULT_STATE_DIR);
}

/** The state backend of a location (S3: the bucket is checked first; its warnings are emitted). */
export async function openBackend(where: StateLocation, aws: AwsClients, stack: string, emit: Emit): Promise<StateBackend & { destroy?(): void }> {
  if (where.kind === 'local') return new LocalStateBackend(resolve(where.dir), stack);
  const backend = new S3StateBackend(aws, where, stack);
  try {
    for (const message of await backend.prepare()) emit({ type: 'warning', message });
  } catch (err) {
    backend.destroy();
    throw err;
  }
  return backend;
}

interface Reached {
  config: Config;
  source: string;
  where: StateLocation;
  aws: AwsClients;
  account: string;
  endpoint?: string;
  /** How the endpoint is recorded in state ("local" for the emulator, whose port may change). */
  recordedEndpoint?: string;
}

/** Loads and validates everything local (config, flags), then reaches AWS and checks the account. */
async function reachAws(opts: GlobalOptions, emit: Emit): Promise<Reached> {
  const { config, source } = loadConfig({ file: opts.config, stack: opts.stack, region: opts.region });
  const where = stateLocation(opts, config);
  if (opts.local && opts.endpointUrl) throw new UsageError('--local and --endpoint-url both choose the endpoint.', 'Pass one of them.');
  const endpointFlag = opts.endpointUrl ?? (opts.local ? undefined : process.env.AWS_ENDPOINT_URL || undefined);
  if (endpointFlag && !/^https?:\/\/[^\s/]+/.test(endpointFlag)) {
    throw new UsageError(`endpoint ${endpointFlag} is not a URL.`, 'Use a URL like http://localhost:4566.');
  }
  const emulatorDir = resolve(where.kind === 'local' ? where.dir : DEFAULT_STATE_DIR);
  const endpoint = opts.local ? await ensureLocalEmulator(emulatorDir, (message) => emit({ type: 'warning', message })) : endpointFlag;
  const aws = new AwsClients({ region: config.region, profile: opts.profile, endpoint, local: opts.local });
  let account: string;
  try {
    account = await callerAccount(aws);
  } catch (err) {
    aws.destroy();
    throw new WpdeployError(`could not identify the AWS account: ${errorMessage(err)}`, {
      hint: recommendAction(err, opts.profile ? ` --profile ${opts.profile}` : '') ?? (isCredentialsError(err) ? undefined : 'Check the network and the endpoint, then run again.'),
      cause: err,
    });
  }
  if (config.accountId && config.accountId !== account) {
    aws.destroy();
    throw new WpdeployError(`stack ${config.stack} belongs to AWS account ${config.accountId} (accountId in ${source}), but the credentials are for account ${account}: nothing was done.`, {
      hint: `Use the credentials of account ${config.accountId} (e.g. --profile), or correct accountId.`,
      exitCode: 2,
    });
  }
  return { config, source, where, aws, account, endpoint, recordedEndpoint: opts.local ? LOCAL_ENDPOINT : endpoint };
}

export interface SessionOptions {
  /** Take the stack's lock (commands that may change the stack or its state). Default true. */
  lock?: boolean;
  /** Choose the zones and build the steps (commands that run the engine). Default true; `logs` needs neither, nor the EC2 client. */
  steps?: boolean;
}

/** Loads and validates everything local first (config, flags), then reaches AWS. */
export async function openSession(command: string, opts: GlobalOptions, emit: Emit, signal: AbortSignal, o: SessionOptions = {}): Promise<Session> {
  const { lock = true, steps: withSteps = true } = o;
  const concurrency = parseConcurrency(opts.concurrency);
  const { config, source, where, aws, account, endpoint, recordedEndpoint } = await reachAws(opts, emit);
  const identity = { stack: config.stack, region: config.region, account, endpoint: recordedEndpoint };
  // The run stops on Ctrl-C, and also when its lock is broken under it.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  let lost: WpdeployError | undefined;
  let backend: (StateBackend & { destroy?(): void }) | undefined;
  let stackLock: StackLock | undefined;
  const cleanup = async () => {
    signal.removeEventListener('abort', onAbort);
    try {
      await stackLock?.release();
    } finally {
      backend?.destroy?.();
      aws.destroy();
    }
  };
  let store: StateStore;
  let zones: string[] = [];
  try {
    backend = await openBackend(where, aws, config.stack, emit);
    stackLock = lock
      ? await StackLock.acquire(backend, config.stack, {
        command, leaseMinutes: config.lockLeaseMinutes, scale: timeScale(), onWarning: (message) => emit({ type: 'warning', message }),
        onLost: (err) => {
          lost = err;
          emit({ type: 'warning', message: `${err.message} Stopping.` });
          stop.abort();
        },
      })
      : undefined;
    store = await StateStore.open(backend, identity);
    store.bindAccount(account);
    if (withSteps) zones = recordedZones(store.steps, config.network.azCount) ?? (await chooseZones(aws, config.region, config.network.azCount));
  } catch (err) {
    await cleanup();
    throw err;
  }
  return {
    command, config, configSource: source, aws, account, endpoint, store, steps: withSteps ? buildSteps(config, { zones, account }) : [], concurrency, emit, signal: stop.signal,
    get lockLost() {
      return lost;
    },
    close: cleanup,
  };
}

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

export { describeHolder };

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

function engineFor(s: Session, { purge = false, approval, preflight = false }: { purge?: boolean; approval?: Approval; preflight?: boolean } = {}): Engine {
  return new Engine({
    purge, approval, preflight,
    steps: s.steps, kinds: KINDS, store: s.store, aws: s.aws, stack: s.config.stack, region: s.config.region, account: s.account,
    userTags: s.config.tags, concurrency: s.concurrency, emit: s.emit, signal: s.signal, scale: timeScale(),
  });
}

function announce(s: Session): void {
  s.emit({
    type: 'run-start', command: s.command, stack: s.config.stack, region: s.config.region, account: s.account, endpoint: s.endpoint,
    // dependsOn: what `up` creates first; deletedBefore: what `down` deletes only once this step is gone.
    steps: s.steps.map((d) => ({ id: d.id, kind: d.kind.name, dependsOn: createDeps(d), deletedBefore: deleteDeps(d), expectedMs: d.kind.timing?.createMs })),
  });
}

async function conclude(s: Session, result: EngineResult, started: number): Promise<EngineResult> {
  s.emit({
    type: 'run-done', command: s.command, ok: result.ok, interrupted: result.interrupted, counts: summarize(result.items),
    calls: { read: s.aws.calls.read, mutating: s.aws.calls.mutating, byOperation: { ...s.aws.calls.byOperation } }, elapsedMs: Date.now() - started,
    ...(s.command === 'up' ? { outputs: stackOutputs(s.config, result.outputs) } : {}),
  });
  return result;
}

/** Converges the stack to the config, within what `approval` allows (see approval.ts). */
export async function runUp(s: Session, approval?: Approval): Promise<EngineResult> {
  const started = Date.now();
  announce(s);
  if (!s.store.exists()) await s.store.save(); // the stack's identity is on disk before the first mutation
  return conclude(s, await engineFor(s, { approval, preflight: true }).apply({ dryRun: false }), started);
}

/** What `up` would do, changing nothing, and whether its preflight checks pass (quotas, orderable database). */
export async function runPlan(s: Session): Promise<EngineResult> {
  const started = Date.now();
  announce(s);
  return conclude(s, await engineFor(s, { preflight: true }).apply({ dryRun: true }), started);
}

/** Live state and drift of every step (a read-only plan, without the preflight). */
export async function runStatus(s: Session): Promise<EngineResult> {
  const started = Date.now();
  announce(s);
  return conclude(s, await engineFor(s).apply({ dryRun: true }), started);
}

/**
 * Removes the stack, keeping its data unless `purge`; the state file goes once nothing is left.
 * With data kept, also says what it is and what it costs a month.
 */
export async function runDown(s: Session, purge = false): Promise<{ result: EngineResult; kept?: KeptCost }> {
  const started = Date.now();
  announce(s);
  const result = await engineFor(s, { purge }).destroy();
  if (result.ok) await s.store.removeIfEmpty();
  const kept = result.ok && !purge ? keptMonthlyCost(await describeKeptData({ aws: s.aws, stack: s.config.stack })) : undefined;
  return { result: await conclude(s, result, started), kept: kept?.items.length ? kept : undefined };
}

export interface Health extends AppSummary {
  /** The database instance's status, as RDS reports it. */
  database?: string;
}

/** What the site looks like after a run: URL, tasks, targets, certificate, database. */
export function health(s: Session, result: EngineResult): Health {
  const db = result.items.find((i) => i.step === 'db');
  return { ...appSummary(s.config, result.outputs), ...(db?.state ? { database: db.state } : {}) };
}

/**
 * Refuses a run that found no stack: no state at its location and no resource carrying its tags
 * (the engine looked each one up by tag). Names the stacks whose state is stored there.
 */
export async function assertStackExists(s: Session, result: EngineResult): Promise<void> {
  if (s.store.exists() || !result.ok) return;
  const lookups = new Set(s.steps.filter((d) => d.kind.lookup).map((d) => d.id));
  if (result.items.some((i) => !lookups.has(i.step) && i.id)) return;
  const where = s.store.path.replace(/[^/]+\.json$/, '');
  let others: string[] | undefined;
  try {
    others = (await s.store.backend.listStacks()).filter((n) => n !== s.config.stack && STACK_NAME_RE.test(n));
  } catch (err) {
    if (!isAccessDenied(err)) throw err; // a role without s3:ListBucket still gets the answer, without the list
  }
  throw new WpdeployError(`no stack named ${s.config.stack} in ${s.config.region}/${s.account} (state: ${s.store.path}): no state there and no resource tagged with it.`, {
    hint: others?.length
      ? `Stacks with a state in ${where}: ${others.join(', ')} (\`wpdeploy status --stack ${others[0]}\` shows the first).`
      : `${others ? `No stack has a state in ${where}` : `The stacks in ${where} cannot be listed (no s3:ListBucket)`}. Check --stack, --state, --region and the account (--profile).`,
  });
}

/**
 * The stack's outputs as state recorded them; when state lacks a step they come from (a run that
 * stopped early, an older state), the steps are read from AWS (a read-only plan).
 */
export async function readOutputs(s: Session): Promise<StackOutputs> {
  const recorded = Object.fromEntries(Object.entries(s.store.steps).filter(([, st]) => st.outputs).map(([id, st]) => [id, st.outputs!]));
  const wanted = OUTPUT_STEPS.filter((id) => s.steps.some((d) => d.id === id));
  if (wanted.every((id) => recorded[id])) return stackOutputs(s.config, recorded);
  const result = await engineFor(s).apply({ dryRun: true });
  if (!result.ok) throw result.failed[0]?.error ?? new WpdeployError('could not read the stack\'s resources.');
  await assertStackExists(s, result);
  return stackOutputs(s.config, result.outputs);
}

/** The monthly cost the stack has now, for the next plan's "before"; no write when it is unchanged or the state is gone. */
export async function recordCost(s: Session, monthlyUsd: number | undefined): Promise<void> {
  if (monthlyUsd === undefined || !s.store.exists() || s.store.state.monthlyUsd === monthlyUsd) return;
  await s.store.update((st) => void (st.monthlyUsd = monthlyUsd));
}

/** What the stack costs a month before a plan: nothing when nothing is recorded, else what the last run left. */
export function costBefore(s: Session): number | undefined {
  return Object.keys(s.store.steps).length === 0 ? 0 : s.store.state.monthlyUsd;
}

export { DEFAULT_SINCE, formatLogLine, parseDuration, type LogLine } from '../resources/log-events.js';

export interface LogsOptions {
  /** How far back to start, in milliseconds (from --since). */
  sinceMs: number;
  /** Keep polling for new lines until the session's signal aborts (Ctrl-C). */
  follow?: boolean;
}

/**
 * The WordPress containers' log lines from the stack's app log group (the recorded name, else the
 * one `up` gives it), each handed to `onEvent`. Takes no lock and writes no state; a stack never
 * deployed is an error that says to run `wpdeploy up`.
 */
export async function readLogs(s: Session, o: LogsOptions, onEvent: (line: LogLine) => void): Promise<void> {
  const logGroup = s.store.steps['app-log-group']?.id ?? appNames(s.config).logGroup;
  await readLogEvents({
    aws: s.aws, stack: s.config.stack, logGroup, startTime: Date.now() - o.sinceMs, follow: o.follow, signal: s.signal, scale: timeScale(),
  }, onEvent);
}
