/**
 * Starts the AWS emulator (moto) once for the e2e run, through the project's own script, which
 * installs it on a fresh machine. Tests read its endpoint with inject('motoEndpoint').
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

const SCRIPT = fileURLToPath(new URL('../../scripts/emulator.sh', import.meta.url));

export default function setup(project: TestProject) {
  const out = execFileSync('bash', [SCRIPT, 'start'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 15 * 60_000,
    env: { ...process.env, MOTO_ECS_SERVICE_RUNNING: process.env.MOTO_ECS_SERVICE_RUNNING ?? '2', MOTO_ACM_VALIDATION_WAIT: process.env.MOTO_ACM_VALIDATION_WAIT ?? '1' },
  });
  const m = /endpoint=(\S+) pid=(\d+)/.exec(out);
  if (!m) throw new Error(`emulator.sh start printed no endpoint: ${out}`);
  project.provide('motoEndpoint', m[1]!);
  const pid = Number(m[2]);
  return () => {
    try {
      process.kill(pid);
    } catch {
      // already gone
    }
  };
}
