/**
 * Deletes that wait for what AWS lets go of only after its owner is gone. The network interfaces of a
 * load balancer, of Fargate tasks, of an RDS Proxy are requester-managed: AWS detaches and deletes
 * them itself once their owner is deleted ("When you delete the resource associated with a
 * requester-managed network interface, the AWS service detaches the network interface and deletes
 * it": https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/requester-managed-eni.html), but minutes
 * later. Until then AWS refuses DeleteSubnet and DeleteSecurityGroup (DependencyViolation) and
 * DetachInternetGateway (DependencyViolation: mapped public addresses).
 *
 * So a refused delete looks at what holds it: interfaces AWS will delete are waited for, by name,
 * for up to LINGER_TIMEOUT_MS (scaled by WPDEPLOY_TIME_SCALE); an interface nobody will delete (the
 * user's own) fails the delete at once, naming it; a refusal with no interface in sight is retried a
 * few times (what held it may have just gone).
 */
import type { Filter, NetworkInterface } from '@aws-sdk/client-ec2';
import { isDependencyViolation, isNotFound } from '../aws/errors.js';
import { sleep, waitFor } from '../aws/poll.js';
import { EC2 } from '../aws/sdk.js';
import { WpdeployError } from '../errors.js';
import { paged } from '../aws/reads.js';
import type { ResourceContext } from './types.js';

/** The longest wait for lingering interfaces, in AWS time: AWS takes minutes, Lambda's up to 20. */
export const LINGER_TIMEOUT_MS = 20 * 60_000;
/** How long such an interface usually stays after its owner's delete. */
const LINGER_EXPECTED_MS = 2 * 60_000;
/** Retries of a refusal with no interface in sight (2 s doubling: about 2 minutes in all). */
const BLIND_ATTEMPTS = 7;

/** Every network interface matching the filters, read fresh (never from the run's cache). */
export async function interfacesWith(ctx: ResourceContext, filters: Filter[]): Promise<NetworkInterface[]> {
  return paged((NextToken) => ctx.aws.get(EC2.EC2Client).send(new EC2.DescribeNetworkInterfacesCommand({ Filters: filters, NextToken })), (r) => [r.NetworkInterfaces, r.NextToken]);
}

/**
 * Whose interface this is, from its description, requester and type, as AWS fills them in:
 * `ELB app/<name>/<id>` (requester amazon-elb) for a load balancer, `arn:aws:ecs:…:attachment/…`
 * for a Fargate task, requester amazon-rds for RDS (an instance or a proxy), type `nat_gateway`.
 */
export function ownerOf(n: NetworkInterface): string {
  const d = n.Description ?? '';
  const type = String(n.InterfaceType ?? '');
  if (n.RequesterId === 'amazon-elb' || /^ELB (app|net|gwy)\//.test(d)) return 'the load balancer';
  if (/^arn:aws[a-z-]*:ecs:/.test(d)) return 'ECS tasks';
  // RDS names the interfaces of an instance and of a proxy alike (`RDSNetworkInterface`)
  if (n.RequesterId === 'amazon-rds' || /^RDSNetworkInterface/.test(d)) return 'RDS';
  if (type === 'natGateway' || type === 'nat_gateway' || /NAT Gateway/i.test(d)) return 'a NAT gateway';
  if (/^EFS mount target/.test(d)) return 'EFS mount targets';
  if (type === 'lambda' || /^AWS Lambda VPC ENI/.test(d)) return 'a Lambda function';
  if (type === 'vpc_endpoint') return 'a VPC endpoint';
  return d ? `"${d}"` : `type ${type || 'interface'}`;
}

/** AWS deletes it once its owner is gone: worth waiting for. Anything else is someone's own. */
export function releasedByAws(n: NetworkInterface): boolean {
  return n.RequesterManaged === true || ownerOf(n) === 'the load balancer' || ownerOf(n) === 'ECS tasks';
}

/** `2 network interfaces of the load balancer and 1 of ECS tasks`. */
export function describeInterfaces(enis: NetworkInterface[]): string {
  const by = new Map<string, number>();
  for (const n of enis) by.set(ownerOf(n), (by.get(ownerOf(n)) ?? 0) + 1);
  const parts = [...by].map(([owner, count], i) => (i === 0 ? `${count} network interface${count === 1 ? '' : 's'} of ${owner}` : `${count} of ${owner}`));
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : parts[0] ?? 'no network interface';
}

const label = (n: NetworkInterface) =>
  `${n.NetworkInterfaceId} (${[n.Description || n.InterfaceType || 'no description', n.Association?.PublicIp].filter(Boolean).join(', ')})`;

/**
 * Runs a delete that lingering interfaces can block: not-found is success; on DependencyViolation,
 * `holders()` (the interfaces by subnet, group or VPC) says what to wait for.
 */
export async function deleteWhenReleased(ctx: ResourceContext, what: string, del: () => Promise<unknown>, holders: () => Promise<NetworkInterface[]>): Promise<void> {
  const start = Date.now();
  let blind = 0;
  for (;;) {
    try {
      await del();
      return;
    } catch (err) {
      if (isNotFound(err)) return;
      if (!isDependencyViolation(err)) throw err;
      const held = await holders();
      const own = held.filter((n) => !releasedByAws(n));
      if (own.length) {
        throw new WpdeployError(`${what} is still in use by ${own.map(label).join(', ')}, which AWS does not delete by itself.`, {
          hint: 'Remove what uses it (or move it elsewhere) and run `wpdeploy down` again.',
          cause: err,
        });
      }
      if (held.length === 0) {
        if (++blind >= BLIND_ATTEMPTS) {
          throw new WpdeployError(`${what} is still in use.`, { hint: 'Remove what still uses it (or wait for AWS to release it) and run `wpdeploy down` again.', cause: err });
        }
        ctx.progress(`${what} is still in use; waiting for it to be released`);
        await sleep((2_000 * 2 ** (blind - 1)) / ctx.scale, ctx.signal);
        if (ctx.signal.aborted) throw new WpdeployError(`interrupted while waiting for ${what} to be released.`);
        continue;
      }
      blind = 0;
      ctx.progress(`waiting for ${describeInterfaces(held)} to go`);
      await waitFor({
        what: `${describeInterfaces(held)} (${held.map((n) => n.NetworkInterfaceId).join(', ')}) to go, which hold ${what}`,
        expectedMs: LINGER_EXPECTED_MS,
        timeoutMs: Math.max(0, LINGER_TIMEOUT_MS - (Date.now() - start) * ctx.scale),
        minIntervalMs: 2_000, // DescribeNetworkInterfaces: a handful of waits at once stay well inside EC2's read budget
        scale: ctx.scale,
        signal: ctx.signal,
        check: async () => (await holders()).filter(releasedByAws),
        done: (left) => left.length === 0,
        onProgress: (left) => ctx.progress(`waiting for ${describeInterfaces(left)} to go`),
      });
    }
  }
}
