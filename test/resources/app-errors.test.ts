/** The error classes the app tier added to src/aws/errors.ts. */
import { describe, expect, it } from 'vitest';
import {
  isAlreadyExists, isBucketNameTaken, isDependencyViolation, isEventuallyConsistentNotFound, isIamPropagation, isNotConfigured, isNotFound,
  isRecordConflict, isRecordGone, isTargetGroupNotAttachedYet, isTaskDefinitionMissing,
} from '../../src/aws/errors.js';
import { awsError } from './app-context.js';

describe('app tier error classes', () => {
  it.each([
    ['DuplicateLoadBalancerNameException', isAlreadyExists],
    ['DuplicateTargetGroupNameException', isAlreadyExists],
    ['DuplicateListenerException', isAlreadyExists],
    ['OperationNotPermittedException', isDependencyViolation],
    ['ServiceNotActiveException', isNotFound],
    ['LoadBalancerNotFoundException', isEventuallyConsistentNotFound],
    ['CertificateNotFoundException', isEventuallyConsistentNotFound],
    ['BucketAlreadyExists', isBucketNameTaken],
    ['NoSuchBucketPolicy', isNotConfigured],
    ['ServerSideEncryptionConfigurationNotFoundError', isNotConfigured],
    ['NoSuchPublicAccessBlockConfiguration', isNotConfigured],
  ])('%s', (name, is) => {
    expect(is(awsError(name))).toBe(true);
  });

  it('a bucket taken by another account is never "ours already"', () => {
    expect(isBucketNameTaken(awsError('BucketAlreadyOwnedByYou'))).toBe(false);
  });

  it('Route 53 InvalidChangeBatch: a record that exists, or is not there', () => {
    expect(isRecordConflict(awsError('InvalidChangeBatch', "[Tried to create resource record set [name='www.example.com.', type='A'] but it already exists]"))).toBe(true);
    expect(isRecordGone(awsError('InvalidChangeBatch', "[Tried to delete resource record set [name='www.example.com.', type='A'] but it was not found]"))).toBe(true);
    expect(isRecordConflict(awsError('InvalidChangeBatch', 'RRSet of type CNAME with DNS name x is not permitted at apex'))).toBe(false);
  });

  it('ECS: a missing task definition, a target group not yet attached, a role not yet assumable', () => {
    expect(isTaskDefinitionMissing(awsError('ClientException', 'Unable to describe task definition.'))).toBe(true);
    expect(isTaskDefinitionMissing(awsError('ClientException', 'Too many concurrent attempts'))).toBe(false);
    expect(isTargetGroupNotAttachedYet(awsError('InvalidParameterException', 'The target group with targetGroupArn arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/y does not have an associated load balancer.'))).toBe(true);
    expect(isIamPropagation(awsError('InvalidParameterException', 'Unable to assume role and validate the specified targetGroupArn.'))).toBe(true);
  });
});
