/**
 * The architecture diagram as a self-contained SVG (no external font, image or stylesheet): the
 * region, the VPC, one column per AZ with its public/app/data subnets, the ALB across the public
 * subnets, NAT gateways, Fargate tasks, EFS mount targets, RDS primary/standby (and RDS Proxy), and
 * the side services. Elements carry data-kind, data-tier and data-az attributes, so tools (and tests)
 * can read the structure back. Pure: returns a string.
 */
import type { SubnetTier } from '../config/cidr.js';
import { drawnStepIds, engineLabel, imageSourceLabel, shortId, type DiagramAz, type DiagramModel } from './diagram.js';
import { cutLines } from './style.js';
import { arrow, box, COLOR, esc, FONT, idLines, rect, text, textWidth, wrap } from './svg-shapes.js';

// Geometry (px).
const COL_W = 300; // one AZ column
const GAP = 32; // between AZ columns
const INSET = 14; // subnet inside its AZ
const SUB_W = COL_W - 2 * INSET;
const LANE = 40; // x of the traffic lane inside a subnet (left of the titles)
const TITLE_X = 54; // subnet titles start right of the lane
const SIDE_W = 240;
const RDS_W = 180; // leaves room right of the primary for the replication label, inside its subnet

/** Short subnet titles (the lock badge marks the private ones, as in AWS diagrams). */
const SHORT_TITLE: Record<SubnetTier, string> = { public: 'Public subnet', app: 'App subnet', data: 'Data subnet' };



interface Layout {
  regionX: number; regionY: number; vpcX: number; vpcY: number; vpcW: number;
  colX: (i: number) => number; spine: number;
  rowY: number; azY: number; pubY: number; pubH: number; appY: number; appH: number; dataY: number; dataH: number; azBottom: number; vpcBottom: number;
  sideX: number;
}

function layout(m: DiagramModel): Layout {
  const regionX = 20;
  const regionY = 108;
  const vpcX = regionX + 22;
  const vpcY = regionY + 46;
  const colX = (i: number) => vpcX + 22 + i * (COL_W + GAP);
  const areaW = m.azs.length * COL_W + (m.azs.length - 1) * GAP;
  const vpcW = areaW + 44;
  const spine = colX(0) + COL_W + GAP / 2;
  const rowY = vpcY + 48;
  const azY = rowY + 96;
  const pubY = azY + 32;
  const pubH = 148;
  const appY = pubY + pubH + 30;
  const appH = 112;
  const dataY = appY + appH + 30;
  const dataH = m.database.proxy ? 156 : 112;
  const azBottom = dataY + dataH + 14;
  const vpcBottom = azBottom + 20;
  return { regionX, regionY, vpcX, vpcY, vpcW, colX, spine, rowY, azY, pubY, pubH, appY, appH, dataY, dataH, azBottom, vpcBottom, sideX: vpcX + vpcW + 26 };
}

function subnet(m: DiagramModel, L: Layout, az: DiagramAz, tier: SubnetTier, y: number, h: number): string {
  const x = L.colX(az.number - 1) + INSET;
  const c = COLOR.tier[tier];
  const id = m.ids[`subnet-${tier}-${az.letter}`];
  return [
    `<g data-kind="subnet" data-tier="${tier}" data-az="${az.number}">`,
    rect(x, y, SUB_W, h, { fill: c.fill, stroke: c.stroke, width: 1.2 }),
    `<rect x="${x + 8}" y="${y + 8}" width="16" height="16" rx="2" fill="${c.stroke}"/>`,
    `<path d="M${x + 12.5} ${y + 15.5} v-2.5 a3.5 3.5 0 0 1 7 0 v2.5 M${x + 11} ${y + 15.5} h10 v6 h-10 z" fill="#ffffff" stroke="#ffffff" stroke-width="1"/>`,
    text(x + TITLE_X, y + 18, SHORT_TITLE[tier], { size: 12, weight: 'bold', color: c.text }),
    text(x + SUB_W - 10, y + 18, az.subnets[tier], { size: 10.5, color: c.text, mono: true, anchor: 'end' }),
    id ? text(x + TITLE_X, y + 33, id, { size: 10, color: COLOR.muted, mono: true, width: SUB_W - TITLE_X - 10 }) : '',
    '</g>',
  ].join('');
}

