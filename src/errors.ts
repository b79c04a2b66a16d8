/**
 * Errors a person can act on: what failed, why, and what to do next.
 * Every error wpdeploy raises on purpose is a WpdeployError; the CLI prints `message`, then `hint`,
 * and exits with `exitCode`.
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  interrupted: 130,
} as const;

export class WpdeployError extends Error {
  readonly hint?: string;
  readonly exitCode: number;
  constructor(message: string, opts: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'WpdeployError';
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? EXIT.failure;
  }
}

/** A problem in what the user asked for (flags, config file). Exit code 2, and no AWS call is made. */
export class UsageError extends WpdeployError {
  constructor(message: string, hint?: string) {
    super(message, { hint, exitCode: EXIT.usage });
    this.name = 'UsageError';
  }
}

export interface ConfigIssue {
  /** Dotted path of the offending key, e.g. `network.cidr`; empty for the document itself. */
  path: string;
  /** What is wrong. */
  message: string;
  /** What would be right. */
  fix?: string;
}

/** Every problem of a config at once, each with its path, what is wrong and what would be right. */
export class ConfigError extends WpdeployError {
  readonly issues: ConfigIssue[];
  constructor(source: string, issues: ConfigIssue[]) {
    const lines = issues.map((i) => `  - ${i.path || '(document)'}: ${i.message}${i.fix ? ` ${i.fix}` : ''}`);
    super(
      `${source} has ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n${lines.join('\n')}`,
      { hint: 'Fix the keys above and run the command again (docs/configuration.md in wpdeploy lists every key, its default and its range).', exitCode: EXIT.usage },
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
