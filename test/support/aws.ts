/** SDK clients that look at what the emulator holds, independently of the CLI. */
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EFSClient } from '@aws-sdk/client-efs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const base = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

export const ec2 = (endpoint: string) => new EC2Client(base(endpoint));
export const elbv2 = (endpoint: string) => new ElasticLoadBalancingV2Client(base(endpoint));
export const ecs = (endpoint: string) => new ECSClient(base(endpoint));
export const efs = (endpoint: string) => new EFSClient(base(endpoint));
export const rds = (endpoint: string) => new RDSClient(base(endpoint));

/** The VPCs tagged for this stack, as the emulator holds them. */
export async function stackVpcs(endpoint: string, stack: string) {
  const r = await ec2(endpoint).send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:wpdeploy:stack', Values: [stack] }] }));
  return r.Vpcs ?? [];
}

export const s3 = (endpoint: string) => new S3Client({ ...base(endpoint), forcePathStyle: true });

/**
 * What `read` answers, or undefined when it fails with one of the not-found errors named (the SDK's
 * error name, as `DBInstanceNotFoundFault` or `NoSuchKey`): only not-found means absent; any other
 * error (a refused request, a wrong endpoint, a throttle) fails the test.
 */
export async function unlessNotFound<T>(read: Promise<T>, ...notFound: string[]): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof Error && notFound.includes(err.name)) return undefined;
    throw err;
  }
}
