/**
 * The first start on an empty file system, made safe for several tasks at once.
 *
 * The official image's entrypoint (docker-library/wordpress, docker-entrypoint.sh) copies WordPress
 * into the document root when neither index.php nor wp-includes/version.php is there (each task's
 * own disk: EFS is mounted over wp-content, stack-data.ts `sharedFiles`), and copies the image's
 * bundled themes and plugins into that shared wp-content where they are missing; it runs under
 * `set -Eeuo pipefail`, so any error ends the container. On a fresh stack the service starts
 * `desiredCount` tasks at once on the same empty EFS directory: two `tar` extractions into one
 * tree, each of which can fail on the other's half-written files.
 *
 * The container's command therefore runs that setup alone, under an exclusive lock on a file of the
 * shared directory: `flock` (util-linux, in the image's Debian base) holds it across tasks as an
 * NFSv4 lock, which EFS keeps for the whole file system (its NFS client quotas count the locks a
 * mount may hold: https://docs.aws.amazon.com/efs/latest/ug/limits.html). The setup is the image's own `docker-ensure-installed.sh`
 * (the entrypoint under another name: install, then run its arguments, here `true`). The task
 * holding the lock copies; the others wait, then find the shared files there and skip them; then
 * each starts Apache through the normal entrypoint. A task that dies with the lock
 * loses it with its NFS lease. An image without `docker-ensure-installed.sh` (older than mid-2025)
 * or without `flock` starts through its entrypoint alone, unlocked.
 *
 * Chosen over creating the service with one task and raising the count once it is healthy: that
 * leaves every later start (circuit-breaker retries, a file system emptied by hand) unguarded, and
 * auto scaling would have to wait, since registering the scalable target moves the count into
 * [min, max] at once (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html).
 *
 * Only for the official image (any registry, Apache variant) with the file system mounted: another
 * image keeps its own entrypoint and command.
 */

/** The lock file, in the shared directory (an empty file, beside WordPress's own). */
export const FIRST_START_LOCK = '.wpdeploy-first-start.lock';

/** `wordpress`, `library/wordpress`, `docker.io/library/wordpress`, `public.ecr.aws/docker/library/wordpress`, with a tag or digest; not an fpm variant. */
export function isOfficialWordpressApache(image: string): boolean {
  const m = /^(?:(?:docker\.io|registry-1\.docker\.io|public\.ecr\.aws\/docker)\/)?(?:library\/)?wordpress(?::([^@]+))?(?:@sha256:[0-9a-f]{64})?$/.exec(image);
  return !!m && !/fpm|cli/.test(m[1] ?? '');
}

/** The official image's PHP configuration directory (`--with-config-file-scan-dir`). */
export const PHP_CONF_DIR = '/usr/local/etc/php/conf.d';

/**
 * PHP settings for the shared files: with plugins and themes on EFS (`sharedFiles: content`),
 * OPcache checks a cached script's file at most every 60 s instead of the image's 2 s (its
 * opcache-recommended.ini), since each check is an NFS round trip. Not `validate_timestamps=0`: a
 * plugin updated from the dashboard resets OPcache only in the task that updated it, and the other
 * tasks would run the old code until replaced; with 60 s they pick it up within a minute. The image
 * reads no PHP setting from the environment: the start script writes them to a conf.d file.
 */
export function phpSettings(sharedFiles: 'content' | 'uploads'): string[] {
  return sharedFiles === 'content' ? ['opcache.revalidate_freq=60'] : [];
}

/** The shell command that writes the PHP settings, installs WordPress under the lock, then starts Apache. */
export function firstStartScript(root: string, phpIni: string[] = []): string {
  return [
    ...(phpIni.length ? [`printf '%s\\n' ${phpIni.map((l) => `'${l}'`).join(' ')} > ${PHP_CONF_DIR}/zz-wpdeploy.ini;`] : []),
    'if command -v docker-ensure-installed.sh >/dev/null 2>&1 && command -v flock >/dev/null 2>&1; then',
    `flock ${root}/${FIRST_START_LOCK} docker-ensure-installed.sh true || exit 1;`,
    'fi;',
    'exec docker-entrypoint.sh apache2-foreground',
  ].join(' ');
}

/**
 * The container's entryPoint and command: for the official image on EFS, the PHP settings, then the
 * locked first start (`root`: the shared directory); else the image's own.
 */
export function wordpressStart(image: string, root: string, onSharedFileSystem: boolean, phpIni: string[] = []): { entryPoint: string[]; command: string[] } {
  if (!onSharedFileSystem || !isOfficialWordpressApache(image)) return { entryPoint: [], command: [] };
  return { entryPoint: ['/bin/sh', '-c'], command: [firstStartScript(root, phpIni)] };
}
