/**
 * The Secrets Manager layer the secret kinds and the instance share: the client, a secret by ARN or
 * name (undefined when it does not exist), the stack's secrets page by page, a secret's JSON value
 * and the database credentials in it, generated passwords. Values stay in the caller: never logged,
 * recorded or thrown.
 */
import type { DescribeSecretResponse, SecretListEntry } from '@aws-sdk/client-secrets-manager';
import { orAbsent } from '../aws/idempotent.js';
import { SecretsManager } from '../aws/sdk.js';
import { fromTagList, TAG_STACK } from '../aws/tags.js';
import { WpdeployError } from '../errors.js';
import { paged } from '../aws/reads.js';
import type { SecretActual } from './secret.js';
import type { ResourceContext } from './types.js';

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
  const s = await orAbsent(() => secrets(ctx).send(new SecretsManager.DescribeSecretCommand({ SecretId: id })));
  return s && toActual(s);
}

/** Every secret (scheduled for deletion included) carrying `wpdeploy:stack=<stack>`. */
export async function stackSecrets(ctx: Pick<ResourceContext, 'aws'>, stack: string): Promise<SecretActual[]> {
  const all = await paged((NextToken) => secrets(ctx).send(new SecretsManager.ListSecretsCommand({
    IncludePlannedDeletion: true,
    Filters: [{ Key: 'tag-key', Values: [TAG_STACK] }, { Key: 'tag-value', Values: [stack] }],
    NextToken,
  })), (r) => [r.SecretList, r.NextToken]);
  return all.filter((s) => fromTagList(s.Tags)[TAG_STACK] === stack).map(toActual);
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

export async function randomPassword(ctx: ResourceContext, length: number, exclude: string): Promise<string> {
  const r = await secrets(ctx).send(new SecretsManager.GetRandomPasswordCommand({
    PasswordLength: length, ExcludeCharacters: exclude || undefined, IncludeSpace: false, RequireEachIncludedType: true,
  }));
  if (!r.RandomPassword || r.RandomPassword.length !== length) throw new WpdeployError('Secrets Manager GetRandomPassword returned no password of the requested length.');
  return r.RandomPassword;
}


/** The username and password of the database secret; a secret without them is refused, saying how to fix it. */
export async function dbCredentials(ctx: Pick<ResourceContext, 'aws'>, secretArn: string): Promise<{ username: string; password: string; value: Record<string, unknown> }> {
  const value = await readSecretJson(ctx, secretArn);
  if (typeof value.username !== 'string' || !value.username || typeof value.password !== 'string' || !value.password) {
    throw new WpdeployError(`the database secret ${secretArn} has no username or password.`, {
      hint: 'Put them back (`aws secretsmanager put-secret-value`), or remove the stack with `wpdeploy down --purge` and deploy again.',
    });
  }
  return { username: value.username, password: value.password, value };
}
