/**
 * Professional situation, monthly resources and tax income of the synthetic persons.
 *
 * Amounts are monthly whole euros in the ranges of 2023-2025 (minimum wage ~1,400 net full time, RSA
 * ~600 for a person alone, AAH at most ~1,016, minimum old-age pension ~1,012, family allowances ~140
 * for two children). Tax income (revenu fiscal de référence) is the yearly total of the taxable
 * resources less the 10 % allowance, with year-to-year noise; benefits (AF, RSA, AAH, ...) are not
 * taxable and do not count.
 */
import type { Demande } from '../domain';
import { contractsFor } from './distributions';
import { employerParts, professions } from './names';
import type { Rng } from './prng';
import type { CommunePreset } from './territories';

type SituationProfessionnelle = NonNullable<Demande['demandeur']['situationProfessionnelle']>;
type Ressource = Demande['demandeur']['ressourcesRecues'][number];
type RevenuFiscal = NonNullable<Demande['demandeur']['revenuFiscal']>;

/** Resources that enter taxable income. */
const TAXABLE: ReadonlySet<string> = new Set(['SAL', 'RET', 'CHO', 'PAR', 'PINV', 'AUT']);

export interface Work {
  contract: string;
  situation: SituationProfessionnelle;
  /** Employed by the State (eligible to the PFONCT contingent). */
  stateAgent: boolean;
  /** Employed in the private sector (eligible to the Action Logement contingent). */
  privateEmployee: boolean;
}

export interface PersonMoney {
  work: Work;
  recues: Ressource[];
  versees: Array<{ code: string; montant: number }>;
}

/** Adds an amount to a resource list, one entry per code (a second SAL adds to the first). */
export function addResource(list: Array<{ code: string; montant: number }>, code: string, montant: number): void {
  const existing = list.find((r) => r.code === code);
  if (existing) existing.montant += montant;
  else list.push({ code, montant });
}

/** Picks the professional situation of an adult. */
export function generateWork(rng: Rng, age: number, disabled: boolean, commune: CommunePreset): Work {
  let table = contractsFor(age);
  if (disabled) table = table.map(([c, w]) => [c, c === 'AUT' ? w * 3 : w] as const);
  const contract = rng.weighted(table);
  const situation: SituationProfessionnelle = {};
  let stateAgent = false;
  let privateEmployee = false;
  const employed = contract === 'CDI' || contract === 'CDD' || contract === 'APP';
  if (employed) {
    stateAgent = contract !== 'APP' && rng.chance(0.05);
    privateEmployee = !stateAgent && rng.chance(0.8);
    situation.profession = rng.pick(
      contract === 'APP' ? professions.apprenti : stateAgent ? professions.fonctionnaire : professions.emploi,
    );
  } else if (contract === 'ART') {
    situation.profession = rng.pick(professions.independant);
  } else if (contract === 'CHO' && rng.chance(0.5)) {
    situation.profession = rng.pick(professions.emploi);
  }
  situation.typeContratTravail = contract;
  if (employed) {
    situation.nomEmployeurPrincipal = stateAgent
      ? rng.pick(employerParts.publicState)
      : `${rng.pick(employerParts.head)} ${rng.pick(employerParts.tail)}`;
    situation.codePostal = rng.pick(commune.postcodes);
    situation.commune = { code: commune.insee };
  }
  return { contract, situation, stateAgent, privateEmployee };
}

/** Monthly resources earned or received by an adult because of their situation. */
export function personalResources(rng: Rng, work: Work, disabled: boolean, householdAdults: number): Ressource[] {
  const out: Ressource[] = [];
  switch (work.contract) {
    case 'CDI':
      addResource(out, 'SAL', rng.chance(0.2) ? rng.int(700, 1250) : rng.int(1250, 2400));
      break;
    case 'CDD':
      addResource(out, 'SAL', rng.int(500, 1700));
      break;
    case 'APP':
      addResource(out, 'SAL', rng.int(450, 1100));
      break;
    case 'ART':
      addResource(out, 'AUT', rng.int(300, 1800));
      break;
    case 'CHO':
      addResource(out, 'CHO', rng.int(500, 1400));
      break;
    case 'ETU':
      if (rng.chance(0.6)) addResource(out, 'BE', rng.int(100, 580));
      if (out.length === 0 || rng.chance(0.3)) addResource(out, 'SAL', rng.int(200, 700));
      break;
    case 'RET': {
      const pension = rng.int(650, 2200);
      addResource(out, 'RET', pension);
      if (pension < 950 && rng.chance(0.5)) addResource(out, 'AMV', rng.int(100, 1012 - pension + 100));
      break;
    }
    default:
      // Inactive: disability benefits, or RSA (one per household, higher for a couple).
      if (disabled) {
        addResource(out, 'AAH', rng.int(700, 1016));
        if (rng.chance(0.2)) addResource(out, 'PINV', rng.int(200, 700));
      } else if (householdAdults === 1 || rng.chance(0.5)) {
        addResource(out, 'RSA', householdAdults > 1 ? rng.int(800, 960) : rng.int(450, 640));
      }
      break;
  }
  if (rng.chance(0.03)) addResource(out, 'AUT', rng.int(50, 300));
  return out;
}

/** Monthly family benefits for the children of a household, received by the applicant. */
export function familyResources(
  rng: Rng,
  childAges: readonly number[],
  opts: { singleParent: boolean; disabledChild: boolean },
): Ressource[] {
  const out: Ressource[] = [];
  const under20 = childAges.filter((a) => a < 20).length;
  if (under20 >= 2) {
    // AF: nothing for one child, ~140 for two, ~320 for three, ~180 more per extra child.
    const base = under20 === 2 ? rng.int(135, 150) : rng.int(305, 340) + (under20 - 3) * rng.int(165, 180);
    addResource(out, 'AF', base);
  }
  if (childAges.some((a) => a < 3) && rng.chance(0.8)) addResource(out, 'PAJE', rng.chance(0.5) ? rng.int(90, 100) : rng.int(180, 195));
  if (opts.disabledChild) addResource(out, 'AEEH', rng.int(140, 500));
  if (childAges.length > 0 && rng.chance(0.003)) addResource(out, 'AJPP', rng.int(600, 1200));
  if (opts.singleParent && rng.chance(0.35)) addResource(out, 'PAR', rng.int(100, 450));
  return out;
}

/** Tax income of N-1 and N-2 (`refYear` is the year of the situation), consistent with the resources. */
export function taxIncome(rng: Rng, recues: readonly Ressource[], versees: ReadonlyArray<{ montant: number }>, refYear: number): RevenuFiscal {
  let monthly = 0;
  for (const r of recues) if (TAXABLE.has(r.code)) monthly += r.montant;
  for (const v of versees) monthly -= v.montant;
  const yearly = Math.max(0, monthly) * 12 * 0.9;
  const n1 = Math.round(yearly * (0.85 + rng.next() * 0.23));
  const n2 = Math.round(n1 * (0.8 + rng.next() * 0.35));
  return { anneeMoins1: refYear - 1, montantMoins1: n1, anneeMoins2: refYear - 2, montantMoins2: n2 };
}
