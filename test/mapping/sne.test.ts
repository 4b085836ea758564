import { Demande, validateDemande } from '../../src/domain';
import { validateEvenement, type Evenement } from '../../src/domain/evenement';
import {
  applyDemandeChanges,
  applySptaProfile,
  loadMappings,
  translateCode,
  translateEvenementForSne,
  type RplsLookup,
  type SneTranslation,
} from '../../src/mapping';
import { attributionPayload, demandeMinimale, evt, NEW_DWELLING, NUM, SIREN_A, SIREN_B, tablesCopy, testTables } from './support';

/** A canonical event from a raw one (the tests build valid events). */
function canon(type: string, payload: Record<string, unknown>): Evenement {
  const r = validateEvenement(evt(type, payload));
  if (!r.ok) throw new Error(`test event invalid: ${JSON.stringify(r.issues)}`);
  return r.evenement;
}

const translate = (type: string, payload: Record<string, unknown>, options = {}) => translateEvenementForSne(canon(type, payload), testTables(), options);
const sent = (t: SneTranslation) => {
  if (!t.ok || !t.transmit) throw new Error(`expected a translation to send: ${JSON.stringify(t)}`);
  return t;
};

const ref = { bailleurSiren: SIREN_A, bailleurLogementId: 'LGT-1' };
const refBlock = { name: 'logement', children: [{ name: 'identifiantRpls', text: 'A000000001' }, { name: 'identifiantLogementBailleur', text: 'LGT-1' }, { name: 'sirenBailleur', text: SIREN_A }] };

