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
 * Everything else goes through unchanged (the shim answers only DescribeServices, by forwarding it to
 * moto itself and editing the JSON). `sent` keeps the CreateService/UpdateService bodies for checks.
 */
import type { AwsCall, Interceptor, Reply } from './aws-proxy.js';

type Json = Record<string, unknown>;

export interface EcsShim extends Interceptor {
  /** The CreateService and UpdateService request bodies the CLI sent, in order. */
  readonly sent: Array<{ operation: 'CreateService' | 'UpdateService'; body: Json }>;
}

const STICKY = ['deploymentConfiguration', 'healthCheckGracePeriodSeconds', 'enableECSManagedTags'] as const;
const last = (s: string) => s.split('/').pop() ?? s;

export function ecsShim(motoEndpoint: string): EcsShim {
  const sent: EcsShim['sent'] = [];
  const remembered = new Map<string, Json>();
  const key = (cluster: unknown, service: unknown) => `${last(String(cluster ?? 'default'))}/${last(String(service ?? ''))}`;

  const fn = async (call: AwsCall): Promise<Reply | undefined> => {
    if (call.service !== 'ecs') return undefined;
    if (call.operation === 'CreateService' || call.operation === 'UpdateService') {
      const body = JSON.parse(call.body) as Json;
      sent.push({ operation: call.operation, body });
      const k = key(body.cluster, call.operation === 'CreateService' ? body.serviceName : body.service);
      const prev = remembered.get(k) ?? {};
      for (const f of STICKY) if (body[f] !== undefined) prev[f] = body[f];
      remembered.set(k, prev);
      return undefined;
    }
    if (call.operation !== 'DescribeServices') return undefined;
    const res = await fetch(motoEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AmazonEC2ContainerServiceV20141113.DescribeServices',
        authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${call.region}/ecs/aws4_request, SignedHeaders=host;x-amz-target, Signature=0`,
      },
      body: call.body,
    });
    const text = await res.text();
    if (!res.ok) return { status: res.status, body: text, headers: { 'content-type': res.headers.get('content-type') ?? 'application/x-amz-json-1.1' } };
    const doc = JSON.parse(text) as { services?: Json[] };
    for (const s of doc.services ?? []) {
      const k = key(s.clusterArn, s.serviceName);
      const r = remembered.get(k);
      if (r) for (const f of STICKY) if (s[f] === undefined && r[f] !== undefined) s[f] = r[f];
      const deployments = s.deployments as Json[] | undefined;
      if (deployments?.length === 1 && s.taskDefinition) deployments[0]!.taskDefinition = s.taskDefinition;
    }
    return { status: 200, body: JSON.stringify(doc), headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `shim-${Date.now()}` } };
  };
  return Object.assign(fn, { sent });
}
