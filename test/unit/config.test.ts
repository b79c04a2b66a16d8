import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, validateConfig } from '../../src/config/load.js';
import { ConfigError, EXIT, UsageError, WpdeployError, type ConfigIssue } from '../../src/errors.js';

/** Runs `fn`, expects it to throw a ConfigError, and returns that error. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError, but nothing was thrown');
}

function issueAt(err: ConfigError, path: string): ConfigIssue {
  const found = err.issues.filter((i) => i.path === path);
  expect(found, `issues at ${path} among ${JSON.stringify(err.issues.map((i) => i.path))}`).toHaveLength(1);
  return found[0]!;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wpdeploy-config-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, text: string) => writeFileSync(join(dir, name), text);

describe('defaults', () => {
  const documented = {
    stack: 'wordpress',
    region: 'us-east-1',
    lockLeaseMinutes: 15,
    tags: {},
    network: { cidr: '10.20.0.0/16', azCount: 2, natGateways: 'perAz', flowLogs: true },
    database: {
      engine: 'mysql',
      engineVersion: '8.4',
      extendedSupport: false,
      instanceClass: 'db.t4g.micro',
      storageGb: 20,
      multiAz: true,
      backupRetentionDays: 7,
      deletionProtection: true,
      applyImmediately: false,
      proxy: false,
    },
    wordpress: { image: 'public.ecr.aws/docker/library/wordpress:6-php8.3-apache', cpu: 512, memory: 1024, desiredCount: 2, sharedFiles: 'content' },
    scaling: { min: 2, max: 6, cpuTarget: 60, requestsPerTarget: 500 },
    logs: { retentionDays: 30 },
  };

  it('an empty config validates to the documented defaults, with no domain (HTTP only)', () => {
    const c = validateConfig({});
    expect(c).toEqual(documented);
    expect(c.domain).toBeUndefined();
  });

  it('loadConfig with no file in the directory uses the defaults and says so', () => {
    const loaded = loadConfig({ cwd: dir, env: {} });
    expect(loaded.config).toEqual(documented);
    // no file was read: the source must not name one
    expect(loaded.source).not.toMatch(/\.ya?ml$/);
    expect(loaded.source).toMatch(/default/);
  });

  it('an empty wpdeploy.yml in the directory is read and gives the defaults', () => {
    write('wpdeploy.yml', '');
    const loaded = loadConfig({ cwd: dir, env: {} });
    expect(loaded.source).toBe('wpdeploy.yml');
    expect(loaded.config).toEqual(documented);
  });

  it('a partly written section keeps the defaults of the keys it leaves out', () => {
    const c = validateConfig({ network: { azCount: 3 }, wordpress: { cpu: 1024, memory: 2048 } });
    expect(c.network).toEqual({ ...documented.network, azCount: 3 });
    expect(c.wordpress).toEqual({ ...documented.wordpress, cpu: 1024, memory: 2048 });
  });

  it('mariadb without an engineVersion gets a mariadb version, not the mysql default', () => {
    const c = validateConfig({ database: { engine: 'mariadb' } });
    expect(c.database.engine).toBe('mariadb');
    expect(c.database.engineVersion).not.toBe('8.0');
    expect(c.database.engineVersion).toMatch(/^1[01]\.\d+$/);
  });

  it('mariadb with an explicit mysql version is refused at database.engineVersion', () => {
    const err = configError(() => validateConfig({ database: { engine: 'mariadb', engineVersion: '8.0' } }));
    expect(issueAt(err, 'database.engineVersion').message).toContain('8.0');
  });
});

describe('a config with many mistakes', () => {
  const raw = {
    stack: 'My_Stack',
    region: 'us-west-1', // 2 AZs for new accounts
    tag: { team: 'web' }, // typo of tags
    network: { cidr: '10.0.0.0/24', azCount: 6 }, // more AZs than us-west-1 has; /24 cannot hold 18 subnets of /28
    domain: { name: 'blog.example.org', hostedZone: 'example.com' },
    database: { engine: 'mariadb' }, // fine: mariadb gets its own default version
    wordpress: { cpu: 256, memory: 4096, desiredCount: 10 }, // 4096 MiB does not pair with 256; 10 > scaling.max 6
    logs: { retentionDays: 10 },
  };

  it('reports every problem at once, each at its path, as one usage error', () => {
    const err = configError(() => validateConfig(raw, 'wpdeploy.yml'));
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err).toBeInstanceOf(WpdeployError);
    const paths = err.issues.map((i) => i.path).sort();
    expect(paths).toEqual(
      [
        'stack',
        'tag',
        'network.azCount',
        'network.cidr',
        'domain.name',
        'wordpress.memory',
        'wordpress.desiredCount',
        'logs.retentionDays',
      ].sort(),
    );
    expect(err.message).toContain('wpdeploy.yml has 8 problems');
    for (const p of paths) expect(err.message).toContain(`- ${p}:`);
  });

  it('each issue says what is wrong and how to fix it', () => {
    const err = configError(() => validateConfig(raw));
    expect(issueAt(err, 'stack').message).toContain('"My_Stack"');
    expect(issueAt(err, 'tag').fix).toContain('Did you mean `tags`?');
    const az = issueAt(err, 'network.azCount');
    expect(az.message).toContain('us-west-1');
    expect(az.message).toContain('6');
    const cidr = issueAt(err, 'network.cidr');
    expect(cidr.message).toContain('10.0.0.0/24');
    expect(cidr.message).toContain('18 subnets');
    expect(issueAt(err, 'domain.name').message).toContain('example.com');
    const mem = issueAt(err, 'wordpress.memory');
    expect(mem.message).toContain('4096');
    expect(mem.message).toContain('256');
    expect(mem.fix).toContain('512');
    expect(issueAt(err, 'wordpress.desiredCount').message).toContain('2..6');
    expect(issueAt(err, 'logs.retentionDays').message).toMatch(/^10 /);
    expect(issueAt(err, 'logs.retentionDays').message).toContain('14');
    expect(err.issues.some((i) => i.path.startsWith('database'))).toBe(false);
  });

  it('a malformed CIDR is reported together with the problems of other sections', () => {
    const err = configError(() =>
      validateConfig({ network: { cidr: '10.20.0.0/33' }, stack: 'x-', logs: { retentionDays: 10 }, databse: {} }),
    );
    expect(issueAt(err, 'network.cidr').message).toContain('10.20.0.0/33');
    issueAt(err, 'stack');
    issueAt(err, 'logs.retentionDays');
    expect(issueAt(err, 'databse').fix).toContain('`database`');
    expect(err.issues).toHaveLength(4);
  });

  it('a CIDR with host bits, or a prefix outside /16../24, is refused at network.cidr', () => {
    expect(issueAt(configError(() => validateConfig({ network: { cidr: '10.20.0.1/16' } })), 'network.cidr').message).toContain('host bits');
    expect(issueAt(configError(() => validateConfig({ network: { cidr: '10.0.0.0/8' } })), 'network.cidr').message).toContain('/8');
  });

  it('an unknown key inside a section is named with its section and a did-you-mean', () => {
    const err = configError(() => validateConfig({ network: { azCuont: 3 } }));
    expect(issueAt(err, 'network.azCuont').fix).toContain('`azCount`');
  });

  it('scaling.min above scaling.max is reported at scaling.min', () => {
    const err = configError(() => validateConfig({ scaling: { min: 5, max: 3 } }));
    expect(issueAt(err, 'scaling.min').message).toContain('5');
  });

  it('a domain equal to its zone (with or without the trailing dot) is accepted', () => {
    expect(validateConfig({ domain: { name: 'example.com', hostedZone: 'example.com.' } }).domain).toEqual({ name: 'example.com', hostedZone: 'example.com.' });
    expect(validateConfig({ domain: { name: 'www.example.com', hostedZone: 'example.com' } }).domain?.name).toBe('www.example.com');
  });

  it('a name that only ends with the zone text is not inside the zone', () => {
    const err = configError(() => validateConfig({ domain: { name: 'notexample.com', hostedZone: 'example.com' } }));
    issueAt(err, 'domain.name');
  });

  it('a document that is not a mapping is refused', () => {
    const err = configError(() => validateConfig(['stack: x']));
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]!.path).toBe('');
  });
});

describe('YAML files', () => {
  it('a YAML syntax error is a ConfigError naming the file and the syntax problem', () => {
    write('broken.yml', 'stack: blog\nnetwork:\n  cidr: "10.0.0.0/16\n  azCount: 2\n');
    const err = configError(() => loadConfig({ file: 'broken.yml', cwd: dir, env: {} }));
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.message).toContain('broken.yml');
    expect(err.issues[0]!.message).toContain('YAML syntax error');
    expect(err.issues[0]!.message).toMatch(/quote/i);
  });

  it("the parser's message ends with a period before the hint", () => {
    write('flow.yml', 'stack: [a\n');
    const err = configError(() => loadConfig({ file: 'flow.yml', cwd: dir, env: {} }));
    expect(err.message).toMatch(/YAML syntax error at line \d+, column \d+: [^\n]*[^.]\. Fix the YAML syntax/);
  });

  it('a wrong --region is reported as the flag, not as a key of the file', () => {
    write('wpdeploy.yml', 'stack: blog\n');
    const err = (() => {
      try {
        loadConfig({ cwd: dir, env: {}, region: 'eu-west-33' });
      } catch (e) {
        return e as WpdeployError;
      }
      throw new Error('no error');
    })();
    expect(err).not.toBeInstanceOf(ConfigError);
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.message).toBe('--region eu-west-33 is not an AWS region wpdeploy knows.');
    expect(err.hint).toMatch(/^Did you mean --region eu-west-3\? Or leave --region out/);
  });

  it('a key written twice is a syntax error', () => {
    write('dup.yml', 'stack: blog\nstack: other\n');
    const err = configError(() => loadConfig({ file: 'dup.yml', cwd: dir, env: {} }));
    expect(err.issues[0]!.message).toMatch(/unique/i);
  });

  it('values are read from the file and validated like any other', () => {
    write('site.yml', 'stack: blog\nregion: eu-west-3\nnetwork:\n  cidr: 10.30.0.0/16\n  azCount: 3\n');
    const { config, source } = loadConfig({ file: 'site.yml', cwd: dir, env: {} });
    expect(source).toBe('site.yml');
    expect(config.stack).toBe('blog');
    expect(config.region).toBe('eu-west-3');
    expect(config.network.cidr).toBe('10.30.0.0/16');
    expect(config.network.azCount).toBe(3);
  });

  it('a quoted number is reported with a hint to drop the quotes', () => {
    write('q.yml', 'network:\n  azCount: "3"\n');
    const err = configError(() => loadConfig({ file: 'q.yml', cwd: dir, env: {} }));
    expect(issueAt(err, 'network.azCount').fix).toMatch(/without quotes/);
  });

  it('a missing --config file is a usage error (exit 2), not a silent fallback to defaults', () => {
    let caught: unknown;
    try {
      loadConfig({ file: 'nope.yml', cwd: dir, env: {} });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UsageError);
    expect((caught as UsageError).exitCode).toBe(2);
    expect((caught as UsageError).message).toContain('nope.yml');
    expect((caught as UsageError).hint).toBeTruthy();
  });
});

describe('flags and environment', () => {
  it('--stack and --region win over the file', () => {
    write('wpdeploy.yml', 'stack: blog\nregion: eu-west-3\n');
    const { config } = loadConfig({ cwd: dir, stack: 'shop', region: 'eu-central-1', env: { AWS_REGION: 'ap-south-1' } });
    expect(config.stack).toBe('shop');
    expect(config.region).toBe('eu-central-1');
  });

  it('the file region wins over AWS_REGION', () => {
    write('wpdeploy.yml', 'region: eu-west-3\n');
    expect(loadConfig({ cwd: dir, env: { AWS_REGION: 'ap-south-1' } }).config.region).toBe('eu-west-3');
  });

  it('AWS_REGION is used when neither flag nor file sets a region, before AWS_DEFAULT_REGION', () => {
    expect(loadConfig({ cwd: dir, env: { AWS_REGION: 'ap-south-1', AWS_DEFAULT_REGION: 'eu-north-1' } }).config.region).toBe('ap-south-1');
    expect(loadConfig({ cwd: dir, env: { AWS_DEFAULT_REGION: 'eu-north-1' } }).config.region).toBe('eu-north-1');
  });

  it('with no flag, file or environment the region is the default', () => {
    expect(loadConfig({ cwd: dir, env: {} }).config.region).toBe('us-east-1');
  });

  it('a flag value is validated like a file value (a wrong --region is named as the flag: see YAML files)', () => {
    const err = configError(() => loadConfig({ cwd: dir, stack: 'Bad_Name', env: {} }));
    expect(issueAt(err, 'stack').message).toContain('Bad_Name');
    expect(() => loadConfig({ cwd: dir, stack: 'Bad_Name', region: 'eu-wset-3', env: {} })).toThrow(/^--region eu-wset-3/);
  });

  it('the region is checked against the AZ count with the region that wins', () => {
    write('wpdeploy.yml', 'network:\n  azCount: 3\n');
    // us-west-1 has only 2 AZs for new accounts: the flag must be what the check uses.
    const err = configError(() => loadConfig({ cwd: dir, region: 'us-west-1', env: { AWS_REGION: 'us-east-1' } }));
    expect(issueAt(err, 'network.azCount').message).toContain('us-west-1');
    expect(loadConfig({ cwd: dir, region: 'us-east-2', env: {} }).config.network.azCount).toBe(3);
  });
});

describe('reported together, whatever else is wrong', () => {
  it('a YAML syntax error names its line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wpd-yaml-'));
    writeFileSync(join(dir, 'dup.yml'), 'stack: blog\nstack: other\n');
    const err = configError(() => loadConfig({ file: 'dup.yml', cwd: dir, env: {} }));
    expect(err.issues[0]!.message).toMatch(/line 2/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a bad field does not hide the cross-field checks of its section', () => {
    const net = configError(() => validateConfig({ region: 'us-west-1', network: { cidr: 'bad', azCount: 4 } }));
    expect(net.issues.map((i) => i.path).sort()).toEqual(['network.azCount', 'network.cidr']);
    const wp = configError(() => validateConfig({ wordpress: { image: '', cpu: 256, memory: 4096 } }));
    expect(wp.issues.map((i) => i.path).sort()).toEqual(['wordpress.image', 'wordpress.memory']);
  });
});

describe('several stacks from one file (stacks:)', () => {
  const doc = {
    stack: 'blog',
    accountId: '123456789012',
    database: { instanceClass: 'db.t4g.small' },
    stacks: {
      dev: { network: { azCount: 2, natGateways: 'single' }, database: { multiAz: false }, accountId: '111111111111' },
      prod: { database: { instanceClass: 'db.m7g.large' } },
    },
  };

  it('--stack KEY picks the entry, named <stack>-KEY, its overrides laid on the rest', () => {
    const dev = validateConfig(doc, 'wpdeploy.yml', { stack: 'dev' });
    expect(dev.stack).toBe('blog-dev');
    expect(dev.network.natGateways).toBe('single');
    expect(dev.database.multiAz).toBe(false);
    expect(dev.database.instanceClass).toBe('db.t4g.small'); // from the top level
    expect(dev.accountId).toBe('111111111111');
    const prod = validateConfig(doc, 'wpdeploy.yml', { stack: 'prod' });
    expect(prod.stack).toBe('blog-prod');
    expect(prod.network.natGateways).toBe('perAz');
    expect(prod.database.multiAz).toBe(true);
    expect(prod.database.instanceClass).toBe('db.m7g.large');
    expect(prod.accountId).toBe('123456789012');
  });

  it('accepts the full name too', () => {
    expect(validateConfig(doc, 'wpdeploy.yml', { stack: 'blog-prod' }).stack).toBe('blog-prod');
  });

  it('without --stack, refuses and lists the stacks (exit 2)', () => {
    try {
      validateConfig(doc, 'wpdeploy.yml', {});
      throw new Error('expected a refusal');
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).message).toContain('dev, prod');
      expect((err as UsageError).hint).toContain('--stack dev');
      expect((err as UsageError).exitCode).toBe(EXIT.usage);
    }
  });

  it('an unknown --stack is refused with the closest key', () => {
    try {
      validateConfig(doc, 'wpdeploy.yml', { stack: 'prd' });
      throw new Error('expected a refusal');
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).message).toContain('prd');
      expect((err as UsageError).hint).toContain('--stack prod');
    }
  });

  it('a mistake in another entry is reported under its own path, while working on one', () => {
    const bad = { ...doc, stacks: { ...doc.stacks, prod: { network: { natGateway: 'single' }, database: { storageGb: 5 } } } };
    const err = configError(() => validateConfig(bad, 'wpdeploy.yml', { stack: 'dev' }));
    expect(issueAt(err, 'stacks.prod.network.natGateway').fix).toContain('natGateways');
    issueAt(err, 'stacks.prod.database.storageGb');
  });

  it('an entry cannot rename its stack or nest stacks, and its name must fit', () => {
    const bad = { stack: 'blog', stacks: { dev: { stack: 'x', stacks: {} }, 'production-eu-west': {} } };
    const err = configError(() => validateConfig(bad, 'wpdeploy.yml', { stack: 'dev' }));
    expect(issueAt(err, 'stacks.dev.stack').message).toContain('blog-dev');
    issueAt(err, 'stacks.dev.stacks');
    expect(issueAt(err, 'stacks.production-eu-west').message).toContain('blog-production-eu-west');
  });
});

describe('accountId and state', () => {
  it('accountId must be 12 digits', () => {
    const err = configError(() => validateConfig({ accountId: 12345 }));
    issueAt(err, 'accountId');
    expect(issueAt(configError(() => validateConfig({ accountId: '1234' })), 'accountId').message).toMatch(/12-digit/);
  });

  it('state takes a directory or a well-formed s3:// location', () => {
    expect(validateConfig({ state: 's3://acme-state/wordpress' }).state).toBe('s3://acme-state/wordpress');
    expect(validateConfig({ state: 'ops/state' }).state).toBe('ops/state');
    expect(issueAt(configError(() => validateConfig({ state: 's3://Bad_Bucket/x' })), 'state').message).toContain('bucket name');
    expect(issueAt(configError(() => validateConfig({ state: 'gs://bucket/x' })), 'state').message).toContain('s3://');
  });
});
