/**
 * Code lists of the SNE interface 02.01 (domain.md §4, all [sure]). Each list maps a code to its label.
 * Codes travel as strings; a value outside its list is kept and reported as a warning (a new interface
 * version may add codes), never a crash.
 */
export const codeLists = {
  civilite: { '1': 'M.', '2': 'Mme', '3': 'Mlle' },
  nationalite: { '1': 'française', '2': 'Union européenne', '3': 'hors Union européenne' },
  sexe: { M: 'masculin', F: 'féminin' },
  situationFamiliale: {
    C: 'célibataire',
    M: 'marié(e)',
    D: 'divorcé(e)',
    S: 'séparé(e)',
    P: 'pacsé(e)',
    U: 'concubinage',
    V: 'veuf / veuve',
  },
  lienDemandeur: { M: 'conjoint(e)', P: 'partenaire de PACS', C: 'concubin(e)', L: 'colocataire' },
  lienParente: { P: 'parent', E: 'enfant', A: 'autre' },
  coParentalite: { G: 'garde alternée', D: 'droit de visite' },
  typeLogement: {
    C: 'chambre',
    T1: 'T1',
    T2: 'T2',
    T3: 'T3',
    T4: 'T4',
    T5: 'T5',
    T6P: 'T6 et plus',
  },
  categorieLogement: { A: 'appartement', M: 'maison', I: 'indifférent' },
  typeContratTravail: {
    CDI: 'CDI',
    CDD: 'CDD, stage, intérim',
    ART: 'artisan, commerçant, profession libérale',
    CHO: 'chômage',
    APP: 'apprenti',
    ETU: 'étudiant',
    RET: 'retraité',
    AUT: 'autre',
  },
  ressourceRecue: {
    SAL: 'salaire',
    RET: 'retraite',
    CHO: 'allocation chômage',
    PAR: 'pension alimentaire reçue',
    PINV: "pension d'invalidité",
    AF: 'allocations familiales',
    AAH: 'allocation adulte handicapé',
    AEEH: "allocation d'éducation de l'enfant handicapé",
    AJPP: 'allocation journalière de présence parentale',
    RSA: 'revenu de solidarité active',
    AMV: 'allocation minimum vieillesse',
    PAJE: "prestation d'accueil du jeune enfant",
    BE: "bourse d'étudiant",
    AUT: 'autre',
  },
  ressourceVersee: { PAV: 'pension alimentaire versée' },
  modeleLogement: {
    HLM: 'logement social',
    LP: 'locataire du parc privé',
    RS: 'résidence sociale, foyer',
    RHVS: 'résidence hôtelière à vocation sociale',
    RE: 'résidence étudiante',
    SLHT: 'sous-locataire ou hébergé temporaire',
    SH: "structure d'hébergement",
    CDEFCM: 'centre départemental de l’enfance, foyer, centre maternel',
    CPE: 'chez parents ou enfants',
    CP: 'chez un particulier',
    LTG: 'logé à titre gratuit',
    FONC: 'logement de fonction',
    POCC: 'propriétaire occupant',
    CAMCAR: 'camping, caravane',
    HOT: 'hôtel',
    SD: 'sans domicile',
    SQUAT: 'squat',
  },
  motifDemande: {
    '01': 'sans logement ou hébergé temporairement',
    '02': 'démolition',
    '03': 'logement indécent, insalubre ou dangereux',
    '04': 'logement repris ou mis en vente',
    '05': "procédure d'expulsion",
    '06': 'violences familiales',
    '07': 'handicap',
    '08': 'raisons de santé',
    '09': 'logement trop cher',
    '10': 'logement trop grand',
    '11': 'divorce, séparation',
    '12': 'décohabitation',
    '13': 'logement trop petit',
    '14': 'futur mariage ou PACS',
    '15': 'regroupement familial',
    '16': 'assistante maternelle',
    '17': 'environnement, voisinage',
    '18': 'mutation professionnelle',
    '19': 'rapprochement du lieu de travail',
    '20': 'rapprochement des services',
    '21': 'rapprochement de la famille',
    '22': 'propriétaire en difficulté',
    '23': 'autre motif',
  },
  etatHandicap: { STA: 'stable', EVO: 'évolutif' },
  capaciteMarche: { '1': 'niveau 1', '2': 'niveau 2', '3': 'niveau 3', '4': 'niveau 4' },
  handicapMoteur: { MS: 'membres supérieurs', MI: 'membres inférieurs' },
  handicapSensoriel: { DA: 'déficience auditive', DV: 'déficience visuelle' },
  aideTechnique: { '1': '1', '2': '2', '3': '3', '4': '4', '5': '5', '6': '6', '7': '7' },
  equipementNecessaire: { '1': '1', '2': '2', '3': '3', '4': '4', '5': '5', '6': '6' },
  motifRadiation: {
    RADATT: "attribution d'un logement",
    RADABA: 'renonciation',
    RADIRR: 'irrecevabilité',
    RADCON: 'absence de réponse',
    RADREN: 'non-renouvellement',
  },
  sousMotifRadiation: { IRRSEJ: 'séjour irrégulier', IRRRES: 'ressources supérieures au plafond' },
  typeReservataire: {
    COLTER: 'collectivités territoriales, EPCI',
    COLACT: 'employeurs, Action Logement',
    PPRIOR: 'État, ménages prioritaires',
    PFONCT: "État, fonctionnaires et agents de l'État",
    AUTRES: 'autres réservataires',
    AUCUN: 'non réservé (bailleur)',
  },
  accordCollectif: {
    ACD: 'accord collectif départemental',
    ACI: 'accord collectif intercommunal',
    AUCUN: 'aucun',
    NONDOC: 'non renseigné',
  },
  statutDalo: { NON: 'non', ACTIF: 'actif', CADUC: 'caduc', ACTREL: 'actif et relogé' },
  ouiNon: { OUI: 'oui', NON: 'non', NONDOC: 'non renseigné' },
  typeLogementRpls: {
    T1: 'T1',
    T2: 'T2',
    T3: 'T3',
    T4: 'T4',
    T5: 'T5',
    T6: 'T6',
    T7: 'T7',
    T8: 'T8',
    T9P: 'T9 et plus',
  },
  qpv: { ZUSOUI: 'en QPV', ZUSNON: 'hors QPV', ZUSNSP: 'ne sait pas' },
  /** Sources of a priority label (domain.md §2.8). Local event codes, kept in the canonical model. */
  sourceLabel: {
    DALO: 'décision favorable DALO',
    PDALHPD: 'instance locale du PDALHPD',
    PPGD: 'instance partenariale du PPGD',
    CIA: 'commission de coordination de la CIA',
    ACD: 'accord collectif départemental',
    ACI: 'accord collectif intercommunal',
    L441: 'priorité L441-1 reconnue par un réservataire ou un bailleur',
  },
} as const;

export type CodeListName = keyof typeof codeLists;
/** A known code of a list, or any other string (kept, reported as a warning). */
export type CodeOf<L extends CodeListName> = keyof (typeof codeLists)[L] | (string & {});

/** True when `code` belongs to the list. */
export function isKnownCode(list: CodeListName, code: string): boolean {
  return Object.prototype.hasOwnProperty.call(codeLists[list], code);
}

/** The codes of a list, in their documented order. */
export function codesOf(list: CodeListName): string[] {
  return Object.keys(codeLists[list]);
}
