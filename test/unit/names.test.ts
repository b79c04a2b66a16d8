/**
 * Names AWS refuses (src/config/names.ts): each limit on its own, the config check that applies
 * them to every generated name (exit 2 material: a ConfigError naming `stack` and the fix), and a
 * cross-check that the list of generated names is the list of names the steps really send.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { generatedNames, NAME_LIMITS } from '../../src/config/names.js';
import { ConfigError } from '../../src/errors.js';
import { buildSteps } from '../../src/resources/stack.js';
import type { Inputs } from '../../src/resources/types.js';

const ok = (limit: keyof typeof NAME_LIMITS, ...names: string[]) => {
  for (const n of names) expect(NAME_LIMITS[limit](n), `${limit}: ${n}`).toBeUndefined();
};
const refused = (limit: keyof typeof NAME_LIMITS, name: string, why: RegExp) => expect(NAME_LIMITS[limit](name), `${limit}: ${name}`).toMatch(why);

describe('each AWS naming limit', () => {
  it('security group: not sg-*, at most 255', () => {
    ok('securityGroup', 'blog-alb', 'asg-alb');
    refused('securityGroup', 'sg-alb', /reserved prefix "sg-"/);
    refused('securityGroup', 'x'.repeat(256), /256 characters/);
  });
  it('load balancer: 32 alphanumerics and hyphens, no hyphen at either end, not internal-*', () => {
    ok('loadBalancer', 'blog-alb', 'x'.repeat(32));
    refused('loadBalancer', 'internal-alb', /reserved prefix "internal-"/);
    refused('loadBalancer', 'x'.repeat(33), /33 characters/);
    refused('loadBalancer', 'blog_alb', /characters other than/);
    refused('loadBalancer', 'blog-', /ends with a hyphen/);
  });
  it('target group: 32 alphanumerics and hyphens, no hyphen at either end (internal- allowed)', () => {
    ok('targetGroup', 'blog-tg', 'internal-tg');
    refused('targetGroup', 'x'.repeat(33), /33 characters/);
    refused('targetGroup', '-tg', /starts or ends/);
  });
  it('S3 bucket: 3-63, lowercase, letter or digit at both ends, no .., not an IP, reserved prefixes and suffixes', () => {
    ok('bucket', 'blog-alb-logs-123456789012-us-east-1', 'a.b-c');
    refused('bucket', 'ab', /2 characters/);
    refused('bucket', 'x'.repeat(64), /64 characters/);
    refused('bucket', 'Blog', /characters other than/);
    refused('bucket', 'blog-', /start and end/);
    refused('bucket', 'a..b', /two dots/);
    refused('bucket', '192.168.5.4', /IP address/);
    for (const p of ['xn--', 'sthree-', 'amzn-s3-demo-']) refused('bucket', `${p}blog`, new RegExp(`reserved prefix "${p}"`));
    for (const s of ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3']) refused('bucket', `blog${s}`, new RegExp(`reserved suffix "${s.replace('.', '\\.')}"`));
  });
  it('IAM role: 64 of [\\w+=,.@-]; path / or /.../', () => {
    ok('iamRole', 'blog-task-execution-ap-southeast-5', 'x'.repeat(64));
    refused('iamRole', 'x'.repeat(65), /65 characters/);
    refused('iamRole', 'blog/task', /characters other than/);
    ok('iamPath', '/', '/wpdeploy/');
    refused('iamPath', 'wpdeploy/', /slashes/);
    refused('iamPath', `/${'x'.repeat(511)}/`, /slashes/);
  });
  it('RDS instance, snapshot, proxy and parameter group identifiers: a letter first, no --, no hyphen last; 63 (instance, proxy) or 255', () => {
    for (const limit of ['rdsInstance', 'dbSnapshot', 'dbProxy', 'dbParameterGroup'] as const) {
      ok(limit, 'blog-db', 'blog-final-20261231235959-2');
      refused(limit, '1blog', /start with a letter/);
      refused(limit, 'blog--db', /two hyphens/);
      refused(limit, 'blog-', /ends with a hyphen/);
      refused(limit, 'blog_db', /characters other than/);
    }
    refused('rdsInstance', `a${'x'.repeat(63)}`, /64 characters/);
    refused('dbProxy', `a${'x'.repeat(63)}`, /64 characters/);
    ok('dbSnapshot', `a${'x'.repeat(254)}`);
    refused('dbSnapshot', `a${'x'.repeat(255)}`, /256 characters/);
  });
  it('DB subnet group: 255 of letters, digits, . _ space -, not "default"', () => {
    ok('dbSubnetGroup', 'blog-data', 'a b_c.d');
    refused('dbSubnetGroup', 'default', /"default"/);
    refused('dbSubnetGroup', 'blog/data', /characters other than/);
  });
  it('secret: 512 of [A-Za-z0-9/_+=.@-], not ending with a hyphen and six characters', () => {
    ok('secret', 'wpdeploy/blog/db', 'wpdeploy/blog/wp-salts');
    refused('secret', 'wpdeploy/blog/wp-secret', /hyphen and six characters/);
    refused('secret', 'wpdeploy/blog db', /characters other than/);
  });
  it('log group: 512 of [A-Za-z0-9_-/.#], not aws/*', () => {
    ok('logGroup', '/wpdeploy/blog/wordpress');
    refused('logGroup', 'aws/blog', /reserved prefix "aws\/"/);
    refused('logGroup', '/wpdeploy/blog:x', /characters other than/);
  });
  it('ECS names: 255 letters, digits, _ and -; scaling policy: 256 printable', () => {
    ok('ecs', 'blog-cluster', 'x'.repeat(255));
    refused('ecs', 'x'.repeat(256), /256 characters/);
    refused('ecs', 'blog.cluster', /characters other than/);
    ok('scalingPolicy', 'blog-cpu');
    refused('scalingPolicy', 'x'.repeat(257), /257 characters/);
  });
  it('tags: key 128, value 256, letters, digits, spaces and _.:/=+-@ only (EFS, RDS, Secrets Manager)', () => {
    ok('tagKey', 'cost-center', 'team:web');
    refused('tagKey', 'owner!', /characters other than/);
    ok('tagValue', '', 'Platform team @ acme.com');
    refused('tagValue', 'a,b', /characters other than/);
    refused('tagValue', 'x'.repeat(257), /257 characters/);
  });
});

/** The ConfigError issues of a config, or [] when it validates. */
function issuesOf(raw: Record<string, unknown>, stack?: string) {
  try {
    validateConfig(raw, 'wpdeploy.yml', { stack, env: {} });
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.issues;
  }
}

