/** `wpdeploy diagram`: the SVG and Mermaid outputs hold every tier of every AZ, as planned from the config. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { diagram, diagramFormat } from '../../src/cli/diagram.js';
import { planSubnets } from '../../src/config/cidr.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { StackState } from '../../src/engine/state.js';
import { diagramModel } from '../../src/ui/diagram.js';
import { diagramMermaid } from '../../src/ui/diagram-mermaid.js';
import { diagramSvg } from '../../src/ui/diagram-svg.js';

const config = (input: ConfigInput = {}) => validateConfig(input, 'test', { env: {} });

/** Parses the SVG strictly: any XML error throws. */
function parseSvg(svg: string) {
  const doc = new DOMParser({ onError: (level, msg) => { throw new Error(`${level}: ${msg}`); } }).parseFromString(svg, 'image/svg+xml');
  const all = Array.from(doc.getElementsByTagName('*')) as unknown as Element[];
  const byKind = (kind: string) => all.filter((e) => e.getAttribute('data-kind') === kind);
  return { doc, all, byKind };
}

const num = (e: Element, a: string) => Number(e.getAttribute(a));
const firstRect = (g: Element) => g.getElementsByTagName('rect')[0] as unknown as Element;

describe('SVG', () => {
  it('the default stack: one column per AZ, each with a public, an app and a data subnet with its planned CIDR', () => {
    const c = config();
    const svg = diagramSvg(diagramModel(c));
    const { doc, byKind } = parseSvg(svg);
    expect(doc.documentElement?.tagName).toBe('svg');
    expect(doc.documentElement?.getAttribute('xmlns')).toBe('http://www.w3.org/2000/svg');
    expect(byKind('az').map((g) => g.getAttribute('data-az'))).toEqual(['1', '2']);
    const subnets = byKind('subnet');
    expect(subnets).toHaveLength(6);
    for (const s of planSubnets(c.network.cidr, 2)!) {
      const g = subnets.find((e) => e.getAttribute('data-tier') === s.tier && e.getAttribute('data-az') === String(s.azIndex + 1));
      expect(g, `${s.tier} subnet in AZ ${s.azIndex + 1}`).toBeDefined();
      expect(g!.textContent).toContain(s.cidr);
    }
    expect(byKind('nat').map((g) => g.getAttribute('data-az'))).toEqual(['1', '2']);
    expect(byKind('alb')).toHaveLength(1);
    expect(byKind('igw')).toHaveLength(1);
    expect(byKind('efs-mount')).toHaveLength(2);
    expect(byKind('task').map((g) => g.getAttribute('data-az'))).toEqual(['1', '2']);
    expect(byKind('rds-primary').map((g) => g.getAttribute('data-az'))).toEqual(['1']);
    expect(byKind('rds-standby').map((g) => g.getAttribute('data-az'))).toEqual(['2']);
    for (const side of ['secrets', 'cloudwatch', 's3', 'image']) expect(byKind(side), side).toHaveLength(1);
    for (const absent of ['route53', 'acm', 'rds-proxy']) expect(byKind(absent), absent).toHaveLength(0);
  });

  it('is self-contained: no external reference, only its own arrow marker', () => {
    const svg = diagramSvg(diagramModel(config({ domain: { name: 'blog.example.com', hostedZone: 'example.com' } })));
    expect(svg).not.toMatch(/href=|@import|<image|<script/i);
    expect([...svg.matchAll(/url\(([^)]*)\)/g)].map((m) => m[1])).toEqual(expect.arrayContaining(['#arrow']));
    expect(new Set([...svg.matchAll(/url\(([^)]*)\)/g)].map((m) => m[1]))).toEqual(new Set(['#arrow']));
  });

  it('AZ columns are aligned, side by side without overlap, and hold their subnets', () => {
    const { byKind } = parseSvg(diagramSvg(diagramModel(config({ network: { azCount: 4 } }))));
    const azs = byKind('az').map(firstRect);
    expect(azs).toHaveLength(4);
    for (const r of azs) {
      expect(num(r, 'y')).toBe(num(azs[0]!, 'y'));
      expect(num(r, 'height')).toBe(num(azs[0]!, 'height'));
      expect(num(r, 'width')).toBe(num(azs[0]!, 'width'));
    }
    for (let i = 1; i < azs.length; i++) expect(num(azs[i]!, 'x')).toBeGreaterThan(num(azs[i - 1]!, 'x') + num(azs[i - 1]!, 'width'));
    for (const g of byKind('subnet')) {
      const az = azs[Number(g.getAttribute('data-az')) - 1]!;
      const r = firstRect(g);
      expect(num(r, 'x')).toBeGreaterThan(num(az, 'x'));
      expect(num(r, 'x') + num(r, 'width')).toBeLessThan(num(az, 'x') + num(az, 'width'));
      expect(num(r, 'y')).toBeGreaterThan(num(az, 'y'));
      expect(num(r, 'y') + num(r, 'height')).toBeLessThan(num(az, 'y') + num(az, 'height'));
    }
    // The ALB spans the public subnets of every AZ, within their row.
    const alb = firstRect(byKind('alb')[0]!);
    for (const g of byKind('subnet').filter((e) => e.getAttribute('data-tier') === 'public')) {
      const r = firstRect(g);
      expect(num(alb, 'x')).toBeLessThanOrEqual(num(r, 'x'));
      expect(num(alb, 'x') + num(alb, 'width')).toBeGreaterThanOrEqual(num(r, 'x') + num(r, 'width'));
      expect(num(alb, 'y')).toBeGreaterThan(num(r, 'y'));
      expect(num(alb, 'y') + num(alb, 'height')).toBeLessThan(num(r, 'y') + num(r, 'height'));
    }
    // Tiers stack in the same order in every column: public above app above data.
    const yOf = (tier: string) => new Set(byKind('subnet').filter((g) => g.getAttribute('data-tier') === tier).map((g) => num(firstRect(g), 'y')));
    const [pub, app, data] = ['public', 'app', 'data'].map(yOf);
    expect([pub!.size, app!.size, data!.size]).toEqual([1, 1, 1]);
    expect([...pub!][0]!).toBeLessThan([...app!][0]!);
    expect([...app!][0]!).toBeLessThan([...data!][0]!);
  });

  it('follows the config: a single NAT, the RDS Proxy, a domain, no standby without Multi-AZ', () => {
    const { byKind } = parseSvg(diagramSvg(diagramModel(config({
      network: { azCount: 3, natGateways: 'single' },
      domain: { name: 'blog.example.com', hostedZone: 'example.com' },
      database: { proxy: true, multiAz: false },
      wordpress: { desiredCount: 3 },
      scaling: { min: 2, max: 6 },
    }))));
    expect(byKind('subnet')).toHaveLength(9);
    expect(byKind('nat').map((g) => g.getAttribute('data-az'))).toEqual(['1']);
    expect(byKind('rds-proxy')).toHaveLength(1);
    expect(byKind('rds-standby')).toHaveLength(0);
    expect(byKind('route53')).toHaveLength(1);
    expect(byKind('acm')).toHaveLength(1);
    expect(byKind('task').map((g) => g.getAttribute('data-az'))).toEqual(['1', '2', '3']);
  });

  it('shows the ids recorded in the state next to their resources', () => {
    const state: StackState = {
      schemaVersion: 1, stack: 'wordpress', region: 'us-east-1', createdAt: '', updatedAt: '',
      steps: {
        vpc: { kind: 'vpc', id: 'vpc-0a1b2c3d4e5f60718', dependsOn: [], updatedAt: '' },
        'nat-b': { kind: 'nat-gateway', id: 'nat-0fedcba9876543210', dependsOn: [], updatedAt: '' },
        'subnet-app-b': { kind: 'subnet', id: 'subnet-0aa11bb22cc33dd44', outputs: { subnetId: 'subnet-0aa11bb22cc33dd44', az: 'us-east-1d', cidr: '10.20.96.0/19' }, dependsOn: [], updatedAt: '' },
      },
    };
    const svg = diagramSvg(diagramModel(config(), state));
    const { byKind } = parseSvg(svg);
    expect(byKind('vpc')[0]!.textContent).toContain('vpc-0a1b2c3d4e5f60718');
    const nat2 = byKind('nat').find((g) => g.getAttribute('data-az') === '2')!;
    expect(nat2.textContent).toContain('nat-0fedcba9876543210');
    expect(byKind('nat').find((g) => g.getAttribute('data-az') === '1')!.textContent).not.toContain('nat-0');
    const app2 = byKind('subnet').find((g) => g.getAttribute('data-az') === '2' && g.getAttribute('data-tier') === 'app')!;
    expect(app2.textContent).toContain('subnet-0aa11bb22cc33dd44');
    // The AZ column is named after the zone its subnets were created in.
    expect(byKind('az').find((g) => g.getAttribute('data-az') === '2')!.textContent).toContain('us-east-1d');
    expect(byKind('az').find((g) => g.getAttribute('data-az') === '1')!.textContent).not.toMatch(/us-east-1[a-f]/);
    expect(svg).toContain('Recorded in the state file: 3 resources, 3 of them named above.');
  });
});

