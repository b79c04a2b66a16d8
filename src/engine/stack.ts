/**
 * What the engine and the session need to know of a stack, and all they know of it: its steps for a
 * config, its kinds by state name, its preflight, and how its results read to people (outputs,
 * health, logs, the data `down` keeps). The WordPress stack (src/resources/wordpress.ts) is one;
 * the CLI hands it to the session. Nothing in src/engine/ names a step or a kind of it.
 */
import type { AwsClients } from '../aws/clients.js';
import type { Config } from '../config/schema.js';
import type { CheckFailure, Outputs, Preflight, ResourceContext, ResourceKind, StepDef } from '../resources/types.js';
import type { EngineResult } from './engine-run.js';
import type { StepState } from './state.js';

/** One step's preflight, as the engine hands it to Stack.preflight. */
export interface PreflightStep {
  step: string;
  preflight: Preflight;
  /** The step's desired spec, as far as it is known before anything is created (UNKNOWN for ids to come). */
  desired: () => unknown;
  /** The step's context, for its own check. */
  context: () => ResourceContext;
}

/** What a stack reads to build its steps or find its logs: the config, the account, and what state records. */
export interface StackScope {
  config: Config;
  aws: AwsClients;
  account: string;
  /** The steps state records (for choices a stack keeps from run to run, such as its zones). */
  recorded: Readonly<Record<string, StepState>>;
}

export interface LogsRequest {
  /** Epoch milliseconds: lines before it are not read. */
  startTime: number;
  /** Keep reading new lines until `signal` aborts. */
  follow?: boolean;
  signal: AbortSignal;
  /** WPDEPLOY_TIME_SCALE: divides every wait. */
  scale: number;
}

export interface Stack {
  /** Every kind the stack may have recorded, by state name: teardown of steps a newer config dropped. */
  readonly kinds: ReadonlyMap<string, ResourceKind>;
  /** The steps for a config (may read AWS, e.g. to choose Availability Zones). */
  steps(scope: StackScope): Promise<StepDef[]>;
  /**
   * Runs the steps' preflight checks before `up` changes anything; returns those that failed.
   * `recorded(step)`: the state records the step's resource. Unset: no preflight.
   */
  preflight?(ctx: ResourceContext, steps: PreflightStep[], recorded: (step: string) => boolean): Promise<CheckFailure[]>;
  /** The steps whose outputs `outputs` reads: when state lacks one of them, `wpdeploy outputs` asks AWS. */
  readonly outputSteps: readonly string[];
  /** The stack's outputs for people and scripts, from the steps' outputs. Pure. */
  outputs(config: Config, outputs: Record<string, Outputs>): unknown;
  /** What the stack looks like after a run (for `up`'s end and `status`), from its steps' reports and outputs. Pure. */
  health(config: Config, result: Pick<EngineResult, 'items' | 'outputs'>): unknown;
  /** Reads the stack's log lines, each handed to `onLine`; an error that says to deploy when there are none to read. */
  readLogs(scope: Omit<StackScope, 'account'>, request: LogsRequest, onLine: (line: unknown) => void): Promise<void>;
  /** What `down` kept (data), and what it costs a month; undefined when nothing is kept. */
  keptData?(scope: Pick<StackScope, 'aws' | 'config'>): Promise<unknown>;
}
