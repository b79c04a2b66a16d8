/** `wpdeploy logs`: the --since durations it accepts, and the line each log event becomes. */
import { describe, expect, it } from 'vitest';
import { EXIT, UsageError } from '../../src/errors.js';
import { DEFAULT_SINCE, formatLogLine, parseDuration, taskIdOf, toLogLine } from '../../src/resources/log-events.js';
import { CONTAINER } from '../../src/resources/stack-app.js';

describe('parseDuration (--since)', () => {
  it.each([
    ['30s', 30_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['90M', 5_400_000],
    [' 5m ', 300_000],
  ])('%j is %i ms', (value, ms) => {
    expect(parseDuration(value)).toBe(ms);
  });

  it('the default is 10 minutes', () => {
    expect(parseDuration(DEFAULT_SINCE)).toBe(600_000);
  });

  it.each(['', '10', 'm', '10w', '1.5h', '-5m', '0m', '10 minutes', '1h30m', 'yesterday'])(
    '%j is a usage error (exit 2) naming the flag and the accepted forms',
    (value) => {
      let err: unknown;
      try {
        parseDuration(value, '--since');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UsageError);
      const e = err as UsageError;
      expect(e.exitCode).toBe(EXIT.usage);
      expect(e.message).toContain('--since');
      expect(e.message).toContain(JSON.stringify(value));
      for (const form of ['30s', '10m', '2h', '1d']) expect(e.hint).toContain(form);
    },
  );
});

describe('log lines', () => {
  it('the task id is the last segment of the awslogs stream name <prefix>/<container>/<task id>', () => {
    // stack-app.ts sets the awslogs stream prefix to the container name
    expect(taskIdOf(`${CONTAINER}/${CONTAINER}/0f1e2d3c4b5a69788796a5b4c3d2e1f0`)).toBe('0f1e2d3c4b5a69788796a5b4c3d2e1f0');
    expect(taskIdOf('some-stream')).toBe('some-stream');
    expect(taskIdOf('odd/trailing/')).toBe('odd/trailing/');
    expect(taskIdOf(undefined)).toBe('-');
  });

  it('an event becomes <ISO time> <task id> <message>, without the trailing newline', () => {
    const line = toLogLine({
      timestamp: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
      logStreamName: 'wordpress/wordpress/abc123',
      message: '10.0.1.5 - - "GET / HTTP/1.1" 200 512\n',
      eventId: '1',
    });
    expect(line).toEqual({ time: '2026-01-02T03:04:05.678Z', taskId: 'abc123', message: '10.0.1.5 - - "GET / HTTP/1.1" 200 512' });
    expect(formatLogLine(line)).toBe('2026-01-02T03:04:05.678Z abc123 10.0.1.5 - - "GET / HTTP/1.1" 200 512');
    expect(JSON.parse(JSON.stringify(line))).toEqual(line);
  });

  it('an event without a message or stream still gives a line', () => {
    expect(formatLogLine(toLogLine({ timestamp: 0 }))).toBe('1970-01-01T00:00:00.000Z - ');
  });
});