function azColumn(m: DiagramModel, L: Layout, az: DiagramAz): string {
  const i = az.number - 1;
  const x = L.colX(i);
  const sx = x + INSET;
  const out: string[] = [];
  out.push(`<g data-kind="az" data-az="${az.number}">`);
  out.push(rect(x, L.azY, COL_W, L.azBottom - L.azY, { stroke: COLOR.az, dash: true, width: 1.3 }));
  out.push(text(x + 10, L.azY + 20, `Availability Zone ${az.number}${az.zone ? ` · ${az.zone}` : ''}`, { size: 12.5, weight: 'bold', color: COLOR.az }));
  out.push('</g>');
  out.push(subnet(m, L, az, 'public', L.pubY, L.pubH));
  out.push(subnet(m, L, az, 'app', L.appY, L.appH));
  out.push(subnet(m, L, az, 'data', L.dataY, L.dataH));

  // Public subnet: the NAT gateway (right side; the lane on the left carries ALB -> tasks).
  const natX = sx + 108;
  const natW = SUB_W - 108 - 10;
  if (az.nat) {
    const natId = m.ids[`nat-${az.letter}`];
    out.push(box('nat', natX, L.pubY + 98, natW, 42, COLOR.network, 'NAT gateway', natId ? [] : ['+ Elastic IP'], { id: natId, attrs: `data-az="${az.number}" data-tier="public"` }));
  } else {
    out.push(text(natX + natW / 2, L.pubY + 116, 'no NAT here: outbound', { size: 10.5, color: COLOR.muted, anchor: 'middle' }));
    out.push(text(natX + natW / 2, L.pubY + 130, 'via the NAT in AZ 1', { size: 10.5, color: COLOR.muted, anchor: 'middle' }));
  }

  // App subnet: Fargate tasks (left), EFS mount target (right).
  const taskY = L.appY + 44;
  if (az.tasks > 0) {
    out.push(box('task', sx + 12, taskY, 56, 54, COLOR.compute, 'Task', ['Fargate'], { attrs: `data-az="${az.number}" data-tier="app"` }));
    if (az.tasks > 1) out.push(box('task', sx + 74, taskY, 56, 54, COLOR.compute, az.tasks === 2 ? 'Task' : `+${az.tasks - 1}`, [az.tasks === 2 ? 'Fargate' : 'tasks'], { attrs: `data-az="${az.number}" data-tier="app"` }));
  } else {
    out.push(box('task-slot', sx + 12, taskY, 118, 54, COLOR.compute, 'no task yet', ['scales out here'], { dash: true, attrs: `data-az="${az.number}" data-tier="app"` }));
  }
  out.push(box('efs-mount', sx + 140, taskY, SUB_W - 150, 54, COLOR.storage, 'Mount target', ['EFS, NFS over TLS'], { id: m.ids[`efs-mount-${az.letter}`], attrs: `data-az="${az.number}" data-tier="app"` }));

  // Data subnet: RDS primary / standby.
  const rdsY = L.dataY + (m.database.proxy ? 94 : 44);
  if (az.rds) {
    const lines = az.rds === 'primary' ? [`${m.database.instanceClass} · ${engineLabel(m)}`, `${m.database.storageGb} GB gp3, encrypted`] : ['Multi-AZ standby', 'synchronous copy'];
    out.push(box(`rds-${az.rds}`, sx + 12, rdsY, RDS_W, 56, COLOR.database, az.rds === 'primary' ? 'RDS primary' : 'RDS standby', lines, { id: az.rds === 'primary' ? m.ids['db'] : undefined, attrs: `data-az="${az.number}" data-tier="data"` }));
  } else {
    const note = az.number === 2 && !m.database.multiAz ? '(no standby: multiAz is false)' : '(in the DB subnet group)';
    out.push(text(sx + 12 + 100, rdsY + 30, note, { size: 10.5, color: COLOR.muted, anchor: 'middle' }));
  }
  return out.join('\n');
}

