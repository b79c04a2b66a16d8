import { describe, expect, it } from 'vitest';
import { WorkGraph, type GraphNode, type RunResult } from '../../src/engine/graph.js';
import { WpdeployError } from '../../src/errors.js';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

/**
 * A worker whose nodes finish only when the test says so; it tracks what is running,
 * the most that ran at once, and the start/end order.
 */
function controlledWorker() {
  const running = new Map<string, Deferred>();
  const events: string[] = [];
  let maxInFlight = 0;
  const worker = (id: string) => {
    const d = deferred();
    running.set(id, d);
    events.push(`start:${id}`);
    maxInFlight = Math.max(maxInFlight, running.size);
    return d.promise.finally(() => {
      running.delete(id);
      events.push(`end:${id}`);
    });
  };
  return {
    worker,
    running,
    events,
    get maxInFlight() {
      return maxInFlight;
    },
  };
}

const node = (id: string, ...dependsOn: string[]): GraphNode => ({ id, dependsOn });

/** A layered graph: vpc -> subnets/igw -> nat/alb/rds... like the stack's. */
const stackLike: GraphNode[] = [
  node('vpc'),
  node('igw', 'vpc'),
  node('subnet-a', 'vpc'),
  node('subnet-b', 'vpc'),
  node('nat-a', 'subnet-a', 'igw'),
  node('nat-b', 'subnet-b', 'igw'),
  node('alb', 'subnet-a', 'subnet-b', 'igw'),
  node('rds', 'subnet-a', 'subnet-b'),
  node('service', 'alb', 'rds', 'nat-a', 'nat-b'),
];

