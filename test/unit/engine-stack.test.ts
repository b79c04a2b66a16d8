/**
 * The engine as a library: a toy stack of three in-memory kinds, none of them WordPress's, goes
 * through the session's plan, up, status, outputs, logs and down. Everything particular to the stack
 * (steps, kinds, preflight, outputs, health, logs, kept data) comes from its Stack; no AWS call is made.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { EngineResult } from '../../src/engine/deployer.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { health, readLogs, readOutputs, runDown, runPlan, runStatus, runUp, type Session } from '../../src/engine/session.js';
import type { LogsRequest, PreflightStep, Stack, StackScope } from '../../src/engine/stack.js';
import { StateStore } from '../../src/engine/state.js';
import type { Actual, ResourceContext, ResourceKind, StepDef } from '../../src/resources/types.js';

interface Toy {
  /** Resources that exist, by step. */
  live: Map<string, Actual>;
  log: string[];
  lines: Array<{ at: number; text: string }>;
}

function toyKind(toy: Toy, name: string, opts: { retainOnDown?: boolean } = {}): ResourceKind<{ size: number }, Actual> {
  return {
    name: `toy:${name}`,
    noun: name,
    retainOnDown: opts.retainOnDown,
    async find(ctx) {
      return toy.live.get(ctx.step);
    },
    diff: (desired, actual) => (actual.state === `size ${desired.size}` ? { changes: [] } : { changes: [{ field: 'size', from: actual.state, to: desired.size }] }),
    async create(ctx, desired) {
      toy.log.push(`create ${ctx.step}`);
      const a = { id: `${ctx.step}-1`, state: `size ${desired.size}` };
      toy.live.set(ctx.step, a);
      return a;
    },
    async update(ctx, desired, actual) {
      toy.log.push(`update ${ctx.step}`);
      const a = { ...actual, state: `size ${desired.size}` };
      toy.live.set(ctx.step, a);
      return a;
    },
    async delete(ctx) {
      toy.log.push(`delete ${ctx.step}`);
      toy.live.delete(ctx.step);
    },
    outputs: (a) => ({ id: a.id, url: `toy://${a.id}` }),
  };
}

/**
 * A shelf (kept on `down`, it holds data), a queue on it, and a worker reading the queue. The queue's
 * step is named `db` and the worker's `app-log-group`: an engine that still reads WordPress's steps by
 * name finds them here, and says what it should not.
 */
function toyStack(toy: Toy) {
  const shelf = toyKind(toy, 'shelf', { retainOnDown: true });
  const queue = toyKind(toy, 'queue');
  const worker = toyKind(toy, 'worker');
  const step = (id: string, kind: ResourceKind<{ size: number }, Actual>, size: number, dependsOn: StepDef['dependsOn'] = []): StepDef =>
    ({ id, role: id, kind: kind as unknown as ResourceKind, dependsOn, desired: () => ({ size }) });
  return {
    kinds: new Map([shelf, queue, worker].map((k) => [k.name, k as unknown as ResourceKind])),
    async steps({ config }: StackScope) {
      const size = Number(config.tags['size'] ?? 1);
      return [
        step('shelf', shelf, size),
        step('db', queue, size, [{ step: 'shelf', why: 'the queue stores on the shelf' }]),
        step('app-log-group', worker, size, [{ step: 'db', why: 'the worker reads the queue' }]),
      ];
    },
    async preflight(_ctx: ResourceContext, steps: PreflightStep[]) {
      toy.log.push(`preflight ${steps.length}`);
      return [];
    },
    outputSteps: ['db'],
    outputs: (_config: Config, outputs: Record<string, Record<string, string>>) => ({ queueUrl: outputs['db']?.url }),
    health: (_config: Config, result: Pick<EngineResult, 'items' | 'outputs'>) => ({ worker: result.outputs['app-log-group']?.url, steps: result.items.length }),
    async readLogs(scope: Omit<StackScope, 'account'>, request: LogsRequest, onLine: (line: string) => void) {
      for (const l of toy.lines) if (l.at >= request.startTime) onLine(`${scope.config.stack}: ${l.text}`);
    },
    async keptData() {
      return toy.live.has('shelf') ? { shelves: [toy.live.get('shelf')!.id] } : undefined;
    },
  } satisfies Stack;
}

