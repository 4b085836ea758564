/**
 * Radiation (article R441-2-8, domain.md §7), reactivation, and the attribution report that goes with a
 * radiation `RADATT` (article R441-2-9, domain.md §8).
 *
 * Motifs and sub-motifs are rules of `mappings/radiation.yaml`; the SNE file type of each event is in
 * `mappings/sne/events.yaml`.
 */
import { isKnownCode, type IsoDate } from '../domain';
import { attributionIssues, type AttributionPayload, type RadiationPayload } from '../domain/evenement';
import type { TypeFichier } from '../codec/types';
import { imputeReservataire, type ImputationMapping } from './reservataires';
import { resolveRpls, type RplsLookup, type RplsResolution } from './rpls';
import { own, TABLE_FILES, type MappingTables } from './tables';
import { mapped, under, violated, type MapResult, type Violation } from './types';

export interface RadiationMapping {
  typeFichier: TypeFichier;
  radiation: { motif: string; sousMotif?: string; date: IsoDate };
}

/** Checks a radiation's motif and sub-motif against the table, and gives its SNE file type. */
export function mapRadiation(
  payload: RadiationPayload,
  tables: Pick<MappingTables, 'radiation' | 'sneEvents'>,
  at = 'payload',
): MapResult<RadiationMapping> {
  const table = TABLE_FILES.radiation;
  const entry = own(tables.radiation.motifs, payload.motif);
  const violations: Violation[] = [];
  if (entry === undefined) {
    violations.push({
      path: `${at}.motif`,
      rule: 'unknown-motif',
      message: `motif is not a radiation motif of ${table} (RADABA, RADCON, RADIRR, RADREN...)`,
      table,
      code: payload.motif,
    });
  } else if (entry.event !== undefined) {
    violations.push({
      path: `${at}.motif`,
      rule: 'motif-needs-event',
      message: `motif is reported by an event of type ${entry.event} (${table}: event), which carries the data of R441-2-9, not by a radiation event`,
      table,
      code: payload.motif,
    });
  } else {
    const allowed = entry.sousMotifs ?? [];
    if (allowed.length > 0 && payload.sousMotif === undefined) {
      violations.push({
        path: `${at}.sousMotif`,
        rule: 'sub-motif-required',
        message: `sousMotif is mandatory with this motif (${table}: sousMotifs; RADIRR needs IRRSEJ or IRRRES)`,
        table,
      });
    } else if (allowed.length > 0 && payload.sousMotif !== undefined && !allowed.includes(payload.sousMotif)) {
      violations.push({
        path: `${at}.sousMotif`,
        rule: 'sub-motif',
        message: `sousMotif is not a sub-motif of this motif in ${table} (RADIRR: IRRSEJ or IRRRES)`,
        table,
        code: payload.sousMotif,
      });
    } else if (allowed.length === 0 && payload.sousMotif !== undefined) {
      violations.push({
        path: `${at}.sousMotif`,
        rule: 'sub-motif-forbidden',
        message: `sousMotif must be absent with this motif (${table}: it has no sousMotifs)`,
        table,
      });
    }
  }
  if (violations.length) return violated(violations);
  const radiation = payload.sousMotif === undefined
    ? { motif: payload.motif, date: payload.date }
    : { motif: payload.motif, sousMotif: payload.sousMotif, date: payload.date };
  return mapped({ typeFichier: tables.sneEvents.evenements.radiation.typeFichier, radiation });
}

export interface ReactivationMapping {
  /** The file type of a reactivation, from the table ([open]: a `RAD` with an empty motif by default). */
  typeFichier: TypeFichier;
  /** An empty motif means reactivation (domain.md §4). */
  motif: '';
  date: IsoDate;
}

/** A reactivation (déradiation): an empty motif, sent with the file type the table gives. */
export function mapReactivation(payload: { date: IsoDate }, tables: Pick<MappingTables, 'sneEvents'>): ReactivationMapping {
  return { typeFichier: tables.sneEvents.evenements.reactivation.typeFichier, motif: '', date: payload.date };
}

