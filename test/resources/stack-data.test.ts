import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import { keptMonthlyCost, KEPT_PRICES_US_EAST_1 } from '../../src/resources/kept-data.js';
import { KINDS } from '../../src/resources/kinds.js';
import { dataSteps, efsMountStep, sharedFiles } from '../../src/resources/stack-data.js';
import { networkSteps } from '../../src/resources/stack-network.js';
import { StepBuilder } from '../../src/resources/step-builder.js';
import { UNKNOWN, type Inputs, type StepDef } from '../../src/resources/types.js';

function build(input: Record<string, unknown> = {}): StepDef[] {
  const config = ConfigSchema.parse({ stack: 'blog', ...input });
  const ctx = { zones: ['us-east-1a', 'us-east-1b'], account: '123456789012' };
  // The network in a builder of its own: these are the data tier's steps only.
  const b = new StepBuilder(config, ctx);
  dataSteps(b, networkSteps(new StepBuilder(config, ctx)));
  return b.steps;
}
/** Every output is `<step>.<key>`, so a spec shows where each value comes from. */
const inputs: Inputs = { get: (step, key) => `${step}.${key}` };
const byId = (steps: StepDef[], id: string) => steps.find((s) => s.id === id)!;
const validateSharedFiles = (what: string) => sharedFiles(ConfigSchema.parse({ wordpress: { sharedFiles: what } }));

describe('data tier steps', () => {
  it('without the proxy', () => {
    expect(build().map((s) => s.id)).toEqual([
      'db-secret', 'wp-salts-secret', 'db-subnet-group', 'db-engine-version', 'db-params', 'db', 'db-secret-endpoint', 'efs', 'efs-mount-a', 'efs-mount-b', 'efs-ap-content',
    ]);
  });

  it('with the proxy: its security group, rules, role and the proxy', () => {
    const steps = build({ database: { proxy: true } });
    expect(steps.map((s) => s.id)).toEqual(expect.arrayContaining(['sg-db-proxy-rules', 'db-proxy-role', 'db-proxy']));
    const rules = byId(steps, 'sg-db-proxy-rules').desired(inputs) as { ingress: Array<{ sourceGroupId: string; fromPort: number }>; egress: Array<{ sourceGroupId: string }> };
    expect(rules.ingress).toEqual([expect.objectContaining({ fromPort: 3306, sourceGroupId: 'sg-app.groupId' })]);
    expect(rules.egress).toEqual([expect.objectContaining({ sourceGroupId: 'sg-db.groupId' })]);
    const role = byId(steps, 'db-proxy-role').desired(inputs) as { trustService: string; inlinePolicies: Record<string, { Statement: unknown[] }> };
    expect(role.trustService).toBe('rds.amazonaws.com');
    expect(role.inlinePolicies['read-db-secret']!.Statement).toEqual([{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: ['db-secret.arn'] }]);
  });

  it('the instance follows the config and reads its dependencies', () => {
    const steps = build({ database: { engine: 'mariadb', engineVersion: '10.11', instanceClass: 'db.t4g.small', storageGb: 50, multiAz: false, backupRetentionDays: 14 } });
    const db = byId(steps, 'db');
    expect(db.dependsOn.map((d) => d.step).sort()).toEqual(['db-params', 'db-subnet-group', 'sg-db', 'db-secret'].sort());
    expect(db.desired(inputs)).toMatchObject({
      identifier: 'blog-db', engine: 'mariadb', engineVersion: '10.11', instanceClass: 'db.t4g.small', storageGb: 50, multiAz: false,
      backupRetentionDays: 14, deletionProtection: true, dbName: 'wordpress', subnetGroupName: 'db-subnet-group.name', securityGroupIds: ['sg-db.groupId'],
      secretArn: 'db-secret.arn', logExports: ['error', 'slowquery'], applyImmediately: false,
      tags: { 'wpdeploy:stack': 'blog', 'wpdeploy:step': 'db', Name: 'blog-db' },
      parameterGroupName: 'db-params.name', engineLifecycleSupport: undefined, // MariaDB: AWS takes no EngineLifecycleSupport
    });
    expect(byId(steps, 'db-params').desired(inputs)).toMatchObject({ name: 'blog-db-mariadb10-11', family: 'mariadb10.11', parameters: { require_secure_transport: '1' } });
  });

  it('MySQL: the instance is created with Extended Support disabled unless the config opts in; a check step asks AWS for the calendar first', () => {
    const steps = build();
    expect(byId(steps, 'db').desired(inputs)).toMatchObject({ engine: 'mysql', engineVersion: '8.4', engineLifecycleSupport: 'open-source-rds-extended-support-disabled' });
    expect(byId(build({ database: { engineVersion: '8.0', extendedSupport: true } }), 'db').desired(inputs)).toMatchObject({ engineLifecycleSupport: 'open-source-rds-extended-support' });
    const check = byId(steps, 'db-engine-version');
    expect(check.check).toBe(true);
    expect(check.desired(inputs)).toEqual({ engine: 'mysql', engineVersion: '8.4', extendedSupport: false, instanceIdentifier: 'blog-db' });
  });

  it('the subnet group holds the data subnets; the mount targets the app subnets, behind sg-efs', () => {
    const steps = build();
    expect(byId(steps, 'db-subnet-group').desired(inputs)).toMatchObject({ name: 'blog-data', subnetIds: ['subnet-data-a.subnetId', 'subnet-data-b.subnetId'] });
    expect(byId(steps, efsMountStep('b')).desired(inputs)).toEqual({ fileSystemId: 'efs.fileSystemId', subnetId: 'subnet-app-b.subnetId', securityGroupIds: ['sg-efs.groupId'] });
    expect(byId(steps, 'efs-ap-content').desired(inputs)).toMatchObject({ path: '/wordpress/wp-content', uid: 33, gid: 33, permissions: '0755' });
  });

  it('shares wp-content by default, and only wp-content/uploads with sharedFiles: uploads, each through its own access point', () => {
    const content = validateSharedFiles('content');
    const uploads = validateSharedFiles('uploads');
    // An existing stack's content sits at /wordpress/wp-content (its access point was rooted at /wordpress and mounted at the document root).
    expect(content).toEqual({ step: 'efs-ap-content', efsPath: '/wordpress/wp-content', containerPath: '/var/www/html/wp-content' });
    expect(uploads).toEqual({ step: 'efs-ap-uploads', efsPath: '/wordpress/wp-content/uploads', containerPath: '/var/www/html/wp-content/uploads' });
    const steps = build({ wordpress: { sharedFiles: 'uploads' } });
    expect(steps.map((s) => s.id)).toContain('efs-ap-uploads');
    expect(steps.map((s) => s.id)).not.toContain('efs-ap-content');
    expect(byId(steps, 'efs-ap-uploads').desired(inputs)).toMatchObject({ path: '/wordpress/wp-content/uploads', tags: { Name: 'blog-efs-wp-uploads' } });
  });

  it('the endpoint step writes the instance endpoint into the secret once the instance exists', () => {
    const s = byId(build(), 'db-secret-endpoint');
    expect(s.dependsOn.map((d) => d.step)).toEqual(['db-secret', 'db']);
    expect(s.desired(inputs)).toEqual({ secretArn: 'db-secret.arn', host: 'db.endpoint', port: 3306, engine: 'mysql', dbname: 'wordpress', dbInstanceIdentifier: 'blog-db' });
    const plan = s.desired({ get: () => UNKNOWN }) as { host: string };
    expect(plan.host).toBe(UNKNOWN);
  });

  it('every kind is registered, the data holders kept by down', () => {
    const kept = [...KINDS.values()].filter((k) => k.retainOnDown).map((k) => k.name).sort();
    // The database secret's endpoint fields are part of that secret: kept with it, never "deleted".
    expect(kept).toEqual(['efs:file-system', 'secretsmanager:db-secret-endpoint', 'secretsmanager:secret']);
  });
});

