/**
 * Where moto 5.1.1's RDS falls short of AWS in ways the CLI sees, an interceptor for the recording
 * proxy that answers as AWS would (never make the product more lenient; make the test support strict):
 *
 * - DescribeDBMajorEngineVersions is not implemented. The shim answers it from AWS's published RDS
 *   calendar (below: its own copy, so that a wrong date in the product's offline table shows), with
 *   SupportedEngineLifecycles as AWS gives them: standard support for every major, Extended Support
 *   for MySQL only (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/extended-support-viewing-support-dates.html).
 * - CreateDBInstance, RestoreDBInstanceFromDBSnapshot and ModifyDBInstance drop EngineLifecycleSupport,
 *   and DescribeDBInstances never returns it. The shim remembers what each call set (AWS's default
 *   for a MySQL instance created without it: `open-source-rds-extended-support`) and adds it to the
 *   DescribeDBInstances answer.
 *
 * - DescribeDBParameters ignores the group name and answers with the parameters of the first group
 *   moto holds (moto 5.1.1 filters on a key it never sets), and ignores `Source`. The shim keeps
 *   the parameters each ModifyDBParameterGroup set (`parameterMemory`, shared with the creation
 *   rules) and answers DescribeDBParameters for those groups as AWS does with `Source=user`; for a
 *   group it saw deleted, DBParameterGroupNotFound.
 * - The Resource Groups Tagging API (GetResources) leaves out RDS parameter groups and subnet
 *   groups, which AWS indexes. The shim adds them, with their tags, to the last page of moto's answer.
 */
import { DescribeDBParameterGroupsCommand, DescribeDBSubnetGroupsCommand, ListTagsForResourceCommand, RDSClient } from '@aws-sdk/client-rds';
import type { AwsCall, Interceptor, Reply } from './aws-proxy.js';

/** AWS's RDS calendar, read 2026-12-07 (MySQL and MariaDB release calendars of the RDS User Guide). */
export const AWS_RDS_CALENDAR: Record<string, Record<string, { start: string; standardEnd: string; extendedEnd?: string }>> = {
  mysql: {
    '5.7': { start: '2015-10-21', standardEnd: '2024-02-29', extendedEnd: '2027-02-28' },
    '8.0': { start: '2018-10-23', standardEnd: '2026-07-31', extendedEnd: '2029-07-31' },
    '8.4': { start: '2024-11-21', standardEnd: '2029-07-31', extendedEnd: '2032-07-31' },
  },
  mariadb: {
    '10.11': { start: '2023-08-21', standardEnd: '2028-02-29' },
    '11.4': { start: '2024-10-15', standardEnd: '2029-05-31' },
    '11.8': { start: '2025-08-25', standardEnd: '2030-06-30' },
  },
};

export const EXTENDED = 'open-source-rds-extended-support';

/**
 * The parameters set in each DB parameter group through a proxy, by `<region>/<group>`: what AWS
 * returns for DescribeDBParameters with Source=user. Groups created past the proxy are not in it.
 */
export const parameterMemory = new Map<string, Map<string, string>>();
const groupKey = (region: string, name: string) => `${region}/${name.toLowerCase()}`;

function parametersXml(params: Map<string, string>): string {
  const members = [...params].map(([k, v]) => `<Parameter><ParameterName>${xml(k)}</ParameterName><ParameterValue>${xml(v)}</ParameterValue><Source>user</Source><ApplyType>dynamic</ApplyType><IsModifiable>true</IsModifiable></Parameter>`);
  return `<DescribeDBParametersResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBParametersResult><Parameters>${members.join('')}</Parameters></DescribeDBParametersResult><ResponseMetadata><RequestId>shim-${Date.now()}</RequestId></ResponseMetadata></DescribeDBParametersResponse>`;
}

