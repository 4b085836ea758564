/**
 * The registration systems a configuration names, each behind the `DemandSystem` port: the SNE, and each
 * configured SPTA with its profile.
 */
import type { InterfaceNuuCodec } from '../codec';
import type { Config } from '../config';
import type { Logger } from '../logging';
import type { DemandSystem } from './port';
import { sneClientFromConfig } from './sne';

export type { DemandSystem } from './port';

export interface CreateSystemsOptions {
  config: Config;
  /** The SNE-format codec (SPTA profiles derive their own dialect codec). */
  codec: InterfaceNuuCodec;
  logger: Logger;
}

/** Builds the clients, by system id (`sne`, `spta:<id>`). Nothing is sent until a method is called. */
export function createSystems(options: CreateSystemsOptions): Map<string, DemandSystem> {
  const systems = new Map<string, DemandSystem>();
  const sne = sneClientFromConfig(options.config.sne, { codec: options.codec, logger: options.logger });
  systems.set(sne.id, sne);
  return systems;
}
