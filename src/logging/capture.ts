import { Writable } from 'node:stream';
import { createLogger, type LoggerOptions, type Logger } from './logger';

export interface CapturedLogs {
  logger: Logger;
  /** Everything logged so far, after a flush. */
  text(): Promise<string>;
  /** The JSON lines logged so far, parsed, after a flush. */
  entries(): Promise<Record<string, unknown>[]>;
}

/**
 * A JSON logger writing to memory, for tests that assert what reaches the logs (and what never does).
 */
export function captureLogs(options: Omit<LoggerOptions, 'stream' | 'format'> = {}): CapturedLogs {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ level: 'debug', ...options, format: 'json', stream });
  const text = async () => {
    await logger.flush();
    return chunks.join('');
  };
  return {
    logger,
    text,
    entries: async () =>
      (await text())
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
