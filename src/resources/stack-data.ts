/**
 * The data tier: the database credentials and the WordPress keys and salts in Secrets Manager, the
 * DB subnet group over the data subnets, RDS MySQL/MariaDB (Multi-AZ by default), an optional RDS
 * Proxy, and EFS (file system, one mount target per app subnet, an access point for WordPress).
 *
 * The secrets and the file system hold data users cannot get back: `down` keeps them (and a final
 * snapshot of the instance); the next `up` reuses them and restores the instance from the snapshot.
 *
 * What the app tier reads (`Data`): the database host (the proxy's endpoint with `database.proxy`,
 * else the instance's) and port, the database name, the database secret's ARN (JSON keys
 * DB_SECRET_KEYS), the salts secret's ARN (JSON keys WORDPRESS_SALT_KEYS), the file system and the
 * access point.
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
import { securityGroupRulesKind, type SgRule } from './security-group.js';
import type { Network } from './stack-network.js';
import { azLetter, deleteDep, type Step, type StepBuilder } from './step-builder.js';

export { DB_SECRET_KEYS, WORDPRESS_SALT_KEYS } from './secret.js';

/** The data tier's steps that the app tier reads or waits for. */
export interface Data {
  /** JSON keys: username, password, engine, host, port, dbname (+ dbInstanceIdentifier). */
  dbSecret: Step<'arn' | 'name'>;
  /** JSON keys: WORDPRESS_SALT_KEYS. */
  saltsSecret: Step<'arn' | 'name'>;
  db: Step<'endpoint' | 'port' | 'identifier' | 'arn' | 'dbName'>;
  /** `database.proxy` only: WordPress connects through it. */
  dbProxy?: Step<'endpoint' | 'name' | 'arn'>;
  efs: Step<'fileSystemId' | 'arn'>;
  /** The access point of `sharedFiles(config)`. */
  accessPoint: Step<'accessPointId' | 'arn' | 'fileSystemId'>;
  /** One mount target per app subnet, in AZ order. */
  mounts: Step[];
}

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
 * `step` is the access point rooted at `efsPath` (outputs: accessPointId, arn, fileSystemId). A state
 * that records step `efs-ap` (an access point rooted at `/wordpress`, mounted at the document root)
 * keeps its files: its content is at `/wordpress/wp-content`, which this access point exposes; `efs-ap`,
 * which no config produces, is deleted once the service has rolled to the new task definition.
 */
export function sharedFiles(config: Pick<Config, 'wordpress'>): { step: string; efsPath: string; containerPath: string } {
  const what = config.wordpress.sharedFiles;
  const sub = what === 'content' ? 'wp-content' : 'wp-content/uploads';
  return { step: `efs-ap-${what}`, efsPath: `/wordpress/${sub}`, containerPath: `${DOCUMENT_ROOT}/${sub}` };
}

export function dataSteps(b: StepBuilder, net: Network): Data {
  const { stack } = b.config;
  // Secrets: kept by `down`, generated once.
  const dbSecret = b.add('db-secret', 'db-secret', secretKind, [], (tags) => ({
    name: secretName(stack, 'db'),
    description: `wpdeploy ${stack}: WordPress database credentials (username, password, engine, host, port, dbname)`,
    content: { type: 'db-credentials' as const, username: DB_USERNAME, engine: b.config.database.engine, dbname: DB_NAME, port: DB_PORT },
    tags,
  }));
  const saltsSecret = b.add('wp-salts-secret', 'wp-salts', secretKind, [], (tags) => ({
    name: secretName(stack, 'wp-salts'),
    description: `wpdeploy ${stack}: WordPress authentication keys and salts, shared by every task`,
    content: { type: 'wordpress-salts' as const },
    tags,
  }));
  const db = database(b, net, dbSecret);
  const dbProxy = b.config.database.proxy ? proxy(b, net, dbSecret, db) : undefined;
  return { dbSecret, saltsSecret, db, dbProxy, ...fileSystem(b, net) };
}

/** The DB subnet group, the engine version check, the parameter group, the instance, and its host and port written into the secret. */
function database(b: StepBuilder, net: Network, dbSecret: Data['dbSecret']): Data['db'] {
  const { config } = b;
  const { stack, database } = config;
  const subnetGroup = b.add('db-subnet-group', 'data', dbSubnetGroupKind, net.subnets.data.map((s) => deleteDep(s, 'the group lists the data subnets')), (tags) => ({
    name: `${stack}-data`,
    description: `wpdeploy ${stack}: the data subnets, one per AZ`,
    subnetIds: net.subnets.data.map((s) => s.out.subnetId),
    tags,
  }));
  // A check: a version RDS can no longer create stops `up` before its first change.
  b.add('db-engine-version', 'db-engine-version', engineLifecycleKind, [], () => ({
    engine: database.engine, engineVersion: database.engineVersion, extendedSupport: database.extendedSupport, instanceIdentifier: `${stack}-db`,
  }), { check: true });
  const family = parameterGroupFamily(database.engine, database.engineVersion);
  const params = b.add('db-params', 'db-params', dbParameterGroupKind, [], (tags) => ({
    name: parameterGroupName(stack, family),
    family,
    description: `wpdeploy ${stack}: ${family} settings of the database; TLS required`,
    parameters: { ...TLS_PARAMETERS },
    tags,
  }));
  // The master password is read from the secret at creation (its ARN orders only `up`).
  const db = b.add('db', 'db', dbInstanceKind, [
    deleteDep(params, 'the instance uses the parameter group, which cannot be deleted while it does'),
    deleteDep(subnetGroup, 'the instance lives in the data subnets; the group cannot be deleted while it exists'),
    deleteDep(net.groups.db, 'the instance is behind the db security group; its interfaces keep the group until it is gone'),
  ], (tags) => ({
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
    subnetGroupName: subnetGroup.out.name,
    securityGroupIds: [net.groups.db.out.groupId],
    secretArn: dbSecret.out.arn,
    logExports: [...RDS_LOG_EXPORTS],
    parameterGroupName: params.out.name,
    engineLifecycleSupport: engineLifecycle(database.engine, database.extendedSupport),
    // Class, storage and Multi-AZ changes wait for the maintenance window (the plan says so).
    applyImmediately: config.database.applyImmediately,
    tags,
  }), { preflight: { quotas: [{ quota: 'rds-instances', amount: 1, name: `${stack}-db` }], check: checkOrderable } });
  // Writes the instance's host and port into the secret, once the instance exists.
  b.add('db-secret-endpoint', 'db-secret', dbSecretEndpointKind, [], () => ({
    secretArn: dbSecret.out.arn,
    host: db.out.endpoint,
    port: DB_PORT,
    engine: database.engine,
    dbname: DB_NAME,
    dbInstanceIdentifier: `${stack}-db`,
  }));
  return db;
}

