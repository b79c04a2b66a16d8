/**
 * The WordPress stack as steps: which resources, in what order, and why each edge exists.
 * Tier issues add their steps here; the engine does not change.
 */
import type { Config } from '../config/schema.js';
import { stackTags } from '../aws/tags.js';
import type { ResourceKind, StepDef } from './types.js';
import { vpcKind, type VpcSpec } from './vpc.js';

/** Every kind, by its state name, so teardown can handle steps a newer config dropped. */
export const KINDS: ReadonlyMap<string, ResourceKind> = new Map(
  ([vpcKind] as ResourceKind[]).map((k) => [k.kind, k]),
);

export function buildSteps(config: Config): StepDef[] {
  const tags = (step: string, role: string) => stackTags({ stack: config.stack, step, role, userTags: config.tags });
  const vpc: StepDef<VpcSpec> = {
    id: 'vpc',
    role: 'vpc',
    kind: vpcKind,
    dependsOn: [],
    desired: () => ({ cidr: config.network.cidr, dnsSupport: true, dnsHostnames: true, tags: tags('vpc', 'vpc') }),
  };
  return [vpc] as StepDef[];
}