describe('WorkGraph.run', () => {
  it('starts a node only after all of its dependencies finished, whatever order they finish in', async () => {
    const c = controlledWorker();
    const graph = new WorkGraph(stackLike);
    const done = graph.run(c.worker, { concurrency: 10 });
    // Finish running nodes in reverse start order each round, to vary completion order.
    let result: RunResult | undefined;
    void done.then((r) => (result = r));
    while (!result) {
      await settle();
      const ids = [...c.running.keys()].reverse();
      if (ids.length > 0) c.running.get(ids[0]!)!.resolve();
    }
    expect(result.failed).toEqual([]);
    expect(result.skipped).toEqual([]);
    expect(new Set(result.done)).toEqual(new Set(stackLike.map((n) => n.id)));
    for (const n of stackLike) {
      const start = c.events.indexOf(`start:${n.id}`);
      expect(start).toBeGreaterThanOrEqual(0);
      for (const d of n.dependsOn) {
        const end = c.events.indexOf(`end:${d}`);
        expect(end, `${d} must end before ${n.id} starts`).toBeGreaterThanOrEqual(0);
        expect(end).toBeLessThan(start);
      }
    }
  });

  it('runs independent nodes in parallel', async () => {
    const c = controlledWorker();
    const graph = new WorkGraph([node('a'), node('b'), node('c')]);
    const done = graph.run(c.worker, { concurrency: 5 });
    await settle();
    expect([...c.running.keys()].sort()).toEqual(['a', 'b', 'c']);
    for (const d of c.running.values()) d.resolve();
    expect((await done).done.sort()).toEqual(['a', 'b', 'c']);
  });

  it.each([1, 2, 3, 7])('never runs more than the concurrency limit (%i) at once, and uses it', async (limit) => {
    const c = controlledWorker();
    const nodes = [...Array.from({ length: 12 }, (_, i) => node(`n${i}`)), node('after', 'n0', 'n5'), node('last', 'after', 'n11')];
    const graph = new WorkGraph(nodes);
    let result: RunResult | undefined;
    void graph.run(c.worker, { concurrency: limit }).then((r) => (result = r));
    let turn = 0;
    while (!result) {
      await settle();
      expect(c.running.size).toBeLessThanOrEqual(limit);
      const ids = [...c.running.keys()];
      // Alternate between finishing the oldest and the newest running node.
      const pick = turn++ % 2 === 0 ? ids[0] : ids[ids.length - 1];
      if (pick) c.running.get(pick)!.resolve();
    }
    expect(c.maxInFlight).toBe(limit);
    expect(result.done).toHaveLength(nodes.length);
  });

  it('treats a concurrency below 1 as 1', async () => {
    const c = controlledWorker();
    const graph = new WorkGraph([node('a'), node('b')]);
    let result: RunResult | undefined;
    void graph.run(c.worker, { concurrency: 0 }).then((r) => (result = r));
    while (!result) {
      await settle();
      expect(c.running.size).toBeLessThanOrEqual(1);
      c.running.values().next().value?.resolve();
    }
    expect(result.done.sort()).toEqual(['a', 'b']);
  });

  it('after a failure starts nothing new, lets running nodes finish, and reports the rest as skipped', async () => {
    const c = controlledWorker();
    const graph = new WorkGraph([node('a'), node('b'), node('c'), node('d', 'b'), node('e', 'a')]);
    let result: RunResult | undefined;
    void graph.run(c.worker, { concurrency: 2 }).then((r) => (result = r));
    await settle();
    expect([...c.running.keys()].sort()).toEqual(['a', 'b']);
    const boom = new Error('create vpc: boom');
    c.running.get('a')!.reject(boom);
    await settle();
    // b is still running: the run is not over, and nothing took a's free slot
    expect(result).toBeUndefined();
    expect([...c.running.keys()]).toEqual(['b']);
    c.running.get('b')!.resolve();
    await settle();
    await settle();
    expect(result).toBeDefined();
    expect(c.events.filter((e) => e.startsWith('start:'))).toEqual(['start:a', 'start:b']);
    expect(result!.failed).toEqual([{ id: 'a', error: boom }]);
    expect(result!.done).toEqual(['b']);
    expect(result!.skipped.sort()).toEqual(['c', 'd', 'e']);
  });

  it('a failed node in a chain skips everything that depends on it', async () => {
    const graph = new WorkGraph([node('vpc'), node('subnet', 'vpc'), node('nat', 'subnet')]);
    const started: string[] = [];
    const r = await graph.run(
      async (id) => {
        started.push(id);
        if (id === 'subnet') throw new Error('no');
      },
      { concurrency: 4 },
    );
    expect(started).toEqual(['vpc', 'subnet']);
    expect(r.done).toEqual(['vpc']);
    expect(r.failed.map((f) => f.id)).toEqual(['subnet']);
    expect(r.skipped).toEqual(['nat']);
  });

  it('an abort signal stops scheduling: running nodes finish, the rest are skipped', async () => {
    const c = controlledWorker();
    const ac = new AbortController();
    const graph = new WorkGraph([node('a'), node('b'), node('c', 'a'), node('d')]);
    let result: RunResult | undefined;
    void graph.run(c.worker, { concurrency: 2, signal: ac.signal }).then((r) => (result = r));
    await settle();
    expect([...c.running.keys()].sort()).toEqual(['a', 'b']);
    ac.abort();
    c.running.get('a')!.resolve();
    await settle();
    expect(c.running.size).toBe(1); // only b; neither c nor d started
    expect(result).toBeUndefined();
    c.running.get('b')!.resolve();
    await settle();
    await settle();
    expect(result).toBeDefined();
    expect(result!.done.sort()).toEqual(['a', 'b']);
    expect(result!.failed).toEqual([]);
    expect(result!.skipped.sort()).toEqual(['c', 'd']);
  });

  it('an already aborted signal starts nothing', async () => {
    const ac = new AbortController();
    ac.abort();
    const started: string[] = [];
    const r = await new WorkGraph([node('a'), node('b', 'a')]).run(async (id) => void started.push(id), { concurrency: 2, signal: ac.signal });
    expect(started).toEqual([]);
    expect(r.skipped.sort()).toEqual(['a', 'b']);
  });

  it('an empty graph finishes at once', async () => {
    const r = await new WorkGraph([]).run(async () => {}, { concurrency: 1 });
    expect(r).toEqual({ done: [], failed: [], skipped: [] });
  });
});

