/**
 * The commands: pick a renderer, open a session, run the engine, print the outcome, choose the exit
 * code. No AWS call is made here.
 */
import { createInterface } from 'node:readline/promises';
import { loadConfig } from '../config/load.js';
import { EXIT, UsageError, WpdeployError, errorMessage } from '../errors.js';
import type { EngineResult } from '../engine/deployer.js';
import { timed, type Emit, type TimedEvent } from '../engine/events.js';
import { hasChanges } from '../engine/planner.js';
import { describeHolder } from '../engine/lock.js';
import { assertStackExists, health, openSession, readOutputs, recordCost, runDown, runStatus, type GlobalOptions, type Session } from '../engine/session.js';
import { runMigrate, runUnlock } from '../engine/state-commands.js';
import { WORDPRESS, type Health, type WordPressStack } from '../resources/wordpress.js';
import { jsonRenderer, liveRenderer, plainRenderer, quietRenderer, type Renderer } from '../ui/renderers.js';
import { outputsText, statusDocument, statusTable, summaryText } from '../ui/report.js';
import { commandLine, withTarget, type Target } from './command-line.js';
import { reportError } from './report-error.js';
import { colorEnabled, makeStyle, wrapText } from '../ui/style.js';

export type Opts = GlobalOptions & { color?: boolean; detailedExitcode?: boolean; check?: boolean; purge?: boolean; cost?: boolean; wide?: boolean };

export const useColor = (opts: Opts) => opts.color !== false && colorEnabled(process.stdout);
const isLive = (opts: Opts) => !opts.json && !!process.stderr.isTTY && !process.env.CI && process.env.TERM !== 'dumb';

export function renderer(opts: Opts, dryRun: boolean, readOnly = false): Renderer {
  if (readOnly && (opts.json || !isLive(opts))) return quietRenderer(process.stderr);
  if (opts.json) return jsonRenderer(process.stdout);
  if (isLive(opts)) return liveRenderer(process.stderr, opts.color !== false && colorEnabled(process.stderr), dryRun);
  return plainRenderer(process.stderr, dryRun);
}

/** The flags that chose this run's target, for the commands it prints (see command-line.ts). */
const targetOf = (opts: Opts): Target => ({ stack: opts.stack, config: opts.config, local: opts.local, endpointUrl: opts.endpointUrl, region: opts.region, profile: opts.profile, state: opts.state });

/** An event whose texts name `wpdeploy` commands, with this run's target flags added to them. */
function targeted(e: TimedEvent, t: Target): TimedEvent {
  const out: Record<string, unknown> = { ...e };
  for (const k of ['message', 'hint', 'error', 'reason'] as const) if (typeof out[k] === 'string') out[k] = withTarget(out[k] as string, t);
  return out as TimedEvent;
}

/** Switches the progress display mid-command: `up` plans quietly, asks, then shows its progress. */
export interface Progress {
  use(next: Renderer): void;
}

/**
 * Runs one command: SIGINT once stops new work, lets in-flight calls finish and saves the state;
 * SIGINT twice exits at once (the state file is written atomically, so it stays consistent).
 */
