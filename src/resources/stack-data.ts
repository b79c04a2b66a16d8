/**
 * The data tier: the database credentials and the WordPress keys and salts in Secrets Manager, the
 * DB subnet group over the data subnets, RDS MySQL/MariaDB (Multi-AZ by default), an optional RDS
 * Proxy, and EFS (file system, one mount target per app subnet, an access point for WordPress).
 *
 * The secrets and the file system hold data users cannot get back: `down` keeps them (and a final
 * snapshot of the instance); the next `up` reuses them and restores the instance from the snapshot.
 *
 * What the app tier reads (see DATA_STEPS): the database host (`dbHost(config)`: the proxy endpoint
 * when `database.proxy`, else the instance endpoint) and port, the database name, the database
 * secret's ARN (JSON keys DB_SECRET_KEYS), the salts secret's ARN (JSON keys WORDPRESS_SALT_KEYS), the
 * file system id and the access point id and ARN.
 */
import type { Config } from '../config/schema.js';
import { RDS_LOG_EXPORTS } from './aws-created.js';
import { accessPointKind, WWW_DATA } from './efs-access-point.js';
import { fileSystemKind } from './efs-file-system.js';
import { mountTargetKind } from './efs-mount-target.js';
import { checkOrderable } from './db-orderable.js';
import { dbSubnetGroupKind } from './db-subnet-group.js';
import { iamRoleKind, roleName } from './iam-role.js';
import { dbInstanceKind } from './rds-instance.js';
import { engineLifecycle, engineLifecycleKind } from './rds-engine-lifecycle.js';
import { dbParameterGroupKind, parameterGroupFamily, parameterGroupName, TLS_PARAMETERS } from './rds-parameter-group.js';
import { dbProxyKind } from './rds-proxy.js';
import { dbSecretEndpointKind, secretKind, secretName } from './secret.js';
import { securityGroupKind, securityGroupRulesKind, type SgRule } from './security-group.js';
import { createDep, dep, type StepBuilder } from './step-builder.js';
import type { Inputs, ResourceKind } from './types.js';

export { DB_SECRET_KEYS, WORDPRESS_SALT_KEYS } from './secret.js';

export const DATA_KINDS: ResourceKind[] = [
  secretKind, dbSecretEndpointKind, dbSubnetGroupKind, engineLifecycleKind, dbParameterGroupKind, dbInstanceKind, dbProxyKind, fileSystemKind, mountTargetKind, accessPointKind,
] as ResourceKind[];

/** Step ids of the data tier, and the outputs each gives. */
export const DATA_STEPS = {
  /** outputs: arn, name. JSON keys: username, password, engine, host, port, dbname (+ dbInstanceIdentifier). */
  dbSecret: 'db-secret',
  /** outputs: secretArn, host, port. Done when the secret holds the instance's host and port. */
  dbSecretEndpoint: 'db-secret-endpoint',
  /** outputs: arn, name. JSON keys: AUTH_KEY, SECURE_AUTH_KEY, LOGGED_IN_KEY, NONCE_KEY, AUTH_SALT, SECURE_AUTH_SALT, LOGGED_IN_SALT, NONCE_SALT. */
  saltsSecret: 'wp-salts-secret',
  /** outputs: name, arn. */
  dbSubnetGroup: 'db-subnet-group',
  /** A check: the configured engine version can be created (RDS support calendar from AWS). */
  dbEngineVersion: 'db-engine-version',
  /** outputs: name, arn, family. The instance's parameter group: TLS required. */
  dbParams: 'db-params',
  /** outputs: endpoint, port, identifier, arn, dbName. */
  db: 'db',
  /** `database.proxy` only. outputs: endpoint, name, arn. */
  dbProxy: 'db-proxy',
  /** `database.proxy` only: the proxy's security group (outputs: groupId) and its rules. */
  dbProxySecurityGroup: 'sg-db-proxy',
  dbProxySecurityGroupRules: 'sg-db-proxy-rules',
  /** `database.proxy` only. outputs: name, arn. */
  dbProxyRole: 'db-proxy-role',
  /** outputs: fileSystemId, arn. */
  efs: 'efs',
} as const;

