/**
 * Imputation of an attribution to a réservataire (domain.md §8). Since the "gestion en flux" reform a
 * reservation is a yearly flow per bailleur and réservataire, so the type sent to the SNE is a rule of
 * the local convention, kept in `mappings/reservataires/conventions.yaml`; the bailleur's own stock is
 * `AUCUN`. The result names the table entry that decided, for an operator asking why.
 */
import type { IsoDate } from '../domain';
import { ImputationType, type Imputation } from '../domain/evenement';
import { TABLE_FILES, type FluxEtat, type MappingTables } from './tables';
import { mapped, violated, type MapResult } from './types';

export interface ImputationMapping {
  /** `COLTER`, `COLACT`, `PPRIOR`, `PFONCT`, `AUTRES` or `AUCUN`. */
  typeReservataire: string;
  reservataireId?: string;
  fluxEtat?: FluxEtat;
  /** What decided: `reservataires/conventions.yaml#bailleurs[0].reservataires[2]`, or the built-in rule. */
  rule: string;
}

/** The built-in rule of an attribution charged to the bailleur's own stock. */
export const OWN_STOCK_RULE = 'builtin#stockBailleur (AUCUN)';

export interface ImputationInput {
  bailleurSiren: string;
  imputation: Imputation;
  /** The date the convention must be valid at: the lease signature date (unknown: validity not checked). */
  date?: IsoDate;
}

/** The réservataire type to send for an attribution, and the convention entry that decided it. */
export function imputeReservataire(
  input: ImputationInput,
  tables: Pick<MappingTables, 'conventions'>,
  at = 'payload',
): MapResult<ImputationMapping> {
  if (input.imputation.type === ImputationType.bailleur) {
    return mapped({ typeReservataire: 'AUCUN', rule: OWN_STOCK_RULE });
  }
  const id = input.imputation.reservataireId;
  const path = `${at}.imputation.reservataireId`;
  const table = TABLE_FILES.conventions;
  const b = tables.conventions.bailleurs.findIndex((x) => x.siren === input.bailleurSiren);
  const bailleur = tables.conventions.bailleurs[b];
  if (bailleur === undefined) {
    return violated([
      {
        path,
        rule: 'unknown-bailleur',
        message: `the bailleur of the dwelling (logement.bailleurSiren) has no conventions in ${table}: add it under bailleurs with its réservataires`,
        table,
        code: input.bailleurSiren,
      },
    ]);
  }
  const candidates = bailleur.reservataires.map((r, j) => ({ r, j })).filter(({ r }) => r.id === id);
  if (candidates.length === 0) {
    return violated([
      {
        path,
        rule: 'unknown-reservataire',
        message: `imputation.reservataireId is not a réservataire of this bailleur in ${table}: add it under the bailleur's reservataires`,
        table,
        code: id,
      },
    ]);
  }
  const date = input.date;
  const valid = candidates.find(
    ({ r }) => date === undefined || ((r.validFrom === undefined || r.validFrom <= date) && (r.validTo === undefined || date <= r.validTo)),
  );
  if (valid === undefined) {
    return violated([
      {
        path,
        rule: 'convention-not-valid',
        message: `no convention of imputation.reservataireId with this bailleur is valid at the lease signature date (${table}: validFrom, validTo)`,
        table,
        code: id,
      },
    ]);
  }
  return mapped({
    typeReservataire: valid.r.type,
    reservataireId: id,
    ...(valid.r.fluxEtat === undefined ? {} : { fluxEtat: valid.r.fluxEtat }),
    rule: `${table}#bailleurs[${b}].reservataires[${valid.j}]`,
  });
}
