/**
 * One command's session: the config, the AWS clients, the account, the state and its lock, and the
 * steps. Every command (up, down, status, plan) opens one, runs the engine and closes it; `logs`
 * opens one without the lock and reads the app log group.
 */
import { resolve } from 'node:path';
import { AwsClients } from '../aws/clients.js';
import { ensureLocalEmulator } from '../aws/emulator.js';
import { isCredentialsError, recommendAction } from '../aws/errors.js';
import { callerAccount } from '../aws/identity.js';
import { timeScale } from '../aws/poll.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { UsageError, WpdeployError, errorMessage } from '../errors.js';
import { chooseZones, recordedZones } from '../resources/availability-zones.js';
import { describeKeptData, keptMonthlyCost, type KeptCost } from '../resources/kept-data.js';
import { readLogEvents, type LogLine } from '../resources/log-events.js';
import { appNames, appSummary, type AppSummary } from '../resources/stack-app.js';
import { KINDS, buildSteps } from '../resources/stack.js';
import type { StepDef } from '../resources/types.js';
import { Engine, type EngineResult } from './deployer.js';
import type { Emit } from './events.js';
import { StackLock } from './lock.js';
import { summarize } from './planner.js';
import { StateStore } from './state.js';

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
/** How the local emulator is recorded in state: its port may change between starts. */
export const LOCAL_ENDPOINT = 'local';

export interface Session {
  command: string;
  config: Config;
  configSource: string;
  aws: AwsClients;
  account: string;
  endpoint?: string;
  store: StateStore;
  steps: StepDef[];
  concurrency: number;
  emit: Emit;
  signal: AbortSignal;
  close(): void;
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

/** Loads and validates everything local first (config, flags), then reaches AWS. */
export async function openSession(command: string, opts: GlobalOptions, emit: Emit, signal: AbortSignal, lock = true): Promise<Session> {
  const concurrency = parseConcurrency(opts.concurrency);
  const { config, source } = loadConfig({ file: opts.config, stack: opts.stack, region: opts.region });
  const stateDir = resolve(opts.state ?? 'state');
  if (/^[a-z0-9]+:\/\//i.test(opts.state ?? '')) {
    throw new UsageError(`--state ${opts.state}: only a local directory is supported by this version.`, 'Pass a directory, e.g. --state state/.');
  }
  if (opts.local && opts.endpointUrl) throw new UsageError('--local and --endpoint-url both choose the endpoint.', 'Pass one of them.');
  const endpointFlag = opts.endpointUrl ?? (opts.local ? undefined : process.env.AWS_ENDPOINT_URL || undefined);
  if (endpointFlag && !/^https?:\/\/[^\s/]+/.test(endpointFlag)) {
    throw new UsageError(`endpoint ${endpointFlag} is not a URL.`, 'Use a URL like http://localhost:4566.');
  }

  const endpoint = opts.local ? await ensureLocalEmulator(stateDir, (message) => emit({ type: 'warning', message })) : endpointFlag;
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
  const identity = { stack: config.stack, region: config.region, account, endpoint: opts.local ? LOCAL_ENDPOINT : endpoint };
  let store: StateStore;
  let stackLock: StackLock | undefined;
  try {
    stackLock = lock ? StackLock.acquire(stateDir, config.stack, command, (message) => emit({ type: 'warning', message })) : undefined;
    store = StateStore.open(stateDir, identity);
    store.bindAccount(account);
  } catch (err) {
    stackLock?.release();
    aws.destroy();
    throw err;
  }
  let zones: string[];
  try {
    zones = recordedZones(store.steps, config.network.azCount) ?? (await chooseZones(aws, config.region, config.network.azCount));
  } catch (err) {
    stackLock?.release();
    aws.destroy();
    throw err;
  }
  return {
    command, config, configSource: source, aws, account, endpoint, store, steps: buildSteps(config, { zones, account }), concurrency, emit, signal,
    close() {
      stackLock?.release();
      aws.destroy();
    },
  };
}

function engineFor(s: Session, purge = false): Engine {
  return new Engine({
    purge,
    steps: s.steps, kinds: KINDS, store: s.store, aws: s.aws, stack: s.config.stack, region: s.config.region, account: s.account,
    userTags: s.config.tags, concurrency: s.concurrency, emit: s.emit, signal: s.signal, scale: timeScale(),
  });
}

function announce(s: Session): void {
  s.emit({
    type: 'run-start', command: s.command, stack: s.config.stack, region: s.config.region, account: s.account, endpoint: s.endpoint,
    steps: s.steps.map((d) => ({ id: d.id, kind: d.kind.kind, dependsOn: d.dependsOn.map((x) => x.step), expectedMs: d.kind.timing?.createMs })),
  });
}

async function conclude(s: Session, result: EngineResult, started: number): Promise<EngineResult> {
  s.emit({
    type: 'run-done', command: s.command, ok: result.ok, interrupted: result.interrupted, counts: summarize(result.items),
    calls: { read: s.aws.calls.read, mutating: s.aws.calls.mutating, byOperation: { ...s.aws.calls.byOperation } }, elapsedMs: Date.now() - started,
  });
  return result;
}

/** Converges the stack to the config. */
export async function runUp(s: Session): Promise<EngineResult> {
  const started = Date.now();
  announce(s);
  if (!s.store.exists()) await s.store.save(); // the stack's identity is on disk before the first mutation
  return conclude(s, await engineFor(s).apply({ dryRun: false }), started);
}

/** What `up` would do, changing nothing. */
export async function runPlan(s: Session): Promise<EngineResult> {
  const started = Date.now();
  announce(s);
  return conclude(s, await engineFor(s).apply({ dryRun: true }), started);
}

/** Live state and drift of every step (a read-only plan). */
export const runStatus = runPlan;

/**
 * Removes the stack, keeping its data unless `purge`; the state file goes once nothing is left.
 * With data kept, also says what it is and what it costs a month.
 */
export async function runDown(s: Session, purge = false): Promise<{ result: EngineResult; kept?: KeptCost }> {
  const started = Date.now();
  announce(s);
  const result = await engineFor(s, purge).destroy();
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