export async function withSession(name: string, opts: Opts, dryRun: boolean, lock: boolean, body: (s: Session<WordPressStack>, progress: Progress) => Promise<number>, first?: Renderer): Promise<void> {
  // status prints a table (or one JSON document) at the end; its progress shows only in a terminal.
  let r = first ?? renderer(opts, dryRun, name === 'status');
  const target = targetOf(opts);
  const emit: Emit = timed((e: TimedEvent) => r.onEvent(targeted(e, target)));
  const progress: Progress = {
    use(next) {
      r.close();
      r = next;
    },
  };
  const abort = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      abort.abort();
      emit({ type: 'warning', message: 'interrupted: finishing the calls in flight and saving the state (Ctrl-C again to exit at once)' });
    } else {
      r.close();
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSigint);
  // CI runners cancel a job with SIGINT, then SIGTERM: both stop the run cleanly (state saved, lock released).
  process.on('SIGTERM', onSigint);
  let session: Session<WordPressStack> | undefined;
  try {
    session = await openSession(name, opts, emit, abort.signal, WORDPRESS, { lock });
    process.exitCode = await body(session, progress);
    if (session.lockLost) throw session.lockLost;
  } catch (err) {
    r.close();
    process.exitCode = report(err, opts);
  } finally {
    await session?.close().catch((err) => report(err, opts));
    r.close();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

/** reportError, with the target flags added to the commands the message and hint name. */
export function report(err: unknown, opts: Opts): number {
  return reportError(err, opts.json, (text) => withTarget(text, targetOf(opts)));
}

/** Writes results on stdout, with the target flags added to the commands they name. */
export function out(opts: Opts, text: string): void {
  process.stdout.write(withTarget(text, targetOf(opts)));
}

export function finalCode(result: EngineResult): number {
  if (result.interrupted) return EXIT.interrupted;
  return result.ok ? EXIT.ok : EXIT.failure;
}

/** The run's summary; a run that stopped says which command resumes it (`again`: `down --purge`, say). */
export function printSummary(name: string, opts: Opts, s: Session, result: EngineResult, started: number, again = name): void {
  if (opts.json) return;
  const st = makeStyle(useColor(opts));
  out(opts, summaryText(name, s.config.stack, result, s.aws.calls, Date.now() - started, st) + '\n');
  if (result.interrupted || !result.ok) out(opts, `Run \`wpdeploy ${again}\` again to resume.\n`);
}

export async function status(opts: Opts): Promise<void> {
  await withSession('status', opts, true, false, async (s) => {
    const result = await runStatus(s);
    await assertStackExists(s, result);
    const meta = { stack: s.config.stack, region: s.config.region, account: s.account };
    const h = health(s, result);
    if (opts.json) process.stdout.write(JSON.stringify({ ...statusDocument(meta, result), health: h }, null, 2) + '\n');
    else {
      // In a terminal the table fits its width (`--wide`: every column, in full); piped, it is whole.
      const width = process.stdout.isTTY && !opts.wide ? process.stdout.columns : undefined;
      const fit = (text: string) => (width ? text.split('\n').flatMap((l) => wrapText(l, width - 1, ' '.repeat(13))).join('\n') : text);
      process.stdout.write(`Stack ${s.config.stack} in ${s.config.region} (account ${s.account}):\n`);
      process.stdout.write(statusTable(result, { width: width && width - 1, wide: opts.wide }) + '\n\n' + fit(healthText(h, s)) + '\n');
    }
    if (!result.ok) return finalCode(result);
    return opts.check && (hasChanges(result.items) || unhealthy(h)) ? EXIT.failure : EXIT.ok;
  });
}

/** In a terminal (stdin and stderr), without --json: where wpdeploy may ask before it changes things. */
export const canAsk = (opts: Opts) => !opts.json && !!process.stdin.isTTY && !!process.stderr.isTTY;

/** Asks on stderr; the answer, trimmed, or undefined when the input ends or Ctrl-C is pressed. */
export async function ask(question: string): Promise<string | undefined> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await new Promise<string | undefined>((resolve) => {
      rl.once('SIGINT', () => resolve(undefined));
      rl.once('close', () => resolve(undefined));
      rl.question(question).then((a) => resolve(a.trim()), () => resolve(undefined));
    });
  } finally {
    rl.close();
  }
}

/** `down` asks "yes"; `down --purge`, which deletes the data for good, asks for the stack's name. */
async function confirmDown(opts: Opts): Promise<void> {
  if (opts.yes) return;
  const name = loadConfig({ file: opts.config, stack: opts.stack, region: opts.region }).config.stack;
  if (!process.stdin.isTTY) {
    throw new UsageError(`down ${opts.purge ? '--purge ' : ''}removes the resources of stack ${name} and needs confirmation, but there is no terminal to ask.`, 'Pass --yes to confirm (as in CI).');
  }
  const answer = opts.purge
    ? await ask(`This removes every resource of stack ${name}, its data included (database, file system, secrets), with no way back.\nType the stack's name (${name}) to continue: `)
    : (await ask(`This removes the resources of stack ${name} (its data is kept). Type "yes" to continue: `))?.toLowerCase();
  if (answer !== (opts.purge ? name : 'yes')) throw new WpdeployError('down cancelled: nothing was changed.', { exitCode: EXIT.failure });
}

export async function down(opts: Opts): Promise<void> {
  const started = Date.now();
  try {
    await confirmDown(opts);
  } catch (err) {
    process.exitCode = report(err, opts);
    return;
  }
  await withSession('down', opts, false, true, async (s, progress) => {
    if (!s.store.exists()) {
      // No state: look the stack up by its tags first (quietly), and refuse a stack that is not there.
      progress.use(quietRenderer(process.stderr));
      await assertStackExists(s, await runStatus(s));
      progress.use(renderer(opts, false));
    }
    const { result, kept } = await runDown(s, !!opts.purge);
    if (result.ok) await recordCost(s, kept?.totalUsd ?? 0); // what is left costs this; no-op when the state is gone
    printSummary('down', opts, s, result, started, opts.purge ? 'down --purge' : 'down');
    if (!opts.json && kept) {
      const lines = kept.items.map((i) => `  ${i.kind.padEnd(12)} ${i.id}  ~$${i.monthlyUsd.toFixed(2)}/month (${i.basis})`);
      out(opts, `Kept, because it holds your data (the next \`up\` brings the site back with it):\n${lines.join('\n')}\n`);
      out(opts, `About $${kept.totalUsd.toFixed(2)} a month (${kept.assumptions.join('; ')}).\n`);
      out(opts, `Remove it too with: ${commandLine(targetOf(opts), 'down', '--purge')}\n`);
    }
    return finalCode(result);
  });
}

