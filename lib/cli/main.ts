#!/usr/bin/env node
// `ironcore-console COMMAND ...`: one small dispatcher; each command lives in ./commands.
// Installed as `kubectl-ironcore_console` too, so `kubectl ironcore-console exec` works.
import { readFileSync } from 'node:fs';
import { EXIT, UsageError, usageOf, type CliCommand } from './usage.js';

const commands: Record<string, () => Promise<CliCommand>> = {
  dev: async () => (await import('./commands/dev.js')).devCommand,
  gateway: async () => (await import('./commands/gateway.js')).gatewayCommand,
  provider: async () => (await import('./commands/provider.js')).providerCommand,
  exec: async () => (await import('./commands/exec.js')).execCommand,
};
/** Other names for the same commands. */
const aliases: Record<string, string> = { console: 'exec' };

async function help(): Promise<string> {
  const lines = await Promise.all(Object.entries(commands).map(async ([name, load]) => `  ${name.padEnd(10)} ${(await load()).summary}`));
  return [
    'usage: ironcore-console COMMAND [options]',
    '',
    'commands:',
    ...lines,
    '',
    'Run `ironcore-console COMMAND --help` for a command\'s options; `--version` prints the version.',
  ].join('\n');
}

/** The package's version, from the package.json this file was built from. */
function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `ironcore-console ${manifest.version}`;
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await help());
    return;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    console.log(version());
    return;
  }
  const load = commands[aliases[name] ?? name];
  if (!load) {
    throw new UsageError(`unknown command ${JSON.stringify(name)}; the commands are ${Object.keys(commands).join(', ')} (see \`ironcore-console --help\`)`);
  }
  const command = await load();
  await command.run(rest).catch((error: unknown) => {
    throw usageOf(aliases[name] ?? name, error);
  });
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    console.error(`ironcore-console: ${error.message}`);
    process.exit(EXIT.usage);
  }
  const exitCode = (error as { exitCode?: number }).exitCode;
  console.error(`ironcore-console: ${(error as Error).message ?? String(error)}`);
  process.exit(typeof exitCode === 'number' ? exitCode : EXIT.failure);
});
