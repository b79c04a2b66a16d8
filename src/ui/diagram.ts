/**
 * The architecture of a stack as a diagram model: what is planned from the config (region, VPC, one
 * column per AZ with its public/app/data subnets and what runs in them, the side services), plus the
 * ids the state file recorded. Pure: the SVG and Mermaid renderers (diagram-svg.ts,
 * diagram-mermaid.ts) draw this model; nothing here reads a file or calls AWS.
 */
import { planSubnets, type SubnetTier } from '../config/cidr.js';
import type { Config } from '../config/schema.js';
import type { StackState } from '../engine/state.js';
import { azLetter } from '../resources/step-builder.js';

export interface DiagramAz {
  /** 1-based, as people count AZs. */
  number: number;
  /** `a`, `b`, ...: how step ids name the AZ (`subnet-public-a`, `nat-b`). */
  letter: string;
  /** The zone's name (e.g. `eu-west-3a`) once a subnet of this AZ is recorded in the state. */
  zone?: string;
  subnets: Record<SubnetTier, string>;
  /** A NAT gateway (with its Elastic IP) lives in this AZ's public subnet. */
  nat: boolean;
  /** Fargate tasks placed here at the desired count (ECS spreads them over the AZs). */
  tasks: number;
  rds?: 'primary' | 'standby';
}

export interface DiagramModel {
  stack: string;
  region: string;
  vpcCidr: string;
  azs: DiagramAz[];
  natGateways: 'perAz' | 'single';
  flowLogs: boolean;
  domain?: { name: string; hostedZone: string };
  image: string;
  /** Where the image comes from: ECR (inside AWS), ECR Public (the default), or another registry such as Docker Hub. */
  imageSource: 'ECR' | 'ECR Public' | 'Docker Hub' | 'registry';
  database: { engine: string; engineVersion: string; instanceClass: string; multiAz: boolean; proxy: boolean; storageGb: number };
  service: { desired: number; min: number; max: number; cpuTarget: number; requestsPerTarget: number; cpu: number; memory: number };
  logRetentionDays: number;
  /** Recorded resource ids by diagram node key (see NODE_KEYS), from the state file. */
  ids: Record<string, string>;
  /** Every step recorded in the state file with its id, for a legend. */
  recorded: Array<{ step: string; kind: string; id: string }>;
}

/**
 * The step ids whose recorded resource id is drawn next to a node. `{az}` is the AZ letter (a, b, ...),
 * as the network tier names its steps (`subnet-public-a`, `nat-b`).
 */
const NODE_KEYS = [
  'vpc', 'igw', 'alb', 'ecs-service', 'efs', 'db', 'db-proxy', 'alb-logs-bucket', 'app-log-group', 'db-secret', 'certificate', 'alias-record',
  'subnet-public-{az}', 'subnet-app-{az}', 'subnet-data-{az}', 'nat-{az}', 'efs-mount-{az}',
] as const;

/** The step ids drawn next to a node for `azCount` AZs (NODE_KEYS with the AZ letters filled in). */
export function drawnStepIds(azCount: number): Set<string> {
  const letters = Array.from({ length: azCount }, (_, i) => azLetter(i));
  return new Set(NODE_KEYS.flatMap((k) => (k.includes('{az}') ? letters.map((l) => k.replace('{az}', l)) : [k])));
}

function imageSource(image: string): DiagramModel['imageSource'] {
  if (/\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com\//.test(image)) return 'ECR';
  if (image.startsWith('public.ecr.aws/')) return 'ECR Public';
  const first = image.split('/')[0] ?? '';
  return image.includes('/') && /[.:]/.test(first) && first !== 'docker.io' ? 'registry' : 'Docker Hub';
}

/** The heading of the image's box: its registry. */
export const imageSourceLabel = (source: DiagramModel['imageSource']) => (source === 'registry' ? 'Image registry' : source);

/** Tasks in AZ `az` (0-based) when `count` tasks are spread evenly over `azCount` AZs. */
function tasksIn(count: number, azCount: number, az: number): number {
  return Math.floor(count / azCount) + (az < count % azCount ? 1 : 0);
}

/** The model of a validated config, with the ids of `state` when given (same stack and region). */
export function diagramModel(config: Config, state?: StackState): DiagramModel {
  const { azCount } = config.network;
  const plan = planSubnets(config.network.cidr, azCount);
  if (!plan) throw new Error(`network.cidr ${config.network.cidr} has no room for ${3 * azCount} subnets`); // validateConfig refuses such configs first
  const azs: DiagramAz[] = [];
  for (let i = 0; i < azCount; i++) {
    const cidr = (tier: SubnetTier) => plan.find((s) => s.tier === tier && s.azIndex === i)!.cidr;
    const letter = azLetter(i);
    const zone = ['public', 'app', 'data'].map((t) => state?.steps[`subnet-${t}-${letter}`]?.outputs?.az).find(Boolean);
    azs.push({
      number: i + 1,
      letter,
      ...(zone ? { zone } : {}),
      subnets: { public: cidr('public'), app: cidr('app'), data: cidr('data') },
      nat: config.network.natGateways === 'perAz' || i === 0,
      tasks: tasksIn(config.wordpress.desiredCount, azCount, i),
      rds: i === 0 ? 'primary' : i === 1 && config.database.multiAz ? 'standby' : undefined,
    });
  }
  const ids: Record<string, string> = {};
  const recorded: DiagramModel['recorded'] = [];
  if (state) {
    for (const [step, s] of Object.entries(state.steps)) {
      if (!s.id) continue;
      recorded.push({ step, kind: s.kind, id: s.id });
      ids[step] = s.id;
    }
  }
  return {
    stack: config.stack,
    region: config.region,
    vpcCidr: config.network.cidr,
    azs,
    natGateways: config.network.natGateways,
    flowLogs: config.network.flowLogs,
    domain: config.domain,
    image: config.wordpress.image,
    imageSource: imageSource(config.wordpress.image),
    database: { ...config.database },
    service: {
      desired: config.wordpress.desiredCount, min: config.scaling.min, max: config.scaling.max, cpuTarget: config.scaling.cpuTarget,
      requestsPerTarget: config.scaling.requestsPerTarget, cpu: config.wordpress.cpu, memory: config.wordpress.memory,
    },
    logRetentionDays: config.logs.retentionDays,
    ids,
    recorded,
  };
}

/** An ARN shortened to its resource part (`loadbalancer/app/name/id`); other ids as they are. */
export function shortId(id: string): string {
  return id.startsWith('arn:') ? id.split(':').slice(5).join(':') : id;
}

export const TIER_TITLE: Record<SubnetTier, string> = { public: 'Public subnet', app: 'App subnet (private)', data: 'Data subnet (private)' };

export function engineLabel(m: DiagramModel): string {
  return `${m.database.engine === 'mysql' ? 'MySQL' : 'MariaDB'} ${m.database.engineVersion}`;
}
