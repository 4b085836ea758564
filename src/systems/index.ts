/**
 * The registration systems a configuration names, each behind the `DemandSystem` port: the SNE, and each
 * configured SPTA with its profile.
 */
import type { ElementTable, InterfaceNuuCodec } from '../codec';
import { loadElementTable } from '../codec';
import type { Config } from '../config';
import type { Logger } from '../logging';
import type { DemandSystem } from './port';
import { sneClientFromConfig } from './sne';
import { DEFAULT_SPTA_PROFILES_DIR, loadSptaProfile, sptaClientFromConfig, type SptaProfile } from './spta';

export type { DemandSystem } from './port';

export interface CreateSystemsOptions {
  config: Config;
  /** The SNE-format codec (SPTA profiles derive their own dialect codec). */
  codec: InterfaceNuuCodec;
  logger: Logger;
  /** The SNE element table SPTA dialects rename (default the shipped one). */
  elements?: ElementTable;
  /** Where SPTA profiles are read (default `mappings/spta/`). */
  sptaProfilesDir?: string;
}

/**
 * Builds the clients, by system id (`sne`, `spta:<id>`). Nothing is sent until a method is called. SPTA
 * profiles are loaded and validated now: an invalid one throws `SPTA_PROFILE_INVALID` listing every problem.
 */
export function createSystems(options: CreateSystemsOptions): Map<string, DemandSystem> {
  const systems = new Map<string, DemandSystem>();
  const sne = sneClientFromConfig(options.config.sne, { codec: options.codec, logger: options.logger });
  systems.set(sne.id, sne);
  if (!options.config.spta.length) return systems;
  try {
    const elements = options.elements ?? loadElementTable();
    const dir = options.sptaProfilesDir ?? DEFAULT_SPTA_PROFILES_DIR;
    const profiles = new Map<string, SptaProfile>();
    for (const entry of options.config.spta) {
      let profile = profiles.get(entry.profile);
      if (!profile) {
        profile = loadSptaProfile(entry.profile, dir, { elements });
        profiles.set(entry.profile, profile);
      }
      const spta = sptaClientFromConfig(entry, { sne: options.config.sne, profile, elements, logger: options.logger });
      systems.set(spta.id, spta);
    }
  } catch (e) {
    // The clients made so far hold keep-alive agents: release them before giving up.
    for (const s of systems.values()) void s.close().catch(() => undefined);
    throw e;
  }
  return systems;
}
