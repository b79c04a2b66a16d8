/**
 * The WordPress stack as the engine sees it (src/engine/stack.ts): its steps (network, data, app
 * tiers, in the zones state recorded or the region offers), its kinds, its preflight, and what its
 * results say: the site's outputs and health, the containers' logs, the data `down` keeps.
 */
import type { Config } from '../config/schema.js';
import type { EngineResult } from '../engine/engine-run.js';
import type { LogsRequest, Stack, StackScope } from '../engine/stack.js';
import { chooseZones, recordedZones } from './availability-zones.js';
import { describeKeptData, keptMonthlyCost, type KeptCost } from './kept-data.js';
import { readLogEvents, type LogLine } from './log-events.js';
import { runPreflight } from './preflight.js';
import { appNames, appSummary, type AppSummary } from './stack-app.js';
import { OUTPUT_STEPS, stackOutputs, type StackOutputs } from './stack-outputs.js';
import { KINDS, buildSteps } from './stack.js';
import type { Outputs } from './types.js';

export interface Health extends AppSummary {
  /** The database instance's status, as RDS reports it. */
  database?: string;
}

/** The step whose resource the app log group is (its recorded name wins over the one `up` gives it). */
const LOG_GROUP_STEP = 'app-log-group';

export const WORDPRESS = {
  kinds: KINDS,

  async steps({ config, aws, account, recorded }: StackScope) {
    const azCount = config.network.azCount;
    const zones = recordedZones(recorded, azCount) ?? (await chooseZones(aws, config.region, azCount));
    return buildSteps(config, { zones, account });
  },

  preflight: runPreflight,

  outputSteps: OUTPUT_STEPS,

  outputs: (config: Config, outputs: Record<string, Outputs>): StackOutputs => stackOutputs(config, outputs),

  /** The site's URL, tasks, targets and certificate, and the database's status. */
  health(config: Config, result: Pick<EngineResult, 'items' | 'outputs'>): Health {
    const db = result.items.find((i) => i.step === 'db');
    return { ...appSummary(config, result.outputs), ...(db?.state ? { database: db.state } : {}) };
  },

  /** The WordPress containers' log lines, from the app log group. */
  async readLogs({ config, aws, recorded }: Omit<StackScope, 'account'>, request: LogsRequest, onLine: (line: LogLine) => void): Promise<void> {
    const logGroup = recorded[LOG_GROUP_STEP]?.id ?? appNames(config).logGroup;
    await readLogEvents({ aws, stack: config.stack, logGroup, ...request }, onLine);
  },

  /** The database snapshots, file systems, backups and secrets `down` kept, and their monthly cost. */
  async keptData({ aws, config }: Pick<StackScope, 'aws' | 'config'>): Promise<KeptCost | undefined> {
    const kept = keptMonthlyCost(await describeKeptData({ aws, stack: config.stack }));
    return kept.items.length ? kept : undefined;
  },
} satisfies Stack;

export type WordPressStack = typeof WORDPRESS;
