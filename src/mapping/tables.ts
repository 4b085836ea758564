/**
 * Schemas of the mapping tables under `mappings/` (data, versioned, diffable), and the loaded set the
 * mapping modules read. The loader (./load) validates every file against these and cross-checks them.
 */
import { z } from 'zod';
import { isTypeFichier, type TypeFichier } from '../codec/types';
import { codesOf, IsoDate } from '../domain';
import { BailleurLogementId, RPLS_FORMAT_MESSAGE, RPLS_PATTERN, SIREN_PATTERN } from '../domain/evenement';

/** Where each table lives, relative to the mappings folder. */
export const TABLE_FILES = {
  pieces: 'cal/pieces.yaml',
  motifsNonAttribution: 'cal/motifs-non-attribution.yaml',
  motifsRefus: 'cal/motifs-refus.yaml',
  priorites: 'priorites.yaml',
  radiation: 'radiation.yaml',
  conventions: 'reservataires/conventions.yaml',
  localCodes: 'local/codes.yaml',
  sneEvents: 'sne/events.yaml',
} as const;
export type TableName = keyof typeof TABLE_FILES;

/** Folder of the per-bailleur RPLS tables (`rpls/<SIREN>.yaml`). */
export const RPLS_DIR = 'rpls';
export function rplsTableFile(siren: string): string {
  return `${RPLS_DIR}/${siren}.yaml`;
}

// ---- shared shapes ---------------------------------------------------------------------------------

const Version = z.number({ error: 'must be a whole number (the version of the table)' }).int('must be a whole number').min(1, 'must be 1 or more');
const Status = z.enum(['provisional', 'official'], { error: 'must be provisional or official' });
const Label = z.string({ error: 'must be a text' }).min(1, 'must not be empty').max(300, 'must be at most 300 characters');

/** A canonical code in a table (a key or a value). */
export const TableCodeText = z
  .string({ error: 'must be a quoted code (text)' })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a code of 1 to 64 letters, digits, _ or -');

/** A local code (the local tool's spelling): a little more liberal. */
const LocalCodeText = z
  .string({ error: 'must be a quoted code (text)' })
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be a code of 1 to 64 letters, digits, _ . : or -');

/** An XML element name without prefix. */
const ElementName = z
  .string({ error: 'must be an XML element name (text)' })
  .regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'must be an XML element name without prefix (letters, digits, _ . -)');

const TypeFichierText = z
  .string({ error: 'must be an SNE file type (text)' })
  .refine((s): s is TypeFichier => isTypeFichier(s), 'must be an SNE file type: CRE, CRS, MOD, REN, RAD, SUP, DIS, RET or COP');

const SirenText = z.string({ error: 'must be a quoted SIREN (9 digits)' }).regex(SIREN_PATTERN, 'must be a SIREN (9 digits)');

// ---- cal/pieces.yaml: the limitative list of documents ---------------------------------------------

export const PiecesTableSchema = z.strictObject({
  version: Version,
  status: Status.optional(),
  pieces: z.record(TableCodeText, z.strictObject({ label: Label })),
});
export type PiecesTable = z.infer<typeof PiecesTableSchema>;

// ---- cal/motifs-non-attribution.yaml ----------------------------------------------------------------

export const MotifsNonAttributionTableSchema = z.strictObject({
  version: Version,
  status: Status.optional(),
  motifs: z.record(
    TableCodeText,
    z.strictObject({
      label: Label,
      /** This reason can never be the only one (R441-3: "no link with the commune"). */
      neverAlone: z.boolean({ error: 'must be true or false' }).optional(),
      /** This reason needs its free text (e.g. "other"). */
      precisionRequired: z.boolean({ error: 'must be true or false' }).optional(),
    }),
  ),
});
export type MotifsNonAttributionTable = z.infer<typeof MotifsNonAttributionTableSchema>;

// ---- cal/motifs-refus.yaml --------------------------------------------------------------------------

export const MotifsRefusTableSchema = z.strictObject({
  version: Version,
  status: Status.optional(),
  motifs: z.record(
    TableCodeText,
    z.strictObject({ label: Label, precisionRequired: z.boolean({ error: 'must be true or false' }).optional() }),
  ),
});
export type MotifsRefusTable = z.infer<typeof MotifsRefusTableSchema>;

