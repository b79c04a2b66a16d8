/** The config reference (docs/configuration.md) and the committed JSON Schema follow the schema itself. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/schema.js';
import { validateConfig } from '../../src/config/load.js';

type JsonSchema = { properties?: Record<string, JsonSchema>; default?: unknown };

function leafKeys(schema: JsonSchema, prefix = ''): Array<{ path: string; default: unknown }> {
  return Object.entries(schema.properties ?? {}).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    return v.properties ? leafKeys(v, path) : [{ path, default: v.default }];
  });
}

const readmeAll = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
/** The "## Configuration" section of docs/configuration.md. */
const readme = readmeAll.slice(readmeAll.indexOf('\n## Configuration'), readmeAll.indexOf('\n## ', readmeAll.indexOf('\n## Configuration') + 1));

describe('config reference', () => {
  const keys = leafKeys(configJsonSchema() as JsonSchema).filter((k) => k.path !== '$schema');

  it('documents every key of the schema in the docs table', () => {
    const documented = [...readme.matchAll(/^\| `([a-zA-Z.]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(keys.map((k) => k.path).sort());
  });

  it('gives each key the default the schema applies', () => {
    const defaults = validateConfig({});
    for (const k of keys) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${k.path}\` |`))!;
      const value = k.path.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown> | undefined)?.[p], defaults);
      const cell = row.split('|')[2]!.trim();
      if (value === undefined) expect(cell).toBe('none');
      else expect(cell.startsWith('`' + (typeof value === 'string' && k.path === 'database.engineVersion' ? `"${value}"` : typeof value === 'object' ? JSON.stringify(value) : String(value)) + '`')).toBe(true);
    }
  });

  it('keeps schema/wpdeploy.schema.json in step with the schema (npm run schema)', () => {
    const committed = JSON.parse(readFileSync(new URL('../../schema/wpdeploy.schema.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(configJsonSchema());
  });
});
