#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm install` through the prepare script).
// `wpdeploy --version` alone is answered here, without loading the command line parser.
const args = process.argv.slice(2);
const versionOnly = args.length === 1 && (args[0] === '--version' || args[0] === '-V');

import(versionOnly ? '../dist/version.js' : '../dist/cli/main.js').then(
  (m) => {
    if (versionOnly) process.stdout.write(`${m.VERSION}\n`);
  },
  (err) => {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && /dist\/(cli\/main|version)\.js/.test(String(err.message))) {
      process.stderr.write('wpdeploy: the CLI is not built yet. Run `npm install` (or `npm run build`) in the project root.\n');
      process.exit(1);
    }
    throw err;
  },
);
