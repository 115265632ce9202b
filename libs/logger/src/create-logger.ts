import pino, { type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export interface LoggerOptions {
  /** The service name, on every line so merged logs stay readable. */
  service: string;
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read them back. */
  destination?: pino.DestinationStream;
}

/**
 * JSON lines on stdout. Secrets are redacted by path so that logging a request
 * or metadata object by mistake cannot leak a password or a bearer token.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'password',
          '*.password',
          'accessToken',
          '*.accessToken',
          'access_token',
          '*.access_token',
          'authorization',
          '*.authorization',
          'headers.authorization',
          'metadata.authorization',
        ],
        censor: '[redacted]',
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}
