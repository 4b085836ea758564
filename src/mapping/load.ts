/**
 * Loads the mapping tables under `mappings/` as one whole: every file is read and validated, then the
 * tables are checked against each other, and every problem of every file is listed (`file#path`). Either
 * all tables load or none does: a gateway never runs with half its tables.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { z } from 'zod';
import { formatPath } from '../domain';
import { decisionCalKinds, StatutVisite } from '../domain/evenement';
import { ValidationError, type Issue } from '../errors';
import { canonicalCodes, isLocalCodeList, LOCAL_CODE_LISTS } from './local-codes';
import {
  ConventionsTableSchema,
  FluxEtat,
  LocalCodesTableSchema,
  MotifsNonAttributionTableSchema,
  MotifsRefusTableSchema,
  PiecesTableSchema,
  PrioritesTableSchema,
  RadiationTableSchema,
  REQUIRED_RADIATION_MOTIFS,
  RPLS_DIR,
  RplsTableSchema,
  SneEventsTableSchema,
  TABLE_FILES,
  type ConventionsTable,
  type LocalCodesTable,
  type MappingTables,
  type MotifsNonAttributionTable,
  type RadiationTable,
  type RplsTable,
  type SneEventsTable,
} from './tables';

/** Stable code of unusable mapping tables. */
export const MAPPING_TABLES_INVALID = 'MAPPING_TABLES_INVALID';

/** The default folder, relative to the working directory. */
/** The tables shipped with the gateway (next to src/ and dist/), whatever the working directory. */
export const DEFAULT_MAPPINGS_DIR = join(__dirname, '..', '..', 'mappings');

export interface MappingCheck {
  /** Present only when there is no issue at all. */
  tables?: MappingTables;
  issues: Issue[];
}

/**
 * Validates every mapping table of `dir` and their cross-references; never throws for a bad table.
 * The `check-config` command prints the issues, one per line.
 */
export function checkMappings(dir: string = DEFAULT_MAPPINGS_DIR): MappingCheck {
  const issues: Issue[] = [];
  const versions: Record<string, number> = {};
  const read = <S extends z.ZodType>(file: string, schema: S): z.infer<S> | undefined => {
    const value = readTable(dir, file, schema, issues);
    const version = (value as { version?: unknown } | undefined)?.version;
    if (typeof version === 'number') versions[file] = version;
    return value;
  };

  const pieces = read(TABLE_FILES.pieces, PiecesTableSchema);
  const motifsNonAttribution = read(TABLE_FILES.motifsNonAttribution, MotifsNonAttributionTableSchema);
  const motifsRefus = read(TABLE_FILES.motifsRefus, MotifsRefusTableSchema);
  const priorites = read(TABLE_FILES.priorites, PrioritesTableSchema);
  const radiation = read(TABLE_FILES.radiation, RadiationTableSchema);
  const conventions = read(TABLE_FILES.conventions, ConventionsTableSchema);
  const localCodes = read(TABLE_FILES.localCodes, LocalCodesTableSchema);
  const sneEvents = read(TABLE_FILES.sneEvents, SneEventsTableSchema);
  const rpls = readRplsTables(dir, issues, versions);

  const known = { pieces, motifsNonAttribution, motifsRefus, priorites, radiation, conventions };
  if (radiation) checkRadiation(radiation, issues);
  if (motifsNonAttribution) checkMotifsNonAttribution(motifsNonAttribution, issues);
  if (conventions) checkConventions(conventions, issues);
  if (localCodes) checkLocalCodes(localCodes, known, issues);
  if (sneEvents) checkSneEvents(sneEvents, known, issues);

  // One file's problems together, files in a fixed order, whatever check found them.
  const order: string[] = [...Object.values(TABLE_FILES), `${RPLS_DIR}/`];
  const rank = (path: string) => {
    const i = order.findIndex((f) => path === f || path.startsWith(`${f}#`) || (f.endsWith('/') && path.startsWith(f)));
    return i < 0 ? order.length : i;
  };
  issues.sort((a, b) => rank(a.path) - rank(b.path));

  if (
    issues.length ||
    !pieces ||
    !motifsNonAttribution ||
    !motifsRefus ||
    !priorites ||
    !radiation ||
    !conventions ||
    !localCodes ||
    !sneEvents
  ) {
    return { issues };
  }
  const tables: MappingTables = {
    dir,
    pieces,
    motifsNonAttribution,
    motifsRefus,
    priorites,
    radiation,
    conventions,
    rpls,
    localCodes,
    sneEvents,
    versions,
  };
  return { tables: deepFreeze(tables), issues };
}

