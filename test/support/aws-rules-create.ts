/**
 * Creation-side rules AWS enforces and moto does not, for the strict proxy (aws-rules.ts chains
 * them before the ordering rules). Each refusal is recorded in `refused`, with the reason.
 *
 * - **Engine lifecycle.** CreateDBInstance of a MySQL major past its end of RDS standard support
 *   (AWS's calendar, rds-shim.ts): with `EngineLifecycleSupport=open-source-rds-extended-support-disabled`
 *   AWS refuses the create; without the setting AWS creates it and enrolls it in paid Extended
 *   Support, which wpdeploy must never do silently, so the rule refuses that too
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html).
 * - **TLS pairing.** A task definition whose WordPress connects to a database that requires TLS (an
 *   RDS Proxy with RequireTLS; an instance whose parameter group sets require_secure_transport, or
 *   MariaDB 11.8, where that is the default) without `MYSQLI_CLIENT_SSL` in MYSQL_CLIENT_FLAGS would
 *   give "Error establishing a database connection" on every page; and one that verifies the server
 *   certificate of an RDS instance (signed by an RDS CA the official image does not trust) would
 *   fail the same way. AWS accepts the task definition and the site breaks later: the rule refuses
 *   it at registration, so a test sees it.
 *
 * A rule whose lookup fails refuses the call (status 500, code `RulesLookupFailed`): a test never
 * passes because a rule could not look.
 */
import { randomUUID } from 'node:crypto';
import { paginateDescribeDBInstances, paginateDescribeDBProxies, RDSClient } from '@aws-sdk/client-rds';
import type { AwsCall, Interceptor, Reply } from './aws-proxy.js';
import { AWS_RDS_CALENDAR, parameterMemory } from './rds-shim.js';

export interface CreateRefusal {
  rule: string;
  code: string;
  message: string;
  call: AwsCall;
}

export type CreateRules = Interceptor & { readonly refused: CreateRefusal[] };

interface Verdict {
  code: string;
  message: string;
  status?: number;
}

const DISABLED = 'open-source-rds-extended-support-disabled';

