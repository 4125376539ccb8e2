import closeWithGrace from 'close-with-grace';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config.js';
import { createLogger } from './logger.js';
import { startPlatform } from './server.js';

/** Process entry: config -> platform -> graceful shutdown on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  loadDotEnv();
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }

  const logger = createLogger(config);
  const platform = await startPlatform(config, logger);
  logger.info({ url: platform.url }, 'simfleet is ready');

  closeWithGrace({ delay: config.shutdownTimeoutMs }, async ({ signal, err }) => {
    if (err !== undefined) logger.error({ err }, 'fatal error, shutting down');
    else logger.info({ signal }, 'shutting down');
    await platform.stop();
    logger.info('stopped');
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`simfleet failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
