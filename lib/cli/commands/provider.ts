// `ironcore-console provider --config FILE`: runs a provider from its config file.
import { PROVIDER_CONFIG_EXAMPLE, loadProviderConfig, runProvider } from '../../provider/index.js';
import { createLogger } from '../logger.js';
import { stopOnSignal } from '../stop-on-signal.js';
import { PORT_FILE_FORMAT, writePortFile } from '../port-file.js';
import { UsageError, parseCommandArgs, type CliCommand } from '../usage.js';

const summary = 'serve machine consoles to gateways (a pool provider)';

const HELP = `usage: ironcore-console provider --config FILE [--port-file FILE]

  -c, --config FILE   the provider's config (YAML or JSON); unknown keys are errors
  --port-file FILE    once the listener is up, write ${PORT_FILE_FORMAT};
                      the provider's one listener is named "provider"
  -h, --help          this help

The bound port is also logged (JSON on stderr): "provider listening" {address, port}.

The config file, with every key (defaults as noted):

${PROVIDER_CONFIG_EXAMPLE.replace(/^/gm, '    ')}`;

async function run(argv: string[]): Promise<void> {
  const parsed = parseCommandArgs('provider', { args: argv, options: { config: { type: 'string', short: 'c' }, 'port-file': { type: 'string' } }, strict: true }, HELP);
  if (!parsed) return;
  if (!parsed.values.config) throw new UsageError('provider needs --config FILE (`ironcore-console provider --help` shows the file\'s keys)');
  const logger = createLogger();
  const config = await loadProviderConfig(parsed.values.config);
  const running = await runProvider(config, logger);
  const portFile = parsed.values['port-file'];
  if (portFile) writePortFile(portFile, [{ name: 'provider', host: running.address.address, port: running.address.port }]);
  stopOnSignal(running.stop, logger);
}

export const providerCommand: CliCommand = { summary, run };