describe('SVG, as a person reads it', () => {
  const flows = (svg: string) => [...svg.matchAll(/data-flow="([a-z0-9-]+)"/g)].map((m) => m[1]);

  it('connects ECS to its tasks, each task to EFS and to its NAT, the NAT gateways to the image registry, Route 53 to the ALB', () => {
    const plain = flows(diagramSvg(diagramModel(config())));
    expect(plain.filter((f) => f === 'task-efs')).toHaveLength(2);
    expect(plain.filter((f) => f === 'task-nat')).toHaveLength(2);
    for (const f of ['nat-registry', 'ecs-tasks', 'efs-mounts', 'replication']) expect(plain, f).toContain(f);
    expect(plain).not.toContain('route53-alb');
    const single = flows(diagramSvg(diagramModel(config({ network: { azCount: 3, natGateways: 'single' }, domain: { name: 'blog.example.com', hostedZone: 'example.com' } }))));
    expect(single.filter((f) => f === 'task-nat')).toHaveLength(1); // the other AZs go through AZ 1's, as their text says
    expect(single).toContain('route53-alb');
  });

  it('shows a long recorded id whole, on more lines, instead of cutting it', () => {
    const bucket = 'averyverylongstackna-alb-logs-123456789012-ap-southeast-2';
    const state: StackState = {
      schemaVersion: 1, stack: 'wordpress', region: 'us-east-1', createdAt: '', updatedAt: '',
      steps: { 'alb-logs-bucket': { kind: 's3:bucket', id: bucket, dependsOn: [], updatedAt: '' } },
    };
    const svg = diagramSvg(diagramModel(config(), state));
    const s3 = parseSvg(svg).byKind('s3')[0]!;
    const texts = Array.from(s3.getElementsByTagName('text')).map((t) => t.textContent ?? '');
    expect(texts.join('')).toContain(bucket);
    expect(texts.join('')).not.toContain('…');
    // The default image reference (a long ECR Public path) is shown whole too.
    expect(svg).not.toContain('…');
    // Every line fits the box (monospace 10 px is at most 6.1 px a character).
    const width = num(firstRect(s3), 'width');
    for (const t of texts) expect(t.length * 6.1, t).toBeLessThanOrEqual(width - 12);
  });

  it('writes "replication" where no border runs through it', () => {
    const { all, byKind } = parseSvg(diagramSvg(diagramModel(config())));
    const label = all.find((e) => e.tagName === 'text' && e.textContent === 'replication')!;
    const x = num(label, 'x');
    const right = x + 'replication'.length * 10 * 0.56;
    const borders = [...byKind('az'), ...byKind('subnet')].map(firstRect).flatMap((r) => [num(r, 'x'), num(r, 'x') + num(r, 'width')]);
    for (const b of borders) expect(b > x - 2 && b < right + 2, `a border at x=${b} runs through the label (${x}..${right})`).toBe(false);
  });
});

