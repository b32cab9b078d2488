// One gateway worker thread: a full gateway (its own uWS app, kube cache and provider links)
// listening on the shared port. The main thread says 'stop' for a graceful shutdown.
import { parentPort, workerData } from 'node:worker_threads';
import { runGateway, type GatewayConfig } from '../gateway/run.js';
import { createLogger } from './logger.js';

const config = (workerData as { config: GatewayConfig }).config;
const logger = createLogger().child({ worker: (workerData as { index: number }).index });
const running = await runGateway(config, logger);
parentPort!.postMessage({ port: running.server.port });
parentPort!.on('message', (message) => {
  if (message === 'stop') void running.stop().then(() => process.exit(0));
});
