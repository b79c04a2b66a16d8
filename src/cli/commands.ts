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
import { describeHolder, health, openSession, runDown, runMigrate, runPlan, runStatus, runUnlock, runUp, type GlobalOptions, type Health, type Session } from '../engine/session.js';
import { jsonRenderer, liveRenderer, plainRenderer, quietRenderer, type Renderer } from '../ui/renderers.js';
import { planText, statusDocument, statusTable, summaryText } from '../ui/report.js';
import { reportError } from './report-error.js';
import { colorEnabled, makeStyle, wrapText } from '../ui/style.js';

type Opts = GlobalOptions & { color?: boolean; detailedExitcode?: boolean; check?: boolean; purge?: boolean; cost?: boolean; wide?: boolean };

const useColor = (o: Opts) => o.color !== false && colorEnabled(process.stdout);
const isLive = (o: Opts) => !o.json && !!process.stderr.isTTY && !process.env.CI && process.env.TERM !== 'dumb';

function renderer(o: Opts, dryRun: boolean, readOnly = false): Renderer {
  if (readOnly && (o.json || !isLive(o))) return quietRenderer(process.stderr);
  if (o.json) return jsonRenderer(process.stdout);
  if (isLive(o)) return liveRenderer(process.stderr, o.color !== false && colorEnabled(process.stderr), dryRun);
  return plainRenderer(process.stderr, dryRun);
}

export { reportError };

/**
 * Runs one command: SIGINT once stops new work, lets in-flight calls finish and saves the state;
 * SIGINT twice exits at once (the state file is written atomically, so it stays consistent).
 */
