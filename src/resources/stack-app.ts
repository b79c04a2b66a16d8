/** The app tier and the edge: ECS, ALB, certificates, DNS, auto scaling. (Added by the app tier issue.) */
import type { StepBuilder } from './step-builder.js';
import type { ResourceKind } from './types.js';

export const APP_KINDS: ResourceKind[] = [];

export function appSteps(_b: StepBuilder): void {}
