import type { AttributionPayload } from '../../src/domain/evenement';
import { mapAttribution, mapRadiation, mapReactivation } from '../../src/mapping';
import { attributionPayload, NEW_DWELLING, SIREN_A, testTables } from './support';

describe('mapping a radiation', () => {
  it.each([
    ['a renunciation', { motif: 'RADABA', date: '2024-06-01' }],
    ['an applicant who cannot be reached', { motif: 'RADCON', date: '2024-06-01' }],
    ['a demand not renewed', { motif: 'RADREN', date: '2024-06-01' }],
    ['a non-receivable demand with its sub-motif', { motif: 'RADIRR', sousMotif: 'IRRSEJ', date: '2024-06-01' }],
  ])('sends %s as a RAD file with its motif', (_what, payload) => {
    expect(mapRadiation(payload, testTables())).toEqual({ ok: true, value: { typeFichier: 'RAD', radiation: payload } });
  });

  it.each([
    [
      'an unknown motif',
      { motif: 'RADFUS', date: '2024-06-01' },
      { path: 'payload.motif', rule: 'unknown-motif', message: 'motif is not a radiation motif of radiation.yaml (RADABA, RADCON, RADIRR, RADREN...)', table: 'radiation.yaml', code: 'RADFUS' },
    ],
    [
      'an attribution radiation without its attribution data',
      { motif: 'RADATT', date: '2024-06-01' },
      {
        path: 'payload.motif',
        rule: 'motif-needs-event',
        message: 'motif is reported by an event of type attribution (radiation.yaml: event), which carries the data of R441-2-9, not by a radiation event',
        table: 'radiation.yaml',
        code: 'RADATT',
      },
    ],
    [
      'RADIRR without its sub-motif',
      { motif: 'RADIRR', date: '2024-06-01' },
      { path: 'payload.sousMotif', rule: 'sub-motif-required', message: 'sousMotif is mandatory with this motif (radiation.yaml: sousMotifs; RADIRR needs IRRSEJ or IRRRES)', table: 'radiation.yaml' },
    ],
    [
      'RADIRR with a sub-motif of no list',
      { motif: 'RADIRR', sousMotif: 'IRRAGE', date: '2024-06-01' },
      { path: 'payload.sousMotif', rule: 'sub-motif', message: 'sousMotif is not a sub-motif of this motif in radiation.yaml (RADIRR: IRRSEJ or IRRRES)', table: 'radiation.yaml', code: 'IRRAGE' },
    ],
    [
      'a renunciation with a sub-motif',
      { motif: 'RADABA', sousMotif: 'IRRSEJ', date: '2024-06-01' },
      { path: 'payload.sousMotif', rule: 'sub-motif-forbidden', message: 'sousMotif must be absent with this motif (radiation.yaml: it has no sousMotifs)', table: 'radiation.yaml' },
    ],
  ])('refuses %s', (_what, payload, violation) => {
    expect(mapRadiation(payload, testTables())).toEqual({ ok: false, violations: [violation] });
  });

  it('sends a reactivation as an empty motif with the file type of the table', () => {
    expect(mapReactivation({ date: '2024-07-01' }, testTables())).toEqual({ typeFichier: 'RAD', motif: '', date: '2024-07-01' });
  });
});

describe('mapping an attribution report (RADATT)', () => {
  const map = (overrides: Record<string, unknown> = {}, options = {}) =>
    mapAttribution(attributionPayload(overrides) as AttributionPayload, testTables(), options);

  it('resolves every item of R441-2-9 for a dwelling with an RPLS id', async () => {
    expect(await map()).toEqual({
      ok: true,
      value: {
        typeFichier: 'RAD',
        radiation: { motif: 'RADATT', date: '2024-05-01' },
        logement: { kind: 'rpls', rpls: 'B000000007', source: 'event', rule: 'event' },
        bailleurSiren: SIREN_A,
        imputation: { typeReservataire: 'PPRIOR', fluxEtat: 'prioritaires', reservataireId: 'ETAT-PRIO', rule: 'reservataires/conventions.yaml#bailleurs[0].reservataires[0]' },
        dalo: true,
        cia: false,
        accordCollectif: 'ACI',
        prioritaireL441: true,
        criteresL441: ['L441_K'],
        dateSignatureBail: '2024-05-01',
        mutationInterne: false,
      },
    });
  });

  it('describes a dwelling without RPLS id, charged to the bailleur', async () => {
    const r = await map({ logement: NEW_DWELLING, imputation: { type: 'bailleur' }, dateCommission: '2024-04-20' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.logement).toEqual({
      kind: 'sansRpls',
      logement: { adresse: NEW_DWELLING.adresse, typeLogement: 'T3', surface: 67.5, qpv: 'ZUSNON', loyer: 452 },
    });
    expect(r.value.imputation.typeReservataire).toBe('AUCUN');
    expect(r.value.dateCommission).toBe('2024-04-20');
  });

  it('reports every missing or wrong item at once', async () => {
    const r = await map({
      logement: { bailleurSiren: SIREN_A, bailleurLogementId: 'LGT-404', qpv: 'ZUSNON' },
      imputation: { type: 'reservataire', reservataireId: 'INCONNU' },
      dalo: undefined,
      accordCollectif: 'ACX',
      criteresL441: ['L441_K', 'L441_Z'],
      dateSignatureBail: undefined,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.violations.map((v) => [v.path, v.rule])).toEqual([
      ['payload.dalo', 'attribution-item-required'],
      ['payload.dateSignatureBail', 'attribution-item-required'],
      ['payload.logement.adresse', 'required-without-rpls'],
      ['payload.logement.typeLogement', 'required-without-rpls'],
      ['payload.logement.surface', 'required-without-rpls'],
      ['payload.logement.loyer', 'required-without-rpls'],
      ['payload.imputation.reservataireId', 'unknown-reservataire'],
      ['payload.accordCollectif', 'unknown-code'],
      ['payload.criteresL441[1]', 'unknown-criterion'],
    ]);
    expect(r.violations[7]).toEqual({ path: 'payload.accordCollectif', rule: 'unknown-code', message: 'accordCollectif must be ACD, ACI, AUCUN or NONDOC', code: 'ACX' });
    expect(r.violations[8]).toEqual({
      path: 'payload.criteresL441[1]',
      rule: 'unknown-criterion',
      message: 'criteresL441[1] is not a priority criterion of priorites.yaml: use one of its codes or add it there',
      table: 'priorites.yaml',
      code: 'L441_Z',
    });
  });

  it('checks the convention at the event date when the lease date is missing', async () => {
    const r = await map({ imputation: { type: 'reservataire', reservataireId: 'EPCI-X' }, dateSignatureBail: undefined }, { fallbackDate: '2023-06-01' });
    expect(!r.ok && r.violations.map((v) => v.rule)).toEqual(['attribution-item-required', 'convention-not-valid']);
  });
});
