/**
 * Where moto 5.1.1's ECS falls short of AWS in ways a converging tool sees, an interceptor for the
 * recording proxy that makes its DescribeServices answers look like AWS's (see docs/emulator.md: work
 * around the emulator in the test, never make the product more lenient):
 *
 * - CreateService drops `deploymentConfiguration`, `healthCheckGracePeriodSeconds` and
 *   `enableECSManagedTags`; UpdateService keeps the first two but stores the last under a name
 *   DescribeServices never returns. The shim remembers what the CLI last sent for each service and
 *   fills in what moto's answer lacks.
 * - UpdateService with a new task definition leaves the single deployment on the old one, where AWS
 *   ends with one PRIMARY deployment running the new one once the rollout completes. The shim sets
 *   the lone deployment's task definition to the service's.
 *
 * - moto runs every task definition: no rollout ever fails. `failRollouts` makes the rollouts of
 *   the task definitions it names fail as the ECS deployment circuit breaker with rollback fails
 *   them (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentCircuitBreaker.html:
 *   "the service is rolled back to the last deployment that completed successfully"; the states are
 *   those of https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Deployment.html: the
 *   most recent deployment is PRIMARY, one still being replaced ACTIVE; rolloutState IN_PROGRESS,
 *   then COMPLETED or, the circuit breaker tripped, FAILED). DescribeServices then shows, one answer
 *   after the other: the new deployment PRIMARY and IN_PROGRESS (its tasks failing) with the old
 *   one ACTIVE; the rollback, a PRIMARY deployment of the previous task definition, with the new one
 *   ACTIVE and FAILED, for `failedFor` answers; then the previous task definition alone, COMPLETED.
 *   The service itself is rolled back in moto (an UpdateService to the previous task definition),
 *   so it runs the previous task definition for every later read, as on AWS.
 *
 * Everything else goes through unchanged (the shim answers only DescribeServices, by forwarding it to
 * moto itself and editing the JSON). `sent` keeps the CreateService/UpdateService bodies for checks.
 */
import type { AwsCall, Interceptor, Reply } from './aws-proxy.js';

type Json = Record<string, unknown>;

export interface EcsShim extends Interceptor {
  /** The CreateService and UpdateService request bodies the CLI sent, in order. */
  readonly sent: Array<{ operation: 'CreateService' | 'UpdateService'; body: Json }>;
  /**
   * From now on, an UpdateService to a task definition `fails` matches rolls out, fails and is rolled
   * back by the circuit breaker; `failedFor`: how many DescribeServices answers show the failed
   * deployment before it is drained (default 2). `undefined` lets every rollout succeed again.
   */
  failRollouts(fails: ((taskDefinition: string) => boolean) | undefined, failedFor?: number): void;
}

/** The rollback of a failed rollout, as DescribeServices shows it answer after answer. */
interface Rollback {
  failed: string;
  previous: string;
  /** DescribeServices answers given since the UpdateService. */
  answers: number;
  failedFor: number;
}

/** The reason ECS gives a deployment its circuit breaker failed (tasks that exit or fail their health checks). */
export const CIRCUIT_BREAKER_REASON = 'ECS deployment circuit breaker: tasks failed to start.';

const STICKY = ['deploymentConfiguration', 'healthCheckGracePeriodSeconds', 'enableECSManagedTags'] as const;
const last = (s: string) => s.split('/').pop() ?? s;

