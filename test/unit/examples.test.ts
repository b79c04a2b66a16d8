/**
 * examples/: the GitHub Actions workflow and the IAM documents of the README's CI section. What a user copies
 * must keep working: the workflow calls only commands and flags the CLI has, gets its credentials
 * from OIDC (never from stored keys), and the roles trust only what the workflow needs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { isReadName } from '../support/aws-operations.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string) => readFileSync(root + path, 'utf8');
const json = <T = Policy>(path: string) => JSON.parse(read(path)) as T;

type Step = { name?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Job = {
  if?: string; needs?: string | string[]; environment?: string; permissions?: unknown; steps: Step[];
  concurrency?: { group: string; 'cancel-in-progress': boolean }; strategy?: { matrix?: { stack?: string[] } };
};
type Workflow = {
  on: { pull_request?: unknown; push?: { branches: string[] }; workflow_dispatch?: { inputs: Record<string, { type?: string; required?: boolean; options?: string[] }> } };
  permissions: Record<string, string>; env: Record<string, string>; jobs: Record<string, Job>;
};
type Statement = { Sid: string; Effect: string; Action: string | string[]; Resource: string | string[]; Principal?: { Federated?: string }; Condition?: Record<string, Record<string, string | string[]>> };
type Policy = { Version: string; Statement: Statement[] };

const WORKFLOW = 'examples/github-actions/wpdeploy.yml';
const text = read(WORKFLOW);
const wf = parse(text) as Workflow;
const jobs = Object.entries(wf.jobs);
const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const actions = (p: Policy) => p.Statement.flatMap((s) => list(s.Action));

/** The job that runs on `event` (its `if` names it), with a step running `wpdeploy <command>`. */
function jobFor(event: string, command: string): [string, Job] {
  const found = jobs.filter(([, j]) => j.if?.includes(`'${event}'`) && j.steps.some((s) => s.run && invocations(s.run).some((i) => i.command === command)));
  expect(found.map(([n]) => n), `one job on ${event} runs wpdeploy ${command}`).toHaveLength(1);
  return found[0]!;
}

