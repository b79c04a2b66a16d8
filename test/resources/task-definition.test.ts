import {
  DeregisterTaskDefinitionCommand, DescribeTaskDefinitionCommand, ECSClient, ListTaskDefinitionsCommand, RegisterTaskDefinitionCommand, TagResourceCommand,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { WpdeployError } from '../../src/errors.js';
import { toEcsTags } from '../../src/resources/ecs-cluster.js';
import { definitionChanges, renderTaskDefinition, taskDefinitionKind, type TaskDefinitionActual, type TaskDefinitionSpec } from '../../src/resources/task-definition.js';
import { UNKNOWN } from '../../src/resources/types.js';
import { awsError, context, newClients, tagsOf } from './app-context.js';

const ecs = mockClient(ECSClient);
let aws: AwsClients;
beforeEach(() => {
  ecs.reset();
  aws = newClients();
});
afterEach(() => aws.destroy());

const STEP = 'task-definition';
const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:wpdeploy/blog/db-AbCdEf';
const ARN1 = 'arn:aws:ecs:us-east-1:123456789012:task-definition/blog-wordpress:1';
const ARN2 = 'arn:aws:ecs:us-east-1:123456789012:task-definition/blog-wordpress:2';

const spec = (over: Partial<TaskDefinitionSpec['container']> = {}): TaskDefinitionSpec => ({
  family: 'blog-wordpress',
  cpu: 512,
  memory: 1024,
  taskRoleArn: 'arn:aws:iam::123456789012:role/wpdeploy/blog-task-us-east-1',
  executionRoleArn: 'arn:aws:iam::123456789012:role/wpdeploy/blog-task-execution-us-east-1',
  container: {
    name: 'wordpress',
    image: 'wordpress:6-php8.3-apache',
    port: 80,
    environment: { WORDPRESS_DB_HOST: 'db.example:3306', WORDPRESS_DB_NAME: 'wordpress', WORDPRESS_CONFIG_EXTRA: '$_SERVER[...]' },
    secrets: { WORDPRESS_DB_USER: `${SECRET}:username::`, WORDPRESS_DB_PASSWORD: `${SECRET}:password::` },
    log: { group: '/wpdeploy/blog/wordpress', region: 'us-east-1', streamPrefix: 'wordpress' },
    readonlyRootFilesystem: false,
    mounts: [{ volume: 'wordpress', path: '/var/www/html' }],
    ...over,
  },
  volumes: [{ name: 'wordpress', fileSystemId: 'fs-1', accessPointId: 'fsap-1' }],
  tags: tagsOf(STEP, 'wordpress'),
});

/** What DescribeTaskDefinition gives for `spec()`: AWS's defaults added, lists in another order. */
function described(s = spec(), over: Partial<TaskDefinition> = {}): TaskDefinition {
  const r = renderTaskDefinition(s);
  const c = r.containerDefinitions![0]!;
  return {
    ...r,
    taskDefinitionArn: ARN1,
    revision: 1,
    status: 'ACTIVE',
    compatibilities: ['EC2', 'FARGATE'],
    placementConstraints: [],
    requiresAttributes: [{ name: 'ecs.capability.efsAuth' }],
    containerDefinitions: [{
      ...c,
      cpu: 0,
      portMappings: [{ containerPort: 80, hostPort: 80, protocol: 'tcp' }],
      environment: [...(c.environment ?? [])].reverse(),
      secrets: [...(c.secrets ?? [])].reverse(),
      volumesFrom: [],
      systemControls: [],
    }],
    ...over,
  } as TaskDefinition;
}

const actualOf = (td: TaskDefinition): TaskDefinitionActual => ({
  id: td.taskDefinitionArn!, arn: td.taskDefinitionArn!, state: td.status!, family: td.family!, revision: td.revision!,
  definition: Object.fromEntries(Object.entries(td).filter(([k]) => !['taskDefinitionArn', 'revision', 'status', 'compatibilities', 'placementConstraints', 'requiresAttributes'].includes(k))),
  tags: tagsOf(STEP, 'wordpress'),
});

describe('renderTaskDefinition', () => {
  it('renders Fargate, awsvpc, awslogs, secrets as valueFrom, EFS with transit encryption and IAM', () => {
    const r = renderTaskDefinition(spec());
    expect(r).toMatchObject({ networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '512', memory: '1024' });
    const c = r.containerDefinitions![0]!;
    expect(c.secrets).toEqual([{ name: 'WORDPRESS_DB_PASSWORD', valueFrom: `${SECRET}:password::` }, { name: 'WORDPRESS_DB_USER', valueFrom: `${SECRET}:username::` }]);
    expect((c.environment ?? []).map((e) => e.name)).toEqual(['WORDPRESS_CONFIG_EXTRA', 'WORDPRESS_DB_HOST', 'WORDPRESS_DB_NAME']);
    expect(c.logConfiguration?.logDriver).toBe('awslogs');
    expect(r.volumes?.[0]?.efsVolumeConfiguration).toEqual({ fileSystemId: 'fs-1', rootDirectory: '/', transitEncryption: 'ENABLED', authorizationConfig: { accessPointId: 'fsap-1', iam: 'ENABLED' } });
  });

  it.each([
    ['a secret name in the environment too', { WORDPRESS_DB_PASSWORD: 'x' }],
    ['a name that looks secret', { WORDPRESS_AUTH_KEY: 'x' }],
  ])('refuses %s', (_what, env) => {
    expect(() => renderTaskDefinition(spec({ environment: { ...spec().container.environment, ...env } }))).toThrow(WpdeployError);
  });
});

describe('canonical comparison', () => {
  it('what AWS describes (defaults added, lists reordered) is the same definition', () => {
    expect(taskDefinitionKind.diff(spec(), actualOf(described()))).toEqual({ changes: [] });
  });

  it('a changed image is one change, on the container', () => {
    const d = taskDefinitionKind.diff(spec({ image: 'wordpress:6.6' }), actualOf(described()));
    expect(d.changes).toEqual([{ field: 'containerDefinitions[wordpress].image', from: 'wordpress:6-php8.3-apache', to: 'wordpress:6.6' }]);
  });

  it('an environment entry the spec does not render is a change', () => {
    const env = { ...spec().container.environment };
    delete (env as Record<string, string>).WORDPRESS_DB_NAME;
    const changes = taskDefinitionKind.diff(spec({ environment: env }), actualOf(described())).changes.map((c) => c.field);
    expect(changes).toEqual(['containerDefinitions[wordpress].environment[]']);
  });

  it('the entry point and command compare in order, and dropping them is a change (an image\'s own start comes back)', () => {
    const start = { entryPoint: ['/bin/sh', '-c'], command: ['install; exec apache2-foreground'] };
    const withStart = actualOf(described(spec(start)));
    expect(taskDefinitionKind.diff(spec(start), withStart)).toEqual({ changes: [] });
    expect(taskDefinitionKind.diff(spec({ ...start, entryPoint: ['-c', '/bin/sh'] }), withStart).changes.map((c) => c.field)).toEqual(['containerDefinitions[wordpress].entryPoint']);
    expect(taskDefinitionKind.diff(spec(), withStart).changes.map((c) => c.field).sort()).toEqual(['containerDefinitions[wordpress].command', 'containerDefinitions[wordpress].entryPoint']);
    // A revision registered before wpdeploy rendered them (AWS leaves empty lists out) is the same definition.
    const old = described();
    delete old.containerDefinitions![0]!.entryPoint;
    delete old.containerDefinitions![0]!.command;
    expect(taskDefinitionKind.diff(spec(), actualOf(old))).toEqual({ changes: [] });
  });

  it('a changed secret reference is a change', () => {
    const changes = definitionChanges(renderTaskDefinition(spec({ secrets: { WORDPRESS_DB_USER: `${SECRET}:user::`, WORDPRESS_DB_PASSWORD: `${SECRET}:password::` } })), actualOf(described()).definition);
    expect(changes.map((c) => c.field)).toEqual(['containerDefinitions[wordpress].secrets[WORDPRESS_DB_USER].valueFrom']);
  });

  it('an entry point is a command line: the same words in another order are a change, an added one too', () => {
    const ep = ['/bin/sh', '-c', 'echo x > /tmp/x && exec docker-entrypoint.sh apache2-foreground'];
    expect(taskDefinitionKind.diff(spec({ entryPoint: ep }), actualOf(described(spec({ entryPoint: ep })))).changes).toEqual([]);
    const reordered = taskDefinitionKind.diff(spec({ entryPoint: [ep[1]!, ep[0]!, ep[2]!] }), actualOf(described(spec({ entryPoint: ep })))).changes;
    expect(reordered.map((c) => c.field)).toEqual(['containerDefinitions[wordpress].entryPoint']);
    expect(taskDefinitionKind.diff(spec({ entryPoint: ep }), actualOf(described())).changes.map((c) => c.field)).toEqual(['containerDefinitions[wordpress].entryPoint']);
  });

  it('a value not known yet never differs', () => {
    const s = { ...spec(), taskRoleArn: UNKNOWN };
    expect(taskDefinitionKind.diff(s, actualOf(described())).changes).toEqual([]);
  });

  it('false and empty lists AWS leaves out are the same', () => {
    const td = described();
    delete td.containerDefinitions![0]!.readonlyRootFilesystem;
    expect(taskDefinitionKind.diff(spec(), actualOf(td)).changes).toEqual([]);
  });
});

describe('taskDefinitionKind', () => {
  it('finds the recorded revision while it is ACTIVE', async () => {
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: ARN1 }).resolves({ taskDefinition: described(), tags: toEcsTags(tagsOf(STEP, 'wordpress')) });
    const a = await taskDefinitionKind.find(context(aws, STEP, { recordedId: ARN1 }), spec());
    expect(a).toMatchObject({ id: ARN1, revision: 1, state: 'ACTIVE' });
  });

  it('without a recorded revision, takes the newest ACTIVE one of the family that carries its tags', async () => {
    ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [ARN2, ARN1, 'arn:aws:ecs:us-east-1:123456789012:task-definition/blog-wordpress-old:9'] });
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: ARN2 }).resolves({ taskDefinition: described(spec(), { taskDefinitionArn: ARN2, revision: 2 }), tags: toEcsTags(tagsOf(STEP, 'wordpress')) });
    const a = await taskDefinitionKind.find(context(aws, STEP), spec());
    expect(a?.id).toBe(ARN2);
  });

  it('a recorded revision that is gone falls back to the family; none at all is undefined', async () => {
    ecs.on(DescribeTaskDefinitionCommand).rejects(awsError('ClientException', 'Unable to describe task definition.'));
    ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [] });
    expect(await taskDefinitionKind.find(context(aws, STEP, { recordedId: ARN1 }), spec())).toBeUndefined();
  });

  it('a revision of the family without this step\'s tags is not adopted', async () => {
    ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [ARN1] });
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: described(), tags: [] });
    expect(await taskDefinitionKind.find(context(aws, STEP), spec())).toBeUndefined();
  });

  it('create registers with the tags in the same call and records the ARN', async () => {
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: described() });
    const ctx = context(aws, STEP);
    const a = await taskDefinitionKind.create(ctx, spec());
    expect(a.id).toBe(ARN1);
    const input = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input;
    expect(input.tags).toEqual(toEcsTags(tagsOf(STEP, 'wordpress')));
    expect(ctx.recordId).toHaveBeenCalledWith(ARN1, ARN1);
  });

  it('a changed image registers exactly one new revision', async () => {
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: described(spec({ image: 'wordpress:6.6' }), { taskDefinitionArn: ARN2, revision: 2 }) });
    const ctx = context(aws, STEP);
    const actual = actualOf(described());
    const next = await taskDefinitionKind.update!(ctx, spec({ image: 'wordpress:6.6' }), actual, taskDefinitionKind.diff(spec({ image: 'wordpress:6.6' }), actual));
    expect(next).toMatchObject({ id: ARN2, revision: 2 });
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(1);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0]!.args[0].input.containerDefinitions![0]!.image).toBe('wordpress:6.6');
    expect(ecs.commandCalls(TagResourceCommand)).toHaveLength(0);
  });

  it('a tag-only change tags the revision in place', async () => {
    ecs.on(TagResourceCommand).resolves({});
    const actual = { ...actualOf(described()), tags: { ...tagsOf(STEP, 'wordpress'), team: 'old' } };
    const want = { ...spec(), tags: { ...tagsOf(STEP, 'wordpress'), team: 'web' } };
    const next = await taskDefinitionKind.update!(context(aws, STEP), want, actual, taskDefinitionKind.diff(want, actual));
    expect(next.id).toBe(ARN1);
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
    expect(ecs.commandCalls(TagResourceCommand)[0]!.args[0].input).toEqual({ resourceArn: ARN1, tags: [{ key: 'team', value: 'web' }] });
  });

  it('delete deregisters every ACTIVE revision of the family; one already gone is fine', async () => {
    ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [ARN2, ARN1] });
    ecs.on(DeregisterTaskDefinitionCommand, { taskDefinition: ARN1 }).rejects(awsError('ClientException', 'Unable to describe task definition.'));
    ecs.on(DeregisterTaskDefinitionCommand, { taskDefinition: ARN2 }).resolves({});
    await taskDefinitionKind.delete(context(aws, STEP), actualOf(described()));
    expect(ecs.commandCalls(DeregisterTaskDefinitionCommand).map((c) => c.args[0].input.taskDefinition).sort()).toEqual([ARN1, ARN2]);
  });
});
