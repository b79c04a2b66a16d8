import { describe, expect, it } from 'vitest';
import { commandLine, shellQuote, targetArgs, withTarget } from '../../src/cli/command-line.js';

describe('the commands wpdeploy prints', () => {
  const t = { stack: 'blog', config: 'my conf.yml', local: true, region: 'eu-west-3', state: "it's/here", profile: undefined };

  it('shell-quote what a shell would split or expand, and nothing else', () => {
    expect(shellQuote('s3://bucket/prefix')).toBe('s3://bucket/prefix');
    expect(shellQuote('my conf.yml')).toBe("'my conf.yml'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('$HOME')).toBe("'$HOME'");
  });

  it('carry every target flag that was given, in one order', () => {
    expect(commandLine(t, 'down', '--purge')).toBe("wpdeploy down --purge --stack blog -c 'my conf.yml' --local --region eu-west-3 --state 'it'\\''s/here'");
    expect(targetArgs({ endpointUrl: 'http://localhost:4566', profile: 'sso' })).toEqual(['--endpoint-url', 'http://localhost:4566', '--profile', 'sso']);
    expect(commandLine({}, 'up')).toBe('wpdeploy up');
  });

  it('withTarget adds the flags to each `wpdeploy ...` in backticks, keeping the ones a hint already names', () => {
    expect(withTarget('Run `wpdeploy up` again; or `wpdeploy status --state s3://b/p`.', t)).toBe(
      "Run `wpdeploy up --stack blog -c 'my conf.yml' --local --region eu-west-3 --state 'it'\\''s/here'` again; " +
      "or `wpdeploy status --state s3://b/p --stack blog -c 'my conf.yml' --local --region eu-west-3`.",
    );
    // --local and --endpoint-url choose the same thing: a hint naming one gets neither.
    expect(withTarget('`wpdeploy up --endpoint-url http://x:1`', { local: true, stack: 'a' })).toBe('`wpdeploy up --endpoint-url http://x:1 --stack a`');
    expect(withTarget('`wpdeploy plan --config=b.yml`', { config: 'a.yml' })).toBe('`wpdeploy plan --config=b.yml`');
    expect(withTarget('`kill 42` and wpdeploy up', t)).toBe('`kill 42` and wpdeploy up');
  });
});
