/**
 * The household of a synthetic demand: applicant, co-holders, dependants, unborn child, children in
 * custody, with names, sexes, ages and family situations consistent with each other.
 */
import { addDays, addMonths, type IsoDate } from '../domain';
import {
  applicantAges,
  childrenCount,
  coupleLinks,
  femaleApplicantShare,
  householdKinds,
  rates,
  singleSituations,
  situationOfLink,
  type HouseholdKind,
} from './distributions';
import { nameGroups, type NameGroup } from './names';
import type { Rng } from './prng';
import type { TerritoryPreset } from './territories';

export type Sexe = 'M' | 'F';

export interface Adult {
  sexe: Sexe;
  age: number;
  dateNaissance: IsoDate;
  civilite: string;
  nom: string;
  /** Birth name, when different from the usage name (a married person who took the spouse's name). */
  nomPatronymique?: string;
  prenom: string;
  nationalite: string;
  situationFamiliale: string;
  group: NameGroup;
}

export interface Dependant {
  nom: string;
  prenom: string;
  age: number;
  dateNaissance: IsoDate;
  sexe: Sexe;
  lienParente: 'E' | 'P' | 'A';
}

export interface InCustody {
  age: number;
  dateNaissance: IsoDate;
  sexe: Sexe;
  coParentalite: 'G' | 'D';
}

export interface Household {
  kind: HouseholdKind;
  applicant: Adult;
  coHolder?: Adult & { lienDemandeur: string };
  dependants: Dependant[];
  unborn?: { nombre: number; dateNaissancePrevue: IsoDate };
  custody: InCustody[];
}

/** A birth date that makes the person exactly `age` years old at `ref`. */
export function birthDateFor(rng: Rng, age: number, ref: IsoDate): IsoDate {
  return addDays(addMonths(ref, -12 * age), -rng.int(1, 364));
}

function pickGroup(rng: Rng): NameGroup {
  return rng.weighted(nameGroups.map((g) => [g, g.weight] as const));
}

function surnameOf(rng: Rng, group: NameGroup, territory: TerritoryPreset): string {
  if (group.key === 'fr' && rng.chance(0.3)) return rng.pick(territory.regionalSurnames);
  return rng.pick(group.surnames);
}

function firstNameOf(rng: Rng, group: NameGroup, sexe: Sexe): string {
  return rng.pick(sexe === 'F' ? group.female : group.male);
}

function civiliteOf(rng: Rng, sexe: Sexe, age: number, situation: string): string {
  if (sexe === 'M') return '1';
  // "Mlle" left official forms in 2012 but the code still exists and old records carry it.
  return age < 30 && situation === 'C' && rng.chance(0.04) ? '3' : '2';
}

function adult(rng: Rng, group: NameGroup, territory: TerritoryPreset, sexe: Sexe, age: number, ref: IsoDate, situation: string): Adult {
  return {
    sexe,
    age,
    dateNaissance: birthDateFor(rng, age, ref),
    civilite: civiliteOf(rng, sexe, age, situation),
    nom: surnameOf(rng, group, territory),
    prenom: firstNameOf(rng, group, sexe),
    nationalite: rng.weighted(group.nationalites),
    situationFamiliale: situation,
    group,
  };
}

function ageIn(rng: Rng, brackets: ReadonlyArray<readonly [readonly [number, number], number]>): number {
  const [min, max] = rng.weighted(brackets);
  return rng.int(min, max);
}