/** Loads every mapping table of `dir`, or throws a `ValidationError` listing every problem. */
export function loadMappings(dir: string = DEFAULT_MAPPINGS_DIR): MappingTables {
  const { tables, issues } = checkMappings(dir);
  if (!tables) throw new ValidationError(MAPPING_TABLES_INVALID, issues, { system: 'mapping', details: { dir } });
  return tables;
}

// ---- reading ---------------------------------------------------------------------------------------

const at = (file: string, path: readonly PropertyKey[] = []) => (path.length ? `${file}#${formatPath(path)}` : file);

function readTable<S extends z.ZodType>(dir: string, file: string, schema: S, issues: Issue[]): z.infer<S> | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, file), 'utf8');
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    issues.push({ path: file, rule: 'file-readable', message: `cannot read the table (${typeof code === 'string' ? code : 'unreadable'})` });
    return undefined;
  }
  const doc = parseDocument(text);
  if (doc.errors.length) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0];
      issues.push({ path: file, rule: 'yaml', message: `YAML syntax error ${e.code}${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}` });
    }
    return undefined;
  }
  const before = issues.length;
  checkKeys(doc.contents, [], file, issues);
  const parsed = schema.safeParse(doc.toJS());
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const nested = i.code === 'invalid_key' ? i.issues[0]?.message : undefined;
      issues.push({ path: at(file, i.path), rule: i.code, message: nested ? `key ${nested}` : i.message });
    }
    return undefined;
  }
  return issues.length > before ? undefined : parsed.data;
}

/** Keys must be written as text: a number key loses its spelling (`01` becomes `1`). */
function checkKeys(node: unknown, path: PropertyKey[], file: string, issues: Issue[]): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      const name = String(key);
      if (typeof key !== 'string') {
        issues.push({
          path: at(file, [...path, name]),
          rule: 'quoted-key',
          message: 'key must be text: quote it (a number, boolean or null key loses its spelling, e.g. leading zeros)',
        });
      }
      checkKeys(pair.value, [...path, name], file, issues);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => checkKeys(item, [...path, i], file, issues));
  }
}

function readRplsTables(dir: string, issues: Issue[], versions: Record<string, number>): Record<string, RplsTable> {
  const out: Record<string, RplsTable> = {};
  let names: string[];
  try {
    names = readdirSync(join(dir, RPLS_DIR)).sort();
  } catch {
    return out; // no RPLS table yet: ids come from the events or the local tool
  }
  for (const name of names) {
    if (!/\.ya?ml$/.test(name)) continue;
    const file = `${RPLS_DIR}/${name}`;
    const m = /^(\d{9})\.yaml$/.exec(name);
    if (!m) {
      issues.push({ path: file, rule: 'rpls-file-name', message: 'an RPLS table is named after its bailleur: <SIREN of 9 digits>.yaml' });
      continue;
    }
    const table = readTable(dir, file, RplsTableSchema, issues);
    if (!table) continue;
    versions[file] = table.version;
    if (table.bailleurSiren !== m[1]) {
      issues.push({ path: at(file, ['bailleurSiren']), rule: 'rpls-file-siren', message: 'bailleurSiren must be the SIREN the file is named after' });
    }
    const seen = new Map<string, string>();
    for (const [localId, rpls] of Object.entries(table.logements)) {
      const first = seen.get(rpls);
      if (first !== undefined) {
        issues.push({
          path: at(file, ['logements', localId]),
          rule: 'rpls-unique',
          message: `this RPLS id is already given to logements.${first}: an RPLS id names one dwelling`,
        });
      } else seen.set(rpls, localId);
    }
    out[table.bailleurSiren] = table;
  }
  return out;
}

