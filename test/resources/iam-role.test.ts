import {
  AttachRolePolicyCommand, CreateRoleCommand, DeleteRoleCommand, DeleteRolePolicyCommand, DetachRolePolicyCommand,
  GetRoleCommand, GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand, ListRolesCommand, ListRoleTagsCommand, PutRolePolicyCommand, TagRoleCommand,
  UpdateAssumeRolePolicyCommand, UpdateRoleCommand, type Role,
} from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { stackTags, toTagList, TAG_STACK, TAG_STEP } from '../../src/aws/tags.js';
import { WpdeployError } from '../../src/errors.js';
import {
  assertNoWildcardActions, canonicalPolicy, iamRoleKind, roleName, trustPolicy, type IamRoleActual, type IamRoleSpec, type PolicyDocument, type PolicyStatement,
} from '../../src/resources/iam-role.js';
import { UNKNOWN, type ResourceContext } from '../../src/resources/types.js';
import { context as appContext, type Ctx } from './app-context.js';
import { awsError } from './data-context.js';

const iam = mockClient(IAMClient);


let aws: AwsClients;
let log: string[];

function context(over: Partial<Ctx> = {}): Ctx {
  return appContext(aws, 'task-role', { recordId: vi.fn<ResourceContext['recordId']>(async (id) => void log.push(`recordId:${id}`)), ...over });
}

const NAME = 'blog-task-us-east-1';
const ARN = `arn:aws:iam::123456789012:role/wpdeploy/${NAME}`;
const ownTags = stackTags({ stack: 'blog', step: 'task-role', role: 'task-role' });
const efs: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'], Resource: 'arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1' }],
};
const MANAGED = 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy';
const desired: IamRoleSpec = {
  name: NAME,
  description: 'wordpress task role',
  trustService: 'ecs-tasks.amazonaws.com',
  sourceAccount: '123456789012',
  inlinePolicies: { efs },
  managedPolicyArns: [MANAGED],
  tags: ownTags,
};
const enc = (doc: unknown) => encodeURIComponent(JSON.stringify(doc));
const role = (over: Partial<Role> = {}): Role => ({
  RoleName: NAME,
  Arn: ARN,
  Path: '/wpdeploy/',
  RoleId: 'AROAEXAMPLE',
  CreateDate: new Date(),
  Description: 'wordpress task role',
  AssumeRolePolicyDocument: enc(trustPolicy(desired)),
  Tags: toTagList(ownTags),
  ...over,
});
const actual: IamRoleActual = {
  id: NAME, arn: ARN, state: 'available', description: 'wordpress task role', trustPolicy: trustPolicy(desired),
  inlinePolicies: { efs }, managedPolicyArns: [MANAGED], tags: ownTags,
};

/** A role that exists with these inline policies and attachments. */
function existing(r: Role, inline: Record<string, unknown> = { efs }, managed: string[] = [MANAGED]) {
  iam.on(GetRoleCommand, { RoleName: r.RoleName }).resolves({ Role: r });
  iam.on(ListRolePoliciesCommand, { RoleName: r.RoleName }).resolves({ PolicyNames: Object.keys(inline) });
  for (const [PolicyName, doc] of Object.entries(inline)) {
    iam.on(GetRolePolicyCommand, { RoleName: r.RoleName, PolicyName }).resolves({ RoleName: r.RoleName, PolicyName, PolicyDocument: enc(doc) });
  }
  iam.on(ListAttachedRolePoliciesCommand, { RoleName: r.RoleName }).resolves({ AttachedPolicies: managed.map((PolicyArn) => ({ PolicyArn, PolicyName: PolicyArn.split('/').pop() })) });
}

beforeEach(() => {
  iam.reset();
  aws = new AwsClients({ region: 'us-east-1', local: true });
  log = [];
});
afterEach(() => aws.destroy());

describe('roleName', () => {
  it('is <stack>-<role>-<region>', () => {
    expect(roleName('blog', 'task', 'us-east-1')).toBe('blog-task-us-east-1');
  });
  it('stays within 64 characters and unique when cut', () => {
    const a = roleName('a-very-long-stack-nm', 'task-execution-role-for-wordpress-containers', 'ap-southeast-4');
    const b = roleName('a-very-long-stack-nm', 'task-execution-role-for-wordpress-containerz', 'ap-southeast-4');
    expect(a.length).toBeLessThanOrEqual(64);
    expect(b.length).toBeLessThanOrEqual(64);
    expect(a).not.toBe(b);
    expect(a.startsWith('a-very-long-stack-nm-task-execution')).toBe(true);
    expect(roleName('a-very-long-stack-nm', 'task-execution-role-for-wordpress-containers', 'ap-southeast-4')).toBe(a);
  });
});

