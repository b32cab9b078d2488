// `ironcore-console provider --config FILE`: runs a provider from its config file.
import { parseArgs } from 'node:util';
import { loadProviderConfig, runProvider } from '../../provider/index.js';
import { createLogger } from '../logger.js';
import { UsageError } from '../usage.js';

export const summary = 'serve machine consoles to gateways (a pool provider)';

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } } });
  if (!values.config) throw new UsageError('provider needs --config FILE (see lib/provider/config.ts for the format)');
  const logger = createLogger();
  const config = await loadProviderConfig(values.config);
  await runProvider(config, logger);
}
