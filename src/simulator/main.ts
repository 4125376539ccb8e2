/**
 * `npm run simulator`: the 1NCE simulator on its own, configured by the SIMULATOR_* variables.
 */
import { ConfigError, loadConfig, type Config } from '../config.js';
import { createSimulator } from './index.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const simulator = await createSimulator({ ...config.simulator, logger: { level: config.logLevel } });
  const url = await simulator.listen(config.simulator.port, config.host);
  simulator.app.log.info(
    { url, fleetSize: config.simulator.fleetSize, seed: config.simulator.seed, mode: config.simulator.mode, simsRps: config.simulator.simsRps },
    `1NCE simulator listening on ${url} (control surface at ${url.replace(/\/management-api$/, '')}/_simulator)`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    simulator.app.log.info(`${signal} received, shutting down`);
    simulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

void main();
