import closeWithGrace from 'close-with-grace';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config.js';
import { createLogger } from './logger.js';
import { describeFailure, installProcessGuards } from './process-guards.js';
import { startPlatform, type Platform } from './server.js';
import { browserUrl, renderBanner } from './banner.js';

/**
 * Process entry: config -> platform -> graceful shutdown on SIGTERM/SIGINT. Unhandled rejections are
 * logged and counted, never fatal; an uncaught exception drains and exits 1 (src/process-guards.ts).
 */
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
  const running: { platform?: Platform } = {};
  const stopAndExit = (code: number) => {
    const timer = setTimeout(() => process.exit(code), config.shutdownTimeoutMs);
    timer.unref();
    void (running.platform?.stop() ?? Promise.resolve())
      .catch((error: unknown) => logger.error({ err: describeFailure(error) }, 'error while stopping'))
      .finally(() => process.exit(code));
  };
  const guards = installProcessGuards({ logger, onUncaughtException: () => stopAndExit(1) });

  const platform = await startPlatform(config, logger);
  running.platform = platform;
  guards.attach(platform.deps.metrics.process);
  const url = browserUrl(platform.url);
  const { welcome } = platform;
  // Everything the banner says is in this line too, for JSON log readers (the password is in the
  // one "created admin user" line of the start that created it, and nowhere else).
  logger.info(
    { url, docs_url: `${url}/docs`, demo_mode: welcome.demoMode, ...(welcome.adminUsername !== undefined && { admin_username: welcome.adminUsername }) },
    'simfleet is ready',
  );
  if (process.stdout.isTTY) process.stdout.write(renderBanner(url, welcome, { color: process.stdout.hasColors?.() ?? false }));

  closeWithGrace(
    { delay: config.shutdownTimeoutMs, skip: ['uncaughtException', 'unhandledRejection'] },
    async ({ signal, err }) => {
      if (err !== undefined) logger.error({ err: describeFailure(err) }, 'fatal error, shutting down');
      else logger.info({ signal }, 'shutting down');
      await platform.stop();
      logger.info('stopped');
    },
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`simfleet failed to start: ${describeFailure(error).message}\n`);
  process.exit(1);
});
