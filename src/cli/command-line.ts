/**
 * The commands wpdeploy prints ("run `wpdeploy up` again", "remove it with: wpdeploy down --purge",
 * the unlock hint): each carries the flags that chose this run's target, shell-quoted, so that pasted
 * in the same shell (same directory, same environment) it acts on the same stack. The engine and
 * the resources write `wpdeploy <command>` in backticks without flags; `withTarget` adds them here.
 */
import type { GlobalOptions } from '../engine/session.js';

export type Target = Pick<GlobalOptions, 'local' | 'endpointUrl' | 'config' | 'region' | 'profile' | 'state' | 'stack'>;

/** Each target flag, and the flags that choose the same thing (one of a group is enough). */
const FLAGS: Array<{ key: keyof Target; flag: string; same: string[] }> = [
  { key: 'stack', flag: '--stack', same: ['--stack'] },
  { key: 'config', flag: '-c', same: ['-c', '--config'] },
  { key: 'local', flag: '--local', same: ['--local', '--endpoint-url'] },
  { key: 'endpointUrl', flag: '--endpoint-url', same: ['--local', '--endpoint-url'] },
  { key: 'region', flag: '--region', same: ['--region'] },
  { key: 'profile', flag: '--profile', same: ['--profile'] },
  { key: 'state', flag: '--state', same: ['--state'] },
];

/** A word as a POSIX shell reads it back unchanged. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The target flags of this run, minus those whose group `present` already has. */
export function targetArgs(t: Target, present: readonly string[] = []): string[] {
  const out: string[] = [];
  for (const { key, flag, same } of FLAGS) {
    const value = t[key];
    if (value === undefined || value === false || same.some((f) => present.includes(f))) continue;
    out.push(...(value === true ? [flag] : [flag, String(value)]));
  }
  return out;
}

/** `wpdeploy <args> <target flags>`, shell-quoted: the one builder of every command wpdeploy prints. */
export function commandLine(t: Target, ...args: string[]): string {
  return ['wpdeploy', ...args, ...targetArgs(t, args)].map(shellQuote).join(' ');
}

/**
 * Adds the target flags to every `wpdeploy ...` written in backticks in `text`, keeping the flags
 * it already has (a hint that names another --state keeps it).
 */
export function withTarget(text: string, t: Target): string {
  return text.replace(/`wpdeploy( [^`]*)?`/g, (_m, rest: string | undefined) => {
    const words = (rest ?? '').trim().split(/\s+/).filter(Boolean);
    const flags = words.map((w) => w.split('=')[0]!);
    return '`' + ['wpdeploy', ...words, ...targetArgs(t, flags).map(shellQuote)].join(' ') + '`';
  });
}