describe('WorkGraph construction', () => {
  function thrown(fn: () => unknown): WpdeployError {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(WpdeployError);
      return err as WpdeployError;
    }
    throw new Error('expected a WpdeployError');
  }

  it('reports a cycle by the names on its path', () => {
    const nodes = [node('x'), node('a', 'b', 'x'), node('b', 'c'), node('c', 'a')];
    const err = thrown(() => new WorkGraph(nodes));
    const m = /cycle: (.+?)\.?$/.exec(err.message);
    expect(m, err.message).not.toBeNull();
    const path = m![1]!.split(' -> ');
    expect(path[0]).toBe(path[path.length - 1]);
    expect(new Set(path)).toEqual(new Set(['a', 'b', 'c']));
    // each arrow is a real edge: the node depends on the next one
    const deps = new Map(nodes.map((n) => [n.id, n.dependsOn]));
    for (let i = 0; i + 1 < path.length; i++) expect(deps.get(path[i]!)).toContain(path[i + 1]);
  });

  it('reports a step that depends on itself', () => {
    expect(thrown(() => new WorkGraph([node('vpc', 'vpc')])).message).toContain('vpc -> vpc');
  });

  it('rejects a dependency on an unknown step, naming both', () => {
    const err = thrown(() => new WorkGraph([node('vpc'), node('subnet', 'vcp')]));
    expect(err.message).toContain('subnet');
    expect(err.message).toContain('vcp');
  });

  it('rejects a step defined twice', () => {
    expect(thrown(() => new WorkGraph([node('vpc'), node('vpc')])).message).toContain('vpc');
  });

  it('order() is a topological order', () => {
    const order = new WorkGraph(stackLike).order();
    expect(new Set(order)).toEqual(new Set(stackLike.map((n) => n.id)));
    for (const n of stackLike) for (const d of n.dependsOn) expect(order.indexOf(d)).toBeLessThan(order.indexOf(n.id));
  });
});

describe('WorkGraph.reversed', () => {
  it('turns every edge around: a dependency now waits for its dependents', () => {
    const graph = new WorkGraph(stackLike);
    const rev = graph.reversed();
    expect(new Set(rev.nodes.keys())).toEqual(new Set(graph.nodes.keys()));
    const edges = (g: WorkGraph) => [...g.nodes.values()].flatMap((n) => n.dependsOn.map((d) => `${n.id}<-${d}`)).sort();
    const flipped = [...graph.nodes.values()].flatMap((n) => n.dependsOn.map((d) => `${d}<-${n.id}`)).sort();
    expect(edges(rev)).toEqual(flipped);
    expect(rev.nodes.get('vpc')!.dependsOn).toEqual(expect.arrayContaining(['igw', 'subnet-a', 'subnet-b']));
    expect(rev.nodes.get('service')!.dependsOn).toEqual([]);
  });

  it('runs teardown dependents first', async () => {
    const events: string[] = [];
    const rev = new WorkGraph(stackLike).reversed();
    const r = await rev.run(
      async (id) => {
        events.push(`start:${id}`);
        await new Promise((res) => setTimeout(res, 1));
        events.push(`end:${id}`);
      },
      { concurrency: 3 },
    );
    expect(r.failed).toEqual([]);
    expect(r.done).toHaveLength(stackLike.length);
    for (const n of stackLike) {
      // n depends on d going up, so n must be gone before d's teardown starts
      for (const d of n.dependsOn) expect(events.indexOf(`end:${n.id}`), `${n.id} before ${d}`).toBeLessThan(events.indexOf(`start:${d}`));
    }
    expect(events[0]).toBe('start:service');
    expect(events[events.length - 1]).toBe('end:vpc');
  });

  it('reversing twice gives the original edges', () => {
    const g = new WorkGraph(stackLike);
    const twice = g.reversed().reversed();
    for (const n of g.nodes.values()) expect([...twice.nodes.get(n.id)!.dependsOn].sort()).toEqual([...n.dependsOn].sort());
  });
});

