/** Types shared by the parser, the builder and the splitter of `interfaceNuu` documents. */
import type { Issue } from '../errors';
import type { CodeListName, Demande, Warning } from '../domain';
import type { ElementTable } from './elements';

/** `entete/typeFichier` (domain.md §3): what a file sent to `getNumUnique` or received is. */
export const TypeFichier = {
  /** creation */
  CRE: 'CRE',
  /** creation after a couple's separation */
  CRS: 'CRS',
  /** modification */
  MOD: 'MOD',
  /** renewal */
  REN: 'REN',
  /** radiation */
  RAD: 'RAD',
  /** deletion */
  SUP: 'SUP',
  /** dispatching (demands sent out to the services of a territory) */
  DIS: 'DIS',
  /** return (processing results) */
  RET: 'RET',
  /** digital copy (documents) */
  COP: 'COP',
} as const;
export type TypeFichier = (typeof TypeFichier)[keyof typeof TypeFichier];

export function isTypeFichier(value: string): value is TypeFichier {
  return Object.prototype.hasOwnProperty.call(TypeFichier, value);
}

/**
 * How a file repeats its demands (domain.md §4, [open]): one `demande` element per demand, or one
 * `demande` holding several `demandeLogement` elements. Parsing records it; building writes it back.
 */
export const DispatchForm = { demande: 'demande', demandeLogement: 'demandeLogement' } as const;
export type DispatchForm = (typeof DispatchForm)[keyof typeof DispatchForm];

/** The file header as read: a field may be missing (reported in `problems`). */
export interface EnteteRead {
  typeFichier?: string;
  dateFichier?: string;
}

/** The file header to write. */
export interface Entete {
  typeFichier: TypeFichier;
  /** ISO 8601 date-time with offset, e.g. `2017-01-13T14:55:43.5+02:00`. */
  dateFichier: string;
}

/** A business anomaly returned by the SNE inside a demand (`listeAnomalie/*`, family `CTRL_DEM_nnnn`). */
export interface Anomalie {
  code: string;
  message: string;
}

/** One demand of a file: canonical and valid, or quarantined with its issues. */
export type DemandeResult =
  | { index: number; ok: true; demande: Demande; warnings: Warning[]; anomalies: Anomalie[] }
  | {
      index: number;
      ok: false;
      /** Paths are canonical paths (`demandeur.ressourcesRecues[1].montant`). */
      issues: Issue[];
      warnings: Warning[];
      /** The numéro unique as found, when there is one: identifies the quarantined demand. */
      numUnique?: string;
      anomalies: Anomalie[];
    };

/** A parsed file. */
export interface ParsedInterfaceNuu {
  versionInterface?: string;
  entete: EnteteRead;
  form: DispatchForm;
  demandes: DemandeResult[];
  /** File-level problems (header, structure outside the demands); per-demand ones are in `demandes`. */
  problems: Issue[];
}

/** What a demand fragment needs from its file to be parsed alone. */
export interface FragmentContext {
  versionInterface?: string;
  entete: EnteteRead;
  form: DispatchForm;
  /** The root's namespace declarations (`xmlns`, `xmlns:ns2` -> URI), to rebuild a standalone document. */
  namespaces: Record<string, string>;
}

/** One demand split out of a (possibly huge) file by `streamDemandes`. */
export interface StreamItem extends FragmentContext {
  /** 0-based position of the demand in the file. */
  index: number;
  /** The demand's `demandeLogement` element, exactly as in the file (prefixes included). */
  xml: string;
  /** Where the fragment starts in the file (1-based), to place errors found while parsing it. */
  line: number;
  column: number;
}

/** A document to build. */
export interface InterfaceNuuInput {
  versionInterface: string;
  entete: Entete;
  demandes: readonly Demande[];
  /** Defaults to `demande` (one `demande` element per demand). */
  form?: DispatchForm;
}

/** SNE code <-> dialect code, per code list. */
export type CodeTranslations = Partial<Record<CodeListName, Record<string, string>>>;

/** Options of the codec. The element table is required: load it with `loadElementTable`. */
export interface CodecOptions {
  /** Names of the [open] elements (mappings/sne/elements.yaml). */
  elements: ElementTable;
  /**
   * Dialect element renames, SNE name -> dialect name, applied to every element on both parse and build
   * (an SPTA profile).
   */
  renames?: Record<string, string>;
  /** Dialect code translations, per code list: SNE code -> dialect code; unknown codes pass through. */
  codeTranslations?: CodeTranslations;
  /** Largest document `parseInterfaceNuu` accepts, in bytes. Default 64 MiB. */
  maxDocumentBytes?: number;
  /** Largest single demand (or any construct) the splitter buffers, in characters. Default 4 Mi. */
  maxFragmentLength?: number;
  /** Deepest element nesting accepted. Default 64. */
  maxDepth?: number;
  /** Check the usual layout of the numéro unique (warning only). Default true. */
  numUniqueShape?: boolean;
  /** Namespace written by `buildInterfaceNuu`. Default `http://nuu.application.i2/`, no prefix. */
  namespace?: { uri: string; prefix?: string };
}