/** The internet gateway's box, straddling the VPC's top edge: taller and wider with a recorded id. */
function igwSize(m: DiagramModel): { w: number; h: number } {
  return m.ids.igw ? { w: 200, h: 44 } : { w: 140, h: 34 };
}

/** Traffic: users -> IGW -> ALB -> tasks -> database (through the proxy when there is one). */
function flows(m: DiagramModel, L: Layout): string {
  const out: string[] = [];
  const igw = igwSize(m);
  out.push(arrow([[L.spine, 70], [L.spine, L.vpcY - igw.h / 2]]));
  out.push(arrow([[L.spine, L.vpcY + igw.h / 2], [L.spine, L.pubY + 44]]));
  const lane = (i: number) => L.colX(i) + INSET + LANE;
  const taskTop = L.appY + 44;
  const taskBottom = taskTop + 54;
  for (const az of m.azs) {
    const x = lane(az.number - 1);
    out.push(arrow([[x, L.pubY + 86], [x, taskTop]], { head: true }));
  }
  const withTasks = m.azs.filter((a) => a.tasks > 0);
  const primaryX = lane(0);
  if (m.database.proxy) {
    for (const az of withTasks) out.push(arrow([[lane(az.number - 1), taskBottom], [lane(az.number - 1), L.dataY + 44]]));
    const px = L.colX(0) + INSET + 12 + 100;
    out.push(arrow([[px, L.dataY + 82], [px, L.dataY + 94]]));
  } else {
    const bus = L.appY + L.appH + 15;
    const far = Math.max(...withTasks.map((a) => lane(a.number - 1)));
    for (const az of withTasks) if (az.number > 1) out.push(arrow([[lane(az.number - 1), taskBottom], [lane(az.number - 1), bus]], { head: false }));
    if (far > primaryX) out.push(arrow([[far, bus], [primaryX, bus]], { head: false }));
    out.push(arrow([[primaryX, withTasks.some((a) => a.number === 1) ? taskBottom : bus], [primaryX, L.dataY + 44]]));
  }
  if (m.database.multiAz && m.azs.length > 1) {
    const y = L.dataY + (m.database.proxy ? 94 : 44) + 28;
    const x1 = L.colX(0) + INSET + 12 + RDS_W;
    const x2 = L.colX(1) + INSET + 12;
    out.push(arrow([[x1, y], [x2, y]], { dash: true, head: false, color: COLOR.database, flow: 'replication' }));
    // Above the line inside the primary's subnet, where no border runs.
    out.push(text(x1 + 6, y - 6, 'replication', { size: 10, color: COLOR.database }));
  }
  return out.join('\n');
}

interface Box { x: number; y: number; w: number; h: number }

/**
 * What connects beyond the traffic path: the ECS service runs the tasks, each task mounts EFS in its
 * AZ and pulls its image (and reaches out) through a NAT gateway, and Route 53 points the domain at
 * the ALB. ECS and EFS reach their tasks and mount targets through the VPC's side margins.
 */
