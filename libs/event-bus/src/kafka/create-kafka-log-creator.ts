import { logLevel as KafkaLogLevel, type logCreator } from 'kafkajs';
import type { Logger } from '@switchboard/logger';

/**
 * Routes kafkajs's own logging into the service's pino logger, one JSON line
 * format for everything. Levels are adjusted where kafkajs is louder than the
 * situation: it logs at ERROR every failed request and every failed send it is
 * about to retry, and every consumer crash it is about to recover from by
 * restarting; those become warnings. A final failure still reaches the caller
 * as a rejected promise, or is logged by the bus at ERROR when a consumer
 * stops for good.
 */
export function createKafkaLogCreator(logger: Logger): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }) => {
      const {
        message,
        timestamp: _timestamp,
        logger: _logger,
        ...extra
      } = log as typeof log & {
        logger?: unknown;
      };
      const fields = { namespace, ...extra };
      switch (level) {
        case KafkaLogLevel.ERROR:
        case KafkaLogLevel.NOTHING:
          if (isRecoverable(namespace, message)) child.warn(fields, message);
          else child.error(fields, message);
          break;
        case KafkaLogLevel.WARN:
          // A limited retry count is a deliberate choice of this bus (see createProducer).
          if (message.startsWith('Limiting retries for the idempotent producer'))
            child.debug(fields, message);
          else child.warn(fields, message);
          break;
        case KafkaLogLevel.INFO:
          child.info(fields, message);
          break;
        default:
          child.debug(fields, message);
      }
    };
}

function isRecoverable(namespace: string, message: string): boolean {
  switch (namespace) {
    case 'Connection':
      return true;
    case 'Producer':
      // Logged before each retry; the last one also rejects the publish.
      return message.startsWith('Failed to send messages');
    case 'Consumer':
      return message.startsWith('Crash: ') || message.startsWith('Restarting the consumer');
    default:
      return false;
  }
}

/** The kafkajs level that produces everything the pino logger would keep. */
export function kafkaLogLevelFor(logger: Logger): KafkaLogLevel {
  if (logger.isLevelEnabled('debug')) return KafkaLogLevel.DEBUG;
  if (logger.isLevelEnabled('info')) return KafkaLogLevel.INFO;
  if (logger.isLevelEnabled('warn')) return KafkaLogLevel.WARN;
  return KafkaLogLevel.ERROR;
}
