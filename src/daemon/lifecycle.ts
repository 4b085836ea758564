/**
 * The daemon's life: start, run until SIGTERM or SIGINT, then stop in order within the configured
 * deadline (schedulers, then active jobs finish or are handed back, then workers, queues and Redis),
 * flush the logs and exit 0. A second signal forces the exit at once.
 */
import type { Logger } from '../logging';

export interface Stoppable {
  close(): Promise<void>;
}

export interface SignalOptions {
  logger: Logger;
  /** Things to close, in order. */
  closeables: Stoppable[];
  /** Ends the process (injectable for tests). */
  exit?: (code: number) => void;
  signals?: NodeJS.Signals[];
}

/** Installs the signal handlers; returns a function that removes them. */
export function stopOnSignals(options: SignalOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.logger.warn('second signal: exiting now', { event: signal });
      exit(130);
      return;
    }
    stopping = true;
    options.logger.info('stopping', { event: signal });
    const stop = async () => {
      for (const c of options.closeables) await c.close();
      options.logger.info('stopped');
      await options.logger.flush();
    };
    stop().then(
      () => exit(0),
      async (e: unknown) => {
        options.logger.error('stop failed', { err: e });
        await options.logger.flush();
        exit(1);
      },
    );
  };
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  for (const s of signals) process.on(s, handler);
  return () => {
    for (const s of signals) process.off(s, handler);
  };
}
