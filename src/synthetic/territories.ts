/**
 * Territory presets of the synthetic generator, as data: the communes of an EPCI (INSEE code, postcode,
 * a weight close to its share of the population), its registration desks, and the communes outside it
 * where some applicants currently live.
 *
 * INSEE codes are the real ones (checked against the official geographic code; codes we were not sure
 * of were left out). Street names are ordinary French street names, house numbers are synthetic.
 */

export interface CommunePreset {
  /** INSEE commune code (5 characters, `2A004` in Corsica). */
  insee: string;
  name: string;
  /** Postcodes of the commune; a commune may have several (Rennes). */
  postcodes: readonly string[];
  /** Relative weight (roughly the population share): where applicants live and what they ask for. */
  weight: number;
  /** Streets typical of this commune, drawn before the common list. */
  streets?: readonly string[];
}

/** A registration desk (guichet enregistreur): its 5-character code and what it is. */
export interface DeskPreset {
  /** `G` + 4 digits, or a mnemonic such as `GDPUB` (public portal): also the desk part of the numéro unique. */
  code: string;
  label: string;
  /** Share of the demands registered at this desk. */
  weight: number;
}

export interface TerritoryPreset {
  key: string;
  label: string;
  /** Department code as INSEE writes it (`35`, `2A`). */
  department: string;
  /**
   * The 3-digit territory part of the numéro unique. Departments are zero-padded (`35` -> `035`). The
   * usual layout is digits only (validate.ts `NUM_UNIQUE_USUAL`), so Corsica (`2A`, `2B`) uses `020`:
   * INSEE's historical department number 20, which both halves shared until 1976 and which INSEE still
   * uses to sort them. Real SNE numbers of Corsica have not been seen: [open].
   */
  numUniqueTerritory: string;
  /** Short identifier used in label issuers (`CIA-RM`): an institution, never a person. */
  shortCode: string;
  communes: readonly CommunePreset[];
  desks: readonly DeskPreset[];
  /** Communes elsewhere (same department, other regions) where a few applicants live today. */
  elsewhere: readonly CommunePreset[];
  /** Corsican communes used for the ~1 % of applicants living in Corsica (see generate.ts). */
  corsica: readonly CommunePreset[];
  /** Regional surnames mixed into the French pool (Breton, Corsican). */
  regionalSurnames: readonly string[];
}

const AJACCIO: CommunePreset = {
  insee: '2A004',
  name: 'Ajaccio',
  postcodes: ['20000', '20090'],
  weight: 1,
  streets: ['cours Napoléon', 'cours Grandval', 'rue Fesch', 'boulevard Pascal Rossini', 'avenue Noël Franchini', 'route du Salario'],
};
const BASTIA: CommunePreset = {
  insee: '2B033',
  name: 'Bastia',
  postcodes: ['20200', '20600'],
  weight: 1,
  streets: ['boulevard Paoli', 'rue César Campinchi', 'avenue de la Libération', 'rue du Castagno'],
};

const RENNES_METROPOLE: TerritoryPreset = {
  key: 'rennes-metropole',
  label: 'Rennes Métropole',
  department: '35',
  numUniqueTerritory: '035',
  shortCode: 'RM',
  communes: [
    {
      insee: '35238',
      name: 'Rennes',
      postcodes: ['35000', '35200', '35700'],
      weight: 220,
      streets: [
        'rue de Saint-Malo',
        "rue d'Antrain",
        'boulevard de la Liberté',
        'rue de Brest',
        'avenue Henri Fréville',
        'rue de Nantes',
        'rue de Fougères',
        'rue de Lorient',
        'boulevard de Verdun',
        'rue de Châtillon',
        'rue Jean Guéhenno',
        'boulevard Villebois-Mareuil',
      ],
    },
    { insee: '35051', name: 'Cesson-Sévigné', postcodes: ['35510'], weight: 18 },
    { insee: '35047', name: 'Bruz', postcodes: ['35170'], weight: 18 },
    { insee: '35281', name: 'Saint-Jacques-de-la-Lande', postcodes: ['35136'], weight: 13 },
    { insee: '35024', name: 'Betton', postcodes: ['35830'], weight: 12 },
    { insee: '35278', name: 'Saint-Grégoire', postcodes: ['35760'], weight: 10 },
    { insee: '35055', name: 'Chantepie', postcodes: ['35135'], weight: 10 },
    { insee: '35210', name: 'Pacé', postcodes: ['35740'], weight: 11 },
    { insee: '35240', name: 'Le Rheu', postcodes: ['35650'], weight: 9 },
    { insee: '35066', name: 'Chartres-de-Bretagne', postcodes: ['35131'], weight: 8 },
    { insee: '35334', name: 'Thorigné-Fouillard', postcodes: ['35235'], weight: 9 },
    { insee: '35352', name: 'Vern-sur-Seiche', postcodes: ['35770'], weight: 8 },
    { insee: '35196', name: 'Mordelles', postcodes: ['35310'], weight: 7 },
    { insee: '35001', name: 'Acigné', postcodes: ['35690'], weight: 7 },
    { insee: '35353', name: 'Vezin-le-Coquet', postcodes: ['35132'], weight: 6 },
  ],
  desks: [
    { code: 'GDPUB', label: 'portail grand public', weight: 45 },
    { code: 'G3501', label: 'guichet enregistreur de la métropole', weight: 15 },
    { code: 'G3502', label: 'CCAS de la ville centre', weight: 12 },
    { code: 'G3510', label: 'bailleur social A', weight: 12 },
    { code: 'G3511', label: 'bailleur social B', weight: 9 },
    { code: 'G3520', label: 'mairie de commune périphérique', weight: 7 },
  ],
  elsewhere: [
    { insee: '35288', name: 'Saint-Malo', postcodes: ['35400'], weight: 4 },
    { insee: '35115', name: 'Fougères', postcodes: ['35300'], weight: 3 },
    { insee: '35360', name: 'Vitré', postcodes: ['35500'], weight: 3 },
    { insee: '35236', name: 'Redon', postcodes: ['35600'], weight: 2 },
    { insee: '44109', name: 'Nantes', postcodes: ['44000', '44100', '44300'], weight: 3 },
    { insee: '29019', name: 'Brest', postcodes: ['29200'], weight: 1 },
    { insee: '75056', name: 'Paris', postcodes: ['75011', '75018', '75020'], weight: 2 },
    { insee: '69123', name: 'Lyon', postcodes: ['69003', '69008'], weight: 1 },
  ],
  corsica: [AJACCIO, BASTIA],
  regionalSurnames: ['Le Goff', 'Le Gall', 'Le Bihan', 'Tanguy', 'Jégou', 'Kerhervé', 'Le Floch', 'Hamon', 'Riou', 'Guillou', 'Le Hénaff', 'Quéré'],
};

