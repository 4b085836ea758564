import { CodecError, CodecErrorCode, parseInterfaceNuu, type DemandeResult } from '../../src/codec';
import { codec, elements, fixture } from './support';

const ok = (d: DemandeResult | undefined) => {
  if (!d?.ok) throw new Error(`expected an accepted demand, got ${JSON.stringify(d)}`);
  return d;
};

function failure(name: string): CodecError {
  try {
    codec.parse(fixture(name));
  } catch (e) {
    if (e instanceof CodecError) return e;
    throw e;
  }
  throw new Error(`${name} parsed without error`);
}

describe('hand-written fixtures (fixtures/codec)', () => {
  it('minimal.xml: one valid demand, no numéro unique, every list empty, no problem', () => {
    const parsed = parseInterfaceNuu(fixture('minimal.xml'), { elements });
    expect(parsed).toMatchObject({ versionInterface: '02.01', entete: { typeFichier: 'CRE', dateFichier: '2024-03-05T09:00:00+01:00' }, form: 'demande', problems: [] });
    const d = ok(parsed.demandes[0]);
    expect(d.demande).toEqual({
      numGuichet: 'G0042',
      dateCreationDemande: '2024-03-05',
      demandeur: {
        civilite: '1',
        nom: 'Martin',
        prenom: 'Paul',
        dateNaissance: '1990-02-28',
        nationalite: '1',
        ressourcesRecues: [],
        ressourcesVersees: [],
      },
      cotitulaires: [],
      personnesACharge: [],
      personnesEnGarde: [],
      logementRecherche: { demandeElargie: false, typesLogement: ['T2'], communes: ['35238'] },
      motifs: [],
      labels: [],
      contingents: [],
    });
    expect(d.warnings).toEqual([]);
  });

  it('full.xml: every block is read, the open ones through the element table', () => {
    const d = ok(codec.parse(fixture('full.xml')).demandes[0]).demande;
    expect(d.dateDernierRenouvellement).toBe('2024-03-01');
    expect(d.dateExpiration).toBe('2025-03-01');
    expect(d.demandeur.adressePostale).toEqual({ etranger: false, numero: '12 bis', voie: "rue de l'Église & des Écoles", codePostal: '01000', commune: { code: '01053' } });
    expect(d.demandeur.telPortable).toBe('0612345678');
    expect(d.demandeur.ressourcesVersees).toEqual([{ code: 'PAV', montant: 150 }]);
    expect(d.ressourcesPersonnesACharge).toEqual({ recues: [{ code: 'BE', montant: 300 }], versees: [{ code: 'PAV', montant: 40 }] });
    expect(d.personnesACharge.map((p) => p.prenom)).toEqual(['Maël', 'Zoé']);
    expect(d.personneANaitre).toEqual({ nombre: 1, dateNaissancePrevue: '2024-08-15' });
    expect(d.personnesEnGarde).toEqual([{ dateNaissance: '2016-05-11', sexe: 'F', coParentalite: 'G' }]);
    expect(d.cotitulaires[0]).toMatchObject({ nom: 'Hervé', lienDemandeur: 'M', situationProfessionnelle: { typeContratTravail: 'ART' } });
    expect(d.logementActuel).toEqual({ modeles: ['LP'], montantMensuelLoyer: 820, nombreHabitant: 5, categorie: 'A', typeLogement: 'T2', surface: 48, proprietaire: 'SCI Exemple' });
    expect(d.logementRecherche).toEqual({ demandeElargie: true, typesLogement: ['T3', 'T4'], categorie: 'I', communes: ['35238', '2A004'] });
    expect(d.motifs).toEqual([{ code: '13' }, { code: '23', precision: 'logement <trop> bruyant' }]);
    expect(d.handicap).toEqual({ etat: 'STA', capaciteMarche: '2', moteur: ['MI'], sensoriel: ['DV'], aidesTechniques: ['1', '4'], equipementsNecessaires: ['6'] });
    expect(d.dalo).toEqual({ statut: 'ACTIF', dateDecision: '2023-12-01' });
    expect(d.accordCollectif).toBe('ACI');
    expect(d.labels).toEqual([{ source: 'DALO', date: '2023-12-01', emetteur: 'COMED35' }]);
    expect(d.contingents).toEqual(['PPRIOR', 'COLTER']);
    expect(d.radiation).toEqual({ motif: 'RADIRR', sousMotif: 'IRRRES', date: '2024-03-04' });
  });

  it.each([
    ['dispatch-demande-prefixed.xml', 'demande'],
    ['dispatch-demandelogement.xml', 'demandeLogement'],
  ])('%s: a dispatch file of three demands, repeated as %s elements', (name, form) => {
    const parsed = codec.parse(fixture(name));
    expect(parsed.form).toBe(form);
    expect(parsed.entete.typeFichier).toBe('DIS');
    expect(parsed.problems).toEqual([]);
    expect(parsed.demandes.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(parsed.demandes.map((d) => ok(d).demande.numUnique)).toEqual(['0350124000001G0001', '0350124000002G0001', '0350224000003G0002']);
    expect(ok(parsed.demandes[1]).demande.logementRecherche.communes).toEqual(['35051', '35238']);
  });

  it('the two dispatch forms and the two namespace styles give the same demands', () => {
    const a = codec.parse(fixture('dispatch-demande-prefixed.xml')).demandes;
    const b = codec.parse(fixture('dispatch-demandelogement.xml')).demandes;
    expect(a).toEqual(b);
  });

  it('lists-no-namespace.xml: no namespace, CRLF, empty lists in both spellings, one-child lists, xsi:nil', () => {
    const parsed = codec.parse(fixture('lists-no-namespace.xml'));
    expect(parsed.problems).toEqual([]);
    const d = ok(parsed.demandes[0]).demande;
    expect(d.numUnique).toBeUndefined();
    expect(d.personnesACharge).toEqual([]);
    expect(d.personnesEnGarde).toEqual([]);
    expect(d.cotitulaires).toEqual([]);
    expect(d.demandeur.ressourcesVersees).toEqual([]);
    expect(d.motifs).toEqual([]);
    expect(d.demandeur.ressourcesRecues).toEqual([{ code: 'RSA', montant: 607 }]);
    expect(d.logementActuel?.modeles).toEqual(['CPE']);
    expect(d.logementRecherche.typesLogement).toEqual(['C']);
  });

  it('corsica-accents.xml: INSEE 2A004 and 2B033, accents written, as references and in CDATA', () => {
    const d = ok(codec.parse(fixture('corsica-accents.xml')).demandes[0]).demande;
    expect(d.logementRecherche.communes).toEqual(['2A004', '2B033']);
    expect(d.demandeur.adressePostale?.commune).toEqual({ code: '2A004' });
    expect(d.demandeur.adressePostale?.codePostal).toBe('20000');
    expect(d.demandeur.nom).toBe('Santoni-Œuvray');
    expect(d.demandeur.prenom).toBe('Élodie-Maïté');
    expect(d.demandeur.adressePostale?.voie).toBe("route d'Ajaccio & <lieu-dit> Ça");
    expect(d.demandeur.situationProfessionnelle?.nomEmployeurPrincipal).toBe('Boulangerie "Chez Ange" & fils');
  });

  it('quarantine.xml: the invalid demand is quarantined with canonical paths and rules, the others pass', () => {
    const parsed = codec.parse(fixture('quarantine.xml'));
    const [first, bad, unknown] = parsed.demandes;
    expect(first?.ok).toBe(true);
    expect(bad).toMatchObject({ index: 1, ok: false, numUnique: '0350124000002G0001' });
    if (bad?.ok !== false) throw new Error('unreachable');
    expect(bad.issues.map(({ path, rule }) => ({ path, rule }))).toEqual([
      { path: 'demandeur.ressourcesRecues[0].montant', rule: 'integer' },
      { path: 'logementRecherche.demandeElargie', rule: 'boolean' },
      { path: 'logementRecherche.typesLogement', rule: 'list-expected' },
      { path: 'dateCreationDemande', rule: 'rule' },
    ]);
    // Unknown codes are kept and reported; an unknown element is reported and ignored.
    const u = ok(unknown);
    expect(u.demande.demandeur.civilite).toBe('9');
    expect(u.demande.demandeur.ressourcesRecues).toEqual([{ code: 'NEW', montant: 100 }]);
    expect(u.warnings.map(({ path, rule }) => ({ path, rule }))).toEqual([
      { path: 'demandeur', rule: 'unknown-element' },
      { path: 'demandeur.civilite', rule: 'unknown-code' },
      { path: 'demandeur.ressourcesRecues[0].code', rule: 'unknown-code' },
    ]);
    expect(u.warnings[1]).toMatchObject({ list: 'civilite', code: '9' });
  });

  it('anomalies.xml: the anomalies of a returned demand come with it, even quarantined', () => {
    const parsed = codec.parse(fixture('anomalies.xml'));
    expect(parsed.entete.typeFichier).toBe('RET');
    const [d] = parsed.demandes;
    expect(d).toMatchObject({ ok: false, numUnique: '0350324000123G0042' });
    expect(d!.anomalies).toEqual([
      { code: 'CTRL_DEM_0012', message: 'Le demandeur doit avoir au moins une localisation souhaitée' },
      { code: 'CTRL_DEM_0031', message: 'Type de logement recherché absent' },
    ]);
  });

  it('reads an anomaly whose message sits in a child element, without quarantining for it', () => {
    const xml = fixture('minimal.xml')
      .toString('utf8')
      .replace('</logementRecherche>', '</logementRecherche><listeAnomalie><anomalie code="CTRL_DEM_0099"><libelle>Message</libelle></anomalie></listeAnomalie>');
    const [d] = codec.parse(xml).demandes;
    expect(d).toMatchObject({ ok: true, anomalies: [{ code: 'CTRL_DEM_0099', message: 'Message' }], warnings: [] });
  });

  it.each([
    ['truncated.xml', CodecErrorCode.malformed, 28, 'not closed'],
    ['bad-nesting.xml', CodecErrorCode.malformed, 12, 'does not match'],
    ['bare-ampersand.xml', CodecErrorCode.malformed, 14, "'&'"],
    ['undefined-entity.xml', CodecErrorCode.malformed, 14, 'undefined entity'],
    ['doctype-entity.xml', CodecErrorCode.dtdForbidden, 2, 'DTD'],
  ])('%s: refused with %s at line %i', (name, code, line, reason) => {
    const e = failure(name);
    expect(e.code).toBe(code);
    expect(e.errorClass).toBe('permanent');
    expect(e.details.line).toBe(line);
    expect(e.message).toContain(`line ${line}`);
    expect(e.message).toContain(reason);
    expect(e.message).not.toMatch(/Martin|Fils|eacute|lol/);
  });

  it('wrong-root.xml and latin1-declared.xml: refused as not an interfaceNuu, and not UTF-8', () => {
    expect(failure('wrong-root.xml').code).toBe(CodecErrorCode.notInterfaceNuu);
    expect(failure('latin1-declared.xml').code).toBe(CodecErrorCode.encoding);
  });
});