describe('trust policy', () => {
  it('lets the one service assume the role, for this account only when sourceAccount is set', () => {
    expect(trustPolicy({ trustService: 'vpc-flow-logs.amazonaws.com', sourceAccount: '123456789012' })).toEqual({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow', Principal: { Service: 'vpc-flow-logs.amazonaws.com' }, Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      }],
    });
    expect(trustPolicy({ trustService: 'ecs-tasks.amazonaws.com' }).Statement[0]!.Condition).toBeUndefined();
  });
});

describe('assertNoWildcardActions', () => {
  const doc = (statement: PolicyStatement): PolicyDocument => ({ Version: '2012-10-17', Statement: [statement] });
  it.each<[string, PolicyStatement]>([
    ['Action *', { Effect: 'Allow', Action: '*', Resource: '*' }],
    ['service:*', { Effect: 'Allow', Action: ['logs:PutLogEvents', 's3:*'], Resource: '*' }],
    ['NotAction', { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }],
    ['a single statement object', { Effect: 'Allow', Action: 'ecr:*', Resource: '*' }],
  ])('refuses %s', (_what, statement) => {
    expect(() => assertNoWildcardActions(doc(statement), 'inline policy p')).toThrow(WpdeployError);
    expect(() => assertNoWildcardActions(doc(statement), 'inline policy p')).toThrow(/inline policy p/);
  });
  it('accepts the single-object Statement form too', () => {
    // IAM takes one statement object in place of the list; the type has the list form only
    const single: unknown = { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 's3:*', Resource: '*' } };
    expect(() => assertNoWildcardActions(single as PolicyDocument)).toThrow(WpdeployError);
  });
  it.each<[string, PolicyStatement]>([
    ['exact actions', { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: 'arn:aws:logs:*:*:*' }],
    ['a prefix wildcard', { Effect: 'Allow', Action: 's3:Get*', Resource: '*' }],
    ['a Deny of everything', { Effect: 'Deny', Action: '*', Resource: '*' }],
  ])('accepts %s', (_what, statement) => {
    expect(() => assertNoWildcardActions(doc(statement))).not.toThrow();
  });
});

describe('canonicalPolicy', () => {
  it('ignores key order, string vs one-element list, list order and statement order', () => {
    const a = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['b:Y', 'a:X'], Resource: ['r'] }, { Effect: 'Deny', Action: 'c:Z', Resource: '*' }] };
    const b = { Statement: [{ Resource: '*', Action: ['c:Z'], Effect: 'Deny' }, { Resource: 'r', Effect: 'Allow', Action: ['a:X', 'b:Y'] }], Version: '2012-10-17' };
    expect(canonicalPolicy(a)).toEqual(canonicalPolicy(b));
    expect(canonicalPolicy({ ...a, Statement: a.Statement[0] })).toEqual(canonicalPolicy({ ...a, Statement: [a.Statement[0]] }));
    expect(canonicalPolicy(a)).not.toEqual(canonicalPolicy({ ...a, Statement: [{ ...a.Statement[0], Action: 'a:X' }, a.Statement[1]] }));
  });
});

