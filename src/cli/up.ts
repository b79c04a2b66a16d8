/**
 * `plan` and `up`. In a terminal, `up` shows the plan (creates with their attributes, updates with
 * `old -> new`, replacements, deletes, the monthly cost before -> after) and asks "Apply? (yes/no)";
 * it then applies exactly what was shown. Without a terminal and without --yes it goes ahead with
 * creates and updates and refuses to delete or replace. `plan -o FILE` saves a plan; `up --plan
 * FILE` applies exactly that plan, or refuses when the config, the state or the resources changed.
 */
import { estimateCost } from '../cost/estimate.js';
import { loadPriceBook } from '../cost/prices.js';
import { EXIT, WpdeployError, errorMessage } from '../errors.js';
import type { Approval } from '../engine/approval.js';
import type { EngineResult } from '../engine/deployer.js';
import { checkBasis, configHash, newPlan, planDifferences, readPlan, stateHash, writePlan, type PlanBasis, type SavedPlan } from '../engine/plan-file.js';
import { hasChanges, type PlanItem } from '../engine/planner.js';
import { costBefore, health, recordCost, runPlan, runUp, type Session as StackSession } from '../engine/session.js';
import type { WordPressStack } from '../resources/wordpress.js';
import { quietRenderer } from '../ui/renderers.js';
import { costChangeText, planText } from '../ui/report.js';
import { makeStyle } from '../ui/style.js';
import { shellQuote } from './command-line.js';
import { ask, canAsk, finalCode, out, printCostBrief, printSummary, renderer, report, simulated, useColor, withSession, type Opts } from './commands.js';

type Session = StackSession<WordPressStack>;

type PlanOpts = Opts & { all?: boolean; output?: string };
type UpOpts = Opts & { plan?: string };

const basis = (s: Session): PlanBasis => ({ stack: s.config.stack, region: s.config.region, account: s.account, configHash: configHash(s.config), stateHash: stateHash(s.store.state) });

/** The monthly estimate of the config (after) and of what the stack has now (before); none without prices for the region. */
function costChange(s: Session): SavedPlan['cost'] {
  try {
    return { before: costBefore(s), after: estimateCost(s.config, loadPriceBook()).total };
  } catch {
    return undefined;
  }
}

function printPlan(opts: PlanOpts, s: Session, result: EngineResult, cost: SavedPlan['cost']): void {
  out(opts, `Plan for stack ${s.config.stack} in ${s.config.region} (account ${s.account}):\n`);
  out(opts, planText(result, makeStyle(useColor(opts)), { all: opts.all }) + '\n');
  for (const f of result.failed) out(opts, `  ✗ ${f.step}: ${errorMessage(f.error)}${f.error instanceof WpdeployError && f.error.hint ? `\n  ${f.error.hint}` : ''}\n`);
  const c = hasChanges(result.items) ? costChangeText(cost) : undefined;
  if (c) out(opts, c + '\n');
}

export async function plan(opts: PlanOpts): Promise<void> {
  let planned = false;
  await withSession('plan', opts, true, false, async (s) => {
    planned = true;
    const from = basis(s);
    const result = await runPlan(s);
    const cost = costChange(s);
    if (!opts.json) printPlan(opts, s, result, cost);
    if (!result.ok) return finalCode(result);
    if (opts.output) {
      writePlan(opts.output, newPlan({ ...from, endpoint: s.endpoint, cost }, result.items));
      if (!opts.json) out(opts, `Saved the plan to ${opts.output}: \`wpdeploy up --plan ${shellQuote(opts.output)}\` applies exactly it.\n`);
    }
    return opts.detailedExitcode && hasChanges(result.items) ? 2 : EXIT.ok;
  });
  // With --detailed-exitcode, 2 means "changes": bad usage or config is then 1, so CI can tell them apart.
  if (opts.detailedExitcode && !planned && process.exitCode === EXIT.usage) process.exitCode = EXIT.failure;
}

const decisions = (items: readonly PlanItem[]) => new Map(items.map((i) => [i.step, i]));

/** `up --plan FILE`: the saved plan, checked against the config, the state and the resources now. */
async function approveSaved(s: Session, saved: SavedPlan, file: string): Promise<Approval> {
  checkBasis(saved, file, basis(s));
  const now = await runPlan(s);
  if (!now.ok) throw now.failed[0]!.error;
  const diffs = planDifferences(saved.items, now.items);
  if (diffs.length) {
    throw new WpdeployError(`the resources of stack ${s.config.stack} changed since the plan in ${file} was made, so it does not apply. Nothing was changed:\n  ${diffs.join('\n  ')}`, {
      hint: 'Make a new plan with `wpdeploy plan -o plan.json`, review it, and apply that one.',
    });
  }
  return { destructive: true, planned: decisions(saved.items) };
}

/** In a terminal: shows the plan and asks. No approval when there is nothing to apply or the answer is not "yes": `code` is the exit code then. */
async function approveAsked(opts: UpOpts, s: Session, started: number): Promise<{ approval?: Approval; code?: number }> {
  process.stderr.write(`Planning stack ${s.config.stack} in ${s.config.region} (account ${s.account})…\n`);
  const p = await runPlan(s);
  if (!p.ok || !hasChanges(p.items)) {
    printSummary('up', opts, s, p, started);
    if (p.ok) printSite(opts, s, p);
    return { code: finalCode(p) };
  }
  printPlan(opts, s, p, costChange(s));
  const answer = await ask('Apply? (yes/no) ');
  if (answer?.toLowerCase() !== 'yes') {
    process.stderr.write('up cancelled: nothing was changed.\n');
    return { code: EXIT.failure };
  }
  return { approval: { destructive: true, planned: decisions(p.items) } };
}

function printSite(opts: Opts, s: Session, result: EngineResult): void {
  const h = health(s, result);
  if (h.url) out(opts, `Site: ${h.url}${simulated(s)}\n`);
  if (!h.encrypted) out(opts, 'Warning: no domain is configured, so the site is served over plain HTTP and its traffic is unencrypted. Set `domain` in the config to serve HTTPS.\n');
}

export async function up(opts: UpOpts): Promise<void> {
  const started = Date.now();
  let saved: SavedPlan | undefined;
  try {
    if (opts.plan) saved = readPlan(opts.plan);
  } catch (err) {
    process.exitCode = report(err, opts);
    return;
  }
  if (opts.cost && !opts.json) await printCostBrief(opts);
  const asking = !opts.yes && !saved && canAsk(opts);
  await withSession('up', opts, false, true, async (s, progress) => {
    // --yes: anything the config asks; no terminal: no delete or replace; otherwise what the person approved.
    let approval: Approval | undefined = opts.yes ? undefined : { destructive: false };
    if (saved) approval = await approveSaved(s, saved, opts.plan!);
    else if (asking) {
      const asked = await approveAsked(opts, s, started);
      if (!asked.approval) return asked.code!;
      approval = asked.approval;
    }
    if (saved || asking) progress.use(renderer(opts, false));
    const result = await runUp(s, approval);
    if (result.ok) await recordCost(s, costChange(s)?.after);
    printSummary('up', opts, s, result, started);
    if (!opts.json && result.ok) printSite(opts, s, result);
    return finalCode(result);
  }, saved || asking ? quietRenderer(process.stderr) : undefined);
}
