/**
 * Test support of the codec: a small seeded generator of valid canonical demands that reaches every
 * field of the model (the real synthetic generator, src/synthetic, aims at realism instead), and helpers.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { codesOf, validateDemande, type CodeListName, type Demande, type DemandeInput } from '../../src/domain';
import { createInterfaceNuuCodec, loadElementTable, type InterfaceNuuCodec } from '../../src/codec';

export const repo = resolve(__dirname, '../..');
export const fixture = (name: string): Buffer => readFileSync(join(repo, 'fixtures/codec', name));
export const elements = loadElementTable();
export const codec: InterfaceNuuCodec = createInterfaceNuuCodec({ elements });
export const header = { versionInterface: '02.01', entete: { typeFichier: 'DIS' as const, dateFichier: '2024-03-06T02:00:00+01:00' } };

/** mulberry32: small, fast, good enough to vary test data reproducibly. */
export class TestRng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  code(list: CodeListName): string {
    // Now and then a code no list knows: kept, reported as a warning, and must survive the trip too.
    return this.chance(0.02) ? 'ZZ9' : this.pick(codesOf(list));
  }
}

const NAMES = ['Martin', 'Le Goff', "N'Diaye", 'Ñúñez', 'Øster', 'Nguyễn', 'Dupont & Fils', 'O\'Brien', 'Zoë', 'Ange-Marie', 'Łukasz', '李', 'Émile <dit> "Mimile"'];
const TEXTS = ['rue de la Paix', "chemin de l'Église", 'bât. B & C', 'lieu-dit <Le Bourg>', 'a\nb', 'ligne 1\r\nligne 2', 'tab\tinside', '😀 emoji', 'x]]>y', '&amp; literal', 'quote " and apostrophe \''];
const COMMUNES = ['35238', '35051', '01053', '2A004', '2B033', '97411', '75056'];