const PAYS_AJACCIEN: TerritoryPreset = {
  key: 'pays-ajaccien',
  label: 'Communauté d’agglomération du Pays Ajaccien',
  department: '2A',
  numUniqueTerritory: '020',
  shortCode: 'CAPA',
  // Bastelicaccia (2A032) is left out: we are not sure it belongs to this EPCI.
  communes: [
    { ...AJACCIO, weight: 70 },
    { insee: '2A001', name: 'Afa', postcodes: ['20167'], weight: 3 },
    { insee: '2A006', name: 'Alata', postcodes: ['20167'], weight: 4 },
    { insee: '2A017', name: 'Appietto', postcodes: ['20167'], weight: 2 },
    { insee: '2A103', name: 'Cuttoli-Corticchiato', postcodes: ['20167'], weight: 2 },
    { insee: '2A209', name: 'Peri', postcodes: ['20167'], weight: 2 },
    { insee: '2A271', name: 'Sarrola-Carcopino', postcodes: ['20167'], weight: 3 },
    { insee: '2A323', name: 'Tavaco', postcodes: ['20167'], weight: 1 },
    { insee: '2A336', name: 'Valle-di-Mezzana', postcodes: ['20167'], weight: 1 },
    { insee: '2A351', name: 'Villanova', postcodes: ['20167'], weight: 1 },
  ],
  desks: [
    { code: 'GDPUB', label: 'portail grand public', weight: 40 },
    { code: 'G2001', label: "guichet enregistreur de l'agglomération", weight: 25 },
    { code: 'G2002', label: 'CCAS de la ville centre', weight: 15 },
    { code: 'G2010', label: 'bailleur social A', weight: 20 },
  ],
  elsewhere: [
    BASTIA,
    { insee: '2A247', name: 'Porto-Vecchio', postcodes: ['20137'], weight: 1 },
    { insee: '13055', name: 'Marseille', postcodes: ['13003', '13014'], weight: 1 },
    { insee: '06088', name: 'Nice', postcodes: ['06000', '06300'], weight: 1 },
  ],
  corsica: [AJACCIO, BASTIA],
  regionalSurnames: ['Santoni', 'Casanova', 'Pietri', 'Mattei', 'Leca', 'Colonna', 'Ottavi', 'Luciani', 'Filippi', 'Susini', 'Poli', 'Peretti'],
};

/** The territory presets, by key. */
export const territories = {
  'rennes-metropole': RENNES_METROPOLE,
  'pays-ajaccien': PAYS_AJACCIEN,
} as const satisfies Record<string, TerritoryPreset>;

export type TerritoryKey = keyof typeof territories;
export const DEFAULT_TERRITORY: TerritoryKey = 'rennes-metropole';

export function isTerritoryKey(key: string): key is TerritoryKey {
  return Object.prototype.hasOwnProperty.call(territories, key);
}

/** Streets found in most French communes, used where a commune has no list of its own. */
export const commonStreets: readonly string[] = [
  'rue de la République',
  'rue Victor Hugo',
  'avenue Jean Jaurès',
  'rue du Général de Gaulle',
  'place de l’Église',
  'rue des Écoles',
  'allée des Acacias',
  'impasse des Lilas',
  'rue Pasteur',
  'chemin des Vergers',
  'rue de la Mairie',
  'boulevard Gambetta',
  'rue Jules Ferry',
  'rue du Moulin',
  'allée des Érables',
  'rue Louise Michel',
  'square Simone Veil',
  'rue Aristide Briand',
  'résidence les Hortensias',
  'rue de la Gare',
];