// ---- cross-checks ----------------------------------------------------------------------------------

function checkRadiation(t: RadiationTable, issues: Issue[]): void {
  const file = TABLE_FILES.radiation;
  for (const motif of REQUIRED_RADIATION_MOTIFS) {
    if (!Object.prototype.hasOwnProperty.call(t.motifs, motif)) {
      issues.push({ path: at(file, ['motifs']), rule: 'motif-required', message: `motifs must describe ${motif} (domain.md §7)` });
    }
  }
  const radirr = t.motifs.RADIRR;
  if (radirr && !(radirr.sousMotifs && radirr.sousMotifs.length > 0)) {
    issues.push({ path: at(file, ['motifs', 'RADIRR', 'sousMotifs']), rule: 'sub-motifs-required', message: 'RADIRR needs its sub-motifs (IRRSEJ, IRRRES)' });
  }
  if (radirr && radirr.delayMonths === undefined) {
    issues.push({
      path: at(file, ['motifs', 'RADIRR', 'delayMonths']),
      rule: 'required',
      message: 'RADIRR needs delayMonths: the months between the warning and the radiation (R441-3: one)',
    });
  }
  const radatt = t.motifs.RADATT;
  if (radatt && radatt.event !== 'attribution') {
    issues.push({
      path: at(file, ['motifs', 'RADATT', 'event']),
      rule: 'radatt-by-attribution',
      message: 'RADATT must be reported by the attribution event (event: attribution), which carries the data of R441-2-9',
    });
  }
}

function checkMotifsNonAttribution(t: MotifsNonAttributionTable, issues: Issue[]): void {
  const entries = Object.values(t.motifs);
  if (!entries.some((m) => !m.neverAlone)) {
    issues.push({
      path: at(TABLE_FILES.motifsNonAttribution, ['motifs']),
      rule: 'reason-alone-possible',
      message: 'motifs needs at least one reason that may stand alone (not neverAlone), or no non-attribution could be recorded',
    });
  }
}

function checkConventions(t: ConventionsTable, issues: Issue[]): void {
  const file = TABLE_FILES.conventions;
  const sirens = new Map<string, number>();
  t.bailleurs.forEach((b, i) => {
    const first = sirens.get(b.siren);
    if (first !== undefined) {
      issues.push({ path: at(file, ['bailleurs', i, 'siren']), rule: 'bailleur-unique', message: `this SIREN is already described at bailleurs[${first}]` });
    } else sirens.set(b.siren, i);
    b.reservataires.forEach((r, j) => {
      const here = ['bailleurs', i, 'reservataires', j] as const;
      if (r.type === 'AUCUN') {
        issues.push({
          path: at(file, [...here, 'type']),
          rule: 'reservataire-type',
          message: "AUCUN is the bailleur's own stock, not a réservataire: events say imputation type bailleur",
        });
      }
      const needed = r.type === 'PPRIOR' ? FluxEtat.prioritaires : r.type === 'PFONCT' ? FluxEtat.agents : undefined;
      if (needed !== undefined && r.fluxEtat !== needed) {
        issues.push({
          path: at(file, [...here, 'fluxEtat']),
          rule: 'flux-etat',
          message: `a State reservation of type ${r.type} is the ${needed} flow: fluxEtat must be ${needed}`,
        });
      } else if (needed === undefined && r.fluxEtat !== undefined) {
        issues.push({ path: at(file, [...here, 'fluxEtat']), rule: 'flux-etat', message: 'fluxEtat is only for the State (types PPRIOR and PFONCT)' });
      }
      if (r.validFrom !== undefined && r.validTo !== undefined && r.validFrom > r.validTo) {
        issues.push({ path: at(file, [...here, 'validTo']), rule: 'validity-order', message: 'validTo must not be before validFrom' });
      }
      b.reservataires.slice(0, j).forEach((o, k) => {
        if (o.id === r.id && overlaps(o, r)) {
          issues.push({
            path: at(file, [...here, 'validFrom']),
            rule: 'validity-overlap',
            message: `this convention overlaps bailleurs[${i}].reservataires[${k}] of the same réservataire: at most one may be valid on a date`,
          });
        }
      });
    });
  });
}

