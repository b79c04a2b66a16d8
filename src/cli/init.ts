/**
 * `wpdeploy init`: writes a commented config file with every key at its default. Loads no AWS SDK and
 * makes no AWS call.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { DEFAULT_CONFIG_FILE, validateConfig } from '../config/load.js';
import { configTemplate } from '../config/template.js';
import { withTarget } from './command-line.js';
import { EXIT, UsageError } from '../errors.js';
import { reportError } from './report-error.js';

export interface InitOptions {
  config?: string;
  force?: boolean;
  stack?: string;
  region?: string;
  json?: boolean;
}

/** The JSON Schema shipped in this package (schema/ sits beside dist/). */
const PACKAGE_SCHEMA = fileURLToPath(new URL('../../schema/wpdeploy.schema.json', import.meta.url));

/**
 * How the written file names the schema: `./schema/wpdeploy.schema.json` when the directory has it (a
 * checkout of wpdeploy), else the package's copy, relative when it lies below the directory
 * (`./node_modules/wpdeploy/...`), absolute otherwise (a global install).
 */
export function schemaRefFor(dir: string, packageSchema = PACKAGE_SCHEMA): string {
  const local = resolve(dir, 'schema', 'wpdeploy.schema.json');
  if (existsSync(local)) return './schema/wpdeploy.schema.json';
  const rel = relative(dir, packageSchema).split('\\').join('/');
  return rel.startsWith('..') || isAbsolute(rel) ? packageSchema : `./${rel}`;
}

export async function init(opts: InitOptions, cwd = process.cwd()): Promise<void> {
  try {
    const name = opts.config ?? DEFAULT_CONFIG_FILE;
    const target = resolve(cwd, name);
    if (existsSync(target) && !opts.force) {
      throw new UsageError(`${name} already exists; init did not change it.`, withTarget('Pass --force to overwrite it with a fresh file at the defaults, or edit it (`wpdeploy plan` checks it).', { config: opts.config }));
    }
    const text = configTemplate({ schemaRef: schemaRefFor(dirname(target)), values: { stack: opts.stack, region: opts.region } });
    // --stack and --region are checked like any config value before anything is written.
    validateConfig(parse(text), name, { env: {} });
    writeFileSync(target, text);
    if (opts.json) process.stdout.write(JSON.stringify({ type: 'init', file: target }) + '\n');
    // The stack and region are in the file now: the next command needs only -c to find it.
    else process.stdout.write(withTarget(`Wrote ${name}: every key at its default, with what it does. Edit it, then run \`wpdeploy plan\`.\n`, { config: opts.config }));
    process.exitCode = EXIT.ok;
  } catch (err) {
    process.exitCode = reportError(err, opts.json);
  }
}
