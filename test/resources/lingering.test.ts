/**
 * Deletes that wait for the network interfaces AWS deletes minutes after their owner (lingering.ts):
 * waited for by name and for as long as AWS takes (up to 20 minutes), not given up after the ~2
 * minutes of a plain retry.
 */
import { DeleteSubnetCommand, DescribeNetworkInterfacesCommand, EC2Client, type NetworkInterface } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { WpdeployError } from '../../src/errors.js';
import { deleteWhenReleased, describeInterfaces, interfacesWith, LINGER_TIMEOUT_MS, ownerOf } from '../../src/resources/lingering.js';
import { subnetKind, type SubnetActual } from '../../src/resources/subnet.js';
import type { ResourceContext } from '../../src/resources/types.js';
import { awsError } from './data-context.js';

const ec2 = mockClient(EC2Client);
let aws: AwsClients;
beforeEach(() => {
  ec2.reset();
  aws = new AwsClients({ region: 'us-east-1', local: true });
});
afterEach(() => aws.destroy());

/** `scale` 1000: a minute of AWS time is 60 ms. */
const SCALE = 1000;
const context = () => ({ aws, step: 'subnet-app-a', progress: vi.fn(), warn: vi.fn(), signal: new AbortController().signal, scale: SCALE }) as unknown as ResourceContext & { progress: ReturnType<typeof vi.fn> };

const alb = (id: string): NetworkInterface => ({ NetworkInterfaceId: id, Description: 'ELB app/blog-alb/50dc6c495c0c9188', RequesterId: 'amazon-elb', RequesterManaged: true, InterfaceType: 'interface' });
const task = (id: string): NetworkInterface => ({ NetworkInterfaceId: id, Description: 'arn:aws:ecs:us-east-1:123456789012:attachment/2b5d5a7e', RequesterId: '578734482556', RequesterManaged: true, InterfaceType: 'interface' });
const proxy = (id: string): NetworkInterface => ({ NetworkInterfaceId: id, Description: 'RDSNetworkInterface', RequesterId: 'amazon-rds', RequesterManaged: true, InterfaceType: 'interface' });

const del = () => aws.get(EC2Client).send(new DeleteSubnetCommand({ SubnetId: 'subnet-1' }));
const holders = (ctx: ResourceContext) => () => interfacesWith(ctx, [{ Name: 'subnet-id', Values: ['subnet-1'] }]);

describe('what holds a subnet or a group', () => {
  it('names the owner from the description, the requester and the type', () => {
    expect([alb('a'), task('b'), proxy('c'), { InterfaceType: 'natGateway' as const }, { Description: 'my bastion' }].map(ownerOf))
      .toEqual(['the load balancer', 'ECS tasks', 'RDS', 'a NAT gateway', '"my bastion"']);
    expect(describeInterfaces([alb('a'), alb('b')])).toBe('2 network interfaces of the load balancer');
    expect(describeInterfaces([alb('a'), task('b'), alb('c'), proxy('d')])).toBe('2 network interfaces of the load balancer, 1 of ECS tasks and 1 of RDS');
  });
});

describe('deleteWhenReleased', () => {
  it('a subnet: waits for interfaces that linger five minutes, longer than the two minutes of blind retries, saying what it waits for, then deletes', async () => {
    const until = Date.now() + (5 * 60_000) / SCALE;
    ec2.on(DescribeNetworkInterfacesCommand).callsFake(() => ({ NetworkInterfaces: Date.now() < until ? [alb('eni-1'), alb('eni-2'), task('eni-3')] : [] }));
    ec2.on(DeleteSubnetCommand).callsFake(() => {
      if (Date.now() < until) throw awsError('DependencyViolation');
      return {};
    });
    const ctx = context();
    await subnetKind.delete(ctx, { id: 'subnet-1', state: 'available', az: 'us-east-1a', cidr: '10.20.32.0/20', tags: {} } as SubnetActual);
    expect(Date.now()).toBeGreaterThanOrEqual(until);
    expect(ctx.progress).toHaveBeenCalledWith('waiting for 2 network interfaces of the load balancer and 1 of ECS tasks to go');
    // one delete to learn it is held, one once the interfaces are gone: the wait polls the interfaces, not the delete
    expect(ec2.commandCalls(DeleteSubnetCommand)).toHaveLength(2);
    expect(ec2.commandCalls(DescribeNetworkInterfacesCommand)[0]!.args[0].input).toEqual({ Filters: [{ Name: 'subnet-id', Values: ['subnet-1'] }] });
  });

  it('gives up after 20 minutes (scaled), naming the interfaces', async () => {
    ec2.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [proxy('eni-p')] });
    ec2.on(DeleteSubnetCommand).rejects(awsError('DependencyViolation'));
    const started = Date.now();
    const err = await deleteWhenReleased(context(), 'subnet subnet-1', del, holders(context())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    expect((err as Error).message).toMatch(/timed out after \d+ s waiting for 1 network interface of RDS \(eni-p\) to go, which hold subnet subnet-1/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(LINGER_TIMEOUT_MS / SCALE - 50);
  });

  it('a refusal with no interface in sight is retried a few times, then reported', async () => {
    ec2.on(DescribeNetworkInterfacesCommand).resolves({ NetworkInterfaces: [] });
    ec2.on(DeleteSubnetCommand).rejects(awsError('DependencyViolation'));
    const err = await deleteWhenReleased(context(), 'subnet subnet-1', del, holders(context())).catch((e: unknown) => e);
    expect((err as Error).message).toBe('subnet subnet-1 is still in use.');
    expect(ec2.commandCalls(DeleteSubnetCommand)).toHaveLength(7);
  });
});
