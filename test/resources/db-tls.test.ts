import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { dbTlsMode, mysqlClientFlags } from '../../src/resources/db-tls.js';
import { buildSteps } from '../../src/resources/stack.js';
import type { TaskDefinitionSpec } from '../../src/resources/task-definition.js';
import type { Inputs } from '../../src/resources/types.js';

const ctx = { zones: ['us-east-1a', 'us-east-1b'], account: '123456789012' };
const inputs: Inputs = { get: (step, key) => (key === 'port' ? '3306' : `${step}.${key}`) };
const taskEnv = (raw: object) => {
  const td = buildSteps(validateConfig({ stack: 'blog', ...raw }), ctx).find((s) => s.id === 'task-definition')!.desired(inputs) as TaskDefinitionSpec;
  return td.container.environment;
};

describe('WordPress connects to the database over TLS, always', () => {
  it('straight to the instance: TLS required, the certificate (signed by an RDS CA the image does not trust) not verified', () => {
    const env = taskEnv({});
    expect(env.WORDPRESS_DB_HOST).toBe('db.endpoint:3306');
    expect(env.WORDPRESS_CONFIG_EXTRA).toContain("define('MYSQL_CLIENT_FLAGS', MYSQLI_CLIENT_SSL | MYSQLI_CLIENT_SSL_DONT_VERIFY_SERVER_CERT);");
  });

  it('through the RDS Proxy (RequireTLS): TLS required and the ACM certificate verified against the image\'s public roots', () => {
    const env = taskEnv({ database: { proxy: true } });
    expect(env.WORDPRESS_DB_HOST).toBe('db-proxy.endpoint:3306');
    expect(env.WORDPRESS_CONFIG_EXTRA).toContain("define('MYSQL_CLIENT_FLAGS', MYSQLI_CLIENT_SSL | MYSQLI_CLIENT_SSL_VERIFY_SERVER_CERT);");
  });

  it('the flags are PHP constants of mysqli joined with |, and defined once', () => {
    for (const mode of [dbTlsMode(true), dbTlsMode(false)]) {
      expect(mysqlClientFlags(mode)).toMatch(/^define\('MYSQL_CLIENT_FLAGS', MYSQLI_CLIENT_SSL \| MYSQLI_CLIENT_SSL_(DONT_)?VERIFY_SERVER_CERT\);$/);
    }
    expect(taskEnv({}).WORDPRESS_CONFIG_EXTRA!.match(/MYSQL_CLIENT_FLAGS/g)).toHaveLength(1);
  });
});