function links(m: DiagramModel, L: Layout, registry: Box, route53?: Box): string {
  const out: string[] = [];
  const taskY = L.appY + 44;
  const taskMid = taskY + 27;
  const sx = (az: DiagramAz) => L.colX(az.number - 1) + INSET;
  const last = m.azs[m.azs.length - 1]!;
  for (const az of m.azs) {
    if (az.tasks === 0) continue;
    const taskRight = sx(az) + (az.tasks > 1 ? 130 : 68);
    out.push(arrow([[taskRight, taskMid], [sx(az) + 140, taskMid]], { color: COLOR.storage, flow: 'task-efs' }));
    if (!az.nat) continue;
    // Up left of the subnet's title, across between the subnets, up into the NAT: no text crossed.
    const x = sx(az) + 28;
    out.push(arrow([[x, taskY], [x, L.appY - 12], [sx(az) + 130, L.appY - 12], [sx(az) + 130, L.pubY + 140]], { dash: true, color: COLOR.network, flow: 'task-nat' }));
  }
  // The NAT gateways to the image registry: a line under the ALB, then up the VPC's right margin.
  const nats = m.azs.filter((a) => a.nat).map((a) => sx(a) + 108 + (SUB_W - 118) / 2);
  const bus = L.pubY + 92;
  const out15 = L.colX(m.azs.length - 1) + COL_W + 15;
  for (const x of nats) out.push(arrow([[x, L.pubY + 98], [x, bus]], { head: false, dash: true, color: COLOR.network }));
  const toRegistry: Array<[number, number]> = registry.y + registry.h < L.regionY
    ? out15 >= registry.x + 10 && out15 <= registry.x + registry.w - 10
      ? [[out15, registry.y + registry.h]]
      : [[out15, registry.y + registry.h / 2], [out15 > registry.x ? registry.x + registry.w : registry.x, registry.y + registry.h / 2]]
    : [[out15, registry.y + registry.h / 2], [registry.x, registry.y + registry.h / 2]];
  out.push(arrow([[Math.min(...nats), bus], [out15, bus], ...toRegistry], { dash: true, color: COLOR.network, flow: 'nat-registry' }));
  // The ECS service to the tasks (left margin), the file system to its mount targets (right margin).
  const rowMid = L.rowY + 40;
  const left = L.vpcX + 11;
  out.push(arrow([[L.colX(0), rowMid], [left, rowMid], [left, taskMid], [sx(m.azs[0]!) + 12, taskMid]], { dash: true, color: COLOR.compute, flow: 'ecs-tasks' }));
  const efsRight = L.colX(Math.min(1, m.azs.length - 1)) + COL_W;
  const out7 = L.colX(m.azs.length - 1) + COL_W + 7;
  out.push(arrow([[efsRight, rowMid], [out7, rowMid], [out7, taskMid], [sx(last) + SUB_W - 10, taskMid]], { dash: true, color: COLOR.storage, flow: 'efs-mounts' }));
  if (route53) {
    const x = L.regionX + 7;
    const albMid = L.pubY + 65;
    out.push(arrow([[x, route53.y + route53.h], [x, albMid], [L.colX(0) + INSET, albMid]], { dash: true, color: COLOR.network, flow: 'route53-alb' }));
    out.push(text(x + 5, route53.y + route53.h + 18, 'alias', { size: 10, color: COLOR.network }));
  }
  return out.join('\n');
}

/** The side services, stacked in the region to the right of the VPC; returns the markup, its bottom and where each box is. */
function sideServices(m: DiagramModel, L: Layout): { svg: string; bottom: number; at: Record<string, Box> } {
  const items: Array<[string, string, string, string[]]> = [];
  if (m.domain) items.push(['acm', COLOR.security, 'Certificate Manager', [`TLS certificate ${m.domain.name}`, `validated by DNS in ${m.domain.hostedZone}`]]);
  items.push(['secrets', COLOR.security, 'Secrets Manager', ['database credentials', 'WordPress keys and salts']]);
  items.push(['cloudwatch', COLOR.monitoring, 'CloudWatch', [`task logs, ${m.logRetentionDays} days${m.flowLogs ? ' · VPC flow logs' : ''}`, 'Container Insights · scaling alarms']]);
  items.push(['s3', COLOR.storage, 'S3 bucket', ['ALB access logs', 'SSE-S3, no public access']]);
  if (m.imageSource === 'ECR') items.push(['ecr', COLOR.compute, 'ECR', [m.image.split('/').slice(1).join('/')]]);
  const ids: Record<string, string | undefined> = { acm: m.ids.certificate, secrets: m.ids['db-secret'], cloudwatch: m.ids['app-log-group'], s3: m.ids['alb-logs-bucket'] };
  let y = L.vpcY;
  const out: string[] = [];
  const at: Record<string, Box> = {};
  for (const [kind, color, title, lines] of items) {
    const id = ids[kind];
    const h = 64 + (id ? 12 * idLines(shortId(id), SIDE_W - 12).length : 0);
    out.push(box(kind, L.sideX, y, SIDE_W, h, color, title, lines, { id, attrs: 'data-side="true"' }));
    at[kind] = { x: L.sideX, y, w: SIDE_W, h };
    y += h + 14;
  }
  return { svg: out.join('\n'), bottom: y - 14, at };
}

