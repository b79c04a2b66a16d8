/**
 * The first start on an empty file system (src/resources/wordpress-start.ts): which images get the
 * locked install, what the task definition carries, and what the command really does when several
 * tasks run it at once: the script runs here under /bin/sh with `flock`, against stand-ins for the
 * image's two entrypoint scripts that log when they start and end, in a directory that plays the
 * shared document root.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { buildSteps } from '../../src/resources/stack.js';
import { renderTaskDefinition, type TaskDefinitionSpec } from '../../src/resources/task-definition.js';
import type { Inputs } from '../../src/resources/types.js';
import { FIRST_START_LOCK, firstStartScript, isOfficialWordpressApache, wordpressStart } from '../../src/resources/wordpress-start.js';

describe('which images get the locked first start', () => {
  it('the official image, Apache variant, from Docker Hub or its ECR Public mirror, by tag or digest', () => {
    for (const image of [
      'public.ecr.aws/docker/library/wordpress:6-php8.3-apache', 'wordpress:6-php8.3-apache', 'wordpress', 'library/wordpress:latest',
      'docker.io/library/wordpress:6.6', `wordpress:6@sha256:${'a'.repeat(64)}`,
    ]) expect(isOfficialWordpressApache(image), image).toBe(true);
    for (const image of [
      'wordpress:6-php8.3-fpm', 'wordpress:cli', 'bitnami/wordpress:6', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/wordpress:6', 'mywordpress:1',
    ]) expect(isOfficialWordpressApache(image), image).toBe(false);
  });

  it('only on the shared file system; otherwise the image starts as it would', () => {
    expect(wordpressStart('wordpress:6', '/var/www/html', true).entryPoint).toEqual(['/bin/sh', '-c']);
    expect(wordpressStart('wordpress:6', '/var/www/html', false)).toEqual({ entryPoint: [], command: [] });
    expect(wordpressStart('bitnami/wordpress:6', '/var/www/html', true)).toEqual({ entryPoint: [], command: [] });
  });

  it('the default stack\'s task definition writes the OPcache setting, installs under the lock in the shared wp-content, then starts Apache', () => {
    const config = validateConfig({ stack: 'blog' }, 'test', { env: {} });
    const inputs: Inputs = { get: (step, key) => (key === 'port' ? '3306' : `${step}.${key}`) };
    const td = buildSteps(config, { zones: ['us-east-1a', 'us-east-1b'], account: '123456789012' }).find((s) => s.id === 'task-definition')!;
    const c = renderTaskDefinition(td.desired(inputs) as TaskDefinitionSpec).containerDefinitions![0]!;
    expect(c.entryPoint).toEqual(['/bin/sh', '-c']);
    expect(c.command).toEqual([firstStartScript('/var/www/html/wp-content', ['opcache.revalidate_freq=60'])]);
    expect(c.command![0]).toMatch(/^printf '%s\\n' 'opcache\.revalidate_freq=60' > \/usr\/local\/etc\/php\/conf\.d\/zz-wpdeploy\.ini; /);
    expect(c.command![0]).toContain(`flock /var/www/html/wp-content/${FIRST_START_LOCK} docker-ensure-installed.sh true`);
    expect(c.command![0]).toMatch(/exec docker-entrypoint\.sh apache2-foreground$/);
  });
});

/** A stand-in script on PATH. */
function stub(dir: string, name: string, body: string) {
  writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, name), 0o755);
}

function runTask(root: string, bin: string, id: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', firstStartScript(root)], { cwd: root, env: { PATH: `${bin}:/usr/bin:/bin`, TASK: id, LOG: join(root, 'log') }, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', resolve);
  });
}

describe('the first-start command, run by three tasks at once', () => {
  it('installs one at a time (the first copies, the others find WordPress there), then every task starts Apache', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wp-root-'));
    const bin = mkdtempSync(join(tmpdir(), 'wp-bin-'));
    // The image's install: copies when index.php is missing (slowly), like docker-entrypoint.sh.
    stub(bin, 'docker-ensure-installed.sh', [
      'echo "$TASK start" >> "$LOG"',
      'if [ ! -e index.php ]; then sleep 0.4; echo "<?php" > index.php; echo "$TASK copied" >> "$LOG"; fi',
      'echo "$TASK end" >> "$LOG"',
      'exec "$@"',
    ].join('\n'));
    stub(bin, 'docker-entrypoint.sh', 'echo "$TASK $1" >> "$LOG"');
    const codes = await Promise.all(['t1', 't2', 't3'].map((t) => runTask(root, bin, t)));
    expect(codes).toEqual([0, 0, 0]);
    const log = readFileSync(join(root, 'log'), 'utf8').trim().split('\n');
    // Each install runs alone: a start is always followed by its own end before the next start.
    const installs = log.filter((l) => / (start|copied|end)$/.test(l));
    for (let i = 0; i < installs.length; i += 1) {
      const [task, what] = installs[i]!.split(' ');
      if (what === 'start') expect(installs.slice(i + 1).find((l) => !l.endsWith(' copied'))).toBe(`${task} end`);
    }
    expect(log.filter((l) => l.endsWith(' copied'))).toHaveLength(1);
    expect(log.filter((l) => l.endsWith(' apache2-foreground')).sort()).toEqual(['t1 apache2-foreground', 't2 apache2-foreground', 't3 apache2-foreground']);
  });

  it('an image without docker-ensure-installed.sh starts through its entrypoint alone', async () => {
    const root = mkdtempSync(join(tmpdir(), 'wp-root-'));
    const bin = mkdtempSync(join(tmpdir(), 'wp-bin-'));
    stub(bin, 'docker-entrypoint.sh', 'echo "$TASK $1" >> "$LOG"');
    expect(await runTask(root, bin, 't1')).toBe(0);
    expect(readFileSync(join(root, 'log'), 'utf8')).toBe('t1 apache2-foreground\n');
  });
});
