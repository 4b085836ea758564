import type { DecisionCalPayload } from '../../src/domain/evenement';
import { attributedButNotHoused, mapDecisionCal } from '../../src/mapping';
import { SIREN_A, testTables } from './support';

const logement = { bailleurSiren: SIREN_A, rpls: 'A000000001' };
const payload = (decision: Record<string, unknown>, dateCommission = '2024-05-15') =>
  ({ dateCommission, logement, decision }) as DecisionCalPayload;

describe('mapping a CAL decision', () => {
  it.each([
    ['an attribution', { kind: 'attribution' }, 'ATT'],
    ['an attribution by rank', { kind: 'attributionRang', rang: 3, nombreClasses: 3 }, 'ATTRNG'],
    ['a conditional attribution waiting for a document of the limitative list', { kind: 'attributionSousCondition', pieceManquante: 'AVIS_IMPOSITION', dateLimite: '2024-06-15' }, 'ATTCND'],
    ['a non-attribution with a written reason', { kind: 'nonAttribution', motifs: [{ code: 'INADEQUATION_COMPOSITION' }] }, 'NONATT'],
    [
      'a non-attribution where no link with the commune comes with another reason',
      { kind: 'nonAttribution', motifs: [{ code: 'ABSENCE_LIEN_COMMUNE' }, { code: 'CANDIDAT_PRIORITAIRE' }] },
      'NONATT',
    ],
    ['a non-attribution for another reason with its free text', { kind: 'nonAttribution', motifs: [{ code: 'AUTRE', precision: 'texte' }] }, 'NONATT'],
  ])('maps %s to its SNE code without follow-up', (_what, decision, sneCode) => {
    const r = mapDecisionCal(payload(decision), testTables());
    expect(r).toEqual({ ok: true, value: { decision, sneCode } });
  });

  it('says a non-receivable demand is to be radiated RADIRR one month after the session, with its sub-motif', () => {
    const r = mapDecisionCal(payload({ kind: 'irrecevabilite', sousMotif: 'IRRRES' }, '2024-01-31'), testTables());
    expect(r).toEqual({
      ok: true,
      value: {
        decision: { kind: 'irrecevabilite', sousMotif: 'IRRRES' },
        sneCode: 'IRR',
        followUp: { radiation: { motif: 'RADIRR', sousMotif: 'IRRRES', dueDate: '2024-02-29' } },
      },
    });
  });

  it('counts the month from the warning when the decision says when the applicant was warned', () => {
    const r = mapDecisionCal(payload({ kind: 'irrecevabilite', sousMotif: 'IRRSEJ', dateNotification: '2024-05-20' }), testTables());
    expect(r.ok && r.value.followUp).toEqual({ radiation: { motif: 'RADIRR', sousMotif: 'IRRSEJ', dueDate: '2024-06-20' } });
  });

  it.each([
    [
      'a rank below 1',
      { kind: 'attributionRang', rang: 0 },
      [{ path: 'payload.decision.rang', rule: 'rank-min', message: 'decision.rang must be 1 or more for an attribution by rank (R441-3 b)' }],
    ],
    [
      'a deadline before the session',
      { kind: 'attributionSousCondition', pieceManquante: 'IDENTITE', dateLimite: '2024-05-01' },
      [
        {
          path: 'payload.decision.dateLimite',
          rule: 'deadline-after-session',
          message: 'decision.dateLimite must be after dateCommission: the deadline to provide the missing document (R441-3 c)',
        },
      ],
    ],
    [
      'a missing document outside the limitative list',
      { kind: 'attributionSousCondition', pieceManquante: 'RELEVE_BANCAIRE', dateLimite: '2024-06-01' },
      [
        {
          path: 'payload.decision.pieceManquante',
          rule: 'limitative-list',
          message: 'decision.pieceManquante must be a document of the limitative list (cal/pieces.yaml): a CAL may only wait for one of them (R441-3 c)',
          table: 'cal/pieces.yaml',
          code: 'RELEVE_BANCAIRE',
        },
      ],
    ],
    [
      'no written reason',
      { kind: 'nonAttribution', motifs: [] },
      [{ path: 'payload.decision.motifs', rule: 'reasons-required', message: 'decision.motifs needs at least one written reason for a non-attribution (R441-3 d)' }],
    ],
    [
      'no link with the commune as the only reason',
      { kind: 'nonAttribution', motifs: [{ code: 'ABSENCE_LIEN_COMMUNE' }] },
      [
        {
          path: 'payload.decision.motifs',
          rule: 'reason-never-alone',
          message:
            'decision.motifs cannot rest only on a reason that is never enough alone, such as no link with the commune (R441-3 d; cal/motifs-non-attribution.yaml: neverAlone): give another written reason',
          table: 'cal/motifs-non-attribution.yaml',
        },
      ],
    ],
    [
      'no link with the commune given twice and nothing else',
      { kind: 'nonAttribution', motifs: [{ code: 'ABSENCE_LIEN_COMMUNE' }, { code: 'ABSENCE_LIEN_COMMUNE' }] },
      [expect.objectContaining({ path: 'payload.decision.motifs', rule: 'reason-never-alone' })],
    ],
    [
      'a reason outside the table',
      { kind: 'nonAttribution', motifs: [{ code: 'INADEQUATION_COMPOSITION' }, { code: 'TETE_DU_CLIENT' }] },
      [
        {
          path: 'payload.decision.motifs[1].code',
          rule: 'unknown-reason',
          message: 'decision.motifs[1].code is not a reason of cal/motifs-non-attribution.yaml: use one of its codes or add it there',
          table: 'cal/motifs-non-attribution.yaml',
          code: 'TETE_DU_CLIENT',
        },
      ],
    ],
    [
      'the reason "other" without its free text',
      { kind: 'nonAttribution', motifs: [{ code: 'AUTRE', precision: '  ' }] },
      [
        {
          path: 'payload.decision.motifs[0].precision',
          rule: 'precision-required',
          message: 'decision.motifs[0].precision is mandatory with this reason (cal/motifs-non-attribution.yaml: precisionRequired)',
          table: 'cal/motifs-non-attribution.yaml',
        },
      ],
    ],
    [
      'a non-receivability sub-motif that is not one of RADIRR',
      { kind: 'irrecevabilite', sousMotif: 'IRRAGE' },
      [
        {
          path: 'payload.decision.sousMotif',
          rule: 'sub-motif',
          message:
            'decision.sousMotif must be a sub-motif of RADIRR in radiation.yaml (IRRSEJ irregular stay or IRRRES resources above ceiling): non-receivability rests only on legal access conditions (R441-3 e)',
          table: 'radiation.yaml',
          code: 'IRRAGE',
        },
      ],
    ],
  ])('refuses %s', (_what, decision, violations) => {
    expect(mapDecisionCal(payload(decision), testTables())).toEqual({ ok: false, violations });
  });

  it('prefixes the paths with the place of the payload it is given', () => {
    const r = mapDecisionCal(payload({ kind: 'attributionRang', rang: 0 }), testTables(), 'evenement.payload');
    expect(!r.ok && r.violations[0]!.path).toBe('evenement.payload.decision.rang');
  });
});

