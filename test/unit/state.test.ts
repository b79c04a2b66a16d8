import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STATE_SCHEMA_VERSION, StaleStateError, StateStore, type StackState, type StateBackend, type StateIdentity } from '../../src/engine/state.js';
import { WpdeployError } from '../../src/errors.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wpdeploy-state-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const id: StateIdentity = { stack: 'blog', region: 'eu-west-3' };
const vpcStep = { kind: 'ec2:vpc', id: 'vpc-0abc', dependsOn: [], outputs: { vpcId: 'vpc-0abc' }, updatedAt: '2026-01-01T00:00:00.000Z' };

function stateFile(over: Partial<StackState> = {}): StackState {
  return {
    schemaVersion: STATE_SCHEMA_VERSION,
    stack: 'blog',
    region: 'eu-west-3',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    steps: { vpc: vpcStep },
    ...over,
  };
}
const writeState = (name: string, content: string) => writeFileSync(join(dir, name), content);

async function refusal(fn: () => unknown): Promise<WpdeployError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WpdeployError);
    return err as WpdeployError;
  }
  throw new Error('expected the state to be refused');
}

describe('writing', () => {
  it('opening a stack without a file gives an empty state and writes nothing', async () => {
    const store = await StateStore.open(dir, id);
    expect(store.steps).toEqual({});
    expect(store.exists()).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    expect(store.path).toBe(join(dir, 'blog.json'));
  });

  it('writes <stack>.json readable by the owner only (0600)', async () => {
    const store = await StateStore.open(dir, id);
    await store.update((s) => {
      s.steps.vpc = vpcStep;
    });
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
  });

  it('keeps 0600 when the file was loosened by hand', async () => {
    const store = await StateStore.open(dir, id);
    await store.save();
    chmodSync(store.path, 0o644);
    await (await StateStore.open(dir, id)).save();
    expect(statSync(store.path).mode & 0o777).toBe(0o600);
  });

  it('writes atomically: no temporary file is left beside the state', async () => {
    const store = await StateStore.open(dir, id);
    await store.save();
    await store.update((s) => {
      s.steps.vpc = vpcStep;
    });
    expect(readdirSync(dir)).toEqual(['blog.json']);
  });

  it('creates the state directory when missing', async () => {
    const nested = join(dir, 'a', 'b');
    const store = await StateStore.open(nested, id);
    await store.save();
    expect(existsSync(join(nested, 'blog.json'))).toBe(true);
  });

  it('round-trips: what one run records, the next run reads', async () => {
    const store = await StateStore.open(dir, { ...id, endpoint: 'http://127.0.0.1:5000' });
    store.bindAccount('123456789012');
    await store.update((s) => {
      s.steps.vpc = { ...vpcStep, pending: { op: 'create', startedAt: '2026-01-01T00:00:01.000Z' } };
    });
    const again = await StateStore.open(dir, { ...id, endpoint: 'http://127.0.0.1:5000' });
    expect(again.state).toEqual(store.state);
    expect(again.steps.vpc?.pending?.op).toBe('create');
    expect(again.state.account).toBe('123456789012');
    expect(JSON.parse(readFileSync(store.path, 'utf8'))).toEqual(store.state);
  });

  it('serializes concurrent updates: the file ends with every update', async () => {
    const store = await StateStore.open(dir, id);
    await Promise.all(
      ['a', 'b', 'c', 'd'].map((step) =>
        store.update((s) => {
          s.steps[step] = { kind: 'k', dependsOn: [], updatedAt: 'now' };
        }),
      ),
    );
    const onDisk = JSON.parse(readFileSync(store.path, 'utf8')) as StackState;
    expect(Object.keys(onDisk.steps).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(readdirSync(dir)).toEqual(['blog.json']);
  });
});

describe('refusing a state file it cannot trust', () => {
  const expectRepairHint = (err: WpdeployError) => {
    expect(err.hint).toBeTruthy();
    expect(err.hint).toContain(join(dir, 'blog.json'));
    expect(err.hint).toMatch(/backup|move it aside/);
    expect(err.exitCode).toBe(2);
  };

  it('corrupt JSON', async () => {
    writeState('blog.json', '{"schemaVersion": 1, "stack": "blog",');
    const err = await refusal(() => StateStore.open(dir, id));
    expect(err.message).toContain(join(dir, 'blog.json'));
    expect(err.message).toMatch(/not valid JSON/);
    expectRepairHint(err);
  });

  it('a schemaVersion this wpdeploy does not read', async () => {
    writeState('blog.json', JSON.stringify(stateFile({ schemaVersion: STATE_SCHEMA_VERSION + 1 })));
    const err = await refusal(() => StateStore.open(dir, id));
    expect(err.message).toContain(`schemaVersion is ${STATE_SCHEMA_VERSION + 1}`);
    expectRepairHint(err);
  });

  it.each([
    ['null', 'null'],
    ['an array', '[]'],
    ['no steps map', JSON.stringify({ ...stateFile(), steps: undefined })],
    ['a malformed step', JSON.stringify({ ...stateFile(), steps: { vpc: { id: 'vpc-1' } } })],
  ])('%s', async (_what, text) => {
    writeState('blog.json', text);
    expectRepairHint(await refusal(() => StateStore.open(dir, id)));
  });

  it('a file that belongs to another stack', async () => {
    writeState('blog.json', JSON.stringify(stateFile({ stack: 'shop' })));
    const err = await refusal(() => StateStore.open(dir, id));
    expect(err.message).toContain('shop');
    expect(err.hint).toContain('shop.json');
    expect(err.hint).toContain('--stack shop');
  });

  it('a stack deployed in another region', async () => {
    writeState('blog.json', JSON.stringify(stateFile({ region: 'us-east-1' })));
    const err = await refusal(() => StateStore.open(dir, id));
    expect(err.message).toContain('us-east-1');
    expect(err.message).toContain('eu-west-3');
    expect(err.hint).toContain('--region us-east-1');
  });

  it('a stack deployed to another endpoint', async () => {
    writeState('blog.json', JSON.stringify(stateFile({ endpoint: 'http://127.0.0.1:5000' })));
    const toAws = await refusal(() => StateStore.open(dir, id));
    expect(toAws.message).toContain('http://127.0.0.1:5000');
    expect(toAws.hint).toContain('--endpoint-url http://127.0.0.1:5000');
    writeState('blog.json', JSON.stringify(stateFile()));
    const toLocal = await refusal(() => StateStore.open(dir, { ...id, endpoint: 'http://127.0.0.1:5000' }));
    expect(toLocal.message).toContain('AWS');
    expect(toLocal.hint).toMatch(/drop --endpoint-url and --local/);
    // The emulator is recorded as "local", which --endpoint-url refuses: the hint says --local.
    writeState('blog.json', JSON.stringify(stateFile({ endpoint: 'local' })));
    const fromEmulator = await refusal(() => StateStore.open(dir, id));
    expect(fromEmulator.hint).toContain('pass --local');
    expect(fromEmulator.hint).not.toContain('--endpoint-url local');
  });

  it('nothing is changed on disk by a refusal', async () => {
    const text = JSON.stringify(stateFile({ region: 'us-east-1' }));
    writeState('blog.json', text);
    await refusal(() => StateStore.open(dir, id));
    expect(readFileSync(join(dir, 'blog.json'), 'utf8')).toBe(text);
  });
});

describe('bindAccount', () => {
  it('records the account of a new state', async () => {
    const store = await StateStore.open(dir, id);
    store.bindAccount('111111111111');
    await store.save();
    expect((await StateStore.open(dir, id)).state.account).toBe('111111111111');
  });

  it('accepts the same account again', async () => {
    writeState('blog.json', JSON.stringify(stateFile({ account: '111111111111' })));
    const store = await StateStore.open(dir, id);
    expect(() => store.bindAccount('111111111111')).not.toThrow();
  });

  it('refuses credentials of another account, naming both', async () => {
    writeState('blog.json', JSON.stringify(stateFile({ account: '111111111111' })));
    const store = await StateStore.open(dir, id);
    const err = await refusal(() => store.bindAccount('222222222222'));
    expect(err.message).toContain('111111111111');
    expect(err.message).toContain('222222222222');
    expect(err.hint).toBeTruthy();
    expect(store.state.account).toBe('111111111111');
  });
});

describe('removeIfEmpty', () => {
  it('keeps the file while steps remain', async () => {
    const store = await StateStore.open(dir, id);
    await store.update((s) => {
      s.steps.vpc = vpcStep;
    });
    expect(await store.removeIfEmpty()).toBe(false);
    expect(store.exists()).toBe(true);
  });

  it('removes the file once the last step is gone, after pending writes land', async () => {
    const store = await StateStore.open(dir, id);
    await store.update((s) => {
      s.steps.vpc = vpcStep;
    });
    void store.update((s) => {
      delete s.steps.vpc;
    });
    expect(await store.removeIfEmpty()).toBe(true);
    expect(store.exists()).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('is fine when there was never a file', async () => {
    expect(await (await StateStore.open(dir, id)).removeIfEmpty()).toBe(true);
  });
});

describe('a state file with nothing recorded yet', () => {
  it('takes the endpoint of the run that uses it, so a later run is not refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wpd-state-ep-'));
    const local = await StateStore.open(dir, { stack: 'blog', region: 'us-east-1', endpoint: 'http://127.0.0.1:5000' });
    await local.save();
    const real = await StateStore.open(dir, { stack: 'blog', region: 'us-east-1' });
    await real.update((s) => {
      s.steps.vpc = { kind: 'ec2:vpc', id: 'vpc-real', dependsOn: [], updatedAt: 'now' };
    });
    expect((await StateStore.open(dir, { stack: 'blog', region: 'us-east-1' })).steps.vpc?.id).toBe('vpc-real');
    await expect(StateStore.open(dir, { stack: 'blog', region: 'us-east-1', endpoint: 'http://127.0.0.1:5000' })).rejects.toThrow(WpdeployError);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('a stale writer', () => {
  it('is refused: a run whose state was changed by another writer cannot overwrite it', async () => {
    const first = await StateStore.open(dir, id);
    await first.update((s) => {
      s.steps.vpc = vpcStep;
    });
    const a = await StateStore.open(dir, id);
    const b = await StateStore.open(dir, id);
    await b.update((s) => {
      s.steps.igw = { kind: 'ec2:igw', id: 'igw-b', dependsOn: ['vpc'], updatedAt: 'now' };
    });
    const err = await a.update((s) => {
      s.steps.igw = { kind: 'ec2:igw', id: 'igw-a', dependsOn: ['vpc'], updatedAt: 'now' };
    }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StaleStateError);
    expect((err as StaleStateError).message).toContain(join(dir, 'blog.json'));
    expect((err as StaleStateError).hint).toMatch(/run the command again/);
    // b's record stands
    expect((JSON.parse(readFileSync(join(dir, 'blog.json'), 'utf8')) as StackState).steps.igw?.id).toBe('igw-b');
  });

  it('is refused when the state it never saw was created meanwhile', async () => {
    const a = await StateStore.open(dir, id);
    const b = await StateStore.open(dir, id);
    await b.save();
    await expect(a.save()).rejects.toBeInstanceOf(StaleStateError);
  });
});

describe('writes to a slow backend', () => {
  it('share one write when they come while another is in flight, and the stored document has them all', async () => {
    let stored: string | undefined;
    let writes = 0;
    const backend: StateBackend = {
      location: 'mem://blog.json', lockLocation: 'mem://blog.lock', remote: true,
      read: async () => (stored === undefined ? undefined : { text: stored, version: String(writes) }),
      write: async (text) => {
        writes++;
        await new Promise((r) => setTimeout(r, 20));
        stored = text;
        return String(writes);
      },
      remove: async () => undefined,
      createLock: async () => ({ created: true }),
      readLock: async () => undefined,
      replaceLock: async () => undefined,
      deleteLock: async () => undefined,
      listStacks: async () => [],
    };
    const store = await StateStore.open(backend, id);
    await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((step) => store.update((s) => {
      s.steps[step] = { kind: 'k', dependsOn: [], updatedAt: 'now' };
    })));
    expect(writes).toBeLessThanOrEqual(2);
    expect(Object.keys((JSON.parse(stored!) as StackState).steps).sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });
});

describe('the stacks stored in one place', () => {
  it('a directory lists its <stack>.json files, not locks or temporary files; a missing one lists none', async () => {
    const { LocalStateBackend } = await import('../../src/engine/state-local.js');
    const where = mkdtempSync(join(tmpdir(), 'wpdeploy-list-'));
    for (const f of ['blog.json', 'shop.json', 'blog.lock', 'shop.json.tmp-12']) writeFileSync(join(where, f), '{}');
    expect(await new LocalStateBackend(where, 'x').listStacks()).toEqual(['blog', 'shop']);
    expect(await new LocalStateBackend(join(where, 'none'), 'x').listStacks()).toEqual([]);
  });
});
