import { applyLocalCodes, loadMappings, prepareEvenement } from '../../src/mapping';
import { attributionPayload, evt, NEW_DWELLING, SIREN_A, tablesCopy, testTables } from './support';

const logement = { bailleurSiren: SIREN_A, rpls: 'A000000001' };

describe('translating the local codes of an event', () => {
  it('translates a local event type, decision kind and reasons, and keeps the canonical codes as they are', () => {
    const raw = evt('DECISION_CAL', {
      dateCommission: '2024-05-15',
      logement,
      decision: { kind: 'DECISION_D', motifs: [{ code: 'HORS_COMMUNE' }, { code: 'INADEQUATION_COMPOSITION' }, { code: 'TROP_CHER' }] },
    });
    const before = structuredClone(raw);
    const r = applyLocalCodes(raw, testTables());
    expect(r).toEqual({
      ok: true,
      value: evt('decisionCal', {
        dateCommission: '2024-05-15',
        logement,
        decision: {
          kind: 'nonAttribution',
          motifs: [{ code: 'ABSENCE_LIEN_COMMUNE' }, { code: 'INADEQUATION_COMPOSITION' }, { code: 'INADEQUATION_RESSOURCES' }],
        },
      }),
    });
    expect(raw).toEqual(before);
  });

  it('translates codes inside lists and nested objects of an attribution', () => {
    const r = applyLocalCodes(
      evt('ATTRIB', attributionPayload({ logement: { ...NEW_DWELLING, qpv: 'O' }, imputation: { type: 'reservataire', reservataireId: 'PREF' } })),
      testTables(),
    );
    expect(r.ok && (r.value as { payload: unknown }).payload).toMatchObject({
      logement: { qpv: 'ZUSOUI' },
      imputation: { reservataireId: 'ETAT-PRIO' },
    });
  });

  it('translates each requested document of a list', () => {
    const r = applyLocalCodes(evt('demandePieces', { date: '2024-05-01', pieces: ['CNI', 'AVIS_IMPOSITION'] }), testTables());
    expect(r.ok && (r.value as { payload: { pieces: string[] } }).payload.pieces).toEqual(['IDENTITE', 'AVIS_IMPOSITION']);
  });

  it('lets the codes of a list the table does not translate pass through', () => {
    const raw = evt('radiation', { motif: 'RADABA', date: '2024-05-01' });
    expect(applyLocalCodes(raw, testTables())).toEqual({ ok: true, value: raw });
  });

  it('reports an unknown local code with the list and the table to edit, the code aside from the message', () => {
    const r = applyLocalCodes(
      evt('decisionCal', { dateCommission: '2024-05-15', logement, decision: { kind: 'DECISION_Z' } }),
      testTables(),
    );
    expect(r).toEqual({
      ok: false,
      violations: [
        {
          path: 'payload.decision.kind',
          rule: 'unknown-local-code',
          message:
            'payload.decision.kind is neither a local code of list decisionCal nor one of its canonical codes: add it to local/codes.yaml (lists.decisionCal), then replay the event',
          table: 'local/codes.yaml',
          code: 'DECISION_Z',
        },
      ],
    });
  });

  it('keeps a value that is not shaped like a code out of the violation (it may be free text)', () => {
    const r = applyLocalCodes(evt('refus', { date: '2024-05-20', motif: 'trop loin de chez ma mère' }), {
      ...testTables(),
      localCodes: { version: 1, lists: { motifRefus: { LOIN: 'ELOIGNEMENT' } } },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.violations).toEqual([expect.objectContaining({ path: 'payload.motif', rule: 'unknown-local-code' })]);
    expect(r.violations[0]).not.toHaveProperty('code');
    expect(JSON.stringify(r.violations)).not.toContain('mère');
  });

  it('maps the same event once the table has the missing line (a replay after the fix)', () => {
    const raw = evt('decisionCal', { dateCommission: '2024-05-15', logement, decision: { kind: 'DECISION_Z' } });
    const copy = tablesCopy();
    try {
      copy.write(
        'local/codes.yaml',
        ['version: 2', 'lists:', '  decisionCal:', '    DECISION_Z: attribution'].join('\n'),
      );
      const fixed = loadMappings(copy.dir);
      expect(prepareEvenement(raw, fixed)).toMatchObject({ ok: true, evenement: { payload: { decision: { kind: 'attribution' } } } });
    } finally {
      copy.cleanup();
    }
  });

  it('prepares a raw event into a canonical one, or gives the field errors of validation', () => {
    expect(prepareEvenement(evt('renouvellement', { date: '2024-05-01' }), testTables())).toMatchObject({ ok: true, evenement: { type: 'renouvellement' } });
    expect(prepareEvenement(evt('renouvellement', { date: '01/05/2024' }), testTables())).toEqual({
      ok: false,
      violations: [{ path: 'payload.date', rule: 'rule', message: 'must be a real date written YYYY-MM-DD' }],
    });
  });

  it('leaves what is not an object to validation', () => {
    expect(applyLocalCodes('x', testTables())).toEqual({ ok: true, value: 'x' });
  });
});
