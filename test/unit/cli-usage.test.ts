/**
 * What the command line says to a person who asks for help or types another tool's words: each
 * command's help lists the global options, and deploy/apply/destroy/--dry-run get a "did you mean"
 * (exit 2). The built CLI runs with an endpoint that answers nothing: none of this may reach AWS.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BIN, workdir } from '../support/cli.js';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: workdir(), encoding: 'utf8', env: { ...process.env, AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', CI: 'true' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('help', () => {
  it.each(['up', 'status', 'down', 'plan'])('%s --help lists the global options too', (command) => {
    const r = cli(command, '--help');
    expect(r.code).toBe(0);
    for (const flag of ['--local', '--yes', '--json', '--stack', '--region', '--state']) expect(r.stdout).toContain(flag);
  });
});

describe('another tool\'s words', () => {
  it.each([
    [['deploy'], 'Did you mean up?'],
    [['apply'], 'Did you mean up?'],
    [['destroy'], 'Did you mean down?'],
    [['up', '--dry-run'], 'Did you mean `wpdeploy plan`?'],
    [['statsu'], 'Did you mean status?'],
  ])('wpdeploy %j exits 2 and suggests what wpdeploy calls it', (args, suggestion) => {
    const r = cli(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(suggestion);
    expect(r.stderr.match(/Did you mean/g)).toHaveLength(1);
  });

  it('a wrong --region names the flag, exit 2', () => {
    const r = cli('plan', '--region', 'mars-1', '--stack', 'x');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--region mars-1 is not an AWS region wpdeploy knows.');
    expect(r.stderr).not.toMatch(/problem|Fix the keys above/);
  });
});
