// `ironcore-console provider --config FILE`: runs a provider from its config file.
import { parseArgs } from 'node:util';
import { loadProviderConfig, runProvider } from '../../provider/index.js';
import { createLogger } from '../logger.js';
import { PORT_FILE_FORMAT, writePortFile } from '../port-file.js';
import { UsageError } from '../usage.js';

export const summary = 'serve machine consoles to gateways (a pool provider)';

const HELP = `usage: ironcore-console provider --config FILE [options]

  --config FILE, -c FILE    the provider's config (lib/provider/config.ts documents the format)
  --port-file FILE          once the listener is up, write ${PORT_FILE_FORMAT};
                            the provider's one listener is named "provider"

The bound port is also logged (JSON on stderr): "provider listening" {address, port}.`;

export async function run(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, 'port-file': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  if (!values.config) throw new UsageError('provider needs --config FILE (see lib/provider/config.ts for the format)');
  const logger = createLogger();
  const config = await loadProviderConfig(values.config);
  const running = await runProvider(config, logger);
  if (values['port-file']) writePortFile(values['port-file'], [{ name: 'provider', host: running.address.address, port: running.address.port }]);
}