/** Every line of a run script that runs `wpdeploy ...`: its words up to a redirection, pipe or list operator. */
function invocations(script: string): Array<{ line: string; command: string; words: string[] }> {
  const out: Array<{ line: string; command: string; words: string[] }> = [];
  for (const raw of script.split('\n')) {
    const m = /^(?:exec\s+)?(?:npx\s+)?wpdeploy\s+(.*)$/.exec(raw.trim());
    if (!m) continue;
    const words: string[] = [];
    for (const w of m[1]!.match(/"[^"]*"|'[^']*'|\S+/g) ?? []) {
      if (/^(>|>>|<|\||&&|;|2>|2>&1|&>)/.test(w)) break;
      words.push(w.replace(/^["']|["']$/g, ''));
    }
    out.push({ line: raw.trim(), command: words[0]!, words });
  }
  return out;
}

const allInvocations = jobs.flatMap(([, j]) => j.steps.flatMap((s) => (s.run ? invocations(s.run) : [])));

/**
 * The CLI's `--help` text, from the source (src/cli/main.ts parses process.argv when loaded), not from
 * a build in dist/ that may be older than the source.
 */
async function helpText(args: string[]): Promise<string> {
  const { argv, exitCode } = process;
  let out = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    process.argv = [process.execPath, 'wpdeploy', ...args, '--help'];
    vi.resetModules();
    await import('../../src/cli/main.js');
  } finally {
    write.mockRestore();
    process.argv = argv;
    process.exitCode = exitCode;
  }
  return out;
}

/** Options and commands from the CLI's --help: `--long` (or `-x`) -> whether it takes a value. */
async function helpOptions(args: string[]): Promise<{ options: Map<string, boolean>; commands: string[] }> {
  const out = await helpText(args);
  const options = new Map<string, boolean>();
  const commands: string[] = [];
  let section = '';
  for (const line of out.split('\n')) {
    if (/^\S.*:$/.test(line)) section = line;
    const m = /^ {2}(\S.*?)(?: {2,}|$)/.exec(line);
    if (!m) continue;
    if (section === 'Options:') {
      const takesValue = /[<[]/.test(m[1]!);
      for (const flag of m[1]!.split(/,\s*/)) options.set(flag.split(' ')[0]!, takesValue);
    } else if (section === 'Commands:') commands.push(m[1]!.split(' ')[0]!);
  }
  return { options, commands };
}

describe('examples/github-actions/wpdeploy.yml', () => {
  it('is valid YAML', () => {
    expect(parseDocument(text).errors).toEqual([]);
    expect(Object.keys(wf.jobs).length).toBeGreaterThanOrEqual(3);
  });

  it('asks for an OIDC token, and reads nothing else (up also reads the pull request\'s plan artifact)', () => {
    expect(wf.permissions).toEqual({ 'id-token': 'write', contents: 'read' });
    for (const [name, job] of jobs) if (name !== 'up') expect(job.permissions, `${name} keeps the workflow's permissions`).toBeUndefined();
  });

  it('stores no AWS key anywhere: credentials come from configure-aws-credentials and a role', () => {
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|aws-session-token|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN/i);
    expect(text).not.toMatch(/secrets\./);
    for (const [name, job] of jobs) {
      if (!job.steps.some((s) => s.run && invocations(s.run).length)) continue;
      const creds = job.steps.filter((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
      expect(creds, `${name} assumes a role`).toHaveLength(1);
      expect(String(creds[0]!.with?.['role-to-assume'])).toMatch(/^\$\{\{ vars\.WPDEPLOY_\w*ROLE_ARN \}\}$/);
      expect(creds[0]!.with?.['aws-region']).toBeTruthy();
    }
  });

  it('pins every action to a major version', () => {
    const uses = jobs.flatMap(([, j]) => j.steps.flatMap((s) => (s.uses ? [s.uses] : [])));
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u, u).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
    const node = jobs.flatMap(([, j]) => j.steps.filter((s) => s.uses?.startsWith('actions/setup-node@')));
    for (const s of node) expect(String(s.with?.['node-version'])).toBe('20');
  });

  it('keeps state in S3, from a repository variable, and names the stack in every call', () => {
    expect(wf.env.WPDEPLOY_STATE).toMatch(/^s3:\/\/\$\{\{ vars\.\w+ \}\}\/wpdeploy$/);
    expect(allInvocations.length).toBeGreaterThanOrEqual(3);
    for (const i of allInvocations) {
      expect(i.words[i.words.indexOf('--state') + 1], i.line).toBe('$WPDEPLOY_STATE');
      expect(i.words[i.words.indexOf('--stack') + 1], i.line).toBe('$STACK');
    }
  });

  it('on pull requests: plan --detailed-exitcode, exit 2 is "changes" not a failure, the plan is an artifact and in the summary', () => {
    expect(wf.on.pull_request).toBeDefined();
    const [name, job] = jobFor('pull_request', 'plan');
    const step = job.steps.find((s) => s.run && invocations(s.run).some((i) => i.command === 'plan'))!;
    const plan = invocations(step.run!).find((i) => i.command === 'plan')!;
    expect(plan.words).toContain('--detailed-exitcode');
    const output = /wpdeploy plan [^\n]*> (\S+)/.exec(step.run!)?.[1];
    expect(output, 'the plan goes to a file').toBeTruthy();
    const saved = plan.words[plan.words.indexOf('-o') + 1];
    expect(saved, 'the plan is saved for up --plan').toBe('plan.json');
    expect(step.run).toMatch(/set \+e/);
    expect(step.run).toContain('"$code" = 2');
    expect(step.run).toContain('GITHUB_STEP_SUMMARY');
    expect(step.run).toMatch(/exit 1/);
    // A usage or config error exits 2 too, without a plan: the step tells them apart by the plan's first line.
    expect(read('src/cli/up.ts')).toContain('`Plan for stack ${');
    const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(String(upload?.with?.path).trim().split('\n'), `${name} uploads the plan`).toEqual([output, saved]);
    expect(job.concurrency?.['cancel-in-progress']).toBe(true); // plan takes no lock
  });

  it('on pushes to main: up --plan of the pull request\'s saved plan, --json, the events saved as an artifact, one run per stack at a time', () => {
    expect(wf.on.push?.branches).toEqual(['main']);
    const [, job] = jobFor('push', 'up');
    const step = job.steps.find((s) => s.run && invocations(s.run).some((i) => i.command === 'up'))!;
    const up = invocations(step.run!)[0]!;
    expect(up.words).toEqual(expect.arrayContaining(['--plan', 'plan.json', '--json']));
    expect(up.words, 'the reviewed plan is the approval').not.toContain('--yes');
    const fetch = job.steps.find((s) => s.run?.includes('gh run download'))!;
    expect(fetch.run).toContain('--name "wpdeploy-plan-$STACK"');
    expect(fetch.run).toContain('--event pull_request --status success');
    expect(job.steps.indexOf(fetch)).toBeLessThan(job.steps.indexOf(step));
    expect(job.permissions).toEqual({ 'id-token': 'write', contents: 'read', actions: 'read', 'pull-requests': 'read' });
    const output = /> (\S+\.ndjson)/.exec(step.run!)?.[1];
    const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.with?.path).toBe(output);
    expect(upload?.if).toBe('always()');
    expect(job.concurrency).toEqual({ group: 'wpdeploy-${{ matrix.stack }}', 'cancel-in-progress': false });
    expect(job.environment).toBeUndefined(); // the role trusts refs/heads/main for this job
  });

  it('down runs only by hand, after a typed confirmation and the production environment\'s approval', () => {
    const inputs = wf.on.workflow_dispatch!.inputs;
    expect(inputs.stack).toMatchObject({ type: 'choice', required: true });
    expect(inputs.confirm).toMatchObject({ required: true });
    const [name, job] = jobFor('workflow_dispatch', 'down');
    expect(job.if).toBe("github.event_name == 'workflow_dispatch'");
    expect(job.environment).toBe('production');
    const confirm = wf.jobs[String(job.needs)]!;
    expect(confirm.if).toBe("github.event_name == 'workflow_dispatch'");
    expect(confirm.environment, 'the confirmation is checked before anyone is asked to approve').toBeUndefined();
    expect(confirm.steps[0]!.run).toContain('"$CONFIRM" != "$STACK"');
    expect(confirm.steps[0]!.env).toEqual({ STACK: '${{ inputs.stack }}', CONFIRM: '${{ inputs.confirm }}' });
    // up and down share the group of their stack, so they never overlap either.
    expect(job.concurrency).toEqual({ group: 'wpdeploy-${{ inputs.stack }}', 'cancel-in-progress': false });
    const downs = job.steps.flatMap((s) => (s.run ? invocations(s.run) : []));
    expect(downs.every((i) => i.command === 'down' && i.words.includes('--yes')), name).toBe(true);
    expect(downs.filter((i) => i.words.includes('--purge'))).toHaveLength(1);
    // No other job runs down.
    for (const [other, j] of jobs) if (other !== name) expect(j.steps.some((s) => s.run && invocations(s.run).some((i) => i.command === 'down')), other).toBe(false);
  });

  it('runs up and down as the step\'s own process, so a cancelled run\'s Ctrl-C reaches wpdeploy (npx does not pass it on)', () => {
    for (const i of allInvocations) {
      expect(i.line, i.line).not.toMatch(/\bnpx\b/);
      if (i.command === 'up' || i.command === 'down') expect(i.line, i.line).toMatch(/^exec wpdeploy /);
    }
  });

  describe('calls only commands and flags that the CLI has', () => {
    let global: Awaited<ReturnType<typeof helpOptions>>;
    beforeAll(async () => {
      global = await helpOptions([]);
      expect(global.commands).toContain('up');
      expect(global.options.get('--stack')).toBe(true);
    });

    it('in every wpdeploy invocation of the workflow', async () => {
      for (const i of allInvocations) {
        expect(global.commands, i.line).toContain(i.command);
        const own = (await helpOptions([i.command])).options;
        for (let k = 1; k < i.words.length; k++) {
          const w = i.words[k]!;
          expect(w.startsWith('-'), `${i.line}: "${w}" is not an option`).toBe(true);
          const takesValue = own.get(w) ?? global.options.get(w);
          expect(takesValue, `${i.line}: ${w} is not an option of wpdeploy ${i.command}`).not.toBeUndefined();
          if (takesValue) k++;
        }
      }
    });
  });
});

describe('examples/iam', () => {
  const deployTrust = json('examples/iam/github-oidc-trust-policy.json');
  const planTrust = json('examples/iam/github-oidc-plan-trust-policy.json');
  const deploy = json('iam/wpdeploy-policy.json');
  const state = json('examples/iam/wpdeploy-state-policy.json');
  const plan = json('examples/iam/wpdeploy-plan-policy.json');

  function subjects(p: Policy): string[] {
    expect(p.Statement).toHaveLength(1);
    const s = p.Statement[0]!;
    expect(s.Effect).toBe('Allow');
    expect(s.Action).toBe('sts:AssumeRoleWithWebIdentity');
    expect(s.Principal?.Federated).toBe('arn:aws:iam::ACCOUNT_ID:oidc-provider/token.actions.githubusercontent.com');
    expect(Object.keys(s.Condition!)).toEqual(['StringEquals']); // no StringLike: no wildcard subject
    expect(s.Condition!.StringEquals!['token.actions.githubusercontent.com:aud']).toBe('sts.amazonaws.com');
    const subs = list(s.Condition!.StringEquals!['token.actions.githubusercontent.com:sub']);
    for (const sub of subs) expect(sub).toMatch(/^repo:OWNER\/REPO:[^*?]+$/);
    return subs;
  }

  it('the deploy role trusts main and the production environment, not pull requests', () => {
    expect(subjects(deployTrust).sort()).toEqual(['repo:OWNER/REPO:environment:production', 'repo:OWNER/REPO:ref:refs/heads/main']);
    expect(wf.jobs.down!.environment).toBe('production');
  });

  it('the plan role trusts pull requests only, and the plan job is the one that uses it', () => {
    expect(subjects(planTrust)).toEqual(['repo:OWNER/REPO:pull_request']);
    for (const [name, job] of jobs) {
      const role = job.steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'))?.with?.['role-to-assume'];
      if (!role) continue;
      const isPlan = job.if?.includes("'pull_request'");
      expect(role, name).toBe(isPlan ? '${{ vars.WPDEPLOY_PLAN_ROLE_ARN }}' : '${{ vars.WPDEPLOY_ROLE_ARN }}');
    }
  });

  it('the state policy reaches the state bucket\'s wpdeploy/ prefix only', () => {
    const by = (a: string) => state.Statement.find((s) => list(s.Action).includes(a))!;
    for (const a of ['s3:GetObject', 's3:PutObject', 's3:DeleteObject']) expect(by(a).Resource).toBe('arn:aws:s3:::BUCKET/wpdeploy/*');
    expect(by('s3:ListBucket').Resource).toBe('arn:aws:s3:::BUCKET');
    expect(by('s3:ListBucket').Condition).toEqual({ StringLike: { 's3:prefix': ['wpdeploy', 'wpdeploy/*'] } });
    for (const a of ['s3:GetBucketVersioning', 's3:GetEncryptionConfiguration']) expect(by(a).Resource).toBe('arn:aws:s3:::BUCKET');
    expect(actions(state).sort()).toEqual(['s3:DeleteObject', 's3:GetBucketVersioning', 's3:GetEncryptionConfiguration', 's3:GetObject', 's3:ListBucket', 's3:PutObject']);
  });

  it('the plan policy allows only reads, and every read the deploy policy allows (it follows the code)', () => {
    // Classified by the tests' own rule (test/support/aws-operations.ts), not the product's.
    const isRead = (a: string) => isReadName(a.split(':')[0]!, a.split(':')[1]!);
    for (const a of actions(plan)) expect(isRead(a), a).toBe(true);
    const reads = new Set(actions(deploy).filter(isRead));
    // Not needed by plan, or granted below on narrower resources; cloudwatch:DescribeAlarms is checked only behind scaling-policy writes.
    const elsewhere = new Set(['secretsmanager:GetSecretValue', 'secretsmanager:GetRandomPassword', 'logs:FilterLogEvents', 'cloudwatch:DescribeAlarms']);
    const broad = plan.Statement.filter((s) => s.Resource === '*' || s.Resource === 'arn:aws:iam::*:role/wpdeploy/*').flatMap((s) => list(s.Action));
    expect([...reads].filter((a) => !elsewhere.has(a) && !a.startsWith('s3:GetObject') && !broad.includes(a)), 'reads missing from examples/iam/wpdeploy-plan-policy.json').toEqual([]);
    expect(broad.filter((a) => !reads.has(a)), 'reads the deploy policy does not have').toEqual([]);
    const secret = plan.Statement.find((s) => list(s.Action).includes('secretsmanager:GetSecretValue'))!;
    expect(secret.Resource).toBe('arn:aws:secretsmanager:*:*:secret:wpdeploy/*/db-*'); // the database secret only, not the salts
    const stateReads = plan.Statement.filter((s) => String(s.Resource).includes('BUCKET'));
    expect(stateReads.flatMap((s) => list(s.Action)).sort()).toEqual(['s3:GetBucketVersioning', 's3:GetEncryptionConfiguration', 's3:GetObject', 's3:ListBucket']);
  });

  it('fit as inline role policies (10,240 characters per role, whitespace not counted); the deploy policy is too large to be a managed one', () => {
    const size = (p: Policy) => JSON.stringify(p).replace(/\s/g, '').length;
    expect(size(deploy) + size(state)).toBeLessThanOrEqual(10_240);
    expect(size(plan)).toBeLessThanOrEqual(10_240);
    // The README's CI section says to use put-role-policy because of this; drop that sentence if it ever fits.
    expect(size(deploy)).toBeGreaterThan(6_144);
  });
});

describe("the CI guide (docs/ci.md)", () => {
  const readme = read('docs/ci.md');
  const start = readme.indexOf('\n## Running wpdeploy in CI (GitHub Actions)');
  const doc = readme.slice(start, readme.indexOf('\n## ', start + 1));

  it('is there', () => {
    expect(start).toBeGreaterThan(0);
  });

  it('names files that exist', () => {
    const paths = [...doc.matchAll(/((?:examples|iam)\/[\w./-]+\.(?:json|yml))/g)].map((m) => m[1]!);
    expect(paths.length).toBeGreaterThanOrEqual(5);
    for (const p of paths) expect(existsSync(root + p), p).toBe(true);
  });

  it('names the workflow\'s repository variables, jobs and artifacts', () => {
    for (const v of new Set([...text.matchAll(/vars\.(\w+)/g)].map((m) => m[1]!))) expect(doc, v).toContain(v);
    expect(doc).toContain('wpdeploy-plan-');
    expect(doc).toContain('wpdeploy-up-');
    expect(doc).toContain('wpdeploy unlock <lock-id> --stack prod --state s3://');
  });
});
