/**
 * The canonical demand model: one zod schema per block of domain.md §4, types inferred from them.
 *
 * Every system's wire format is translated to and from this model (systems/<name>), and the ledger hashes
 * it. Two rules keep the hash stable: lists are always present (empty when absent on the wire), and the
 * key order is the schema's order (zod builds its output in shape order), so a plain `JSON.stringify`
 * of a parsed record is canonical.
 *
 * Coded values are strings checked against their list by `codeWarnings` (./validate): an unknown code is
 * kept and reported, never rejected, because a new interface version may add codes.
 */
import { z } from 'zod';
import type { CodeListName } from './codes';

/** Registry of the coded fields: lets `codeWarnings` find every code of a record from the schema itself. */
export const codeFieldRegistry = z.registry<{ list: CodeListName }>();

/** A coded value of the given list (a short string; membership is checked as a warning, not here). */
export function code<L extends CodeListName>(list: L) {
  const schema = z
    .string()
    .min(1, 'must not be empty')
    .max(20, 'is longer than any code (20 characters)')
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a code (letters, digits, _ or -)');
  schema.register(codeFieldRegistry, { list });
  return schema;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date `YYYY-MM-DD` that exists (no 2023-02-30). */
export const IsoDate = z.string().refine((s) => {
  const m = DATE_RE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}, 'must be a real date written YYYY-MM-DD');
export type IsoDate = z.infer<typeof IsoDate>;

/** A date-time with offset, ISO 8601 (`2017-01-13T14:55:43.5+02:00`). */
export const IsoDateTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with offset' });

/** Whole euros (domain.md §4: amounts are whole euros). */
export const Montant = z.number().int('must be whole euros').min(0, 'must not be negative').max(100_000_000);

/** INSEE commune code: 5 characters, not always digits (Corsica: `2A004`, `2B033`). */
export const CodeInsee = z
  .string()
  .regex(/^(?:\d{5}|2[AB]\d{3})$/, 'must be an INSEE commune code (5 characters, e.g. 35238 or 2A004)');

/**
 * Numéro unique: an opaque string of at most 18 characters (a national number is announced for 2027).
 * Its usual shape is checked softly by `numUniqueWarnings`, behind configuration.
 */
export const NumUnique = z
  .string()
  .min(1, 'must not be empty')
  .max(18, 'must be at most 18 characters')
  .regex(/^[A-Z0-9]+$/, 'must be upper-case letters and digits');

const Text = (max: number) => z.string().max(max, `must be at most ${max} characters`);
const Name = Text(80).min(1, 'must not be empty');

export const Ressource = z.object({ code: code('ressourceRecue'), montant: Montant });
export const RessourceVersee = z.object({ code: code('ressourceVersee'), montant: Montant });

export const RevenuFiscal = z.object({
  anneeMoins1: z.number().int().min(1990).max(2100).optional(),
  montantMoins1: Montant.optional(),
  anneeMoins2: z.number().int().min(1990).max(2100).optional(),
  montantMoins2: Montant.optional(),
});

export const Commune = z.object({ code: CodeInsee });

export const AdressePostale = z.object({
  etranger: z.boolean().optional(),
  numero: Text(10).optional(),
  voie: Text(120).optional(),
  codePostal: Text(10).optional(),
  commune: Commune.optional(),
});

export const SituationProfessionnelle = z.object({
  profession: Text(80).optional(),
  typeContratTravail: code('typeContratTravail').optional(),
  nomEmployeurPrincipal: Text(120).optional(),
  etranger: z.boolean().optional(),
  codePostal: Text(10).optional(),
  commune: Commune.optional(),
});

/** Fields shared by the applicant and each co-holder. */
const personneFields = {
  civilite: code('civilite'),
  nom: Name,
  nomPatronymique: Text(80).optional(),
  prenom: Name,
  dateNaissance: IsoDate,
  nationalite: code('nationalite'),
  situationFamiliale: code('situationFamiliale').optional(),
  situationProfessionnelle: SituationProfessionnelle.optional(),
  revenuFiscal: RevenuFiscal.optional(),
  ressourcesRecues: z.array(Ressource).max(30).default([]),
  ressourcesVersees: z.array(RessourceVersee).max(30).default([]),
};

export const Demandeur = z.object({
  ...personneFields,
  telPortable: Text(20).optional(),
  mel: Text(120).optional(),
  adressePostale: AdressePostale.optional(),
});
export type Demandeur = z.infer<typeof Demandeur>;

export const Cotitulaire = z.object({
  ...personneFields,
  lienDemandeur: code('lienDemandeur'),
});
export type Cotitulaire = z.infer<typeof Cotitulaire>;

export const PersonneACharge = z.object({
  nom: Name,
  prenom: Name,
  dateNaissance: IsoDate,
  sexe: code('sexe'),
  lienParente: code('lienParente'),
});
export type PersonneACharge = z.infer<typeof PersonneACharge>;

export const PersonneANaitre = z.object({
  nombre: z.number().int().min(1).max(9),
  dateNaissancePrevue: IsoDate.optional(),
});

export const PersonneEnGarde = z.object({
  dateNaissance: IsoDate,
  sexe: code('sexe'),
  coParentalite: code('coParentalite'),
});

/** Resources received and paid by the dependants, as a household total per code. */
export const RessourcesPersonnesACharge = z.object({
  recues: z.array(Ressource).max(30).default([]),
  versees: z.array(RessourceVersee).max(30).default([]),
});

export const LogementActuel = z.object({
  modeles: z.array(code('modeleLogement')).max(5).default([]),
  montantMensuelLoyer: Montant.optional(),
  nombreHabitant: z.number().int().min(1).max(30).optional(),
  categorie: code('categorieLogement').optional(),
  typeLogement: code('typeLogement').optional(),
  surface: z.number().int().min(1).max(1000).optional(),
  proprietaire: Text(120).optional(),
});

export const LogementRecherche = z.object({
  demandeElargie: z.boolean(),
  typesLogement: z.array(code('typeLogement')).min(1, 'needs at least one wanted type of dwelling').max(7),
  categorie: code('categorieLogement').optional(),
  /** Wanted communes, in the applicant's order (10 at most since 2012). */
  communes: z.array(CodeInsee).min(1, 'needs at least one wanted commune').max(10, 'at most 10 wanted communes'),
});

export const Motif = z.object({
  code: code('motifDemande'),
  /** Free text, only with motif `23` ("autre"): personal, never logged. */
  precision: Text(500).optional(),
});

export const Handicap = z.object({
  etat: code('etatHandicap').optional(),
  capaciteMarche: code('capaciteMarche').optional(),
  moteur: z.array(code('handicapMoteur')).max(2).default([]),
  sensoriel: z.array(code('handicapSensoriel')).max(2).default([]),
  aidesTechniques: z.array(code('aideTechnique')).max(7).default([]),
  equipementsNecessaires: z.array(code('equipementNecessaire')).max(6).default([]),
});

export const Dalo = z.object({
  statut: code('statutDalo'),
  dateDecision: IsoDate.optional(),
});

/** A priority label with its source and date (domain.md §2.8). */
export const Label = z.object({
  source: code('sourceLabel'),
  date: IsoDate,
  /** Who granted it (the réservataire or body), as an identifier, not a person. */
  emetteur: Text(80).optional(),
});

export const Radiation = z
  .object({
    motif: code('motifRadiation'),
    sousMotif: code('sousMotifRadiation').optional(),
    date: IsoDate,
  })
  .superRefine((r, ctx) => {
    if (r.motif === 'RADIRR' && !r.sousMotif) {
      ctx.addIssue({ code: 'custom', path: ['sousMotif'], message: 'is mandatory with motif RADIRR (IRRSEJ or IRRRES)' });
    }
  });

/** The canonical demand. */
export const Demande = z.object({
  numUnique: NumUnique.optional(),
  numGuichet: z.string().min(1, 'must not be empty').max(10),
  dateCreationDemande: IsoDate,
  dateDernierRenouvellement: IsoDate.optional(),
  /** Expiry as given by the source; when absent, rules derive it (one year after filing or renewal). */
  dateExpiration: IsoDate.optional(),
  demandeur: Demandeur,
  cotitulaires: z.array(Cotitulaire).max(5).default([]),
  personnesACharge: z.array(PersonneACharge).max(20).default([]),
  personneANaitre: PersonneANaitre.optional(),
  personnesEnGarde: z.array(PersonneEnGarde).max(20).default([]),
  ressourcesPersonnesACharge: RessourcesPersonnesACharge.optional(),
  logementActuel: LogementActuel.optional(),
  logementRecherche: LogementRecherche,
  motifs: z.array(Motif).max(23).default([]),
  handicap: Handicap.optional(),
  dalo: Dalo.optional(),
  accordCollectif: code('accordCollectif').optional(),
  labels: z.array(Label).max(20).default([]),
  /** Types of réservataire contingents the household is eligible to. */
  contingents: z.array(code('typeReservataire')).max(6).default([]),
  radiation: Radiation.optional(),
});

/** A canonical demand, as produced by `Demande.parse` (lists present, keys in schema order). */
export type Demande = z.infer<typeof Demande>;
/** A demand as written by hand or by a mapper before parsing (lists may be omitted). */
export type DemandeInput = z.input<typeof Demande>;
