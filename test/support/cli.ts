/** Runs the built CLI (bin/wpdeploy.js) as a subprocess, as a user would. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/wpdeploy.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  /** AWS endpoint (the proxy or the emulator); omitted for --local runs. */
  endpoint?: string;
  env?: Record<string, string | undefined>;
  input?: string;
  /** Another build of the CLI (an earlier version of wpdeploy, say); default: this checkout's. */
  bin?: string;
}

/** A fresh working directory for one test. */
export function workdir(prefix = 'wpdeploy-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A stack name no other test uses (stack names: lowercase, <= 20 characters). */
export function uniqueStack(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 8)}`.slice(0, 20);
}

export interface RunningCli {
  child: ChildProcessWithoutNullStreams;
  /** Calls `fn` with each line the CLI prints on stdout, as it comes. */
  onLine(fn: (line: string) => void): void;
  /** Calls `fn` with all of stderr so far, each time more arrives. */
  onStderr(fn: (all: string) => void): void;
  done: Promise<CliResult>;
}

/** Starts the CLI and returns at once, so a test can signal or kill it mid-run. */
export function startCli(args: string[], o: CliOptions): RunningCli {
  const listeners: Array<(line: string) => void> = [];
  const errListeners: Array<(all: string) => void> = [];
  let pending = '';
  const child = spawn(process.execPath, [BIN, ...args], { cwd: o.cwd, env: cliEnv(o), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const l of lines) for (const fn of listeners) fn(l);
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const fn of errListeners) fn(stderr);
  });
  child.stdin.end(o.input ?? '');
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : 2) : null), stdout, stderr }));
  });
  return { child, onLine: (fn) => void listeners.push(fn), onStderr: (fn) => void errListeners.push(fn), done };
}

/** The environment the CLI runs in: dummy credentials, the endpoint, CI set and no colors (unless `o.env` says otherwise). */
export function cliEnv(o: CliOptions): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: o.endpoint,
    AWS_PROFILE: undefined,
    CI: 'true',
    NO_COLOR: '1',
    ...o.env,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env as NodeJS.ProcessEnv;
}

export function runCli(args: string[], o: CliOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [o.bin ?? BIN, ...args], { cwd: o.cwd, env: cliEnv(o), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(o.input ?? '');
  });
}