describe('translating an event for the SNE', () => {
  it('sends a rectification as a MOD file that replaces the demand, under the numéro unique of the event', async () => {
    const t = sent(await translate('rectification', { demande: demandeMinimale }));
    expect(t.typeFichier).toBe('MOD');
    expect(t.block).toBeUndefined();
    expect(t.changes).toEqual([{ op: 'replace', demande: expect.objectContaining({ numUnique: NUM, numGuichet: 'G1104' }) }]);
  });

  it('sends a renewal as a REN file that sets the renewal date and lets the rules derive the expiry', async () => {
    const t = sent(await translate('renouvellement', { date: '2024-04-30' }));
    expect(t).toEqual({
      ok: true,
      transmit: true,
      typeFichier: 'REN',
      changes: [
        { op: 'set', field: 'dateDernierRenouvellement', value: '2024-04-30' },
        { op: 'unset', field: 'dateExpiration' },
      ],
      decidedBy: {},
    });
  });

  it('writes a request for documents with the documents of the limitative list', async () => {
    const t = sent(await translate('demandePieces', { date: '2024-04-30', pieces: ['IDENTITE', 'AVIS_IMPOSITION'], dateLimite: '2024-05-31' }));
    expect(t.typeFichier).toBe('MOD');
    expect(t.block).toEqual({
      name: 'demandePieces',
      children: [
        { name: 'dateDemandePieces', text: '2024-04-30' },
        {
          name: 'listePieceDemandee',
          children: [
            { name: 'pieceDemandee', attributes: { code: 'IDENTITE' }, list: 'piece' },
            { name: 'pieceDemandee', attributes: { code: 'AVIS_IMPOSITION' }, list: 'piece' },
          ],
        },
        { name: 'dateLimitePieces', text: '2024-05-31' },
      ],
    });
  });

  it('refuses to ask for a document outside the limitative list', async () => {
    expect(await translate('demandePieces', { date: '2024-04-30', pieces: ['IDENTITE', 'RELEVE_BANCAIRE'] })).toEqual({
      ok: false,
      violations: [
        {
          path: 'payload.pieces[1]',
          rule: 'limitative-list',
          message: 'pieces[1] must be a document of the limitative list (cal/pieces.yaml): no other document may be asked for',
          table: 'cal/pieces.yaml',
          code: 'RELEVE_BANCAIRE',
        },
      ],
    });
  });

  it('writes a designation with the RPLS id the table gives, and says which entry decided', async () => {
    const t = sent(await translate('designation', { date: '2024-04-30', logement: ref }));
    expect(t.block).toEqual({ name: 'designation', children: [{ name: 'dateDesignation', text: '2024-04-30' }, refBlock] });
    expect(t.decidedBy).toEqual({ rpls: 'rpls/999999001.yaml#logements.LGT-1' });
  });

  it("names a dwelling by the bailleur's id alone when nobody knows its RPLS id", async () => {
    const lookup: RplsLookup = async () => undefined;
    const t = sent(await translate('inscriptionCal', { dateCommission: '2024-05-15', logement: { bailleurSiren: SIREN_B, bailleurLogementId: 'X9' } }, { rplsLookup: lookup }));
    expect(t.block).toEqual({
      name: 'inscriptionCal',
      children: [
        { name: 'dateCommission', text: '2024-05-15' },
        { name: 'logement', children: [{ name: 'identifiantLogementBailleur', text: 'X9' }, { name: 'sirenBailleur', text: SIREN_B }] },
      ],
    });
  });

  it('writes a visit with the SNE code of its status', async () => {
    const t = sent(await translate('visite', { statut: 'proposee', date: '2024-05-10' }));
    expect(t.block).toEqual({
      name: 'visite',
      children: [
        { name: 'statutVisite', attributes: { code: 'PROP' }, list: 'statutVisite' },
        { name: 'dateVisite', text: '2024-05-10' },
      ],
    });
  });

  it('writes a ranked CAL decision with its SNE code and rank', async () => {
    const t = sent(await translate('decisionCal', { dateCommission: '2024-05-15', logement: ref, decision: { kind: 'attributionRang', rang: 2, nombreClasses: 3 } }));
    expect(t.typeFichier).toBe('MOD');
    expect(t.block).toEqual({
      name: 'decisionCal',
      children: [
        { name: 'dateCommission', text: '2024-05-15' },
        refBlock,
        { name: 'typeDecision', attributes: { code: 'ATTRNG' }, list: 'decisionCal' },
        { name: 'rangClassement', text: '2' },
        { name: 'nombreCandidatsClasses', text: '3' },
      ],
    });
    expect(t.decidedBy).toEqual({ rpls: 'rpls/999999001.yaml#logements.LGT-1', decision: 'sne/events.yaml#codes.decisionCal.attributionRang' });
  });

  it('writes the written reasons of a non-attribution with their free text', async () => {
    const t = sent(
      await translate('decisionCal', {
        dateCommission: '2024-05-15',
        logement: { bailleurSiren: SIREN_A, rpls: 'A000000001' },
        decision: { kind: 'nonAttribution', motifs: [{ code: 'ABSENCE_LIEN_COMMUNE' }, { code: 'AUTRE', precision: 'texte' }] },
      }),
    );
    expect(t.block?.children?.slice(2)).toEqual([
      { name: 'typeDecision', attributes: { code: 'NONATT' }, list: 'decisionCal' },
      {
        name: 'listeMotifNonAttribution',
        children: [
          { name: 'motifNonAttribution', attributes: { code: 'ABSENCE_LIEN_COMMUNE' }, list: 'motifNonAttribution' },
          { name: 'motifNonAttribution', attributes: { code: 'AUTRE' }, list: 'motifNonAttribution', children: [{ name: 'precisionMotif', text: 'texte' }] },
        ],
      },
    ]);
  });

  it('writes a conditional attribution with the missing document and its deadline', async () => {
    const t = sent(
      await translate('decisionCal', {
        dateCommission: '2024-05-15',
        logement: { bailleurSiren: SIREN_A, rpls: 'A000000001' },
        decision: { kind: 'attributionSousCondition', pieceManquante: 'TITRE_SEJOUR', dateLimite: '2024-06-15' },
      }),
    );
    expect(t.block?.children?.slice(2)).toEqual([
      { name: 'typeDecision', attributes: { code: 'ATTCND' }, list: 'decisionCal' },
      { name: 'pieceManquante', attributes: { code: 'TITRE_SEJOUR' }, list: 'piece' },
      { name: 'dateLimiteCondition', text: '2024-06-15' },
    ]);
  });

  it('writes a non-receivability and gives the RADIRR radiation due one month after the warning', async () => {
    const t = sent(
      await translate('decisionCal', {
        dateCommission: '2024-05-15',
        logement: { bailleurSiren: SIREN_A, rpls: 'A000000001' },
        decision: { kind: 'irrecevabilite', sousMotif: 'IRRSEJ', dateNotification: '2024-05-17' },
      }),
    );
    expect(t.followUp).toEqual({ radiation: { motif: 'RADIRR', sousMotif: 'IRRSEJ', dueDate: '2024-06-17' } });
    expect(t.block?.children?.slice(2)).toEqual([
      { name: 'typeDecision', attributes: { code: 'IRR' }, list: 'decisionCal' },
      { name: 'sousMotifIrrecevabilite', attributes: { code: 'IRRSEJ' }, list: 'sousMotifRadiation' },
      { name: 'dateNotificationIrrecevabilite', text: '2024-05-17' },
    ]);
  });

  it('refuses a CAL decision that breaks a rule of the tables', async () => {
    const t = await translate('decisionCal', {
      dateCommission: '2024-05-15',
      logement: { bailleurSiren: SIREN_A, rpls: 'A000000001' },
      decision: { kind: 'nonAttribution', motifs: [{ code: 'ABSENCE_LIEN_COMMUNE' }] },
    });
    expect(!t.ok && t.violations.map((v) => v.rule)).toEqual(['reason-never-alone']);
  });

  it('writes a refusal with its reason, and refuses an unknown reason or one missing its free text', async () => {
    const t = sent(await translate('refus', { date: '2024-05-20', motif: 'LOYER_CHARGES' }));
    expect(t.block).toEqual({
      name: 'refusProposition',
      children: [{ name: 'dateRefus', text: '2024-05-20' }, { name: 'motifRefus', attributes: { code: 'LOYER_CHARGES' }, list: 'motifRefus' }],
    });
    expect(await translate('refus', { date: '2024-05-20', motif: 'PAS_ENVIE' })).toEqual({
      ok: false,
      violations: [
        {
          path: 'payload.motif',
          rule: 'unknown-reason',
          message: 'motif is not a reason of cal/motifs-refus.yaml: use one of its codes or add it there',
          table: 'cal/motifs-refus.yaml',
          code: 'PAS_ENVIE',
        },
      ],
    });
    expect(await translate('refus', { date: '2024-05-20', motif: 'AUTRE' })).toEqual({
      ok: false,
      violations: [
        { path: 'payload.precision', rule: 'precision-required', message: 'precision is mandatory with this reason (cal/motifs-refus.yaml: precisionRequired)', table: 'cal/motifs-refus.yaml' },
      ],
    });
  });

  it('adds a label to the demand, and refuses an unknown source', async () => {
    expect(sent(await translate('label', { source: 'CIA', date: '2024-02-01' })).changes).toEqual([{ op: 'addLabel', value: { source: 'CIA', date: '2024-02-01' } }]);
    expect(await translate('label', { source: 'MAIRE', date: '2024-02-01' })).toEqual({
      ok: false,
      violations: [{ path: 'payload.source', rule: 'unknown-code', message: 'source must be a label source: DALO, PDALHPD, PPGD, CIA, ACD, ACI or L441', code: 'MAIRE' }],
    });
  });

  it('sets the contingents of the demand once each, and refuses an unknown type', async () => {
    expect(sent(await translate('contingent', { types: ['PPRIOR', 'COLTER', 'PPRIOR'] })).changes).toEqual([
      { op: 'set', field: 'contingents', value: ['PPRIOR', 'COLTER'] },
    ]);
    expect(await translate('contingent', { types: ['PPRIOR', 'ETAT'] })).toEqual({
      ok: false,
      violations: [
        { path: 'payload.types[1]', rule: 'unknown-code', message: 'types[1] must be a réservataire type: COLTER, COLACT, PPRIOR, PFONCT, AUTRES or AUCUN', code: 'ETAT' },
      ],
    });
  });

  it('sends a radiation as a RAD file that sets the radiation of the demand', async () => {
    const t = sent(await translate('radiation', { motif: 'RADIRR', sousMotif: 'IRRRES', date: '2024-06-15' }));
    expect(t).toMatchObject({ typeFichier: 'RAD', changes: [{ op: 'set', field: 'radiation', value: { motif: 'RADIRR', sousMotif: 'IRRRES', date: '2024-06-15' } }] });
    expect(await translate('radiation', { motif: 'RADIRR', date: '2024-06-15' })).toMatchObject({ ok: false, violations: [{ rule: 'sub-motif-required' }] });
  });

  it('sends a reactivation as an empty radiation motif and lifts the radiation of the demand', async () => {
    const t = sent(await translate('reactivation', { date: '2024-07-01' }));
    expect(t).toEqual({
      ok: true,
      transmit: true,
      typeFichier: 'RAD',
      changes: [{ op: 'unset', field: 'radiation' }],
      block: {
        name: 'radiation',
        children: [{ name: 'motifRadiation', attributes: { code: '' }, list: 'motifRadiation' }, { name: 'dateRadiation', text: '2024-07-01' }],
      },
      decidedBy: {},
    });
  });

  it('takes the file type of a reactivation from the table', async () => {
    const copy = tablesCopy();
    try {
      const text = copy.read('sne/events.yaml');
      copy.write('sne/events.yaml', text.replace(/reactivation:\n {4}typeFichier: RAD/, 'reactivation:\n    typeFichier: MOD'));
      const t = await translateEvenementForSne(canon('reactivation', { date: '2024-07-01' }), loadMappings(copy.dir));
      expect(t.ok && t.transmit && t.typeFichier).toBe('MOD');
    } finally {
      copy.cleanup();
    }
  });

  it('checks but does not send an event type the table keeps out of the SNE', async () => {
    const copy = tablesCopy();
    try {
      const text = copy.read('sne/events.yaml');
      copy.write('sne/events.yaml', text.replace('element: visite', 'transmit: false\n    element: visite'));
      const tables = loadMappings(copy.dir);
      expect(await translateEvenementForSne(canon('visite', { statut: 'effectuee', date: '2024-05-10' }), tables)).toEqual({
        ok: true,
        transmit: false,
        reason: 'sne/events.yaml: evenements.visite.transmit is false',
      });
    } finally {
      copy.cleanup();
    }
  });
});