export interface RdsShim extends Interceptor {
  /** EngineLifecycleSupport of each instance, as AWS would hold it. */
  readonly lifecycle: Map<string, string>;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const iso = (d: string) => `${d}T00:00:00Z`;

function majorVersionsXml(engine: string, only: string | null): string {
  const majors = Object.entries(AWS_RDS_CALENDAR[engine] ?? {}).filter(([m]) => !only || m === only);
  return majors.map(([m, c]) => {
    const lifecycles = [
      `<SupportedEngineLifecycle><LifecycleSupportName>open-source-rds-standard-support</LifecycleSupportName><LifecycleSupportStartDate>${iso(c.start)}</LifecycleSupportStartDate><LifecycleSupportEndDate>${iso(c.standardEnd)}</LifecycleSupportEndDate></SupportedEngineLifecycle>`,
      ...(c.extendedEnd ? [`<SupportedEngineLifecycle><LifecycleSupportName>${EXTENDED}</LifecycleSupportName><LifecycleSupportStartDate>${iso(c.standardEnd)}</LifecycleSupportStartDate><LifecycleSupportEndDate>${iso(c.extendedEnd)}</LifecycleSupportEndDate></SupportedEngineLifecycle>`] : []),
    ];
    // List members are named as the RDS API model names them (DBMajorEngineVersion, SupportedEngineLifecycle).
    return `<DBMajorEngineVersion><Engine>${xml(engine)}</Engine><MajorEngineVersion>${xml(m)}</MajorEngineVersion><SupportedEngineLifecycles>${lifecycles.join('')}</SupportedEngineLifecycles></DBMajorEngineVersion>`;
  }).join('');
}

export function rdsShim(motoEndpoint: string): RdsShim {
  const lifecycle = new Map<string, string>();
  const deleted = new Set<string>();
  const fn = async (call: AwsCall): Promise<Reply | undefined> => {
    if (call.service === 'tagging' && call.operation === 'GetResources') return taggedWithRdsGroups(motoEndpoint, call);
    if (call.service !== 'rds') return undefined;
    const p = new URLSearchParams(call.body);
    const id = p.get('DBInstanceIdentifier')?.toLowerCase();
    switch (call.operation) {
      case 'DescribeDBMajorEngineVersions': {
        const body = `<DescribeDBMajorEngineVersionsResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><DescribeDBMajorEngineVersionsResult><DBMajorEngineVersions>${majorVersionsXml(p.get('Engine') ?? '', p.get('MajorEngineVersion'))}</DBMajorEngineVersions></DescribeDBMajorEngineVersionsResult><ResponseMetadata><RequestId>shim-${Date.now()}</RequestId></ResponseMetadata></DescribeDBMajorEngineVersionsResponse>`;
        return { status: 200, body, headers: { 'content-type': 'text/xml' } };
      }
      case 'CreateDBInstance':
      case 'RestoreDBInstanceFromDBSnapshot':
        // AWS's default for MySQL (and PostgreSQL): enrolled in Extended Support.
        if (id) lifecycle.set(id, p.get('EngineLifecycleSupport') ?? (p.get('Engine') === 'mariadb' ? '' : EXTENDED));
        return undefined;
      case 'ModifyDBInstance':
        if (id && p.get('EngineLifecycleSupport')) lifecycle.set(id, p.get('EngineLifecycleSupport')!);
        return undefined;
      case 'DescribeDBInstances':
        return describeWithLifecycle(motoEndpoint, call, lifecycle);
      case 'CreateDBParameterGroup':
        parameterMemory.set(groupKey(call.region, p.get('DBParameterGroupName') ?? ''), new Map());
        deleted.delete(groupKey(call.region, p.get('DBParameterGroupName') ?? ''));
        return undefined;
      case 'ModifyDBParameterGroup': {
        const key = groupKey(call.region, p.get('DBParameterGroupName') ?? '');
        const params = parameterMemory.get(key) ?? new Map<string, string>();
        for (let i = 1; p.has(`Parameters.Parameter.${i}.ParameterName`); i++) {
          params.set(p.get(`Parameters.Parameter.${i}.ParameterName`)!, p.get(`Parameters.Parameter.${i}.ParameterValue`) ?? '');
        }
        parameterMemory.set(key, params);
        return undefined;
      }
      case 'DeleteDBParameterGroup':
        parameterMemory.delete(groupKey(call.region, p.get('DBParameterGroupName') ?? ''));
        deleted.add(groupKey(call.region, p.get('DBParameterGroupName') ?? ''));
        return undefined;
      case 'DescribeDBParameters': {
        const key = groupKey(call.region, p.get('DBParameterGroupName') ?? '');
        const params = parameterMemory.get(key);
        if (params) return { status: 200, body: parametersXml(params), headers: { 'content-type': 'text/xml' } };
        if (!deleted.has(key)) return undefined;
        const body = `<ErrorResponse><Error><Type>Sender</Type><Code>DBParameterGroupNotFound</Code><Message>DBParameterGroup not found: ${xml(p.get('DBParameterGroupName') ?? '')}</Message></Error><RequestId>shim-${Date.now()}</RequestId></ErrorResponse>`;
        return { status: 404, body, headers: { 'content-type': 'text/xml' } };
      }
      default:
        return undefined;
    }
  };
  return Object.assign(fn, { lifecycle });
}

/** moto's DescribeDBInstances answer, each instance given the EngineLifecycleSupport AWS would hold. */
async function describeWithLifecycle(motoEndpoint: string, call: AwsCall, lifecycle: Map<string, string>): Promise<Reply> {
  const res = await fetch(motoEndpoint + call.path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', authorization: String(call.headers.authorization ?? '') },
    body: call.body,
  });
  const text = await res.text();
  if (!res.ok) return { status: res.status, body: text, headers: { 'content-type': res.headers.get('content-type') ?? 'text/xml' } };
  const body = text.replace(/<DBInstance>([\s\S]*?)<\/DBInstance>/g, (whole, inner: string) => {
    const instance = /<DBInstanceIdentifier>([^<]+)<\/DBInstanceIdentifier>/.exec(inner)?.[1]?.toLowerCase();
    const engine = /<Engine>([^<]+)<\/Engine>/.exec(inner)?.[1];
    const value = (instance && lifecycle.get(instance)) ?? (engine === 'mariadb' ? '' : EXTENDED);
    if (!value || inner.includes('<EngineLifecycleSupport>')) return whole;
    return `<DBInstance>${inner}<EngineLifecycleSupport>${value}</EngineLifecycleSupport></DBInstance>`;
  });
  return { status: 200, body, headers: { 'content-type': 'text/xml' } };
}

