/**
 * The wpdeploy command line: parses flags and hands over to the commands, which are loaded only
 * when one runs, so `--help` and `--version` load no AWS SDK.
 */
import { Command, CommanderError, Option, type OptionValues } from 'commander';
import { EXIT } from '../errors.js';
import { VERSION } from '../version.js';

/** Words from other tools, and what wpdeploy calls them: commander's own guess goes by spelling only. */
const OTHER_NAMES: Record<string, string> = { deploy: 'up', apply: 'up', destroy: 'down' };

/** Adds "did you mean" to commander's error for a command or option that wpdeploy names otherwise. */
function withSuggestion(message: string): string {
  if (/Did you mean/.test(message)) return message;
  const command = /unknown command '([^']+)'/.exec(message)?.[1];
  if (command && OTHER_NAMES[command]) return `${message}(Did you mean ${OTHER_NAMES[command]}?)\n`;
  if (/unknown option '--dry-run'/.test(message)) return `${message}(Did you mean \`wpdeploy plan\`? It shows what \`up\` would do, changing nothing.)\n`;
  return message;
}

const program = new Command('wpdeploy');
program
  // Set before the commands, which inherit them: each command's help lists the global options too.
  .configureHelp({ showGlobalOptions: true })
  .configureOutput({ outputError: (message, write) => write(withSuggestion(message)) })
  .description('Deploy a highly available WordPress on AWS (ECS Fargate, ALB, RDS Multi-AZ, EFS) with one command, and remove it with another.')
  .version(VERSION, '-V, --version')
  .option('--stack <name>', 'stack name (default: the config\'s stack, else "wordpress")')
  .option('-c, --config <file>', 'config file (default: wpdeploy.yml when present; no file means the defaults)')
  .option('--region <region>', 'AWS region (default: the config\'s region, else AWS_REGION, else us-east-1)')
  .option('--profile <name>', 'AWS profile from ~/.aws/config (SSO profiles too)')
  .option('--endpoint-url <url>', 'send every AWS call to this endpoint (also AWS_ENDPOINT_URL), e.g. LocalStack')
  .option('--local', 'use a local AWS emulator (moto), started if needed, with dummy credentials')
  .option('--state <where>', 'where the state and its lock live: a directory (default: the config\'s state, else state/) or s3://BUCKET/PREFIX')
  .option('-y, --yes', 'do not ask for confirmation: `up` applies without showing the plan first (and may delete or replace without a terminal); `down` goes ahead')
  .option('--json', 'print newline-delimited JSON events (status, cost: one JSON document; logs: one object per line)')
  .option('--concurrency <n>', 'how many steps may run at once (1-64)', '8')
  .showHelpAfterError('(run `wpdeploy --help` for usage)')
  // Usage errors throw (and exit 2) instead of exiting 1; set before the commands so they inherit it.
  .exitOverride()
  .addHelpText('after', `
Exit codes: 0 success · 1 failure · 2 bad usage or config (no AWS call made) · 130 interrupted.

Examples:
  wpdeploy up --local            deploy to a local AWS emulator it starts itself
  wpdeploy status                show every resource, its live state and drift
  wpdeploy logs --follow         print the WordPress containers' log lines as they come
  wpdeploy down --yes            remove the stack
  wpdeploy init                  write wpdeploy.yml with every key at its default
  wpdeploy cost                  what the stack costs a month, line by line
  wpdeploy diagram -o stack.svg  draw the architecture`);

/**
 * Adds a command whose module is loaded only when it runs; `run` gets the command's options with the
 * global ones.
 */
function command(name: string, description: string, options: Array<[flags: string, description: string]>, run: (opts: OptionValues) => Promise<void>): void {
  const cmd = program.command(name).description(description);
  for (const [flags, text] of options) cmd.option(flags, text);
  cmd.action(async (_opts, self: Command) => run(self.optsWithGlobals()));
}

command('up', 'create or update the stack so that it matches the config (safe to rerun)', [
  ['--cost', 'print the monthly cost estimate before starting (see `wpdeploy cost`)'],
  ['--plan <file>', 'apply exactly the plan saved by `plan -o <file>`; refused if the config, the state or the resources changed since'],
], async (opts) => (await import('./up.js')).up(opts));

command('plan', 'show what `up` would do, changing nothing', [
  ['--detailed-exitcode', 'exit 0 when there is nothing to do, 2 when there are changes, 1 on error'],
  ['--all', 'list the unchanged steps too'],
  ['-o, --output <file>', 'save the plan to this file, for `up --plan <file>`'],
], async (opts) => (await import('./up.js')).plan(opts));

command('status', 'show every resource of the stack with its live state and drift', [
  ['--check', 'exit 1 when a resource is missing or drifted (for CI and monitoring)'],
  ['--wide', 'every column (KIND too) and full ids, however wide the terminal'],
], async (opts) => (await import('./commands.js')).status(opts));

command('down', 'remove the stack; its data (database snapshot, file system, secrets) is kept unless --purge', [
  ['--purge', 'also delete the data: no final snapshot, no recovery window (asks for confirmation; --yes in CI)'],
], async (opts) => (await import('./commands.js')).down(opts));

command('outputs', 'print the stack\'s outputs (site URL, load balancer, database endpoint, cluster, service, log group); --json for scripts', [], async (opts) => (await import('./commands.js')).outputs(opts));

program
  .command('unlock')
  .description('break the lock of a run that is gone (its lease has run out), naming what it breaks')
  .argument('<lock-id>', 'the lock id the refusal message names')
  .action(async (lockId: string, _opts, cmd: Command) => (await import('./commands.js')).unlock(lockId, cmd.optsWithGlobals()));

const state = program.command('state').description('manage where the state lives');
state
  .command('migrate')
  .description('move the stack\'s state from --state (or the config\'s state) to another directory or S3 location, and back')
  .requiredOption('--to <where>', 'the destination: a directory or s3://BUCKET/PREFIX')
  .action(async (_opts, cmd: Command) => (await import('./commands.js')).migrateState(cmd.optsWithGlobals()));

command('logs', 'print the WordPress containers\' log lines from CloudWatch, each with its task id', [
  ['--since <duration>', 'how far back to start: 30s, 10m, 2h, 1d (default: 10m)'],
  ['-f, --follow', 'keep printing new lines until Ctrl-C'],
], async (opts) => (await import('./logs.js')).logs(opts));

command('init', 'write a commented wpdeploy.yml with every key at its default', [
  ['--force', 'overwrite the file if it exists'],
], async (opts) => (await import('./init.js')).init(opts));

command('cost', 'estimate the monthly on-demand cost of the stack, line by line (no AWS call)', [], async (opts) => (await import('./cost.js')).cost(opts));

command('diagram', 'draw the architecture planned from the config (SVG or Mermaid), with recorded ids when deployed', [
  ['-o, --output <file>', 'write to this file (default: stdout)'],
  ['--format <format>', 'svg or mermaid (default: from the file extension, else svg)'],
], async (opts) => (await import('./diagram.js')).diagram(opts));

program.addOption(new Option('--no-color', 'no colors (also NO_COLOR)').hideHelp());

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    const ok = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code);
    process.exitCode = ok ? EXIT.ok : EXIT.usage;
  } else {
    const { reportError } = await import('./report-error.js');
    process.exitCode = reportError(err);
  }
}
