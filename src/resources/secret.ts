/**
 * Secrets Manager secrets whose value wpdeploy generates once and never reads back into state, logs
 * or output: the database credentials (`db-credentials`: username, password, engine, host, port,
 * dbname, the RDS JSON layout) and the WordPress keys and salts (`wordpress-salts`). A secret holds
 * what a kept snapshot needs to be usable, so it is kept by `down` (`retainOnDown`) and deleted by
 * `down --purge` without a recovery window, so that its name can be used again at once.
 *
 * A second kind, `secretsmanager:db-secret-endpoint`, fills in `host` and `port` of the database
 * secret once the instance exists (the secret must exist before the instance, which is created with
 * its password): it reads the current value and writes it back with only those fields changed.
 */
import type { DescribeSecretResponse, SecretListEntry } from '@aws-sdk/client-secrets-manager';
import { SecretsManager } from '../aws/sdk.js';
import { isNotFound, isSecretStateConflict } from '../aws/errors.js';
import { writeOrVerify } from '../aws/idempotent.js';
import { waitFor } from '../aws/poll.js';
import { fromTagList, tagsToSet, toTagList, TAG_STACK, TAG_STEP, type TagMap, tagChanges, ownedBy } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { defineKind } from './kinds.js';
import { changesOf, known, type Actual, type Diff, type ResourceContext, type ResourceKind } from './types.js';

/** The eight WordPress authentication keys and salts, the JSON keys of the salts secret. */
export const WORDPRESS_SALT_KEYS = [
  'AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT',
] as const;

/** The JSON keys of the database secret (the layout RDS and its rotation functions use). */
export const DB_SECRET_KEYS = ['username', 'password', 'engine', 'host', 'port', 'dbname'] as const;

/**
 * The characters RDS refuses in a MySQL/MariaDB master password: `/`, `@`, `"` and space (space is
 * left out with IncludeSpace: false).
 */
export const RDS_PASSWORD_EXCLUDED = '/@"';
/** MySQL accepts master passwords of 8 to 41 characters. */
export const DB_PASSWORD_LENGTH = 32;
/** As long as the keys `wp-cli config shuffle-salts` and api.wordpress.org generate. */
export const SALT_LENGTH = 64;

export type SecretContent =
  | { type: 'db-credentials'; username: string; engine: string; dbname: string; port: number }
  | { type: 'wordpress-salts' };

export interface SecretSpec {
  /** `wpdeploy/<stack>/<role>`; a secret cannot be renamed. */
  name: string;
  description: string;
  /** What to generate at creation. Never compared afterwards: wpdeploy does not read values to plan. */
  content: SecretContent;
  tags: TagMap;
}

export interface SecretActual extends Actual {
  /** The ARN. */
  id: string;
  arn: string;
  name: string;
  /** `available`, or `scheduled-for-deletion` (then `deletedDate` says when it goes). */
  state: 'available' | 'scheduled-for-deletion';
  description: string;
  deletedDate?: string;
  tags: TagMap;
}

/** The secret name of a stack's role: `wpdeploy/<stack>/<role>`. */
export function secretName(stack: string, role: string): string {
  return `wpdeploy/${stack}/${role}`;
}

export const secrets = (ctx: Pick<ResourceContext, 'aws'>) => ctx.aws.get(SecretsManager.SecretsManagerClient);


function toActual(s: DescribeSecretResponse | SecretListEntry): SecretActual {
  return {
    id: s.ARN!,
    arn: s.ARN!,
    name: s.Name ?? '',
    state: s.DeletedDate ? 'scheduled-for-deletion' : 'available',
    description: s.Description ?? '',
    deletedDate: s.DeletedDate ? new Date(s.DeletedDate).toISOString() : undefined,
    tags: fromTagList(s.Tags),
  };
}

