/**
 * The commented config file `wpdeploy init` writes: every key at its default, with its description,
 * generated from the JSON Schema of the config (schema.ts), so it cannot drift from the schema.
 * Pure: no file access, no AWS call.
 */
import { stringify } from 'yaml';
import { configJsonSchema } from './schema.js';

interface JsonSchemaNode {
  description?: string;
  default?: unknown;
  examples?: unknown[];
  enum?: unknown[];
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
}

export interface TemplateOptions {
  /** Written as `$schema:` for editor completion (a path relative to the file, or a URL). */
  schemaRef: string;
  /** Top-level values that replace the defaults (e.g. from --stack and --region). */
  values?: { stack?: string; region?: string };
}

const WIDTH = 100;

/** A YAML scalar or flow collection for one value, quoted only where YAML needs it ("8.0"). */
function yamlValue(value: unknown): string {
  return stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trimEnd();
}

/** A description as `#` lines no wider than WIDTH, with allowed values when the schema lists a few. */
function commentLines(node: JsonSchemaNode, indent: string): string[] {
  let text = node.description ?? '';
  const choices = node.enum && node.enum.length <= 6 ? node.enum.map(String) : undefined;
  if (choices && !choices.every((c) => text.includes(c))) text += `${text ? ' ' : ''}One of: ${choices.join(', ')}.`;
  if (!text) return [];
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && `${indent}# ${line} ${word}`.length > WIDTH) {
      out.push(`${indent}# ${line}`);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(`${indent}# ${line}`);
  return out;
}

/** The whole file, ending with a newline. */
export function configTemplate(opts: TemplateOptions): string {
  const root = configJsonSchema() as JsonSchemaNode;
  const lines = [
    '# wpdeploy configuration, written by `wpdeploy init`: every key is at its default.',
    '# Change what you need (and delete what you leave at the default, if you like); `wpdeploy plan`',
    '# checks the file and shows what `up` would do. docs/configuration.md in wpdeploy has the details.',
    `$schema: ${yamlValue(opts.schemaRef)}`,
  ];
  for (const [key, node] of Object.entries(root.properties ?? {})) {
    if (key === '$schema') continue;
    lines.push('');
    lines.push(...commentLines(node, ''));
    if (!node.properties) {
      const value = opts.values?.[key as 'stack' | 'region'] ?? node.default;
      // An optional key without a default (accountId, state, stacks): commented out, with an example.
      if (value === undefined) lines.push(`# ${key}: ${yamlValue(node.examples?.[0] ?? '')}`);
      else lines.push(`${key}: ${yamlValue(value)}`);
      continue;
    }
    // A section without a default (domain) is optional: shown commented out, with example values.
    const optional = node.default === undefined;
    const lead = optional ? '# ' : '';
    lines.push(`${lead}${key}:`);
    for (const [child, childNode] of Object.entries(node.properties)) {
      lines.push(...commentLines(childNode, `${lead}  `));
      const value = childNode.default ?? childNode.examples?.[0] ?? '';
      lines.push(`${lead}  ${child}: ${yamlValue(value)}`);
    }
  }
  return lines.join('\n') + '\n';
}
