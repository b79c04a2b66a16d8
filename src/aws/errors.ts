/**
 * The one place that classifies AWS errors, keyed on the error's name (SDK v3 sets `name` to the
 * service's error code). No other file compares error names or messages.
 */

export function awsErrorName(err: unknown): string {
  if (!err || typeof err !== 'object') return '';
  const e = err as { name?: unknown; Code?: unknown; code?: unknown };
  for (const v of [e.name, e.Code, e.code]) if (typeof v === 'string' && v && v !== 'Error') return v;
  return '';
}

function httpStatus(err: unknown): number | undefined {
  const meta = (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return meta?.httpStatusCode;
}

const NOT_FOUND = new Set([
  'ResourceNotFoundException', 'ResourceNotFound', 'NotFoundException', 'NotFound', 'NoSuchEntity', 'NoSuchEntityException',
  'NoSuchBucket', 'NoSuchKey', 'NoSuchHostedZone', 'DBInstanceNotFound', 'DBInstanceNotFoundFault', 'DBSubnetGroupNotFoundFault',
  'DBSnapshotNotFound', 'DBSnapshotNotFoundFault', 'DBProxyNotFoundFault', 'DBProxyTargetGroupNotFoundFault', 'LoadBalancerNotFound',
  'TargetGroupNotFound', 'ListenerNotFound', 'ClusterNotFoundException', 'ServiceNotFoundException', 'FileSystemNotFound',
  'MountTargetNotFound', 'AccessPointNotFound', 'ObjectNotFoundException', 'ParameterNotFound',
  // ECS: UpdateService/DeleteService on a service already deleted (INACTIVE)
  'ServiceNotActiveException',
  // EC2 DetachInternetGateway of a gateway no longer attached (a retried detach that took effect;
  // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html)
  'Gateway.NotAttached',
]);
const ALREADY_EXISTS = new Set([
  'AlreadyExistsException', 'ResourceAlreadyExistsException', 'EntityAlreadyExists', 'EntityAlreadyExistsException',
  'BucketAlreadyOwnedByYou', 'DBInstanceAlreadyExists', 'DBInstanceAlreadyExistsFault', 'DBSubnetGroupAlreadyExists',
  'DBSubnetGroupAlreadyExistsFault', 'DuplicateLoadBalancerName', 'DuplicateTargetGroupName', 'FileSystemAlreadyExists',
  'AccessPointAlreadyExists', 'ResourceExistsException', 'InvalidGroup.Duplicate', 'InvalidPermission.Duplicate',
  'RouteAlreadyExists', 'HostedZoneAlreadyExists', 'DBProxyAlreadyExistsFault', 'InvalidSubnet.Conflict',
  // ELBv2 as SDK v3 names them
  'DuplicateLoadBalancerNameException', 'DuplicateTargetGroupNameException', 'DuplicateListenerException',
  // EFS: a mount target already exists in that subnet's Availability Zone
  'MountTargetConflict',
  // EC2 AttachInternetGateway, AssociateRouteTable: the attachment or association is there already
  // (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html)
  'Resource.AlreadyAssociated',
  // RDS RegisterDBProxyTargets: the instance is a target of the proxy already
  // (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RegisterDBProxyTargets.html)
  'DBProxyTargetAlreadyRegisteredFault',
]);
const DEPENDENCY = new Set([
  'DependencyViolation', 'ResourceInUse', 'ResourceInUseException', 'FileSystemInUse', 'InvalidDBSubnetGroupStateFault',
  'DeleteConflict', 'DeleteConflictException', 'ClusterContainsServicesException', 'ClusterContainsTasksException',
  'InvalidDBInstanceState', 'InvalidDBInstanceStateFault', 'OperationNotPermitted', 'BucketNotEmpty', 'IncorrectState',
  'InvalidIPAddress.InUse', 'AuthFailure.AddressInUse', 'OperationNotPermittedException',
  'InvalidDBSnapshotState', 'InvalidDBSnapshotStateFault', 'InvalidDBProxyStateFault', 'IncorrectFileSystemLifeCycleState',
  'IncorrectMountTargetState',
  // RDS: a parameter group an instance still uses
  'InvalidDBParameterGroupState', 'InvalidDBParameterGroupStateFault',
]);
const THROTTLING = new Set([
  'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestLimitExceeded', 'TooManyRequestsException',
  'RequestThrottled', 'RequestThrottledException', 'SlowDown', 'ProvisionedThroughputExceededException', 'PriorRequestNotComplete',
  'EC2ThrottledException', 'BandwidthLimitExceeded',
]);
const ACCESS_DENIED = new Set([
  'AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'UnauthorizedAccess', 'AuthFailure', 'InvalidClientTokenId',
  'UnrecognizedClientException', 'SignatureDoesNotMatch', 'ExpiredToken', 'ExpiredTokenException', 'NotAuthorized',
]);
const CREDENTIALS = new Set(['CredentialsProviderError', 'TokenProviderError']);
/** Right after a create, other calls may not see the new resource for a moment. */
const EVENTUAL = new Set([
  'InvalidGroup.NotFound', 'InvalidNatGatewayID.NotFound', 'InvalidRouteTableID.NotFound', 'InvalidSubnetID.NotFound',
  'InvalidVpcID.NotFound', 'InvalidInternetGatewayID.NotFound', 'InvalidAllocationID.NotFound', 'InvalidNetworkAclID.NotFound',
  'LoadBalancerNotFound', 'LoadBalancerNotFoundException', 'TargetGroupNotFoundException',
  // ELBv2 CreateListener/ModifyListener right after ACM issued the certificate
  'CertificateNotFound', 'CertificateNotFoundException',
]);

/** The endpoint does not implement the operation (an emulator): by name, or an HTML error page instead of an AWS answer. */
const NOT_IMPLEMENTED = new Set([
  'NotImplemented', 'NotImplementedException', 'NotImplementedError', 'InvalidAction', 'UnknownOperationException', 'UnsupportedOperation',
]);

/** The resource (or a parent named in the call) does not exist. */
export function isNotFound(err: unknown): boolean {
  const n = awsErrorName(err);
  return NOT_FOUND.has(n) || /\.NotFound$|NotFound(Fault|Exception)?$/.test(n);
}
export function isAlreadyExists(err: unknown): boolean {
  const n = awsErrorName(err);
  return ALREADY_EXISTS.has(n) || /AlreadyExists(Fault|Exception)?$|\.Duplicate$/.test(n);
}
/** Something still holds the resource; retrying after it drains may succeed. */
export function isDependencyViolation(err: unknown): boolean {
  return DEPENDENCY.has(awsErrorName(err));
}
export function isThrottling(err: unknown): boolean {
  return THROTTLING.has(awsErrorName(err)) || httpStatus(err) === 429;
}
export function isAccessDenied(err: unknown): boolean {
  return ACCESS_DENIED.has(awsErrorName(err)) || httpStatus(err) === 403;
}
export function isCredentialsError(err: unknown): boolean {
  return CREDENTIALS.has(awsErrorName(err));
}
/** A not-found that is likely eventual consistency when it follows a create of the same resource. */
export function isEventuallyConsistentNotFound(err: unknown): boolean {
  return EVENTUAL.has(awsErrorName(err));
}
/** Parameter-validation error names a service uses when it cannot (yet) assume the role it was given. */
const ROLE_NOT_ASSUMABLE_NAMES = new Set([
  'InvalidParameter', 'InvalidParameterValue', 'InvalidParameterException', 'InvalidParameterValueException',
  'ValidationException', 'InvalidInput', 'InvalidInputException', 'BadRequestException',
]);
/**
 * A service could not assume a role it was handed, which right after the role was created is IAM's
 * eventual consistency (a new role becomes assumable after ~10 s): EC2 CreateFlowLogs says
 * `InvalidParameter: Unable to assume given IAM role`, ECS CreateService `InvalidParameterException:
 * Unable to assume role ...`, CloudWatch Logs `ValidationException: ... permission to assume the provided role`.
 * Worth a brief retry; the names are generic, so the message decides.
 */
export function isIamPropagation(err: unknown): boolean {
  if (!ROLE_NOT_ASSUMABLE_NAMES.has(awsErrorName(err))) return false;
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' && /\b(unable to|could not|cannot|can't|can not) assume\b|permission to assume/i.test(message);
}
/**
 * The endpoint does not implement this operation: an error name that says so, HTTP 501, or an HTML
 * error page (404/405/500/501) where AWS always answers in its protocol (moto 5.1.1 answers EFS
 * PutBackupPolicy so). Callers may warn and go on only for an optional setting.
 */
