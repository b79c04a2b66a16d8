/**
 * The WordPress stack: every step of every tier. Every kind is known by its state name (KINDS, from
 * defineKind), so teardown can handle steps a newer config dropped.
 */
import type { Config } from '../config/schema.js';
import { KINDS } from './kinds.js';
import { appSteps } from './stack-app.js';
import { dataSteps } from './stack-data.js';
import { networkSteps } from './stack-network.js';
import { StepBuilder, type StackContext } from './step-builder.js';
import type { StepDef } from './types.js';

export { KINDS };

export function buildSteps(config: Config, ctx: StackContext): StepDef[] {
  const b = new StepBuilder(config, ctx);
  const net = networkSteps(b);
  appSteps(b, net, dataSteps(b, net));
  return b.steps;
}

export type { StackContext };