// ---- priorites.yaml: the priority publics of article L441-1 ---------------------------------------

export const PrioritesTableSchema = z.strictObject({
  version: Version,
  status: Status.optional(),
  criteres: z.record(TableCodeText, z.strictObject({ label: Label })),
});
export type PrioritesTable = z.infer<typeof PrioritesTableSchema>;

// ---- radiation.yaml ----------------------------------------------------------------------------------

export const RadiationTableSchema = z.strictObject({
  version: Version,
  status: Status.optional(),
  motifs: z.record(
    TableCodeText,
    z.strictObject({
      label: Label.optional(),
      /** Sub-motifs; when the list is not empty one of them is mandatory, otherwise none is allowed. */
      sousMotifs: z.array(TableCodeText).optional(),
      /** The motif is reported by another event type (RADATT: by an `attribution` event with its data). */
      event: z.enum(['attribution'], { error: 'must be attribution' }).optional(),
      /** Months between the warning and the radiation (RADIRR: one month). */
      delayMonths: z.number({ error: 'must be a whole number of months' }).int('must be a whole number').min(0).max(24).optional(),
    }),
  ),
});
export type RadiationTable = z.infer<typeof RadiationTableSchema>;

/** Motifs the radiation table must describe (domain.md §4, §7); more may be added (e.g. a merge motif). */
export const REQUIRED_RADIATION_MOTIFS = ['RADATT', 'RADABA', 'RADCON', 'RADIRR', 'RADREN'] as const;

// ---- reservataires/conventions.yaml -----------------------------------------------------------------

export const FluxEtat = { agents: 'agents', prioritaires: 'prioritaires' } as const;
export type FluxEtat = (typeof FluxEtat)[keyof typeof FluxEtat];

const typeReservataireCodes = codesOf('typeReservataire') as [string, ...string[]];

export const ConventionReservataireSchema = z.strictObject({
  /** The réservataire's identifier, as events carry it. */
  id: TableCodeText,
  nom: z.string({ error: 'must be a text' }).max(200, 'must be at most 200 characters').optional(),
  /** The type sent to the SNE. */
  type: z.enum(typeReservataireCodes, { error: `must be one of ${typeReservataireCodes.join(', ')}` }),
  /** For the State: the agents' flow (PFONCT) or the priority households' flow (PPRIOR). */
  fluxEtat: z.enum(FluxEtat, { error: 'must be agents or prioritaires' }).optional(),
  validFrom: IsoDate.optional(),
  validTo: IsoDate.optional(),
});
export type ConventionReservataire = z.infer<typeof ConventionReservataireSchema>;

export const ConventionsTableSchema = z.strictObject({
  version: Version,
  status: Status.optional(),
  bailleurs: z.array(
    z.strictObject({
      siren: SirenText,
      nom: z.string({ error: 'must be a text' }).max(200, 'must be at most 200 characters').optional(),
      reservataires: z.array(ConventionReservataireSchema),
    }),
  ),
});
export type ConventionsTable = z.infer<typeof ConventionsTableSchema>;

// ---- rpls/<SIREN>.yaml ------------------------------------------------------------------------------

export const RplsTableSchema = z.strictObject({
  version: Version,
  status: Status.optional(),
  bailleurSiren: SirenText,
  /** The bailleur's own dwelling id -> RPLS id. */
  logements: z.record(BailleurLogementId, z.string({ error: 'must be a quoted RPLS id (text)' }).regex(RPLS_PATTERN, RPLS_FORMAT_MESSAGE)),
});
export type RplsTable = z.infer<typeof RplsTableSchema>;

// ---- local/codes.yaml -------------------------------------------------------------------------------

export const LocalCodesTableSchema = z.strictObject({
  version: Version,
  status: Status.optional(),
  /** Per code list: local code -> canonical code. */
  lists: z.record(z.string(), z.record(LocalCodeText, z.string({ error: 'must be a quoted canonical code (text)' }))),
});
export type LocalCodesTable = z.infer<typeof LocalCodesTableSchema>;

// ---- sne/events.yaml --------------------------------------------------------------------------------

