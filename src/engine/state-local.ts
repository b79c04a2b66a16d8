/**
 * State in a local directory: `<dir>/<stack>.json`, mode 0600, written atomically (temporary file,
 * then rename), and `<dir>/<stack>.lock`, created exclusively. A document's version is the digest of
 * its bytes, so a write based on a stale read is refused here as it is in S3.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StaleStateError, type StateBackend, type StoredObject } from './state.js';

const digest = (text: string) => createHash('sha256').update(text).digest('hex');

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export class LocalStateBackend implements StateBackend {
  readonly remote = false;
  readonly location: string;
  readonly lockLocation: string;

  constructor(readonly dir: string, stack: string) {
    this.location = LocalStateBackend.pathFor(dir, stack);
    this.lockLocation = join(dir, `${stack}.lock`);
  }

  static pathFor(dir: string, stack: string): string {
    return join(dir, `${stack}.json`);
  }

  async read(): Promise<StoredObject | undefined> {
    const text = readText(this.location);
    return text === undefined ? undefined : { text, version: digest(text) };
  }

  async write(text: string, expected: string | null): Promise<string> {
    const current = readText(this.location);
    if (expected === null ? current !== undefined : current === undefined || (expected !== '' && digest(current) !== expected)) {
      throw new StaleStateError(this.location);
    }
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.location}.tmp-${process.pid}`;
    writeFileSync(tmp, text, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.location);
    return digest(text);
  }

  async remove(expected: string | undefined): Promise<void> {
    const current = readText(this.location);
    if (current === undefined) return;
    if (expected && digest(current) !== expected) throw new StaleStateError(this.location);
    rmSync(this.location, { force: true });
  }

  async createLock(text: string): Promise<{ created: boolean; version?: string }> {
    mkdirSync(this.dir, { recursive: true });
    try {
      writeFileSync(this.lockLocation, text, { flag: 'wx', mode: 0o600 });
      return { created: true, version: digest(text) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { created: false };
      throw err;
    }
  }

  async readLock(): Promise<StoredObject | undefined> {
    const text = readText(this.lockLocation);
    return text === undefined ? undefined : { text, version: digest(text) };
  }

  async replaceLock(text: string, expected: string | undefined): Promise<string> {
    const current = readText(this.lockLocation);
    if (current === undefined || (expected && digest(current) !== expected)) throw new StaleStateError(this.lockLocation);
    writeFileSync(this.lockLocation, text, { mode: 0o600 });
    return digest(text);
  }

  async deleteLock(): Promise<void> {
    if (existsSync(this.lockLocation)) rmSync(this.lockLocation, { force: true });
  }

  async listStacks(): Promise<string[]> {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
  }
}
