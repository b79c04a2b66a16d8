/**
 * The WordPress stack as steps: which resources, what each needs, and why each edge exists.
 * Each tier adds its steps through a StepBuilder (stack-network.ts, stack-data.ts, stack-app.ts);
 * the engine does not change.
 */
import { stackTags } from '../aws/tags.js';
import type { Config } from '../config/schema.js';
import type { Actual, Dependency, Inputs, Preflight, ResourceKind, StepDef } from './types.js';

export interface StackContext {
  /** The Availability Zones, in order (chosen by availability-zones.ts). */
  zones: string[];
  account: string;
}

/** `a`, `b`, `c`, ... for AZ index 0, 1, 2, ... */
export const azLetter = (i: number) => String.fromCharCode(97 + i);

/** An edge both ways: created after `step`, deleted before it. */
export const dep = (step: string, why: string): Dependency => ({ step, why });
/** An edge `up` needs and `down` does not: AWS lets `step` be deleted first. */
export const createDep = (step: string, why: string): Dependency => ({ step, why, only: 'create' });
/** An edge only `down` needs: deleted before `step`, but created without it. */
export const deleteDep = (step: string, why: string): Dependency => ({ step, why, only: 'delete' });

/** Collects the steps of the stack; `desired` receives the step's full tag set. */
export class StepBuilder {
  readonly steps: StepDef[] = [];
  constructor(readonly config: Config, readonly ctx: StackContext) {}

  /** The AZ letters in use: `a`, `b`, ... */
  get azs(): string[] {
    return this.ctx.zones.map((_, i) => azLetter(i));
  }

  has(id: string): boolean {
    return this.steps.some((s) => s.id === id);
  }

  add<S, A extends Actual>(
    id: string, role: string, kind: ResourceKind<S, A>, dependsOn: Dependency[], desired: (inputs: Inputs, tags: Record<string, string>) => NoInfer<S>,
    options: { check?: boolean; preflight?: Preflight<NoInfer<S>> } = {},
  ): void {
    const { stack, tags: userTags } = this.config;
    this.steps.push({
      id, role, kind: kind as unknown as ResourceKind, dependsOn, desired: (inputs) => desired(inputs, stackTags({ stack, step: id, role, userTags })),
      ...(options.check ? { check: true } : {}),
      ...(options.preflight ? { preflight: options.preflight as Preflight } : {}),
    });
  }
}
