/**
 * Loaded with `node --import` in front of the CLI by the benchmark: at exit, writes the process's
 * peak resident set size (kB) and the CPU time it used (user and system, µs) to
 * WPDEPLOY_BENCH_RSS_FILE as JSON.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.WPDEPLOY_BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    try {
      const u = process.resourceUsage();
      writeFileSync(file, JSON.stringify({ maxRssKb: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime }));
    } catch {
      // the benchmark then reports no RSS
    }
  });
}
