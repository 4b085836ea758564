import { codedFields, validateDemande, type DemandeInput } from '../../src/domain';
import {
  addMonths,
  exceedsDelaiAnormalementLong,
  expiryDate,
  isExpiredNotRadiated,
  isRenewalDue,
  isRetentionExceeded,
} from '../../src/domain/rules';

const minimal: DemandeInput = {
  numUnique: '1110318016982G1104',
  numGuichet: 'G1104',
  dateCreationDemande: '2018-03-01',
  demandeur: {
    civilite: '2',
    nom: 'Lefèvre-Nguyễn',
    prenom: 'Éloïse',
    dateNaissance: '1985-02-28',
    nationalite: '1',
  },
  logementRecherche: { demandeElargie: false, typesLogement: ['T3'], communes: ['2A004'] },
};

describe('the canonical demand', () => {
  it('accepts a minimal demand and fills every list with an empty one', () => {
    const r = validateDemande(minimal);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.demande.cotitulaires).toEqual([]);
    expect(r.demande.labels).toEqual([]);
    expect(r.demande.demandeur.ressourcesRecues).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('keeps an unknown code and reports it as a warning naming the field and the list', () => {
    const r = validateDemande({ ...minimal, demandeur: { ...minimal.demandeur, civilite: '9' } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.demande.demandeur.civilite).toBe('9');
    expect(r.warnings).toEqual([
      expect.objectContaining({ path: 'demandeur.civilite', rule: 'unknown-code', list: 'civilite', code: '9' }),
    ]);
  });

  it('rejects an impossible date and a RADIRR radiation without sub-motif, naming each path and never the value', () => {
    const r = validateDemande({
      ...minimal,
      demandeur: { ...minimal.demandeur, dateNaissance: '1985-02-30' },
      radiation: { motif: 'RADIRR', date: '2020-01-01' },
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path)).toEqual(['demandeur.dateNaissance', 'radiation.sousMotif']);
    expect(JSON.stringify(r.issues)).not.toContain('1985-02-30');
  });

  it('accepts Corsican INSEE codes and refuses a code that is not an INSEE code', () => {
    const bad = validateDemande({
      ...minimal,
      logementRecherche: { ...minimal.logementRecherche, communes: ['2A004', '2C123'] },
    });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.issues[0]).toMatchObject({ path: 'logementRecherche.communes[1]' });
  });

  it('reports an unusual numéro unique layout as a warning, not a rejection', () => {
    const r = validateDemande({ ...minimal, numUnique: 'NAT2027000000042' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.warnings.map((w) => w.rule)).toEqual(['numunique-shape']);
  });

  it('finds every coded field from the schema itself', () => {
    const paths = codedFields().map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'demandeur.civilite',
        'cotitulaires[].lienDemandeur',
        'personnesACharge[].lienParente',
        'logementRecherche.typesLogement[]',
        'radiation.sousMotif',
        'contingents[]',
      ]),
    );
  });
});

describe('the business rules', () => {
  const base = validateDemande(minimal);
  if (!base.ok) throw new Error('fixture invalid');
  const d = base.demande;

  it('counts validity one year from filing, or from the last renewal', () => {
    expect(expiryDate(d)).toBe('2019-03-01');
    expect(expiryDate({ ...d, dateDernierRenouvellement: '2024-01-31' })).toBe('2025-01-31');
    expect(addMonths('2024-01-31', 1)).toBe('2024-02-29');
  });

  it('flags renewal due within 30 days and expired demands that were not radiated', () => {
    const renewed = { ...d, dateDernierRenouvellement: '2025-12-01' };
    expect(isRenewalDue(renewed, '2026-11-15')).toBe(true);
    expect(isRenewalDue(renewed, '2026-10-01')).toBe(false);
    expect(isExpiredNotRadiated(renewed, '2026-12-02')).toBe(true);
    expect(isExpiredNotRadiated({ ...renewed, radiation: { motif: 'RADREN', date: '2026-12-02' } }, '2026-12-03')).toBe(false);
  });

  it('flags a demand waiting longer than the délai anormalement long, counted from first filing', () => {
    expect(exceedsDelaiAnormalementLong(d, '2020-03-02', 24)).toBe(true);
    expect(exceedsDelaiAnormalementLong(d, '2020-02-28', 24)).toBe(false);
  });

  it('says when data were kept more than one year after radiation', () => {
    const radiee = { ...d, radiation: { motif: 'RADABA', date: '2025-01-10' } };
    expect(isRetentionExceeded(radiee, '2026-01-11')).toBe(true);
    expect(isRetentionExceeded(radiee, '2026-01-10')).toBe(false);
  });
});
