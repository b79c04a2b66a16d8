/**
 * Loading and validating the config: YAML syntax, types and ranges (schema.ts), unknown keys with a
 * did-you-mean, and the checks that span fields. Every problem is collected and reported at once as
 * one ConfigError (exit 2); nothing here talks to AWS.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, UsageError, type ConfigIssue } from '../errors.js';
import { crossFieldIssues, type PartialConfig } from './cross-field.js';
import { DEFAULT_ENGINE_VERSION, type DbEngine } from './engine-lifecycle.js';
import { KNOWN_REGIONS } from './regions.js';
import { ConfigSchema, DEFAULT_STACK, SECTIONS, STACK_NAME_RE, type Config } from './schema.js';

export const DEFAULT_CONFIG_FILE = 'wpdeploy.yml';

export interface LoadOptions {
  /** --config; when absent, wpdeploy.yml in cwd is used if present, else the defaults. */
  file?: string;
  cwd?: string;
  /** --stack and --region, which win over the file. */
  stack?: string;
  region?: string;
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig {
  config: Config;
  /** Where it came from, for messages: a path, or "defaults". */
  source: string;
}

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  checkRegionFlag(opts.region);
  let raw: unknown = {};
  let source = 'the configuration (defaults and flags; no config file)';
  const path = opts.file ? resolve(cwd, opts.file) : resolve(cwd, DEFAULT_CONFIG_FILE);
  if (opts.file && !existsSync(path)) {
    throw new UsageError(`config file ${opts.file} does not exist.`, 'Check the --config path. Without --config, wpdeploy reads wpdeploy.yml when present and uses the defaults otherwise.');
  }
  if (existsSync(path)) {
    source = opts.file ?? DEFAULT_CONFIG_FILE;
    const lineCounter = new LineCounter();
    const doc = parseDocument(readFileSync(path, 'utf8'), { prettyErrors: false, uniqueKeys: true, lineCounter });
    if (doc.errors.length > 0) {
      throw new ConfigError(
        source,
        doc.errors.map((e) => ({
          path: '',
          message: `YAML syntax error at ${(({ line, col }) => `line ${line}, column ${col}`)(lineCounter.linePos(e.pos[0]))}: ${sentence(e.message.split('\n')[0]!)}`,
          fix: 'Fix the YAML syntax (indentation, quotes, colons).',
        })),
      );
    }
    raw = doc.toJS() ?? {};
  }
  return { config: validateConfig(raw, source, { ...opts, env }), source };
}

/** The text as a sentence: the parser's messages may end without a period, and a fix follows them. */
const sentence = (text: string) => (/[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`);

/** A wrong --region is the flag's fault, not the file's: said as such (exit 2), before the file is read. */
function checkRegionFlag(region: string | undefined): void {
  if (region === undefined || (KNOWN_REGIONS as readonly string[]).includes(region)) return;
  const guess = didYouMean(region, KNOWN_REGIONS);
  throw new UsageError(
    `--region ${region} is not an AWS region wpdeploy knows.`,
    `${guess ? `Did you mean --region ${guess}? Or leave` : 'Use a region code like --region eu-west-3, or leave'} --region out to use the config's region (else AWS_REGION, else us-east-1).`,
  );
}

/** Validates a parsed document; throws ConfigError with every problem found. */
export function validateConfig(raw: unknown, source = 'config', opts: LoadOptions = {}): Config {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(source, [{ path: '', message: 'must be a mapping of keys (stack:, region:, network:, ...).', fix: 'See the configuration reference: docs/configuration.md in wpdeploy.' }]);
  }
  const doc = raw as Record<string, unknown>;
  if (doc.stacks === undefined) {
    const r = checkDocument(doc, opts.stack, opts);
    if (r.issues.length || !r.config) throw new ConfigError(source, r.issues);
    return r.config;
  }
  return selectStack(doc, source, opts);
}

/**
 * A document with a `stacks:` map: each entry overrides the keys above it for one stack, named
 * `<stack>-<key>`. Every entry is checked (a typo in `prod` is reported while working on `dev`);
 * --stack chooses the one returned, by its key or its full name.
 */