export function isNotImplemented(err: unknown): boolean {
  if (NOT_IMPLEMENTED.has(awsErrorName(err))) return true;
  const status = httpStatus(err);
  if (status === 501) return true;
  const response = (err as { $response?: { headers?: Record<string, string | undefined> } } | null)?.$response;
  const type = response?.headers?.['content-type'] ?? response?.headers?.['Content-Type'] ?? '';
  return /^text\/html/i.test(type) && status !== undefined && [404, 405, 500, 501].includes(status);
}
/** S3: the bucket name is taken by another account (names are global); never adopt it. */
export function isBucketNameTaken(err: unknown): boolean {
  return awsErrorName(err) === 'BucketAlreadyExists';
}
/** S3 bucket sub-resources that are simply not set (no policy, no tags, no lifecycle, ...): not an error when reading. */
const NOT_CONFIGURED = new Set([
  'NoSuchBucketPolicy', 'NoSuchTagSet', 'NoSuchTagSetError', 'NoSuchPublicAccessBlockConfiguration', 'NoSuchLifecycleConfiguration',
  'ServerSideEncryptionConfigurationNotFoundError', 'OwnershipControlsNotFoundError',
]);
export function isNotConfigured(err: unknown): boolean {
  return NOT_CONFIGURED.has(awsErrorName(err));
}
/** S3 conditional write refused: the object changed (If-Match) or exists (If-None-Match), or a concurrent conditional write won. */
export function isPreconditionFailed(err: unknown): boolean {
  const n = awsErrorName(err);
  return n === 'PreconditionFailed' || n === 'ConditionalRequestConflict' || httpStatus(err) === 412 || httpStatus(err) === 409;
}
/** A HEAD or GET of an object or bucket that is not there (S3 answers HEAD with a bare 404). */
export function isObjectMissing(err: unknown): boolean {
  return isNotFound(err) || httpStatus(err) === 404;
}
/** Route 53 refused a CREATE because a record of that name and type exists (InvalidChangeBatch says which). */
export function isRecordConflict(err: unknown): boolean {
  const message = (err as { message?: unknown } | null)?.message;
  return awsErrorName(err) === 'InvalidChangeBatch' && typeof message === 'string' && /already exists/i.test(message);
}
/** Route 53 refused a DELETE because the record (with those values) is not there. */
export function isRecordGone(err: unknown): boolean {
  const message = (err as { message?: unknown } | null)?.message;
  return awsErrorName(err) === 'InvalidChangeBatch' && typeof message === 'string' && /not found|does not exist/i.test(message);
}
/**
 * ECS CreateService/UpdateService right after the listener that attaches the target group to the
 * load balancer was created: `InvalidParameterException: The target group ... does not have an
 * associated load balancer`. Eventual consistency between ELB and ECS, worth a brief retry.
 */
