/**
 * How a failed command reports its error: message and hint on stderr (or one JSON `error` event on
 * stdout with --json), and the exit code. Loads no AWS SDK, so light commands (init, cost, diagram)
 * can use it.
 */
import { EXIT, WpdeployError, errorMessage } from '../errors.js';

/**
 * Prints an error with its hint; returns the exit code. `edit` rewrites both texts (a command adds
 * its target flags to the `wpdeploy` commands they name).
 */
export function reportError(err: unknown, json = false, edit: (text: string) => string = (t) => t): number {
  const e = err instanceof WpdeployError ? err : undefined;
  const code = e?.exitCode ?? EXIT.failure;
  const hint = e?.hint === undefined ? undefined : edit(e.hint);
  if (json) {
    process.stdout.write(JSON.stringify({ type: 'error', time: new Date().toISOString(), error: edit(errorMessage(err)), hint, exitCode: code }) + '\n');
  } else {
    process.stderr.write(`wpdeploy: ${edit(errorMessage(err))}\n`);
    if (hint) process.stderr.write(`${hint}\n`);
    if (!e && process.env.WPDEPLOY_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  }
  return code;
}
