/**
 * Everything validated before any worker starts (design.md §5): the configuration file and every data
 * table the gateway reads (regulatory mappings, SNE element names, SNE anomaly codes), all at once, every
 * problem with its path. Nothing is half-applied: the gateway starts with all of them valid, or not at all.
 */
import { join, relative } from 'node:path';
import { defaultElementTablePath, loadElementTable } from '../codec';
import { checkConfig, type Config } from '../config';
import { isGatewayError, ValidationError, type Issue } from '../errors';
import { checkMappings, DEFAULT_MAPPINGS_DIR, type MappingTables } from '../mapping';
import { defaultAnomalyTablePath } from '../systems/sne';
import { loadAnomalyTable } from '../systems/sne/wire';
import { checkSptaProfiles } from '../systems/spta';

export interface StartupCheck {
  config?: Config;
  mappings?: MappingTables;
  issues: Issue[];
  /** The configuration file read (absolute). */
  path: string;
}

const display = (p: string) => relative(process.cwd(), p) || p;

/** Runs a loader that throws a ValidationError, collecting its issues under `file`. */
function collect(file: string, load: () => unknown, issues: Issue[]): void {
  try {
    load();
  } catch (e) {
    if (e instanceof ValidationError) issues.push(...e.issues.map((i) => ({ ...i, path: i.path.startsWith(file) ? i.path : `${file}#${i.path}` })));
    else if (isGatewayError(e)) issues.push({ path: file, rule: e.code, message: e.message });
    else throw e;
  }
}

export function checkStartup(options: { path: string; env?: NodeJS.ProcessEnv; mappingsDir?: string }): StartupCheck {
  const { config, issues, path } = checkConfig({ path: options.path, ...(options.env ? { env: options.env } : {}) });
  const all = [...issues];
  const m = checkMappings(options.mappingsDir ?? DEFAULT_MAPPINGS_DIR);
  all.push(...m.issues);
  if (config) all.push(...checkSptaProfiles(config, options.mappingsDir ? join(options.mappingsDir, 'spta') : undefined));
  collect(display(defaultElementTablePath), () => loadElementTable(defaultElementTablePath), all);
  collect(display(defaultAnomalyTablePath), () => loadAnomalyTable(defaultAnomalyTablePath), all);
  return { ...(config ? { config } : {}), ...(m.tables ? { mappings: m.tables } : {}), issues: all, path };
}

/** The configuration and tables, or a ValidationError listing every problem. */
export function loadStartup(options: { path: string; env?: NodeJS.ProcessEnv }): { config: Config; mappings: MappingTables } {
  const r = checkStartup(options);
  if (!r.config || !r.mappings || r.issues.length) {
    throw new ValidationError('STARTUP_INVALID', r.issues, { system: 'config' });
  }
  return { config: r.config, mappings: r.mappings };
}