async function withSession(name: string, o: Opts, dryRun: boolean, lock: boolean, body: (s: Session) => Promise<number>): Promise<void> {
  // status prints a table (or one JSON document) at the end; its progress shows only in a terminal.
  const r = renderer(o, dryRun, name === 'status');
  const emit: Emit = timed((e: TimedEvent) => r.onEvent(e));
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
  let session: Session | undefined;
  try {
    session = await openSession(name, o, emit, abort.signal, { lock });
    process.exitCode = await body(session);
    if (session.lockLost) throw session.lockLost;
  } catch (err) {
    r.close();
    process.exitCode = reportError(err, o.json);
  } finally {
    await session?.close().catch((err) => reportError(err, o.json));
    r.close();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

function finalCode(result: EngineResult): number {
  if (result.interrupted) return EXIT.interrupted;
  return result.ok ? EXIT.ok : EXIT.failure;
}

function resumeHint(name: string, s: Session): string {
  return `Run \`wpdeploy ${name}${s.config.stack !== 'wordpress' ? ` --stack ${s.config.stack}` : ''}\` again to resume.`;
}

function printSummary(name: string, o: Opts, s: Session, result: EngineResult, started: number): void {
  if (o.json) return;
  const st = makeStyle(useColor(o));
  process.stdout.write(summaryText(name, s.config.stack, result, s.aws.calls, Date.now() - started, st) + '\n');
  if (result.interrupted || !result.ok) process.stdout.write(resumeHint(name, s) + '\n');
}

export async function up(o: Opts): Promise<void> {
  const started = Date.now();
  if (o.cost && !o.json) await printCostBrief(o);
  await withSession('up', o, false, true, async (s) => {
    const result = await runUp(s);
    printSummary('up', o, s, result, started);
    if (!o.json && result.ok) {
      const h = health(s, result);
      if (h.url) process.stdout.write(`Site: ${h.url}${simulated(s)}\n`);
      if (!h.encrypted) process.stdout.write('Warning: no domain is configured, so the site is served over plain HTTP and its traffic is unencrypted. Set `domain` in the config to serve HTTPS.\n');
    }
    return finalCode(result);
  });
}

export async function plan(o: Opts): Promise<void> {
  let planned = false;
  await withSession('plan', o, true, false, async (s) => {
    planned = true;
    const result = await runPlan(s);
    if (!o.json) {
      process.stdout.write(`Plan for stack ${s.config.stack} in ${s.config.region} (account ${s.account}):\n`);
      process.stdout.write(planText(result, makeStyle(useColor(o))) + '\n');
    }
    if (!result.ok) return finalCode(result);
    return o.detailedExitcode && hasChanges(result.items) ? 2 : EXIT.ok;
  });
  // With --detailed-exitcode, 2 means "changes": bad usage or config is then 1, so CI can tell them apart.
  if (o.detailedExitcode && !planned && process.exitCode === EXIT.usage) process.exitCode = EXIT.failure;
}

export async function status(o: Opts): Promise<void> {
  await withSession('status', o, true, false, async (s) => {
    const result = await runStatus(s);
    const meta = { stack: s.config.stack, region: s.config.region, account: s.account };
    const h = health(s, result);
    if (o.json) process.stdout.write(JSON.stringify({ ...statusDocument(meta, result), health: h }, null, 2) + '\n');
    else {
      // In a terminal the table fits its width (`--wide`: every column, in full); piped, it is whole.
      const width = process.stdout.isTTY && !o.wide ? process.stdout.columns : undefined;
      const fit = (text: string) => (width ? text.split('\n').flatMap((l) => wrapText(l, width - 1, ' '.repeat(13))).join('\n') : text);
      process.stdout.write(`Stack ${s.config.stack} in ${s.config.region} (account ${s.account}):\n`);
      process.stdout.write(statusTable(result, { width: width && width - 1, wide: o.wide }) + '\n\n' + fit(healthText(h, s)) + '\n');
    }
    if (!result.ok) return finalCode(result);
    return o.check && (hasChanges(result.items) || unhealthy(h)) ? EXIT.failure : EXIT.ok;
  });
}

async function confirmDown(o: Opts): Promise<void> {
  if (o.yes) return;
  const stack = `stack ${loadConfig({ file: o.config, stack: o.stack, region: o.region }).config.stack}`;
  if (!process.stdin.isTTY) {
    throw new UsageError(`down ${o.purge ? '--purge ' : ''}removes the resources of ${stack} and needs confirmation, but there is no terminal to ask.`, 'Pass --yes to confirm (as in CI).');
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const what = o.purge ? `every resource of ${stack}, its data included (database, file system, secrets), with no way back` : `the resources of ${stack} (its data is kept)`;
  const answer = await rl.question(`This removes ${what}. Type "yes" to continue: `);
  rl.close();
  if (answer.trim().toLowerCase() !== 'yes') throw new WpdeployError('down cancelled: nothing was changed.', { exitCode: EXIT.failure });
}

export async function down(o: Opts): Promise<void> {
  const started = Date.now();
  try {
    await confirmDown(o);
  } catch (err) {
    process.exitCode = reportError(err, o.json);
    return;
  }
  await withSession('down', o, false, true, async (s) => {
    const { result, kept } = await runDown(s, !!o.purge);
    printSummary('down', o, s, result, started);
    if (!o.json && kept) {
      const lines = kept.items.map((i) => `  ${i.kind.padEnd(12)} ${i.id}  ~$${i.monthlyUsd.toFixed(2)}/month (${i.basis})`);
      process.stdout.write(`Kept, because it holds your data (the next \`up\` brings the site back with it):\n${lines.join('\n')}\n`);
      process.stdout.write(`About $${kept.totalUsd.toFixed(2)} a month (${kept.assumptions.join('; ')}).\n`);
      process.stdout.write(`Remove it too with: wpdeploy down --purge${s.config.stack !== 'wordpress' ? ` --stack ${s.config.stack}` : ''}\n`);
    }
    return finalCode(result);
  });
}

/** Against an emulator (--local, --endpoint-url) the site's address is only a name: nothing runs behind it. */
function simulated(s: Session): string {
  return s.endpoint ? ' (simulated: the emulator runs no containers, so nothing answers at this address)' : '';
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
async function printCostBrief(o: Opts): Promise<void> {
  const { estimateCost } = await import('../cost/estimate.js');
  const { loadPriceBook } = await import('../cost/prices.js');
  try {
    const { config } = loadConfig({ file: o.config, stack: o.stack, region: o.region });
    const e = estimateCost(config, loadPriceBook());
    process.stdout.write(`Estimated cost: about $${e.total.toFixed(2)} a month on demand in ${e.region} ($${e.totalAtScalingMax.toFixed(2)} at scaling.max); \`wpdeploy cost\` lists the lines.\n`);
  } catch (err) {
    process.stdout.write(`No cost estimate: ${errorMessage(err)}\n`);
  }
}

/** For `status --check`: fewer tasks running than wanted, or a database that is not available. */
function unhealthy(h: Health): boolean {
  return (!!h.service && h.service.running < h.service.desired) || (h.database !== undefined && h.database !== 'available');
}

/** A renderer for the commands that only manage state: warnings on stderr, nothing else. */
function quietEmit(): Emit {
  const r = quietRenderer(process.stderr);
  return timed((e: TimedEvent) => r.onEvent(e));
}

export async function unlock(lockId: string, o: Opts): Promise<void> {
  try {
    const { stack, location, holder } = await runUnlock(o, lockId, quietEmit());
    if (o.json) process.stdout.write(JSON.stringify({ unlocked: true, stack, lock: location, holder }) + '\n');
    else process.stdout.write(`Broke the lock of stack ${stack} (${location}), held by ${describeHolder(holder)}.\n`);
    process.exitCode = EXIT.ok;
  } catch (err) {
    process.exitCode = reportError(err, o.json);
  }
}

export async function migrateState(o: Opts & { to: string }): Promise<void> {
  try {
    const r = await runMigrate(o, o.to, quietEmit());
    if (o.json) process.stdout.write(JSON.stringify({ migrated: true, ...r }) + '\n');
    else {
      process.stdout.write(`Moved the state of stack ${r.stack} (${r.steps} steps) from ${r.from} to ${r.to}.\n`);
      process.stdout.write(`From now on pass --state ${o.to} (or set state: ${o.to} in the config).\n`);
    }
    process.exitCode = EXIT.ok;
  } catch (err) {
    process.exitCode = reportError(err, o.json);
  }
}
