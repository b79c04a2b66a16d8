/**
 * The first start on an empty file system, made safe for several tasks at once.
 *
 * The official image's entrypoint (docker-library/wordpress, docker-entrypoint.sh) copies WordPress
 * into the document root when neither index.php nor wp-includes/version.php is there, then writes
 * wp-config.php when it is missing; it runs under `set -Eeuo pipefail`, so any error ends the
 * container. On a fresh stack the service starts `desiredCount` tasks at once on the same empty EFS
 * directory: two `tar` extractions into one tree, and two writers of wp-config.php, each of which
 * can fail or leave the other a half-written file.
 *
 * The container's command therefore runs that setup alone, under an exclusive lock on a file of the
 * shared document root: `flock` (util-linux, in the image's Debian base) holds it across tasks as an
 * NFSv4 lock, which EFS keeps for the whole file system (its NFS client quotas count the locks a
 * mount may hold: https://docs.aws.amazon.com/efs/latest/ug/limits.html). The setup is the image's own `docker-ensure-installed.sh`
 * (the entrypoint under another name: install, then run its arguments, here `true`). The task
 * holding the lock copies and writes wp-config.php; the others wait, then find both and copy
 * nothing; then each starts Apache through the normal entrypoint. A task that dies with the lock
 * loses it with its NFS lease. Images older than `docker-ensure-installed.sh` (mid-2025) start as
 * before.
 *
 * Chosen over creating the service with one task and raising the count once it is healthy: that
 * leaves every later start (circuit-breaker retries, a file system emptied by hand) unguarded, and
 * auto scaling would have to wait, since registering the scalable target moves the count into
 * [min, max] at once (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html).
 *
 * Only for the official image (any registry, Apache variant) with the file system mounted: another
 * image keeps its own entrypoint and command.
 */

/** The lock file, in the shared document root (an empty file; the entrypoint then warns the directory is not empty, and copies anyway). */
export const FIRST_START_LOCK = '.wpdeploy-first-start.lock';

/** `wordpress`, `library/wordpress`, `docker.io/library/wordpress`, `public.ecr.aws/docker/library/wordpress`, with a tag or digest; not an fpm variant. */
export function isOfficialWordpressApache(image: string): boolean {
  const m = /^(?:(?:docker\.io|registry-1\.docker\.io|public\.ecr\.aws\/docker)\/)?(?:library\/)?wordpress(?::([^@]+))?(?:@sha256:[0-9a-f]{64})?$/.exec(image);
  return !!m && !/fpm|cli/.test(m[1] ?? '');
}

/** The shell command that installs WordPress under the lock, then starts Apache. */
export function firstStartScript(root: string): string {
  return [
    'if command -v docker-ensure-installed.sh >/dev/null 2>&1 && command -v flock >/dev/null 2>&1; then',
    `flock ${root}/${FIRST_START_LOCK} docker-ensure-installed.sh true || exit 1;`,
    'fi;',
    'exec docker-entrypoint.sh apache2-foreground',
  ].join(' ');
}

/** The container's entryPoint and command: the locked first start for the official image on EFS, else the image's own. */
export function wordpressStart(image: string, root: string, onSharedFileSystem: boolean): { entryPoint: string[]; command: string[] } {
  if (!onSharedFileSystem || !isOfficialWordpressApache(image)) return { entryPoint: [], command: [] };
  return { entryPoint: ['/bin/sh', '-c'], command: [firstStartScript(root)] };
}
