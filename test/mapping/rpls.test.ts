import type { LogementAttribue } from '../../src/domain/evenement';
import { GatewayError, TransientError } from '../../src/errors';
import { resolveRpls, type RplsLookup } from '../../src/mapping';
import { NEW_DWELLING, SIREN_A, SIREN_B, testTables } from './support';

/** A lookup that answers from a map and records what it was asked. */
function lookupFrom(answers: Record<string, string>) {
  const asked: string[] = [];
  const lookup: RplsLookup = async ({ bailleurSiren, bailleurLogementId }) => {
    asked.push(`${bailleurSiren}/${bailleurLogementId}`);
    return answers[bailleurLogementId];
  };
  return { lookup, asked };
}

describe('resolving the RPLS id of a dwelling', () => {
  it('takes a well-formed RPLS id from the event without asking anyone', async () => {
    const { lookup, asked } = lookupFrom({});
    const r = await resolveRpls({ bailleurSiren: SIREN_A, rpls: 'Z9Y8X7W6V5', bailleurLogementId: 'LGT-1' }, testTables(), { lookup });
    expect(r).toEqual({ ok: true, value: { kind: 'rpls', rpls: 'Z9Y8X7W6V5', source: 'event', rule: 'event' } });
    expect(asked).toEqual([]);
  });

  it.each(['a00000000b', 'A00000000', 'A0000000001', 'A000-00001'])('refuses the malformed RPLS id %j', async (rpls) => {
    const r = await resolveRpls({ bailleurSiren: SIREN_A, rpls }, testTables());
    expect(r).toEqual({
      ok: false,
      violations: [{ path: 'payload.logement.rpls', rule: 'rpls-format', message: 'logement.rpls must be an RPLS id: 10 upper-case letters or digits' }],
    });
  });

  it("looks the bailleur's own id up in the bailleur's table first, and says which entry decided", async () => {
    const { lookup, asked } = lookupFrom({ '00042': 'Q000000000' });
    const r = await resolveRpls({ bailleurSiren: SIREN_A, bailleurLogementId: '00042' }, testTables(), { lookup });
    expect(r).toEqual({ ok: true, value: { kind: 'rpls', rpls: 'A000000042', source: 'table', rule: 'rpls/999999001.yaml#logements.00042' } });
    expect(asked).toEqual([]);
  });

  it('asks the local tool when the table does not know the dwelling', async () => {
    const { lookup, asked } = lookupFrom({ 'LGT-7': 'L000000007' });
    const r = await resolveRpls({ bailleurSiren: SIREN_B, bailleurLogementId: 'LGT-7' }, testTables(), { lookup });
    expect(r).toEqual({ ok: true, value: { kind: 'rpls', rpls: 'L000000007', source: 'lookup', rule: 'lookup' } });
    expect(asked).toEqual([`${SIREN_B}/LGT-7`]);
  });

  it('refuses a malformed id given by the local tool', async () => {
    const { lookup } = lookupFrom({ 'LGT-7': 'l-7' });
    const r = await resolveRpls({ bailleurSiren: SIREN_B, bailleurLogementId: 'LGT-7' }, testTables(), { lookup });
    expect(r).toEqual({
      ok: false,
      violations: [
        {
          path: 'payload.logement.bailleurLogementId',
          rule: 'rpls-format',
          message: 'the RPLS id the local tool gave for logement.bailleurLogementId must be an RPLS id: 10 upper-case letters or digits',
        },
      ],
    });
  });

  it('lets a failure of the lookup through as the error it is, for the retry policy', async () => {
    const lookup: RplsLookup = async () => {
      throw new TransientError('LOCAL_UNAVAILABLE', 'local tool unavailable');
    };
    await expect(resolveRpls({ bailleurSiren: SIREN_B, bailleurLogementId: 'LGT-7' }, testTables(), { lookup })).rejects.toBeInstanceOf(GatewayError);
  });

  it('accepts a dwelling without RPLS id when it is fully described', async () => {
    const r = await resolveRpls(NEW_DWELLING, testTables());
    expect(r).toEqual({
      ok: true,
      value: { kind: 'sansRpls', logement: { adresse: NEW_DWELLING.adresse, typeLogement: 'T3', surface: 67.5, qpv: 'ZUSNON', loyer: 452 } },
    });
  });

  it('lists each missing description item of a dwelling nobody knows the RPLS id of', async () => {
    const r = await resolveRpls({ bailleurSiren: SIREN_B, bailleurLogementId: 'LGT-404', adresse: { voie: 'rue' } }, testTables(), lookupFrom({}));
    expect(r).toEqual({
      ok: false,
      violations: [
        { path: 'payload.logement.adresse.codePostal', rule: 'required-without-rpls', message: 'logement.adresse.codePostal is mandatory without an RPLS id (R441-2-9): the postal code of the dwelling' },
        { path: 'payload.logement.adresse.commune', rule: 'required-without-rpls', message: 'logement.adresse.commune is mandatory without an RPLS id (R441-2-9): the INSEE code of the commune of the dwelling' },
        { path: 'payload.logement.typeLogement', rule: 'required-without-rpls', message: 'logement.typeLogement is mandatory without an RPLS id (R441-2-9): the rooms, T1 to T8 or T9P' },
        { path: 'payload.logement.surface', rule: 'required-without-rpls', message: 'logement.surface is mandatory without an RPLS id (R441-2-9): the living area in m²' },
        { path: 'payload.logement.qpv', rule: 'required-without-rpls', message: 'logement.qpv is mandatory without an RPLS id (R441-2-9): ZUSOUI, ZUSNON or ZUSNSP' },
        { path: 'payload.logement.loyer', rule: 'required-without-rpls', message: 'logement.loyer is mandatory without an RPLS id (R441-2-9): the monthly rent in whole euros' },
      ],
    });
  });

  it('asks for the address when a dwelling without RPLS id has none', async () => {
    const { adresse: _drop, ...rest } = NEW_DWELLING;
    const r = await resolveRpls(rest as LogementAttribue, testTables());
    expect(r).toEqual({
      ok: false,
      violations: [{ path: 'payload.logement.adresse', rule: 'required-without-rpls', message: 'logement.adresse is mandatory without an RPLS id (R441-2-9): the address of the dwelling' }],
    });
  });

  it('refuses unknown room and QPV codes of a dwelling without RPLS id', async () => {
    const r = await resolveRpls({ ...NEW_DWELLING, typeLogement: 'T6P', qpv: 'QPV' }, testTables());
    expect(r).toEqual({
      ok: false,
      violations: [
        { path: 'payload.logement.typeLogement', rule: 'unknown-code', message: 'logement.typeLogement must be a room count of the RPLS list: T1 to T8 or T9P', code: 'T6P' },
        { path: 'payload.logement.qpv', rule: 'unknown-code', message: 'logement.qpv must be ZUSOUI, ZUSNON or ZUSNSP', code: 'QPV' },
      ],
    });
  });

  it("is content with the bailleur's id for a mere reference to a dwelling", async () => {
    const r = await resolveRpls({ bailleurSiren: SIREN_B, bailleurLogementId: 'LGT-404' }, testTables(), { purpose: 'reference' });
    expect(r).toEqual({ ok: true, value: { kind: 'none' } });
  });
});
