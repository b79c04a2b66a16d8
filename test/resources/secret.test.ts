import {
  CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, GetRandomPasswordCommand, GetSecretValueCommand, ListSecretsCommand,
  PutSecretValueCommand, RestoreSecretCommand, SecretsManagerClient, TagResourceCommand, UpdateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { toTagList } from '../../src/aws/tags.js';
import { WpdeployError } from '../../src/errors.js';
import {
  dbSecretEndpointKind, secretKind, secretName, WORDPRESS_SALT_KEYS, type SecretActual, type SecretSpec,
} from '../../src/resources/secret.js';
import { awsError, context, newClients, tagsOf, TOKEN } from './data-context.js';

const sm = mockClient(SecretsManagerClient);
let aws: AwsClients;
beforeEach(() => {
  sm.reset();
  aws = newClients();
});
afterEach(() => aws.destroy());

const NAME = secretName('blog', 'db');
const ARN = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${NAME}-AbCdEf`;
const own = tagsOf('db-secret');
const spec: SecretSpec = {
  name: NAME,
  description: 'db credentials',
  content: { type: 'db-credentials', username: 'wpadmin', engine: 'mysql', dbname: 'wordpress', port: 3306 },
  tags: own,
};
const described = (over: Record<string, unknown> = {}) => ({ ARN, Name: NAME, Description: 'db credentials', Tags: toTagList(own), ...over });
const PASSWORD = 'Zq9!x-THE-PASSWORD-x#1234567890ab';

describe('secret names', () => {
  it('are wpdeploy/<stack>/<role>', () => expect(secretName('blog', 'wp-salts')).toBe('wpdeploy/blog/wp-salts'));
});

describe('secret find', () => {
  const cases: Array<[string, () => void, Partial<Parameters<typeof context>[3]>, string | undefined]> = [
    ['by the recorded ARN', () => sm.on(DescribeSecretCommand, { SecretId: ARN }).resolves(described()), { recordedId: ARN }, 'available'],
    ['recorded ARN gone, then by the fixed name with this step\'s tags', () => {
      sm.on(DescribeSecretCommand, { SecretId: ARN }).rejects(awsError('ResourceNotFoundException'));
      sm.on(DescribeSecretCommand, { SecretId: NAME }).resolves(described());
    }, { recordedId: ARN }, 'available'],
    ['scheduled for deletion: found, with that state', () => sm.on(DescribeSecretCommand).resolves(described({ DeletedDate: new Date('2030-01-08T00:00:00Z') })), {}, 'scheduled-for-deletion'],
    ['a secret of that name owned by another stack is not this step\'s', () => sm.on(DescribeSecretCommand).resolves(described({ Tags: toTagList(tagsOf('other')) })), {}, undefined],
    ['not found anywhere', () => {
      sm.on(DescribeSecretCommand).rejects(awsError('ResourceNotFoundException'));
      sm.on(ListSecretsCommand).resolves({ SecretList: [] });
    }, {}, undefined],
  ];
  it.each(cases)('%s', async (_, arrange, over, state) => {
    arrange();
    const found = await secretKind.find(context(aws, 'db-secret', 'db-secret', over), spec);
    expect(found?.state).toBe(state);
    if (found) expect(found).toMatchObject({ id: ARN, arn: ARN, name: NAME });
  });

  it('without a spec (lost state), by the stack tags among all secrets, planned deletions included', async () => {
    sm.on(ListSecretsCommand).resolves({ SecretList: [described({ Tags: toTagList(tagsOf('wp-salts-secret')) }), described()] });
    const found = await secretKind.find(context(aws, 'db-secret'));
    expect(found?.id).toBe(ARN);
    expect(sm.commandCalls(ListSecretsCommand)[0]!.args[0].input).toMatchObject({ IncludePlannedDeletion: true });
  });
});

describe('secret diff', () => {
  const actual: SecretActual = { id: ARN, arn: ARN, name: NAME, state: 'available', description: 'db credentials', tags: own };
  it('is empty when nothing differs', () => expect(secretKind.diff(spec, actual)).toEqual({ changes: [] }));
  it('a secret scheduled for deletion is an update (restore)', () => {
    const d = secretKind.diff(spec, { ...actual, state: 'scheduled-for-deletion', deletedDate: '2030-01-08T00:00:00.000Z' });
    expect(d.replace).toBeUndefined();
    expect(d.changes[0]).toMatchObject({ field: 'state', to: 'available (restored)' });
  });
  it('a rename is refused with the reason', () => {
    expect(secretKind.diff({ ...spec, name: 'wpdeploy/blog/other' }, actual).replace).toMatch(/cannot be renamed/);
  });
});

describe('secret create', () => {
  it('generates the credentials with GetRandomPassword and creates the secret with its tags and a ClientRequestToken', async () => {
    sm.on(GetRandomPasswordCommand).resolves({ RandomPassword: PASSWORD.slice(0, 32) });
    sm.on(CreateSecretCommand).resolves({ ARN, Name: NAME });
    const ctx = context(aws, 'db-secret');
    const a = await secretKind.create(ctx, spec);
    expect(a).toMatchObject({ id: ARN, state: 'available' });
    expect(sm.commandCalls(GetRandomPasswordCommand)[0]!.args[0].input).toMatchObject({ PasswordLength: 32, ExcludeCharacters: '/@"', IncludeSpace: false });
    const input = sm.commandCalls(CreateSecretCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ Name: NAME, ClientRequestToken: TOKEN, Tags: toTagList(own) });
    expect(JSON.parse(input.SecretString!)).toEqual({ username: 'wpadmin', password: PASSWORD.slice(0, 32), engine: 'mysql', host: '', port: 3306, dbname: 'wordpress' });
    expect(ctx.recordId).toHaveBeenCalledWith(ARN, ARN);
    expect(JSON.stringify(secretKind.outputs(a))).not.toContain(PASSWORD.slice(0, 32));
  });

  it('generates the eight WordPress keys and salts, 64 characters each, in one call', async () => {
    const all = Array.from({ length: 512 }, (_, i) => String.fromCharCode(65 + (i % 26))).join('');
    sm.on(GetRandomPasswordCommand).resolves({ RandomPassword: all });
    sm.on(CreateSecretCommand).resolves({ ARN, Name: NAME });
    await secretKind.create(context(aws, 'wp-salts-secret'), { ...spec, content: { type: 'wordpress-salts' } });
    expect(sm.commandCalls(GetRandomPasswordCommand)).toHaveLength(1);
    const value = JSON.parse(sm.commandCalls(CreateSecretCommand)[0]!.args[0].input.SecretString!);
    expect(Object.keys(value)).toEqual([...WORDPRESS_SALT_KEYS]);
    for (const k of WORDPRESS_SALT_KEYS) expect(value[k]).toHaveLength(64);
  });

  it('already exists with this step\'s tags (a crashed create): adopted, its value kept', async () => {
    sm.on(GetRandomPasswordCommand).resolves({ RandomPassword: PASSWORD.slice(0, 32) });
    sm.on(CreateSecretCommand).rejects(awsError('ResourceExistsException'));
    sm.on(DescribeSecretCommand).resolves(described());
    const ctx = context(aws, 'db-secret');
    const a = await secretKind.create(ctx, spec);
    expect(a.id).toBe(ARN);
    expect(ctx.recordId).toHaveBeenCalledWith(ARN, ARN);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(sm.commandCalls(UpdateSecretCommand)).toHaveLength(0);
  });

  it('the name is scheduled for deletion (this step\'s): restored instead of failing', async () => {
    sm.on(GetRandomPasswordCommand).resolves({ RandomPassword: PASSWORD.slice(0, 32) });
    sm.on(CreateSecretCommand).rejects(awsError('InvalidRequestException', 400, 'You can\'t create this secret because a secret with this name is already scheduled for deletion.'));
    sm.on(DescribeSecretCommand).resolves(described({ DeletedDate: new Date('2030-01-08T00:00:00Z') }));
    sm.on(RestoreSecretCommand).resolves({ ARN, Name: NAME });
    const ctx = context(aws, 'db-secret');
    const a = await secretKind.create(ctx, spec);
    expect(a.state).toBe('available');
    expect(sm.commandCalls(RestoreSecretCommand)).toHaveLength(1);
    expect(ctx.warn.mock.calls.join('\n')).toMatch(/scheduled for deletion.*restored/);
  });

  it('already exists and belongs to something else: refused, with the command to free the name, never the value', async () => {
    sm.on(GetRandomPasswordCommand).resolves({ RandomPassword: PASSWORD.slice(0, 32) });
    sm.on(CreateSecretCommand).rejects(awsError('ResourceExistsException'));
    sm.on(DescribeSecretCommand).resolves(described({ Tags: [] }));
    const err = await secretKind.create(context(aws, 'db-secret'), spec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    expect((err as WpdeployError).message).toContain(`a secret named ${NAME} already exists`);
    expect((err as WpdeployError).hint).toContain('--force-delete-without-recovery');
    expect(`${(err as Error).message} ${(err as WpdeployError).hint}`).not.toContain(PASSWORD.slice(0, 32));
  });

  it('the name taken, and the secret of that name cannot be read (access denied): that error stands, never "no such secret"', async () => {
    sm.on(GetRandomPasswordCommand).resolves({ RandomPassword: PASSWORD.slice(0, 32) });
    sm.on(CreateSecretCommand).rejects(awsError('ResourceExistsException'));
    sm.on(DescribeSecretCommand).rejects(awsError('AccessDeniedException', 400));
    await expect(secretKind.create(context(aws, 'db-secret'), spec)).rejects.toMatchObject({ name: 'AccessDeniedException' });
  });
});

describe('secret update', () => {
  const actual: SecretActual = { id: ARN, arn: ARN, name: NAME, state: 'available', description: 'old', tags: {} };
  it('restores a secret scheduled for deletion, then converges description and tags; never touches the value', async () => {
    sm.on(RestoreSecretCommand).resolves({});
    sm.on(UpdateSecretCommand).resolves({});
    sm.on(TagResourceCommand).resolves({});
    const a = await secretKind.update!(context(aws, 'db-secret'), spec, { ...actual, state: 'scheduled-for-deletion' }, { changes: [] });
    expect(a).toMatchObject({ state: 'available', description: 'db credentials', tags: own });
    expect(sm.commandCalls(UpdateSecretCommand)[0]!.args[0].input).toEqual({ SecretId: ARN, Description: 'db credentials' });
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });
});

describe('secret delete', () => {
  const actual: SecretActual = { id: ARN, arn: ARN, name: NAME, state: 'available', description: '', tags: own };
  it('--purge: without a recovery window, waits until the name is free', async () => {
    sm.on(DeleteSecretCommand).resolves({});
    sm.on(DescribeSecretCommand).resolvesOnce(described({ DeletedDate: new Date() })).rejects(awsError('ResourceNotFoundException'));
    await secretKind.delete(context(aws, 'db-secret', 'db-secret', { purge: true }), actual);
    expect(sm.commandCalls(DeleteSecretCommand)[0]!.args[0].input).toEqual({ SecretId: ARN, ForceDeleteWithoutRecovery: true });
    expect(sm.commandCalls(DescribeSecretCommand)).toHaveLength(2);
  });
  it('--purge on a secret already scheduled for deletion: force-deleted too', async () => {
    sm.on(DeleteSecretCommand).resolves({});
    sm.on(DescribeSecretCommand).rejects(awsError('ResourceNotFoundException'));
    await secretKind.delete(context(aws, 'db-secret', 'db-secret', { purge: true }), { ...actual, state: 'scheduled-for-deletion' });
    expect(sm.commandCalls(DeleteSecretCommand)[0]!.args[0].input).toMatchObject({ ForceDeleteWithoutRecovery: true });
  });
  it('already gone is success', async () => {
    sm.on(DeleteSecretCommand).rejects(awsError('ResourceNotFoundException'));
    await expect(secretKind.delete(context(aws, 'db-secret', 'db-secret', { purge: true }), actual)).resolves.toBeUndefined();
  });
  it('without --purge (a step the config dropped): the shortest recovery window, and says how to restore', async () => {
    sm.on(DeleteSecretCommand).resolves({});
    const ctx = context(aws, 'db-secret');
    await secretKind.delete(ctx, actual);
    expect(sm.commandCalls(DeleteSecretCommand)[0]!.args[0].input).toEqual({ SecretId: ARN, RecoveryWindowInDays: 7 });
    expect(ctx.warn.mock.calls.join('\n')).toContain('restore-secret');
  });
});

describe('database secret endpoint', () => {
  const value = { username: 'wpadmin', password: PASSWORD, engine: 'mysql', host: '', port: 3306, dbname: 'wordpress' };
  const want = { secretArn: ARN, host: 'blog-db.abc.us-east-1.rds.amazonaws.com', port: 3306, engine: 'mysql', dbname: 'wordpress', dbInstanceIdentifier: 'blog-db' };

  it('find reads the connection fields, never the password', async () => {
    sm.on(GetSecretValueCommand).resolves({ Name: NAME, SecretString: JSON.stringify(value) });
    const a = await dbSecretEndpointKind.find(context(aws, 'db-secret-endpoint'), want);
    expect(a).toEqual({ id: ARN, state: 'available', host: '', port: 3306, engine: 'mysql', dbname: 'wordpress', dbInstanceIdentifier: '' });
    expect(JSON.stringify(a)).not.toContain(PASSWORD);
    expect(dbSecretEndpointKind.diff(want, a!).changes.map((c) => c.field)).toEqual(['host', 'dbInstanceIdentifier']);
  });

  it('find: the secret is gone', async () => {
    sm.on(GetSecretValueCommand).rejects(awsError('ResourceNotFoundException'));
    expect(await dbSecretEndpointKind.find(context(aws, 'db-secret-endpoint'), want)).toBeUndefined();
  });

  it('writes host and port, keeping the username and password, with a ClientRequestToken', async () => {
    sm.on(GetSecretValueCommand).resolves({ Name: NAME, SecretString: JSON.stringify(value) });
    sm.on(PutSecretValueCommand).resolves({});
    const ctx = context(aws, 'db-secret-endpoint');
    const a = await dbSecretEndpointKind.create(ctx, want);
    const put = sm.commandCalls(PutSecretValueCommand)[0]!.args[0].input;
    expect(put.ClientRequestToken).toBe(TOKEN);
    expect(JSON.parse(put.SecretString!)).toEqual({ ...value, host: want.host, dbInstanceIdentifier: 'blog-db' });
    expect(JSON.stringify(dbSecretEndpointKind.outputs(a))).not.toContain(PASSWORD);
    expect(ctx.messages.join('\n')).not.toContain(PASSWORD);
  });

  it('a secret without a password is refused without printing what it holds', async () => {
    sm.on(GetSecretValueCommand).resolves({ Name: NAME, SecretString: JSON.stringify({ username: 'wpadmin', note: 'THE-VALUE' }) });
    const err = (await dbSecretEndpointKind.create(context(aws, 'db-secret-endpoint'), want).catch((e: unknown) => e)) as WpdeployError;
    expect(err).toBeInstanceOf(WpdeployError);
    expect(err.message).toMatch(/no username or password/);
    expect(`${err.message}${err.hint}`).not.toContain('THE-VALUE');
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  it('a value that is not JSON is refused without printing it', async () => {
    sm.on(GetSecretValueCommand).resolves({ Name: NAME, SecretString: 'plain-THE-VALUE' });
    const err = (await dbSecretEndpointKind.create(context(aws, 'db-secret-endpoint'), want).catch((e: unknown) => e)) as WpdeployError;
    expect(err.message).toMatch(/does not hold a JSON object/);
    expect(`${err.message}${err.hint}`).not.toContain('THE-VALUE');
  });
});
