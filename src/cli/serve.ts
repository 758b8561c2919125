import { redactUrl, type Settings } from '../config/settings.js';
import { startGateway, type RunningGateway } from '../gateway.js';
import { logCrashes } from '../log/crash-line.js';
import { createLogger } from '../log/logger.js';

/**
 * Runs until SIGTERM or SIGINT, then finishes in-flight work and exits 0. SIGHUP re-reads crl.pem and
 * the OpenPGP keys.
 *
 * The handlers are in place before start-up, whose default actions would end a half-started process
 * without a word (SIGHUP's included, so a reload sent while the service restarts would kill it). A stop
 * asked for during start-up ends the process at once: nothing has been accepted yet, and what start-up
 * writes is transactional. A reload asked for during start-up runs once the gateway is up, in case the
 * files changed after they were read.
 *
 * Log lines are written by a thread of their own and flushed when the process exits, whichever way
 * (src/log/buffered-sink.ts): the process.exit below and a crash, whose reason is logged, included.
 */
export async function runServe(settings: Settings): Promise<number> {
  const logger = createLogger({ level: settings.logLevel });
  const stopLoggingCrashes = logCrashes(logger);
  let gateway: RunningGateway | undefined;
  let reloadAfterStart = false;
  let stopRequested: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  const reload = (running: RunningGateway) => void Promise.all([running.reloadRevocations(), running.reloadTrust()]);
  const onHangup = () => {
    if (gateway) reload(gateway);
    else reloadAfterStart = true;
  };
  const onSignal = () => {
    if (gateway) return stopRequested();
    logger.warn('gateway stopped during start-up', {});
    process.exit(0);
  };
  const release = () => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGHUP', onHangup);
  };
  process.on('SIGHUP', onHangup);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    gateway = await startGateway({ settings, logger });
  } catch (err) {
    release();
    stopLoggingCrashes();
    throw err;
  }
  process.stderr.write(`passerelle: listening on https://${settings.host}:${gateway.port} (trust ${settings.certsDir}, store ${settings.databaseUrl === undefined ? `${settings.dataDir}${settings.storeThread ? ' on its own thread' : ''}` : `${redactUrl(settings.databaseUrl)}, secrets ${settings.dataDir}`}); SIGTERM stops\n`);
  if (reloadAfterStart) reload(gateway);
  await stopped;
  // A second signal during the graceful stop takes its default action: the operator's way out.
  release();
  await gateway.stop();
  stopLoggingCrashes();
  return 0;
}
