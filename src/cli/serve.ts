import { redactUrl, type Settings } from '../config/settings.js';
import { startGateway } from '../gateway.js';
import { createLogger } from '../log/logger.js';

/** Runs until SIGTERM or SIGINT, then finishes in-flight work and exits 0. SIGHUP re-reads crl.pem and the OpenPGP keys. */
export async function runServe(settings: Settings): Promise<number> {
  const logger = createLogger({ level: settings.logLevel });
  const gateway = await startGateway({ settings, logger });
  process.stderr.write(`passerelle: listening on https://${settings.host}:${gateway.port} (trust ${settings.certsDir}, store ${settings.databaseUrl === undefined ? settings.dataDir : `${redactUrl(settings.databaseUrl)}, secrets ${settings.dataDir}`}); SIGTERM stops\n`);
  const onHangup = () => void Promise.all([gateway.reloadRevocations(), gateway.reloadTrust()]);
  process.on('SIGHUP', onHangup);
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  process.off('SIGHUP', onHangup);
  await gateway.stop();
  return 0;
}
