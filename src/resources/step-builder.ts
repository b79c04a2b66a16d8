/**
 * How the tiers declare the stack's steps (stack-network.ts, stack-data.ts, stack-app.ts). `add`
 * returns a handle, and a step's spec reads another step's outputs through that handle
 * (`vpc.out.vpcId`): each read is the edge that creates the step after the one it reads, so the
 * edges follow the data (as Pulumi's Outputs do). Explicit edges are only for orderings that carry
 * no data, and for `down`; each says why AWS needs it, and orders one way or both (Dependency.only).
 */
import { stackTags, type TagMap } from '../aws/tags.js';
import type { Config } from '../config/schema.js';
import { isRegistered } from './kinds.js';
import { UNKNOWN, type Actual, type Dependency, type Inputs, type Preflight, type ResourceKind, type StepDef } from './types.js';

export interface StackContext {
  /** The Availability Zones, in order (chosen by availability-zones.ts). */
  zones: string[];
  account: string;
}

/** `a`, `b`, `c`, ... for AZ index 0, 1, 2, ... */
export const azLetter = (i: number) => String.fromCharCode(97 + i);

/** A step of the stack. Its outputs are read through `out`, only inside another step's spec. */
export interface Step<K extends string = string> {
  readonly id: string;
  readonly out: Readonly<Record<K, string>>;
}

/** An ordering that carries no data (or only orders `down`), and why AWS needs it. */
export interface Edge {
  to: Step;
  why: string;
  only?: 'create' | 'delete';
}

/** An edge both ways: created after `to`, deleted before it. */
export const dep = (to: Step, why: string): Edge => ({ to, why });
/** An edge `up` needs and `down` does not: AWS lets `to` be deleted first. */
export const createDep = (to: Step, why: string): Edge => ({ to, why, only: 'create' });
/** An edge only `down` needs: deleted before `to` (created after it only if the spec reads it). */
export const deleteDep = (to: Step, why: string): Edge => ({ to, why, only: 'delete' });

/** The spec being evaluated: where its reads go, and what it read (step id to output keys). */
let reading: { step: string; inputs: Inputs; reads: Map<string, Set<string>> } | undefined;

function evaluate<T>(step: string, inputs: Inputs, spec: () => T): { value: T; reads: Map<string, Set<string>> } {
  const outer = reading;
  const current = { step, inputs, reads: new Map<string, Set<string>>() };
  reading = current;
  try {
    return { value: spec(), reads: current.reads };
  } finally {
    reading = outer;
  }
}

function outputsOf<K extends string>(id: string): Readonly<Record<K, string>> {
  return new Proxy({} as Record<K, string>, {
    get(_target, key) {
      if (typeof key !== 'string') return undefined;
      if (!reading) throw new Error(`internal: ${id}.${key} read outside a step's spec (read outputs in the spec given to add()).`);
      if (reading.step === id) throw new Error(`internal: step ${id} reads its own output ${key}.`);
      const keys = reading.reads.get(id) ?? new Set<string>();
      reading.reads.set(id, keys.add(key));
      return reading.inputs.get(id, key);
    },
  });
}

/**
 * The step's edges: one per step it reads (created after it; both ways when an explicit `deleteDep`
 * also orders `down`), then the explicit edges to steps it does not read. An explicit edge that
 * orders the create of a step the spec reads repeats the read: refused, so each edge has one source.
 */
function edgesOf(id: string, reads: Map<string, Set<string>>, edges: Edge[]): Dependency[] {
  const seen = new Set<string>();
  for (const e of edges) {
    if (seen.has(e.to.id)) throw new Error(`internal: step ${id} declares two edges to ${e.to.id}.`);
    seen.add(e.to.id);
    if (e.only !== 'delete' && reads.has(e.to.id)) {
      throw new Error(`internal: step ${id} reads ${e.to.id}, which already orders its create; declare at most its delete ordering (deleteDep).`);
    }
  }
  const out: Dependency[] = [];
  for (const [step, keys] of reads) {
    const read = `reads its ${[...keys].join(', ')}`;
    const down = edges.find((e) => e.to.id === step);
    out.push(down ? { step, why: `${down.why} (${read})` } : { step, why: read, only: 'create' });
  }
  for (const e of edges) if (!reads.has(e.to.id)) out.push({ step: e.to.id, why: e.why, ...(e.only ? { only: e.only } : {}) });
  return out;
}

/** Collects the steps of the stack; a spec receives the step's full tag set. */
export class StepBuilder {
  readonly steps: StepDef[] = [];
  constructor(readonly config: Config, readonly ctx: StackContext) {}

  /** The AZ letters in use: `a`, `b`, ... */
  get azs(): string[] {
    return this.ctx.zones.map((_, i) => azLetter(i));
  }

  /**
   * Adds a step of a kind defined with `defineKind`. `spec` reads other steps through their handles;
   * it is evaluated once here, with every output unknown, to learn what it reads.
   */
  add<S, A extends Actual, K extends string>(
    id: string, role: string, kind: ResourceKind<S, A, K>, edges: Edge[], spec: (tags: TagMap) => NoInfer<S>,
    options: { check?: boolean; preflight?: Preflight<NoInfer<S>> } = {},
  ): Step<K> {
    if (!isRegistered(kind)) throw new Error(`internal: step ${id}: kind ${kind.name} is not defined with defineKind (src/resources/kinds.ts).`);
    if (this.steps.some((s) => s.id === id)) throw new Error(`internal: two steps are named ${id}.`);
    const { stack, tags: userTags } = this.config;
    const tags = stackTags({ stack, step: id, role, userTags });
    const { reads } = evaluate(id, { get: () => UNKNOWN }, () => spec(tags));
    this.steps.push({
      id, role, kind: kind as unknown as ResourceKind, dependsOn: edgesOf(id, reads, edges),
      desired: (inputs) => evaluate(id, inputs, () => spec(tags)).value,
      ...(options.check ? { check: true } : {}),
      ...(options.preflight ? { preflight: options.preflight as Preflight } : {}),
    });
    return { id, out: outputsOf<K>(id) };
  }
}
