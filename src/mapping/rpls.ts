/**
 * RPLS identifiers of dwellings (domain.md §8): the id the event carries, else the bailleur's own id
 * looked up in `mappings/rpls/<SIREN>.yaml`, else through the local tool (an injected lookup), in that
 * order. Without an RPLS id an attribution must describe the dwelling (address, rooms, surface, QPV flag,
 * rent).
 */
import { isKnownCode } from '../domain';
import {
  logementSansRplsIssues,
  RPLS_FORMAT_MESSAGE,
  RPLS_PATTERN,
  type AdresseLogement,
  type LogementAttribue,
} from '../domain/evenement';
import { own, rplsTableFile, type MappingTables } from './tables';
import { mapped, under, violated, type MapResult, type Violation } from './types';

/**
 * Asks the local tool for the RPLS id of a bailleur's dwelling; undefined when it has none. A failure
 * (network...) is thrown as a gateway error and left to the caller's retry policy.
 */
export type RplsLookup = (query: { bailleurSiren: string; bailleurLogementId: string }) => Promise<string | undefined>;

/** Where an RPLS id came from. */
export const RplsSource = { event: 'event', table: 'table', lookup: 'lookup' } as const;
export type RplsSource = (typeof RplsSource)[keyof typeof RplsSource];

/** A dwelling without RPLS id, as an attribution describes it (every item present). */
export interface LogementSansRpls {
  adresse: AdresseLogement & { voie: string; codePostal: string; commune: string };
  typeLogement: string;
  surface: number;
  qpv: string;
  loyer: number;
}

export type RplsResolution =
  | {
      kind: 'rpls';
      rpls: string;
      source: RplsSource;
      /** What decided: `event`, the table entry (`rpls/<SIREN>.yaml#logements.<id>`), or `lookup`. */
      rule: string;
    }
  | { kind: 'sansRpls'; logement: LogementSansRpls }
  /** Only when `purpose: 'reference'`: no RPLS id known; the bailleur's id names the dwelling. */
  | { kind: 'none' };

export interface ResolveRplsOptions {
  lookup?: RplsLookup;
  /** `attribution` (default): without RPLS id the dwelling must be described. `reference`: an id is enough. */
  purpose?: 'attribution' | 'reference';
  /** Path of the object that holds `logement`, to prefix violation paths. Default `payload`. */
  at?: string;
}

/** Resolves the RPLS id of a dwelling, or checks its description when it has none. */
export async function resolveRpls(
  logement: LogementAttribue,
  tables: Pick<MappingTables, 'rpls'>,
  options: ResolveRplsOptions = {},
): Promise<MapResult<RplsResolution>> {
  const at = options.at ?? 'payload';
  const path = (p: string) => (at ? `${at}.logement.${p}` : `logement.${p}`);

  if (logement.rpls !== undefined) {
    if (!RPLS_PATTERN.test(logement.rpls)) {
      return violated([{ path: path('rpls'), rule: 'rpls-format', message: `logement.rpls ${RPLS_FORMAT_MESSAGE}` }]);
    }
    return mapped({ kind: 'rpls', rpls: logement.rpls, source: RplsSource.event, rule: RplsSource.event });
  }

  const localId = logement.bailleurLogementId;
  if (localId !== undefined) {
    const fromTable = own(own(tables.rpls, logement.bailleurSiren)?.logements, localId);
    if (fromTable !== undefined) {
      return mapped({
        kind: 'rpls',
        rpls: fromTable,
        source: RplsSource.table,
        rule: `${rplsTableFile(logement.bailleurSiren)}#logements.${localId}`,
      });
    }
    if (options.lookup) {
      const found = await options.lookup({ bailleurSiren: logement.bailleurSiren, bailleurLogementId: localId });
      if (found !== undefined) {
        if (!RPLS_PATTERN.test(found)) {
          return violated([
            {
              path: path('bailleurLogementId'),
              rule: 'rpls-format',
              message: `the RPLS id the local tool gave for logement.bailleurLogementId ${RPLS_FORMAT_MESSAGE}`,
            },
          ]);
        }
        return mapped({ kind: 'rpls', rpls: found, source: RplsSource.lookup, rule: RplsSource.lookup });
      }
    }
  }

  if (options.purpose === 'reference') return mapped({ kind: 'none' });

  const violations: Violation[] = under(at, logementSansRplsIssues(logement));
  if (logement.typeLogement !== undefined && !isKnownCode('typeLogementRpls', logement.typeLogement)) {
    violations.push({
      path: path('typeLogement'),
      rule: 'unknown-code',
      message: 'logement.typeLogement must be a room count of the RPLS list: T1 to T8 or T9P',
      code: logement.typeLogement,
    });
  }
  if (logement.qpv !== undefined && !isKnownCode('qpv', logement.qpv)) {
    violations.push({ path: path('qpv'), rule: 'unknown-code', message: 'logement.qpv must be ZUSOUI, ZUSNON or ZUSNSP', code: logement.qpv });
  }
  if (violations.length) return violated(violations);
  const { adresse, typeLogement, surface, qpv, loyer } = logement;
  return mapped({
    kind: 'sansRpls',
    logement: {
      adresse: adresse as LogementSansRpls['adresse'],
      typeLogement: typeLogement!,
      surface: surface!,
      qpv: qpv!,
      loyer: loyer!,
    },
  });
}
