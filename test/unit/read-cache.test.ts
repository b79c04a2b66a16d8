/** The run's shared reads (src/aws/read-cache.ts): one call per key, batches per tick, stale after a change. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTagsCommand, DescribeVpcsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { ReadCache, type BatchSpec, type RecordedId } from '../../src/aws/read-cache.js';

/** Stands for AwsClients: counts of finished mutating calls, set by the test. */
function fakeAws() {
  const changes: Record<string, number> = {};
  const aws = {
    mutations: (service?: string) => (service === undefined ? Object.values(changes).reduce((a, b) => a + b, 0) : (changes[service] ?? 0)),
    change: (service: string) => void (changes[service] = (changes[service] ?? 0) + 1),
  };
  return aws;
}

function cacheWith(recorded: RecordedId[] = []) {
  const aws = fakeAws();
  return { aws, cache: new ReadCache(aws as unknown as AwsClients, () => recorded) };
}

/** A promise and its resolver, to hold a load in flight. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('read', () => {
  it('one load serves every asker: those that ask while it is in flight and those that ask later', async () => {
    const { cache } = cacheWith();
    const d = deferred<string[]>();
    const load = vi.fn(() => d.promise);
    const a = cache.read('ec2:subnets:blog', 'EC2', load);
    const b = cache.read('ec2:subnets:blog', 'EC2', load);
    d.resolve(['subnet-1', 'subnet-2']);
    expect(await a).toEqual(['subnet-1', 'subnet-2']);
    expect(await b).toBe(await a);
    expect(await cache.read('ec2:subnets:blog', 'EC2', load)).toEqual(['subnet-1', 'subnet-2']);
    expect(load).toHaveBeenCalledTimes(1);
    expect(cache.stats).toEqual({ loads: 1, hits: 2 });
  });

  it('keys are separate reads', async () => {
    const { cache } = cacheWith();
    const load = vi.fn(async () => 1);
    await cache.read('a', 'EC2', load);
    await cache.read('b', 'EC2', load);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('a change to a service it depends on makes the next asker read again; a change elsewhere does not', async () => {
    const { aws, cache } = cacheWith();
    let n = 0;
    const load = vi.fn(async () => ++n);
    expect(await cache.read('k', 'EC2', load)).toBe(1);
    aws.change('IAM');
    expect(await cache.read('k', 'EC2', load)).toBe(1);
    aws.change('EC2');
    expect(await cache.read('k', 'EC2', load)).toBe(2);
    expect(await cache.read('k', 'EC2', load)).toBe(2);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('depends on several services, or on any with *', async () => {
    const { aws, cache } = cacheWith();
    let n = 0;
    const load = async () => ++n;
    expect(await cache.read('both', ['EC2', 'EFS'], load)).toBe(1);
    aws.change('EFS');
    expect(await cache.read('both', ['EC2', 'EFS'], load)).toBe(2);
    expect(await cache.read('any', '*', load)).toBe(3);
    aws.change('S3');
    expect(await cache.read('any', '*', load)).toBe(4);
    expect(await cache.read('both', ['EC2', 'EFS'], load)).toBe(2);
  });

  it('a change that finishes while a read is in flight makes later askers read again', async () => {
    const { aws, cache } = cacheWith();
    const d = deferred<string>();
    const load = vi.fn().mockReturnValueOnce(d.promise).mockResolvedValueOnce('after');
    const first = cache.read('k', 'EC2', load);
    aws.change('EC2'); // e.g. another step's create returned meanwhile
    d.resolve('before');
    expect(await first).toBe('before');
    expect(await cache.read('k', 'EC2', load)).toBe('after');
  });

  it('a failed read is not kept: the next asker tries again', async () => {
    const { cache } = cacheWith();
    const load = vi.fn().mockRejectedValueOnce(Object.assign(new Error('slow down'), { name: 'Throttling' })).mockResolvedValueOnce('ok');
    await expect(cache.read('k', 'EC2', load)).rejects.toMatchObject({ name: 'Throttling' });
    expect(await cache.read('k', 'EC2', load)).toBe('ok');
  });
});

describe('readWhileUnchanged', () => {
  it('reads once while the run has changed nothing, and gives undefined once it has', async () => {
    const { aws, cache } = cacheWith();
    const load = vi.fn(async () => 'index');
    expect(await cache.readWhileUnchanged('tags', load)).toBe('index');
    expect(await cache.readWhileUnchanged('tags', load)).toBe('index');
    aws.change('ECS');
    expect(await cache.readWhileUnchanged('tags', load)).toBeUndefined();
    expect(load).toHaveBeenCalledTimes(1);
  });
});

/** A batch of tags by ARN, recording each call's keys; `fail` makes a call with that key fail. */
function tagsSpec(opts: { max?: number; more?: string[]; fail?: string; gate?: Promise<void> } = {}) {
  const calls: string[][] = [];
  const spec: BatchSpec<string> = {
    name: 'tags',
    dependsOn: 'ElasticLoadBalancingV2',
    max: opts.max ?? 20,
    more: opts.more ? () => opts.more! : undefined,
    async loadMany(_aws, keys) {
      calls.push([...keys]);
      if (opts.gate) await opts.gate;
      if (opts.fail && keys.includes(opts.fail)) throw Object.assign(new Error(`${opts.fail} not found`), { name: 'LoadBalancerNotFound' });
      return new Map(keys.filter((k) => !k.startsWith('gone')).map((k) => [k, `tags of ${k}`]));
    },
  };
  return { spec, calls };
}