interface TaggingBody {
  TagFilters?: Array<{ Key?: string; Values?: string[] }>;
  ResourceTypeFilters?: string[];
}

/** moto's GetResources answer, with the RDS parameter and subnet groups AWS would list too. */
async function taggedWithRdsGroups(motoEndpoint: string, call: AwsCall): Promise<Reply> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.1', 'x-amz-target': String(call.headers['x-amz-target'] ?? ''), authorization: String(call.headers.authorization ?? ''),
  };
  const res = await fetch(motoEndpoint + call.path, { method: 'POST', headers, body: call.body });
  const text = await res.text();
  if (!res.ok) return { status: res.status, body: text, headers: { 'content-type': 'application/x-amz-json-1.1' } };
  const doc = JSON.parse(text) as { ResourceTagMappingList?: Array<{ ResourceARN?: string; Tags?: Array<{ Key?: string; Value?: string }> }>; PaginationToken?: string };
  const req = JSON.parse(call.body || '{}') as TaggingBody;
  const types = req.ResourceTypeFilters ?? [];
  const wantsRds = types.length === 0 || types.some((t) => t === 'rds' || t === 'rds:pg' || t === 'rds:subgrp');
  if (!wantsRds || doc.PaginationToken) return { status: 200, body: text, headers: { 'content-type': 'application/x-amz-json-1.1' } };
  const rds = new RDSClient({ endpoint: motoEndpoint, region: call.region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 2 });
  try {
    const arns = [
      ...((await rds.send(new DescribeDBParameterGroupsCommand({}))).DBParameterGroups ?? []).map((g) => g.DBParameterGroupArn),
      ...((await rds.send(new DescribeDBSubnetGroupsCommand({}))).DBSubnetGroups ?? []).map((g) => g.DBSubnetGroupArn),
    ].filter((a): a is string => !!a);
    const listed = new Set((doc.ResourceTagMappingList ?? []).map((m) => m.ResourceARN));
    for (const arn of arns) {
      if (listed.has(arn)) continue;
      const tags = (await rds.send(new ListTagsForResourceCommand({ ResourceName: arn }))).TagList ?? [];
      const matches = (req.TagFilters ?? []).every((f) => tags.some((t) => t.Key === f.Key && (!f.Values?.length || f.Values.includes(t.Value ?? ''))));
      if (tags.length && matches) (doc.ResourceTagMappingList ??= []).push({ ResourceARN: arn, Tags: tags.map((t) => ({ Key: t.Key, Value: t.Value })) });
    }
  } finally {
    rds.destroy();
  }
  return { status: 200, body: JSON.stringify(doc), headers: { 'content-type': 'application/x-amz-json-1.1' } };
}
