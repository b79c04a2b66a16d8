/**
 * The timing profile of the simulated AWS: how long each slow resource takes on real AWS
 * (typical AWS durations), the time-scale factor that divides every such duration, and the latency added to
 * every API call. The simulator (sim-aws.ts) and the lower bound (bound.ts) read the same profile,
 * so the bound is the physical limit of the world the CLI runs in.
 *
 * Durations are real AWS times in milliseconds; `scaledMs` turns one into wall-clock time under the
 * profile. The per-call latency is wall-clock time and is NOT scaled: a call costs the same 50 ms
 * whatever the scale (at scale 60 that is worth 3 s of simulated AWS time, in the bound as in the run).
 */

export interface Durations {
  /** RDS instance `creating` until `available`, Multi-AZ. */
  rdsCreateMultiAz: number;
  /** The same, single-AZ. */
  rdsCreateSingleAz: number;
  /** RDS instance `deleting` until gone (the final snapshot included). */
  rdsDelete: number;
  rdsProxyCreate: number;
  rdsProxyDelete: number;
  /** NAT gateway `pending` until `available`. */
  natCreate: number;
  /** NAT gateway `deleting` until `deleted`. */
  natDelete: number;
  /** ALB `provisioning` until `active`. */
  albCreate: number;
  /** ALB still listed after DeleteLoadBalancer. */
  albDelete: number;
  /** EFS mount target `creating` until `available`. */
  mountTargetCreate: number;
  /** EFS mount target `deleting` until gone. */
  mountTargetDelete: number;
  /** ECS service: no task running until this long after CreateService (or an UpdateService that deploys). */
  ecsSteady: number;
  /** ECS service DRAINING after DeleteService: the target group's deregistration delay (30 s in wpdeploy's config). */
  ecsDrain: number;
  /** ACM certificate PENDING_VALIDATION until this long after its validation CNAME is written to the zone. */
  acmValidation: number;
  /** Route 53 change PENDING until INSYNC. */
  route53Change: number;
}

/** Typical AWS durations, in ms of real AWS time. */
export const AWS_DURATIONS: Readonly<Durations> = Object.freeze({
  rdsCreateMultiAz: 15 * 60_000,
  rdsCreateSingleAz: 7 * 60_000,
  rdsDelete: 8 * 60_000,
  rdsProxyCreate: 5 * 60_000,
  rdsProxyDelete: 3 * 60_000,
  natCreate: 2 * 60_000,
  natDelete: 60_000,
  albCreate: 3 * 60_000,
  albDelete: 60_000,
  mountTargetCreate: 90_000,
  mountTargetDelete: 60_000,
  ecsSteady: 150_000,
  ecsDrain: 30_000,
  acmValidation: 3 * 60_000,
  route53Change: 60_000,
});

export interface Profile {
  /** Every AWS duration is divided by this (60: a minute becomes a second). */
  scale: number;
  /** Wall-clock latency added to every API call, in ms (not scaled). */
  latencyMs: number;
  durations: Durations;
}

export function makeProfile(o: { scale?: number; latencyMs?: number; durations?: Partial<Durations> } = {}): Profile {
  const scale = o.scale ?? 60;
  const latencyMs = o.latencyMs ?? 50;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`time scale must be a positive number, not ${scale}`);
  if (!(latencyMs >= 0) || !Number.isFinite(latencyMs)) throw new Error(`latency must be a number of ms >= 0, not ${latencyMs}`);
  return { scale, latencyMs, durations: { ...AWS_DURATIONS, ...o.durations } };
}

/** Wall-clock ms of an AWS duration under the profile. */
export const scaledMs = (p: Profile, awsMs: number): number => awsMs / p.scale;