/** Builds the household of one demand, ages counted at `ref` (today, or the radiation date). */
export function generateHousehold(rng: Rng, territory: TerritoryPreset, ref: IsoDate): Household {
  const kind = rng.weighted(householdKinds);
  const group = pickGroup(rng);
  const age = ageIn(rng, applicantAges[kind]);
  const sexe: Sexe = rng.chance(femaleApplicantShare[kind]) ? 'F' : 'M';
  const isCouple = kind === 'coupleAvecEnfants' || kind === 'coupleSansEnfant';

  let applicant: Adult;
  let coHolder: Household['coHolder'];
  if (isCouple) {
    const link = rng.weighted(coupleLinks);
    const situation = situationOfLink[link];
    applicant = adult(rng, group, territory, sexe, age, ref, situation);
    const otherSexe: Sexe = rng.chance(rates.sameSexCouple) ? sexe : sexe === 'F' ? 'M' : 'F';
    const otherGroup = rng.chance(0.75) ? group : pickGroup(rng);
    const otherAge = clamp(age + rng.int(-4, 4) + rng.int(-4, 4), kind === 'coupleAvecEnfants' ? 20 : 19, 90);
    const other = adult(rng, otherGroup, territory, otherSexe, otherAge, ref, situation);
    if (rng.chance(0.7)) other.nationalite = applicant.nationalite;
    if (link === 'M' && otherSexe !== sexe && rng.chance(0.7)) {
      // The wife usually uses the husband's name, her birth name kept as nomPatronymique.
      const wife = sexe === 'F' ? applicant : other;
      const husband = sexe === 'F' ? other : applicant;
      wife.nomPatronymique = wife.nom;
      wife.nom = husband.nom;
    }
    coHolder = { ...other, lienDemandeur: link };
  } else if (kind === 'colocation') {
    applicant = adult(rng, group, territory, sexe, age, ref, rng.weighted(singleSituations(age)));
    const otherAge = clamp(age + rng.int(-6, 6), 19, 90);
    const otherSexe: Sexe = rng.chance(0.5) ? 'F' : 'M';
    const other = adult(rng, pickGroup(rng), territory, otherSexe, otherAge, ref, rng.weighted(singleSituations(otherAge)));
    coHolder = { ...other, lienDemandeur: 'L' };
  } else {
    const situations = kind === 'monoparental' ? ([['C', 40], ['S', 30], ['D', 27], ['V', 3]] as const) : singleSituations(age);
    applicant = adult(rng, group, territory, sexe, age, ref, rng.weighted(situations));
  }

  const dependants: Dependant[] = [];
  const counts = childrenCount[kind];
  if (counts) {
    const n = rng.weighted(counts);
    const youngestParent = coHolder ? Math.min(age, coHolder.age) : age;
    const maxChildAge = Math.max(0, Math.min(20, youngestParent - 18));
    const father = sexe === 'M' ? applicant : coHolder?.sexe === 'M' ? coHolder : undefined;
    const childSurname = father && rng.chance(0.85) ? father.nom : rng.chance(0.7) ? applicant.nom : surnameOf(rng, group, territory);
    const ages: number[] = [];
    for (let i = 0; i < n; i++) ages.push(rng.int(0, maxChildAge));
    ages.sort((a, b) => b - a);
    for (const childAge of ages) {
      const childSexe: Sexe = rng.chance(0.5) ? 'F' : 'M';
      // Children of the second generation often carry a French first name.
      const nameGroup = rng.chance(0.3) ? nameGroups[0]! : group;
      dependants.push({
        nom: childSurname,
        prenom: firstNameOf(rng, nameGroup, childSexe),
        age: childAge,
        dateNaissance: birthDateFor(rng, childAge, ref),
        sexe: childSexe,
        lienParente: 'E',
      });
    }
  }
  if (kind === 'avecAscendantOuAutre') {
    if (rng.chance(0.5)) {
      const parentAge = Math.min(95, age + rng.int(20, 35));
      const parentSexe: Sexe = rng.chance(0.65) ? 'F' : 'M';
      dependants.push({
        nom: applicant.nomPatronymique ?? applicant.nom,
        prenom: firstNameOf(rng, group, parentSexe),
        age: parentAge,
        dateNaissance: birthDateFor(rng, parentAge, ref),
        sexe: parentSexe,
        lienParente: 'P',
      });
    } else {
      const otherAge = rng.int(1, 25);
      const otherSexe: Sexe = rng.chance(0.5) ? 'F' : 'M';
      dependants.push({
        nom: rng.chance(0.5) ? applicant.nom : surnameOf(rng, group, territory),
        prenom: firstNameOf(rng, group, otherSexe),
        age: otherAge,
        dateNaissance: birthDateFor(rng, otherAge, ref),
        sexe: otherSexe,
        lienParente: 'A',
      });
    }
  }

  let unborn: Household['unborn'];
  const woman = sexe === 'F' ? applicant : coHolder?.sexe === 'F' ? coHolder : undefined;
  if (woman && woman.age >= 19 && woman.age <= 42 && kind !== 'colocation' && kind !== 'avecAscendantOuAutre' && rng.chance(rates.unborn)) {
    unborn = { nombre: rng.chance(rates.twins) ? 2 : 1, dateNaissancePrevue: addDays(ref, rng.int(15, 230)) };
  }

  const custody: InCustody[] = [];
  const custodyRate = kind === 'seul' && age >= 25 && age <= 55 ? rates.custodySingle : isCouple ? rates.custodyCouple : 0;
  if (custodyRate > 0 && rng.chance(custodyRate)) {
    const n = rng.weighted([[1, 50], [2, 35], [3, 15]] as const);
    const coParentalite = rng.chance(0.45) ? 'G' : 'D';
    const maxAge = Math.max(0, Math.min(17, age - 18));
    const ages: number[] = [];
    for (let i = 0; i < n; i++) ages.push(rng.int(0, maxAge));
    ages.sort((a, b) => b - a);
    for (const childAge of ages) {
      custody.push({ age: childAge, dateNaissance: birthDateFor(rng, childAge, ref), sexe: rng.chance(0.5) ? 'F' : 'M', coParentalite });
    }
  }

  const household: Household = { kind, applicant, dependants, custody };
  if (coHolder) household.coHolder = coHolder;
  if (unborn) household.unborn = unborn;
  return household;
}

/** People living together today: the applicant, co-holders and dependants (not the unborn, not custody). */
export function householdSize(h: Household): number {
  return 1 + (h.coHolder ? 1 : 0) + h.dependants.length;
}

/**
 * Size used to choose the wanted dwelling: the household, the unborn child, and children in custody
 * (alternating custody counts fully, visiting rights half: they need a room some nights).
 */
export function sizeForRooms(h: Household): number {
  const custody = h.custody.reduce((n, c) => n + (c.coParentalite === 'G' ? 1 : 0.5), 0);
  return householdSize(h) + (h.unborn?.nombre ?? 0) + Math.ceil(custody);
}

export function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}
