/**
 * The final snapshots `down` keeps of a stack's instance: named `<stack>-final-<UTC timestamp>`,
 * tagged with the stack's tags (CopyTagsToSnapshot, checked after the delete). `up` restores from
 * the newest; `down --purge` deletes them all.
 */
import type { DBSnapshot, DescribeDBSnapshotsCommandOutput } from '@aws-sdk/client-rds';
import { RDS } from '../aws/sdk.js';
import { isDependencyViolation, isNotFound } from '../aws/errors.js';
import { retrying, waitFor } from '../aws/poll.js';
import { TAG_STACK, type TagMap } from '../aws/tags.js';
import { rds, rdsTags } from './rds-common.js';
import type { ResourceContext } from './types.js';

/** Final snapshot identifiers wpdeploy gives: `<stack>-final-<yyyymmddhhmmss>` (UTC). */
export function finalSnapshotId(stack: string, at: Date = new Date()): string {
  return `${stack}-final-${at.toISOString().replace(/\D/g, '').slice(0, 14)}`;
}
const isFinalSnapshotOf = (stack: string, id: string | undefined) => !!id && id.startsWith(`${stack}-final-`);

/**
 * The final snapshots `down` kept for this stack: manual snapshots of the instance, named
 * `<stack>-final-...` and tagged `wpdeploy:stack=<stack>`, newest first.
 */
export async function keptSnapshots(ctx: Pick<ResourceContext, 'aws' | 'stack'>, identifier: string): Promise<DBSnapshot[]> {
  const out: DBSnapshot[] = [];
  let Marker: string | undefined;
  do {
    let r: DescribeDBSnapshotsCommandOutput;
    try {
      r = await rds(ctx).send(new RDS.DescribeDBSnapshotsCommand({ DBInstanceIdentifier: identifier, SnapshotType: 'manual', Marker }));
    } catch (err) {
      if (isNotFound(err)) return out;
      throw err;
    }
    for (const s of r.DBSnapshots ?? []) {
      if (!isFinalSnapshotOf(ctx.stack, s.DBSnapshotIdentifier) || s.Status === 'deleting') continue;
      const tags = await rdsTags(ctx, s.DBSnapshotArn ?? '', s.TagList).catch((err: unknown) => {
        if (isNotFound(err)) return {} as TagMap;
        throw err;
      });
      if (tags[TAG_STACK] === ctx.stack) out.push(s);
    }
    Marker = r.Marker;
  } while (Marker);
  const time = (s: DBSnapshot) => (s.SnapshotCreateTime ? new Date(s.SnapshotCreateTime).getTime() : 0);
  return out.sort((a, b) => time(b) - time(a) || (b.DBSnapshotIdentifier ?? '').localeCompare(a.DBSnapshotIdentifier ?? ''));
}

export async function describeSnapshot(ctx: ResourceContext, id: string): Promise<DBSnapshot | undefined> {
  try {
    return (await rds(ctx).send(new RDS.DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: id }))).DBSnapshots?.[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Deletes the snapshots (not found is success; one still being created is waited for), then waits until they are gone. */
export async function deleteSnapshots(ctx: ResourceContext, ids: string[]): Promise<void> {
  for (const id of ids) {
    ctx.progress(`deleting kept snapshot ${id}`);
    try {
      await retrying(() => rds(ctx).send(new RDS.DeleteDBSnapshotCommand({ DBSnapshotIdentifier: id })), {
        retryable: isDependencyViolation, attempts: 8, baseMs: 5_000, scale: ctx.scale,
        onRetry: () => ctx.progress(`snapshot ${id} is still being created; waiting to delete it`),
      });
    } catch (err) {
      if (isNotFound(err)) continue;
      throw err;
    }
  }
  for (const id of ids) {
    await waitFor({
      what: `snapshot ${id} to be deleted`, expectedMs: 60_000, minIntervalMs: 5_000, scale: ctx.scale, signal: ctx.signal,
      check: () => describeSnapshot(ctx, id),
      done: (s) => !s,
    });
  }
}