/** The secret by ARN or name, scheduled for deletion or not; undefined when it does not exist. */
export async function describeSecret(ctx: Pick<ResourceContext, 'aws'>, id: string): Promise<SecretActual | undefined> {
  try {
    return toActual(await secrets(ctx).send(new SecretsManager.DescribeSecretCommand({ SecretId: id })));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Every secret (scheduled for deletion included) carrying `wpdeploy:stack=<stack>`. */
export async function stackSecrets(ctx: Pick<ResourceContext, 'aws'>, stack: string): Promise<SecretActual[]> {
  const out: SecretActual[] = [];
  let NextToken: string | undefined;
  do {
    const r = await secrets(ctx).send(new SecretsManager.ListSecretsCommand({
      IncludePlannedDeletion: true,
      Filters: [{ Key: 'tag-key', Values: [TAG_STACK] }, { Key: 'tag-value', Values: [stack] }],
      NextToken,
    }));
    for (const s of r.SecretList ?? []) if (fromTagList(s.Tags)[TAG_STACK] === stack) out.push(toActual(s));
    NextToken = r.NextToken;
  } while (NextToken);
  return out;
}

/** Reads a secret's JSON value. The value stays in the caller: never log, record or throw it. */
export async function readSecretJson(ctx: Pick<ResourceContext, 'aws'>, secretId: string): Promise<Record<string, unknown>> {
  const r = await secrets(ctx).send(new SecretsManager.GetSecretValueCommand({ SecretId: secretId }));
  try {
    const v = JSON.parse(r.SecretString ?? '') as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // not JSON: reported below without the value
  }
  throw new WpdeployError(`secret ${r.Name ?? secretId} does not hold a JSON object.`, {
    hint: `Put the expected JSON back (\`aws secretsmanager put-secret-value --secret-id ${r.Name ?? secretId} --secret-string file://value.json\`), or delete the secret and run \`wpdeploy up\` to generate a new one.`,
  });
}

async function randomPassword(ctx: ResourceContext, length: number, exclude: string): Promise<string> {
  const r = await secrets(ctx).send(new SecretsManager.GetRandomPasswordCommand({
    PasswordLength: length, ExcludeCharacters: exclude || undefined, IncludeSpace: false, RequireEachIncludedType: true,
  }));
  if (!r.RandomPassword || r.RandomPassword.length !== length) throw new WpdeployError('Secrets Manager GetRandomPassword returned no password of the requested length.');
  return r.RandomPassword;
}

/** The first value of a secret, generated by Secrets Manager (GetRandomPassword). */
export async function generateSecretValue(ctx: ResourceContext, content: SecretContent): Promise<string> {
  switch (content.type) {
    case 'db-credentials': {
      const password = await randomPassword(ctx, DB_PASSWORD_LENGTH, RDS_PASSWORD_EXCLUDED);
      // host is filled in by the db-secret-endpoint step once the instance exists
      return JSON.stringify({ username: content.username, password, engine: content.engine, host: '', port: content.port, dbname: content.dbname });
    }
    case 'wordpress-salts': {
      // One call for all eight; quotes and backslashes left out so the values survive any config templating.
      const all = await randomPassword(ctx, SALT_LENGTH * WORDPRESS_SALT_KEYS.length, `'"\\\``);
      return JSON.stringify(Object.fromEntries(WORDPRESS_SALT_KEYS.map((k, i) => [k, all.slice(i * SALT_LENGTH, (i + 1) * SALT_LENGTH)])));
    }
  }
}

async function restore(ctx: ResourceContext, actual: SecretActual): Promise<SecretActual> {
  ctx.warn(`secret ${actual.name} was scheduled for deletion${actual.deletedDate ? ` on ${actual.deletedDate}` : ''}; restored it (its value is unchanged).`);
  await secrets(ctx).send(new SecretsManager.RestoreSecretCommand({ SecretId: actual.arn }));
  return { ...actual, state: 'available', deletedDate: undefined };
}

function takenError(name: string, other: SecretActual | undefined, cause: unknown): WpdeployError {
  const scheduled = other?.state === 'scheduled-for-deletion';
  const owner = other?.tags[TAG_STACK] ? `stack ${other.tags[TAG_STACK]} (step ${other.tags[TAG_STEP] ?? '?'})` : 'something other than wpdeploy';
  return new WpdeployError(`a secret named ${name} already exists${scheduled ? ', scheduled for deletion,' : ''} and belongs to ${owner}.`, {
    hint: scheduled
      ? `Free the name with \`aws secretsmanager delete-secret --secret-id ${name} --force-delete-without-recovery\` (its value is lost), or restore it with \`aws secretsmanager restore-secret --secret-id ${name}\` and tag it, or deploy under another stack name.`
      : `Delete it if nothing uses it (\`aws secretsmanager delete-secret --secret-id ${name} --force-delete-without-recovery\`), or deploy under another stack name.`,
    cause,
  });
}

export const secretKind: ResourceKind<SecretSpec, SecretActual, 'arn' | 'name'> = defineKind({
  name: 'secretsmanager:secret',
  noun: 'secret',
  timing: { createMs: 1_000, deleteMs: 2_000 },
  retainOnDown: true,
  onReplace: 'refuse',

  /**
   * By the recorded ARN, then by the name the spec fixes (when it carries this step's tags), then
   * among the secrets tagged with this stack. A secret scheduled for deletion is found too (state
   * `scheduled-for-deletion`): `up` restores it rather than failing on the reserved name.
   */
  async find(ctx, desired) {
    // With the run's read cache, one listing of the stack's secrets serves every secret step.
    const listed = await ctx.reads?.read(`secrets:${ctx.stack}`, 'SecretsManager', () => stackSecrets(ctx, ctx.stack));
    if (ctx.recordedId) {
      const s = listed?.find((x) => x.arn === ctx.recordedId) ?? (await describeSecret(ctx, ctx.recordedId));
      if (s) return s;
    }
    if (desired && known(desired.name)) {
      const s = listed?.find((x) => x.name === desired.name && ownedBy(ctx, x.tags)) ?? (await describeSecret(ctx, desired.name));
      if (s) return ownedBy(ctx, s.tags) ? s : undefined;
    }
    const mine = (listed ?? (await stackSecrets(ctx, ctx.stack))).filter((s) => ownedBy(ctx, s.tags));
    // Never handed to the engine as duplicates: another secret may be the one a kept snapshot needs.
    if (mine.length > 1) ctx.warn(`${mine.length} secrets carry the tags of step ${ctx.step}: ${mine.map((s) => s.name).join(', ')}; using ${mine[0]!.name}. The others are left alone.`);
    return mine[0];
  },

  diff(desired, actual): Diff {
    const changes = changesOf(['description', actual.description, desired.description]);
    if (actual.state === 'scheduled-for-deletion') changes.unshift({ field: 'state', from: `scheduled for deletion${actual.deletedDate ? ` on ${actual.deletedDate}` : ''}`, to: 'available (restored)' });
    changes.push(...tagChanges(desired.tags, actual.tags));
    if (known(desired.name) && desired.name !== actual.name) {
      return {
        changes: [{ field: 'name', from: actual.name, to: desired.name }, ...changes],
        replace: `a secret cannot be renamed (${actual.name} -> ${desired.name}); a new one would hold a new value, and what uses the old one would break`,
      };
    }
    return { changes };
  },

  /**
   * Generates the value, then creates the secret with its tags and a ClientRequestToken in the same
   * call, and records its ARN. When the name is already taken by this step's secret (a create that
   * crashed before the ARN was recorded), it is adopted as it is, restored if scheduled for deletion,
   * and its value is kept; a name taken by anything else is refused.
   */
  async create(ctx, desired) {
    const value = await generateSecretValue(ctx, desired.content);
    let arn: string;
    try {
      const r = await secrets(ctx).send(new SecretsManager.CreateSecretCommand({
        Name: desired.name,
        Description: desired.description,
        SecretString: value,
        Tags: toTagList(desired.tags),
        ClientRequestToken: ctx.clientToken(),
      }));
      arn = r.ARN!;
    } catch (err) {
      const existing = await describeSecret(ctx, desired.name).catch(() => undefined);
      if (!existing) throw err;
      if (!ownedBy(ctx, existing.tags)) throw takenError(desired.name, existing, err);
      ctx.warn(`secret ${desired.name} already existed with this step's tags; adopted it and kept its value.`);
      await ctx.recordId(existing.arn, existing.arn);
      return secretKind.update!(ctx, desired, existing, secretKind.diff(desired, existing));
    }
    await ctx.recordId(arn, arn);
    return { id: arn, arn, name: desired.name, state: 'available', description: desired.description, tags: { ...desired.tags } };
  },

  /** Restores a secret scheduled for deletion, then sets the description and the tags that differ. The value is never touched. */
  async update(ctx, desired, actual) {
    let a = actual;
    if (a.state === 'scheduled-for-deletion') a = await restore(ctx, a);
    if (desired.description !== a.description) {
      await secrets(ctx).send(new SecretsManager.UpdateSecretCommand({ SecretId: a.arn, Description: desired.description }));
      a = { ...a, description: desired.description };
    }
    const toSet = tagsToSet(desired.tags, a.tags);
    if (Object.keys(toSet).length > 0) {
      await secrets(ctx).send(new SecretsManager.TagResourceCommand({ SecretId: a.arn, Tags: toTagList(toSet) }));
      a = { ...a, tags: { ...a.tags, ...toSet } };
    }
    return a;
  },

  /**
   * `down --purge`: deleted without a recovery window (ForceDeleteWithoutRecovery), even when it was
   * already scheduled for deletion, and waited for until the name is free. Otherwise (a step the
   * config dropped) scheduled for deletion with the shortest recovery window, 7 days, and said so.
   * Already gone is success.
   */
  async delete(ctx, actual) {
    const client = secrets(ctx);
    try {
      if (ctx.purge) {
        await client.send(new SecretsManager.DeleteSecretCommand({ SecretId: actual.arn, ForceDeleteWithoutRecovery: true }));
      } else {
        if (actual.state === 'scheduled-for-deletion') return;
        // A retried schedule whose first attempt took effect meets the secret scheduled already: success.
        await writeOrVerify(() => client.send(new SecretsManager.DeleteSecretCommand({ SecretId: actual.arn, RecoveryWindowInDays: 7 })),
          async () => ((await describeSecret(ctx, actual.arn))?.state === 'scheduled-for-deletion' ? true : undefined), isSecretStateConflict);
        ctx.warn(`secret ${actual.name} is scheduled for deletion in 7 days; until then \`aws secretsmanager restore-secret --secret-id ${actual.name}\` brings it back.`);
        return;
      }
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    await waitFor({
      what: `secret ${actual.name} to be deleted`, expectedMs: 2_000, timeoutMs: 60_000, minIntervalMs: 500, scale: ctx.scale, signal: ctx.signal,
      check: () => describeSecret(ctx, actual.arn),
      done: (s) => !s,
    });
  },

  outputs: (a) => ({ arn: a.arn, name: a.name }),
});

// ---------------------------------------------------------------------------------------------

export interface DbSecretEndpointSpec {
  /** The database secret (step `db-secret`, output `arn`). */
  secretArn: string;
  host: string;
  port: number;
  engine: string;
  dbname: string;
  /** The instance, for rotation functions and people reading the secret. */
  dbInstanceIdentifier: string;
}

/** The connection fields of the database secret, never its password. */
export interface DbSecretEndpointActual extends Actual {
  /** The secret's ARN. */
  id: string;
  host: string;
  port: number | undefined;
  engine: string;
  dbname: string;
  dbInstanceIdentifier: string;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const num = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);

export const dbSecretEndpointKind: ResourceKind<DbSecretEndpointSpec, DbSecretEndpointActual, 'secretArn' | 'host' | 'port'> = defineKind({
  name: 'secretsmanager:db-secret-endpoint',
  noun: 'database secret endpoint',
  foundBySpec: true,
  // The fields are part of the database secret, which `down` keeps: so are they (not "deleted").
  retainOnDown: true,
  timing: { createMs: 1_000, deleteMs: 0 },

  /** The connection fields of the secret the spec names (or the one recorded); undefined when the secret is gone. */
  async find(ctx, desired) {
    const id = desired && known(desired.secretArn) ? desired.secretArn : ctx.recordedId;
    if (!id) return undefined;
    let v: Record<string, unknown>;
    try {
      v = await readSecretJson(ctx, id);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      // a secret scheduled for deletion has no readable value: its own step restores it first
      if ((await describeSecret(ctx, id))?.state === 'scheduled-for-deletion') return undefined;
      throw err;
    }
    return {
      id, state: 'available', host: str(v.host), port: num(v.port), engine: str(v.engine), dbname: str(v.dbname), dbInstanceIdentifier: str(v.dbInstanceIdentifier),
    };
  },

  diff: (desired, actual) => ({
    changes: changesOf(
      ['host', actual.host, desired.host], ['port', actual.port, desired.port], ['engine', actual.engine, desired.engine],
      ['dbname', actual.dbname, desired.dbname], ['dbInstanceIdentifier', actual.dbInstanceIdentifier, desired.dbInstanceIdentifier],
    ),
  }),

  /** Writes the connection fields into the secret, keeping its username and password (PutSecretValue with a ClientRequestToken). */
  async create(ctx, desired) {
    await ctx.recordId(desired.secretArn);
    return putEndpoint(ctx, desired);
  },

  update: (ctx, desired) => putEndpoint(ctx, desired),

  /** The fields go with the secret (kept by `down`, deleted by `down --purge`): nothing to do. */
  async delete() {},

  outputs: (a) => ({ secretArn: a.id, host: a.host, port: String(a.port ?? '') }),
});

async function putEndpoint(ctx: ResourceContext, desired: DbSecretEndpointSpec): Promise<DbSecretEndpointActual> {
  const current = await readSecretJson(ctx, desired.secretArn);
  if (typeof current.password !== 'string' || !current.password || typeof current.username !== 'string' || !current.username) {
    throw new WpdeployError(`the database secret ${desired.secretArn} has no username or password.`, {
      hint: 'Put them back (`aws secretsmanager put-secret-value`), or remove the stack with `wpdeploy down --purge` and deploy again.',
    });
  }
  const next = {
    ...current,
    engine: desired.engine, host: desired.host, port: desired.port, dbname: desired.dbname, dbInstanceIdentifier: desired.dbInstanceIdentifier,
  };
  await secrets(ctx).send(new SecretsManager.PutSecretValueCommand({ SecretId: desired.secretArn, SecretString: JSON.stringify(next), ClientRequestToken: ctx.clientToken() }));
  return {
    id: desired.secretArn, state: 'available', host: desired.host, port: desired.port, engine: desired.engine, dbname: desired.dbname,
    dbInstanceIdentifier: desired.dbInstanceIdentifier,
  };
}