/** Step id of the mount target in the app subnet of AZ `az` (a letter). outputs: mountTargetId, az, ipAddress. */
export const efsMountStep = (az: string) => `efs-mount-${az}`;

/** The database name WordPress uses. */
export const DB_NAME = 'wordpress';
/** The master user; its password is generated into the secret. */
export const DB_USERNAME = 'wpadmin';
export const DB_PORT = 3306;
/**
 * The document root. The official `wordpress` image's entrypoint copies WordPress core there from the
 * image at each start (the task's own disk) and writes wp-config.php from the environment. It copies
 * the image's bundled themes and plugins into a shared `wp-content` only where they are missing
 * (docker-library/wordpress, docker-entrypoint.sh: each `wp-content/<kind>/<name>` that exists is
 * excluded from the copy), so what users installed is kept, and an upgrade of core is an image tag.
 */
export const DOCUMENT_ROOT = '/var/www/html';

/**
 * What the tasks share on EFS (`wordpress.sharedFiles`), mounted over the image's copy of WordPress:
 * - `content`: `wp-content` (uploads, plugins, themes, and what WordPress writes there);
 * - `uploads`: only `wp-content/uploads`; plugins and themes come with the image.
 * WordPress core always comes from the image, on the task's own disk: PHP and the block theme's
 * templates read over NFS made every page several times slower (`npm run bench:site`).
 * `step` is the access point rooted at `efsPath` (outputs: accessPointId, arn, fileSystemId). A stack
 * deployed when the access point was rooted at `/wordpress` and mounted at the document root keeps its
 * files: its content is at `/wordpress/wp-content`, which the new access point exposes; the old one
 * (step `efs-ap`) is no longer in the config, and is deleted once the service has rolled to the new
 * task definition.
 */
export function sharedFiles(config: Pick<Config, 'wordpress'>): { step: string; efsPath: string; containerPath: string } {
  const what = config.wordpress.sharedFiles;
  const sub = what === 'content' ? 'wp-content' : 'wp-content/uploads';
  return { step: `efs-ap-${what}`, efsPath: `/wordpress/${sub}`, containerPath: `${DOCUMENT_ROOT}/${sub}` };
}

/** The step and output that hold the host WordPress connects to: the proxy when enabled, else the instance. */
export function dbHost(config: Pick<Config, 'database'>): { step: string; key: 'endpoint' } {
  return { step: config.database.proxy ? DATA_STEPS.dbProxy : DATA_STEPS.db, key: 'endpoint' };
}

const subnetStep = (tier: 'app' | 'data', az: string) => `subnet-${tier}-${az}`;

