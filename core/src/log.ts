import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

export type Logger = PinoLogger;

/**
 * JSON logs with secrets redacted by path. Provider keys and client keys never reach a log line
 * by design; redaction is the belt to those braces.
 */
export function createLogger(opts: { level?: string; destination?: DestinationStream; name?: string } = {}): Logger {
  return pino(
    {
      name: opts.name ?? 'cch',
      level: opts.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['key', '*.key', 'headers.authorization', 'headers["x-api-key"]', 'headers["x-goog-api-key"]', 'token', '*.token', 'secret'],
        censor: '[redacted]',
      },
    },
    opts.destination,
  );
}
