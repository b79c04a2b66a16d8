/**
 * init, cost and diagram as a user runs them (the built CLI, as subprocesses): they answer from local
 * files only, so the recording proxy must see no AWS call at all, and no AWS SDK module is loaded.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { startProxy, type AwsProxy } from '../support/aws-proxy.js';
import { runCli, workdir } from '../support/cli.js';

const moto = inject('motoEndpoint');
/** Reports on stderr each AWS SDK package the CLI loads (`AWS SDK loaded: …`). */
const SDK_RECORDER = fileURLToPath(new URL('../support/sdk-recorder.mjs', import.meta.url));
let proxy: AwsProxy;

beforeAll(async () => {
  proxy = await startProxy(moto);
});
afterAll(async () => {
  await proxy.close();
});

describe('init, cost and diagram reach no AWS', () => {
  const cwd = workdir('wpdeploy-operator-');
  const run = (...args: string[]) => runCli(args, { cwd, endpoint: proxy.url, env: { NODE_OPTIONS: `--import ${SDK_RECORDER}` } });

  it('init writes wpdeploy.yml, then refuses to overwrite it (exit 2)', async () => {
    proxy.reset();
    const first = await run('init');
    expect(first.code, first.stderr).toBe(0);
    expect(parse(readFileSync(join(cwd, 'wpdeploy.yml'), 'utf8')).network.azCount).toBe(2);
    const again = await run('init');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--force');
    expect(proxy.reads().length + proxy.mutating().length).toBe(0);
    expect(first.stderr + again.stderr).not.toContain('AWS SDK loaded');
  });

  it('cost prints the lines and a total for the config just written, and --json the same', async () => {
    proxy.reset();
    const text = await run('cost');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/NAT gateway hours \(2 gateways\)/);
    const json = await run('cost', '--json');
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(text.stdout).toContain(`$${doc.total.toFixed(2)}`);
    const bad = await run('cost', '--region', 'sa-east-1');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no prices for sa-east-1/);
    expect(proxy.reads().length + proxy.mutating().length).toBe(0);
    expect(text.stderr + json.stderr + bad.stderr).not.toContain('AWS SDK loaded');
  });

  it('diagram writes an SVG file and a Mermaid flowchart', async () => {
    proxy.reset();
    const svg = await run('diagram', '-o', 'stack.svg');
    expect(svg.code, svg.stderr).toBe(0);
    expect(readFileSync(join(cwd, 'stack.svg'), 'utf8')).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const mmd = await run('diagram', '--format', 'mermaid');
    expect(mmd.code, mmd.stderr).toBe(0);
    expect(mmd.stdout).toMatch(/^flowchart TB/);
    expect(proxy.reads().length + proxy.mutating().length).toBe(0);
    expect(svg.stderr + mmd.stderr).not.toContain('AWS SDK loaded');
  });

  it('(control) the hook does report the AWS SDK when a command needs it', async () => {
    const plan = await run('plan', '--stack', 'opctl');
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).toContain('AWS SDK loaded');
  });
});
