/**
 * Runs a command that wpdeploy printed as a person pastes it: in a shell (`sh -c`, so its quoting is
 * read as a shell reads it), in the same directory and environment, with `wpdeploy` on PATH. With
 * `answer`, under a pseudo-terminal (`script` from util-linux), typing the answer when the prompt shows.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, cliEnv, type CliOptions, type CliResult } from './cli.js';

let shimDir: string | undefined;

/** A directory holding a `wpdeploy` that runs the built CLI. */
function shim(): string {
  if (shimDir) return shimDir;
  shimDir = mkdtempSync(join(tmpdir(), 'wpdeploy-path-'));
  const file = join(shimDir, 'wpdeploy');
  writeFileSync(file, `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`);
  chmodSync(file, 0o755);
  return shimDir;
}

/** Every `wpdeploy ...` command in a command's output: in backticks, or after "with:" at the end of a line. */
export function printedCommands(text: string): string[] {
  const out = [...text.matchAll(/`(wpdeploy [^`]+)`/g)].map((m) => m[1]!);
  for (const m of text.matchAll(/with: (wpdeploy .+)$/gm)) out.push(m[1]!.trim());
  return out;
}

export interface PasteOptions extends CliOptions {
  /** Type `text` (and Enter) once the output matches `prompt`; runs under a pseudo-terminal. */
  answer?: { prompt: RegExp; text: string };
}

export function paste(command: string, o: PasteOptions): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...cliEnv(o), PATH: `${shim()}:${process.env.PATH}` };
  if (o.answer) delete env.CI; // a person's terminal
  const [file, args] = o.answer ? ['script', ['-qfec', command, '/dev/null']] : ['sh', ['-c', command]];
  return new Promise((resolve, reject) => {
    const child = spawn(file, args as string[], { cwd: o.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let typed = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (o.answer && !typed && o.answer.prompt.test(stdout)) {
        typed = true;
        child.stdin.write(`${o.answer.text}\r`);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (!o.answer) child.stdin.end();
  });
}