describe('Mermaid', () => {
  it('is a flowchart with a subgraph per AZ, each holding its three subnets', () => {
    const c = config({ network: { azCount: 3 } });
    const text = diagramMermaid(diagramModel(c));
    expect(text.split('\n')[0]).toBe('flowchart TB');
    for (const n of [1, 2, 3]) {
      expect(text).toMatch(new RegExp(`^\\s*subgraph az${n}\\["Availability Zone ${n}"\\]$`, 'm'));
      for (const tier of ['public', 'app', 'data']) expect(text).toMatch(new RegExp(`^\\s*subgraph az${n}_${tier}\\[`, 'm'));
    }
    for (const s of planSubnets(c.network.cidr, 3)!) expect(text).toContain(s.cidr);
    const opened = text.match(/^\s*subgraph /gm)!.length;
    const closed = text.match(/^\s*end$/gm)!.length;
    expect(closed).toBe(opened);
  });

  it('has no unquoted label that Mermaid would misread', () => {
    const text = diagramMermaid(diagramModel(config({ domain: { name: 'blog.example.com', hostedZone: 'example.com' }, database: { proxy: true } })));
    for (const line of text.split('\n').slice(1)) {
      if (/\[|\(/.test(line) && !/^\s*subgraph /.test(line)) expect(line, line).toMatch(/^\s*\w+(\[|\(\[|\[\()"[^"]*"(\]|\]\)|\)\])$/);
    }
  });
});

describe('wpdeploy diagram', () => {
  let stderr = '';
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
    stderr = '';
  });
  const capture = () => {
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  };

  it('picks the format from --format, else the file extension, and refuses an unknown one with exit 2', () => {
    expect(diagramFormat(undefined, 'a.svg')).toBe('svg');
    expect(diagramFormat(undefined, 'a.mmd')).toBe('mermaid');
    expect(diagramFormat('mermaid', 'a.svg')).toBe('mermaid');
    expect(diagramFormat(undefined, undefined)).toBe('svg');
    expect(() => diagramFormat('png', undefined)).toThrow(/--format png/);
  });

  it('writes the file with the ids of state/<stack>.json, and leaves them out when the state is for another region', async () => {
    capture();
    const dir = mkdtempSync(join(tmpdir(), 'wpdeploy-diagram-'));
    mkdirSync(join(dir, 'state'));
    const state = { schemaVersion: 1, stack: 'blog', region: 'eu-west-3', createdAt: '', updatedAt: '', steps: { vpc: { kind: 'vpc', id: 'vpc-0123abcd', dependsOn: [], updatedAt: '' } } };
    writeFileSync(join(dir, 'state', 'blog.json'), JSON.stringify(state));
    const out = join(dir, 'a.svg');
    await diagram({ stack: 'blog', region: 'eu-west-3', state: join(dir, 'state'), output: out, config: undefined });
    expect(process.exitCode).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('vpc-0123abcd');

    await diagram({ stack: 'blog', region: 'eu-west-1', state: join(dir, 'state'), output: out });
    expect(process.exitCode).toBe(0);
    expect(readFileSync(out, 'utf8')).not.toContain('vpc-0123abcd');
    expect(stderr).toMatch(/is for eu-west-3, not eu-west-1/);
  });

  it('an unknown --format exits 2 and writes nothing', async () => {
    capture();
    const dir = mkdtempSync(join(tmpdir(), 'wpdeploy-diagram-'));
    await diagram({ format: 'png', output: join(dir, 'a.png') });
    expect(process.exitCode).toBe(2);
    expect(stderr).toMatch(/svg or --format mermaid/);
  });
});

describe('docs/architecture.svg', () => {
  it('is the diagram of the default stack as wpdeploy draws it now (npm run docs:diagram)', () => {
    const committed = readFileSync(new URL('../../docs/architecture.svg', import.meta.url), 'utf8');
    expect(committed).toBe(diagramSvg(diagramModel(config()), { source: 'the defaults' }));
  });
});
