/** Test tables and event builders for the mapping tests (synthetic data only, fictional SIRENs). */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { EvenementInput } from '../../src/domain/evenement';
import { loadMappings, type MappingTables } from '../../src/mapping';

export const FIXTURES = join(__dirname, 'fixtures', 'mappings');

let cached: MappingTables | undefined;
/** The test tables (test/mapping/fixtures/mappings), loaded once. */
export function testTables(): MappingTables {
  cached ??= loadMappings(FIXTURES);
  return cached;
}

/** A writable copy of the test tables, to break some files. */
export function tablesCopy(): {
  dir: string;
  read: (file: string) => string;
  write: (file: string, text: string) => void;
  remove: (file: string) => void;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'passerelle-mappings-'));
  cpSync(FIXTURES, dir, { recursive: true });
  return {
    dir,
    read: (file) => readFileSync(join(dir, file), 'utf8'),
    write: (file, text) => {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    },
    remove: (file) => rmSync(join(dir, file), { recursive: true, force: true }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const NUM = '1110318016982G1104';
export const SIREN_A = '999999001';
export const SIREN_B = '999999002';

/** An event envelope around a payload. */
export function evt(type: string, payload: Record<string, unknown>, extra: Record<string, unknown> = {}): EvenementInput & Record<string, unknown> {
  return { id: 'evt-0001', seq: 7, numUnique: NUM, type, occurredAt: '2024-05-02T10:15:00.5+02:00', payload, ...extra } as EvenementInput &
    Record<string, unknown>;
}

/** A complete attribution report on a dwelling with an RPLS id. */
export function attributionPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    logement: { bailleurSiren: SIREN_A, rpls: 'B000000007' },
    imputation: { type: 'reservataire', reservataireId: 'ETAT-PRIO' },
    dalo: true,
    cia: false,
    accordCollectif: 'ACI',
    prioritaireL441: true,
    criteresL441: ['L441_K'],
    dateSignatureBail: '2024-05-01',
    mutationInterne: false,
    ...overrides,
  };
}

/** A dwelling without RPLS id, fully described. */
export const NEW_DWELLING = {
  bailleurSiren: SIREN_A,
  adresse: { numero: '12', voie: 'rue des Essais', codePostal: '35000', commune: '35238' },
  typeLogement: 'T3',
  surface: 67.5,
  qpv: 'ZUSNON',
  loyer: 452,
};

export const demandeMinimale = {
  numGuichet: 'G1104',
  dateCreationDemande: '2023-03-01',
  demandeur: { civilite: '2', nom: 'Testeuse', prenom: 'Alice', dateNaissance: '1985-02-28', nationalite: '1' },
  logementRecherche: { demandeElargie: false, typesLogement: ['T3'], communes: ['35238'] },
};
