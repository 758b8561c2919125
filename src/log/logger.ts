/**
 * Structured logging (JSON lines) with winston. Log records carry identifiers and outcomes only:
 * partner ids, message ids, problem codes, durations. Never a payload, a header value of a document or
 * anything about the beneficiary; callers pass fields from LogFields, not free objects.
 */
import winston from 'winston';

export interface LogFields {
  requestId?: string;
  partner?: string;
  messageId?: string;
  type?: string;
  recipient?: string;
  outcome?: string;
  code?: string;
  status?: number;
  durationMs?: number;
  auditIndex?: number;
  attempt?: number;
  depth?: number;
  component?: string;
  method?: string;
  path?: string;
  port?: number;
  host?: string;
  reason?: string;
}

export interface Logger {
  error(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  debug(event: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  level: 'error' | 'warn' | 'info' | 'debug';
  /** Where lines go; defaults to stdout. Tests pass a stream to inspect what was logged. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

export function createLogger(options: LoggerOptions): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  const logger = winston.createLogger({
    level: options.level,
    silent: options.silent ?? false,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    defaultMeta: { service: 'passerelle' },
    transports: [transport],
  });
  const write = (level: keyof Logger) => (event: string, fields: LogFields = {}) => {
    logger.log(level, event, fields);
  };
  return { error: write('error'), warn: write('warn'), info: write('info'), debug: write('debug') };
}

/** A logger that writes nothing, for CLI commands that print their own output. */
export const silentLogger: Logger = createLogger({ level: 'error', silent: true });
