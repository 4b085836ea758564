/**
 * Local codes -> canonical codes (`mappings/local/codes.yaml`), applied to a raw event of the local tool
 * before `validateEvenement`.
 *
 * The local tool may spell codes its own way (`DECISION_A` for `attribution`). Per code list, a value is:
 * a local code of the table (translated), or already a canonical code of the list (kept), or else a
 * violation that names the list to edit: the push pipeline dead-letters the event with it, and a replay
 * after the table is fixed maps it. A list absent from the table passes through unchanged (the canonical
 * checks judge it). When a local code is spelled like a canonical code, the table wins.
 */
import { codesOf } from '../domain';
import { decisionCalKinds, evenementTypes, ImputationType, isEvenementType, StatutVisite, type EvenementType } from '../domain/evenement';
import { own, TABLE_FILES, type MappingTables } from './tables';
import { mapped, violated, type MapResult, type Violation } from './types';

type TablesForCodes = Partial<Pick<MappingTables, 'pieces' | 'motifsNonAttribution' | 'motifsRefus' | 'priorites' | 'radiation' | 'conventions'>>;

/**
 * The code lists the local table may translate, each with its canonical codes (undefined when the table
 * that defines them is unavailable, e.g. broken while loading).
 */
export const LOCAL_CODE_LISTS = {
  typeEvenement: () => evenementTypes,
  decisionCal: () => decisionCalKinds,
  statutVisite: () => Object.values(StatutVisite),
  imputation: () => Object.values(ImputationType),
  piece: (t: TablesForCodes) => t.pieces && Object.keys(t.pieces.pieces),
  motifNonAttribution: (t: TablesForCodes) => t.motifsNonAttribution && Object.keys(t.motifsNonAttribution.motifs),
  motifRefus: (t: TablesForCodes) => t.motifsRefus && Object.keys(t.motifsRefus.motifs),
  critereL441: (t: TablesForCodes) => t.priorites && Object.keys(t.priorites.criteres),
  reservataire: (t: TablesForCodes) => t.conventions && t.conventions.bailleurs.flatMap((b) => b.reservataires.map((r) => r.id)),
  motifRadiation: (t: TablesForCodes) => t.radiation && Object.keys(t.radiation.motifs),
  sousMotifRadiation: (t: TablesForCodes) => t.radiation && Object.values(t.radiation.motifs).flatMap((m) => m.sousMotifs ?? []),
  sourceLabel: () => codesOf('sourceLabel'),
  typeReservataire: () => codesOf('typeReservataire'),
  accordCollectif: () => codesOf('accordCollectif'),
  typeLogementRpls: () => codesOf('typeLogementRpls'),
  qpv: () => codesOf('qpv'),
} as const satisfies Record<string, (t: TablesForCodes) => readonly string[] | undefined>;
export type LocalCodeList = keyof typeof LOCAL_CODE_LISTS;

export function isLocalCodeList(name: string): name is LocalCodeList {
  return Object.prototype.hasOwnProperty.call(LOCAL_CODE_LISTS, name);
}

/** The canonical codes of a list, or undefined when its table is unavailable. */
export function canonicalCodes(list: LocalCodeList, tables: TablesForCodes): readonly string[] | undefined {
  return LOCAL_CODE_LISTS[list](tables);
}

const CODE_SHAPE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Which fields of each event type carry a code of which list (`[]` walks an array). */
export const CODED_EVENT_FIELDS: Readonly<Record<EvenementType, ReadonlyArray<readonly [string, LocalCodeList]>>> = {
  rectification: [],
  renouvellement: [],
  demandePieces: [['payload.pieces[]', 'piece']],
  designation: [],
  inscriptionCal: [],
  visite: [['payload.statut', 'statutVisite']],
  decisionCal: [
    ['payload.decision.kind', 'decisionCal'],
    ['payload.decision.pieceManquante', 'piece'],
    ['payload.decision.motifs[].code', 'motifNonAttribution'],
    ['payload.decision.sousMotif', 'sousMotifRadiation'],
  ],
  refus: [['payload.motif', 'motifRefus']],
  label: [['payload.source', 'sourceLabel']],
  contingent: [['payload.types[]', 'typeReservataire']],
  attribution: [
    ['payload.logement.typeLogement', 'typeLogementRpls'],
    ['payload.logement.qpv', 'qpv'],
    ['payload.imputation.type', 'imputation'],
    ['payload.imputation.reservataireId', 'reservataire'],
    ['payload.accordCollectif', 'accordCollectif'],
    ['payload.criteresL441[]', 'critereL441'],
  ],
  radiation: [
    ['payload.motif', 'motifRadiation'],
    ['payload.sousMotif', 'sousMotifRadiation'],
  ],
  reactivation: [],
};

/**
 * Translates the local codes of a raw event (the input is not modified). Returns the translated copy, or
 * a violation per code that is neither a local code of its list nor a canonical one.
 */
export function applyLocalCodes(raw: unknown, tables: Pick<MappingTables, 'localCodes'> & TablesForCodes): MapResult<unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return mapped(raw);
  const event = structuredClone(raw) as Record<string, unknown>;
  const violations: Violation[] = [];
  const translate = (list: LocalCodeList, value: unknown, path: string): unknown => {
    if (typeof value !== 'string') return value;
    const local = own(tables.localCodes.lists, list);
    if (local === undefined) return value;
    const target = own(local, value);
    if (target !== undefined) return target;
    if (canonicalCodes(list, tables)?.includes(value)) return value;
    violations.push({
      path,
      rule: 'unknown-local-code',
      message: `${path} is neither a local code of list ${list} nor one of its canonical codes: add it to ${TABLE_FILES.localCodes} (lists.${list}), then replay the event`,
      table: TABLE_FILES.localCodes,
      // Not validated yet: keep the value only when it has the shape of a code (free text may be personal).
      ...(CODE_SHAPE.test(value) ? { code: value } : {}),
    });
    return value;
  };

  event.type = translate('typeEvenement', event.type, 'type');
  if (isEvenementType(event.type)) {
    for (const [path, list] of CODED_EVENT_FIELDS[event.type]) {
      rewrite(event, path.split('.'), '', (value, at) => translate(list, value, at));
    }
  }
  return violations.length ? violated(violations) : mapped(event);
}

/** Rewrites the values at a dotted path (`a.b[]` walks every item of `b`) in place. */
function rewrite(node: unknown, segments: string[], at: string, fn: (value: unknown, path: string) => unknown): void {
  if (typeof node !== 'object' || node === null) return;
  const [head, ...rest] = segments;
  if (head === undefined) return;
  const each = head.endsWith('[]');
  const key = each ? head.slice(0, -2) : head;
  const obj = node as Record<string, unknown>;
  if (!Object.prototype.hasOwnProperty.call(obj, key)) return;
  const here = at ? `${at}.${key}` : key;
  const value = obj[key];
  if (each) {
    if (!Array.isArray(value)) return;
    value.forEach((item, i) => {
      if (rest.length === 0) value[i] = fn(item, `${here}[${i}]`);
      else rewrite(item, rest, `${here}[${i}]`, fn);
    });
  } else if (rest.length === 0) {
    if (value !== undefined) obj[key] = fn(value, here);
  } else {
    rewrite(value, rest, here, fn);
  }
}
