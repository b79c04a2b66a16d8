/**
 * The preflight: before `up` changes anything (and as part of `plan`), the checks the steps declare
 * (StepDef.preflight) run at once, in parallel with the steps' reads: the account quotas the run
 * would take from (quotas.ts), and each step's own check (the database is orderable, db-orderable.ts).
 * The hosted zone's delegation is checked by its own step (hosted-zone.ts), which also holds back
 * every change until it passes.
 *
 * The local emulator (`--local`) has no account quotas and no instance catalog: nothing is checked
 * there. Any other endpoint is asked as AWS is; one that does not implement an API (an emulator
 * behind `--endpoint-url`) gets a warning that the check was not made, never a silent pass.
 */
import { errorMessage } from '../errors.js';
import { isNotImplemented, recommendAction } from '../aws/errors.js';
import { checkQuota, type StepQuotaUse } from './quotas.js';
import type { CheckFailure, Preflight, QuotaId, ResourceContext } from './types.js';

export interface PreflightStep {
  step: string;
  preflight: Preflight;
  /** The step's desired spec, as far as it is known before anything is created (UNKNOWN for ids to come). */
  desired: () => unknown;
  /** The step's context, for its own check. */
  context: () => ResourceContext;
}

/** A check that could not run is a failure too: `up` must not start blind (but for an endpoint override without the API). */
async function guarded(ctx: ResourceContext, check: string, fn: () => Promise<CheckFailure[]>): Promise<CheckFailure[]> {
  try {
    return await fn();
  } catch (err) {
    if (ctx.aws.settings.endpoint && isNotImplemented(err)) {
      ctx.warn(`preflight ${check} not checked: the endpoint ${ctx.aws.settings.endpoint} does not answer its API (an emulator); AWS does.`);
      return [];
    }
    return [{ check, message: `preflight ${check} could not be checked: ${errorMessage(err)}. Nothing was changed.`, hint: recommendAction(err) ?? 'Check the network and the permissions, then run wpdeploy again.' }];
  }
}

/**
 * Runs every check and returns those that failed (empty: all passed). `recorded(step)`: the state
 * records the step's resource, so the run likely creates nothing there and a quota's value is asked
 * for only if its usage shows a need.
 */
export async function runPreflight(ctx: ResourceContext, steps: PreflightStep[], recorded: (step: string) => boolean): Promise<CheckFailure[]> {
  if (ctx.aws.settings.local || steps.length === 0) return [];
  const byQuota = new Map<QuotaId, StepQuotaUse[]>();
  for (const s of steps) for (const u of s.preflight.quotas ?? []) byQuota.set(u.quota, [...(byQuota.get(u.quota) ?? []), { ...u, step: s.step }]);
  const quotaChecks = [...byQuota].map(([id, uses]) =>
    guarded(ctx, `quota ${id}`, () => checkQuota(ctx, id, uses, uses.some((u) => !recorded(u.step)))));
  const stepChecks = steps.filter((s) => s.preflight.check).map((s) =>
    guarded(ctx, `of ${s.step}`, async () => {
      const f = await s.preflight.check!(s.context(), s.desired());
      return f ? [f] : [];
    }));
  return (await Promise.all([...quotaChecks, ...stepChecks])).flat();
}
