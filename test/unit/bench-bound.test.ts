/**
 * The benchmark's lower bound (bench/bound.ts) and its Gantt chart (bench/gantt.ts).
 */
import { DOMParser, type Element } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ARCHITECTURE, downBound, downNodes, longestPath, upBound, upNodes, type BoundNode } from '../../bench/bound.js';
import { ganttSvg } from '../../bench/gantt.js';
import { makeProfile } from '../../bench/profile.js';

const p = makeProfile({ scale: 60, latencyMs: 50 });

describe('longestPath', () => {
  it('schedules every node at its earliest and returns the chain that ends last', () => {
    const nodes: BoundNode[] = [
      { id: 'a', calls: 1, after: [], label: 'a' },
      { id: 'b', calls: 0, wait: 'natCreate', after: ['a'], label: 'b' },
      { id: 'c', calls: 3, after: [], label: 'c' },
      { id: 'd', calls: 1, after: ['b', 'c'], label: 'd' },
    ];
    const b = longestPath(nodes, p);
    // a 50 ms, then the NAT's 2 min / 60 = 2 s, then d 50 ms; c (150 ms) is off the chain.
    expect(b.totalMs).toBe(50 + 2000 + 50);
    expect(b.path.map((x) => x.id)).toEqual(['a', 'b', 'd']);
    expect(b.schedule.find((x) => x.id === 'd')).toMatchObject({ startMs: 2050, endMs: 2100 });
    expect(b.schedule.find((x) => x.id === 'c')).toMatchObject({ startMs: 0, endMs: 150 });
  });

  it('refuses a cycle, an unknown dependency and a duplicate id', () => {
    expect(() => longestPath([{ id: 'a', calls: 1, after: ['b'], label: '' }, { id: 'b', calls: 1, after: ['a'], label: '' }], p)).toThrow(/cycle/);
    expect(() => longestPath([{ id: 'a', calls: 1, after: ['x'], label: '' }], p)).toThrow(/unknown node x/);
    expect(() => longestPath([{ id: 'a', calls: 1, after: [], label: '' }, { id: 'a', calls: 1, after: [], label: '' }], p)).toThrow(/twice/);
  });
});

