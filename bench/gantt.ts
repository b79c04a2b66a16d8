/**
 * A run's timeline as an SVG Gantt chart: one bar per step from its step-start to its step-done event
 * (the lighter part until step-plan: finding the resource; the full colour: creating or deleting it
 * and waiting), coloured by tier, with a time axis, the run's start and end, the CLI's exit, the lower
 * bound as a line and as its own lane (the bound's critical chain), and the run's observed critical
 * chain outlined. Self-contained: no font, script or stylesheet to fetch.
 */
import type { Scheduled } from './bound.js';

export interface StepBar {
  id: string;
  kind: string;
  /** ms since the CLI was started. */
  startMs: number;
  /** When the step had read the resource and decided (step-plan), if it did. */
  planMs?: number;
  endMs: number;
  op?: string;
  failed?: boolean;
}

export interface GanttInput {
  title: string;
  subtitle?: string;
  steps: StepBar[];
  /** ms since the CLI was started. */
  runStartMs?: number;
  runDoneMs?: number;
  exitMs: number;
  bound: { totalMs: number; path: Scheduled[] };
  /** Steps on the run's observed critical chain (outlined). */
  critical?: string[];
  /** The profile's time scale, for the axis legend (1 s of chart = scale s of AWS time). */
  scale: number;
}

export const TIERS: Array<{ name: string; color: string; match: (kind: string) => boolean }> = [
  { name: 'network (EC2)', color: '#3b7dd8', match: (k) => k.startsWith('ec2:') },
  { name: 'data (RDS, EFS, Secrets Manager)', color: '#d9822b', match: (k) => /^(rds|efs|secretsmanager|secret)(:|$)/.test(k) },
  { name: 'app (ECS, IAM, logs, scaling)', color: '#2f9e5b', match: (k) => /^(ecs|iam|logs|application-autoscaling):/.test(k) },
  { name: 'edge (ELB, ACM, Route 53, S3)', color: '#8e5cc2', match: (k) => /^(elbv2|acm|route53|s3):/.test(k) },
];
const OTHER = '#777777';
export const tierColor = (kind: string) => TIERS.find((t) => t.match(kind))?.color ?? OTHER;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

function niceStep(totalMs: number): number {
  const target = totalMs / 12;
  for (const s of [100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000]) if (s >= target) return s;
  return 600_000;
}

