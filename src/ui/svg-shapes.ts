/**
 * The drawing primitives of the architecture diagram's SVG: its fonts and palette, text measured and
 * fitted to a width, rectangles, labelled resource boxes and arrows. Each returns SVG markup as a string.
 */
import type { SubnetTier } from '../config/cidr.js';
import { shortId } from './diagram.js';
import { cutLines } from './style.js';

export const FONT = "Helvetica, Arial, 'DejaVu Sans', sans-serif";
const MONO = "'DejaVu Sans Mono', Menlo, Consolas, monospace";

export const COLOR = {
  region: '#00a4a6',
  vpc: '#7d8998',
  az: '#147eba',
  network: '#8c4fff',
  compute: '#ed7100',
  storage: '#3f8624',
  database: '#c925d1',
  security: '#dd344c',
  monitoring: '#e7157b',
  text: '#232f3e',
  muted: '#5f6b7a',
  tier: {
    public: { fill: '#f2f6e8', stroke: '#7aa116', text: '#3f6b0f' },
    app: { fill: '#e6f6f7', stroke: '#00a4a6', text: '#00767a' },
    data: { fill: '#f6effd', stroke: '#a166ff', text: '#6f2fd0' },
  } satisfies Record<SubnetTier, { fill: string; stroke: string; text: string }>,
};

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Estimated width of a text in px (DejaVu Sans is the widest of the fonts asked for). */
export function textWidth(s: string, size: number, opts: { bold?: boolean; mono?: boolean } = {}): number {
  return s.length * size * (opts.mono ? 0.61 : opts.bold ? 0.63 : 0.56);
}

/** Truncates text to fit `width` px at `size` px. */
export function fit(text: string, width: number, size: number, opts: { bold?: boolean; mono?: boolean } = {}): string {
  if (textWidth(text, size, opts) <= width) return text;
  const max = Math.floor(width / textWidth('x', size, opts));
  return `${text.slice(0, Math.max(1, max - 1))}…`;
}

/** Splits text into lines no wider than `width` px. */
export function wrap(text: string, width: number, size: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    const next = line ? `${line} ${word}` : word;
    if (line && textWidth(next, size) > width) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines;
}

interface TextOpts {
  size?: number;
  weight?: 'bold' | 'normal';
  color?: string;
  anchor?: 'start' | 'middle' | 'end';
  mono?: boolean;
  width?: number;
}

export function text(x: number, y: number, s: string, opts: TextOpts = {}): string {
  const size = opts.size ?? 12;
  const body = opts.width ? fit(s, opts.width, size, { bold: opts.weight === 'bold', mono: opts.mono }) : s;
  const attrs = [
    `x="${x}"`, `y="${y}"`, `font-size="${size}"`,
    opts.mono ? `font-family="${MONO}"` : '',
    opts.weight === 'bold' ? 'font-weight="bold"' : '',
    `fill="${opts.color ?? COLOR.text}"`,
    opts.anchor && opts.anchor !== 'start' ? `text-anchor="${opts.anchor}"` : '',
  ].filter(Boolean);
  return `<text ${attrs.join(' ')}>${esc(body)}</text>`;
}

export function rect(x: number, y: number, w: number, h: number, opts: { fill?: string; stroke: string; dash?: boolean; radius?: number; width?: number }): string {
  return `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="${opts.radius ?? 0}" fill="${opts.fill ?? 'none'}" stroke="${opts.stroke}" stroke-width="${opts.width ?? 1.5}"${opts.dash ? ' stroke-dasharray="6 4"' : ''}/>`;
}

/** A recorded id in lines that fit `width` px (monospace, 10 px), cut after a `-`, `/` or `:` where it can. */
export function idLines(id: string, width: number): string[] {
  return cutLines(id, Math.max(8, Math.floor(width / textWidth('x', 10, { mono: true }))), '-/:');
}

/** A labelled resource box: a title, then lines, centered; `id` (recorded) in monospace below, wrapped. */
export function box(kind: string, x: number, y: number, w: number, h: number, color: string, title: string, lines: string[], opts: { id?: string; attrs?: string; fill?: string; dash?: boolean } = {}): string {
  const ids = opts.id ? idLines(shortId(opts.id), w - 12) : [];
  const rows = [title, ...lines, ...ids];
  const lineH = 14;
  const top = y + h / 2 - ((rows.length - 1) * lineH) / 2 + 4;
  const parts = [
    rect(x, y, w, h, { fill: opts.fill ?? '#ffffff', stroke: color, radius: 6, dash: opts.dash }),
    `<rect x="${x}" y="${y + 6}" width="4" height="${h - 12}" fill="${color}"/>`,
    text(x + w / 2, top, title, { size: 12, weight: 'bold', anchor: 'middle', width: w - 12 }),
    ...lines.map((l, i) => text(x + w / 2, top + (i + 1) * lineH, l, { size: 10.5, color: COLOR.muted, anchor: 'middle', width: w - 12 })),
    ...ids.map((l, i) => text(x + w / 2, top + (lines.length + 1 + i) * lineH, l, { size: 10, mono: true, color: COLOR.muted, anchor: 'middle', width: w - 12 })),
  ];
  return `<g data-kind="${kind}"${opts.attrs ? ` ${opts.attrs}` : ''}>${parts.join('')}</g>`;
}

/** A line through `points`, with an arrow head at its end unless `head` is false; `flow` names it (data-flow). */
export function arrow(points: Array<[number, number]>, opts: { dash?: boolean; head?: boolean; color?: string; flow?: string } = {}): string {
  const d = points.map(([x, y], i) => `${i ? 'L' : 'M'}${x} ${y}`).join(' ');
  return `<path d="${d}" fill="none" stroke="${opts.color ?? '#545b64'}" stroke-width="1.6"${opts.dash ? ' stroke-dasharray="5 4"' : ''}${opts.head === false ? '' : ' marker-end="url(#arrow)"'}${opts.flow ? ` data-flow="${opts.flow}"` : ''}/>`;
}
