/** iam/wpdeploy-policy.json: what a user attaches to run wpdeploy. It must follow the code. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, without types
import { policy, requiredActions } from '../../scripts/iam-policy.mjs';

type Statement = { Sid: string; Effect: string; Action: string[]; Resource: string | string[]; Condition?: Record<string, Record<string, unknown>> };
const committed = JSON.parse(readFileSync(new URL('../../iam/wpdeploy-policy.json', import.meta.url), 'utf8')) as { Statement: Statement[] };
const allowed = new Set(committed.Statement.flatMap((s) => s.Action));

describe('the IAM policy wpdeploy needs', () => {
  it('is the one derived from the calls the source makes (node scripts/iam-policy.mjs)', () => {
    expect(committed).toEqual(policy());
  });

  it('allows every call the source can make', () => {
    const required = requiredActions() as string[];
    expect(required.length).toBeGreaterThan(50);
    expect(required.filter((a) => !allowed.has(a))).toEqual([]);
  });

  it('has no wildcard action and lets roles be passed or changed only under /wpdeploy/', () => {
    for (const a of allowed) expect(a, a).not.toMatch(/\*/);
    for (const s of committed.Statement) {
      if (s.Action.some((a) => a.startsWith('iam:') && a !== 'iam:ListRoles' && a !== 'iam:CreateServiceLinkedRole')) {
        expect(s.Resource, s.Sid).toBe('arn:aws:iam::*:role/wpdeploy/*');
      }
    }
  });

  it('passes a role only to the service named in iam:PassedToService, and creates only the service-linked roles named', () => {
    const passing = committed.Statement.filter((s) => s.Action.includes('iam:PassRole'));
    expect(passing.map((s) => s.Condition?.StringEquals?.['iam:PassedToService']).sort()).toEqual(['ecs-tasks.amazonaws.com', 'rds.amazonaws.com', 'vpc-flow-logs.amazonaws.com']);
    for (const s of committed.Statement.filter((x) => x.Action.includes('iam:CreateServiceLinkedRole'))) {
      const service = s.Condition?.StringEquals?.['iam:AWSServiceName'];
      expect(s.Resource, s.Sid).toMatch(new RegExp(`^arn:aws:iam::\\*:role/aws-service-role/${String(service).replace(/\./g, '\\.')}/AWSServiceRoleFor`));
    }
  });
});
