/**
 * Where WordPress's files live (`wordpress.sharedFiles`): a stack deployed by the previous design
 * (EFS mounted at the whole document root, through an access point rooted at `/wordpress`) moves to
 * the new one (core from the image, EFS only at `wp-content`) with one `up`: a new access point rooted
 * at `/wordpress/wp-content` (where the old layout kept wp-content), a new task definition revision,
 * the service rolled to it, and only then the old access point deleted. The file system, its mount
 * targets and so every file on it stay.
 *
 * The previous design is the CLI as it was at PREVIOUS_DESIGN, built from git into a temporary
 * directory; the stack runs against the emulator through the strict proxy and the ECS shim.
 */
import { execFileSync } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeAccessPointsCommand, DescribeFileSystemsCommand, EFSClient, type AccessPointDescription } from '@aws-sdk/client-efs';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, type ContainerDefinition } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AwsCall, AwsProxy } from '../support/aws-proxy.js';
import { startStrictProxy, type OrderingRules } from '../support/aws-rules.js';
import { ecs } from '../support/aws.js';
import { runCli, uniqueStack, workdir } from '../support/cli.js';

/** The last commit of wpdeploy that mounted EFS at /var/www/html through an access point rooted at /wordpress. */
const PREVIOUS_DESIGN = 'ac29acd';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const moto = inject('motoEndpoint');
const base = { endpoint: moto, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
const efs = new EFSClient(base);

let proxy: AwsProxy & { rules: OrderingRules };
let previousBin: string;

beforeAll(async () => {
  proxy = await startStrictProxy(moto);
  proxy.intercept(proxy.rules);
  // Build the previous design's CLI from git, with this checkout's node_modules.
  const dir = workdir('wpdeploy-previous-');
  execFileSync('bash', ['-c', `git -C "${ROOT}" archive ${PREVIOUS_DESIGN} bin src package.json tsconfig.json tsconfig.build.json | tar -x -C "${dir}"`]);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: dir });
  previousBin = join(dir, 'bin/wpdeploy.js');
});
afterAll(async () => {
  await proxy.close();
});

async function accessPoints(fileSystemId: string): Promise<AccessPointDescription[]> {
  return (await efs.send(new DescribeAccessPointsCommand({ FileSystemId: fileSystemId }))).AccessPoints ?? [];
}

async function stackFileSystems(stack: string): Promise<string[]> {
  const all = (await efs.send(new DescribeFileSystemsCommand({}))).FileSystems ?? [];
  return all.filter((f) => f.Tags?.some((t) => t.Key === 'wpdeploy:stack' && t.Value === stack)).map((f) => f.FileSystemId!);
}

async function wordpressContainer(stack: string): Promise<{ taskDefinition: string; container: ContainerDefinition }> {
  const svc = (await ecs(moto).send(new DescribeServicesCommand({ cluster: `${stack}-cluster`, services: [`${stack}-wordpress`] }))).services![0]!;
  const td = (await ecs(moto).send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition! }))).taskDefinition!;
  return { taskDefinition: td.taskDefinitionArn!, container: td.containerDefinitions!.find((c) => c.name === 'wordpress')! };
}

const efsCall = (c: AwsCall, method: string, what: RegExp) => c.service === 'elasticfilesystem' && c.method === method && what.test(c.path);

describe('a stack of the previous design moves to wp-content on EFS with one up', () => {
  const stack = uniqueStack('layout');
  const cwd = workdir();
  const args = ['--stack', stack, '--yes'];

  it('the previous design mounts EFS at the document root through /wordpress', async () => {
    const r = await runCli(['up', ...args], { cwd, endpoint: proxy.url, bin: previousBin });
    expect(r.code, r.stderr).toBe(0);
    const [fs] = await stackFileSystems(stack);
    expect((await accessPoints(fs!)).map((a) => a.RootDirectory?.Path)).toEqual(['/wordpress']);
    expect((await wordpressContainer(stack)).container.mountPoints).toEqual([expect.objectContaining({ containerPath: '/var/www/html' })]);
  });

  it('one up: a new access point at /wordpress/wp-content, the service rolled to it, the old one deleted after, no file removed', async () => {
    const [fs] = await stackFileSystems(stack);
    const before = await wordpressContainer(stack);
    proxy.reset();
    const r = await runCli(['up', ...args], { cwd, endpoint: proxy.url });
    expect(r.code, r.stderr).toBe(0);

    // The same file system, with its mount targets: nothing on it is deleted.
    expect(await stackFileSystems(stack)).toEqual([fs]);
    expect(proxy.calls.filter((c) => efsCall(c, 'DELETE', /\/(file-systems|mount-targets)\//))).toEqual([]);
    const aps = await accessPoints(fs!);
    expect(aps.map((a) => [a.RootDirectory?.Path, a.Tags?.find((t) => t.Key === 'wpdeploy:step')?.Value])).toEqual([['/wordpress/wp-content', 'efs-ap-content']]);

    // The service runs a new revision that mounts only wp-content, with OPcache revalidating every 60 s.
    const after = await wordpressContainer(stack);
    expect(after.taskDefinition).not.toBe(before.taskDefinition);
    expect(after.container.mountPoints).toEqual([expect.objectContaining({ containerPath: '/var/www/html/wp-content' })]);
    expect(after.container.command?.join(' ')).toContain('opcache.revalidate_freq=60');

    // Rolled first (a rolling update: the old tasks serve until the new ones are healthy), then the old access point goes.
    const rolled = proxy.calls.findIndex((c) => c.operation === 'UpdateService' && c.body.includes(after.taskDefinition));
    const removed = proxy.calls.findIndex((c) => efsCall(c, 'DELETE', /\/access-points\//));
    expect(rolled).toBeGreaterThanOrEqual(0);
    expect(removed).toBeGreaterThan(rolled);
    expect(r.stdout + r.stderr).toMatch(/efs-ap\b.*(delet|no longer)/);
  });

  it('a second up changes nothing', async () => {
    proxy.reset();
    const r = await runCli(['up', ...args], { cwd, endpoint: proxy.url });
    expect(r.code, r.stderr).toBe(0);
    expect(proxy.mutating().map((c) => c.operation)).toEqual([]);
  });

  it('down --purge removes it all', async () => {
    const r = await runCli(['down', '--purge', ...args], { cwd, endpoint: proxy.url });
    expect(r.code, r.stderr).toBe(0);
    expect(await stackFileSystems(stack)).toEqual([]);
    expect(proxy.rules.lookupErrors).toEqual([]);
  });
});