function overlaps(a: { validFrom?: string; validTo?: string }, b: { validFrom?: string; validTo?: string }): boolean {
  const aFrom = a.validFrom ?? '0000-01-01';
  const aTo = a.validTo ?? '9999-12-31';
  const bFrom = b.validFrom ?? '0000-01-01';
  const bTo = b.validTo ?? '9999-12-31';
  return aFrom <= bTo && bFrom <= aTo;
}

type Known = Parameters<typeof canonicalCodes>[1];

function checkLocalCodes(t: LocalCodesTable, known: Known, issues: Issue[]): void {
  const file = TABLE_FILES.localCodes;
  for (const [list, entries] of Object.entries(t.lists)) {
    if (!isLocalCodeList(list)) {
      issues.push({
        path: at(file, ['lists', list]),
        rule: 'unknown-list',
        message: `not a code list the local codes may translate: one of ${Object.keys(LOCAL_CODE_LISTS).join(', ')}`,
      });
      continue;
    }
    const canonical = canonicalCodes(list, known);
    if (canonical === undefined) continue; // its table is broken, already reported
    for (const [local, target] of Object.entries(entries)) {
      if (!canonical.includes(target)) {
        issues.push({
          path: at(file, ['lists', list, local]),
          rule: 'unknown-target',
          message: `must translate to a canonical code of list ${list}${sourceOf(list)}`,
        });
      }
    }
  }
}

/** Lists of the SNE code translations: those of the local codes, plus the booleans. */
const SNE_CODE_LISTS = [...Object.keys(LOCAL_CODE_LISTS).filter((l) => l !== 'typeEvenement' && l !== 'imputation' && l !== 'reservataire'), 'ouiNon'];

function checkSneEvents(t: SneEventsTable, known: Known, issues: Issue[]): void {
  const file = TABLE_FILES.sneEvents;
  for (const [list, entries] of Object.entries(t.codes)) {
    if (!SNE_CODE_LISTS.includes(list)) {
      issues.push({ path: at(file, ['codes', list]), rule: 'unknown-list', message: `not a code list of the event blocks: one of ${SNE_CODE_LISTS.join(', ')}` });
      continue;
    }
    const canonical = isLocalCodeList(list) ? canonicalCodes(list, known) : undefined;
    const seen = new Map<string, string>();
    for (const [from, to] of Object.entries(entries)) {
      if (canonical !== undefined && !canonical.includes(from)) {
        issues.push({ path: at(file, ['codes', list, from]), rule: 'unknown-code', message: `key must be a canonical code of list ${list}${sourceOf(list)}` });
      }
      const other = seen.get(to);
      if (other !== undefined) {
        issues.push({ path: at(file, ['codes', list, from]), rule: 'sne-code-unique', message: `this SNE code is already the one of ${other}: a code read back must have one meaning` });
      } else seen.set(to, from);
    }
  }
  const complete: Array<[string, readonly string[]]> = [
    ['decisionCal', decisionCalKinds],
    ['statutVisite', Object.values(StatutVisite)],
  ];
  for (const [list, codes] of complete) {
    const entries = Object.prototype.hasOwnProperty.call(t.codes, list) ? t.codes[list] : undefined;
    const missing = codes.filter((c) => entries === undefined || !Object.prototype.hasOwnProperty.call(entries, c));
    if (missing.length) {
      issues.push({ path: at(file, ['codes', list]), rule: 'codes-complete', message: `needs an SNE code for each of: ${missing.join(', ')}` });
    }
  }
}

function sourceOf(list: string): string {
  switch (list) {
    case 'piece':
      return ` (${TABLE_FILES.pieces})`;
    case 'motifNonAttribution':
      return ` (${TABLE_FILES.motifsNonAttribution})`;
    case 'motifRefus':
      return ` (${TABLE_FILES.motifsRefus})`;
    case 'critereL441':
      return ` (${TABLE_FILES.priorites})`;
    case 'reservataire':
      return ` (${TABLE_FILES.conventions})`;
    case 'motifRadiation':
    case 'sousMotifRadiation':
      return ` (${TABLE_FILES.radiation})`;
    default:
      return '';
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
