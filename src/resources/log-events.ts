/**
 * The WordPress containers' log lines, read from the stack's app log group with FilterLogEvents
 * (paginated), each with the id of the task that wrote it. ECS's awslogs driver names each stream
 * `<stream prefix>/<container>/<task id>`, so the task id is the stream name's last segment.
 * `follow` polls from the last timestamp seen and drops the events it already printed (by eventId).
 */
import type { FilteredLogEvent, FilterLogEventsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogs } from '../aws/sdk.js';
import type { AwsClients } from '../aws/clients.js';
import { isNotFound, recommendAction } from '../aws/errors.js';
import { sleep, timeScale } from '../aws/poll.js';
import { UsageError, WpdeployError, errorMessage } from '../errors.js';

/** The window `logs` reads when --since is not given. */
export const DEFAULT_SINCE = '10m';
/** How often `logs --follow` asks for new events (before WPDEPLOY_TIME_SCALE). */
export const FOLLOW_INTERVAL_MS = 2_000;

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `30s`, `10m`, `2h`, `1d` in milliseconds. Anything else (no unit, another unit, zero, a fraction,
 * a negative number) is a UsageError naming the flag and the accepted forms: no AWS call is made.
 */
export function parseDuration(value: string, flag = '--since'): number {
  const m = /^\s*(\d+)\s*([smhd])\s*$/i.exec(value);
  const n = m ? Number(m[1]) : NaN;
  if (!m || !Number.isSafeInteger(n) || n <= 0) {
    throw new UsageError(
      `${flag} ${JSON.stringify(value)} is not a duration.`,
      `Use a whole number followed by s, m, h or d, e.g. ${flag} 30s, ${flag} 10m (the default), ${flag} 2h or ${flag} 1d.`,
    );
  }
  return n * UNIT_MS[m[2]!.toLowerCase()]!;
}

/** One log line of a WordPress container. */
export interface LogLine {
  /** When the container wrote it, ISO 8601 (UTC). */
  time: string;
  /** The ECS task id (the last segment of the awslogs stream name). */
  taskId: string;
  message: string;
}

/** `wordpress/wordpress/0123abcd` -> `0123abcd`; a name without `/` is its own last segment. */
export function taskIdOf(logStreamName: string | undefined): string {
  if (!logStreamName) return '-';
  return logStreamName.slice(logStreamName.lastIndexOf('/') + 1) || logStreamName;
}

/** The line an event becomes (the trailing newline a container may add is dropped). */
export function toLogLine(e: FilteredLogEvent): LogLine {
  return {
    time: new Date(e.timestamp ?? 0).toISOString(),
    taskId: taskIdOf(e.logStreamName),
    message: (e.message ?? '').replace(/\r?\n$/, ''),
  };
}

/** `<ISO time> <task id> <message>`. */
export function formatLogLine(l: LogLine): string {
  return `${l.time} ${l.taskId} ${l.message}`;
}

export interface ReadLogEventsOptions {
  aws: AwsClients;
  stack: string;
  /** The app log group (`/wpdeploy/<stack>/wordpress`). */
  logGroup: string;
  /** Epoch milliseconds: events before it are not read. */
  startTime: number;
  /** Keep polling for new events until `signal` aborts. */
  follow?: boolean;
  signal?: AbortSignal;
  /** WPDEPLOY_TIME_SCALE: divides the poll interval. */
  scale?: number;
  intervalMs?: number;
}

/**
 * Reads the events of the log group from `startTime`, page by page, and hands each to `onEvent` in
 * time order. With `follow`, polls every 2 s (scaled) from the last timestamp seen, skipping events
 * already handed over, until `signal` aborts; an abort (Ctrl-C) ends the read without an error.
 * A missing log group means the stack is not deployed: a WpdeployError that says to run `wpdeploy up`.
 */
export async function readLogEvents(o: ReadLogEventsOptions, onEvent: (line: LogLine) => void): Promise<void> {
  const client = o.aws.get(CloudWatchLogs.CloudWatchLogsClient);
  const interval = (o.intervalMs ?? FOLLOW_INTERVAL_MS) / (o.scale ?? timeScale());
  const aborted = () => o.signal?.aborted === true;
  let since = o.startTime;
  let latest = -Infinity;
  /** eventId -> timestamp of the events handed over whose timestamp is >= `since` (a poll may return them again). */
  const seen = new Map<string, number>();
  while (!aborted()) {
    let nextToken: string | undefined;
    do {
      let page: FilterLogEventsCommandOutput;
      try {
        page = await client.send(new CloudWatchLogs.FilterLogEventsCommand({ logGroupName: o.logGroup, startTime: since, nextToken }), { abortSignal: o.signal });
      } catch (err) {
        if (aborted()) return;
        if (isNotFound(err)) {
          throw new WpdeployError(`stack ${o.stack} has no log group ${o.logGroup}: it is not deployed (or was removed).`, {
            hint: `Deploy it with \`wpdeploy up --stack ${o.stack}\`, then run \`wpdeploy logs --stack ${o.stack}\` again.`,
            cause: err,
          });
        }
        throw new WpdeployError(`read log events of ${o.logGroup}: ${errorMessage(err)}`, { hint: recommendAction(err), cause: err });
      }
      // AWS interleaves the streams by time; sorting the page keeps that order with any endpoint.
      const events = [...(page.events ?? [])].sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
      for (const e of events) {
        if (e.eventId !== undefined) {
          if (seen.has(e.eventId)) continue;
          seen.set(e.eventId, e.timestamp ?? 0);
        }
        latest = Math.max(latest, e.timestamp ?? 0);
        onEvent(toLogLine(e));
      }
      nextToken = page.nextToken;
    } while (nextToken && !aborted());
    if (!o.follow || aborted()) return;
    if (latest > since) {
      since = latest;
      for (const [id, ts] of seen) if (ts < since) seen.delete(id);
    }
    await sleep(interval, o.signal); // removes its abort listener when the time is up: `--follow` sleeps thousands of times on one signal
  }
}
