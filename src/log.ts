import { isatty } from 'node:tty';
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from './config.js';

export type { Logger };

export interface LoggerOptions {
  level: LogLevel;
  /**
   * 1 for stdout (the default, so journald keeps the lines), 2 where stdout carries a protocol, or an open log
   * file's descriptor.
   */
  fd?: number;
  /** Where the lines go instead of an fd: a test that runs the server in its own process reads them here. */
  stream?: DestinationStream;
}

/**
 * No code path logs a token; these paths are the second line of defence should a request, its headers or
 * a token record ever be handed to the logger.
 */
const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'request.headers.authorization',
  'token',
  '*.token',
  'value',
  'record.value',
];

function destination(fd: number): DestinationStream {
  // Pretty output is for a person at a terminal; pipes, files and journald get one JSON object per line.
  // pino-pretty runs in-process as a stream rather than as a worker transport, so it works inside a bundle.
  if (isatty(fd))
    return pretty({ destination: fd, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  return pino.destination({ dest: fd, sync: true });
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    { level: options.level, base: { service: 'fleet-mcp' }, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    options.stream ?? destination(options.fd ?? 1),
  );
}
