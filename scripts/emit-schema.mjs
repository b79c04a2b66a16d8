// Writes schema/wpdeploy.schema.json from the config schema (src/config/schema.ts), after `npm run build`.
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../dist/config/schema.js';

const target = new URL('../schema/wpdeploy.schema.json', import.meta.url);
writeFileSync(target, JSON.stringify(configJsonSchema(), null, 2) + '\n');
console.log(`wrote ${target.pathname}`);
