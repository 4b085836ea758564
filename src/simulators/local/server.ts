/**
 * The local-tool simulator: the reference implementation of `docs/local-api.openapi.yaml`, used by the
 * demo, the integration tests and the benchmarks.
 */
import { FaultInjector } from '../common/faults';
import { startHttpServer, type TlsOptions } from '../common/http-server';
import { silentLogger, type SimulatorLogger } from '../common/logger';
import { createLocalApp } from './app';
import { LocalStore } from './store';
import type { RecordValidator } from './validation';

export interface LocalSimulatorOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** The bearer token every request must carry. */
  token: string;
  /** A file (kept across restarts) or `:memory:`. */
  dbPath: string;
  /** Extra record rules for the 422 (the canonical schema); the numUnique-matches-URL rule always applies. */
  validateRecord?: RecordValidator;
  tls?: TlsOptions;
  logger?: SimulatorLogger;
  /** Seed of the fault generator (default 1). */
  faultSeed?: number;
  /** Clock, for `updatedAt` and maintenance windows. */
  now?: () => Date;
  /** How long `close()` lets running requests finish (default 1000 ms). */
  closeGraceMs?: number;
}

export interface RunningLocalSimulator {
  url: string;
  port: number;
  store: LocalStore;
  /** Switch faults from a test without going through HTTP. */
  faults: FaultInjector;
  /** Stops the server, then closes the database; idempotent. */
  close(): Promise<void>;
}

export async function startLocalSimulator(options: LocalSimulatorOptions): Promise<RunningLocalSimulator> {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => new Date());
  const store = new LocalStore({ dbPath: options.dbPath, now });
  const faults = new FaultInjector({ seed: options.faultSeed ?? 1, now: () => now().getTime() });
  const app = createLocalApp({
    store,
    token: options.token,
    faults,
    logger,
    ...(options.validateRecord === undefined ? {} : { validateRecord: options.validateRecord }),
  });
  let server;
  try {
    server = await startHttpServer({
      app,
      port: options.port ?? 0,
      host: options.host ?? '127.0.0.1',
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      graceMs: options.closeGraceMs ?? 1000,
      beforeClose: () => faults.releaseHeld(),
    });
  } catch (err) {
    store.close();
    throw err;
  }
  logger.info('local simulator listening', { url: server.url });
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= server.close().then(() => {
      store.close();
      logger.info('local simulator closed', { url: server.url });
    });
    return closing;
  };
  return { url: server.url, port: server.port, store, faults, close };
}
