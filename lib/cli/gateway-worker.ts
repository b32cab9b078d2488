// One gateway worker thread: a full gateway (its own uWS app, kube cache and provider links)
// listening on the shared port. The main thread says 'stop' for a graceful shutdown.
import { parentPort, workerData } from 'node:worker_threads';
import { runGateway, type GatewayConfig } from '../gateway/run.js';
import { createLogger } from './logger.js';

const config = (workerData as { config: GatewayConfig }).config;
const logger = createLogger().child({ worker: (workerData as { index: number }).index });
// Audit lines go to the main thread, which writes the one file (see startWorkers).
const audit = config.auditLog && { write: (line: string) => parentPort!.postMessage({ audit: line }) };
const running = await runGateway(config, logger, audit || undefined);
parentPort!.postMessage({ listeners: running.listeners });
parentPort!.on('message', (message) => {
  if (message === 'stop') void running.stop().then(() => process.exit(0));
});