function selectStack(doc: Record<string, unknown>, source: string, opts: LoadOptions): Config {
  const { stacks, ...base } = doc;
  if (!isMapping(stacks) || Object.keys(stacks).length === 0) {
    throw new ConfigError(source, [{ path: 'stacks', message: 'must map stack keys to their overrides.', fix: 'For example: stacks: { dev: { network: { natGateways: single } }, prod: {} }.' }]);
  }
  const baseName = typeof base.stack === 'string' ? base.stack : DEFAULT_STACK;
  const keys = Object.keys(stacks);
  const issues: ConfigIssue[] = [];
  let selected: Config | undefined;
  const wanted = opts.stack;
  const key = keys.find((k) => k === wanted || `${baseName}-${k}` === wanted);
  for (const k of keys) {
    const override = stacks[k];
    const at = `stacks.${k}`;
    if (!STACK_NAME_RE.test(`${baseName}-${k}`)) {
      issues.push({ path: at, message: `makes the stack name "${baseName}-${k}", which is not a valid stack name (1-20 characters: lowercase letters, digits and single hyphens).`, fix: 'Use a shorter key or a shorter top-level stack.' });
      continue;
    }
    if (!isMapping(override)) {
      issues.push({ path: at, message: 'must be a mapping of the keys it overrides (or {} for none).' });
      continue;
    }
    for (const reserved of ['stack', 'stacks']) {
      if (override[reserved] !== undefined) issues.push({ path: `${at}.${reserved}`, message: reserved === 'stack' ? `cannot be set here: this stack is named ${baseName}-${k} after its key.` : 'cannot be nested.' });
    }
    const { stack: _ignored, stacks: _nested, ...rest } = override;
    const r = checkDocument(deepMerge(base, rest), `${baseName}-${k}`, opts);
    // A problem in a value the entry sets is the entry's; the others are the base document's.
    issues.push(...r.issues.map((i) => (i.path && hasValueAt(rest, i.path) ? { ...i, path: `${at}.${i.path}` } : i)));
    if (k === key) selected = r.config;
  }
  if (issues.length) throw new ConfigError(source, dedupe(issues));
  if (wanted === undefined) {
    throw new UsageError(`${source} defines ${keys.length === 1 ? 'the stack' : `${keys.length} stacks`} ${keys.join(', ')}: choose one with --stack.`, `For example: wpdeploy plan --stack ${keys[0]} (the stack is named ${baseName}-${keys[0]}).`);
  }
  if (!selected) {
    throw new UsageError(`--stack ${wanted} is not one of the stacks ${source} defines (${keys.join(', ')}).`, `Pass --stack ${didYouMean(wanted, keys) ?? keys[0]}, or add ${wanted} under stacks:.`);
  }
  return selected;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `over` laid on `base`: mappings merge key by key; anything else replaces. */
function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isMapping(b) && isMapping(v) ? deepMerge(b, v) : v;
  }
  return out;
}

function hasValueAt(obj: Record<string, unknown>, path: string): boolean {
  const parts = path.split('.');
  for (let n = parts.length; n > 0; n--) if (valueAt(obj, parts.slice(0, n)) !== undefined) return true;
  return false;
}

/** One document (no `stacks:`), with the stack name and flags applied: its config, or every problem. */
function checkDocument(raw: Record<string, unknown>, stack: string | undefined, opts: LoadOptions): { config?: Config; issues: ConfigIssue[] } {
  const env = opts.env ?? {};
  const issues: ConfigIssue[] = [];
  const input: Record<string, unknown> = { ...raw };
  // Flags and environment fill in before validation, so their values are checked like the file's.
  if (stack !== undefined) input.stack = stack;
  if (opts.region !== undefined) input.region = opts.region;
  else if (input.region === undefined) {
    const fromEnv = env.AWS_REGION || env.AWS_DEFAULT_REGION;
    if (fromEnv) input.region = fromEnv;
  }
  const db = input.database;
  if (db && typeof db === 'object' && !Array.isArray(db)) {
    const d = db as Record<string, unknown>;
    if (d.engineVersion === undefined && typeof d.engine === 'string' && d.engine in DEFAULT_ENGINE_VERSION) {
      input.database = { ...d, engineVersion: DEFAULT_ENGINE_VERSION[d.engine as DbEngine] };
    }
  }

  const result = ConfigSchema.safeParse(input);
  if (result.success) {
    issues.push(...crossFieldIssues(result.data));
    return issues.length ? { issues } : { config: result.data, issues };
  }
  for (const zi of result.error.issues) issues.push(...fromZodIssue(zi, input));
  // Cross-field checks still run on the sections that parsed, so one run reports everything.
  const partial = partialParse(input);
  issues.push(...crossFieldIssues(partial));
  return { issues: dedupe(issues) };
}

