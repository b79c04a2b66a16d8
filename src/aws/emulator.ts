/**
 * `--local`: the local AWS emulator (moto), started by scripts/emulator.sh when it is not already
 * running, and recorded in `<state dir>/.emulator.json` so later commands target the same one.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { WpdeployError } from '../errors.js';

const run = promisify(execFile);

const EMULATOR_SCRIPT = fileURLToPath(new URL('../../scripts/emulator.sh', import.meta.url));

interface EmulatorRecord {
  endpoint: string;
  pid: number;
  startedAt: string;
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const r = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2000) });
    return r.ok;
  } catch {
    return false;
  }
}

/** The endpoint of a running local emulator, starting one if needed. */
export async function ensureLocalEmulator(stateDir: string, onStart: (msg: string) => void): Promise<string> {
  const recordPath = join(stateDir, '.emulator.json');
  let port: string | undefined;
  if (existsSync(recordPath)) {
    try {
      const rec = JSON.parse(readFileSync(recordPath, 'utf8')) as EmulatorRecord;
      if (await answers(rec.endpoint)) return rec.endpoint;
      port = new URL(rec.endpoint).port; // restart where it was, so the endpoint stays the same
    } catch {
      // unreadable record: start a new emulator below
    }
  }
  onStart('starting the local AWS emulator (moto); the first start installs it, which takes about a minute');
  let stdout: string;
  try {
    ({ stdout } = await run('bash', [EMULATOR_SCRIPT, 'start', ...(port ? ['--port', port] : [])], { maxBuffer: 1 << 20, timeout: 15 * 60_000 }));
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new WpdeployError(`could not start the local emulator: ${(e.stderr || e.message).trim().split('\n').slice(-3).join(' ')}`, {
      hint: `Run \`bash ${EMULATOR_SCRIPT} install\` to see the full error. It installs moto from Debian packages and needs apt-get (as root or with sudo).`,
    });
  }
  const m = /endpoint=(\S+) pid=(\d+)/.exec(stdout);
  if (!m) throw new WpdeployError(`the emulator script printed no endpoint: ${stdout.trim()}`);
  mkdirSync(stateDir, { recursive: true });
  const rec: EmulatorRecord = { endpoint: m[1]!, pid: Number(m[2]), startedAt: new Date().toISOString() };
  writeFileSync(recordPath, JSON.stringify(rec, null, 2) + '\n', { mode: 0o600 });
  onStart(`local AWS emulator listening on ${rec.endpoint} (pid ${rec.pid}); stop it with \`kill ${rec.pid}\``);
  return rec.endpoint;
}
