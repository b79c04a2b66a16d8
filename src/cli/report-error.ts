/**
 * How a failed command reports its error: message and hint on stderr (or one JSON `error` event on
 * stdout with --json), and the exit code. Loads no AWS SDK, so light commands (init, cost, diagram)
 * can use it.
 */
import { EXIT, WpdeployError, errorMessage } from '../errors.js';

/** Prints an error with its hint; returns the exit code. */
export function reportError(err: unknown, json = false): number {
  const e = err instanceof WpdeployError ? err : undefined;
  const code = e?.exitCode ?? EXIT.failure;
  if (json) {
    process.stdout.write(JSON.stringify({ type: 'error', time: new Date().toISOString(), error: errorMessage(err), hint: e?.hint, exitCode: code }) + '\n');
  } else {
    process.stderr.write(`wpdeploy: ${errorMessage(err)}\n`);
    if (e?.hint) process.stderr.write(`${e.hint}\n`);
    if (!e && process.env.WPDEPLOY_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  }
  return code;
}