/** Every field that is valid on its own (defaults applied), so cross-field checks run on what parsed. */
function partialParse(input: Record<string, unknown>): PartialConfig {
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(SECTIONS)) {
    const value = input[key];
    if (key === 'domain' && value === undefined) continue;
    const raw = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
    const section: Record<string, unknown> = {};
    for (const [field, fieldSchema] of Object.entries(schema.shape)) {
      const r = (fieldSchema as z.ZodType).safeParse(raw[field]);
      if (r.success) section[field] = r.data;
    }
    out[key] = section;
  }
  const stack = ConfigSchema.shape.stack.safeParse(input.stack);
  if (stack.success) out.stack = stack.data;
  const region = ConfigSchema.shape.region.safeParse(input.region);
  if (region.success) out.region = region.data;
  const accountId = ConfigSchema.shape.accountId.safeParse(input.accountId);
  if (accountId.success) out.accountId = accountId.data;
  const tags = ConfigSchema.shape.tags.safeParse(input.tags);
  if (tags.success) out.tags = tags.data;
  return out as PartialConfig;
}

function fromZodIssue(zi: z.core.$ZodIssue, input: Record<string, unknown>): ConfigIssue[] {
  const path = zi.path.map(String).join('.');
  if (zi.code === 'unrecognized_keys') {
    const known = knownKeysAt(zi.path.map(String));
    return zi.keys.map((key) => {
      const guess = didYouMean(key, known);
      return {
        path: path ? `${path}.${key}` : key,
        message: 'is not a known key.',
        fix: guess ? `Did you mean \`${guess}\`?` : `Known keys here: ${known.join(', ')}.`,
      };
    });
  }
  const value = valueAt(input, zi.path.map(String));
  if (path === 'region' && typeof value === 'string') {
    const guess = didYouMean(value, KNOWN_REGIONS);
    return [{ path, message: `${JSON.stringify(value)} is not an AWS region wpdeploy knows.`, fix: guess ? `Did you mean ${guess}?` : 'Use a region code like eu-west-3.' }];
  }
  if (zi.code === 'invalid_type') {
    const got = value === undefined ? 'nothing' : `${JSON.stringify(value)} (${Array.isArray(value) ? 'a list' : typeof value})`;
    return [{ path, message: `expected ${article(zi.expected)}, got ${got}.`, fix: fixFor(path) }];
  }
  if (zi.code === 'too_small' || zi.code === 'too_big') {
    const word = zi.code === 'too_small' ? 'at least' : 'at most';
    const bound = String(zi.code === 'too_small' ? zi.minimum : zi.maximum);
    return [{ path, message: `${JSON.stringify(value)} is out of range: must be ${word} ${bound}${zi.origin === 'string' ? ' characters' : ''}.` }];
  }
  if (zi.code === 'invalid_value') {
    return [{ path, message: `${JSON.stringify(value)} is not allowed.`, fix: `Use one of ${zi.values.map((v) => JSON.stringify(v)).join(', ')}.` }];
  }
  if (zi.code === 'invalid_format' && path === 'stack') {
    return [{ path, message: `${JSON.stringify(value)} ${zi.message}` }];
  }
  let message = zi.message;
  if (!/^"/.test(message) && value !== undefined && typeof value !== 'object') message = `${JSON.stringify(value)} ${message}`;
  return [{ path, message }];
}

function fixFor(path: string): string | undefined {
  if (/^(network\.azCount|database\.storageGb|wordpress\.(cpu|memory|desiredCount)|scaling\.|logs\.|cost\.)/.test(path)) return 'Write a number without quotes.';
  if (/engineVersion$/.test(path)) return 'Quote the version in YAML, e.g. "8.4".';
  return undefined;
}

function article(t: string): string {
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

function valueAt(obj: unknown, path: string[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function knownKeysAt(path: string[]): string[] {
  if (path.length === 0) return Object.keys(ConfigSchema.shape).filter((k) => k !== '$schema');
  const section = SECTIONS[path[0] as keyof typeof SECTIONS];
  return section ? Object.keys(section.shape) : [];
}

/** The closest candidate within a small edit distance, case-insensitively. */
function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}|${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
