/**
 * A rollout the ECS deployment circuit breaker fails and rolls back, end to end: moto runs every task
 * definition, so the ECS shim (test/support/ecs-shim.ts) answers DescribeServices as AWS does when a
 * new revision's tasks fail to start: the new deployment FAILED, the previous task definition
 * PRIMARY again. `up` must fail saying so, not call the rolled-back service steady, and leave the
 * service on the previous revision; once the rollout can succeed, the next `up` converges.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ecs } from '../support/aws.js';
import { runCli, uniqueStack, workdir } from '../support/cli.js';
import { CIRCUIT_BREAKER_REASON } from '../support/ecs-shim.js';
import { startStrictProxy } from '../support/aws-rules.js';

const moto = inject('motoEndpoint');
let proxy: Awaited<ReturnType<typeof startStrictProxy>>;

beforeAll(async () => {
  proxy = await startStrictProxy(moto);
});
afterAll(async () => {
  proxy.ecs.failRollouts(undefined);
  await proxy.close();
  expect(proxy.rules.lookupErrors).toEqual([]);
});

describe('a rollout the circuit breaker rolls back', () => {
  const stack = uniqueStack('roll');
  const cwd = workdir();
  const run = (...args: string[]) => runCli([...args, '--stack', stack], { cwd, endpoint: proxy.url });
  const serviceTaskDefinition = async () => {
    const r = await ecs(moto).send(new DescribeServicesCommand({ cluster: `${stack}-cluster`, services: [`${stack}-wordpress`] }));
    return r.services![0]!.taskDefinition!;
  };
  let first = '';

  it('up deploys the first revision', async () => {
    const r = await run('up');
    expect(r.code, r.stderr).toBe(0);
    first = await serviceTaskDefinition();
    expect(first).toMatch(new RegExp(`:task-definition/${stack}-wordpress:1$`));
  });

  it('a new revision whose tasks fail: up fails naming the failed deployment and the rollback, and the service stays on the first revision', async () => {
    writeFileSync(join(cwd, 'wpdeploy.yml'), 'wordpress:\n  image: public.ecr.aws/docker/library/wordpress:6-php8.4-apache\n');
    proxy.ecs.failRollouts((td) => td !== first);
    const r = await run('up');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const second = first.replace(/:1$/, ':2');
    expect(r.stderr).toContain(`the deployment of ${second} failed: ${CIRCUIT_BREAKER_REASON}`);
    expect(r.stderr).toMatch(/latest service events:\n\s+- \(service [^)]+\) rolling back to deployment/);
    expect(r.stdout).toContain('The service keeps its previous revision');
    expect(r.stdout + r.stderr).not.toMatch(/timed out|resume waiting/);
    expect(await serviceTaskDefinition()).toBe(first);
    // The state does not claim the new revision: the next plan still rolls it out.
    const plan = await run('plan', '--detailed-exitcode');
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toMatch(/update\s+ecs-service/);
  });

  it('the failed deployment already drained when up looks again: up still fails, saying the service was rolled back, without waiting out its bound', async () => {
    proxy.ecs.failRollouts((td) => td !== first, 0);
    const started = Date.now();
    const r = await run('up');
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toContain(`the deployment of ${first.replace(/:1$/, ':2')} did not complete: the service runs ${first} again`);
    expect(r.stdout + r.stderr).not.toMatch(/timed out|resume waiting/);
    expect(Date.now() - started).toBeLessThan(120_000); // the wait's bound is 15 minutes
    expect(await serviceTaskDefinition()).toBe(first);
  });

  it('once the revision can start, the next up rolls it out and converges', async () => {
    proxy.ecs.failRollouts(undefined);
    const r = await run('up');
    expect(r.code, r.stderr).toBe(0);
    expect(await serviceTaskDefinition()).toBe(first.replace(/:1$/, ':2'));
    expect((await run('plan', '--detailed-exitcode')).code).toBe(0);
    expect(proxy.rules.refused).toEqual([]);
    const down = await run('down', '--purge', '--yes');
    expect(down.code, down.stderr).toBe(0);
  });
});