describe('a worker that throws synchronously', () => {
  it('fails its node and the run still ends', async () => {
    const g = new WorkGraph([{ id: 'a', dependsOn: [] }, { id: 'b', dependsOn: ['a'] }, { id: 'c', dependsOn: ['b'] }]);
    const r = await g.run((id) => {
      if (id === 'b') throw new Error('boom');
      return Promise.resolve();
    }, { concurrency: 1 });
    expect(r.done).toEqual(['a']);
    expect(r.failed.map((f) => f.id)).toEqual(['b']);
    expect(r.skipped).toEqual(['c']);
  });
});

describe('critical-path-first scheduling', () => {
  const w = (id: string, weightMs: number, ...dependsOn: string[]): GraphNode => ({ id, dependsOn, weightMs });

  /** Runs the graph one node at a time, each node finishing at once: the order the ready pool picks. */
  async function order(nodes: GraphNode[], concurrency = 1): Promise<string[]> {
    const started: string[] = [];
    await new WorkGraph(nodes).run(async (id) => void started.push(id), { concurrency });
    return started;
  }

  it('remainingPath: a node\'s weight plus the longest chain of its dependents', () => {
    const g = new WorkGraph([w('vpc', 3), w('subnet-a', 2, 'vpc'), w('subnet-b', 2, 'vpc'), w('db', 900, 'subnet-b'), w('alb', 180, 'subnet-a'), w('svc', 150, 'db', 'alb')]);
    expect(Object.fromEntries(g.remainingPath())).toEqual({ vpc: 1055, 'subnet-a': 332, 'subnet-b': 1052, db: 1050, alb: 330, svc: 150 });
  });

  it('the ready pool starts the node with the longest chain ahead first, not the first declared', async () => {
    // Declared first: quick steps; declared last: the start of the slow chain.
    const nodes = [w('igw', 2), w('eip', 1), w('log-group', 1), w('subnet-data', 2), w('db', 900, 'subnet-data')];
    expect(await order(nodes)).toEqual(['subnet-data', 'db', 'igw', 'eip', 'log-group']);
  });

  it('with a few slots, the slow chain never waits behind quick steps', async () => {
    const c = controlledWorker();
    const nodes = [
      w('vpc', 3),
      ...['sg-a', 'sg-b', 'sg-c', 'rt-a', 'rt-b', 'nacl-a'].map((id) => w(id, 2, 'vpc')),
      w('subnet-data', 2, 'vpc'), w('db-subnet-group', 2, 'subnet-data'), w('db', 900, 'db-subnet-group'),
    ];
    let result: RunResult | undefined;
    void new WorkGraph(nodes).run(c.worker, { concurrency: 2 }).then((r) => (result = r));
    await settle();
    expect([...c.running.keys()]).toEqual(['vpc']);
    c.running.get('vpc')!.resolve();
    await settle();
    expect([...c.running.keys()]).toEqual(['subnet-data', 'sg-a']);
    c.running.get('subnet-data')!.resolve();
    await settle();
    expect([...c.running.keys()]).toEqual(['sg-a', 'db-subnet-group']);
    c.running.get('db-subnet-group')!.resolve();
    await settle();
    expect([...c.running.keys()]).toEqual(['sg-a', 'db']);
    while (!result) {
      await settle();
      c.running.values().next().value?.resolve();
    }
    expect(result.done).toHaveLength(nodes.length);
  });

  it('equal chains go in declaration order, as do unweighted graphs', async () => {
    expect(await order([w('a', 5), w('b', 5), w('c', 5)])).toEqual(['a', 'b', 'c']);
    expect(await order([node('x'), node('y'), node('z', 'x')])).toEqual(['x', 'y', 'z']);
  });

  it('teardown: the reverse graph keeps the weights, so the slow delete starts first', async () => {
    // Going up: subnet <- db-subnet-group <- db, subnet <- nacl; reversed, db is deleted first.
    const up = [w('subnet', 2), w('nacl', 2, 'subnet'), w('db-subnet-group', 2, 'subnet'), w('db', 480, 'db-subnet-group')];
    const rev = new WorkGraph(up).reversed();
    expect(rev.nodes.get('db')!.weightMs).toBe(480);
    expect(await order([...rev.nodes.values()])).toEqual(['db', 'nacl', 'db-subnet-group', 'subnet']);
  });

  it('a node marked first starts before every other ready node, whatever the weights', async () => {
    expect(await order([w('vpc', 3), w('db', 900), { id: 'zone-check', dependsOn: [], weightMs: 1, first: true }])).toEqual(['zone-check', 'db', 'vpc']);
  });

  it('a node marked first cannot have dependencies', () => {
    expect(() => new WorkGraph([node('a'), { id: 'b', dependsOn: ['a'], first: true }])).toThrow(/b runs first/);
  });
});

