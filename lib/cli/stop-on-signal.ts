// A server command's last step: on SIGTERM or SIGINT, log, stop gracefully and exit (1 when the
// stop failed). The libraries never touch signals or exit the process; their embedders decide.
import type { Logger } from 'pino';

export function stopOnSignal(stop: () => Promise<void>, logger: Logger, details: object = {}): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info({ signal, ...details }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
