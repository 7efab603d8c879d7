import { ConfigError, loadConfig } from './config';
import { createLogger } from './logger';
import { startTandemServer } from './tandem-server';
import { SHUTDOWN_BUDGET_MS } from '../lib/limits';

/** Process entry: validate config, start, and shut down in order on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  // React and Next read NODE_ENV directly; keep it in step with the validated value.
  (process.env as Record<string, string>).NODE_ENV = config.env;
  const logger = createLogger(config.logLevel);
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  const server = await startTandemServer(config, logger);

  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'shutting down');
    const hardStop = setTimeout(() => {
      logger.error('shutdown budget exceeded; exiting');
      process.exit(1);
    }, SHUTDOWN_BUDGET_MS);
    hardStop.unref();
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

main().catch((err: unknown) => {
  process.stderr.write(`tandem failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