describe('the bound of the architecture', () => {
  it('up: the database chain (VPC, data subnet, subnet group, 15 min Multi-AZ instance, task definition, service, 2.5 min to steady)', () => {
    const b = upBound(DEFAULT_ARCHITECTURE, p);
    expect(b.path.map((x) => x.id)).toEqual(['vpc', 'subnet-data-a', 'db-subnet-group', 'db', 'task-definition', 'ecs-service', 'ecs-service-steady']);
    expect(b.totalMs).toBeCloseTo(6 * 50 + (15 + 2.5) * 1000, 6);
  });

  it('up: a single-AZ database (7 min) is still the longest chain; without the latency the bound is the AWS time alone', () => {
    expect(upBound({ ...DEFAULT_ARCHITECTURE, multiAz: false }, p).totalMs).toBeCloseTo(6 * 50 + (7 + 2.5) * 1000, 6);
    expect(upBound(DEFAULT_ARCHITECTURE, makeProfile({ scale: 1, latencyMs: 0 })).totalMs).toBe(17.5 * 60_000);
  });

  it('up with an RDS Proxy: the task definition waits for the proxy\'s endpoint, the service for the instance registered behind it', () => {
    const b = upBound({ ...DEFAULT_ARCHITECTURE, proxy: true }, p);
    // The proxy (5 min) ends long before the instance (15 min); registering the instance as its target costs one call.
    expect(b.path.map((x) => x.id)).toEqual(['vpc', 'subnet-data-a', 'db-subnet-group', 'db', 'db-proxy-target', 'ecs-service', 'ecs-service-steady']);
    expect(b.totalMs).toBeCloseTo(6 * 50 + (15 + 2.5) * 1000, 6);
    expect(upNodes({ ...DEFAULT_ARCHITECTURE, proxy: true }).find((n) => n.id === 'task-definition')!.after).toContain('db-proxy');
  });

  it('up: every slow resource of the architecture is in it, each behind what AWS needs first', () => {
    const nodes = new Map(upNodes(DEFAULT_ARCHITECTURE).map((n) => [n.id, n]));
    expect(nodes.get('nat-a')).toMatchObject({ wait: 'natCreate', after: expect.arrayContaining(['subnet-public-a', 'eip-a', 'igw-attach']) });
    expect(nodes.get('nat-b')?.wait).toBe('natCreate');
    expect(nodes.get('efs-mount-b')).toMatchObject({ wait: 'mountTargetCreate', after: expect.arrayContaining(['efs', 'subnet-app-b', 'sg-efs']) });
    expect(nodes.get('listener-https')?.after).toContain('certificate-issued');
    expect(nodes.get('certificate-issued')).toMatchObject({ wait: 'acmValidation', after: ['certificate-dns'] });
    expect(nodes.get('ecs-service')?.after).toEqual(expect.arrayContaining(['rt-app-a-route', 'rt-app-b-route', 'efs-mount-a', 'efs-mount-b', 'listener-https', 'task-definition']));
    expect(nodes.get('task-definition')?.after).toContain('db');
    // Without a domain: no certificate, and the HTTP listener forwards.
    const plain = upNodes({ ...DEFAULT_ARCHITECTURE, domain: false });
    expect(plain.some((n) => n.id.startsWith('certificate'))).toBe(false);
    expect(plain.find((n) => n.id === 'listener-http')?.after).toContain('target-group');
  });

  it('down: the 8 min database delete, then its subnet group, a data subnet and the VPC', () => {
    const b = downBound(DEFAULT_ARCHITECTURE, p);
    expect(b.path.map((x) => x.id)).toEqual(['db', 'db-gone', 'db-subnet-group', 'subnet-data-a', 'vpc']);
    expect(b.totalMs).toBeCloseTo(5 * 50 + 8 * 1000, 6);
    // The NAT chain (delete, 1 min, release, detach) is there, shorter.
    const at = (id: string) => b.schedule.find((x) => x.id === id)!;
    expect(at('igw-detach').startMs).toBeGreaterThanOrEqual(at('eip-a').endMs);
    expect(at('eip-a').startMs).toBeCloseTo(50 + 1000, 6);
    const nodes = new Map(downNodes(DEFAULT_ARCHITECTURE).map((n) => [n.id, n]));
    expect(nodes.get('sg-app')?.after).toContain('ecs-service-drained');
    expect(nodes.get('igw-detach')?.after).toContain('alb-gone');
  });
});

describe('the Gantt chart', () => {
  it('is well-formed SVG with a bar per step, the bound line and the bound lane', () => {
    const bound = upBound(DEFAULT_ARCHITECTURE, p);
    const svg = ganttSvg({
      title: 'up <fresh> & co', steps: [
        { id: 'vpc', kind: 'ec2:vpc', startMs: 300, planMs: 350, endMs: 600, op: 'create' },
        { id: 'db', kind: 'rds:db-instance', startMs: 700, planMs: 750, endMs: 16_000, op: 'create' },
        { id: 'bad', kind: 'ecs:service', startMs: 16_100, endMs: 17_000, failed: true },
      ],
      runStartMs: 250, runDoneMs: 18_000, exitMs: 18_100, bound, critical: ['vpc', 'db'], scale: 60,
    });
    const doc = new DOMParser({ onError: (level, msg) => { throw new Error(`${level}: ${msg}`); } }).parseFromString(svg, 'image/svg+xml');
    const all = Array.from(doc.getElementsByTagName('*')) as unknown as Element[];
    expect(all.filter((e) => e.getAttribute('data-step')).map((e) => e.getAttribute('data-step'))).toEqual(['vpc', 'db', 'bad']);
    expect(all.filter((e) => e.getAttribute('data-bound')).map((e) => e.getAttribute('data-bound'))).toEqual(bound.path.map((x) => x.id));
    expect(svg).toContain('lower bound 17.8 s');
    expect(svg).toContain('up &lt;fresh&gt; &amp; co');
  });
});