export function isTargetGroupNotAttachedYet(err: unknown): boolean {
  const message = (err as { message?: unknown } | null)?.message;
  return awsErrorName(err) === 'InvalidParameterException' && typeof message === 'string' && /target ?group.*does not have an associated load balancer/i.test(message);
}
/** ECS DescribeTaskDefinition of a family or revision that does not exist: `ClientException: Unable to describe task definition`. */
export function isTaskDefinitionMissing(err: unknown): boolean {
  const message = (err as { message?: unknown } | null)?.message;
  return awsErrorName(err) === 'ClientException' && typeof message === 'string' && /unable to describe task definition/i.test(message);
}
/**
 * Secrets Manager refuses the call in the secret's present state (`InvalidRequestException`: one
 * already scheduled for deletion cannot be scheduled again,
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html). The caller
 * reads the state to tell which.
 */
export function isSecretStateConflict(err: unknown): boolean {
  return awsErrorName(err) === 'InvalidRequestException';
}

/** What to do about an error, for the hint line; undefined when there is nothing general to say. */
export function recommendAction(err: unknown, profileHint = ''): string | undefined {
  if (isCredentialsError(err)) {
    return `No AWS credentials were found. Run \`aws configure\` or \`aws sso login${profileHint}\`, set AWS_PROFILE, or pass --profile; for the local emulator, pass --local.`;
  }
  if (isAccessDenied(err)) return 'The caller lacks a permission: iam/wpdeploy-policy.json in wpdeploy is the policy it needs.';
  if (isThrottling(err)) return 'AWS throttled the calls even after retries. Run the same command again in a minute; it resumes where it stopped.';
  if (awsErrorName(err) === 'ECONNREFUSED') return 'The AWS endpoint refused the connection. With --local, check that the emulator is running (`scripts/emulator.sh status`).';
  return undefined;
}