/** Every item of an attribution report (R441-2-9), checked and resolved. */
export interface AttributionMapping {
  typeFichier: TypeFichier;
  radiation: { motif: 'RADATT'; date: IsoDate };
  /** The RPLS id (with where it came from) or the description of a dwelling without one. */
  logement: Exclude<RplsResolution, { kind: 'none' }>;
  bailleurSiren: string;
  imputation: ImputationMapping;
  dalo: boolean;
  cia: boolean;
  accordCollectif: string;
  prioritaireL441: boolean;
  criteresL441: string[];
  dateSignatureBail: IsoDate;
  mutationInterne: boolean;
  dateCommission?: IsoDate;
}

export interface MapAttributionOptions {
  /** Asks the local tool for an RPLS id when neither the event nor the table has it. */
  rplsLookup?: RplsLookup;
  /** Date the convention is checked at when the lease date is missing (already a violation): the event's. */
  fallbackDate?: IsoDate;
  at?: string;
}

/**
 * Checks an attribution report and resolves its RPLS id and imputation. Every missing or wrong item is
 * a violation, all reported at once.
 */
export async function mapAttribution(
  payload: AttributionPayload,
  tables: Pick<MappingTables, 'radiation' | 'sneEvents' | 'rpls' | 'conventions' | 'priorites'>,
  options: MapAttributionOptions = {},
): Promise<MapResult<AttributionMapping>> {
  const at = options.at ?? 'payload';
  // The dwelling description is judged by the RPLS resolution, which knows whether the table has the id.
  const violations: Violation[] = under(
    at,
    attributionIssues(payload).filter((i) => i.rule !== 'required-without-rpls'),
  );

  const rpls = await resolveRpls(payload.logement, tables, { lookup: options.rplsLookup, purpose: 'attribution', at });
  if (!rpls.ok) violations.push(...rpls.violations);

  let imputation: ImputationMapping | undefined;
  if (payload.imputation !== undefined) {
    const date = payload.dateSignatureBail ?? options.fallbackDate;
    const r = imputeReservataire({ bailleurSiren: payload.logement.bailleurSiren, imputation: payload.imputation, date }, tables, at);
    if (r.ok) imputation = r.value;
    else violations.push(...r.violations);
  }

  if (payload.accordCollectif !== undefined && !isKnownCode('accordCollectif', payload.accordCollectif)) {
    violations.push({
      path: `${at}.accordCollectif`,
      rule: 'unknown-code',
      message: 'accordCollectif must be ACD, ACI, AUCUN or NONDOC',
      code: payload.accordCollectif,
    });
  }
  (payload.criteresL441 ?? []).forEach((c, i) => {
    if (own(tables.priorites.criteres, c) === undefined) {
      violations.push({
        path: `${at}.criteresL441[${i}]`,
        rule: 'unknown-criterion',
        message: `criteresL441[${i}] is not a priority criterion of ${TABLE_FILES.priorites}: use one of its codes or add it there`,
        table: TABLE_FILES.priorites,
        code: c,
      });
    }
  });
  const radatt = own(tables.radiation.motifs, 'RADATT');
  if (radatt === undefined) {
    violations.push({
      path: at,
      rule: 'unknown-motif',
      message: `the radiation motif of an attribution is missing from ${TABLE_FILES.radiation} (RADATT)`,
      table: TABLE_FILES.radiation,
    });
  }

  if (violations.length || !rpls.ok || rpls.value.kind === 'none' || imputation === undefined) return violated(violations);
  const p = payload as Required<AttributionPayload>;
  return mapped({
    typeFichier: tables.sneEvents.evenements.attribution.typeFichier,
    radiation: { motif: 'RADATT', date: p.dateSignatureBail },
    logement: rpls.value,
    bailleurSiren: payload.logement.bailleurSiren,
    imputation,
    dalo: p.dalo,
    cia: p.cia,
    accordCollectif: p.accordCollectif,
    prioritaireL441: p.prioritaireL441,
    criteresL441: payload.criteresL441 ?? [],
    dateSignatureBail: p.dateSignatureBail,
    mutationInterne: p.mutationInterne,
    ...(payload.dateCommission === undefined ? {} : { dateCommission: payload.dateCommission }),
  });
}
