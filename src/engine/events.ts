/**
 * The events the engine emits while it works. Renderers (src/ui) subscribe; the engine never prints.
 * With --json each event is one line of JSON: docs/commands.md documents this schema.
 */
import type { FieldChange, Operation } from '../resources/types.js';

export type EngineEvent =
  | { type: 'run-start'; command: string; stack: string; region: string; account: string; endpoint?: string; steps: Array<{ id: string; kind: string; dependsOn: string[]; deletedBefore?: string[]; expectedMs?: number }> }
  | { type: 'step-start'; step: string; kind: string; phase: 'read' | 'delete' }
  | { type: 'step-plan'; step: string; kind: string; op: Operation; id?: string; changes: FieldChange[]; reason?: string; expectedMs?: number; attributes?: Record<string, unknown> }
  | { type: 'step-progress'; step: string; message: string; elapsedMs: number }
  | { type: 'step-done'; step: string; kind: string; op: Operation; id?: string; elapsedMs: number; message?: string }
  | { type: 'step-failed'; step: string; kind: string; error: string; hint?: string; elapsedMs: number }
  | { type: 'step-skipped'; step: string; reason: string }
  | { type: 'warning'; message: string; step?: string }
  | { type: 'run-done'; command: string; ok: boolean; interrupted: boolean; counts: Record<Operation, number>; calls: { read: number; mutating: number; byOperation: Record<string, number> }; elapsedMs: number; /** `up` only: the stack's outputs (Stack.outputs). */ outputs?: unknown };

export type Emit = (event: EngineEvent) => void;

/** Every event as emitted, with the time it happened (ISO 8601). */
export type TimedEvent = EngineEvent & { time: string };

export function timed(emit: (e: TimedEvent) => void): Emit {
  return (e) => emit({ ...e, time: new Date().toISOString() } as TimedEvent);
}