describe('the attribution block (RADATT)', () => {
  it('carries the RPLS id, the imputation and every flag of R441-2-9, and radiates the demand at the lease date', async () => {
    const t = sent(await translate('attribution', attributionPayload({ dateCommission: '2024-04-20' })));
    expect(t.typeFichier).toBe('RAD');
    expect(t.changes).toEqual([{ op: 'set', field: 'radiation', value: { motif: 'RADATT', date: '2024-05-01' } }]);
    expect(t.decidedBy).toEqual({ imputation: 'reservataires/conventions.yaml#bailleurs[0].reservataires[0]', rpls: 'event' });
    expect(t.block).toEqual({
      name: 'attribution',
      children: [
        { name: 'identifiantRpls', text: 'B000000007' },
        { name: 'sirenBailleur', text: SIREN_A },
        { name: 'dateSignatureBail', text: '2024-05-01' },
        { name: 'typeReservataire', attributes: { code: 'PPRIOR' }, list: 'typeReservataire' },
        { name: 'identifiantReservataire', text: 'ETAT-PRIO' },
        { name: 'menageDalo', attributes: { code: 'OUI' }, list: 'ouiNon' },
        { name: 'publicCia', attributes: { code: 'NON' }, list: 'ouiNon' },
        { name: 'accordCollectif', attributes: { code: 'ACI' }, list: 'accordCollectif' },
        { name: 'prioritaireL441', attributes: { code: 'OUI' }, list: 'ouiNon' },
        { name: 'listeCriterePriorite', children: [{ name: 'criterePriorite', attributes: { code: 'L441_K' }, list: 'critereL441' }] },
        { name: 'mutationInterne', attributes: { code: 'NON' }, list: 'ouiNon' },
        { name: 'dateCommission', text: '2024-04-20' },
      ],
    });
  });

  it('describes a dwelling without RPLS id instead, charged to the bailleur', async () => {
    const t = sent(
      await translate(
        'attribution',
        attributionPayload({ logement: NEW_DWELLING, imputation: { type: 'bailleur' }, dalo: false, prioritaireL441: false, criteresL441: [], mutationInterne: true }),
      ),
    );
    expect(t.decidedBy).toEqual({ imputation: 'builtin#stockBailleur (AUCUN)' });
    expect(t.block).toEqual({
      name: 'attribution',
      children: [
        {
          name: 'logementSansRpls',
          children: [
            {
              name: 'adresseLogement',
              children: [
                { name: 'numero', text: '12' },
                { name: 'voie', text: 'rue des Essais' },
                { name: 'codePostal', text: '35000' },
                { name: 'commune', attributes: { code: '35238' } },
              ],
            },
            { name: 'typeLogementRpls', attributes: { code: 'T3' }, list: 'typeLogementRpls' },
            { name: 'surfaceHabitable', text: '67.5' },
            { name: 'zus', attributes: { code: 'ZUSNON' }, list: 'qpv' },
            { name: 'loyerMensuel', text: '452' },
          ],
        },
        { name: 'sirenBailleur', text: SIREN_A },
        { name: 'dateSignatureBail', text: '2024-05-01' },
        { name: 'typeReservataire', attributes: { code: 'AUCUN' }, list: 'typeReservataire' },
        { name: 'menageDalo', attributes: { code: 'NON' }, list: 'ouiNon' },
        { name: 'publicCia', attributes: { code: 'NON' }, list: 'ouiNon' },
        { name: 'accordCollectif', attributes: { code: 'ACI' }, list: 'accordCollectif' },
        { name: 'prioritaireL441', attributes: { code: 'NON' }, list: 'ouiNon' },
        { name: 'mutationInterne', attributes: { code: 'OUI' }, list: 'ouiNon' },
      ],
    });
  });

  it("finds the RPLS id through the local tool when only the bailleur's id is known", async () => {
    const lookup: RplsLookup = async ({ bailleurLogementId }) => (bailleurLogementId === 'B-77' ? 'C000000077' : undefined);
    const t = sent(
      await translate('attribution', attributionPayload({ logement: { bailleurSiren: SIREN_B, bailleurLogementId: 'B-77' } }), { rplsLookup: lookup }),
    );
    expect(t.block?.children?.[0]).toEqual({ name: 'identifiantRpls', text: 'C000000077' });
    expect(t.decidedBy.rpls).toBe('lookup');
  });

  it('refuses an attribution whose dwelling is neither identified nor described', async () => {
    const t = await translate('attribution', attributionPayload({ logement: { bailleurSiren: SIREN_B, bailleurLogementId: 'B-404', typeLogement: 'T2' } }));
    expect(!t.ok && t.violations.map((v) => v.path)).toEqual([
      'payload.logement.adresse',
      'payload.logement.surface',
      'payload.logement.qpv',
      'payload.logement.loyer',
    ]);
  });
});