export function awsCreateRules(motoEndpoint: string, now: () => Date = () => new Date()): CreateRules {
  const refused: CreateRefusal[] = [];
  const clients = new Map<string, RDSClient>();
  const rdsIn = (region: string) => {
    let c = clients.get(region);
    if (!c) clients.set(region, (c = new RDSClient({ endpoint: motoEndpoint, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 2 })));
    return c;
  };
  const fn = async (call: AwsCall): Promise<Reply | undefined> => {
    let rule: string;
    let check: () => Promise<Verdict | undefined>;
    if (call.service === 'rds' && call.operation === 'CreateDBInstance') {
      rule = 'engine lifecycle';
      check = async () => engineLifecycle(new URLSearchParams(call.body), now());
    } else if (call.service === 'ecs' && call.operation === 'RegisterTaskDefinition') {
      rule = 'TLS pairing';
      check = () => tlsPairing(JSON.parse(call.body) as TaskDefinitionBody, rdsIn(call.region), call.region);
    } else {
      return undefined;
    }
    let verdict: Verdict | undefined;
    try {
      verdict = await check();
    } catch (err) {
      verdict = { code: 'RulesLookupFailed', status: 500, message: `the ${rule} rule could not look: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (!verdict) return undefined;
    refused.push({ rule, code: verdict.code, message: verdict.message, call });
    return call.service === 'ecs' ? jsonError(verdict) : queryError(verdict);
  };
  return Object.assign(fn, { refused });
}

function engineLifecycle(p: URLSearchParams, now: Date): Verdict | undefined {
  const engine = p.get('Engine') ?? '';
  if (engine !== 'mysql') return undefined;
  const major = (p.get('EngineVersion') ?? '').split('.').slice(0, 2).join('.');
  const cal = AWS_RDS_CALENDAR.mysql?.[major];
  if (!cal || now.getTime() <= Date.parse(`${cal.standardEnd}T23:59:59Z`)) return undefined;
  const setting = p.get('EngineLifecycleSupport');
  if (setting === DISABLED) {
    return { code: 'InvalidParameterCombination', message: `Cannot create a DB instance of mysql ${major}: it is past its RDS end of standard support (${cal.standardEnd}) and RDS Extended Support is disabled.` };
  }
  if (!setting) {
    return { code: 'WpdeployRules.PaidExtendedSupport', message: `CreateDBInstance of mysql ${major} (past its RDS end of standard support, ${cal.standardEnd}) without EngineLifecycleSupport: AWS would enroll it in paid RDS Extended Support.` };
  }
  return undefined;
}

interface TaskDefinitionBody {
  containerDefinitions?: Array<{ name?: string; environment?: Array<{ name?: string; value?: string }> }>;
}

const SSL = /define\(\s*'MYSQL_CLIENT_FLAGS'\s*,[^;]*\bMYSQLI_CLIENT_SSL\b/;
const VERIFY = /define\(\s*'MYSQL_CLIENT_FLAGS'\s*,[^;]*\bMYSQLI_CLIENT_SSL_VERIFY_SERVER_CERT\b/;

async function tlsPairing(td: TaskDefinitionBody, rds: RDSClient, region: string): Promise<Verdict | undefined> {
  for (const c of td.containerDefinitions ?? []) {
    const env = new Map((c.environment ?? []).map((e) => [e.name ?? '', e.value ?? '']));
    const hostPort = env.get('WORDPRESS_DB_HOST');
    if (!hostPort) continue;
    const host = hostPort.split(':')[0]!;
    const extra = env.get('WORDPRESS_CONFIG_EXTRA') ?? '';
    const tls = SSL.test(extra);
    const verify = VERIFY.test(extra);
    const server = await serverOf(rds, host, region);
    if (!server) continue; // neither a proxy nor an instance moto knows: nothing to pair
    if (server.requiresTls && !tls) {
      return { code: 'ClientException', message: `container ${c.name}: WordPress connects to ${host} without TLS (no MYSQLI_CLIENT_SSL in MYSQL_CLIENT_FLAGS), but ${server.why}: every page would say "Error establishing a database connection".` };
    }
    if (server.kind === 'instance' && verify) {
      return { code: 'ClientException', message: `container ${c.name}: WordPress verifies the certificate of RDS instance ${host}, signed by an RDS CA the image does not trust: the connection would fail.` };
    }
  }
  return undefined;
}

async function serverOf(rds: RDSClient, host: string, region: string): Promise<{ kind: 'proxy' | 'instance'; requiresTls: boolean; why: string } | undefined> {
  for await (const page of paginateDescribeDBProxies({ client: rds }, {})) {
    const p = (page.DBProxies ?? []).find((x) => x.Endpoint === host);
    if (p) return { kind: 'proxy', requiresTls: !!p.RequireTLS, why: `RDS Proxy ${p.DBProxyName} requires TLS` };
  }
  for await (const page of paginateDescribeDBInstances({ client: rds }, {})) {
    const db = (page.DBInstances ?? []).find((x) => x.Endpoint?.Address === host);
    if (!db) continue;
    const group = db.DBParameterGroups?.[0]?.DBParameterGroupName;
    // What the group sets, as the RDS shim saw it set through the proxy (moto's DescribeDBParameters
    // answers with another group's); a group set past the proxy has the engine's default.
    const set = group ? parameterMemory.get(`${region}/${group.toLowerCase()}`)?.get('require_secure_transport') : undefined;
    const mariadbDefault = db.Engine === 'mariadb' && (db.EngineVersion ?? '').startsWith('11.8') && set === undefined;
    const requiresTls = set === '1' || set?.toUpperCase() === 'ON' || mariadbDefault;
    return { kind: 'instance', requiresTls, why: mariadbDefault ? `MariaDB 11.8 on RDS requires secure transport by default` : `its parameter group ${group} sets require_secure_transport=${set}` };
  }
  return undefined;
}

function queryError(v: Verdict): Reply {
  const id = `cr3ate-${randomUUID()}`;
  return {
    status: v.status ?? 400,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': id },
    body: `<ErrorResponse><Error><Type>Sender</Type><Code>${v.code}</Code><Message>${v.message.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`,
  };
}

function jsonError(v: Verdict): Reply {
  return { status: v.status ?? 400, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `cr3ate-${randomUUID()}` }, body: JSON.stringify({ __type: v.code, message: v.message }) };
}
