/**
 * The mapping tables as the push pipeline reads them: loaded whole at start, and loaded again when a
 * file under the folder changed, so a corrected table takes effect for the next event and for a replay
 * without a restart. A new set that does not load is never half-applied: the previous one stays, and
 * the problem is logged once per change.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../logging';
import { loadMappings, type MappingTables } from '../mapping';

export interface MappingsSource {
  /** The current tables (checks the folder for changes at most every `checkEveryMs`). */
  get(): MappingTables;
  /** Checks the folder now (a replay calls it, so the operator's fix is taken). */
  refresh(): MappingTables;
}

export interface MappingsSourceOptions {
  dir: string;
  /** Default 5 s; 0 checks at every `get()`. */
  checkEveryMs?: number;
  logger?: Logger;
  now?: () => number;
}

/** Fixed tables (tests, the demo, a caller that reloads on its own). */
export function fixedMappings(tables: MappingTables): MappingsSource {
  return { get: () => tables, refresh: () => tables };
}

/** Size and modification time of every file under `dir`: changes when any table changes. */
function fingerprint(dir: string): string {
  const parts: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const s = statSync(p);
        parts.push(`${p}:${s.size}:${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return parts.join('|');
}

/** Tables read from `dir`, reloaded when a file changes. Throws at once when they do not load now. */
export function watchedMappings(options: MappingsSourceOptions): MappingsSource {
  const now = options.now ?? Date.now;
  const every = options.checkEveryMs ?? 5_000;
  let print = fingerprint(options.dir);
  let tables = loadMappings(options.dir);
  let checkedAt = now();
  let refusedPrint: string | undefined;

  const refresh = (): MappingTables => {
    checkedAt = now();
    const next = fingerprint(options.dir);
    if (next === print || next === refusedPrint) return tables;
    try {
      tables = loadMappings(options.dir);
      print = next;
      refusedPrint = undefined;
      options.logger?.info('mapping tables reloaded', { path: options.dir });
    } catch (e) {
      // Keep the tables that work; say once why the new ones were refused.
      refusedPrint = next;
      options.logger?.error('mapping tables changed but do not load: the previous ones stay in use', { path: options.dir, err: e });
    }
    return tables;
  };

  return {
    get: () => (now() - checkedAt >= every ? refresh() : tables),
    refresh,
  };
}
