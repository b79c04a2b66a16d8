/** `wpdeploy init`: the file it writes is valid, holds the defaults, and is never overwritten by accident. */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { init, schemaRefFor } from '../../src/cli/init.js';
import { validateConfig } from '../../src/config/load.js';
import { configJsonSchema, costAssumptions } from '../../src/config/schema.js';
import { configTemplate } from '../../src/config/template.js';

const defaults = () => validateConfig({}, 'defaults', { env: {} });

function withoutSchemaKey(c: Record<string, unknown>) {
  const { $schema: _ignored, ...rest } = c;
  return rest;
}

describe('configTemplate', () => {
  const text = configTemplate({ schemaRef: './schema/wpdeploy.schema.json' });

  it('validates and equals the defaults', () => {
    const parsed = parse(text);
    const config = validateConfig(parsed, 'wpdeploy.yml', { env: {} });
    expect(withoutSchemaKey(config)).toEqual(withoutSchemaKey(defaults()));
    expect(parsed.$schema).toBe('./schema/wpdeploy.schema.json');
  });

  it('writes every key of every section, each after a comment', () => {
    const schema = configJsonSchema() as { properties: Record<string, { properties?: Record<string, unknown> }> };
    const lines = text.split('\n');
    for (const [section, node] of Object.entries(schema.properties)) {
      if (section === '$schema') continue;
      const keys = node.properties ? Object.keys(node.properties).map((k) => new RegExp(`^(# )?  ${k}: `)) : [new RegExp(`^(# )?${section}: `)];
      for (const re of keys) {
        const at = lines.findIndex((l) => re.test(l));
        expect(at, `${section}: ${re}`).toBeGreaterThan(0);
        expect(lines[at - 1], `comment above ${re}`).toMatch(/^(# )?\s*#/);
      }
    }
  });

  it('offers domain commented out, since it has no default, and uncommenting it gives a valid domain', () => {
    expect(text).toMatch(/^# domain:$/m);
    const uncommented = text.replace(/^# (domain:|  name:|  hostedZone:)/gm, '$1');
    const config = validateConfig(parse(uncommented), 'wpdeploy.yml', { env: {} });
    expect(config.domain).toEqual({ name: 'blog.example.com', hostedZone: 'example.com' });
  });

  it('offers cost: commented out, at the values the estimate assumes without it', () => {
    const lines = text.split('\n');
    const start = lines.indexOf('# cost:');
    expect(start).toBeGreaterThan(0);
    let end = start;
    while (end < lines.length && lines[end]!.startsWith('# ')) end++;
    const uncommented = [...lines.slice(0, start), ...lines.slice(start, end).map((l) => l.slice(2)), ...lines.slice(end)].join('\n');
    const config = validateConfig(parse(uncommented), 'wpdeploy.yml', { env: {} });
    expect(config.cost).toEqual(costAssumptions(defaults()));
    expect(defaults().cost).toBeUndefined();
  });

  it('uses --stack and --region values when given', () => {
    const config = validateConfig(parse(configTemplate({ schemaRef: 'x', values: { stack: 'blog', region: 'eu-west-3' } })), 'f', { env: {} });
    expect(config.stack).toBe('blog');
    expect(config.region).toBe('eu-west-3');
  });
});

describe('wpdeploy init', () => {
  let dir: string;
  let stderr: string;
  let stdout: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wpdeploy-init-'));
    stderr = '';
    stdout = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  it('writes wpdeploy.yml in the directory, at the defaults', async () => {
    await init({}, dir);
    expect(process.exitCode).toBe(0);
    const file = join(dir, 'wpdeploy.yml');
    const config = validateConfig(parse(readFileSync(file, 'utf8')), 'wpdeploy.yml', { env: {} });
    expect(withoutSchemaKey(config)).toEqual(withoutSchemaKey(defaults()));
    expect(stdout).toContain('Wrote wpdeploy.yml');
  });

  it('refuses to overwrite an existing file without --force (exit 2), and overwrites it with --force', async () => {
    const file = join(dir, 'wpdeploy.yml');
    writeFileSync(file, 'stack: mine\n');
    await init({}, dir);
    expect(process.exitCode).toBe(2);
    expect(stderr).toMatch(/wpdeploy\.yml already exists/);
    expect(stderr).toContain('--force');
    expect(readFileSync(file, 'utf8')).toBe('stack: mine\n');

    process.exitCode = undefined;
    await init({ force: true }, dir);
    expect(process.exitCode).toBe(0);
    expect(parse(readFileSync(file, 'utf8')).stack).toBe('wordpress');
  });

  it('refuses a bad --region with exit 2 and writes nothing', async () => {
    await init({ region: 'eu-west-9' }, dir);
    expect(process.exitCode).toBe(2);
    expect(stderr).toMatch(/region/);
    expect(existsSync(join(dir, 'wpdeploy.yml'))).toBe(false);
  });

  it('writes to the --config path when given', async () => {
    await init({ config: 'prod.yml' }, dir);
    expect(process.exitCode).toBe(0);
    expect(existsSync(join(dir, 'prod.yml'))).toBe(true);
  });
});

describe('schemaRefFor', () => {
  it('points at ./schema/wpdeploy.schema.json when the directory has it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wpdeploy-ref-'));
    mkdirSync(join(dir, 'schema'));
    writeFileSync(join(dir, 'schema', 'wpdeploy.schema.json'), '{}');
    expect(schemaRefFor(dir, '/elsewhere/schema/wpdeploy.schema.json')).toBe('./schema/wpdeploy.schema.json');
  });

  it('points at the installed package: relative below the directory, absolute elsewhere', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wpdeploy-ref-'));
    expect(schemaRefFor(dir, join(dir, 'node_modules/wpdeploy/schema/wpdeploy.schema.json'))).toBe('./node_modules/wpdeploy/schema/wpdeploy.schema.json');
    expect(schemaRefFor(dir, '/usr/lib/node_modules/wpdeploy/schema/wpdeploy.schema.json')).toBe('/usr/lib/node_modules/wpdeploy/schema/wpdeploy.schema.json');
  });
});