function date(r: TestRng, from = 1930, to = 2024): string {
  const y = r.int(from, to);
  const m = r.int(1, 12);
  const d = r.int(1, 28);
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function ressources(r: TestRng, list: 'ressourceRecue' | 'ressourceVersee', max: number, full: boolean) {
  return Array.from({ length: full ? Math.max(1, r.int(0, max)) : r.int(0, max) }, () => ({ code: r.code(list), montant: r.int(0, 5000) }));
}

function maybe<T>(r: TestRng, full: boolean, p: number, make: () => T): T | undefined {
  return full || r.chance(p) ? make() : undefined;
}

function situationProfessionnelle(r: TestRng, full: boolean) {
  return {
    profession: maybe(r, full, 0.7, () => r.pick(['aide-soignante', 'électricien', 'étudiant·e'])),
    typeContratTravail: maybe(r, full, 0.8, () => r.code('typeContratTravail')),
    nomEmployeurPrincipal: maybe(r, full, 0.5, () => r.pick(NAMES)),
    etranger: maybe(r, full, 0.3, () => r.chance(0.1)),
    codePostal: maybe(r, full, 0.5, () => r.pick(['01000', '35000', '20000'])),
    commune: maybe(r, full, 0.5, () => ({ code: r.pick(COMMUNES) })),
  };
}

function revenuFiscal(r: TestRng, full: boolean) {
  return {
    anneeMoins1: maybe(r, full, 0.8, () => r.int(2015, 2024)),
    montantMoins1: maybe(r, full, 0.8, () => r.int(0, 80000)),
    anneeMoins2: maybe(r, full, 0.5, () => r.int(2014, 2023)),
    montantMoins2: maybe(r, full, 0.5, () => r.int(0, 80000)),
  };
}

function personne(r: TestRng, full: boolean) {
  return {
    civilite: r.code('civilite'),
    nom: r.pick(NAMES),
    nomPatronymique: maybe(r, full, 0.2, () => r.pick(NAMES)),
    prenom: r.pick(NAMES),
    dateNaissance: date(r, 1930, 2006),
    nationalite: r.code('nationalite'),
    situationFamiliale: maybe(r, full, 0.8, () => r.code('situationFamiliale')),
    situationProfessionnelle: maybe(r, full, 0.6, () => situationProfessionnelle(r, full)),
    revenuFiscal: maybe(r, full, 0.6, () => revenuFiscal(r, full)),
    ressourcesRecues: ressources(r, 'ressourceRecue', 3, full),
    ressourcesVersees: ressources(r, 'ressourceVersee', 1, full),
  };
}

function distinct(r: TestRng, list: CodeListName, min: number, max: number): string[] {
  const all = codesOf(list);
  const n = Math.min(all.length, r.int(min, max));
  const out = new Set<string>();
  while (out.size < n) out.add(r.pick(all));
  return [...out];
}

/** One demand, as written by hand (lists may be left out). `full`: every optional block and list filled. */
export function demandeInput(r: TestRng, full = false): DemandeInput {
  const motif23 = r.chance(0.3) || full;
  const radiationMotif = r.code('motifRadiation');
  return {
    numUnique: maybe(r, full, 0.7, () => `0350${r.int(1, 9)}24${String(r.int(0, 999999)).padStart(6, '0')}G${r.pick(['0042', 'DPUB', '2A01'])}`),
    numGuichet: r.pick(['G0042', 'G2A01', 'GDPUB']),
    dateCreationDemande: date(r, 2015, 2024),
    dateDernierRenouvellement: maybe(r, full, 0.3, () => date(r, 2016, 2024)),
    dateExpiration: maybe(r, full, 0.2, () => date(r, 2024, 2026)),
    demandeur: {
      ...personne(r, full),
      telPortable: maybe(r, full, 0.7, () => `06${String(r.int(0, 99999999)).padStart(8, '0')}`),
      mel: maybe(r, full, 0.5, () => `demandeur${r.int(1, 999)}@example.org`),
      adressePostale: maybe(r, full, 0.8, () => ({
        etranger: maybe(r, full, 0.5, () => r.chance(0.05)),
        numero: maybe(r, full, 0.6, () => r.pick(['1', '12 bis', '3ter'])),
        voie: maybe(r, full, 0.8, () => r.pick(TEXTS)),
        codePostal: maybe(r, full, 0.8, () => r.pick(['01000', '35000', '20000', '97400'])),
        commune: maybe(r, full, 0.8, () => ({ code: r.pick(COMMUNES) })),
      })),
    },
    cotitulaires: Array.from({ length: full ? 1 : r.int(0, 2) }, () => ({ ...personne(r, full), lienDemandeur: r.code('lienDemandeur') })),
    personnesACharge: Array.from({ length: full ? 2 : r.int(0, 4) }, () => ({
      nom: r.pick(NAMES),
      prenom: r.pick(NAMES),
      dateNaissance: date(r, 2005, 2024),
      sexe: r.code('sexe'),
      lienParente: r.code('lienParente'),
    })),
    personneANaitre: maybe(r, full, 0.1, () => ({ nombre: r.int(1, 3), dateNaissancePrevue: maybe(r, full, 0.7, () => date(r, 2024, 2025)) })),
    personnesEnGarde: Array.from({ length: full ? 1 : r.int(0, 2) }, () => ({
      dateNaissance: date(r, 2008, 2023),
      sexe: r.code('sexe'),
      coParentalite: r.code('coParentalite'),
    })),
    ressourcesPersonnesACharge: maybe(r, full, 0.3, () => ({
      recues: ressources(r, 'ressourceRecue', 2, full),
      versees: ressources(r, 'ressourceVersee', 1, full),
    })),
    logementActuel: maybe(r, full, 0.8, () => ({
      modeles: Array.from({ length: full ? 2 : r.int(0, 2) }, () => r.code('modeleLogement')),
      montantMensuelLoyer: maybe(r, full, 0.6, () => r.int(0, 2000)),
      nombreHabitant: maybe(r, full, 0.6, () => r.int(1, 9)),
      categorie: maybe(r, full, 0.5, () => r.code('categorieLogement')),
      typeLogement: maybe(r, full, 0.5, () => r.code('typeLogement')),
      surface: maybe(r, full, 0.4, () => r.int(9, 200)),
      proprietaire: maybe(r, full, 0.3, () => r.pick(NAMES)),
    })),
    logementRecherche: {
      demandeElargie: r.chance(0.5),
      typesLogement: distinct(r, 'typeLogement', 1, 3),
      categorie: maybe(r, full, 0.4, () => r.code('categorieLogement')),
      communes: Array.from({ length: r.int(1, 10) }, () => r.pick(COMMUNES)),
    },
    motifs: [
      ...distinct(r, 'motifDemande', full ? 1 : 0, 2)
        .filter((c) => c !== '23')
        .map((code) => ({ code })),
      ...(motif23 ? [{ code: '23', precision: r.pick(TEXTS) }] : []),
    ],
    handicap: maybe(r, full, 0.1, () => ({
      etat: maybe(r, full, 0.8, () => r.code('etatHandicap')),
      capaciteMarche: maybe(r, full, 0.8, () => r.code('capaciteMarche')),
      moteur: distinct(r, 'handicapMoteur', full ? 1 : 0, 2),
      sensoriel: distinct(r, 'handicapSensoriel', full ? 1 : 0, 2),
      aidesTechniques: distinct(r, 'aideTechnique', full ? 1 : 0, 3),
      equipementsNecessaires: distinct(r, 'equipementNecessaire', full ? 1 : 0, 3),
    })),
    dalo: maybe(r, full, 0.1, () => ({ statut: r.code('statutDalo'), dateDecision: maybe(r, full, 0.7, () => date(r, 2015, 2024)) })),
    accordCollectif: maybe(r, full, 0.2, () => r.code('accordCollectif')),
    labels: Array.from({ length: full ? 1 : r.int(0, 2) }, () => ({
      source: r.code('sourceLabel'),
      date: date(r, 2015, 2024),
      emetteur: maybe(r, full, 0.5, () => r.pick(['COMED35', 'EPCI-RM', 'BAILLEUR-01'])),
    })),
    contingents: distinct(r, 'typeReservataire', full ? 1 : 0, 2),
    radiation: maybe(r, full, 0.15, () => ({
      motif: radiationMotif,
      sousMotif: radiationMotif === 'RADIRR' || full ? r.code('sousMotifRadiation') : undefined,
      date: date(r, 2020, 2024),
    })),
  };
}

/** The canonical form (keys in schema order, lists present) of a generated demand; throws if invalid. */
export function canonical(input: DemandeInput): Demande {
  // Drop the keys the generator left undefined: the canonical model has no undefined values.
  const v = validateDemande(JSON.parse(JSON.stringify(input)));
  if (!v.ok) throw new Error(`generator made an invalid demand: ${JSON.stringify(v.issues)}`);
  return v.demande;
}

export function generate(seed: number, count: number, full = false): Demande[] {
  const r = new TestRng(seed);
  return Array.from({ length: count }, () => canonical(demandeInput(r, full)));
}

/** Feeds a buffer as chunks of the given sizes, cycling. */
export async function* chunked(bytes: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let i = 0;
  let k = 0;
  while (i < bytes.length) {
    const n = sizes[k++ % sizes.length]!;
    yield bytes.subarray(i, i + n);
    i += n;
  }
}
