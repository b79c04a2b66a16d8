/**
 * The final snapshots `down` keeps of a stack's instance: named `<stack>-final-<UTC timestamp>`,
 * tagged with the stack's tags (CopyTagsToSnapshot, checked after the delete). `up` restores from
 * the newest; `down --purge` deletes them all.
 */
import type { DBSnapshot } from '@aws-sdk/client-rds';
import { RDS } from '../aws/sdk.js';
import { isDependencyViolation } from '../aws/errors.js';
import { deleteOrGone, orAbsent } from '../aws/idempotent.js';
import { retrying } from '../aws/poll.js';
import { TAG_STACK } from '../aws/tags.js';
import { describeRds, rds, rdsPages, rdsTags } from './rds-common.js';
import type { ResourceContext } from './types.js';
import { waitUntil } from './waits.js';

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
  const all = await orAbsent(() => rdsPages(async (Marker) => {
    const r = await rds(ctx).send(new RDS.DescribeDBSnapshotsCommand({ DBInstanceIdentifier: identifier, SnapshotType: 'manual', Marker }));
    return { items: r.DBSnapshots, Marker: r.Marker };
  }));
  const finals = (all ?? []).filter((s) => isFinalSnapshotOf(ctx.stack, s.DBSnapshotIdentifier) && s.Status !== 'deleting');
  // a snapshot deleted since the listing has no tags to read: not kept
  const tagged = await Promise.all(finals.map(async (s) => ((await orAbsent(() => rdsTags(ctx, s.DBSnapshotArn ?? '', s.TagList)))?.[TAG_STACK] === ctx.stack ? [s] : [])));
  const time = (s: DBSnapshot) => (s.SnapshotCreateTime ? new Date(s.SnapshotCreateTime).getTime() : 0);
  return tagged.flat().sort((a, b) => time(b) - time(a) || (b.DBSnapshotIdentifier ?? '').localeCompare(a.DBSnapshotIdentifier ?? ''));
}

/** Deletes the snapshots (not found is success; one still being created is waited for), then waits until they are gone. */
export async function deleteSnapshots(ctx: ResourceContext, ids: string[]): Promise<void> {
  for (const id of ids) {
    ctx.progress(`deleting kept snapshot ${id}`);
    await deleteOrGone(() => retrying(() => rds(ctx).send(new RDS.DeleteDBSnapshotCommand({ DBSnapshotIdentifier: id })), {
      retryable: isDependencyViolation, attempts: 8, baseMs: 5_000, scale: ctx.scale,
      onRetry: () => ctx.progress(`snapshot ${id} is still being created; waiting to delete it`),
    }));
  }
  for (const id of ids) {
    await waitUntil(ctx, {
      what: `snapshot ${id} to be deleted`, expectedMs: 60_000, minIntervalMs: 5_000,
      check: () => describeRds.snapshot(ctx, id),
      done: (s) => !s,
    });
  }
}
