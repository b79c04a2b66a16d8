/**
 * The architecture diagram as a Mermaid `flowchart`, for Markdown (GitHub, GitLab and most wikis
 * render it): region and VPC subgraphs, one subgraph per AZ holding its three subnets. Pure.
 */
import type { SubnetTier } from '../config/cidr.js';
import { TIER_TITLE, engineLabel, imageSourceLabel, shortId, type DiagramModel } from './diagram.js';

/** A quoted Mermaid label; `"` becomes #quot; and lines are joined with <br/>. */
function label(...lines: string[]): string {
  return `"${lines.map((l) => l.replace(/"/g, '#quot;').replace(/[<>]/g, '')).join('<br/>')}"`;
}

export function diagramMermaid(m: DiagramModel): string {
  const id = (key: string) => m.ids[key];
  const withId = (lines: string[], key: string) => (id(key) ? [...lines, shortId(id(key)!)] : lines);
  const out: string[] = ['flowchart TB'];
  const o = (s: string, depth = 1) => out.push(`${'  '.repeat(depth)}${s}`);
  o(`users([${label('Users', 'internet')}])`);
  if (m.domain) o(`route53[${label(...withId(['Route 53', `${m.domain.name} → ALB (alias)`], 'alias-record'))}]`);
  if (m.imageSource !== 'ECR') o(`image[${label(imageSourceLabel(m.imageSource), m.image)}]`);
  o(`subgraph region[${label(`Region ${m.region}`)}]`);
  if (m.domain) o(`acm[${label('Certificate Manager', `certificate ${m.domain.name}`)}]`, 2);
  o(`secrets[${label(...withId(['Secrets Manager', 'database credentials, WordPress salts'], 'db-secret'))}]`, 2);
  o(`cloudwatch[${label(...withId(['CloudWatch', `logs ${m.logRetentionDays} days, Container Insights, alarms`], 'app-log-group'))}]`, 2);
  o(`s3[(${label(...withId(['S3', 'ALB access logs'], 'alb-logs-bucket'))})]`, 2);
  if (m.imageSource === 'ECR') o(`image[${label('ECR', m.image)}]`, 2);
  o(`subgraph vpc[${label(...withId([`VPC ${m.vpcCidr}`], 'vpc'))}]`, 2);
  o(`igw[${label(...withId(['Internet gateway'], 'igw'))}]`, 3);
  o(`alb[${label(...withId(['Application Load Balancer', m.domain ? 'HTTPS :443' : 'HTTP :80'], 'alb'))}]`, 3);
  o(`ecs[${label(...withId(['ECS service', `${m.service.desired} Fargate tasks, auto scaling ${m.service.min}-${m.service.max}`], 'ecs-service'))}]`, 3);
  o(`efs[(${label(...withId(['EFS file system', 'encrypted'], 'efs'))})]`, 3);
  if (m.database.proxy) o(`proxy[${label(...withId(['RDS Proxy'], 'db-proxy'))}]`, 3);
  for (const az of m.azs) {
    const n = az.number;
    o(`subgraph az${n}[${label(`Availability Zone ${n}${az.zone ? ` (${az.zone})` : ''}`)}]`, 3);
    o('direction TB', 4);
    const sub = (tier: SubnetTier) => label(TIER_TITLE[tier], ...withId([az.subnets[tier]], `subnet-${tier}-${az.letter}`));
    o(`subgraph az${n}_public[${sub('public')}]`, 4);
    o(az.nat ? `nat${n}[${label(...withId(['NAT gateway', '+ Elastic IP'], `nat-${az.letter}`))}]` : `nonat${n}[${label('outbound via the NAT in AZ 1')}]`, 5);
    o('end', 4);
    o(`subgraph az${n}_app[${sub('app')}]`, 4);
    o(`task${n}[${label(az.tasks > 0 ? `Fargate tasks x${az.tasks}` : 'no task yet (scales out here)')}]`, 5);
    o(`mount${n}[${label(...withId(['EFS mount target'], `efs-mount-${az.letter}`))}]`, 5);
    o('end', 4);
    o(`subgraph az${n}_data[${sub('data')}]`, 4);
    if (az.rds === 'primary') o(`rds${n}[(${label('RDS primary', `${m.database.instanceClass} ${engineLabel(m)}`)})]`, 5);
    else if (az.rds === 'standby') o(`rds${n}[(${label('RDS standby', 'Multi-AZ')})]`, 5);
    else o(`dbsubnet${n}[${label('DB subnet group only')}]`, 5);
    o('end', 4);
    o('end', 3);
  }
  o('end', 2);
  o('end');
  // Flows.
  o('users --> igw');
  o('igw --> alb');
  if (m.domain) o('route53 -. alias .-> alb');
  const tasks = m.azs.filter((a) => a.tasks > 0).map((a) => `task${a.number}`);
  if (tasks.length) o(`alb --> ${tasks.join(' & ')}`);
  for (const az of m.azs) {
    o(`task${az.number} -. NFS .- mount${az.number}`);
    o(`mount${az.number} -.- efs`);
  }
  if (tasks.length) o(`${tasks.join(' & ')} --> ${m.database.proxy ? 'proxy' : 'rds1'}`);
  if (m.database.proxy) o('proxy --> rds1');
  if (m.database.multiAz && m.azs.length > 1) o('rds1 -. replication .- rds2');
  o('ecs -.- task1');
  o('alb -. access logs .-> s3');
  o(`image -. pulled through NAT .-> ${m.azs[0]!.nat ? 'nat1' : 'igw'}`);
  return out.join('\n') + '\n';
}