describe('keptMonthlyCost', () => {
  it('prices each kept item, with its basis', () => {
    const cost = keptMonthlyCost([
      { kind: 'db-snapshot', id: 'blog-final-20260101000000', sizeGb: 20 },
      { kind: 'file-system', id: 'fs-1', sizeGb: 2 },
      { kind: 'efs-backups', id: '3 recovery points of fs-1 in aws/efs/automatic-backup-vault', sizeGb: 4 },
      { kind: 'secret', id: 'arn:db' },
      { kind: 'secret', id: 'arn:salts' },
    ]);
    expect(cost.items.map((i) => i.monthlyUsd)).toEqual([1.9, 0.6, 0.2, 0.4, 0.4]);
    expect(cost.totalUsd).toBe(3.5);
    expect(cost.items[2]!.basis).toBe('4.00 GB x $0.05/GB of backup storage');
    expect(cost.items[0]!.basis).toBe('at most 20 GB x $0.095/GB');
    expect(cost.assumptions.join(' ')).toMatch(/us-east-1/);
  });
  it('other prices can be given', () => {
    expect(keptMonthlyCost([{ kind: 'secret', id: 'a' }], { ...KEPT_PRICES_US_EAST_1, secretPerMonth: 0.5 }).totalUsd).toBe(0.5);
  });
  it('nothing kept costs nothing', () => expect(keptMonthlyCost([]).totalUsd).toBe(0));
});
