/**
 * Reaching a stack: the flags and the config checked locally first (concurrency, state location,
 * endpoint), then the AWS account, then the state backend. Every command starts here.
 */
import { resolve } from 'node:path';
import { AwsClients } from '../aws/clients.js';
import { ensureLocalEmulator } from '../aws/emulator.js';
import { isCredentialsError, recommendAction } from '../aws/errors.js';
import { callerAccount } from '../aws/identity.js';
import { S3StateBackend } from '../aws/s3-state.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { DEFAULT_STATE_DIR, parseStateLocation, type StateLocation } from '../config/state-location.js';
import { UsageError, WpdeployError, errorMessage } from '../errors.js';
import type { Emit } from './events.js';
import { LOCAL_ENDPOINT, type StateBackend } from './state.js';
import { LocalStateBackend } from './state-local.js';

export interface GlobalOptions {
  stack?: string;
  config?: string;
  region?: string;
  profile?: string;
  endpointUrl?: string;
  state?: string;
  yes?: boolean;
  json?: boolean;
  concurrency?: string | number;
  local?: boolean;
}

const DEFAULT_CONCURRENCY = 8;

/** Checks the flags that need no AWS call. Throws UsageError (exit 2). */
export function parseConcurrency(value: string | number | undefined): number {
  if (value === undefined) return DEFAULT_CONCURRENCY;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new UsageError(`--concurrency ${value} is not a whole number from 1 to 64.`, `Use for example --concurrency ${DEFAULT_CONCURRENCY} (the default) or --concurrency 1 for one step at a time.`);
  }
  return n;
}

/** Where the state lives: --state, else the config's `state:`, else state/. */
function stateLocation(opts: GlobalOptions, config: Config): StateLocation {
  if (opts.state !== undefined) return parseStateLocation(opts.state, '--state');
  if (config.state !== undefined) return parseStateLocation(config.state, 'state (in the config)');
  return parseStateLocation(DEFAULT_STATE_DIR);
}

/** The state backend of a location (S3: the bucket is checked first; its warnings are emitted). */
export async function openBackend(where: StateLocation, aws: AwsClients, stack: string, emit: Emit): Promise<StateBackend & { destroy?(): void }> {
  if (where.kind === 'local') return new LocalStateBackend(resolve(where.dir), stack);
  const backend = new S3StateBackend(aws, where, stack);
  try {
    for (const message of await backend.prepare()) emit({ type: 'warning', message });
  } catch (err) {
    backend.destroy();
    throw err;
  }
  return backend;
}

export interface Reached {
  config: Config;
  source: string;
  where: StateLocation;
  aws: AwsClients;
  account: string;
  endpoint?: string;
  /** How the endpoint is recorded in state ("local" for the emulator, whose port may change). */
  recordedEndpoint?: string;
}

/** Loads and validates everything local (config, flags), then reaches AWS and checks the account. */
export async function reachAws(opts: GlobalOptions, emit: Emit): Promise<Reached> {
  const { config, source } = loadConfig({ file: opts.config, stack: opts.stack, region: opts.region });
  const where = stateLocation(opts, config);
  if (opts.local && opts.endpointUrl) throw new UsageError('--local and --endpoint-url both choose the endpoint.', 'Pass one of them.');
  const endpointFlag = opts.endpointUrl ?? (opts.local ? undefined : process.env.AWS_ENDPOINT_URL || undefined);
  if (endpointFlag && !/^https?:\/\/[^\s/]+/.test(endpointFlag)) {
    throw new UsageError(`endpoint ${endpointFlag} is not a URL.`, 'Use a URL like http://localhost:4566.');
  }
  const emulatorDir = resolve(where.kind === 'local' ? where.dir : DEFAULT_STATE_DIR);
  const endpoint = opts.local ? await ensureLocalEmulator(emulatorDir, (message) => emit({ type: 'warning', message })) : endpointFlag;
  const aws = new AwsClients({ region: config.region, profile: opts.profile, endpoint, local: opts.local });
  let account: string;
  try {
    account = await callerAccount(aws);
  } catch (err) {
    aws.destroy();
    throw new WpdeployError(`could not identify the AWS account: ${errorMessage(err)}`, {
      hint: recommendAction(err, opts.profile ? ` --profile ${opts.profile}` : '') ?? (isCredentialsError(err) ? undefined : 'Check the network and the endpoint, then run again.'),
      cause: err,
    });
  }
  if (config.accountId && config.accountId !== account) {
    aws.destroy();
    throw new WpdeployError(`stack ${config.stack} belongs to AWS account ${config.accountId} (accountId in ${source}), but the credentials are for account ${account}: nothing was done.`, {
      hint: `Use the credentials of account ${config.accountId} (e.g. --profile), or correct accountId.`,
      exitCode: 2,
    });
  }
  return { config, source, where, aws, account, endpoint, recordedEndpoint: opts.local ? LOCAL_ENDPOINT : endpoint };
}

