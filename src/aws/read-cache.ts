/**
 * The reads of one run, shared (after DataLoader): what several steps ask of AWS is asked once.
 *
 * - `read(key, dependsOn, load)`: one call serves every step that asks for the same key (a batch
 *   describe of one kind for the whole stack, say): concurrent askers share the call in flight, later
 *   ones get its answer.
 * - `batch(spec, key)`: values by key, fetched many at once: the keys asked within the same tick go
 *   to one call, together with the keys the run is expected to ask next (`spec.more`, e.g. the ARNs
 *   recorded in state), up to `spec.max`.
 *
 * An answer is good until a mutating call to a service it depends on finishes (any service for
 * '*'): from then on the next asker reads again, so a step never plans from what it, or another
 * step, has since changed. The AwsClients counter is the source (every mutating call passes through
 * it), so no resource has to remember to invalidate anything. A failed read is not kept.
 *
 * Only finds (`ResourceKind.find`) ask here; waits and the reads inside a create or an update go
 * to AWS directly. A run that changes nothing (a no-op `up`, `plan`, `status`) reads each kind once.
 */
import type { AwsClients } from './clients.js';

/** The services whose mutating calls make an answer stale: client names as in `calls.byOperation` (`EC2`, `EFS`), or '*' for any. */
export type DependsOn = string | readonly string[];

/** What the state records for a step, given to `BatchSpec.more`. */
export interface RecordedId {
  kind: string;
  id?: string;
  arn?: string;
}

/** A keyed batch read: one call answers many keys. */
export interface BatchSpec<V> {
  /** Names the batch in the cache; keys are per name. */
  name: string;
  dependsOn: DependsOn;
  /** At most this many keys per call (the API's limit). */
  max: number;
  /**
   * Keys the run is expected to ask for later, read along with the first ones (e.g. the ARNs of
   * every step of a kind, from state). When a call with such extra keys fails, it is made again
   * with only the keys asked for, so a stale hint never fails a read; that batch then reads only
   * what is asked for the rest of the run.
   */
  more?: (cache: ReadCache) => Iterable<string>;
  /** The values of the keys that exist; a key missing from the map reads as undefined. */
  loadMany(aws: AwsClients, keys: string[]): Promise<Map<string, V>>;
}

const NOT_READ = Symbol('not read');

interface Entry {
  version: string;
  value: Promise<unknown>;
}

interface Waiter {
  key: string;
  resolve: (v: unknown) => void;
  reject: (err: unknown) => void;
}

export class ReadCache {
  private readonly entries = new Map<string, Entry>();
  private readonly queues = new Map<string, { spec: BatchSpec<unknown>; waiters: Waiter[] }>();
  /** Batches whose read-ahead failed a call once: they read only what is asked from then on. */
  private readonly noReadAhead = new Set<string>();
  /** AWS calls made for the cache, and answers given without one (for tests and the curious). */
  readonly stats = { loads: 0, hits: 0 };

  constructor(readonly aws: AwsClients, private readonly recordedIds: () => readonly RecordedId[] = () => []) {}

  /** The ids and ARNs the state records for steps of these kinds (of every kind without one). */
  recorded(...kinds: string[]): RecordedId[] {
    return this.recordedIds().filter((r) => kinds.length === 0 || kinds.includes(r.kind));
  }

  private version(dependsOn: DependsOn): string {
    const services = typeof dependsOn === 'string' ? [dependsOn] : dependsOn;
    return services.map((s) => this.aws.mutations(s === '*' ? undefined : s)).join(',');
  }

  private cached(key: string, version: string): Promise<unknown> | undefined {
    const e = this.entries.get(key);
    if (e?.version !== version) return undefined;
    this.stats.hits++;
    return e.value;
  }

  private keep<T>(key: string, version: string, value: Promise<T>): Promise<T> {
    this.entries.set(key, { version, value });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  /** `load()` once for every asker of `key`, until a service in `dependsOn` is changed. */
  read<T>(key: string, dependsOn: DependsOn, load: () => Promise<T>): Promise<T> {
    const version = this.version(dependsOn);
    const hit = this.cached(`read:${key}`, version);
    if (hit) return hit as Promise<T>;
    this.stats.loads++;
    return this.keep(`read:${key}`, version, load());
  }

  /**
   * Like `read` with '*', but only while the run has changed nothing: afterwards undefined, and the
   * caller reads per resource. For an index of the whole stack (its tags) that serves a run that
   * only reads, and that would cost a call per step to keep fresh in a run that changes things.
   */
  readWhileUnchanged<T>(key: string, load: () => Promise<T>): Promise<T | undefined> {
    if (this.aws.mutations() > 0) return Promise.resolve(undefined);
    return this.read(key, '*', load);
  }

  /** The value of `key` from a batch read (see BatchSpec); undefined when the key does not exist. */
  batch<V>(spec: BatchSpec<V>, key: string): Promise<V | undefined> {
    const hit = this.cached(`batch:${spec.name}:${key}`, this.version(spec.dependsOn));
    if (hit) return hit.then((v) => (v === NOT_READ ? this.batch(spec, key) : (v as V | undefined)));
    let q = this.queues.get(spec.name);
    if (!q) {
      q = { spec: spec as BatchSpec<unknown>, waiters: [] };
      this.queues.set(spec.name, q);
      // After the current tick, so that every step that asks in it joins the same call.
      setImmediate(() => void this.flush(spec.name));
    }
    const queue = q;
    return new Promise<V | undefined>((resolve, reject) => {
      queue.waiters.push({ key, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  private flush(name: string): void {
    const q = this.queues.get(name)!;
    this.queues.delete(name);
    const spec = q.spec;
    const version = this.version(spec.dependsOn);
    const entry = (k: string) => `batch:${name}:${k}`;
    const asked = [...new Set(q.waiters.map((w) => w.key))];
    // Keys read ahead only fill the last call: they never cost a call of their own.
    const room = (spec.max - (asked.length % spec.max)) % spec.max;
    const hints = this.noReadAhead.has(name) ? [] : (spec.more?.(this) ?? []);
    const ahead = [...new Set(hints)].filter((k) => !asked.includes(k) && this.entries.get(entry(k))?.version !== version).slice(0, room);
    const keys = [...asked, ...ahead];
    for (let i = 0; i < keys.length; i += spec.max) {
      const chunk = keys.slice(i, i + spec.max);
      const call = this.loadChunk(spec, chunk, chunk.filter((k) => asked.includes(k)));
      for (const k of chunk) {
        const value: Promise<unknown> = call.then((r) => {
          if (r.keys.includes(k)) return r.values.get(k);
          // A key read ahead, dropped after a failure: not kept; whoever asked for it meanwhile asks again.
          if (this.entries.get(entry(k))?.value === value) this.entries.delete(entry(k));
          return NOT_READ;
        });
        this.keep(entry(k), version, value);
      }
    }
    for (const w of q.waiters) this.entries.get(entry(w.key))!.value.then(w.resolve, w.reject);
  }

  private async loadChunk<V>(spec: BatchSpec<V>, keys: string[], asked: string[]): Promise<{ keys: string[]; values: Map<string, V> }> {
    this.stats.loads++;
    try {
      return { keys, values: await spec.loadMany(this.aws, keys) };
    } catch (err) {
      if (asked.length === keys.length) throw err;
      // A key read ahead (a stale hint: a resource deleted since) may be what failed the call.
      this.noReadAhead.add(spec.name);
      this.stats.loads++;
      return { keys: asked, values: await spec.loadMany(this.aws, asked) };
    }
  }
}
