/**
 * The tests' own naming of wire requests (test/support/aws-operations.ts), from the SDK's service
 * models, independent of the product's read/mutating regex.
 */
import { describe, expect, it } from 'vitest';
import { nameOperation } from '../support/aws-operations.js';

describe('nameOperation', () => {
  it.each([
    // [service, method, url, target, body, name, readOnly]
    ['ec2', 'POST', '/', undefined, 'Action=CreateRoute&Version=2016-11-15', 'CreateRoute', false],
    ['ec2', 'POST', '/', undefined, 'Action=DescribeRouteTables&Version=2016-11-15', 'DescribeRouteTables', true],
    ['ecs', 'POST', '/', 'AmazonEC2ContainerServiceV20141113.UpdateService', '{}', 'UpdateService', false],
    ['logs', 'POST', '/', 'Logs_20140328.FilterLogEvents', '{}', 'FilterLogEvents', true],
    ['secretsmanager', 'POST', '/', 'secretsmanager.BatchGetSecretValue', '{}', 'BatchGetSecretValue', false],
    ['s3', 'PUT', '/blog-logs?policy', undefined, '{}', 'PutBucketPolicy', false],
    ['s3', 'GET', '/blog-logs?policy', undefined, '', 'GetBucketPolicy', true],
    ['s3', 'PUT', '/blog-logs', undefined, '', 'CreateBucket', false],
    ['s3', 'GET', '/state/blog.json?x-id=GetObject', undefined, '', 'GetObject', true],
    ['s3', 'PUT', '/state/blog.json?x-id=PutObject', undefined, '{}', 'PutObject', false],
    ['s3', 'POST', '/blog-logs?delete', undefined, '<Delete/>', 'DeleteObjects', false],
    ['elasticfilesystem', 'DELETE', '/2015-02-01/file-systems/fs-1', undefined, '', 'DeleteFileSystem', false],
    ['elasticfilesystem', 'GET', '/2015-02-01/mount-targets?FileSystemId=fs-1', undefined, '', 'DescribeMountTargets', true],
    ['route53', 'POST', '/2013-04-01/hostedzone/Z1/rrset', undefined, '<x/>', 'ChangeResourceRecordSets', false],
    ['route53', 'GET', '/2013-04-01/hostedzone/Z1/rrset?maxitems=100', undefined, '', 'ListResourceRecordSets', true],
    // a label holding an ARN is sent encoded, its slashes included
    ['backup', 'GET', '/resources/arn%3Aaws%3Aelasticfilesystem%3Aus-east-1%3A123456789012%3Afile-system%2Ffs-1/recovery-points', undefined, '', 'ListRecoveryPointsByResource', true],
  ] as const)('%s %s %s %s: %s', (service, method, url, target, body, name, readOnly) => {
    expect(nameOperation(service, method, url, target, body)).toEqual({ name, readOnly });
  });

  it('a request no model operation matches, or a service no installed client signs for, is an error', () => {
    expect(() => nameOperation('ec2', 'POST', '/', undefined, 'Action=LaunchRockets')).toThrow(/matches no operation/);
    expect(() => nameOperation('elasticfilesystem', 'PATCH', '/nowhere', undefined, '')).toThrow(/matches no operation/);
    expect(() => nameOperation('nosuchservice', 'POST', '/', 'X.Y', '{}')).toThrow(/no installed @aws-sdk client/);
  });
});
