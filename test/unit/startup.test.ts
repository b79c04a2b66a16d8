/**
 * What the built CLI loads before it does anything: `--version`, `--help` and `<command> --help` load
 * no AWS SDK module, and no file but src/aws/sdk.ts imports an SDK package as a value (so a command
 * loads a client only when it first calls it). Checked by what Node loads (test/support/sdk-recorder.mjs),
 * never by timing.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const RECORDER = join(root, 'test/support/sdk-recorder.mjs');
const BIN = join(root, 'bin/wpdeploy.js');

/** Runs node with the recorder; returns stdout and the SDK packages it reported. */
function loaded(args: string[]): { code: number | null; stdout: string; sdk: string[] } {
  const r = spawnSync(process.execPath, ['--import', RECORDER, ...args], {
    cwd: root, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const sdk = [...new Set([...r.stderr.matchAll(/AWS SDK loaded: (\S+)/g)].map((m) => m[1]!))].sort();
  return { code: r.status, stdout: r.stdout, sdk };
}

describe('starting the CLI', () => {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

  it.each([[['--version']], [['-V']]])('wpdeploy %j prints the version of package.json and loads no AWS SDK module', (args) => {
    const r = loaded([BIN, ...args]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
    expect(r.sdk).toEqual([]);
  });

  it.each([
    [['--help']], [['help']], [['up', '--help']], [['down', '--help']], [['logs', '--help']], [['cost', '--help']], [['--stack', 'x', 'status', '-h']],
  ])('wpdeploy %j loads no AWS SDK module', (args) => {
    const r = loaded([BIN, ...args]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: wpdeploy/);
    expect(r.sdk).toEqual([]);
  });

  it('(control) the recorder sees a package required through src/aws/sdk.ts and one imported as an ES module', () => {
    const viaSdk = loaded(['--input-type=module', '-e', "const { STS } = await import('./dist/aws/sdk.js'); STS.GetCallerIdentityCommand;"]);
    expect(viaSdk.code).toBe(0);
    expect(viaSdk.sdk).toContain('@aws-sdk/client-sts');
    expect(viaSdk.sdk).not.toContain('@aws-sdk/client-ec2');
    const imported = loaded(['--input-type=module', '-e', "await import('@aws-sdk/client-efs');"]);
    expect(imported.sdk).toContain('@aws-sdk/client-efs');
  });
});

describe('src/ loads the AWS SDK lazily', () => {
  const sources = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

  it('no file but src/aws/sdk.ts imports an @aws-sdk package as a value (types only: `import type`)', () => {
    const offenders: string[] = [];
    for (const file of sources(join(root, 'src'))) {
      if (file.endsWith(join('aws', 'sdk.ts'))) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/import\s*(type\s)?\s*(\{[^}]*\}|\*\s*as\s+\w+|\w+)?\s*(?:from\s*)?'(@aws-sdk\/[^']+)'/g)) {
        const values = m[1] ? [] : (m[2] ?? 'side effects').replace(/[{}]/g, '').split(',').map((s) => s.trim()).filter((s) => s && !s.startsWith('type '));
        if (values.length) offenders.push(`${file.slice(root.length)}: ${values.join(', ')} from ${m[3]}`);
      }
      if (/\bimport\(\s*'@aws-sdk\//.test(text)) offenders.push(`${file.slice(root.length)}: dynamic import of @aws-sdk`);
    }
    expect(offenders).toEqual([]);
  });
});
