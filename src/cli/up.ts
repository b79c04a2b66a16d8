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

function printPlan(o: PlanOpts, s: Session, result: EngineResult, cost: SavedPlan['cost']): void {
  out(o, `Plan for stack ${s.config.stack} in ${s.config.region} (account ${s.account}):\n`);
  out(o, planText(result, makeStyle(useColor(o)), { all: o.all }) + '\n');
  for (const f of result.failed) out(o, `  ✗ ${f.step}: ${errorMessage(f.error)}${f.error instanceof WpdeployError && f.error.hint ? `\n  ${f.error.hint}` : ''}\n`);
  const c = hasChanges(result.items) ? costChangeText(cost) : undefined;
  if (c) out(o, c + '\n');
}

export async function plan(o: PlanOpts): Promise<void> {
  let planned = false;
  await withSession('plan', o, true, false, async (s) => {
    planned = true;
    const from = basis(s);
    const result = await runPlan(s);
    const cost = costChange(s);
    if (!o.json) printPlan(o, s, result, cost);
    if (!result.ok) return finalCode(result);
    if (o.output) {
      writePlan(o.output, newPlan({ ...from, endpoint: s.endpoint, cost }, result.items));
      if (!o.json) out(o, `Saved the plan to ${o.output}: \`wpdeploy up --plan ${shellQuote(o.output)}\` applies exactly it.\n`);
    }
    return o.detailedExitcode && hasChanges(result.items) ? 2 : EXIT.ok;
  });
  // With --detailed-exitcode, 2 means "changes": bad usage or config is then 1, so CI can tell them apart.
  if (o.detailedExitcode && !planned && process.exitCode === EXIT.usage) process.exitCode = EXIT.failure;
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
async function approveAsked(o: UpOpts, s: Session, started: number): Promise<{ approval?: Approval; code?: number }> {
  process.stderr.write(`Planning stack ${s.config.stack} in ${s.config.region} (account ${s.account})…\n`);
  const p = await runPlan(s);
  if (!p.ok || !hasChanges(p.items)) {
    printSummary('up', o, s, p, started);
    if (p.ok) printSite(o, s, p);
    return { code: finalCode(p) };
  }
  printPlan(o, s, p, costChange(s));
  const answer = await ask('Apply? (yes/no) ');
  if (answer?.toLowerCase() !== 'yes') {
    process.stderr.write('up cancelled: nothing was changed.\n');
    return { code: EXIT.failure };
  }
  return { approval: { destructive: true, planned: decisions(p.items) } };
}

function printSite(o: Opts, s: Session, result: EngineResult): void {
  const h = health(s, result);
  if (h.url) out(o, `Site: ${h.url}${simulated(s)}\n`);
  if (!h.encrypted) out(o, 'Warning: no domain is configured, so the site is served over plain HTTP and its traffic is unencrypted. Set `domain` in the config to serve HTTPS.\n');
}

export async function up(o: UpOpts): Promise<void> {
  const started = Date.now();
  let saved: SavedPlan | undefined;
  try {
    if (o.plan) saved = readPlan(o.plan);
  } catch (err) {
    process.exitCode = report(err, o);
    return;
  }
  if (o.cost && !o.json) await printCostBrief(o);
  const asking = !o.yes && !saved && canAsk(o);
  await withSession('up', o, false, true, async (s, progress) => {
    // --yes: anything the config asks; no terminal: no delete or replace; otherwise what the person approved.
    let approval: Approval | undefined = o.yes ? undefined : { destructive: false };
    if (saved) approval = await approveSaved(s, saved, o.plan!);
    else if (asking) {
      const asked = await approveAsked(o, s, started);
      if (!asked.approval) return asked.code!;
      approval = asked.approval;
    }
    if (saved || asking) progress.use(renderer(o, false));
    const result = await runUp(s, approval);
    if (result.ok) await recordCost(s, costChange(s)?.after);
    printSummary('up', o, s, result, started);
    if (!o.json && result.ok) printSite(o, s, result);
    return finalCode(result);
  }, saved || asking ? quietRenderer(process.stderr) : undefined);
}
