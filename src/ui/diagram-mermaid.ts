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
  const line = (s: string, depth = 1) => out.push(`${'  '.repeat(depth)}${s}`);
  line(`users([${label('Users', 'internet')}])`);
  if (m.domain) line(`route53[${label(...withId(['Route 53', `${m.domain.name} → ALB (alias)`], 'alias-record'))}]`);
  if (m.imageSource !== 'ECR') line(`image[${label(imageSourceLabel(m.imageSource), m.image)}]`);
  line(`subgraph region[${label(`Region ${m.region}`)}]`);
  if (m.domain) line(`acm[${label('Certificate Manager', `certificate ${m.domain.name}`)}]`, 2);
  line(`secrets[${label(...withId(['Secrets Manager', 'database credentials, WordPress salts'], 'db-secret'))}]`, 2);
  line(`cloudwatch[${label(...withId(['CloudWatch', `logs ${m.logRetentionDays} days, Container Insights, alarms`], 'app-log-group'))}]`, 2);
  line(`s3[(${label(...withId(['S3', 'ALB access logs'], 'alb-logs-bucket'))})]`, 2);
  if (m.imageSource === 'ECR') line(`image[${label('ECR', m.image)}]`, 2);
  line(`subgraph vpc[${label(...withId([`VPC ${m.vpcCidr}`], 'vpc'))}]`, 2);
  line(`igw[${label(...withId(['Internet gateway'], 'igw'))}]`, 3);
  line(`alb[${label(...withId(['Application Load Balancer', m.domain ? 'HTTPS :443' : 'HTTP :80'], 'alb'))}]`, 3);
  line(`ecs[${label(...withId(['ECS service', `${m.service.desired} Fargate tasks, auto scaling ${m.service.min}-${m.service.max}`], 'ecs-service'))}]`, 3);
  line(`efs[(${label(...withId(['EFS file system', 'encrypted'], 'efs'))})]`, 3);
  if (m.database.proxy) line(`proxy[${label(...withId(['RDS Proxy'], 'db-proxy'))}]`, 3);
  for (const az of m.azs) {
    const n = az.number;
    line(`subgraph az${n}[${label(`Availability Zone ${n}${az.zone ? ` (${az.zone})` : ''}`)}]`, 3);
    line('direction TB', 4);
    const sub = (tier: SubnetTier) => label(TIER_TITLE[tier], ...withId([az.subnets[tier]], `subnet-${tier}-${az.letter}`));
    line(`subgraph az${n}_public[${sub('public')}]`, 4);
    line(az.nat ? `nat${n}[${label(...withId(['NAT gateway', '+ Elastic IP'], `nat-${az.letter}`))}]` : `nonat${n}[${label('outbound via the NAT in AZ 1')}]`, 5);
    line('end', 4);
    line(`subgraph az${n}_app[${sub('app')}]`, 4);
    line(`task${n}[${label(az.tasks > 0 ? `Fargate tasks x${az.tasks}` : 'no task yet (scales out here)')}]`, 5);
    line(`mount${n}[${label(...withId(['EFS mount target'], `efs-mount-${az.letter}`))}]`, 5);
    line('end', 4);
    line(`subgraph az${n}_data[${sub('data')}]`, 4);
    if (az.rds === 'primary') line(`rds${n}[(${label('RDS primary', `${m.database.instanceClass} ${engineLabel(m)}`)})]`, 5);
    else if (az.rds === 'standby') line(`rds${n}[(${label('RDS standby', 'Multi-AZ')})]`, 5);
    else line(`dbsubnet${n}[${label('DB subnet group only')}]`, 5);
    line('end', 4);
    line('end', 3);
  }
  line('end', 2);
  line('end');
  // Flows.
  line('users --> igw');
  line('igw --> alb');
  if (m.domain) line('route53 -. alias .-> alb');
  const tasks = m.azs.filter((a) => a.tasks > 0).map((a) => `task${a.number}`);
  if (tasks.length) line(`alb --> ${tasks.join(' & ')}`);
  for (const az of m.azs) {
    line(`task${az.number} -. NFS .- mount${az.number}`);
    line(`mount${az.number} -.- efs`);
  }
  if (tasks.length) line(`${tasks.join(' & ')} --> ${m.database.proxy ? 'proxy' : 'rds1'}`);
  if (m.database.proxy) line('proxy --> rds1');
  if (m.database.multiAz && m.azs.length > 1) line('rds1 -. replication .- rds2');
  line('ecs -.- task1');
  line('alb -. access logs .-> s3');
  line(`image -. pulled through NAT .-> ${m.azs[0]!.nat ? 'nat1' : 'igw'}`);
  return out.join('\n') + '\n';
}
