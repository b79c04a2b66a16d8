import { STS } from './sdk.js';
import type { AwsClients } from './clients.js';

/** The account the credentials belong to (one STS call). */
export async function callerAccount(aws: AwsClients): Promise<string> {
  const r = await aws.get(STS.STSClient).send(new STS.GetCallerIdentityCommand({}));
  return r.Account ?? 'unknown';
}
