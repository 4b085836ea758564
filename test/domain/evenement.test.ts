import { evenementTypes, validateEvenement } from '../../src/domain/evenement';
import { attributionPayload, demandeMinimale, evt, NEW_DWELLING, NUM, SIREN_A } from '../mapping/support';

const logement = { bailleurSiren: SIREN_A, rpls: 'A000000001' };

/** One valid event of each type. */
const validEvents: Array<[string, ReturnType<typeof evt>]> = [
  ['rectification', evt('rectification', { demande: { ...demandeMinimale, numUnique: NUM } })],
  ['renouvellement', evt('renouvellement', { date: '2024-04-30' })],
  ['demandePieces', evt('demandePieces', { date: '2024-04-30', pieces: ['IDENTITE', 'AVIS_IMPOSITION'], dateLimite: '2024-05-31' })],
  ['designation', evt('designation', { date: '2024-04-30', logement: { bailleurSiren: SIREN_A, bailleurLogementId: 'LGT-1' } })],
  ['inscriptionCal', evt('inscriptionCal', { dateCommission: '2024-05-15', logement })],
  ['visite', evt('visite', { statut: 'effectuee', date: '2024-05-10', logement })],
  ['decisionCal', evt('decisionCal', { dateCommission: '2024-05-15', logement, decision: { kind: 'attributionRang', rang: 2, nombreClasses: 3 } })],
  ['refus', evt('refus', { date: '2024-05-20', motif: 'LOCALISATION' })],
  ['label', evt('label', { source: 'DALO', date: '2024-01-10', emetteur: 'COMED-35' })],
  ['contingent', evt('contingent', { types: ['PPRIOR', 'COLTER'] })],
  ['attribution', evt('attribution', attributionPayload())],
  ['radiation', evt('radiation', { motif: 'RADIRR', sousMotif: 'IRRSEJ', date: '2024-06-15' })],
  ['reactivation', evt('reactivation', { date: '2024-07-01' })],
];

