/**
 * Logging: {@link createLogger} returns a small {@link Logger} whose metadata goes through an allow-list
 * redaction layer (personal data never reaches a log line). {@link captureLogs} is for tests.
 */
export { createLogger, LogFormat, LogLevel, type Logger, type LoggerOptions, type LogMeta } from './logger';
export { ALLOWED_KEYS, redactMeta, redactUrl, safeErrorForLog, scrubText } from './redact';
export { captureLogs, type CapturedLogs } from './capture';
