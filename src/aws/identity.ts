import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsClients } from './clients.js';

/** The account the credentials belong to (one STS call). */
export async function callerAccount(aws: AwsClients): Promise<string> {
  const r = await aws.get(STSClient).send(new GetCallerIdentityCommand({}));
  return r.Account ?? 'unknown';
}
