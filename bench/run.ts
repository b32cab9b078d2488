// `npm run bench -- --scenario NAME` / `make bench`: runs one scenario or all of them.
import { parseArgs } from 'node:util';
import { runCodecBench } from './codec.js';

const scenarios: Record<string, () => unknown> = {
  codec: () => runCodecBench(),
};

const { values } = parseArgs({ options: { scenario: { type: 'string', short: 's' } } });
const chosen = values.scenario ? [values.scenario] : Object.keys(scenarios);
for (const name of chosen) {
  const run = scenarios[name];
  if (!run) {
    console.error(`unknown scenario ${JSON.stringify(name)}; known: ${Object.keys(scenarios).join(', ')}`);
    process.exit(2);
  }
  await run();
}