describe('iam role find', () => {
  it('finds the role by its recorded name, decoding its trust and inline policies', async () => {
    // IAM stores documents as given: a different key order and a one-element list must read the same
    existing(role({ AssumeRolePolicyDocument: enc({ Statement: [{ Action: ['sts:AssumeRole'], Principal: { Service: 'ecs-tasks.amazonaws.com' }, Effect: 'Allow', Condition: { StringEquals: { 'aws:SourceAccount': ['123456789012'] } } }], Version: '2012-10-17' }) }));
    const found = await iamRoleKind.find(context({ recordedId: NAME }));
    expect(found).toMatchObject({ id: NAME, arn: ARN, state: 'available', description: 'wordpress task role', inlinePolicies: { efs }, managedPolicyArns: [MANAGED], tags: ownTags });
    expect(iamRoleKind.diff(desired, found!)).toEqual({ changes: [] });
    expect(iam.commandCalls(ListRolesCommand)).toHaveLength(0);
  });

  it.each([
    ['the recorded role is gone', { recordedId: 'blog-gone' }],
    ['no name is recorded', {}],
  ])('when %s, lists /wpdeploy/ roles and matches the stack and step tags', async (_what, over) => {
    iam.on(GetRoleCommand, { RoleName: 'blog-gone' }).rejects(awsError('NoSuchEntityException', 404));
    iam.on(ListRolesCommand)
      .resolvesOnce({ Roles: [role({ RoleName: 'blog-other-us-east-1', Tags: undefined })], IsTruncated: true, Marker: 'm1' })
      .resolvesOnce({ Roles: [role({ Tags: undefined }), role({ RoleName: 'shop-task-us-east-1', Tags: undefined })], IsTruncated: false });
    iam.on(ListRoleTagsCommand, { RoleName: 'blog-other-us-east-1' }).resolves({ Tags: toTagList({ [TAG_STACK]: 'blog', [TAG_STEP]: 'other' }) });
    iam.on(ListRoleTagsCommand, { RoleName: NAME }).resolves({ Tags: toTagList(ownTags) });
    iam.on(ListRoleTagsCommand, { RoleName: 'shop-task-us-east-1' }).resolves({ Tags: toTagList({ [TAG_STACK]: 'shop', [TAG_STEP]: 'task-role' }) });
    existing(role());
    const found = await iamRoleKind.find(context(over));
    expect(found?.id).toBe(NAME);
    const lists = iam.commandCalls(ListRolesCommand).map((c) => c.args[0].input);
    expect(lists).toEqual([{ PathPrefix: '/wpdeploy/', Marker: undefined }, { PathPrefix: '/wpdeploy/', Marker: 'm1' }]);
  });

  it('returns undefined, without throwing, when the role exists neither by name nor by tag', async () => {
    iam.on(GetRoleCommand).rejects(awsError('NoSuchEntityException', 404));
    iam.on(ListRolesCommand).resolves({ Roles: [] });
    expect(await iamRoleKind.find(context({ recordedId: NAME }))).toBeUndefined();
  });

  it('does not hide an error other than not-found', async () => {
    iam.on(GetRoleCommand).rejects(awsError('AccessDenied', 403));
    await expect(iamRoleKind.find(context({ recordedId: NAME }))).rejects.toMatchObject({ name: 'AccessDenied' });
  });
});

describe('iam role create', () => {
  it('creates under /wpdeploy/ with tags in the call, records the name at once, then policies', async () => {
    iam.on(CreateRoleCommand).callsFake(async () => { log.push('CreateRole'); return { Role: role() }; });
    iam.on(PutRolePolicyCommand).callsFake(async () => void log.push('PutRolePolicy'));
    // IAM is eventually consistent: the first attach right after CreateRole may not see the role
    let attaches = 0;
    iam.on(AttachRolePolicyCommand).callsFake(async () => {
      log.push('AttachRolePolicy');
      if (++attaches === 1) throw awsError('NoSuchEntityException', 404);
      return {};
    });
    const ctx = context();
    const created = await iamRoleKind.create(ctx, desired);
    const input = iam.commandCalls(CreateRoleCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ RoleName: NAME, Path: '/wpdeploy/', Description: 'wordpress task role', Tags: toTagList(ownTags) });
    expect(JSON.parse(input.AssumeRolePolicyDocument!)).toEqual(trustPolicy(desired));
    expect(iam.commandCalls(TagRoleCommand)).toHaveLength(0);
    expect(log).toEqual(['CreateRole', `recordId:${NAME}`, 'PutRolePolicy', 'AttachRolePolicy', 'AttachRolePolicy']);
    expect(ctx.recordId).toHaveBeenCalledWith(NAME, ARN);
    expect(JSON.parse(iam.commandCalls(PutRolePolicyCommand)[0]!.args[0].input.PolicyDocument!)).toEqual(efs);
    expect(iam.commandCalls(AttachRolePolicyCommand)[1]!.args[0].input).toEqual({ RoleName: NAME, PolicyArn: MANAGED });
    expect(created).toEqual(actual);
  });

  it('refuses a wildcard policy before any call', async () => {
    const bad = { ...desired, inlinePolicies: { all: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } } } as IamRoleSpec;
    await expect(iamRoleKind.create(context(), bad)).rejects.toThrow(/inline policy all/);
    expect(iam.calls()).toHaveLength(0);
  });

  it('already exists with this step\'s tags: adopts it and sends only what differs', async () => {
    iam.on(CreateRoleCommand).rejects(awsError('EntityAlreadyExistsException', 409));
    existing(role(), {}, [MANAGED]);
    iam.on(PutRolePolicyCommand).resolves({});
    const ctx = context();
    const created = await iamRoleKind.create(ctx, desired);
    expect(ctx.recordId).toHaveBeenCalledWith(NAME, ARN);
    expect(ctx.warn).toHaveBeenCalledTimes(1);
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(1);
    expect(iam.commandCalls(AttachRolePolicyCommand)).toHaveLength(0);
    expect(iam.commandCalls(UpdateAssumeRolePolicyCommand)).toHaveLength(0);
    expect(created.inlinePolicies).toEqual({ efs });
  });

  it('already exists and belongs to something else: refused, naming the role', async () => {
    iam.on(CreateRoleCommand).rejects(awsError('EntityAlreadyExistsException', 409));
    existing(role({ Tags: [{ Key: 'owner', Value: 'someone' }] }), {}, []);
    const ctx = context();
    const err = await iamRoleKind.create(ctx, desired).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    expect((err as WpdeployError).message).toContain(NAME);
    expect(ctx.recordId).not.toHaveBeenCalled();
    expect(iam.commandCalls(PutRolePolicyCommand)).toHaveLength(0);
  });
});

