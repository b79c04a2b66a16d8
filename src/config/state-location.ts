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

/** The problem with an S3 location, or undefined when it is well formed. */
export function s3LocationProblem(url: string): { message: string; fix: string } | undefined {
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(url);
  if (!m) return { message: `${url} is not an S3 location.`, fix: 'Write it as s3://BUCKET/PREFIX, e.g. s3://acme-wpdeploy-state/wordpress.' };
  if (!BUCKET_RE.test(m[1]!)) {
    return { message: `"${m[1]}" is not a valid S3 bucket name.`, fix: 'Bucket names are 3-63 characters: lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.' };
  }
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (/\/\/|(^|\/)\.\.?(\/|$)/.test(prefix)) return { message: `the prefix "${prefix}" has an empty or relative segment.`, fix: 'Use a prefix like wordpress or teams/blog.' };
  return undefined;
}

/** Parses `--state` (or the config's `state:`): a URL scheme other than s3:// is refused. */
export function parseStateLocation(value: string, field = '--state'): StateLocation {
  if (value.startsWith('s3://')) {
    const problem = s3LocationProblem(value);
    if (problem) throw new UsageError(`${field} ${value}: ${problem.message}`, problem.fix);
    const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(value)!;
    return { kind: 's3', bucket: m[1]!, prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, ''), text: value };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    throw new UsageError(`${field} ${value}: only a local directory or an s3:// location can hold the state.`, 'Pass a directory (e.g. state/) or s3://BUCKET/PREFIX.');
  }
  return { kind: 'local', dir: value, text: value };
}
