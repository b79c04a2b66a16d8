/**
 * `wpdeploy diagram`: draws the architecture planned from the config, with the resource ids recorded
 * in the state file when there is one. Reads files only: no AWS SDK is loaded, no AWS call made.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import { parseState, type StackState } from '../engine/state.js';
import { LocalStateBackend } from '../engine/state-local.js';
import { DEFAULT_STATE_DIR, parseStateLocation } from '../config/state-location.js';
import { EXIT, UsageError } from '../errors.js';
import { diagramModel } from '../ui/diagram.js';
import { diagramMermaid } from '../ui/diagram-mermaid.js';
import { diagramSvg } from '../ui/diagram-svg.js';
import { reportError } from './report-error.js';

export interface DiagramOptions {
  config?: string;
  stack?: string;
  region?: string;
  state?: string;
  output?: string;
  format?: string;
  json?: boolean;
}

const FORMATS = ['svg', 'mermaid'] as const;
type Format = (typeof FORMATS)[number];

/** --format, else the output file's extension (.mmd, .mermaid and .md mean mermaid), else svg. */
export function diagramFormat(format: string | undefined, output: string | undefined): Format {
  if (format !== undefined) {
    if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format ${format} is not a diagram format.`, 'Use --format svg or --format mermaid.');
    return format as Format;
  }
  return output && ['.mmd', '.mermaid', '.md'].includes(extname(output).toLowerCase()) ? 'mermaid' : 'svg';
}

export async function diagram(opts: DiagramOptions): Promise<void> {
  try {
    const format = diagramFormat(opts.format, opts.output);
    const { config, source } = loadConfig({ file: opts.config, stack: opts.stack, region: opts.region });
    const where = opts.state !== undefined ? parseStateLocation(opts.state, '--state') : parseStateLocation(config.state ?? DEFAULT_STATE_DIR, 'state (in the config)');
    // The diagram makes no AWS call: ids recorded in S3 are left out.
    const statePath = where.kind === 'local' ? LocalStateBackend.pathFor(resolve(where.dir), config.stack) : undefined;
    if (!statePath) process.stderr.write(`note: the state is in S3 (${where.text}); the diagram makes no AWS call, so it shows no recorded ids.\n`);
    let state: StackState | undefined;
    if (statePath && existsSync(statePath)) {
      const s = parseState(readFileSync(statePath, 'utf8'), statePath);
      if (s.region !== config.region) {
        process.stderr.write(`warning: ${statePath} is for ${s.region}, not ${config.region}: its ids are left out.\n`);
      } else state = s;
    }
    const model = diagramModel(config, state);
    const body = format === 'svg' ? diagramSvg(model, { source }) : diagramMermaid(model);
    if (opts.output) {
      writeFileSync(opts.output, body);
      const ids = state ? `, with the ids recorded in ${statePath}` : '';
      process.stderr.write(`Wrote ${opts.output} (${format === 'svg' ? 'SVG' : 'Mermaid flowchart'}, stack ${config.stack}, ${config.network.azCount} AZs${ids}).\n`);
    } else process.stdout.write(body);
    process.exitCode = EXIT.ok;
  } catch (err) {
    process.exitCode = reportError(err, opts.json);
  }
}
