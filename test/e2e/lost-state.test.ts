/**
 * `down` with the state file lost, on a stack with every option that adds kinds (a domain, the RDS
 * Proxy, flow logs, shared uploads): each resource `up` recorded is found by its tags, planned as a
 * delete under its recorded id, and deleted, through the strict proxy (AWS's delete order) and the
 * ECS shim. test/unit/step-wiring.test.ts checks that these options produce every kind.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KINDS } from '../../src/resources/stack.js';
import { startStrictProxy } from '../support/aws-rules.js';
import { stackVpcs } from '../support/aws.js';
import { runCli, uniqueStack, workdir } from '../support/cli.js';
import { ecsShim } from '../support/ecs-shim.js';

const moto = inject('motoEndpoint');
const base = { endpoint: moto, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
let proxy: Awaited<ReturnType<typeof startStrictProxy>>;

beforeAll(async () => {
  proxy = await startStrictProxy(moto);
  const shim = ecsShim(moto);
  const { rules, createRules } = proxy;
  proxy.intercept(async (call) => (await shim(call)) ?? (await createRules(call)) ?? rules(call));
});
afterAll(async () => {
  await proxy.close();
});

describe('down with the state lost, every kind', () => {
  const stack = uniqueStack('lostall');
  const zone = `${stack}.example.com`;
  const config = [
    `stack: ${stack}`, 'domain:', `  name: www.${zone}`, `  hostedZone: ${zone}`,
    'database: { proxy: true }', 'network: { natGateways: single, flowLogs: true }', 'wordpress: { sharedFiles: uploads }',
  ].join('\n') + '\n';
  const cwd = workdir();
  /** What `up` recorded: step to kind and id. */
  let recorded: Record<string, { kind: string; id: string }> = {};

  it('up records a resource of every kind these options produce', async () => {
    await new Route53Client(base).send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `${stack}-${Date.now()}` }));
    writeFileSync(join(cwd, 'wpdeploy.yml'), config);
    const r = await runCli(['up'], { cwd, endpoint: proxy.url });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    recorded = JSON.parse(readFileSync(join(cwd, 'state', `${stack}.json`), 'utf8')).steps;
    const kinds = new Set(Object.values(recorded).map((s) => s.kind));
    expect([...KINDS.keys()].filter((k) => !kinds.has(k))).toEqual([]);
  });

  it('down --purge from a directory without the state finds, plans and deletes each of them', async () => {
    const elsewhere = workdir();
    writeFileSync(join(elsewhere, 'wpdeploy.yml'), config);
    proxy.reset();
    const r = await runCli(['down', '--purge', '--yes', '--json'], { cwd: elsewhere, endpoint: proxy.url });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; step?: string; op?: string; id?: string });
    const planned = new Map(events.filter((e) => e.type === 'step-plan').map((e) => [e.step!, e]));
    // A lookup is left in place; every other resource is deleted under its recorded id. A part of
    // another resource found through its spec (a group's rules, a listener, a mount target) is found
    // with its parent's id, found first: deleted, or already gone with a parent deleted before it
    // (a VPC's default group, the secret's endpoint fields).
    const kindOf = (name: string) => KINDS.get(name)!;
    const own = Object.entries(recorded).filter(([, s]) => !kindOf(s.kind).lookup && !kindOf(s.kind).foundBySpec);
    expect(own.length).toBeGreaterThan(40);
    const missed = own
      .filter(([step, s]) => planned.get(step)?.op !== 'delete' || planned.get(step)?.id !== s.id)
      .map(([step, s]) => `${step} (${s.kind} ${s.id}): ${JSON.stringify(planned.get(step))}`);
    expect(missed).toEqual([]);
    const parts = Object.entries(recorded).filter(([, s]) => kindOf(s.kind).foundBySpec && !kindOf(s.kind).lookup);
    for (const [step, s] of parts) expect([['delete', s.id], ['same', undefined]], step).toContainEqual([planned.get(step)?.op, planned.get(step)?.id]);
    // Parts that AWS needs gone before their parent (a group's rules naming another group) are deleted
    // first: AWS refuses nothing.
    expect(proxy.rules.refused).toEqual([]);
    expect(proxy.rules.lookupErrors).toEqual([]);
    expect(await stackVpcs(moto, stack)).toEqual([]);
    // Nothing of the stack is left to find by its tags: a second down says there is no such stack.
    const again = await runCli(['down', '--purge', '--yes'], { cwd: elsewhere, endpoint: proxy.url });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no stack named ${stack} in us-east-1/123456789012`);
  });
});
