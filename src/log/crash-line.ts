/**
 * The log's last line when the process dies of an uncaught exception (or an unhandled rejection,
 * which Node turns into one): without it the reason is only on stderr, apart from the log. A monitor
 * only: Node's own handling (the stack on stderr, exit code 1) goes on as before, and the buffered
 * sink's 'exit' flush writes this line with the others.
 */
import type { Logger } from './logger.js';

/** Starts logging crashes; returns the function that stops it. */
export function logCrashes(logger: Logger): () => void {
  const onCrash = (err: unknown, origin: NodeJS.UncaughtExceptionOrigin) => {
    logger.error('process crashed', { component: origin, reason: err instanceof Error ? err.message : 'unknown' });
  };
  process.on('uncaughtExceptionMonitor', onCrash);
  return () => process.off('uncaughtExceptionMonitor', onCrash);
}
