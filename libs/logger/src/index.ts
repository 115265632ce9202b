export { createLogger, type Logger, type LoggerOptions } from './create-logger';
export { forwardLogsTo } from './forward-logs-to';
export { toLogRecord } from './to-log-record';
