/**
 * Idempotency tokens as AWS honours them and moto 5.1.1 does not: a create repeated with the same
 * client token and the same parameters completes once, and the repeat gets the first call's answer;
 * the same token with other parameters is refused with IdempotentParameterMismatch. moto ignores the
 * token, so a repeated CreateNatGateway fails on the Elastic IP it already associated, and a repeated
 * CreateRouteTable makes a second table. Part of the recording proxy (aws-proxy.ts), for the
 * operations below only:
 *
 * - EC2, every operation that takes `ClientToken`, and the ones idempotent by default (a repeat of the
 *   same parameters is the token) that wpdeploy calls: ReplaceNetworkAclAssociation, AssociateAddress,
 *   DisassociateAddress ("Ensuring idempotency in Amazon EC2 API requests",
 *   https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-idempotency.html);
 * - ECS CreateService `clientToken` (up to 36 characters, "an identifier you provide to ensure the
 *   idempotency of the request", https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html);
 * - ACM RequestCertificate `IdempotencyToken` ("calls ... with the same token within one hour are
 *   treated as one request", https://docs.aws.amazon.com/acm/latest/APIReference/API_RequestCertificate.html).
 *
 * EFS (CreationToken, ClientToken) and Secrets Manager (ClientRequestToken) are left to moto: there
 * AWS answers a repeat with FileSystemAlreadyExists, AccessPointAlreadyExists or ResourceExistsException,
 * as moto does.
 */
import type { AwsCall, Reply } from './aws-proxy.js';

/** The parameters of a call, so that two calls can be compared (the query protocol's order aside). */
const params = (call: AwsCall) => (call.service === 'ec2' ? call.body.split('&').sort().join('&') : call.body);

const EC2_IDEMPOTENT_BY_DEFAULT = ['ReplaceNetworkAclAssociation', 'AssociateAddress', 'DisassociateAddress'];

function tokenOf(call: AwsCall): string | undefined {
  if (call.service === 'ec2' && EC2_IDEMPOTENT_BY_DEFAULT.includes(call.api)) return params(call);
  if (call.service === 'ec2') return /(?:^|&)ClientToken=([^&]+)/.exec(call.body)?.[1];
  if (call.service === 'ecs' && call.api === 'CreateService') return (JSON.parse(call.body) as { clientToken?: string }).clientToken;
  if (call.service === 'acm' && call.api === 'RequestCertificate') return (JSON.parse(call.body) as { IdempotencyToken?: string }).IdempotencyToken;
  return undefined;
}


export interface ClientTokens {
  /** The answer AWS would give without doing the work again, when the call repeats a token. */
  replay(call: AwsCall): Reply | undefined;
  /** Remembers a successful answer to a call that carried a token. */
  record(call: AwsCall, answer: Reply): void;
}

export function clientTokens(): ClientTokens {
  const seen = new Map<string, { params: string; answer: Reply }>();
  const key = (call: AwsCall, token: string) => `${call.service} ${call.region} ${call.api} ${token}`;
  return {
    replay(call) {
      const token = tokenOf(call);
      const first = token === undefined ? undefined : seen.get(key(call, token));
      if (!first) return undefined;
      if (first.params === params(call)) return first.answer;
      const message = `The client token ${token} was used with other parameters.`;
      return call.service === 'ec2'
        ? { status: 400, body: `<Response><Errors><Error><Code>IdempotentParameterMismatch</Code><Message>${message}</Message></Error></Errors><RequestID>tokens</RequestID></Response>` }
        : { status: 400, body: JSON.stringify({ __type: 'InvalidParameterException', message }), headers: { 'content-type': 'application/x-amz-json-1.1' } };
    },
    record(call, answer) {
      const token = tokenOf(call);
      if (token === undefined || answer.status >= 300) return;
      const { 'content-length': _length, 'transfer-encoding': _encoding, ...headers } = answer.headers ?? {};
      seen.set(key(call, token), { params: params(call), answer: { ...answer, headers } });
    },
  };
}
