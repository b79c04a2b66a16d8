/**
 * A saved plan (`plan -o plan.json`) and its check (`up --plan plan.json`): the decisions of one
 * plan, with what they were planned from (a digest of the config, and of the state at the time).
 * `up --plan` applies exactly those decisions, or refuses when the config, the state or the
 * resources changed since: the pull-request-then-merge workflow, where a person reviews the plan.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { UsageError, WpdeployError, errorMessage } from '../errors.js';
import { VERSION } from '../version.js';
import { sameDecision, type PlanItem } from './planner.js';
import type { StackState } from './state.js';

const FORMAT = 'wpdeploy-plan';

export interface SavedPlan {
  format: typeof FORMAT;
  version: 1;
  wpdeploy: string;
  createdAt: string;
  stack: string;
  region: string;
  account: string;
  endpoint?: string;
  /** sha256 of the resolved config (every key, defaults included). */
  configHash: string;
  /** sha256 of the state's steps when planned (what was recorded: ids, outputs, pending work). */
  stateHash: string;
  /** Estimated monthly cost (USD) before and after, when known. */
  cost?: { before?: number; after: number };
  items: PlanItem[];
}

/** JSON with the keys of every object sorted, so equal values hash equally. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const sha256 = (v: unknown) => createHash('sha256').update(canonical(v)).digest('hex');
export const configHash = (config: Config) => sha256(config);
export const stateHash = (state: Pick<StackState, 'steps'>) => sha256(state.steps);

export function writePlan(file: string, plan: SavedPlan): void {
  writeFileSync(file, JSON.stringify(plan, null, 2) + '\n');
}

/** Reads a saved plan; a missing or foreign file is bad usage (exit 2, before any AWS call). */
export function readPlan(file: string): SavedPlan {
  let data: Partial<SavedPlan>;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as Partial<SavedPlan>;
  } catch (err) {
    throw new UsageError(`--plan ${file} cannot be read: ${errorMessage(err)}.`, 'Name a file written by `wpdeploy plan -o plan.json`.');
  }
  if (data?.format !== FORMAT || data.version !== 1 || !Array.isArray(data.items) || typeof data.configHash !== 'string' || typeof data.stateHash !== 'string') {
    throw new UsageError(`--plan ${file} is not a plan saved by wpdeploy (format ${FORMAT}, version 1).`, 'Save one with `wpdeploy plan -o plan.json`.');
  }
  return data as SavedPlan;
}

export interface PlanBasis {
  stack: string;
  region: string;
  account: string;
  configHash: string;
  stateHash: string;
}

/** Refuses a plan made for another stack, another config or another state than this run's. */
export function checkBasis(plan: SavedPlan, file: string, now: PlanBasis): void {
  const target = `${plan.stack} in ${plan.region} (account ${plan.account})`;
  const problems: string[] = [];
  if (plan.stack !== now.stack || plan.region !== now.region || plan.account !== now.account) {
    problems.push(`it is for stack ${target}, and this run targets ${now.stack} in ${now.region} (account ${now.account})`);
  }
  if (plan.configHash !== now.configHash) problems.push('the config changed since it was made');
  if (plan.stateHash !== now.stateHash) problems.push('the stack\'s state changed since it was made (another run changed the stack)');
  if (problems.length) {
    throw new WpdeployError(`the plan in ${file} does not apply: ${problems.join('; ')}. Nothing was changed.`, {
      hint: 'Make a new plan with `wpdeploy plan -o plan.json`, review it, and apply that one.',
    });
  }
}

/** The steps whose decision now differs from the saved plan's (the resources changed since). */
export function planDifferences(plan: readonly PlanItem[], now: readonly PlanItem[]): string[] {
  const planned = new Map(plan.map((i) => [i.step, i]));
  const out: string[] = [];
  for (const n of now) {
    const p = planned.get(n.step);
    if (!(p ? sameDecision(p, n) : n.op === 'same')) out.push(`${n.step}: planned ${p?.op ?? 'nothing'}, now ${n.op}${n.reason ? ` (${n.reason})` : ''}`);
    planned.delete(n.step);
  }
  for (const p of planned.values()) if (p.op !== 'same') out.push(`${p.step}: planned ${p.op}, now nothing to do`);
  return out;
}

export function newPlan(basis: PlanBasis & { endpoint?: string; cost?: SavedPlan['cost'] }, items: PlanItem[]): SavedPlan {
  return {
    format: FORMAT, version: 1, wpdeploy: VERSION, createdAt: new Date().toISOString(),
    ...basis, items: items.map(({ step, kind, op, id, changes, reason, refused, attributes }) => ({ step, kind, op, id, changes, reason, refused, attributes })),
  };
}
