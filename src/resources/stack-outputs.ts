/**
 * The stack's outputs for people and scripts (`up --json`'s run-done, `wpdeploy outputs`): the site's
 * URL, the load balancer's DNS name, the database's endpoint, the ECS cluster and service, the app's
 * log group. Pure: read from the steps' outputs (as a run found them, or as state recorded them).
 */
import type { Config } from '../config/schema.js';
import { appSummary } from './stack-app.js';
import type { Outputs } from './types.js';

export interface StackOutputs {
  siteUrl?: string;
  albDnsName?: string;
  database?: { endpoint?: string; port?: string; name?: string; proxyEndpoint?: string };
  cluster?: string;
  service?: string;
  logGroup?: string;
}

/** The steps whose outputs these come from: when state lacks one of them, `outputs` asks AWS. */
export const OUTPUT_STEPS = ['alb', 'db', 'ecs-cluster', 'ecs-service', 'app-log-group'] as const;

export function stackOutputs(config: Config, outputs: Record<string, Outputs>): StackOutputs {
  const db = outputs['db'];
  const proxy = outputs['db-proxy'];
  const database = db || proxy ? { endpoint: db?.endpoint, port: db?.port, name: db?.dbName, proxyEndpoint: proxy?.endpoint } : undefined;
  const out: StackOutputs = {
    siteUrl: appSummary(config, outputs).url,
    albDnsName: outputs['alb']?.dnsName,
    database,
    cluster: outputs['ecs-cluster']?.name,
    service: outputs['ecs-service']?.name,
    logGroup: outputs['app-log-group']?.name,
  };
  return JSON.parse(JSON.stringify(out)) as StackOutputs; // without the keys that have no value
}
