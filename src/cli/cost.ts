/** `wpdeploy cost`: the monthly estimate of the configured stack. No AWS SDK is loaded, no AWS call made. */
import { loadConfig } from '../config/load.js';
import { estimateCost } from '../cost/estimate.js';
import { loadPriceBook } from '../cost/prices.js';
import { EXIT } from '../errors.js';
import { costDocument, costText } from '../ui/cost.js';
import { colorEnabled, makeStyle } from '../ui/style.js';
import { withTarget } from './command-line.js';
import { reportError } from './report-error.js';

export interface CostOptions {
  config?: string;
  stack?: string;
  region?: string;
  json?: boolean;
  color?: boolean;
}

export async function cost(opts: CostOptions): Promise<void> {
  try {
    const { config } = loadConfig({ file: opts.config, stack: opts.stack, region: opts.region });
    const estimate = estimateCost(config, loadPriceBook());
    if (opts.json) process.stdout.write(JSON.stringify(costDocument(estimate), null, 2) + '\n');
    else process.stdout.write(costText(estimate, makeStyle(opts.color !== false && colorEnabled(process.stdout))) + '\n');
    process.exitCode = EXIT.ok;
  } catch (err) {
    process.exitCode = reportError(err, opts.json, (text) => withTarget(text, opts));
  }
}
