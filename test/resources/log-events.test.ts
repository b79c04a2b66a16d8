/** `wpdeploy logs`: FilterLogEvents pages, --follow polls and de-duplication, errors. */
import { CloudWatchLogsClient, FilterLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { getEventListeners } from 'node:events';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { WpdeployError } from '../../src/errors.js';
import { formatLogLine, readLogEvents, type LogLine, type ReadLogEventsOptions } from '../../src/resources/log-events.js';
import { awsError } from './data-context.js';

const logs = mockClient(CloudWatchLogsClient);
const GROUP = '/wpdeploy/blog/wordpress';


const event = (id: string, timestamp: number, task = 'task1', message = `line ${id}`): FilteredLogEvent => ({
  eventId: id, timestamp, logStreamName: `wordpress/wordpress/${task}`, message, ingestionTime: timestamp + 5,
});

let aws: AwsClients;
let lines: LogLine[];
const collect = (l: LogLine) => void lines.push(l);
const options = (over: Partial<ReadLogEventsOptions> = {}): ReadLogEventsOptions => ({
  aws, stack: 'blog', logGroup: GROUP, startTime: 1_000, scale: 1, intervalMs: 1, ...over,
});
const inputs = () => logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);

beforeEach(() => {
  logs.reset();
  aws = new AwsClients({ region: 'us-east-1', local: true });
  lines = [];
});
afterEach(() => aws.destroy());

describe('readLogEvents', () => {
  it('pages through FilterLogEvents from startTime and prints each event with its task id, in time order', async () => {
    logs.on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event('2', 3_000, 'taskB'), event('1', 2_000, 'taskA')], nextToken: 'p2' })
      .resolvesOnce({ events: [], nextToken: 'p3' }) // AWS may return an empty page that is not the last
      .resolvesOnce({ events: [event('3', 4_000, 'taskA')] });
    await readLogEvents(options(), collect);
    expect(inputs()).toEqual([
      { logGroupName: GROUP, startTime: 1_000, nextToken: undefined },
      { logGroupName: GROUP, startTime: 1_000, nextToken: 'p2' },
      { logGroupName: GROUP, startTime: 1_000, nextToken: 'p3' },
    ]);
    expect(lines.map(formatLogLine)).toEqual([
      '1970-01-01T00:00:02.000Z taskA line 1',
      '1970-01-01T00:00:03.000Z taskB line 2',
      '1970-01-01T00:00:04.000Z taskA line 3',
    ]);
  });

  it('no events: prints nothing and makes one call', async () => {
    logs.on(FilterLogEventsCommand).resolves({ events: [] });
    await readLogEvents(options(), collect);
    expect(lines).toEqual([]);
    expect(inputs()).toHaveLength(1);
  });

  it('--follow polls from the last timestamp seen and prints each event once (by eventId) until aborted', async () => {
    const abort = new AbortController();
    logs.on(FilterLogEventsCommand)
      .resolvesOnce({ events: [event('a', 2_000), event('b', 3_000)] })
      // the next poll starts at 3000: b comes back, c shares its millisecond, d is new
      .resolvesOnce({ events: [event('b', 3_000), event('c', 3_000, 'task2')], nextToken: 'more' })
      .resolvesOnce({ events: [event('d', 5_000, 'task2')] })
      .resolvesOnce({ events: [] }) // nothing new: the window stays at 5000
      .callsFakeOnce(async () => {
        abort.abort(); // Ctrl-C while this answer is on its way
        return { events: [event('d', 5_000, 'task2'), event('e', 6_000)] };
      })
      .resolves({ events: [event('never', 9_000)] });
    await readLogEvents(options({ follow: true, signal: abort.signal }), collect);
    expect(lines.map((l) => l.message)).toEqual(['line a', 'line b', 'line c', 'line d', 'line e']);
    expect(lines.map((l) => l.taskId)).toEqual(['task1', 'task1', 'task2', 'task2', 'task1']);
    expect(inputs().map((i) => [i.startTime, i.nextToken])).toEqual([
      [1_000, undefined], [3_000, undefined], [3_000, 'more'], [5_000, undefined], [5_000, undefined],
    ]);
  });

  it('--follow with no event yet keeps polling from the start time', async () => {
    const abort = new AbortController();
    let n = 0;
    logs.on(FilterLogEventsCommand).callsFake(async () => {
      if (++n === 3) abort.abort();
      return { events: [] };
    });
    await readLogEvents(options({ follow: true, signal: abort.signal }), collect);
    expect(inputs().map((i) => i.startTime)).toEqual([1_000, 1_000, 1_000]);
  });

  it('the poll interval is 2 s divided by the time scale', async () => {
    const abort = new AbortController();
    const at: number[] = [];
    logs.on(FilterLogEventsCommand).callsFake(async () => {
      at.push(Date.now());
      if (at.length === 2) abort.abort();
      return { events: [] };
    });
    await readLogEvents(options({ follow: true, signal: abort.signal, intervalMs: undefined, scale: 20 }), collect);
    expect(at).toHaveLength(2);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(90);
    expect(at[1]! - at[0]!).toBeLessThan(1_000);
  });

  it('a long --follow does not pile up abort listeners on the signal', async () => {
    const abort = new AbortController();
    let n = 0;
    const listeners: number[] = [];
    logs.on(FilterLogEventsCommand).callsFake(async () => {
      listeners.push(getEventListeners(abort.signal, 'abort').length);
      if (++n === 30) abort.abort();
      return { events: [event(String(n), 1_000 + n)] };
    });
    await readLogEvents(options({ follow: true, signal: abort.signal }), collect);
    expect(lines).toHaveLength(30);
    expect(Math.max(...listeners)).toBeLessThanOrEqual(1);
  });

  it('an abort during a call ends the read quietly', async () => {
    const abort = new AbortController();
    logs.on(FilterLogEventsCommand).callsFake(async () => {
      abort.abort();
      throw Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    });
    await expect(readLogEvents(options({ follow: true, signal: abort.signal }), collect)).resolves.toBeUndefined();
    expect(lines).toEqual([]);
  });

  it('a missing log group says the stack is not deployed and to run wpdeploy up', async () => {
    logs.on(FilterLogEventsCommand).rejects(awsError('ResourceNotFoundException'));
    const err = await readLogEvents(options(), collect).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    expect((err as WpdeployError).exitCode).toBe(1);
    expect((err as WpdeployError).message).toContain('stack blog');
    expect((err as WpdeployError).message).toContain(GROUP);
    expect((err as WpdeployError).hint).toContain('wpdeploy up --stack blog');
  });

  it('another error names the log group and keeps the general advice', async () => {
    logs.on(FilterLogEventsCommand).rejects(awsError('AccessDeniedException', 403));
    const err = await readLogEvents(options(), collect).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WpdeployError);
    expect((err as WpdeployError).message).toMatch(new RegExp(`^read log events of ${GROUP}: AccessDeniedException`));
    expect((err as WpdeployError).hint).toContain('iam/wpdeploy-policy.json');
  });
});