describe('SPTA dialects', () => {
  const profile = { codeTranslations: { decisionCal: { ATTRNG: 'RANG' }, ouiNon: { OUI: 'O', NON: 'N' }, typeReservataire: { PPRIOR: 'ETATP' } } };

  it("translates the codes of a block into the profile's dialect and leaves the rest unchanged", async () => {
    const t = sent(await translate('attribution', attributionPayload()));
    const spta = sent(applySptaProfile(t, profile));
    const codes = (spta.block?.children ?? []).filter((c) => c.attributes).map((c) => `${c.name}=${c.attributes!.code}`);
    expect(codes).toEqual(['typeReservataire=ETATP', 'menageDalo=O', 'publicCia=N', 'accordCollectif=ACI', 'prioritaireL441=O', 'mutationInterne=N']);
    expect(spta.changes).toEqual(t.changes);
    expect(t.block?.children?.[3]).toEqual({ name: 'typeReservataire', attributes: { code: 'PPRIOR' }, list: 'typeReservataire' });
  });

  it('translates a CAL decision code, and passes a code without translation through', async () => {
    const rang = sent(applySptaProfile(await translate('decisionCal', { dateCommission: '2024-05-15', logement: ref, decision: { kind: 'attributionRang', rang: 1 } }), profile));
    expect(rang.block?.children?.[2]).toEqual({ name: 'typeDecision', attributes: { code: 'RANG' }, list: 'decisionCal' });
    expect(translateCode(profile, 'decisionCal', 'ATT')).toBe('ATT');
    expect(translateCode(profile, 'inconnue', 'X')).toBe('X');
  });

  it('leaves a refused translation as it is', () => {
    const refused: SneTranslation = { ok: false, violations: [] };
    expect(applySptaProfile(refused, profile)).toBe(refused);
  });
});