/**
 * The RDS Proxy (`database.proxy`): its group's rules, the role it reads the secret with, and the
 * proxy. AWS deletes an instance a proxy targets (the target just goes): the two deletes run side by side.
 */
function proxy(b: StepBuilder, net: Network, dbSecret: Data['dbSecret'], db: Data['db']): Data['dbProxy'] {
  const { config, ctx } = b;
  const { stack } = config;
  const group = net.proxyGroup!;
  const tcp = (port: number, sourceGroupId: string, description: string): SgRule => ({ protocol: 'tcp', fromPort: port, toPort: port, sourceGroupId, description });
  const referenced = 'a rule references this group, which cannot be deleted while referenced';
  b.add('sg-db-proxy-rules', 'db-proxy-rules', securityGroupRulesKind, [deleteDep(net.groups.app, referenced), deleteDep(net.groups.db, referenced)], () => ({
    groupId: group.out.groupId,
    ingress: [tcp(DB_PORT, net.groups.app.out.groupId, 'MySQL from the WordPress tasks')],
    egress: [tcp(DB_PORT, net.groups.db.out.groupId, 'MySQL to the database')],
  }));
  const role = b.add('db-proxy-role', 'db-proxy', iamRoleKind, [], (tags) => ({
    name: roleName(stack, 'db-proxy', config.region),
    description: `wpdeploy ${stack}: lets RDS Proxy read the database secret`,
    trustService: 'rds.amazonaws.com',
    sourceAccount: ctx.account,
    inlinePolicies: {
      'read-db-secret': {
        Version: '2012-10-17' as const,
        Statement: [{ Effect: 'Allow' as const, Action: ['secretsmanager:GetSecretValue'], Resource: [dbSecret.out.arn] }],
      },
    },
    managedPolicyArns: [],
    tags,
  }));
  return b.add('db-proxy', 'db-proxy', dbProxyKind, [
    deleteDep(group, 'it is behind its own security group; its interfaces keep the group until it is gone'),
    ...net.subnets.data.map((s) => deleteDep(s, 'it lives in the data subnets; its interfaces keep them until it is gone')),
  ], (tags) => ({
    name: `${stack}-db-proxy`,
    engineFamily: 'MYSQL' as const,
    secretArn: dbSecret.out.arn,
    roleArn: role.out.arn,
    subnetIds: net.subnets.data.map((s) => s.out.subnetId),
    securityGroupIds: [group.out.groupId],
    requireTls: true,
    idleClientTimeoutSeconds: 1800,
    dbInstanceIdentifier: db.out.identifier,
    tags,
  }));
}

/** EFS: the file system, a mount target in each app subnet, the access point WordPress mounts. */
function fileSystem(b: StepBuilder, net: Network): Pick<Data, 'efs' | 'accessPoint' | 'mounts'> {
  const { config } = b;
  const efs = b.add('efs', 'efs', fileSystemKind, [], (tags) => ({
    performanceMode: 'generalPurpose' as const,
    throughputMode: 'elastic' as const,
    encrypted: true,
    transitionToIA: 'AFTER_30_DAYS',
    backup: true,
    tags,
  }));
  const mounts = net.subnets.app.map((subnet, i) => {
    const az = azLetter(i);
    return b.add(efsMountStep(az), `efs-${az}`, mountTargetKind, [
      deleteDep(efs, 'a mount target of the file system, which cannot be deleted while it has mount targets'),
      deleteDep(subnet, 'in the app subnet of its AZ, next to the tasks; its interface keeps the subnet until it is gone'),
      deleteDep(net.groups.efs, 'behind the efs security group; its interface keeps the group until it is gone'),
    ], () => ({
      fileSystemId: efs.out.fileSystemId,
      subnetId: subnet.out.subnetId,
      securityGroupIds: [net.groups.efs.out.groupId],
    }));
  });
  const shared = sharedFiles(config);
  const accessPoint = b.add(shared.step, `efs-wp-${config.wordpress.sharedFiles}`, accessPointKind, [deleteDep(efs, 'an access point of the file system, deleted before it')], (tags) => ({
    fileSystemId: efs.out.fileSystemId,
    path: shared.efsPath,
    uid: WWW_DATA,
    gid: WWW_DATA,
    permissions: '0755',
    tags,
  }));
  return { efs, accessPoint, mounts };
}
