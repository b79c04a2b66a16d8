import { describe, expect, it } from 'vitest';
import {
  awsErrorName, isAccessDenied, isAlreadyExists, isCredentialsError, isDependencyViolation, isEventuallyConsistentNotFound,
  isNotFound, isThrottling, recommendAction,
} from '../../src/aws/errors.js';

/** Shaped like an AWS SDK v3 service exception. */
function sdkError(name: string, httpStatusCode = 400, message = `${name}: something`): Error {
  return Object.assign(new Error(message), { name, $fault: httpStatusCode >= 500 ? 'server' : 'client', $metadata: { httpStatusCode, requestId: 'req-1', attempts: 1 } });
}

const classifiers = { isNotFound, isAlreadyExists, isDependencyViolation, isThrottling, isAccessDenied } as const;
type Cls = keyof typeof classifiers;

/** For each error, the classifications that must hold; every other one must not. */
const table: Array<[string, number, Cls[]]> = [
  ['InvalidVpcID.NotFound', 400, ['isNotFound']],
  ['InvalidSubnetID.NotFound', 400, ['isNotFound']],
  ['InvalidGroup.NotFound', 400, ['isNotFound']],
  ['DBInstanceNotFoundFault', 404, ['isNotFound']],
  ['DBSubnetGroupNotFoundFault', 404, ['isNotFound']],
  ['NoSuchEntity', 404, ['isNotFound']],
  ['ResourceNotFoundException', 400, ['isNotFound']],
  ['LoadBalancerNotFound', 400, ['isNotFound']],
  ['InvalidGroup.Duplicate', 400, ['isAlreadyExists']],
  ['EntityAlreadyExists', 409, ['isAlreadyExists']],
  ['DBInstanceAlreadyExistsFault', 400, ['isAlreadyExists']],
  ['DependencyViolation', 400, ['isDependencyViolation']],
  ['ResourceInUse', 400, ['isDependencyViolation']],
  ['FileSystemInUse', 409, ['isDependencyViolation']],
  ['DeleteConflict', 409, ['isDependencyViolation']],
  ['InvalidDBSubnetGroupStateFault', 400, ['isDependencyViolation']],
  ['Throttling', 400, ['isThrottling']],
  ['RequestLimitExceeded', 503, ['isThrottling']],
  ['ThrottlingException', 400, ['isThrottling']],
  ['TooManyRequestsException', 429, ['isThrottling']],
  ['SomeUnmodeledError', 429, ['isThrottling']],
  ['UnauthorizedOperation', 403, ['isAccessDenied']],
  ['AccessDenied', 403, ['isAccessDenied']],
  ['AccessDeniedException', 400, ['isAccessDenied']],
  ['SomethingForbidden', 403, ['isAccessDenied']],
  ['InternalError', 500, []],
  ['ServiceUnavailable', 503, []],
  ['UnknownError', 502, []],
  ['InternalFailure', 400, []],
  ['InvalidParameterValue', 400, []],
  ['ValidationError', 400, []],
  ['InvalidParameterCombination', 400, []],
];

describe('AWS error classification', () => {
  it.each(table)('%s (HTTP %i) is %j and nothing else', (name, status, expected) => {
    const err = sdkError(name, status);
    for (const [cls, fn] of Object.entries(classifiers)) {
      expect(fn(err), `${cls}(${name})`).toBe(expected.includes(cls as Cls));
    }
  });

  it('keys on the error name, not on the message', () => {
    expect(isNotFound(sdkError('InvalidParameterValue', 400, 'The vpc ID does not exist (NotFound)'))).toBe(false);
    expect(isDependencyViolation(sdkError('ValidationError', 400, 'DependencyViolation'))).toBe(false);
  });

  it('knows which not-founds follow a create (eventual consistency)', () => {
    expect(isEventuallyConsistentNotFound(sdkError('InvalidNatGatewayID.NotFound'))).toBe(true);
    expect(isEventuallyConsistentNotFound(sdkError('InvalidVpcID.NotFound'))).toBe(true);
    expect(isEventuallyConsistentNotFound(sdkError('DBInstanceNotFoundFault'))).toBe(false);
  });

  it('reads the name from name, then Code/code, ignoring the generic "Error"', () => {
    expect(awsErrorName(sdkError('DependencyViolation'))).toBe('DependencyViolation');
    expect(awsErrorName({ name: 'Error', Code: 'NoSuchEntity' })).toBe('NoSuchEntity');
    expect(awsErrorName(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5000'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(isNotFound({ name: 'Error', Code: 'NoSuchEntity' })).toBe(true);
  });

  it('values that are not errors classify as nothing', () => {
    for (const v of [undefined, null, 'DependencyViolation', 42, {}]) {
      for (const [cls, fn] of Object.entries(classifiers)) expect(fn(v), `${cls}(${String(v)})`).toBe(false);
      expect(awsErrorName(v)).toBe('');
    }
  });

  it('credential errors are told apart and answered with how to log in', () => {
    const err = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    expect(isCredentialsError(err)).toBe(true);
    expect(isAccessDenied(err)).toBe(false);
    expect(recommendAction(err, ' --profile prod')).toContain('aws sso login --profile prod');
  });

  it('recommends an action for access denied and throttling, and none for an ordinary error', () => {
    expect(recommendAction(sdkError('UnauthorizedOperation', 403))).toMatch(/permission/);
    expect(recommendAction(sdkError('Throttling', 400))).toMatch(/again/);
    expect(recommendAction(sdkError('InvalidParameterValue', 400))).toBeUndefined();
  });
});