describe('iam role diff', () => {
  it.each<[string, Partial<IamRoleSpec>, Partial<IamRoleActual>, string[]]>([
    ['nothing differs', {}, {}, []],
    ['the description', { description: 'new' }, {}, ['description']],
    ['the trust service', { trustService: 'vpc-flow-logs.amazonaws.com' }, {}, ['trustPolicy']],
    ['the confused-deputy condition', { sourceAccount: undefined }, {}, ['trustPolicy']],
    ['an inline policy to add', { inlinePolicies: { efs, logs: efs } }, {}, ['inlinePolicies.logs']],
    ['an inline policy to remove', { inlinePolicies: {} }, {}, ['inlinePolicies.efs']],
    ['an inline policy that changed', { inlinePolicies: { efs: { ...efs, Statement: [{ ...efs.Statement[0]!, Resource: '*' }] } } }, {}, ['inlinePolicies.efs']],
    ['managed policies', { managedPolicyArns: [] }, {}, ['managedPolicyArns']],
    ['a missing tag', { tags: { ...ownTags, team: 'web' } }, {}, ['tags.team']],
    ['a tag set by others is left alone', {}, { tags: { ...ownTags, other: 'x' } }, []],
  ])('%s', (_what, d, a, fields) => {
    const diff = iamRoleKind.diff({ ...desired, ...d }, { ...actual, ...a });
    expect(diff.changes.map((c) => c.field)).toEqual(fields);
    expect(diff.replace).toBeUndefined();
  });

  it('a policy equal in meaning is no change', () => {
    const same: PolicyDocument = { Statement: [{ Resource: ['arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1'], Action: ['elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientMount'], Effect: 'Allow' }], Version: '2012-10-17' };
    expect(iamRoleKind.diff(desired, { ...actual, inlinePolicies: { efs: same } }).changes).toEqual([]);
  });

  it('a policy naming a dependency not created yet (plan) is not a change', () => {
    const later = { ...efs, Statement: [{ ...efs.Statement[0]!, Resource: [UNKNOWN, `${UNKNOWN}:*`] }] };
    expect(iamRoleKind.diff({ ...desired, inlinePolicies: { efs: later } }, actual).changes).toEqual([]);
  });

  it('a new name means replacement', () => {
    const diff = iamRoleKind.diff({ ...desired, name: 'blog-other-us-east-1' }, actual);
    expect(diff.replace).toContain('renamed');
  });
});

