/**
 * The one small port every registration system (the SNE, each SPTA) is used through. Wire details stay
 * inside `systems/<name>`; what crosses this boundary is canonical demands and classified errors
 * (`GatewayError`: transient / ambiguous / permanent).
 */
import type { Anomalie, DemandeResult, TypeFichier } from '../codec';
import type { Demande } from '../domain';

/** An extra block written inside `demandeLogement` (events whose element names live in mapping tables). */
export interface ElementTree {
  name: string;
  attributes?: Record<string, string>;
  text?: string;
  children?: ElementTree[];
}

/** A write: one `getNumUnique` call carrying one demand file. */
export interface SubmitRequest {
  typeFichier: TypeFichier;
  demande: Demande;
  /** Blocks added to the demand (CAL decision, attribution...), in order. */
  blocks?: ElementTree[];
  /** When the file is dated (default: now). Part of the file name. */
  at?: Date;
}

export interface SubmitResult {
  /** The numéro unique the system holds the demand under (assigned on creation). */
  numUnique: string;
  /** The demand as the system returned it, when it did. */
  demande?: Demande;
  /** Non-blocking anomalies returned with a success (blocking ones are thrown as errors). */
  anomalies: Anomalie[];
}

export interface Doublon {
  numUnique: string;
  /** Similarity reasons as the system gives them (codes, no personal values). */
  criteres: string[];
}

/** Demands returned by a "since" service, and when the request was made (the next cursor). */
export interface DemandesDepuis {
  demandes: DemandeResult[];
  requestedAt: Date;
}

export interface DemandSystem {
  /** `sne`, `spta:35`. */
  readonly id: string;
  /** False when the system answers no reads (an SPTA reached by file exchange): no "since" pulls then. */
  readonly reads?: boolean;
  /** `getDemandeLogement`: the demand, or null when the system does not know it. */
  getDemande(numUnique: string): Promise<DemandeResult | null>;
  /** `getDemandesRadieesDepuisLe`. */
  radieesDepuis(since: Date): Promise<DemandesDepuis>;
  /** `getNouveauxDaloDepuisLe`. */
  nouveauxDaloDepuis(since: Date): Promise<DemandesDepuis>;
  /** `getDoublons`. */
  doublons(demande: Demande): Promise<Doublon[]>;
  /** `getNumUnique`: every write (CRE, MOD, REN, RAD, SUP...). */
  submit(request: SubmitRequest): Promise<SubmitResult>;
  close(): Promise<void>;
}
