/**
 * Every resource kind by its state name. A kind is registered where it is defined (`defineKind`), so
 * `down` knows every kind any config can produce, including the steps a newer config dropped; the
 * step builder refuses a kind that was not defined this way.
 */
import type { Actual, ResourceKind } from './types.js';

const registry = new Map<string, ResourceKind>();

/** Defines a kind and registers it under its `name` (two kinds may not share a name). */
export function defineKind<S, A extends Actual, K extends string = string>(kind: NoInfer<ResourceKind<S, A, K>>): ResourceKind<S, A, K> {
  const known = registry.get(kind.name);
  if (known && known !== kind) throw new Error(`internal: two resource kinds are named ${kind.name}.`);
  registry.set(kind.name, kind as unknown as ResourceKind);
  return kind;
}

/** The kinds defined so far (every kind the stack's modules import). */
export const KINDS: ReadonlyMap<string, ResourceKind> = registry;

/** True when `kind` was defined with `defineKind`. */
export const isRegistered = (kind: { name: string }): boolean => registry.get(kind.name) === (kind as unknown);
