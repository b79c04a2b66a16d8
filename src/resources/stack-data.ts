/** The data tier: database credentials, RDS MySQL, EFS. (Added by the data tier issue.) */
import type { StepBuilder } from './step-builder.js';
import type { ResourceKind } from './types.js';

export const DATA_KINDS: ResourceKind[] = [];

export function dataSteps(_b: StepBuilder): void {}