describe('the config check refuses stack names that make names AWS refuses', () => {
  it.each([
    ['sg', /security group name "sg-alb".*reserved prefix "sg-"/, /not start with "sg-" nor is "sg"/],
    ['sg-blog', /security group name "sg-blog-alb"/, /not start with "sg-"/],
    ['internal', /load balancer name "internal-alb".*reserved prefix "internal-"/, /not start with "internal-" nor is "internal"/],
    ['internal-web', /load balancer name "internal-web-alb"/, /not start with "internal-"/],
    ['sthree', /S3 bucket .* name "sthree-alb-logs-000000000000-us-east-1".*reserved prefix "sthree-"/, /not start with "sthree-"/],
    ['amzn-s3-demo', /S3 bucket .*reserved prefix "amzn-s3-demo-"/, /not start with "amzn-s3-demo-"/],
  ])('stack %s', (stack, message, fix) => {
    const issues = issuesOf({ stack });
    expect(issues.length, JSON.stringify(issues)).toBeGreaterThan(0);
    expect(issues.every((i) => i.path === 'stack')).toBe(true);
    expect(issues).toHaveLength(1); // one per limit broken, not one per security group
    expect(issues[0]!.message).toMatch(message);
    expect(issues[0]!.fix).toMatch(fix);
  });

  it('the same through --stack and through a stacks: key, with the account of the config in the bucket name', () => {
    expect(issuesOf({ accountId: '123456789012' }, 'sthree-x')[0]!.message).toMatch(/"sthree-x-alb-logs-123456789012-us-east-1"/);
    expect(issuesOf({ stack: 'internal', stacks: { prod: {} } }, 'prod')[0]!.message).toMatch(/"internal-prod-alb"/);
  });

  it('accepts the names that only look close: asg, internals, xn, s3, a 20-character stack in the longest region', () => {
    for (const stack of ['asg', 'internals', 'xn', 's3', 'sthreex', 'wordpress']) expect(issuesOf({ stack }), stack).toEqual([]);
    expect(issuesOf({ stack: 'a'.repeat(20), region: 'ap-southeast-5' })).toEqual([]);
  });

  it('refuses user tags EFS, RDS or Secrets Manager would refuse, naming the tag', () => {
    const issues = issuesOf({ tags: { owner: 'web, ops', 'cost!': 'x', team: 'web @ acme' } });
    expect(issues.map((i) => i.path).sort()).toEqual(['tags.cost!', 'tags.owner']);
  });
});

describe('generatedNames is every name the steps send', () => {
  const inputs: Inputs = { get: (step, key) => `<${step}.${key}>` };
  const NAME_FIELDS = ['name', 'identifier', 'family', 'cluster'];
  // Names the config gives (the domain, its zone) and those another step outputs are not generated here.
  const sent = (raw: Record<string, unknown>) => {
    const config = validateConfig(raw, 'test', { env: {} });
    const out = new Set<string>();
    for (const s of buildSteps(config, { zones: ['us-east-1a', 'us-east-1b'], account: '123456789012' })) {
      if (['hosted-zone', 'certificate', 'certificate-dns', 'certificate-issued', 'alias-record'].includes(s.id)) continue;
      const d = s.desired(inputs) as Record<string, unknown>;
      for (const f of NAME_FIELDS) {
        // A DB parameter group's family (`mysql8.4`) is the engine's, not a name.
        if (f === 'family' && s.id === 'db-params') continue;
        if (typeof d[f] === 'string' && !(d[f] as string).startsWith('<')) out.add(d[f] as string);
      }
    }
    return out;
  };

  it.each([
    ['the defaults', {}],
    ['a domain, the proxy and flow logs', { stack: 'blog', region: 'eu-west-3', domain: { name: 'www.example.com', hostedZone: 'example.com' }, database: { proxy: true } }],
  ])('%s', (_what, raw) => {
    const config = validateConfig(raw, 'test', { env: {} });
    const listed = new Set(generatedNames(config.stack, config.region, '123456789012').map((g) => g.name));
    const missing = [...sent(raw)].filter((n) => !listed.has(n));
    expect(missing, 'names the steps send that src/config/names.ts does not check').toEqual([]);
  });
});
