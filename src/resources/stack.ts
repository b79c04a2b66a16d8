/**
 * The WordPress stack: every step of every tier, and every kind by its state name (so teardown can
 * handle steps a newer config dropped).
 */
import type { Config } from '../config/schema.js';
import { APP_KINDS, appSteps } from './stack-app.js';
import { DATA_KINDS, dataSteps } from './stack-data.js';
import { NETWORK_KINDS, networkSteps } from './stack-network.js';
import { StepBuilder, type StackContext } from './step-builder.js';
import type { ResourceKind, StepDef } from './types.js';

export const KINDS: ReadonlyMap<string, ResourceKind> = new Map(
  [...NETWORK_KINDS, ...DATA_KINDS, ...APP_KINDS].map((k) => [k.name, k]),
);

export function buildSteps(config: Config, ctx: StackContext): StepDef[] {
  const b = new StepBuilder(config, ctx);
  networkSteps(b);
  dataSteps(b);
  appSteps(b);
  return b.steps;
}

export type { StackContext };
