#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm install` through the prepare script).
// This file is CommonJS (bin/package.json), so `wpdeploy --version` alone is answered from
// package.json without starting the ES module loader or loading the command line parser.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${require('../package.json').version}\n`);
} else {
  import('../dist/cli/main.js').catch((err) => {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
      process.stderr.write('wpdeploy: the CLI is not built yet. Run `npm install` (or `npm run build`) in the project root.\n');
      process.exit(1);
    }
    throw err;
  });
}
