/**
 * `wpdeploy logs`: the WordPress containers' log lines, `<ISO time> <task id> <message>` (or one JSON
 * object per line with --json). --since is checked before anything reaches AWS; --follow runs until
 * Ctrl-C, which ends it with exit 0. No lock is taken and no state is written.
 */
import { EXIT } from '../errors.js';
import { timed } from '../engine/events.js';
import { openSession, readLogs, type GlobalOptions, type Session } from '../engine/session.js';
import { DEFAULT_SINCE, formatLogLine, parseDuration } from '../resources/log-events.js';
import { WORDPRESS, type WordPressStack } from '../resources/wordpress.js';
import { quietRenderer } from '../ui/renderers.js';
import { withTarget } from './command-line.js';
import { reportError } from './report-error.js';

type Opts = GlobalOptions & { follow?: boolean; since?: string };

export async function logs(opts: Opts): Promise<void> {
  let sinceMs: number;
  try {
    sinceMs = parseDuration(opts.since ?? DEFAULT_SINCE, '--since');
  } catch (err) {
    process.exitCode = reportError(err, opts.json, (text) => withTarget(text, opts));
    return;
  }
  const r = quietRenderer(process.stderr); // warnings only: stdout holds the log lines
  const emit = timed((e) => r.onEvent(e.type === 'warning' ? { ...e, message: withTarget(e.message, opts) } : e));
  const abort = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    if (++interrupts > 1) process.exit(EXIT.ok);
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  let session: Session<WordPressStack> | undefined;
  try {
    session = await openSession('logs', opts, emit, abort.signal, WORDPRESS, { lock: false, steps: false });
    let lines = 0;
    await readLogs(session, { sinceMs, follow: !!opts.follow }, (line) => {
      lines++;
      process.stdout.write((opts.json ? JSON.stringify(line) : formatLogLine(line)) + '\n');
    });
    // On stderr: stdout holds only log lines, for pipes.
    if (!lines && !opts.json) {
      const where = session.endpoint ? ' (the emulator runs no containers, so none write any)' : '';
      process.stderr.write(`no log lines ${opts.follow ? 'came' : `in the last ${opts.since ?? DEFAULT_SINCE}`}${where}.\n`);
    }
    process.exitCode = EXIT.ok;
  } catch (err) {
    process.exitCode = reportError(err, opts.json, (text) => withTarget(text, opts));
  } finally {
    await session?.close();
    r.close();
    process.off('SIGINT', onSigint);
  }
}
