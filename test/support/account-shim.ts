/**
 * What an account answers that moto 5.1.1 does not, as an interceptor for the recording proxy:
 *
 * - Service Quotas: moto knows only the `vpc` quotas' defaults, and has no GetAWSDefaultServiceQuota.
 *   The shim answers GetServiceQuota with the quota's applied value, or NoSuchResourceException when
 *   the account has none (as AWS does), and GetAWSDefaultServiceQuota with AWS's default. By default
 *   every quota the CLI asks for has an applied value of 1000: all e2e stacks share one emulated
 *   account, as a test account whose quotas were raised. A test sets its own with `quotas.set(code, ...)`.
 * - RDS DescribeOrderableDBInstanceOptions: moto answers nothing for MySQL and MariaDB (so every class
 *   would look not orderable). The shim answers from a catalog of what RDS offers (ORDERABLE),
 *   filtered by engine, version and class as AWS filters them.
 */
import type { AwsCall, Reply } from './aws-proxy.js';

export interface TestQuota {
  /** The account's applied value; undefined: none (GetServiceQuota answers NoSuchResourceException). */
  applied?: number;
  /** AWS's default (GetAWSDefaultServiceQuota). */
  default: number;
}

/** AWS's defaults of the quotas wpdeploy checks (their sources: src/resources/quotas.ts). */
export const AWS_DEFAULTS: Record<string, { service: string; name: string; value: number }> = {
  'L-0263D0A3': { service: 'ec2', name: 'EC2-VPC Elastic IPs', value: 5 },
  'L-F678F1CE': { service: 'vpc', name: 'VPCs per Region', value: 5 },
  'L-FE5A380F': { service: 'vpc', name: 'NAT gateways per Availability Zone', value: 5 },
  'L-A4707A72': { service: 'vpc', name: 'Internet gateways per Region', value: 5 },
  'L-53DA6B97': { service: 'elasticloadbalancing', name: 'Application Load Balancers per Region', value: 50 },
  'L-3032A538': { service: 'fargate', name: 'Fargate On-Demand vCPU resource count', value: 6 },
  'L-7B6409FD': { service: 'rds', name: 'DB instances', value: 40 },
};

/** The test account's applied value of every quota unless a test sets another. */
export const TEST_ACCOUNT_QUOTA = 1000;

const minors = (major: string, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${major}.${from + i}`);
/** The engine versions RDS offers (their minors, roughly as of late 2026). */
const VERSIONS: Record<string, string[]> = {
  mysql: [...minors('8.0', 32, 44), ...minors('8.4', 3, 8)],
  mariadb: [...minors('10.5', 25, 29), ...minors('10.6', 18, 23), ...minors('10.11', 8, 14), ...minors('11.4', 3, 8), ...minors('11.8', 1, 4)],
};
const CLASSES = ['db.t3.micro', 'db.t3.small', 'db.t3.medium', 'db.t4g.micro', 'db.t4g.small', 'db.t4g.medium', 'db.t4g.large', 'db.m6g.large', 'db.m7g.large', 'db.r6g.large', 'db.r7g.large'];

export interface Orderable {
  Engine: string;
  EngineVersion: string;
  DBInstanceClass: string;
  StorageType: string;
  MultiAZCapable: boolean;
}

/** What RDS offers in the test Regions: every listed class with every listed version, Multi-AZ, gp2 and gp3. */
export const ORDERABLE: Orderable[] = Object.entries(VERSIONS).flatMap(([Engine, versions]) => versions.flatMap((EngineVersion) =>
  CLASSES.flatMap((DBInstanceClass) => ['gp2', 'gp3'].map((StorageType) => ({ Engine, EngineVersion, DBInstanceClass, StorageType, MultiAZCapable: true })))));

/** Answers at once (no lookup): the reply, or undefined to let the call through. */
export type AccountShim = ((call: AwsCall) => Reply | undefined) & {
  /** Quotas by code; unset codes have TEST_ACCOUNT_QUOTA applied, and AWS's default. */
  readonly quotas: Map<string, TestQuota>;
};

const json = (status: number, body: unknown, type?: string): Reply => ({
  status,
  body: JSON.stringify(type ? { __type: type, message: (body as { message: string }).message } : body),
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `shim-${Date.now()}`, ...(type ? { 'x-amzn-errortype': type } : {}) },
});

function serviceQuota(call: AwsCall, quotas: Map<string, TestQuota>): Reply {
  const { ServiceCode, QuotaCode } = JSON.parse(call.body) as { ServiceCode: string; QuotaCode: string };
  const known = AWS_DEFAULTS[QuotaCode];
  if (!known || known.service !== ServiceCode) return json(400, { message: `The request failed because the specified service quota ${ServiceCode}/${QuotaCode} does not exist.` }, 'NoSuchResourceException');
  const q = quotas.get(QuotaCode) ?? { applied: TEST_ACCOUNT_QUOTA, default: known.value };
  const applied = call.operation === 'GetServiceQuota';
  if (applied && q.applied === undefined) return json(400, { message: 'The request failed because the specified service quota does not have an applied value.' }, 'NoSuchResourceException');
  return json(200, {
    Quota: {
      ServiceCode, ServiceName: ServiceCode, QuotaCode, QuotaName: known.name, Value: applied ? q.applied : q.default,
      QuotaArn: `arn:aws:servicequotas:${call.region}:123456789012:${ServiceCode}/${QuotaCode}`, Unit: 'None', Adjustable: true, GlobalQuota: false,
    },
  });
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function orderable(call: AwsCall): Reply {
  const p = new URLSearchParams(call.body);
  const match = (o: Orderable) => o.Engine === p.get('Engine') &&
    (!p.get('EngineVersion') || o.EngineVersion === p.get('EngineVersion')) && (!p.get('DBInstanceClass') || o.DBInstanceClass === p.get('DBInstanceClass'));
  const items = ORDERABLE.filter(match).map((o) => `<OrderableDBInstanceOption><Engine>${xml(o.Engine)}</Engine><EngineVersion>${o.EngineVersion}</EngineVersion>` +
    `<DBInstanceClass>${o.DBInstanceClass}</DBInstanceClass><StorageType>${o.StorageType}</StorageType><MultiAZCapable>${o.MultiAZCapable}</MultiAZCapable><Vpc>true</Vpc></OrderableDBInstanceOption>`);
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `<DescribeOrderableDBInstanceOptionsResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeOrderableDBInstanceOptionsResult>` +
      `<OrderableDBInstanceOptions>${items.join('')}</OrderableDBInstanceOptions></DescribeOrderableDBInstanceOptionsResult>` +
      `<ResponseMetadata><RequestId>shim-${Date.now()}</RequestId></ResponseMetadata></DescribeOrderableDBInstanceOptionsResponse>`,
  };
}

export function accountShim(): AccountShim {
  const quotas = new Map<string, TestQuota>();
  const fn = (call: AwsCall): Reply | undefined => {
    if (call.service === 'servicequotas' && (call.operation === 'GetServiceQuota' || call.operation === 'GetAWSDefaultServiceQuota')) return serviceQuota(call, quotas);
    if (call.service === 'rds' && call.operation === 'DescribeOrderableDBInstanceOptions') return orderable(call);
    return undefined;
  };
  return Object.assign(fn, { quotas });
}
