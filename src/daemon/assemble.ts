/**
 * Builds a gateway from a configuration file: the systems it names (the SNE, each SPTA), the local
 * tool's client and the logger. The CLI commands and the demo go through here; tests build a `Gateway`
 * with their own collaborators.
 */
import { createInterfaceNuuCodec, loadElementTable } from '../codec';
import type { Config } from '../config';
import { DEFAULT_MAPPINGS_DIR, loadMappings, type MappingTables } from '../mapping';
import { loadStartup } from './startup-checks';
import { Demande } from '../domain';
import { createLogger, type Logger } from '../logging';
import { createSystems } from '../systems';
import { createLocalClient } from '../systems/local';
import { Gateway, type Role } from './gateway';

export interface AssembleOptions {
  config: Config;
  /** The regulatory mapping tables, validated (default: loaded from `mappings/`, throwing every problem). */
  mappings?: MappingTables;
  logger?: Logger;
  roles?: readonly Role[];
}

export function loggerFor(config: Config, base?: Record<string, string>): Logger {
  return createLogger({ level: config.logging.level, format: config.logging.format, ...(base ? { base } : {}) });
}

/** The gateway of a configuration, not started. */
export function assembleGateway(options: AssembleOptions): Gateway {
  const { config } = options;
  const logger = options.logger ?? loggerFor(config);
  const codec = createInterfaceNuuCodec({ elements: loadElementTable() });
  const local = createLocalClient({ baseUrl: config.local.url, token: config.local.token, timeoutMs: config.local.timeoutMs });
  const systems = createSystems({ config, codec, logger });
  const mappings = options.mappings ?? loadMappings();
  return new Gateway({ config, logger, local, systems, codec, mappings, mappingsDir: DEFAULT_MAPPINGS_DIR, ...(options.roles ? { roles: options.roles } : {}) });
}

/** Loads and checks the configuration file and every table, then assembles its gateway. */
export function gatewayFromFile(path: string, roles?: readonly Role[]): Gateway {
  const { config, mappings } = loadStartup({ path });
  return assembleGateway({ config, mappings, ...(roles ? { roles } : {}) });
}

/** Validation a local tool record gets in the simulators and the demo. */
export function isCanonical(record: unknown): boolean {
  return Demande.safeParse(record).success;
}
