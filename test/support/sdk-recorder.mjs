/**
 * A preload that reports on stderr each AWS SDK package the process loads, one line each:
 * `AWS SDK loaded: @aws-sdk/client-ec2`. Use: `node --import ./test/support/sdk-recorder.mjs ...`
 * (or NODE_OPTIONS). Both ways a package can come in are seen: an ES module import, through a resolve
 * hook as it happens; a CommonJS require (the SDK packages are CommonJS, and src/aws/sdk.ts loads them
 * with require), from the require cache when the process exits. No timing is involved.
 */
import { createRequire, register } from 'node:module';
import { writeSync } from 'node:fs';

const hook = `export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  const m = /\\/node_modules\\/(@aws-sdk\\/[^/]+)\\//.exec(r.url) ?? /^(@aws-sdk\\/[^/]+)/.exec(specifier);
  if (m) process.stderr.write('AWS SDK loaded: ' + m[1] + '\\n');
  return r;
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);

const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const packages = new Set();
  for (const file of Object.keys(cache)) {
    const m = /[\\/]node_modules[\\/](@aws-sdk[\\/][^\\/]+)[\\/]/.exec(file);
    if (m) packages.add(m[1].replace('\\', '/'));
  }
  for (const p of [...packages].sort()) writeSync(2, `AWS SDK loaded: ${p}\n`);
});
