// Writes docs/architecture.svg (the default stack, as the README shows it) after `npm run build`.
import { writeFileSync } from 'node:fs';
import { validateConfig } from '../dist/config/load.js';
import { diagramModel } from '../dist/ui/diagram.js';
import { diagramSvg } from '../dist/ui/diagram-svg.js';

const target = new URL('../docs/architecture.svg', import.meta.url);
writeFileSync(target, diagramSvg(diagramModel(validateConfig({}, 'defaults', { env: {} })), { source: 'the defaults' }));
console.log(`wrote ${target.pathname}`);
