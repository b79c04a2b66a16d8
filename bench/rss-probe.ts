/**
 * Loaded with `node --import` in front of the CLI by the benchmark: at exit, writes the process's
 * peak resident set size (kB, `process.resourceUsage().maxRSS`) to WPDEPLOY_BENCH_RSS_FILE.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.WPDEPLOY_BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    try {
      writeFileSync(file, String(process.resourceUsage().maxRSS));
    } catch {
      // the benchmark then reports no RSS
    }
  });
}
