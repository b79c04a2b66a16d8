/**
 * Where a stack's state lives: a local directory (the default, `state/`) or an S3 location
 * (`s3://bucket/prefix`) shared by a team or CI. Parsed without any AWS call; a malformed value is a
 * usage error naming the field.
 */
import { UsageError } from '../errors.js';

export type StateLocation =
  | { kind: 'local'; dir: string; text: string }
  | { kind: 's3'; bucket: string; prefix: string; text: string };

const BUCKET_RE = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const DEFAULT_STATE_DIR = 'state';

type Problem = { message: string; fix: string };

/** An s3:// URL split into bucket and prefix, or what is wrong with it. */
function splitS3(url: string): { bucket: string; prefix: string } | Problem {
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(url);
  if (!m) return { message: `${url} is not an S3 location.`, fix: 'Write it as s3://BUCKET/PREFIX, e.g. s3://acme-wpdeploy-state/wordpress.' };
  if (!BUCKET_RE.test(m[1]!)) {
    return { message: `"${m[1]}" is not a valid S3 bucket name.`, fix: 'Bucket names are 3-63 characters: lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.' };
  }
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (/\/\/|(^|\/)\.\.?(\/|$)/.test(prefix)) return { message: `the prefix "${prefix}" has an empty or relative segment.`, fix: 'Use a prefix like wordpress or teams/blog.' };
  return { bucket: m[1]!, prefix };
}

/** What is wrong with a state location (a directory or s3://BUCKET/PREFIX), or undefined. */
export function stateLocationProblem(value: string): Problem | undefined {
  if (value.startsWith('s3://')) {
    const r = splitS3(value);
    return 'message' in r ? r : undefined;
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    return { message: `"${value}": only a local directory or an s3:// location can hold the state.`, fix: 'Pass a directory (e.g. state/) or s3://BUCKET/PREFIX.' };
  }
  return undefined;
}

/** Parses `--state` (or the config's `state:`); a malformed value is a usage error naming the field. */
export function parseStateLocation(value: string, field = '--state'): StateLocation {
  const problem = stateLocationProblem(value);
  if (problem) throw new UsageError(`${field} ${value}: ${problem.message}`, problem.fix);
  if (!value.startsWith('s3://')) return { kind: 'local', dir: value, text: value };
  const { bucket, prefix } = splitS3(value) as { bucket: string; prefix: string };
  return { kind: 's3', bucket, prefix, text: value };
}
