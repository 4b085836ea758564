import { imputeReservataire, OWN_STOCK_RULE } from '../../src/mapping';
import { SIREN_A, SIREN_B, testTables } from './support';

const toReservataire = (reservataireId: string) => ({ type: 'reservataire' as const, reservataireId });

describe("imputing an attribution to a réservataire's flow", () => {
  it.each([
    ['the State priority households', SIREN_A, 'ETAT-PRIO', '2024-05-01', { typeReservataire: 'PPRIOR', fluxEtat: 'prioritaires' }, 'reservataires/conventions.yaml#bailleurs[0].reservataires[0]'],
    ['the State agents', SIREN_A, 'ETAT-AGENTS', '2024-05-01', { typeReservataire: 'PFONCT', fluxEtat: 'agents' }, 'reservataires/conventions.yaml#bailleurs[0].reservataires[1]'],
    ['Action Logement', SIREN_A, 'AL', '2024-05-01', { typeReservataire: 'COLACT' }, 'reservataires/conventions.yaml#bailleurs[0].reservataires[3]'],
    ['a commune under its old convention', SIREN_A, 'COMMUNE-Y', '2023-12-31', { typeReservataire: 'COLTER' }, 'reservataires/conventions.yaml#bailleurs[0].reservataires[4]'],
    ['a commune under its new convention', SIREN_A, 'COMMUNE-Y', '2024-01-01', { typeReservataire: 'AUTRES' }, 'reservataires/conventions.yaml#bailleurs[0].reservataires[5]'],
    ['the State with another bailleur', SIREN_B, 'ETAT-PRIO', '2024-05-01', { typeReservataire: 'PPRIOR', fluxEtat: 'prioritaires' }, 'reservataires/conventions.yaml#bailleurs[1].reservataires[0]'],
  ])('charges %s with the type of the convention valid on the lease date, naming the entry', (_who, bailleurSiren, id, date, expected, rule) => {
    const r = imputeReservataire({ bailleurSiren, imputation: toReservataire(id), date }, testTables());
    expect(r).toEqual({ ok: true, value: { ...expected, reservataireId: id, rule } });
  });

  it("charges the bailleur's own stock to AUCUN by the built-in rule", () => {
    const r = imputeReservataire({ bailleurSiren: SIREN_A, imputation: { type: 'bailleur' }, date: '2024-05-01' }, testTables());
    expect(r).toEqual({ ok: true, value: { typeReservataire: 'AUCUN', rule: OWN_STOCK_RULE } });
  });

  it('refuses a réservataire the bailleur has no convention with, naming the table to edit', () => {
    const r = imputeReservataire({ bailleurSiren: SIREN_B, imputation: toReservataire('AL'), date: '2024-05-01' }, testTables());
    expect(r).toEqual({
      ok: false,
      violations: [
        {
          path: 'payload.imputation.reservataireId',
          rule: 'unknown-reservataire',
          message: "imputation.reservataireId is not a réservataire of this bailleur in reservataires/conventions.yaml: add it under the bailleur's reservataires",
          table: 'reservataires/conventions.yaml',
          code: 'AL',
        },
      ],
    });
  });

  it('refuses a bailleur without any convention', () => {
    const r = imputeReservataire({ bailleurSiren: '999999003', imputation: toReservataire('ETAT-PRIO'), date: '2024-05-01' }, testTables());
    expect(r).toEqual({
      ok: false,
      violations: [
        {
          path: 'payload.imputation.reservataireId',
          rule: 'unknown-bailleur',
          message: 'the bailleur of the dwelling (logement.bailleurSiren) has no conventions in reservataires/conventions.yaml: add it under bailleurs with its réservataires',
          table: 'reservataires/conventions.yaml',
          code: '999999003',
        },
      ],
    });
  });

  it('refuses a convention that is not yet valid on the lease date', () => {
    const r = imputeReservataire({ bailleurSiren: SIREN_A, imputation: toReservataire('EPCI-X'), date: '2023-12-31' }, testTables());
    expect(r).toEqual({
      ok: false,
      violations: [
        {
          path: 'payload.imputation.reservataireId',
          rule: 'convention-not-valid',
          message: 'no convention of imputation.reservataireId with this bailleur is valid at the lease signature date (reservataires/conventions.yaml: validFrom, validTo)',
          table: 'reservataires/conventions.yaml',
          code: 'EPCI-X',
        },
      ],
    });
  });
});
