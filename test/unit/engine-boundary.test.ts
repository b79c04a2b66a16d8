/**
 * The engine is a library: no file in src/engine/ imports from src/resources/ but the resource
 * contract (types.ts). What a stack is (its steps, kinds, outputs, health, logs) reaches the engine
 * through its Stack (src/engine/stack.ts), passed in by the CLI.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const engineDir = join(root, 'src/engine');
const resourcesDir = join(root, 'src/resources');
const ALLOWED = new Set([join(resourcesDir, 'types.ts')]);

/** Every module a source names: `import … from`, `export … from`, `import '…'` and `import('…')`. */
function specifiers(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm)) out.push(m[1]!);
  return out;
}

/** The engine's imports that reach into src/resources/, other than the contract, as `file -> module`. */
function reachesIntoResources(): string[] {
  const found: string[] = [];
  for (const file of readdirSync(engineDir).filter((f) => f.endsWith('.ts'))) {
    const path = join(engineDir, file);
    for (const spec of specifiers(readFileSync(path, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = resolve(dirname(path), spec).replace(/\.js$/, '.ts');
      if (target.startsWith(resourcesDir + '/') && !ALLOWED.has(target)) found.push(`${relative(root, path)} -> ${spec}`);
    }
  }
  return found;
}

describe('the engine imports nothing of a stack', () => {
  it('no file in src/engine/ imports from src/resources/ but types.ts', () => {
    expect(reachesIntoResources()).toEqual([]);
  });

  it('the scan sees every form of import (so the check above can fail)', () => {
    const source = [
      "import { KINDS, buildSteps } from '../resources/stack.js';",
      "import type { AppSummary } from '../resources/stack-app.js';",
      "export { DEFAULT_SINCE, formatLogLine } from '../resources/log-events.js';",
      "import '../resources/side-effect.js';",
      "const m = await import('../resources/preflight.js');",
      'import {\n  readLogEvents,\n} from "../resources/log-events.js";',
    ].join('\n');
    expect(specifiers(source)).toEqual([
      '../resources/stack.js', '../resources/stack-app.js', '../resources/log-events.js', '../resources/side-effect.js', '../resources/preflight.js', '../resources/log-events.js',
    ]);
  });
});
