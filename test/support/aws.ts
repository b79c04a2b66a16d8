/** SDK clients that look at what the emulator holds, independently of the CLI. */
import { DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const base = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

export const ec2 = (endpoint: string) => new EC2Client(base(endpoint));

/** The VPCs tagged for this stack, as the emulator holds them. */
export async function stackVpcs(endpoint: string, stack: string) {
  const r = await ec2(endpoint).send(new DescribeVpcsCommand({ Filters: [{ Name: 'tag:wpdeploy:stack', Values: [stack] }] }));
  return r.Vpcs ?? [];
}