const ListNames = z.strictObject({ list: ElementName, item: ElementName });
const sent = {
  typeFichier: TypeFichierText,
  /** False: the event is not sent to the SNE (kept for a later interface version). */
  transmit: z.boolean({ error: 'must be true or false' }).default(true),
};

export const SneEventsTableSchema = z.strictObject({
  version: Version,
  status: Status,
  /** How a boolean travels in these blocks (domain.md §4: `OUI`, `NON`). */
  booleens: z.strictObject({ vrai: TableCodeText, faux: TableCodeText }),
  /** How a dwelling reference is written inside a block. */
  logement: z.strictObject({ element: ElementName, rpls: ElementName, bailleurLogementId: ElementName, bailleurSiren: ElementName }),
  evenements: z.strictObject({
    rectification: z.strictObject({ ...sent }),
    renouvellement: z.strictObject({ ...sent }),
    demandePieces: z.strictObject({ ...sent, element: ElementName, date: ElementName, pieces: ListNames, dateLimite: ElementName }),
    designation: z.strictObject({ ...sent, element: ElementName, date: ElementName }),
    inscriptionCal: z.strictObject({ ...sent, element: ElementName, dateCommission: ElementName }),
    visite: z.strictObject({ ...sent, element: ElementName, statut: ElementName, date: ElementName }),
    decisionCal: z.strictObject({
      ...sent,
      element: ElementName,
      dateCommission: ElementName,
      type: ElementName,
      rang: ElementName,
      nombreClasses: ElementName,
      pieceManquante: ElementName,
      dateLimite: ElementName,
      motifs: z.strictObject({ list: ElementName, item: ElementName, precision: ElementName }),
      sousMotif: ElementName,
      dateNotification: ElementName,
    }),
    refus: z.strictObject({ ...sent, element: ElementName, date: ElementName, motif: ElementName, precision: ElementName }),
    label: z.strictObject({ ...sent }),
    contingent: z.strictObject({ ...sent }),
    attribution: z.strictObject({
      ...sent,
      element: ElementName,
      rpls: ElementName,
      logementSansRpls: z.strictObject({
        element: ElementName,
        adresse: z.strictObject({ element: ElementName, numero: ElementName, voie: ElementName, codePostal: ElementName, commune: ElementName }),
        typeLogement: ElementName,
        surface: ElementName,
        qpv: ElementName,
        loyer: ElementName,
      }),
      bailleurSiren: ElementName,
      dateSignatureBail: ElementName,
      typeReservataire: ElementName,
      reservataire: ElementName,
      dalo: ElementName,
      cia: ElementName,
      accordCollectif: ElementName,
      prioritaire: ElementName,
      criteres: ListNames,
      mutationInterne: ElementName,
      dateCommission: ElementName,
    }),
    radiation: z.strictObject({ ...sent }),
    reactivation: z.strictObject({ ...sent, element: ElementName, motif: ElementName, date: ElementName }),
  }),
  /** Canonical code -> SNE code, per list; a list absent here travels as its canonical codes. */
  codes: z.record(z.string(), z.record(TableCodeText, TableCodeText)),
});
export type SneEventsTable = z.infer<typeof SneEventsTableSchema>;

// ---- the loaded set ---------------------------------------------------------------------------------

/** Every mapping table, validated and cross-checked as a whole, frozen. */
export interface MappingTables {
  /** The folder they were read from. */
  readonly dir: string;
  readonly pieces: PiecesTable;
  readonly motifsNonAttribution: MotifsNonAttributionTable;
  readonly motifsRefus: MotifsRefusTable;
  readonly priorites: PrioritesTable;
  readonly radiation: RadiationTable;
  readonly conventions: ConventionsTable;
  /** RPLS tables by bailleur SIREN. */
  readonly rpls: Readonly<Record<string, RplsTable>>;
  readonly localCodes: LocalCodesTable;
  readonly sneEvents: SneEventsTable;
  /** File (relative to `dir`) -> its `version`, for logs and the check-config summary. */
  readonly versions: Readonly<Record<string, number>>;
}

/** Own-property lookup in a table record (a key such as `__proto__` must not reach the prototype). */
export function own<V>(record: Readonly<Record<string, V>> | undefined, key: string): V | undefined {
  if (record === undefined) return undefined;
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}