export function ecsShim(motoEndpoint: string): EcsShim {
  const sent: EcsShim['sent'] = [];
  const remembered = new Map<string, Json>();
  const rollbacks = new Map<string, Rollback>();
  let fails: ((taskDefinition: string) => boolean) | undefined;
  let failedFor = 2;
  const key = (cluster: unknown, service: unknown) => `${last(String(cluster ?? 'default'))}/${last(String(service ?? ''))}`;
  const moto = async (region: string, operation: string, body: Json) => {
    const res = await fetch(motoEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AmazonEC2ContainerServiceV20141113.${operation}`,
        authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${region}/ecs/aws4_request, SignedHeaders=host;x-amz-target, Signature=0`,
      },
      body: JSON.stringify(body),
    });
    return { res, text: await res.text() };
  };

  const fn = async (call: AwsCall): Promise<Reply | undefined> => {
    if (call.service !== 'ecs') return undefined;
    if (call.operation === 'CreateService' || call.operation === 'UpdateService') {
      const body = JSON.parse(call.body) as Json;
      sent.push({ operation: call.operation, body });
      const k = key(body.cluster, call.operation === 'CreateService' ? body.serviceName : body.service);
      const prev = remembered.get(k) ?? {};
      for (const f of STICKY) if (body[f] !== undefined) prev[f] = body[f];
      remembered.set(k, prev);
      if (call.operation === 'UpdateService' && typeof body.taskDefinition === 'string' && fails?.(body.taskDefinition)) {
        const { res, text } = await moto(call.region, 'DescribeServices', { cluster: body.cluster, services: [body.service] });
        if (!res.ok) throw new Error(`ecs-shim: cannot read the service before its failing rollout: ${text}`);
        const previous = ((JSON.parse(text) as { services?: Json[] }).services?.[0]?.taskDefinition as string | undefined) ?? '';
        if (!previous) throw new Error(`ecs-shim: service ${String(body.service)} has no task definition to roll back to`);
        rollbacks.set(k, { failed: body.taskDefinition, previous, answers: 0, failedFor });
      }
      return undefined;
    }
    if (call.operation !== 'DescribeServices') return undefined;
    const { res, text } = await moto(call.region, 'DescribeServices', JSON.parse(call.body) as Json);
    if (!res.ok) return { status: res.status, body: text, headers: { 'content-type': res.headers.get('content-type') ?? 'application/x-amz-json-1.1' } };
    const doc = JSON.parse(text) as { services?: Json[] };
    for (const s of doc.services ?? []) {
      const k = key(s.clusterArn, s.serviceName);
      const r = remembered.get(k);
      if (r) for (const f of STICKY) if (s[f] === undefined && r[f] !== undefined) s[f] = r[f];
      const deployments = s.deployments as Json[] | undefined;
      if (deployments?.length === 1 && s.taskDefinition) deployments[0]!.taskDefinition = s.taskDefinition;
      const rollback = rollbacks.get(k);
      if (rollback && deployments?.length === 1) {
        if (rollback.answers === 0) {
          const back = await moto(call.region, 'UpdateService', { cluster: s.clusterArn, service: s.serviceName, taskDefinition: rollback.previous });
          if (!back.res.ok) throw new Error(`ecs-shim: cannot roll service ${String(s.serviceName)} back: ${back.text}`);
        }
        if (showRollback(s, deployments[0]!, rollback)) rollbacks.delete(k);
      }
    }
    return { status: 200, body: JSON.stringify(doc), headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `shim-${Date.now()}` } };
  };
  return Object.assign(fn, {
    sent,
    failRollouts: (f: ((taskDefinition: string) => boolean) | undefined, answers = 2) => {
      fails = f;
      failedFor = answers;
    },
  });
}

/**
 * Edits one DescribeServices answer of a service whose rollout fails (moto's one deployment is the
 * template), and says when the rollback is over: the previous task definition alone, COMPLETED.
 */
function showRollback(s: Json, only: Json, r: Rollback): boolean {
  const stage = r.answers++;
  const deployment = (id: string, status: string, taskDefinition: string, rolloutState: string, extra: Json = {}) =>
    ({ ...only, id: `ecs-svc/${id}`, status, taskDefinition, rolloutState, ...extra });
  const name = String(s.serviceName);
  if (stage === 0) {
    s.taskDefinition = r.failed;
    s.deployments = [
      deployment('2000000000000000002', 'PRIMARY', r.failed, 'IN_PROGRESS', { runningCount: 0, failedTasks: 1, rolloutStateReason: 'ECS deployment ecs-svc/2000000000000000002 in progress.' }),
      deployment('1000000000000000001', 'ACTIVE', r.previous, 'COMPLETED'),
    ];
    return false;
  }
  if (stage <= r.failedFor) {
    s.taskDefinition = r.previous;
    s.deployments = [
      deployment('3000000000000000003', 'PRIMARY', r.previous, 'IN_PROGRESS', { rolloutStateReason: 'ECS deployment ecs-svc/3000000000000000003 in progress.' }),
      deployment('2000000000000000002', 'ACTIVE', r.failed, 'FAILED', { runningCount: 0, failedTasks: 3, rolloutStateReason: CIRCUIT_BREAKER_REASON }),
    ];
    s.events = [
      { id: 'rollback', createdAt: Date.now() / 1000, message: `(service ${name}) rolling back to deployment ecs-svc/1000000000000000001.` },
      { id: 'failed', createdAt: Date.now() / 1000 - 1, message: `(service ${name}) (deployment ecs-svc/2000000000000000002) deployment failed: tasks failed to start.` },
      ...((s.events as Json[] | undefined) ?? []),
    ];
    return false;
  }
  s.taskDefinition = r.previous;
  s.deployments = [deployment('3000000000000000003', 'PRIMARY', r.previous, 'COMPLETED')];
  return true;
}
