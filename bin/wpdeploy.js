#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm install` through the prepare script).
import('../dist/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('wpdeploy: the CLI is not built yet. Run `npm install` (or `npm run build`) in the project root.\n');
    process.exit(1);
  }
  throw err;
});
