/**
 * One command's session: the config, the AWS clients, the account, the state and its lock, the
 * stack and its steps. Every command (up, down, status, plan) opens one, runs the engine and closes
 * it; `logs` opens one without the lock and reads the stack's logs. What is particular to a stack
 * comes from its Stack (stack.ts), which the CLI passes in.
 */
import { AwsClients } from '../aws/clients.js';
import { isAccessDenied } from '../aws/errors.js';
import { timeScale } from '../aws/poll.js';
import { STACK_NAME_RE, type Config } from '../config/schema.js';
import { WpdeployError } from '../errors.js';
import { createDeps, deleteDeps, type Outputs, type StepDef } from '../resources/types.js';
import type { Approval } from './approval.js';
import { openBackend, parseConcurrency, reachAws, type GlobalOptions } from './connect.js';
import { Engine, type EngineResult } from './deployer.js';
import type { Emit } from './events.js';
import { StackLock } from './lock.js';
import { summarize } from './planner.js';
import type { Stack } from './stack.js';
import { StateStore, type StateBackend } from './state.js';

export type { GlobalOptions };

export interface Session<S extends Stack = Stack> {
  command: string;
  config: Config;
  configSource: string;
  aws: AwsClients;
  account: string;
  endpoint?: string;
  store: StateStore;
  /** What is deployed: its steps, kinds, outputs, health and logs. */
  stack: S;
  /** The stack's steps; none when the session was opened without them (`logs`). */
  steps: StepDef[];
  concurrency: number;
  emit: Emit;
  signal: AbortSignal;
  /** Set when the lock was broken or lost during the run: the run stops and fails with it. */
  lockLost?: WpdeployError;
  close(): Promise<void>;
}

export interface SessionOptions {
  /** Take the stack's lock (commands that may change the stack or its state). Default true. */
  lock?: boolean;
  /** Build the stack's steps (commands that run the engine). Default true; `logs` needs none. */
  steps?: boolean;
}

/** Loads and validates everything local first (config, flags), then reaches AWS. */
export async function openSession<S extends Stack>(command: string, opts: GlobalOptions, emit: Emit, signal: AbortSignal, stack: S, options: SessionOptions = {}): Promise<Session<S>> {
  const { lock = true, steps: withSteps = true } = options;
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
  let steps: StepDef[] = [];
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
    if (withSteps) steps = await stack.steps({ config, aws, account, recorded: store.steps });
  } catch (err) {
    await cleanup();
    throw err;
  }
  return {
    command, config, configSource: source, aws, account, endpoint, store, stack, steps, concurrency, emit, signal: stop.signal,
    get lockLost() {
      return lost;
    },
    close: cleanup,
  };
}

function engineFor(s: Session, { purge = false, approval, preflight = false }: { purge?: boolean; approval?: Approval; preflight?: boolean } = {}): Engine {
  return new Engine({
    purge, approval, preflight: preflight ? s.stack.preflight : undefined,
    steps: s.steps, kinds: s.stack.kinds, store: s.store, aws: s.aws, stack: s.config.stack, region: s.config.region, account: s.account,
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
    ...(s.command === 'up' ? { outputs: s.stack.outputs(s.config, result.outputs) } : {}),
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

/** What `up` would do, changing nothing, and whether its preflight checks pass (the stack's Stack.preflight). */
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

type Kept<S extends Stack> = Awaited<ReturnType<NonNullable<S['keptData']>>>;

/**
 * Removes the stack, keeping its data unless `purge`; the state file goes once nothing is left.
 * With data kept, also says what the stack's Stack.keptData finds (what it is, what it costs).
 */
export async function runDown<S extends Stack>(s: Session<S>, purge = false): Promise<{ result: EngineResult; kept?: Kept<S> }> {
  const started = Date.now();
  announce(s);
  const result = await engineFor(s, { purge }).destroy();
  if (result.ok) await s.store.removeIfEmpty();
  const kept = result.ok && !purge ? ((await s.stack.keptData?.({ aws: s.aws, config: s.config })) as Kept<S> | undefined) : undefined;
  return { result: await conclude(s, result, started), ...(kept === undefined ? {} : { kept }) };
}

/** What the stack looks like after a run (its Stack.health). */
export function health<S extends Stack>(s: Session<S>, result: EngineResult): ReturnType<S['health']> {
  return s.stack.health(s.config, result) as ReturnType<S['health']>;
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
export async function readOutputs<S extends Stack>(s: Session<S>): Promise<ReturnType<S['outputs']>> {
  const outputsOf = (steps: Record<string, Outputs>) => s.stack.outputs(s.config, steps) as ReturnType<S['outputs']>;
  const recorded = Object.fromEntries(Object.entries(s.store.steps).filter(([, st]) => st.outputs).map(([id, st]) => [id, st.outputs!]));
  const wanted = s.stack.outputSteps.filter((id) => s.steps.some((d) => d.id === id));
  if (wanted.every((id) => recorded[id])) return outputsOf(recorded);
  const result = await engineFor(s).apply({ dryRun: true });
  if (!result.ok) throw result.failed[0]?.error ?? new WpdeployError('could not read the stack\'s resources.');
  await assertStackExists(s, result);
  return outputsOf(result.outputs);
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

export interface LogsOptions {
  /** How far back to start, in milliseconds (from --since). */
  sinceMs: number;
  /** Keep polling for new lines until the session's signal aborts (Ctrl-C). */
  follow?: boolean;
}

type LogLineOf<S extends Stack> = Parameters<Parameters<S['readLogs']>[2]>[0];

/**
 * The stack's log lines (its Stack.readLogs), each handed to `onLine`. Takes no lock and writes no
 * state; a stack never deployed is an error that says to run `wpdeploy up`.
 */
export async function readLogs<S extends Stack>(s: Session<S>, options: LogsOptions, onLine: (line: LogLineOf<S>) => void): Promise<void> {
  await s.stack.readLogs({ config: s.config, aws: s.aws, recorded: s.store.steps }, {
    startTime: Date.now() - options.sinceMs, follow: options.follow, signal: s.signal, scale: timeScale(),
  }, onLine as (line: unknown) => void);
}