describe('finding the ranked candidates attributed but not housed', () => {
  const ranked = (numUnique: string, rang: number, dateCommission = '2024-05-15', l: Record<string, string> = logement) => ({
    numUnique,
    payload: { dateCommission, logement: l, decision: { kind: 'attributionRang', rang, nombreClasses: 3 } } as DecisionCalPayload,
  });
  const decisions = [
    ranked('N1', 1),
    ranked('N2', 2),
    ranked('N3', 3),
    ranked('N9', 2, '2024-05-15', { bailleurSiren: SIREN_A, rpls: 'A000000099' }),
    ranked('N4', 4, '2024-03-01'),
  ];

  it('names those ranked below the one who signed the lease, by rank, for the same dwelling and session', () => {
    expect(attributedButNotHoused(decisions, { numUnique: 'N1', logement })).toEqual(['N2', 'N3']);
    expect(attributedButNotHoused(decisions, { numUnique: 'N2', logement: { bailleurSiren: SIREN_A, rpls: 'A000000001' } })).toEqual(['N3']);
  });

  it('names nobody when the housed candidate was last, or not ranked on that dwelling', () => {
    expect(attributedButNotHoused(decisions, { numUnique: 'N3', logement })).toEqual([]);
    expect(attributedButNotHoused(decisions, { numUnique: 'N7', logement })).toEqual([]);
  });

  it('uses the session the attribution names', () => {
    expect(attributedButNotHoused(decisions, { numUnique: 'N1', logement, dateCommission: '2024-03-01' })).toEqual([]);
  });
});
