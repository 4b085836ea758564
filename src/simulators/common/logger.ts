/** The few logging methods a simulator uses; a winston logger fits. Never pass personal data in `meta`. */
export interface SimulatorLogger {
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  error(message: string, meta?: Record<string, unknown>): unknown;
}

/** A logger that drops everything: the default, so tests stay quiet. */
export const silentLogger: SimulatorLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