describe('iam role update', () => {
  const calls = () => iam.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, ''));
  beforeEach(() => {
    iam.on(UpdateRoleCommand).resolves({});
    iam.on(UpdateAssumeRolePolicyCommand).resolves({});
    iam.on(PutRolePolicyCommand).resolves({});
    iam.on(DeleteRolePolicyCommand).resolves({});
    iam.on(AttachRolePolicyCommand).resolves({});
    iam.on(DetachRolePolicyCommand).resolves({});
    iam.on(TagRoleCommand).resolves({});
  });

  it.each<[string, Partial<IamRoleSpec>, string[]]>([
    ['nothing when nothing differs', {}, []],
    ['UpdateRole for the description', { description: 'new' }, ['UpdateRole']],
    ['UpdateAssumeRolePolicy for the trust', { sourceAccount: '999999999999' }, ['UpdateAssumeRolePolicy']],
    ['PutRolePolicy for a new inline policy only', { inlinePolicies: { efs, more: efs } }, ['PutRolePolicy']],
    ['DeleteRolePolicy for a dropped inline policy', { inlinePolicies: {} }, ['DeleteRolePolicy']],
    ['Attach and Detach for changed managed policies', { managedPolicyArns: ['arn:aws:iam::aws:policy/Other'] }, ['AttachRolePolicy', 'DetachRolePolicy']],
    ['TagRole for the missing tags only', { tags: { ...ownTags, team: 'web' } }, ['TagRole']],
  ])('sends %s', async (_what, d, expected) => {
    const want = { ...desired, ...d };
    const updated = await iamRoleKind.update!(context(), want, actual, iamRoleKind.diff(want, actual));
    expect(calls()).toEqual(expected);
    expect(iamRoleKind.diff(want, updated).changes).toEqual([]);
  });

  it('TagRole carries only the tags that differ', async () => {
    await iamRoleKind.update!(context(), { ...desired, tags: { ...ownTags, team: 'web' } }, actual, { changes: [] });
    expect(iam.commandCalls(TagRoleCommand)[0]!.args[0].input).toEqual({ RoleName: NAME, Tags: [{ Key: 'team', Value: 'web' }] });
  });

  it('refuses a wildcard policy before any call', async () => {
    const want = { ...desired, inlinePolicies: { s3: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] } } } as IamRoleSpec;
    await expect(iamRoleKind.update!(context(), want, actual, { changes: [] })).rejects.toBeInstanceOf(WpdeployError);
    expect(iam.calls()).toHaveLength(0);
  });
});

describe('iam role delete', () => {
  beforeEach(() => {
    iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [{ PolicyArn: MANAGED }] });
    iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['efs'] });
    iam.on(DetachRolePolicyCommand).resolves({});
    iam.on(DeleteRolePolicyCommand).resolves({});
  });

  it('detaches managed policies, deletes inline ones, then the role', async () => {
    iam.on(DeleteRoleCommand).resolves({});
    await iamRoleKind.delete(context(), actual);
    expect(iam.commandCalls(DetachRolePolicyCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: NAME, PolicyArn: MANAGED }]);
    expect(iam.commandCalls(DeleteRolePolicyCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: NAME, PolicyName: 'efs' }]);
    expect(iam.commandCalls(DeleteRoleCommand).map((c) => c.args[0].input)).toEqual([{ RoleName: NAME }]);
  });

  it.each([
    ['the listing', () => iam.on(ListAttachedRolePoliciesCommand).rejects(awsError('NoSuchEntityException', 404))],
    ['DeleteRole', () => iam.on(DeleteRoleCommand).rejects(awsError('NoSuchEntityException', 404))],
    ['a policy removal', () => { iam.on(DeleteRolePolicyCommand).rejects(awsError('NoSuchEntityException', 404)); iam.on(DeleteRoleCommand).rejects(awsError('NoSuchEntityException', 404)); }],
  ])('a role already gone (NoSuchEntity from %s) is success', async (_what, arrange) => {
    arrange();
    await expect(iamRoleKind.delete(context(), actual)).resolves.toBeUndefined();
  });

  it('retries DeleteConflict briefly, then succeeds', async () => {
    iam.on(DeleteRoleCommand).rejectsOnce(awsError('DeleteConflictException', 409)).resolves({});
    const ctx = context();
    await iamRoleKind.delete(ctx, actual);
    expect(iam.commandCalls(DeleteRoleCommand)).toHaveLength(2);
    expect(ctx.progress).toHaveBeenCalledTimes(1);
  });

  it('a DeleteConflict that never clears names the instance profiles holding the role', async () => {
    iam.on(DeleteRoleCommand).rejects(awsError('DeleteConflictException', 409));
    iam.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [{
      Path: '/', InstanceProfileName: 'legacy-profile', InstanceProfileId: 'AIPAEXAMPLE', Arn: 'arn:aws:iam::123456789012:instance-profile/legacy-profile', CreateDate: new Date(), Roles: [],
    }] });
    const err = await iamRoleKind.delete(context(), actual).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    expect((err as WpdeployError).message).toContain('legacy-profile');
    expect((err as WpdeployError).hint).toContain('remove-role-from-instance-profile');
    expect(iam.commandCalls(DeleteRoleCommand).length).toBeGreaterThan(1);
    expect(iam.commandCalls(DeleteRoleCommand).length).toBeLessThanOrEqual(5);
  });
});

describe('iam role outputs', () => {
  it('the name and the ARN', () => {
    expect(iamRoleKind.outputs(actual)).toEqual({ name: NAME, arn: ARN });
  });
});
