/**
 * `down` as it meets real AWS, end to end through the strict proxy:
 *
 * - the requester-managed interfaces of the load balancer, the Fargate tasks and the RDS Proxy stay
 *   a while after their owner's delete (the rules keep them, aws-aftermath.ts), refusing the deletes
 *   of subnets and groups and the gateway's detach: `down` waits for them, says so, and succeeds in
 *   one run;
 * - what AWS creates for the stack by itself is made to exist first, as AWS would make it (the RDS
 *   log-export and Container Insights log groups once the instance and the cluster exist; the EFS
 *   automatic backups of a file system whose backup policy is on): `down` deletes the log groups
 *   with their owner and keeps the backups with the file system, saying what they cost;
 *   `down --purge` deletes the backups.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudWatchLogsClient, CreateLogGroupCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeClustersCommand } from '@aws-sdk/client-ecs';
import { DescribeBackupPolicyCommand, DescribeFileSystemsCommand } from '@aws-sdk/client-efs';
import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startStrictProxy } from '../support/aws-rules.js';
import { ecs, efs, rds, stackVpcs } from '../support/aws.js';
import { runCli, uniqueStack, workdir } from '../support/cli.js';

const moto = inject('motoEndpoint');
const logs = new CloudWatchLogsClient({ endpoint: moto, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
/**
 * Longer than the first look at a subnet after its owner's delete, even on a loaded machine (the
 * whole `down` takes 10 to 20 s here): every lingering kind is met.
 */
const LINGER_MS = 30_000;

let proxy: Awaited<ReturnType<typeof startStrictProxy>>;
beforeAll(async () => {
  proxy = await startStrictProxy(moto, { lingerMs: LINGER_MS });
});
afterAll(async () => {
  await proxy.close();
});

const logGroupsUnder = async (prefix: string) => ((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: prefix }))).logGroups ?? []).map((g) => g.logGroupName);

describe('down on AWS: lingering interfaces, and what AWS creates for the stack', () => {
  const stack = uniqueStack('teardown');
  const cwd = workdir();
  writeFileSync(join(cwd, 'wpdeploy.yml'), `stack: ${stack}\nnetwork: { natGateways: single }\ndatabase: { proxy: true }\n`);
  const run = (...args: string[]) => runCli(args, { cwd, endpoint: proxy.url });
  let fileSystemArn = '';

  it('up, then AWS makes its log groups and an automatic backup, as it would', async () => {
    const r = await run('up');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const db = (await rds(moto).send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: `${stack}-db` }))).DBInstances![0]!;
    expect(db.EnabledCloudwatchLogsExports?.length).toBeGreaterThan(0);
    for (const type of db.EnabledCloudwatchLogsExports ?? []) await logs.send(new CreateLogGroupCommand({ logGroupName: `/aws/rds/instance/${stack}-db/${type}` }));
    const cluster = (await ecs(moto).send(new DescribeClustersCommand({ clusters: [`${stack}-cluster`], include: ['SETTINGS'] }))).clusters![0]!;
    expect(cluster.settings?.find((s) => s.name === 'containerInsights')?.value).not.toBe('disabled');
    await logs.send(new CreateLogGroupCommand({ logGroupName: `/aws/ecs/containerinsights/${stack}-cluster/performance` }));
    const fs = ((await efs(moto).send(new DescribeFileSystemsCommand({}))).FileSystems ?? []).find((f) => f.Tags?.some((t) => t.Key === 'wpdeploy:stack' && t.Value === stack))!;
    expect((await efs(moto).send(new DescribeBackupPolicyCommand({ FileSystemId: fs.FileSystemId }))).BackupPolicy?.Status).toBe('ENABLED');
    fileSystemArn = fs.FileSystemArn!;
    proxy.rules.aftermath.backup.backUp(fileSystemArn, 3e9);
    proxy.rules.aftermath.backup.backUp(fileSystemArn, 1e9);
  });

  it('down waits for the interfaces AWS keeps after their owners, says so, and succeeds in one run; the log groups go with their owners, the backups stay and are priced', async () => {
    proxy.reset();
    const r = await run('down', '--yes');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    // AWS refused while the interfaces lingered ...
    const lingering = proxy.rules.waited.filter((x) => x.rule === 'lingering interfaces');
    expect(lingering.map((x) => x.call.operation)).toEqual(expect.arrayContaining(['DeleteSubnet', 'DeleteSecurityGroup', 'DetachInternetGateway']));
    expect(proxy.rules.refused).toEqual([]);
    expect(proxy.rules.lookupErrors).toEqual([]);
    // ... and down said what it waited for
    expect(r.stderr).toMatch(/subnet-public-[a-z]: waiting for \d network interfaces? of the load balancer to go/);
    expect(r.stderr).toMatch(/subnet-app-[a-z]: waiting for \d network interfaces? of ECS tasks to go/);
    // The proxy's interfaces hold both its security group and the data subnets: whichever is deleted first waits.
    expect(r.stderr).toMatch(/(subnet-data-[a-z]|sg-db-proxy): waiting for \d network interfaces? of RDS to go/);
    expect(await stackVpcs(moto, stack)).toEqual([]);
    expect(await logGroupsUnder(`/aws/rds/instance/${stack}-db/`)).toEqual([]);
    expect(await logGroupsUnder(`/aws/ecs/containerinsights/${stack}-cluster/`)).toEqual([]);
    expect(proxy.rules.aftermath.backup.points.filter((p) => p.ResourceArn === fileSystemArn)).toHaveLength(2);
    expect(r.stdout).toMatch(new RegExp(`efs-backups +2 recovery points of fs-[0-9a-f]+ in aws/efs/automatic-backup-vault +~\\$0\\.20/month`));
  });

  it('down --purge deletes the automatic backups after the file system', async () => {
    proxy.reset();
    const r = await run('down', '--purge', '--yes');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(proxy.rules.aftermath.backup.points.filter((p) => p.ResourceArn === fileSystemArn)).toEqual([]);
    const fsGone = proxy.calls.findIndex((c) => c.service === 'elasticfilesystem' && /^DELETE \/2015-02-01\/file-systems\/[^/]+$/.test(c.operation));
    const firstBackupDelete = proxy.calls.findIndex((c) => c.service === 'backup' && c.operation.startsWith('DELETE '));
    expect(fsGone).toBeGreaterThanOrEqual(0);
    expect(firstBackupDelete).toBeGreaterThan(fsGone);
    expect(r.stderr).toMatch(/deleted 2 automatic backup\(s\) of fs-[0-9a-f]+ from aws\/efs\/automatic-backup-vault/);
  });
});