export function dataSteps(b: StepBuilder): void {
  const { config, ctx } = b;
  const { stack, database } = config;
  const add = b.add.bind(b);
  const azs = b.azs;
  const dataSubnets = azs.map((az) => subnetStep('data', az));
  const group = (i: Inputs, role: string) => i.get(`sg-${role}`, 'groupId');

  // Secrets: kept by `down`, generated once.
  add(DATA_STEPS.dbSecret, 'db-secret', secretKind, [], (_, tags) => ({
    name: secretName(stack, 'db'),
    description: `wpdeploy ${stack}: WordPress database credentials (username, password, engine, host, port, dbname)`,
    content: { type: 'db-credentials' as const, username: DB_USERNAME, engine: database.engine, dbname: DB_NAME, port: DB_PORT },
    tags,
  }));
  add(DATA_STEPS.saltsSecret, 'wp-salts', secretKind, [], (_, tags) => ({
    name: secretName(stack, 'wp-salts'),
    description: `wpdeploy ${stack}: WordPress authentication keys and salts, shared by every task`,
    content: { type: 'wordpress-salts' as const },
    tags,
  }));

  // RDS
  add(DATA_STEPS.dbSubnetGroup, 'data', dbSubnetGroupKind, dataSubnets.map((s) => dep(s, 'the group lists the data subnets')), (i, tags) => ({
    name: `${stack}-data`,
    description: `wpdeploy ${stack}: the data subnets, one per AZ`,
    subnetIds: dataSubnets.map((s) => i.get(s, 'subnetId')),
    tags,
  }));
  // A check: a version RDS can no longer create stops `up` before its first change.
  add(DATA_STEPS.dbEngineVersion, 'db-engine-version', engineLifecycleKind, [], () => ({
    engine: database.engine, engineVersion: database.engineVersion, extendedSupport: database.extendedSupport, instanceIdentifier: `${stack}-db`,
  }), { check: true });
  const family = parameterGroupFamily(database.engine, database.engineVersion);
  add(DATA_STEPS.dbParams, 'db-params', dbParameterGroupKind, [], (_, tags) => ({
    name: parameterGroupName(stack, family),
    family,
    description: `wpdeploy ${stack}: ${family} settings of the database; TLS required`,
    parameters: { ...TLS_PARAMETERS },
    tags,
  }));
  add(DATA_STEPS.db, 'db', dbInstanceKind, [
    dep(DATA_STEPS.dbParams, 'the instance uses the parameter group, which cannot be deleted while it does'),
    dep(DATA_STEPS.dbSubnetGroup, 'the instance lives in the data subnets; the group cannot be deleted while it exists'),
    dep('sg-db', 'the instance is behind the db security group; its interfaces keep the group until it is gone'),
    createDep(DATA_STEPS.dbSecret, 'the master password is read from the secret at creation'),
  ], (i, tags) => ({
    identifier: `${stack}-db`,
    engine: database.engine,
    engineVersion: database.engineVersion,
    instanceClass: database.instanceClass,
    storageGb: database.storageGb,
    multiAz: database.multiAz,
    backupRetentionDays: database.backupRetentionDays,
    deletionProtection: database.deletionProtection,
    dbName: DB_NAME,
    port: DB_PORT,
    subnetGroupName: i.get(DATA_STEPS.dbSubnetGroup, 'name'),
    securityGroupIds: [group(i, 'db')],
    secretArn: i.get(DATA_STEPS.dbSecret, 'arn'),
    logExports: [...RDS_LOG_EXPORTS],
    parameterGroupName: i.get(DATA_STEPS.dbParams, 'name'),
    engineLifecycleSupport: engineLifecycle(database.engine, database.extendedSupport),
    // Class, storage and Multi-AZ changes wait for the maintenance window (the plan says so).
    applyImmediately: config.database.applyImmediately,
    tags,
  }), { preflight: { quotas: [{ quota: 'rds-instances', amount: 1, name: `${stack}-db` }], check: checkOrderable } });
  add(DATA_STEPS.dbSecretEndpoint, 'db-secret', dbSecretEndpointKind, [
    createDep(DATA_STEPS.dbSecret, 'writes into the secret'),
    createDep(DATA_STEPS.db, 'the host and port exist once the instance does'),
  ], (i) => ({
    secretArn: i.get(DATA_STEPS.dbSecret, 'arn'),
    host: i.get(DATA_STEPS.db, 'endpoint'),
    port: DB_PORT,
    engine: database.engine,
    dbname: DB_NAME,
    dbInstanceIdentifier: `${stack}-db`,
  }));

  if (database.proxy) {
    const tcp = (port: number, sourceGroupId: string, description: string): SgRule => ({ protocol: 'tcp', fromPort: port, toPort: port, sourceGroupId, description });
    add(DATA_STEPS.dbProxySecurityGroup, 'db-proxy', securityGroupKind, [dep('vpc', 'created inside the VPC, which cannot be deleted while it exists')], (i, tags) => ({
      vpcId: i.get('vpc', 'vpcId'), name: `${stack}-db-proxy`, description: `wpdeploy ${stack} database proxy: MySQL from the WordPress tasks`, tags,
    }));
    add(DATA_STEPS.dbProxySecurityGroupRules, 'db-proxy-rules', securityGroupRulesKind, [
      createDep(DATA_STEPS.dbProxySecurityGroup, 'the rules belong to the group (deleting the group takes them)'),
      dep('sg-app', 'a rule references this group, which cannot be deleted while referenced'),
      dep('sg-db', 'a rule references this group, which cannot be deleted while referenced'),
    ], (i) => ({
      groupId: group(i, 'db-proxy'),
      ingress: [tcp(DB_PORT, group(i, 'app'), 'MySQL from the WordPress tasks')],
      egress: [tcp(DB_PORT, group(i, 'db'), 'MySQL to the database')],
    }));
    add(DATA_STEPS.dbProxyRole, 'db-proxy', iamRoleKind, [createDep(DATA_STEPS.dbSecret, 'its policy names the secret')], (i, tags) => ({
      name: roleName(stack, 'db-proxy', config.region),
      description: `wpdeploy ${stack}: lets RDS Proxy read the database secret`,
      trustService: 'rds.amazonaws.com',
      sourceAccount: ctx.account,
      inlinePolicies: {
        'read-db-secret': {
          Version: '2012-10-17' as const,
          Statement: [{ Effect: 'Allow' as const, Action: ['secretsmanager:GetSecretValue'], Resource: [i.get(DATA_STEPS.dbSecret, 'arn')] }],
        },
      },
      managedPolicyArns: [],
      tags,
    }));
    add(DATA_STEPS.dbProxy, 'db-proxy', dbProxyKind, [
      // AWS deletes an instance a proxy targets (the target just goes): the two deletes run side by side.
      createDep(DATA_STEPS.db, 'the instance is its target'),
      createDep(DATA_STEPS.dbSecret, 'it logs in with the secret'),
      createDep(DATA_STEPS.dbProxyRole, 'it reads the secret with this role'),
      dep(DATA_STEPS.dbProxySecurityGroup, 'it is behind its own security group; its interfaces keep the group until it is gone'),
      ...dataSubnets.map((s) => dep(s, 'it lives in the data subnets; its interfaces keep them until it is gone')),
    ], (i, tags) => ({
      name: `${stack}-db-proxy`,
      engineFamily: 'MYSQL' as const,
      secretArn: i.get(DATA_STEPS.dbSecret, 'arn'),
      roleArn: i.get(DATA_STEPS.dbProxyRole, 'arn'),
      subnetIds: dataSubnets.map((s) => i.get(s, 'subnetId')),
      securityGroupIds: [group(i, 'db-proxy')],
      requireTls: true,
      idleClientTimeoutSeconds: 1800,
      dbInstanceIdentifier: i.get(DATA_STEPS.db, 'identifier'),
      tags,
    }));
  }

  // EFS
  add(DATA_STEPS.efs, 'efs', fileSystemKind, [], (_, tags) => ({
    performanceMode: 'generalPurpose' as const,
    throughputMode: 'elastic' as const,
    encrypted: true,
    transitionToIA: 'AFTER_30_DAYS',
    backup: true,
    tags,
  }));
  for (const az of azs) {
    add(efsMountStep(az), `efs-${az}`, mountTargetKind, [
      dep(DATA_STEPS.efs, 'a mount target of the file system, which cannot be deleted while it has mount targets'),
      dep(subnetStep('app', az), 'in the app subnet of its AZ, next to the tasks; its interface keeps the subnet until it is gone'),
      dep('sg-efs', 'behind the efs security group; its interface keeps the group until it is gone'),
    ], (i) => ({
      fileSystemId: i.get(DATA_STEPS.efs, 'fileSystemId'),
      subnetId: i.get(subnetStep('app', az), 'subnetId'),
      securityGroupIds: [group(i, 'efs')],
    }));
  }
  const shared = sharedFiles(config);
  add(shared.step, `efs-wp-${config.wordpress.sharedFiles}`, accessPointKind, [dep(DATA_STEPS.efs, 'an access point of the file system, deleted before it')], (i, tags) => ({
    fileSystemId: i.get(DATA_STEPS.efs, 'fileSystemId'),
    path: shared.efsPath,
    uid: WWW_DATA,
    gid: WWW_DATA,
    permissions: '0755',
    tags,
  }));
}