describe('release and skip', () => {
  it('release() lets dependents start while the node keeps its slot', async () => {
    const events: string[] = [];
    let finishA!: () => void;
    const aHeld = new Promise<void>((r) => (finishA = r));
    const g = new WorkGraph([node('a'), node('b', 'a'), node('c', 'a')]);
    const run = g.run(async (id, release) => {
      events.push(`start:${id}`);
      if (id === 'a') {
        release();
        await aHeld; // trailing work, after the outputs are out
      }
      events.push(`end:${id}`);
    }, { concurrency: 2 });
    await settle();
    // b started on a's release; c waited for a slot (a still holds one, b the other) until b ended.
    expect(events).toEqual(['start:a', 'start:b', 'end:b', 'start:c', 'end:c']);
    finishA();
    const r = await run;
    expect(r.done.sort()).toEqual(['a', 'b', 'c']);
  });

  it('a node that fails after its release is failed; its dependents already started finish', async () => {
    const g = new WorkGraph([node('a'), node('b', 'a'), node('c', 'b')]);
    const r = await g.run(async (id, release) => {
      if (id === 'a') {
        release();
        await settle();
        throw new Error('twin delete failed');
      }
      if (id === 'b') await settle();
    }, { concurrency: 4 });
    expect(r.failed.map((f) => f.id)).toEqual(['a']);
    expect(r.done).toEqual(['b']);
    expect(r.skipped).toEqual(['c']);
  });

  it('a worker answering skipped is reported skipped, not done, and its dependents never start', async () => {
    const started: string[] = [];
    const r = await new WorkGraph([node('a'), node('b', 'a'), node('c')]).run(async (id) => {
      started.push(id);
      return id === 'a' ? 'skipped' : undefined;
    }, { concurrency: 1 });
    expect(started).toEqual(['a', 'c']);
    expect(r.done).toEqual(['c']);
    expect(r.skipped).toEqual(['a', 'b']);
  });
});

describe('stagger', () => {
  it('starts one node per turn of the event loop, the longest chain first, up to the limit', async () => {
    const c = controlledWorker();
    const nodes: GraphNode[] = [{ id: 'quick', dependsOn: [], weightMs: 1 }, { id: 'slow', dependsOn: [], weightMs: 900 }, { id: 'mid', dependsOn: [], weightMs: 100 }, { id: 'late', dependsOn: [], weightMs: 1 }];
    let result: RunResult | undefined;
    void new WorkGraph(nodes).run(c.worker, { concurrency: 3, stagger: true }).then((r) => (result = r));
    await Promise.resolve();
    await Promise.resolve();
    expect([...c.running.keys()]).toEqual(['slow']); // the others wait a turn each
    await settle();
    await settle();
    expect([...c.running.keys()]).toEqual(['slow', 'mid', 'quick']);
    while (!result) {
      await settle();
      c.running.values().next().value?.resolve();
    }
    expect(c.maxInFlight).toBe(3);
    expect(result.done).toHaveLength(4);
  });
});