describe('batch', () => {
  it('keys asked in the same tick go to one call; each asker gets its own value, a missing key undefined', async () => {
    const { cache } = cacheWith();
    const { spec, calls } = tagsSpec();
    const [a, b, gone] = await Promise.all([cache.batch(spec, 'lb'), cache.batch(spec, 'tg'), cache.batch(spec, 'gone-1')]);
    expect([a, b, gone]).toEqual(['tags of lb', 'tags of tg', undefined]);
    expect(calls).toEqual([['lb', 'tg', 'gone-1']]);
  });

  it('a key asked again is answered from the batch, even while the call is in flight', async () => {
    const { cache } = cacheWith();
    const { spec, calls } = tagsSpec();
    const first = cache.batch(spec, 'lb');
    await tick();
    const again = cache.batch(spec, 'lb');
    expect(await first).toBe('tags of lb');
    expect(await again).toBe('tags of lb');
    expect(await cache.batch(spec, 'lb')).toBe('tags of lb');
    expect(calls).toHaveLength(1);
  });

  it('keys asked in later ticks make another call', async () => {
    const { cache } = cacheWith();
    const { spec, calls } = tagsSpec();
    await cache.batch(spec, 'lb');
    await cache.batch(spec, 'tg');
    expect(calls).toEqual([['lb'], ['tg']]);
  });

  it('reads ahead the keys the run is expected to ask (the ARNs in state), filling the call up to max', async () => {
    const { cache } = cacheWith();
    const { spec, calls } = tagsSpec({ max: 3, more: ['lb', 'tg', 'listener-80', 'listener-443'] });
    expect(await cache.batch(spec, 'lb')).toBe('tags of lb');
    expect(calls).toEqual([['lb', 'tg', 'listener-80']]);
    expect(await cache.batch(spec, 'listener-80')).toBe('tags of listener-80');
    expect(await cache.batch(spec, 'tg')).toBe('tags of tg');
    expect(calls).toHaveLength(1);
    expect(await cache.batch(spec, 'listener-443')).toBe('tags of listener-443');
    expect(calls).toEqual([['lb', 'tg', 'listener-80'], ['listener-443']]);
  });

  it('more keys than max are split into calls of max keys; reading ahead never adds a call', async () => {
    const { cache } = cacheWith();
    const { spec, calls } = tagsSpec({ max: 2, more: ['x', 'y', 'z'] });
    await Promise.all(['a', 'b', 'c'].map((k) => cache.batch(spec, k)));
    expect(calls).toEqual([['a', 'b'], ['c', 'x']]);
  });

  it('when a key read ahead fails the call (a resource deleted since), the asked keys are read again alone, the hint is not kept, and nothing more is read ahead', async () => {
    const { cache } = cacheWith();
    const { spec, calls } = tagsSpec({ more: ['lb', 'stale'], fail: 'stale' });
    expect(await cache.batch(spec, 'lb')).toBe('tags of lb');
    expect(calls).toEqual([['lb', 'stale'], ['lb']]);
    // Asked for itself, it is read (and fails) on its own.
    await expect(cache.batch(spec, 'stale')).rejects.toMatchObject({ name: 'LoadBalancerNotFound' });
    expect(calls.at(-1)).toEqual(['stale']);
  });

  it('an asker of a key read ahead, whose call then fails because of another hint, gets its key read on its own', async () => {
    const { cache } = cacheWith();
    const gate = deferred<void>();
    const { spec, calls } = tagsSpec({ more: ['tg', 'stale'], fail: 'stale', gate: gate.promise });
    const lb = cache.batch(spec, 'lb');
    await tick(); // the call for lb (with tg and stale read ahead) is in flight
    expect(calls).toEqual([['lb', 'tg', 'stale']]);
    const tg = cache.batch(spec, 'tg'); // answered by that call, if it succeeds
    gate.resolve();
    expect(await lb).toBe('tags of lb');
    expect(await tg).toBe('tags of tg');
    // After a failed read-ahead, the batch reads only what is asked.
    expect(calls.slice(1)).toEqual([['lb'], ['tg']]);
  });

  it('a call that fails with only asked keys fails every asker, and is not kept', async () => {
    const { cache } = cacheWith();
    const { spec, calls } = tagsSpec({ fail: 'gone-lb' });
    const results = await Promise.allSettled([cache.batch(spec, 'gone-lb'), cache.batch(spec, 'tg')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await cache.batch(spec, 'tg')).toBe('tags of tg');
    expect(calls).toEqual([['gone-lb', 'tg'], ['tg']]);
  });

  it('a change to the service makes the next asker read again', async () => {
    const { aws, cache } = cacheWith();
    const { spec, calls } = tagsSpec();
    await cache.batch(spec, 'lb');
    aws.change('ElasticLoadBalancingV2');
    await cache.batch(spec, 'lb');
    expect(calls).toEqual([['lb'], ['lb']]);
  });

  it('recorded() lists what the state records, of some kinds or all', () => {
    const { cache } = cacheWith([{ kind: 'elbv2:load-balancer', id: 'arn:lb' }, { kind: 'ec2:vpc', id: 'vpc-1' }]);
    expect(cache.recorded('elbv2:load-balancer', 'elbv2:listener')).toEqual([{ kind: 'elbv2:load-balancer', id: 'arn:lb' }]);
    expect(cache.recorded()).toHaveLength(2);
  });
});

describe('AwsClients.mutations', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

  it('counts each mutating call once it is over, answered or failed, by service; reads are not counted', async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(body.includes('Action=CreateTags') ? 400 : 200, { 'content-type': 'text/xml' });
        res.end(body.includes('Action=CreateTags')
          ? '<Response><Errors><Error><Code>InvalidID</Code><Message>no such resource</Message></Error></Errors><RequestID>1</RequestID></Response>'
          : '<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><vpcSet/></DescribeVpcsResponse>');
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const aws = new AwsClients({ region: 'us-east-1', local: true, maxAttempts: 1, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    try {
      await aws.get(EC2Client).send(new DescribeVpcsCommand({}));
      expect(aws.mutations()).toBe(0);
      const pending = aws.get(EC2Client).send(new CreateTagsCommand({ Resources: ['vpc-1'], Tags: [{ Key: 'a', Value: 'b' }] }));
      expect(aws.mutations('EC2')).toBe(0); // not before it is over
      await expect(pending).rejects.toMatchObject({ name: 'InvalidID' });
      expect(aws.mutations('EC2')).toBe(1);
      expect(aws.mutations('IAM')).toBe(0);
      expect(aws.mutations()).toBe(1);
      expect(aws.calls).toMatchObject({ read: 1, mutating: 1 });
    } finally {
      aws.destroy();
    }
  });
});
