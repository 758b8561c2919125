/**
 * Structured logging (JSON lines) with winston. Log records carry identifiers and outcomes only:
 * partner ids, message ids, problem codes, durations. Never a payload, a header value of a document or
 * anything about the beneficiary; callers pass fields from LogFields, not free objects.
 */
import winston from 'winston';
import { BufferedSink } from './buffered-sink.js';

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
  /**
   * Where lines go, each written at once; defaults to stdout through the buffered sink
   * (buffered-sink.ts). Tests pass a stream to inspect what was logged.
   */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

// winston's own keys for what its formats read and write (triple-beam's symbols).
const LEVEL = Symbol.for('level');
const MESSAGE = Symbol.for('message');
const LEVELS = winston.config.npm.levels;
const DEFAULT_META = { service: 'passerelle' };

/** One sink per process for stdout: one writer thread, one 'exit' flush, lines in the order logged. */
let stdoutSink: BufferedSink | undefined;

/**
 * The line is winston's: its timestamp and json formats, its levels, its default-meta merge, as
 * winston.createLogger would build it (test/log/logger.test.ts compares them). What is left out is
 * winston's Logger, a readable-stream Transform piped to each transport: about half of winston's cost
 * per line, for a routing this logger does not need (one sink, one format).
 */
export function createLogger(options: LoggerOptions): Logger {
  const format = winston.format.combine(winston.format.timestamp(), winston.format.json());
  const stream = options.stream;
  const sink = options.silent ? undefined : stream ? { write: (line: string) => void stream.write(line) } : (stdoutSink ??= new BufferedSink(1));
  const threshold = LEVELS[options.level]!;
  const write = (level: keyof Logger) => {
    const rank = LEVELS[level]!;
    return (event: string, fields: LogFields = {}) => {
      if (!sink || rank > threshold) return;
      // Object.assign, as winston does: a literal spreading two objects before a symbol key takes V8 off its fast path (20 µs a line).
      const info = Object.assign({} as winston.Logform.TransformableInfo, DEFAULT_META, fields, { [LEVEL]: level, level, message: event });
      const line = (format.transform(info, format.options) as winston.Logform.TransformableInfo)[MESSAGE] as string;
      sink.write(`${line}\n`);
    };
  };
  return { error: write('error'), warn: write('warn'), info: write('info'), debug: write('debug') };
}

/** A logger that writes nothing, for CLI commands that print their own output. */
export const silentLogger: Logger = createLogger({ level: 'error', silent: true });