export function ganttSvg(g: GanttInput): string {
  const W = 1400;
  const LEFT = 210;
  const RIGHT = 40;
  const TOP = 126;
  const ROW = 17;
  const BAR = 11;
  const steps = [...g.steps].sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs);
  const boundLane = g.bound.path.length > 0 ? 2 : 0;
  const rows = steps.length + boundLane;
  const plotH = rows * ROW + 8;
  const H = TOP + plotH + 70;
  const span = Math.max(g.exitMs, g.bound.totalMs, ...steps.map((s) => s.endMs), 1) * 1.03;
  const x = (ms: number) => LEFT + (Math.max(0, ms) / span) * (W - LEFT - RIGHT);
  const critical = new Set(g.critical ?? []);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Verdana, Arial, sans-serif" font-size="11">`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="16" y="24" font-size="16" font-weight="bold" fill="#111">${esc(g.title)}</text>`);
  if (g.subtitle) out.push(`<text x="16" y="42" font-size="11.5" fill="#333">${esc(g.subtitle)}</text>`);

  // Legend
  let lx = 16;
  const ly = 62;
  for (const t of TIERS) {
    out.push(`<rect x="${lx}" y="${ly - 9}" width="14" height="10" fill="${t.color}"/><text x="${lx + 19}" y="${ly}" fill="#222">${esc(t.name)}</text>`);
    lx += 30 + t.name.length * 6.3;
  }
  out.push(`<rect x="${lx}" y="${ly - 9}" width="14" height="10" fill="#999" fill-opacity="0.4"/><text x="${lx + 19}" y="${ly}" fill="#222">finding it (read)</text>`);
  lx += 130;
  out.push(`<rect x="${lx}" y="${ly - 9}" width="14" height="10" fill="#fff" stroke="#000" stroke-width="1.6"/><text x="${lx + 19}" y="${ly}" fill="#222">on the run's critical chain</text>`);
  lx += 180;
  out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 18}" y2="${ly - 4}" stroke="#d62728" stroke-width="2" stroke-dasharray="5,3"/><text x="${lx + 23}" y="${ly}" fill="#222">lower bound</text>`);

  // Grid and axis
  const step = niceStep(span);
  const axisY = TOP + plotH;
  for (let t = 0; t <= span; t += step) {
    out.push(`<line x1="${x(t)}" y1="${TOP - 6}" x2="${x(t)}" y2="${axisY}" stroke="#e6e6e6"/>`);
    out.push(`<text x="${x(t)}" y="${axisY + 15}" text-anchor="middle" fill="#333">${t / 1000} s</text>`);
  }
  out.push(`<line x1="${LEFT}" y1="${axisY}" x2="${W - RIGHT}" y2="${axisY}" stroke="#333"/>`);
  out.push(`<text x="${(LEFT + W - RIGHT) / 2}" y="${axisY + 34}" text-anchor="middle" fill="#333">seconds since the CLI started (time scale ${g.scale}: 1 s here is ${g.scale} s of AWS time${g.scale === 60 ? ', a minute' : ''})</text>`);

  // Bars
  steps.forEach((s, i) => {
    const y = TOP + i * ROW;
    const color = s.failed ? '#c0392b' : tierColor(s.kind);
    const crit = critical.has(s.id);
    if (i % 2 === 0) out.push(`<rect x="${LEFT}" y="${y}" width="${W - LEFT - RIGHT}" height="${ROW}" fill="#f7f7f7"/>`);
    out.push(`<text x="${LEFT - 6}" y="${y + ROW - 5}" text-anchor="end" fill="#111"${crit ? ' font-weight="bold"' : ''}>${esc(s.id)}</text>`);
    const x0 = x(s.startMs);
    const xp = x(s.planMs ?? s.startMs);
    const x1 = Math.max(x(s.endMs), x0 + 1);
    const by = y + (ROW - BAR) / 2;
    out.push(`<g data-step="${esc(s.id)}" data-kind="${esc(s.kind)}">`);
    out.push(`<title>${esc(`${s.id} (${s.kind}${s.op ? `, ${s.op}` : ''}): ${fmt(s.startMs)} to ${fmt(s.endMs)}, ${fmt(s.endMs - s.startMs)}`)}</title>`);
    if (xp > x0) out.push(`<rect x="${x0}" y="${by}" width="${xp - x0}" height="${BAR}" fill="${color}" fill-opacity="0.4"/>`);
    out.push(`<rect x="${Math.min(xp, x1 - 1)}" y="${by}" width="${Math.max(1, x1 - xp)}" height="${BAR}" fill="${color}"/>`);
    if (crit) out.push(`<rect x="${x0}" y="${by}" width="${x1 - x0}" height="${BAR}" fill="none" stroke="#000" stroke-width="1.6"/>`);
    const label = `${fmt(s.endMs - s.startMs)}${s.op && s.op !== 'create' && s.op !== 'delete' ? ` ${s.op}` : ''}`;
    out.push(`<text x="${x1 + 4}" y="${y + ROW - 5}" fill="#444" font-size="10">${esc(label)}</text>`);
    out.push('</g>');
  });

  // The bound's chain, in its own lane
  if (boundLane) {
    const y = TOP + steps.length * ROW + 4;
    out.push(`<line x1="${LEFT}" y1="${y}" x2="${W - RIGHT}" y2="${y}" stroke="#bbb"/>`);
    out.push(`<text x="${LEFT - 6}" y="${y + ROW - 3}" text-anchor="end" fill="#d62728" font-weight="bold">lower bound: critical chain</text>`);
    for (const p of g.bound.path) {
      const x0 = x(p.startMs);
      const x1 = Math.max(x(p.endMs), x0 + 1);
      out.push(`<g data-bound="${esc(p.id)}"><title>${esc(`${p.id}: ${p.label} (${fmt(p.startMs)} to ${fmt(p.endMs)})`)}</title>`);
      out.push(`<rect x="${x0}" y="${y + 4}" width="${x1 - x0}" height="${BAR}" fill="#fbe3e3" stroke="#d62728" stroke-width="1"/>`);
      if (x1 - x0 > 40) out.push(`<text x="${(x0 + x1) / 2}" y="${y + 13}" text-anchor="middle" fill="#8b1a1a" font-size="10">${esc(p.id)}</text>`);
      out.push('</g>');
    }
    const calls = g.bound.path.filter((p) => x(p.endMs) - x(p.startMs) <= 40).map((p) => p.id);
    if (calls.length) out.push(`<text x="${LEFT}" y="${y + ROW + 12}" fill="#8b1a1a" font-size="10">${esc(`short links (API calls): ${calls.join(' → ')}`)}</text>`);
  }

  // Markers
  const marker = (ms: number | undefined, label: string, color: string, dash: string, row: number) => {
    if (ms === undefined) return;
    out.push(`<line x1="${x(ms)}" y1="${TOP - 8}" x2="${x(ms)}" y2="${axisY}" stroke="${color}" stroke-width="${color === '#d62728' ? 2 : 1.2}" stroke-dasharray="${dash}"/>`);
    const anchor = x(ms) > W - 220 ? 'end' : 'start';
    out.push(`<text x="${x(ms) + (anchor === 'end' ? -4 : 4)}" y="${TOP - 10 - row * 12}" text-anchor="${anchor}" fill="${color}" font-size="10.5">${esc(`${label} ${fmt(ms)}`)}</text>`);
  };
  marker(g.runStartMs, 'run-start', '#888', '2,3', 0);
  marker(g.bound.totalMs, 'lower bound', '#d62728', '6,3', 3);
  marker(g.runDoneMs, 'run-done', '#555', '2,3', 1);
  marker(g.exitMs, 'CLI exit', '#000', '1,0', 2);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
