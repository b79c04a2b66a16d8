/** The text a command prints when it ends: the plan, the status table, the run summary. */
import type { EngineResult, StepReport } from '../engine/deployer.js';
import { summarize } from '../engine/planner.js';
import { WpdeployError, errorMessage } from '../errors.js';
import type { StackOutputs } from '../resources/stack-outputs.js';
import { shortId } from './diagram.js';
import { cutLines, formatDuration, formatValue, type Style } from './style.js';

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [fmt(headers), ...rows.map(fmt)].join('\n');
}

/**
 * A table that fits `width` columns: the columns named in `shrink` give up room in that order (down to
 * 12 characters, or their header), and a cell longer than its column wraps onto more lines.
 */
function fittedTable(headers: string[], rows: string[][], width: number, shrink: number[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  let over = widths.reduce((a, b) => a + b, 0) + 2 * (headers.length - 1) - width;
  for (const i of shrink) {
    if (over <= 0) break;
    const floor = Math.max(12, headers[i]!.length);
    const give = Math.min(over, Math.max(0, widths[i]! - floor));
    widths[i]! -= give;
    over -= give;
  }
  const fmt = (r: string[]) => {
    const cells = r.map((c, i) => cutLines(c, widths[i]!, ' /:,'));
    return Array.from({ length: Math.max(...cells.map((c) => c.length)) }, (_, n) =>
      cells.map((c, i) => (i === cells.length - 1 ? c[n] ?? '' : (c[n] ?? '').padEnd(widths[i]!))).join('  ').trimEnd(),
    ).join('\n');
  };
  return [fmt(headers), ...rows.map(fmt)].join('\n');
}

/** `missing`, `not created`, `changed: field a -> b`, or `-` when the resource matches the config. */
function driftOf(item: StepReport): string {
  if (item.op === 'create') return item.recordedId ? `missing (${item.recordedId} was deleted outside wpdeploy)` : 'not created';
  if (item.op === 'update' || item.op === 'replace') {
    return `changed: ${item.changes.map((c) => `${c.field} ${formatValue(c.from)} -> ${formatValue(c.to)}`).join('; ')}`;
  }
  if (item.op === 'delete') return 'no longer in the config';
  return '-';
}

/**
 * The status table. With a `width` (a terminal's) and not `wide`, it fits that width: no KIND column,
 * ARNs without their region and account, long cells wrapped. Otherwise every column, in full.
 */
export function statusTable(result: EngineResult, opts: { width?: number; wide?: boolean } = {}): string {
  const state = (i: StepReport) => i.state ?? (i.op === 'create' ? 'absent' : '-');
  if (opts.wide || !opts.width) {
    return table(['STEP', 'KIND', 'ID', 'STATE', 'DRIFT'], result.items.map((i) => [i.step, i.kind, i.id ?? '-', state(i), driftOf(i)]));
  }
  const rows = result.items.map((i) => [i.step, i.id ? shortId(i.id) : '-', state(i), driftOf(i)]);
  return fittedTable(['STEP', 'ID', 'STATE', 'DRIFT'], rows, opts.width, [1, 3, 0, 2]);
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

/** A value of a plan line, cut to one screen line (the saved plan, `plan -o`, has it whole). */
function shortValue(v: unknown, max = 100): string {
  const text = formatValue(v);
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * What `plan` (and `up`, before it asks) shows: the steps that change, with the attributes of a
 * create and `old -> new` for each changed field; `all` lists the unchanged steps too.
 */
export function planText(result: Pick<EngineResult, 'items'>, st: Style, opts: { all?: boolean } = {}): string {
  const shown = opts.all ? result.items : result.items.filter((i) => i.op !== 'same');
  const lines = shown.map((i) => {
    const sym = { create: st.green('+'), update: st.yellow('~'), replace: st.red('±'), delete: st.red('-'), same: st.dim('=') }[i.op];
    const detail =
      i.op === 'update' || i.op === 'replace'
        ? i.changes.map((c) => `\n      ${c.field}: ${shortValue(c.from, 60)} -> ${shortValue(c.to, 60)}`).join('') + (i.op === 'replace' ? `\n      ${i.refused ? 'refused' : 'replace'}: ${i.reason}` : '')
        : i.op === 'create'
          ? (i.recordedId ? ` (${i.reason})` : '') + Object.entries(i.attributes ?? {}).map(([k, v]) => `\n      ${k}: ${shortValue(v)}`).join('')
          : i.op === 'delete' && i.reason ? ` (${i.reason})` : '';
    return `  ${sym} ${i.op.padEnd(7)} ${i.step}${i.id ? st.dim(` ${i.id}`) : ''}${detail}`;
  });
  const c = summarize(result.items);
  const total = c.create + c.update + c.replace + c.delete;
  if (!opts.all && c.same > 0 && total > 0) lines.push(st.dim(`  (${c.same} unchanged, not listed: \`wpdeploy plan --all\` lists them)`));
  const last = total === 0 ? 'No changes: the stack matches the config.' : `Plan: ${c.create} to create, ${c.update} to update, ${c.replace} to replace, ${c.delete} to delete, ${c.same} unchanged.`;
  return lines.length ? `${lines.join('\n')}\n\n${last}` : last;
}

/** `Monthly cost: $0.00 -> $123.45 (estimate)` for a plan; undefined when there is no estimate. */
export function costChangeText(cost: { before?: number; after: number } | undefined): string | undefined {
  if (!cost) return undefined;
  const before = cost.before === undefined ? 'not recorded' : `$${cost.before.toFixed(2)}`;
  return `Monthly cost: ${before} -> $${cost.after.toFixed(2)} (on-demand estimate; \`wpdeploy cost\` lists the lines).`;
}

export function summaryText(command: string, stack: string, result: EngineResult, calls: { read: number; mutating: number }, elapsedMs: number, st: Style): string {
  const c = summarize(result.items);
  const out: string[] = [];
  if (result.interrupted) {
    out.push(st.yellow(`${command} interrupted after ${formatDuration(elapsedMs)}; the state is saved.`));
  } else if (!result.ok) {
    out.push(st.red(`${command} failed after ${formatDuration(elapsedMs)}.`));
  } else if (command === 'down') {
    const kept = result.kept.length;
    out.push(st.green(`Stack ${stack} removed in ${formatDuration(elapsedMs)}: ${c.delete} deleted, ${kept ? `${kept} kept, ` : ''}${c.same - kept} already gone.`));
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

/** `wpdeploy outputs`: one `name: value` line each, the ones the stack has. */
export function outputsText(outputs: StackOutputs): string {
  const rows: Array<[string, string | undefined]> = [
    ['Site', outputs.siteUrl], ['Load balancer', outputs.albDnsName], ['Database', outputs.database?.endpoint && `${outputs.database.endpoint}:${outputs.database.port ?? 3306}`],
    ['Database proxy', outputs.database?.proxyEndpoint], ['Cluster', outputs.cluster], ['Service', outputs.service], ['Log group', outputs.logGroup],
  ];
  return rows.filter(([, v]) => v).map(([k, v]) => `${`${k}:`.padEnd(16)}${v}`).join('\n');
}