async function session(toy: Toy, tags: Record<string, string> = {}) {
  const config = validateConfig({ stack: 'toy', region: 'us-east-1', tags });
  const store = await StateStore.open(mkdtempSync(join(tmpdir(), 'wpdeploy-toy-')), { stack: 'toy', region: 'us-east-1' });
  // A real client set, to count calls: the toy makes none, and neither may the engine.
  const aws = new AwsClients({ region: 'us-east-1' });
  const stack = toyStack(toy);
  const events: EngineEvent[] = [];
  const base: Session<typeof stack> = {
    command: 'up', config, configSource: 'test', aws, account: '123456789012', store, stack,
    steps: await stack.steps({ config, aws, account: '123456789012', recorded: store.steps }),
    concurrency: 4, emit: (e) => void events.push(e), signal: new AbortController().signal, close: async () => undefined,
  };
  return { as: (command: string): Session<typeof stack> => ({ ...base, command }), events, store, aws };
}

describe('the engine deploys a stack it knows nothing of', () => {
  it('plan, up, status, outputs, logs and down run on the toy stack, with its health, outputs and logs', async () => {
    const toy: Toy = { live: new Map(), log: [], lines: [{ at: 0, text: 'old' }, { at: Date.now() + 60_000, text: 'started' }] };
    const { as, events, store, aws } = await session(toy);

    const plan = await runPlan(as('plan'));
    expect(plan.items.map((i) => [i.step, i.op])).toEqual([['shelf', 'create'], ['db', 'create'], ['app-log-group', 'create']]);
    expect(toy.log).toEqual(['preflight 0']);

    const up = await runUp(as('up'));
    expect(up.ok).toBe(true);
    expect(toy.log.filter((l) => l.startsWith('create'))).toEqual(['create shelf', 'create db', 'create app-log-group']);
    expect(events.find((e) => e.type === 'run-done' && e.command === 'up')).toMatchObject({ outputs: { queueUrl: 'toy://db-1' } });
    expect(health(as('up'), up)).toEqual({ worker: 'toy://app-log-group-1', steps: 3 });

    const status = await runStatus(as('status'));
    expect(status.items.every((i) => i.op === 'same')).toBe(true);
    expect(health(as('status'), status)).toEqual({ worker: 'toy://app-log-group-1', steps: 3 });
    expect(await readOutputs(as('outputs'))).toEqual({ queueUrl: 'toy://db-1' });

    const lines: string[] = [];
    await readLogs(as('logs'), { sinceMs: 0 }, (line) => lines.push(line));
    expect(lines).toEqual(['toy: started']);

    const { result, kept } = await runDown(as('down'));
    expect(result.ok).toBe(true);
    expect(toy.log.filter((l) => l.startsWith('delete'))).toEqual(['delete app-log-group', 'delete db']);
    expect(kept).toEqual({ shelves: ['shelf-1'] });
    expect(Object.keys(store.steps)).toEqual(['shelf']);
    expect({ read: aws.calls.read, mutating: aws.calls.mutating }).toEqual({ read: 0, mutating: 0 });
  });

  it('a changed config updates in place; steps the state records but the config dropped are torn down by the kinds the stack names', async () => {
    const toy: Toy = { live: new Map(), log: [], lines: [] };
    const first = await session(toy);
    expect((await runUp(first.as('up'))).ok).toBe(true);
    const bigger = await session(toy, { size: '2' });
    const resized = { ...bigger.as('up'), store: first.store, steps: bigger.as('up').steps.slice(0, 2) };
    const r = await runUp(resized);
    expect(r.ok).toBe(true);
    expect(toy.log.slice(-3)).toEqual(['update shelf', 'update db', 'delete app-log-group']);
    expect(Object.keys(first.store.steps).sort()).toEqual(['db', 'shelf']);
  });
});
