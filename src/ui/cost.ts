/** The text and JSON forms of a cost estimate (src/cost/estimate.ts). */
import type { CostEstimate, CostLine } from '../cost/estimate.js';
import type { Style } from './style.js';

export function money(usd: number): string {
  return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function quantity(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: Number.isInteger(n) ? 0 : 2 });
}

function unitPrice(usd: number): string {
  const digits = usd === 0 ? 2 : Math.min(8, Math.max(2, 2 - Math.floor(Math.log10(usd)) + 2));
  return `$${usd.toFixed(digits).replace(/(\.\d\d\d*?)0+$/, '$1')}`;
}

function row(cells: string[], widths: number[], right: boolean[]): string {
  return cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
}

/** A table of the lines, the total, the lines outside the total, the assumptions and what is left out. */
export function costText(e: CostEstimate, st: Style): string {
  const cells = (l: CostLine) => [
    l.service,
    l.item,
    `${quantity(l.quantity)} ${l.unit}`,
    `${l.estimatedPrice ? '~' : ''}${unitPrice(l.unitPrice)}`,
    money(l.monthly),
  ];
  const inTotal = e.lines.filter((l) => l.inTotal);
  const aside = e.lines.filter((l) => !l.inTotal);
  const headers = ['SERVICE', 'ITEM', 'QUANTITY', 'UNIT PRICE', 'MONTHLY'];
  const all = [headers, ...e.lines.map(cells), ['', 'Total', '', '', money(e.total)]];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const right = [false, false, true, true, true];
  const out: string[] = [];
  out.push(st.bold(`Monthly on-demand estimate for stack ${e.stack} in ${e.region} (${e.regionName}), in ${e.currency}`));
  out.push(st.dim(`Prices: ${e.pricesSource.split(' (')[0]}, checked ${e.pricesChecked}; ${e.hoursPerMonth} hours a month.`));
  out.push('');
  out.push(row(headers, widths, right));
  for (const l of inTotal) out.push(row(cells(l), widths, right));
  out.push(' '.repeat(widths.slice(0, 4).reduce((s, w) => s + w + 2, 0)) + '-'.repeat(widths[4]!));
  out.push(st.bold(row(['', 'Total', '', '', money(e.total)], widths, right)));
  for (const l of aside) out.push(st.dim(row(cells(l), widths, right)));
  if (aside.length) out.push(st.dim(`${aside.map((l) => `(${l.note}`).join(' ')} The total would then be ${money(e.totalAtScalingMax)}.)`));
  if (e.lines.some((l) => l.estimatedPrice)) out.push(st.dim('~ the price is an estimate, not checked against a published AWS price (see the price file).'));
  out.push('');
  out.push('Assumptions (set them under `cost:` in wpdeploy.yml):');
  const kw = Math.max(...e.assumptions.map((x) => x.key.length));
  const vw = Math.max(...e.assumptions.map((x) => quantity(x.value).length));
  for (const x of e.assumptions) out.push(`  ${x.key.padEnd(kw)}  ${quantity(x.value).padStart(vw)}  ${x.meaning}`);
  const notes = inTotal.filter((l) => l.note);
  if (notes.length) {
    out.push('');
    out.push('How lines are counted:');
    for (const l of notes) out.push(`  ${l.service} ${l.item}: ${l.note}.`);
  }
  out.push('');
  out.push(`Not included: ${e.excluded.join('; ')}.`);
  return out.join('\n');
}

/** The same lines as one JSON document (amounts rounded to the cent, unit prices as in the price file). */
export function costDocument(e: CostEstimate) {
  const cents = (n: number) => Math.round(n * 100) / 100;
  return {
    stack: e.stack,
    region: e.region,
    regionName: e.regionName,
    currency: e.currency,
    hoursPerMonth: e.hoursPerMonth,
    prices: { source: e.pricesSource, checked: e.pricesChecked },
    total: cents(e.total),
    totalAtScalingMax: cents(e.totalAtScalingMax),
    lines: e.lines.map((l) => ({
      id: l.id, service: l.service, item: l.item, quantity: Math.round(l.quantity * 1e4) / 1e4, unit: l.unit, unitPrice: l.unitPrice,
      monthly: cents(l.monthly), inTotal: l.inTotal, estimatedPrice: l.estimatedPrice, ...(l.note ? { note: l.note } : {}),
    })),
    assumptions: Object.fromEntries(e.assumptions.map((a) => [a.key.replace(/^cost\./, ''), a.value])),
    excluded: e.excluded,
  };
}