describe('applying the changes of an event to a demand', () => {
  const base = (): Demande => {
    const r = validateDemande({ ...demandeMinimale, numUnique: NUM, dateExpiration: '2024-03-01', radiation: { motif: 'RADCON', date: '2024-02-01' } });
    if (!r.ok) throw new Error('test demand invalid');
    return r.demande;
  };

  it('renews, lifts the radiation and keeps the keys in the order of the schema', () => {
    const out = applyDemandeChanges(base(), [
      { op: 'set', field: 'dateDernierRenouvellement', value: '2024-04-30' },
      { op: 'unset', field: 'dateExpiration' },
      { op: 'unset', field: 'radiation' },
    ]);
    expect(out.dateDernierRenouvellement).toBe('2024-04-30');
    expect(out).not.toHaveProperty('dateExpiration');
    expect(out).not.toHaveProperty('radiation');
    expect(JSON.stringify(out)).toBe(JSON.stringify(Demande.parse(out)));
  });

  it('adds a label once, however often the event is replayed', () => {
    const label = { source: 'DALO', date: '2024-01-10' };
    const once = applyDemandeChanges(base(), [{ op: 'addLabel', value: label }]);
    const twice = applyDemandeChanges(once, [{ op: 'addLabel', value: label }]);
    expect(twice.labels).toEqual([label]);
  });

  it('replaces the whole demand for a rectification without touching the input', () => {
    const input = base();
    const replacement = { ...input, numGuichet: 'G2000' };
    expect(applyDemandeChanges(input, [{ op: 'replace', demande: replacement }]).numGuichet).toBe('G2000');
    expect(input.numGuichet).toBe('G1104');
  });
});
