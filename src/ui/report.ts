/** The text a command prints when it ends: the plan, the status table, the run summary. */
import type { EngineResult, StepReport } from '../engine/deployer.js';
import { summarize } from '../engine/planner.js';
import { WpdeployError, errorMessage } from '../errors.js';
import { formatDuration, formatValue, type Style } from './style.js';

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [fmt(headers), ...rows.map(fmt)].join('\n');
}

/** `missing`, `not created`, `changed: field a -> b`, or `-` when the resource matches the config. */
export function driftOf(item: StepReport): string {
  if (item.op === 'create') return item.recordedId ? `missing (${item.recordedId} was deleted outside wpdeploy)` : 'not created';
  if (item.op === 'update' || item.op === 'replace') {
    return `changed: ${item.changes.map((c) => `${c.field} ${formatValue(c.from)} -> ${formatValue(c.to)}`).join('; ')}`;
  }
  if (item.op === 'delete') return 'no longer in the config';
  return '-';
}

export function statusTable(result: EngineResult): string {
  return table(
    ['STEP', 'KIND', 'ID', 'STATE', 'DRIFT'],
    result.items.map((i) => [i.step, i.kind, i.id ?? '-', i.state ?? (i.op === 'create' ? 'absent' : '-'), driftOf(i)]),
  );
}

export function statusDocument(meta: { stack: string; region: string; account: string }, result: EngineResult) {
  return {
    ...meta,
    healthy: result.ok && result.items.every((i) => i.op === 'same'),
    steps: result.items.map((i) => ({
      step: i.step, kind: i.kind, id: i.id ?? null, state: i.state ?? null,
      drift: i.op === 'same' ? null : { op: i.op, missing: i.op === 'create' && !!i.recordedId, changes: i.changes, reason: i.reason ?? null },
    })),
  };
}

export function planText(result: EngineResult, st: Style): string {
  const lines = result.items.map((i) => {
    const sym = { create: st.green('+'), update: st.yellow('~'), replace: st.red('±'), delete: st.red('-'), same: st.dim('=') }[i.op];
    const detail =
      i.op === 'update' || i.op === 'replace'
        ? i.changes.map((c) => `\n      ${c.field}: ${formatValue(c.from)} -> ${formatValue(c.to)}`).join('') + (i.op === 'replace' ? `\n      ${i.refused ? 'refused' : 'replace'}: ${i.reason}` : '')
        : i.op === 'create' && i.recordedId ? ` (${i.reason})` : '';
    return `  ${sym} ${i.op.padEnd(7)} ${i.step}${i.id ? st.dim(` ${i.id}`) : ''}${detail}`;
  });
  const c = summarize(result.items);
  const total = c.create + c.update + c.replace + c.delete;
  return `${lines.join('\n')}\n\n${total === 0 ? 'No changes: the stack matches the config.' : `Plan: ${c.create} to create, ${c.update} to update, ${c.replace} to replace, ${c.delete} to delete, ${c.same} unchanged.`}`;
}

export function summaryText(command: string, stack: string, result: EngineResult, calls: { read: number; mutating: number }, elapsedMs: number, st: Style): string {
  const c = summarize(result.items);
  const out: string[] = [];
  if (result.interrupted) {
    out.push(st.yellow(`${command} interrupted after ${formatDuration(elapsedMs)}; the state is saved.`));
  } else if (!result.ok) {
    out.push(st.red(`${command} failed after ${formatDuration(elapsedMs)}.`));
  } else if (command === 'down') {
    out.push(st.green(`Stack ${stack} removed in ${formatDuration(elapsedMs)}: ${c.delete} deleted, ${c.same} already gone.`));
  } else if (c.create + c.update + c.replace + c.delete === 0) {
    out.push(st.green(`No changes: stack ${stack} is up to date (${c.same} resources checked in ${formatDuration(elapsedMs)}).`));
  } else {
    out.push(st.green(`Stack ${stack} is up to date after ${formatDuration(elapsedMs)}: ${c.create} created, ${c.update} updated, ${c.replace} replaced, ${c.delete} deleted, ${c.same} unchanged.`));
  }
  for (const f of result.failed) {
    const e = f.error instanceof WpdeployError ? f.error : undefined;
    out.push(st.red(`  ✗ ${f.step}: ${errorMessage(f.error)}`));
    if (e?.hint) out.push(`    ${e.hint}`);
  }
  if (result.skipped.length) out.push(st.yellow(`  not started: ${result.skipped.join(', ')}`));
  out.push(st.dim(`AWS API calls: ${calls.read} read, ${calls.mutating} mutating.`));
  return out.join('\n');
}