describe('the canonical events of the local tool', () => {
  it('has one valid example per event type in these tests', () => {
    expect(validEvents.map(([t]) => t).sort()).toEqual([...evenementTypes].sort());
  });

  it.each(validEvents)('accepts a valid %s event and keeps its envelope', (_type, input) => {
    const r = validateEvenement(input);
    expect(r).toMatchObject({ ok: true, evenement: { id: 'evt-0001', seq: 7, numUnique: NUM, type: input.type } });
  });

  it('accepts every kind of CAL decision', () => {
    const decisions = [
      { kind: 'attribution' },
      { kind: 'attributionRang', rang: 1 },
      { kind: 'attributionSousCondition', pieceManquante: 'AVIS_IMPOSITION', dateLimite: '2024-05-30' },
      { kind: 'nonAttribution', motifs: [{ code: 'INADEQUATION_COMPOSITION' }, { code: 'AUTRE', precision: 'texte libre' }] },
      { kind: 'irrecevabilite', sousMotif: 'IRRRES', dateNotification: '2024-05-20' },
    ];
    for (const decision of decisions) {
      expect(validateEvenement(evt('decisionCal', { dateCommission: '2024-05-15', logement, decision })).ok).toBe(true);
    }
  });

  it('fills the lists of the demand of a rectification and reports its unknown codes as warnings under the payload', () => {
    const r = validateEvenement(evt('rectification', { demande: { ...demandeMinimale, demandeur: { ...demandeMinimale.demandeur, civilite: '9' } } }));
    expect(r.ok).toBe(true);
    if (!r.ok || r.evenement.type !== 'rectification') return;
    expect(r.evenement.payload.demande.cotitulaires).toEqual([]);
    expect(r.warnings).toEqual([expect.objectContaining({ path: 'payload.demande.demandeur.civilite', rule: 'unknown-code', code: '9' })]);
  });

  it('refuses a rectification whose demand belongs to another numéro unique', () => {
    const r = validateEvenement(evt('rectification', { demande: { ...demandeMinimale, numUnique: '1110318016982G9999' } }));
    expect(r).toEqual({
      ok: false,
      warnings: [],
      issues: [
        {
          path: 'payload.demande.numUnique',
          rule: 'same-numunique',
          message: "payload.demande.numUnique must equal the event's numUnique (a rectification changes its own demand)",
        },
      ],
    });
  });

  it('names an unknown event type and still checks the envelope', () => {
    const r = validateEvenement({ id: 'bad id!', type: 'DECISION', numUnique: NUM, occurredAt: '2024-05-02' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => [i.path, i.rule])).toEqual([
      ['type', 'unknown-type'],
      ['id', 'invalid_format'],
      ['occurredAt', 'invalid_format'],
    ]);
    expect(r.issues[0]!.message).toBe(
      'type must be one of rectification, renouvellement, demandePieces, designation, inscriptionCal, visite, decisionCal, refus, label, contingent, attribution, radiation, reactivation (a local type needs a line in mappings/local/codes.yaml)',
    );
  });

  it('refuses something that is not an object', () => {
    expect(validateEvenement([1])).toEqual({ ok: false, warnings: [], issues: [{ path: '', rule: 'object', message: 'an event must be a JSON object' }] });
  });

  it('lists every field error of an event with its path and never quotes a value', () => {
    const r = validateEvenement(
      evt(
        'decisionCal',
        { dateCommission: '2024-02-30', logement: { bailleurSiren: '12345', rpls: 'abc' }, decision: { kind: 'attributionSousCondition' } },
        { id: 'x'.repeat(65), occurredAt: '2024-05-02T10:15:00' },
      ),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path)).toEqual([
      'id',
      'occurredAt',
      'payload.dateCommission',
      'payload.logement.bailleurSiren',
      'payload.logement.rpls',
      'payload.decision.pieceManquante',
      'payload.decision.dateLimite',
    ]);
    const text = JSON.stringify(r.issues);
    for (const value of ['2024-02-30', '12345', 'abc', 'x'.repeat(65)]) expect(text).not.toContain(value);
  });

  it('refuses an unknown kind of CAL decision with the list of kinds', () => {
    const r = validateEvenement(evt('decisionCal', { dateCommission: '2024-05-15', logement, decision: { kind: 'DECISION_A' } }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([
      {
        path: 'payload.decision.kind',
        rule: 'invalid_union',
        message: 'kind must be one of attribution, attributionRang, attributionSousCondition, nonAttribution, irrecevabilite',
      },
    ]);
  });

  it.each([
    [
      'a rank below 1',
      { kind: 'attributionRang', rang: 0 },
      'payload.decision.rang',
      'rank-min',
      'decision.rang must be 1 or more for an attribution by rank (R441-3 b)',
    ],
    [
      'a rank beyond the ranked candidates',
      { kind: 'attributionRang', rang: 4, nombreClasses: 3 },
      'payload.decision.rang',
      'rank-within-ranked',
      'decision.rang must not exceed decision.nombreClasses (the number of ranked candidates)',
    ],
    [
      'a deadline on the session day',
      { kind: 'attributionSousCondition', pieceManquante: 'IDENTITE', dateLimite: '2024-05-15' },
      'payload.decision.dateLimite',
      'deadline-after-session',
      'decision.dateLimite must be after dateCommission: the deadline to provide the missing document (R441-3 c)',
    ],
    [
      'a non-attribution without reason',
      { kind: 'nonAttribution', motifs: [] },
      'payload.decision.motifs',
      'reasons-required',
      'decision.motifs needs at least one written reason for a non-attribution (R441-3 d)',
    ],
    [
      'a warning before the session',
      { kind: 'irrecevabilite', sousMotif: 'IRRSEJ', dateNotification: '2024-05-14' },
      'payload.decision.dateNotification',
      'notification-after-session',
      'decision.dateNotification must not be before dateCommission (the applicant is warned after the decision)',
    ],
  ])('refuses a CAL decision with %s', (_what, decision, path, rule, message) => {
    const r = validateEvenement(evt('decisionCal', { dateCommission: '2024-05-15', logement, decision }));
    expect(r).toEqual({ ok: false, warnings: [], issues: [{ path, rule, message }] });
  });

  it('refuses a designation that names no dwelling id', () => {
    const r = validateEvenement(evt('designation', { date: '2024-04-30', logement: { bailleurSiren: SIREN_A } }));
    expect(r).toEqual({
      ok: false,
      warnings: [],
      issues: [{ path: 'payload.logement', rule: 'logement-identified', message: 'logement needs rpls or bailleurLogementId to name the dwelling' }],
    });
  });

  it('lists each missing item of an attribution report with the rule that makes it mandatory', () => {
    const r = validateEvenement(evt('attribution', { logement: { bailleurSiren: SIREN_A, rpls: 'B000000007' } }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path)).toEqual([
      'payload.imputation',
      'payload.dalo',
      'payload.cia',
      'payload.accordCollectif',
      'payload.prioritaireL441',
      'payload.dateSignatureBail',
      'payload.mutationInterne',
    ]);
    expect(r.issues[1]).toEqual({
      path: 'payload.dalo',
      rule: 'attribution-item-required',
      message: 'dalo is mandatory in an attribution report (R441-2-9): true or false: the household holds a favourable DALO decision',
    });
  });

  it('asks for the description of a dwelling that has neither an RPLS id nor a bailleur id', () => {
    const r = validateEvenement(evt('attribution', attributionPayload({ logement: { bailleurSiren: SIREN_A, typeLogement: 'T2' } })));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => [i.path, i.rule])).toEqual([
      ['payload.logement.adresse', 'required-without-rpls'],
      ['payload.logement.surface', 'required-without-rpls'],
      ['payload.logement.qpv', 'required-without-rpls'],
      ['payload.logement.loyer', 'required-without-rpls'],
    ]);
  });

  it('accepts an attribution on a new dwelling described in full', () => {
    expect(validateEvenement(evt('attribution', attributionPayload({ logement: NEW_DWELLING }))).ok).toBe(true);
  });

  it('refuses priority criteria on a household that is not priority', () => {
    const r = validateEvenement(evt('attribution', attributionPayload({ prioritaireL441: false })));
    expect(r).toEqual({
      ok: false,
      warnings: [],
      issues: [{ path: 'payload.criteresL441', rule: 'criteria-need-priority', message: 'criteresL441 may only be given when prioritaireL441 is true' }],
    });
  });

  it('keeps an unknown radiation sub-motif for the mapping layer to judge (no crash of the parse)', () => {
    const r = validateEvenement(evt('radiation', { motif: 'RADXXX', sousMotif: 'IRRZZZ', date: '2024-06-15' }));
    expect(r.ok).toBe(true);
  });
});