/** How many recorded resources the drawing names, and where to see the rest. */
function recordedNote(m: DiagramModel): string {
  const drawn = drawnStepIds(m.azs.length);
  const shown = m.recorded.filter((r) => drawn.has(r.step)).length;
  const rest = m.recorded.length - shown;
  return `Recorded in the state file: ${m.recorded.length} resources, ${shown} of them named above${rest ? ` (\`wpdeploy status\` lists all ${m.recorded.length})` : ''}.`;
}

/** The whole diagram. */
export function diagramSvg(m: DiagramModel, opts: { source?: string } = {}): string {
  const L = layout(m);
  const side = sideServices(m, L);
  const regionBottom = Math.max(L.vpcBottom, side.bottom) + 22;
  const regionW = L.sideX + SIDE_W + 22 - L.regionX;
  const width = L.regionX + regionW + 20;
  const footer: string[] = [
    `Planned from ${opts.source ?? 'the config'}: stack ${m.stack}, ${m.azs.length} AZs, NAT ${m.natGateways === 'perAz' ? 'per AZ' : 'single'}, ${m.service.desired} tasks (${m.service.cpu / 1024} vCPU / ${m.service.memory / 1024} GB), ${engineLabel(m)} ${m.database.multiAz ? 'Multi-AZ' : 'Single-AZ'}${m.database.proxy ? ' + RDS Proxy' : ''}. App and data subnets are private: no route from the internet.`,
    m.recorded.length ? recordedNote(m) : 'Not deployed yet (no state file): no resource ids to show.',
  ];
  const footerLines = footer.flatMap((f) => wrap(f, width - 40, 11));
  const height = regionBottom + 24 + footerLines.length * 17 + 10;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" data-stack="${esc(m.stack)}" data-region="${esc(m.region)}">`);
  out.push(`<title>${esc(`wpdeploy stack ${m.stack} in ${m.region}`)}</title>`);
  out.push(`<desc>${esc(`WordPress on ECS Fargate behind an ALB, RDS ${m.database.multiAz ? 'Multi-AZ' : 'Single-AZ'} and EFS, over ${m.azs.length} Availability Zones (VPC ${m.vpcCidr}).`)}</desc>`);
  out.push('<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L10 5 L0 10 z" fill="#545b64"/></marker></defs>');
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);

  // Outside the region: users, Route 53 (global), the public image registry.
  out.push(box('users', L.spine - 80, 22, 160, 48, '#545b64', 'Users', ['internet'], { attrs: 'data-side="true"' }));
  let route53: Box | undefined;
  if (m.domain) {
    route53 = { x: L.regionX, y: 14, w: Math.min(250, L.spine - 100 - L.regionX), h: 64 };
    out.push(box('route53', route53.x, route53.y, route53.w, route53.h, COLOR.network, 'Route 53', [`${m.domain.name} → ALB (alias)`, `hosted zone ${m.domain.hostedZone}`], { id: m.ids['alias-record'], attrs: 'data-side="true"' }));
  }
  let registry = side.at.ecr;
  if (m.imageSource !== 'ECR') {
    const x = L.spine + 110;
    const w = Math.min(280, width - 20 - x);
    // The image reference whole, on more lines when long (cut after a `/` or `:`).
    const lines = [...cutLines(m.image, Math.floor((w - 12) / textWidth('x', 10.5)), '/:'), 'pulled through the NAT gateways'];
    registry = { x, y: 14, w, h: 36 + 14 * lines.length };
    out.push(box('image', x, 14, w, registry.h, '#1d63ed', imageSourceLabel(m.imageSource), lines, { attrs: 'data-side="true"' }));
  }

  // Region and VPC.
  out.push(`<g data-kind="region">${rect(L.regionX, L.regionY, regionW, regionBottom - L.regionY, { stroke: COLOR.region, dash: true, width: 1.4 })}${text(L.regionX + 12, L.regionY + 22, `Region ${m.region}`, { size: 13, weight: 'bold', color: COLOR.region })}</g>`);
  out.push(`<g data-kind="vpc">${rect(L.vpcX, L.vpcY, L.vpcW, L.vpcBottom - L.vpcY, { stroke: COLOR.vpc, width: 2 })}${text(L.vpcX + 12, L.vpcY + 22, `VPC ${m.vpcCidr}`, { size: 13, weight: 'bold', color: COLOR.text })}${m.ids.vpc ? text(L.vpcX + 12, L.vpcY + 38, m.ids.vpc, { size: 10.5, mono: true, color: COLOR.muted }) : ''}</g>`);

  // Regional resources inside the VPC, left and right of the traffic spine.
  const leftX = L.colX(0);
  const rightX = L.spine + 16;
  out.push(box('ecs', leftX, L.rowY, L.spine - 16 - leftX, 80, COLOR.compute, 'ECS cluster · service', [`${m.service.desired} Fargate tasks, ${m.service.cpu / 1024} vCPU / ${m.service.memory / 1024} GB`, `auto scaling ${m.service.min}-${m.service.max} tasks`, `CPU ${m.service.cpuTarget}% · ${m.service.requestsPerTarget} requests/task/min`], { id: m.ids['ecs-service'] }));
  out.push(box('efs', rightX, L.rowY, L.colX(1) + COL_W - rightX, 80, COLOR.storage, 'EFS file system', ['encrypted, one mount target per AZ', 'wp-content shared by every task'], { id: m.ids.efs }));

  for (const az of m.azs) out.push(azColumn(m, L, az));

  // Bands across the AZs: the ALB over the public subnets, the RDS Proxy over the data subnets.
  const bandX = L.colX(0) + INSET;
  const bandW = L.colX(m.azs.length - 1) + INSET + SUB_W - bandX;
  const listener = m.domain ? 'HTTPS :443 (HTTP :80 redirects) · access logs to S3' : 'HTTP :80 · access logs to S3';
  out.push(box('alb', bandX, L.pubY + 44, bandW, 42, COLOR.network, 'Application Load Balancer', [m.ids.alb ? `${listener} · ${shortId(m.ids.alb)}` : listener], { fill: '#f6f1ff', attrs: 'data-tier="public" data-span="true"' }));
  if (m.database.proxy) {
    const proxyLine = 'connection pooling, IAM auth to Secrets Manager';
    out.push(box('rds-proxy', bandX, L.dataY + 44, bandW, 38, COLOR.database, 'RDS Proxy', [m.ids['db-proxy'] ? `${proxyLine} · ${shortId(m.ids['db-proxy'])}` : proxyLine], { fill: '#fdf1fd', attrs: 'data-tier="data" data-span="true"' }));
  }
  const igw = igwSize(m);
  out.push(box('igw', L.spine - igw.w / 2, L.vpcY - igw.h / 2, igw.w, igw.h, COLOR.network, 'Internet gateway', [], { id: m.ids.igw }));

  out.push(flows(m, L));
  out.push(links(m, L, registry!, route53));
  out.push(side.svg);
  footerLines.forEach((line, i) => out.push(text(L.regionX, regionBottom + 24 + i * 17, line, { size: 11, color: COLOR.muted })));
  out.push('</svg>');
  return out.join('\n') + '\n';
}