/** Against an emulator (--local, --endpoint-url) the site's address is only a name: nothing runs behind it. */
export function simulated(s: Session): string {
  return s.endpoint ? ' (simulated: the emulator runs no containers, so nothing answers at this address)' : '';
}

/** `wpdeploy outputs`: the stack's outputs from state (and AWS, for what state lacks). */
export async function outputs(opts: Opts): Promise<void> {
  await withSession('outputs', opts, true, false, async (s) => {
    const values = await readOutputs(s);
    const meta = { stack: s.config.stack, region: s.config.region, account: s.account };
    if (opts.json) process.stdout.write(JSON.stringify({ ...meta, ...values }, null, 2) + '\n');
    else out(opts, `${outputsText(values) || 'No outputs yet: run `wpdeploy up`.'}\n`);
    return EXIT.ok;
  }, quietRenderer(process.stderr));
}

function healthText(h: Health, s: Session): string {
  return [
    `Site:        ${h.url ?? 'not deployed'}${h.url && !h.encrypted ? ' (plain HTTP: no domain configured)' : ''}${h.url ? simulated(s) : ''}`,
    `Service:     ${h.service ? `${h.service.running}/${h.service.desired} tasks running` : 'not deployed'}`,
    `Targets:     ${h.targets ?? 'none'}`,
    `Database:    ${h.database ?? 'not deployed'}`,
    ...(h.certificate ? [`Certificate: ${h.certificate}`] : []),
  ].join('\n');
}

/** `up --cost`: the monthly estimate in one line before the run (no AWS call). */
export async function printCostBrief(opts: Opts): Promise<void> {
  const { estimateCost } = await import('../cost/estimate.js');
  const { loadPriceBook } = await import('../cost/prices.js');
  try {
    const { config } = loadConfig({ file: opts.config, stack: opts.stack, region: opts.region });
    const e = estimateCost(config, loadPriceBook());
    out(opts, `Estimated cost: about $${e.total.toFixed(2)} a month on demand in ${e.region} ($${e.totalAtScalingMax.toFixed(2)} at scaling.max); \`wpdeploy cost\` lists the lines.\n`);
  } catch (err) {
    process.stdout.write(`No cost estimate: ${errorMessage(err)}\n`);
  }
}

/** For `status --check`: fewer tasks running than wanted, or a database that is not available. */
function unhealthy(h: Health): boolean {
  return (!!h.service && h.service.running < h.service.desired) || (h.database !== undefined && h.database !== 'available');
}

/** A renderer for the commands that only manage state: warnings on stderr, nothing else. */
function quietEmit(opts: Opts): Emit {
  const r = quietRenderer(process.stderr);
  return timed((e: TimedEvent) => r.onEvent(targeted(e, targetOf(opts))));
}

export async function unlock(lockId: string, opts: Opts): Promise<void> {
  try {
    const { stack, location, holder } = await runUnlock(opts, lockId, quietEmit(opts));
    if (opts.json) process.stdout.write(JSON.stringify({ unlocked: true, stack, lock: location, holder }) + '\n');
    else process.stdout.write(`Broke the lock of stack ${stack} (${location}), held by ${describeHolder(holder)}.\n`);
    process.exitCode = EXIT.ok;
  } catch (err) {
    process.exitCode = report(err, opts);
  }
}

export async function migrateState(opts: Opts & { to: string }): Promise<void> {
  try {
    const r = await runMigrate(opts, opts.to, quietEmit(opts));
    if (opts.json) process.stdout.write(JSON.stringify({ migrated: true, ...r }) + '\n');
    else {
      process.stdout.write(`Moved the state of stack ${r.stack} (${r.steps} steps) from ${r.from} to ${r.to}.\n`);
      process.stdout.write(`From now on pass --state ${opts.to} (or set state: ${opts.to} in the config).\n`);
    }
    process.exitCode = EXIT.ok;
  } catch (err) {
    process.exitCode = report(err, opts);
  }
}
